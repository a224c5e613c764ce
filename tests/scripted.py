"""A ``Session`` that replays scripted events: runner and app policy tests start no kernel.

Each run looks up the first ``Reply`` whose key occurs in the code it is given
(code that matches none passes silently), then behaves as a kernel would:
it yields the reply's events, raises its error, hangs until interrupted (or,
ignoring interrupts, until its time limit kills the session), or dies.  It
completes the names in ``words`` and explains those in ``docs``, and, as a
kernel's serial shell channel does, answers neither while code runs.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from tutor.protocol import DeviceReport, Inspection, TensorSummary
from tutor.session import (
    Completion,
    CompletionItem,
    Error,
    Event,
    Finished,
    History,
    KernelState,
    Metrics,
    Output,
    Progress,
    RunStatus,
    SessionBusy,
    SessionError,
)


@dataclass(frozen=True)
class Reply:
    """How the scripted session answers code that contains the reply's key."""

    events: Sequence[Event] = ()
    """Yielded in order before the run ends."""
    error: tuple[str, str] | None = None
    """(type, message) of an exception the code raises after its events."""
    hang: bool = False
    """Runs until interrupted (or until its time limit)."""
    ignore_interrupts: bool = False
    """With ``hang``: an interrupt does not stop it; its time limit kills the session."""
    ends_as_interrupted: bool = False
    """With ``hang``: the code ends on its own, and passes, just as an interrupt comes,
    so the interrupt stops nothing."""
    die: str = ""
    """The session's process dies with this reason."""
    pause_s: float = 0.0
    """Time each event takes to arrive."""


@dataclass
class ScriptedSession:
    """A ``Session`` with scripted answers; it records what it was asked to do."""

    replies: dict[str, Reply] = field(default_factory=dict)
    device: DeviceReport = field(
        default_factory=lambda: DeviceReport(
            ok=True, device="cpu", torch_version="scripted", error=None
        )
    )
    tensors: list[Inspection] = field(default_factory=list)
    state: KernelState = KernelState.STOPPED
    death_reason: str = ""
    ran: list[str] = field(default_factory=list)
    """Every piece of code run (without its surrounding blank space), in order."""
    starts: int = 0
    """How many times a fresh namespace was started (``start`` and ``restart``)."""
    interrupts: int = 0
    described: int = 0
    """How many times the device was asked for (``describe``)."""
    warm_ups: list[bool] = field(default_factory=list)
    """Whether each of those asked for the warm-up."""
    words: dict[str, str] = field(default_factory=dict)
    """Names it completes, with their kinds: ``{"torch.arange": "function"}``."""
    docs: dict[str, str] = field(default_factory=dict)
    """What asking for help on a name shows, by name."""
    asked: list[tuple[str, str, int]] = field(default_factory=list)
    """Every completion and help request: ("complete" or "inspect", code, cursor_pos)."""
    _listeners: list[Callable[[KernelState], None]] = field(default_factory=list)
    _interrupted: asyncio.Event | None = None

    def add_state_listener(self, listener: Callable[[KernelState], None]) -> None:
        self._listeners.append(listener)

    def remove_state_listener(self, listener: Callable[[KernelState], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _set_state(self, state: KernelState) -> None:
        if state is not self.state:
            self.state = state
            for listener in list(self._listeners):
                listener(state)

    async def start(self) -> None:
        self._set_state(KernelState.STARTING)
        await asyncio.sleep(0)
        self.starts += 1
        self.death_reason = ""
        self._set_state(KernelState.IDLE)

    async def restart(self) -> None:
        self._abandon()
        await self.start()

    async def shutdown(self) -> None:
        self._abandon()
        self._set_state(KernelState.STOPPED)

    def kill(self) -> None:
        self._abandon()
        self._set_state(KernelState.STOPPED)

    def _abandon(self) -> None:
        if self._interrupted is not None:
            self._interrupted.set()

    async def interrupt(self) -> None:
        if self.state is KernelState.BUSY:
            self.interrupts += 1
            if self._interrupted is not None:
                self._interrupted.set()

    async def inspect(self) -> list[Inspection]:
        return list(self.tensors)

    async def describe(self, *, warm_up: bool = True) -> DeviceReport:
        self.described += 1
        self.warm_ups.append(warm_up)
        return self.device

    def _answering(self, kind: str, code: str, cursor_pos: int) -> str:
        """The dotted name that ends at ``cursor_pos``; raises as a kernel does when busy."""
        if self.state is KernelState.BUSY:
            raise SessionBusy("the session is busy running code")
        if self.state is not KernelState.IDLE:
            raise SessionError(f"the Python session is {self.state.value}")
        self.asked.append((kind, code, cursor_pos))
        return re.search(r"[\w.]*$", code[:cursor_pos]).group()  # type: ignore[union-attr]

    async def complete(self, code: str, cursor_pos: int, *, timeout: float = 0.5) -> Completion:
        name = self._answering("complete", code, cursor_pos)
        matches = [CompletionItem(w, kind) for w, kind in self.words.items() if w.startswith(name)]
        return Completion(cursor_pos - len(name), cursor_pos, tuple(matches) if name else ())

    async def inspect_code(self, code: str, cursor_pos: int, *, timeout: float = 0.5) -> str:
        name = self._answering("inspect", code, cursor_pos)
        name += re.match(r"\w*", code[cursor_pos:]).group()  # type: ignore[union-attr]
        return self.docs.get(name, "")

    def reply_for(self, code: str) -> Reply:
        return next((reply for key, reply in self.replies.items() if key in code), Reply())

    async def run(self, code: str, *, timeout: float | None = None) -> AsyncIterator[Event]:
        started = time.monotonic()
        if self.state is KernelState.BUSY:
            raise SessionBusy("the session is already running code")
        if self.state is not KernelState.IDLE:
            reason = self.death_reason or f"the Python session is {self.state.value}"
            yield Finished(RunStatus.DEAD, 0.0, reason=reason, state_lost=True)
            return
        self.ran.append(code.strip())
        reply = self.reply_for(code)
        self._interrupted = asyncio.Event()
        self._set_state(KernelState.BUSY)
        try:
            for event in reply.events:
                if reply.pause_s:
                    await asyncio.sleep(reply.pause_s)
                yield event
            if reply.die:
                self.death_reason = reply.die
                self._set_state(KernelState.DEAD)
                yield Finished(RunStatus.DEAD, time.monotonic() - started, reply.die, True)
                return
            if reply.hang:
                async for event in self._hang(reply, started, timeout):
                    yield event
                return
            if reply.error is not None:
                kind, message = reply.error
                yield Error(kind, message, [f"{kind}: {message}"])
                yield Finished(RunStatus.ERROR, time.monotonic() - started, f"{kind}: {message}")
                return
            yield Finished(RunStatus.OK, time.monotonic() - started)
        finally:
            if self.state is KernelState.BUSY:
                self._set_state(KernelState.IDLE)

    async def _hang(
        self, reply: Reply, started: float, timeout: float | None
    ) -> AsyncIterator[Event]:
        assert self._interrupted is not None
        while True:
            try:
                async with asyncio.timeout(timeout):  # as the kernel session: no wait_for
                    await self._interrupted.wait()
            except TimeoutError:
                if reply.ignore_interrupts:
                    reason = f"ran longer than {timeout:g} s and did not stop when interrupted"
                    self.death_reason = reason
                    self._set_state(KernelState.DEAD)
                    yield Finished(
                        RunStatus.TIMEOUT,
                        time.monotonic() - started,
                        reason,
                        True,
                        restart_because="it ignored two interrupts",
                    )
                else:
                    yield Finished(RunStatus.TIMEOUT, time.monotonic() - started, "timeout")
                return
            if self.state is not KernelState.BUSY:  # restarted or shut down meanwhile
                yield Finished(RunStatus.DEAD, time.monotonic() - started, "restarted", True)
                return
            if reply.ends_as_interrupted:
                yield Finished(RunStatus.OK, time.monotonic() - started)
                return
            if not reply.ignore_interrupts:
                yield Error("KeyboardInterrupt", "", ["KeyboardInterrupt"])
                yield Finished(RunStatus.INTERRUPTED, time.monotonic() - started, "interrupted")
                return
            self._interrupted.clear()


def _tensor(name: str, shape: list[int]) -> TensorSummary:
    return TensorSummary(
        name=name,
        kind="tensor",
        type="Tensor",
        shape=shape,
        dtype="float32",
        device="cpu",
        requires_grad=False,
        has_grad=False,
        bytes=4 * math.prod(shape),
        min=0.0,
        max=5.0,
        mean=2.5,
        nan=0,
        inf=0,
    )


def basics_session() -> ScriptedSession:
    """A scripted session that answers the steps of ``tests.builders.BASICS`` as a kernel
    would: its output, a 60-epoch history streamed with progress, an endless loop."""
    rows = [
        {"epoch": float(epoch), "train_loss": 1 / (epoch + 1), "test_loss": 2 / (epoch + 1)}
        for epoch in range(60)
    ]
    training: list[Event] = [Progress(0, 60)]
    for epoch, row in enumerate(rows):
        training += [Metrics(epoch, [row]), Progress(epoch + 1, 60)]
    training.append(History(rows))
    return ScriptedSession(
        replies={
            "kept = torch.arange": Reply(events=[Output("stdout", "made torch.Size([6])\n")]),
            "for epoch in progress": Reply(events=training, pause_s=0.005),
            "while True": Reply(hang=True),
            "total = float": Reply(events=[Output("stdout", "total 15.0\n")]),
        },
        tensors=[_tensor("kept", [6])],
    )
