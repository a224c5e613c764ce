"""The lesson session: one IPython kernel driven with jupyter_client's async API.

The kernel runs on the same interpreter as tutor, over IPC sockets in a private
temporary directory (no TCP port), with the user's working directory.  Two pump
tasks route the kernel's messages to the request they answer, and a watchdog
notices within a fraction of a second when the kernel process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client import AsyncKernelManager
    from jupyter_client.asynchronous import AsyncKernelClient


from tutor.output import strip_ansi
from tutor.protocol import (
    CUT_SHORT,
    MEMORY,
    METRICS,
    MIME_TYPE,
    PLOTS,
    PROGRESS,
    RESULT,
    SEQ,
    VALUE,
    Batch,
    DeviceReport,
    Inspection,
    RunSummary,
)
from tutor.session.base import (
    QUERY_TIMEOUT_S,
    Completion,
    CompletionItem,
    KernelState,
    SessionBusy,
    SessionError,
)
from tutor.session.events import (
    ClearOutput,
    Display,
    Error,
    Event,
    Finished,
    History,
    Memory,
    Metrics,
    Output,
    Plot,
    Progress,
    Result,
    RunStatus,
)
from tutor.session.process import KERNEL_ARGV, KernelProcess

BOOTSTRAP = "import tutor.kernel as __tutor__\n__tutor__.install(get_ipython())"
SUMMARY_EXPRESSION = "__tutor__.as_json(__tutor__.run_summary())"
WATCH_INTERVAL_S = 0.2
INTERRUPT_RESEND_S = 1.0
INTERRUPT_TRIES = 3
"""An interrupt is sent again after a second without effect, three times in all."""
KILL_WAIT_S, KILL_WAIT_TRIES = 0.005, 200
"""How often, and how many times, to look whether a killed kernel has ended."""
IOPUB_CONNECT_S = 0.2
"""Once the kernel answers, how long its output channel has to show that it is connected."""
REPLY_GRACE_S = 1.0
"""How long to wait for the kernel's idle status once its reply is in (it may be dropped)."""


async def _next_message(inbox: asyncio.Queue[Any], seconds: float) -> Any:
    """The next message in ``inbox``, or None when none comes within ``seconds``.

    Not ``asyncio.wait_for``: on Python 3.11 it returns a message that arrives just as
    its caller is cancelled, and the cancellation (Ctrl+C, a restart) is lost.  Here the
    cancellation wins, and the message stays in the queue.
    """
    try:
        async with asyncio.timeout(seconds):
            return await inbox.get()
    except TimeoutError:
        return None


class _Gone:
    """Put in a request's queue when the kernel died or was stopped."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


_REPLIED = object()
"""Put in a run's queue when its reply is in, so that the run wakes at once: the
kernel's idle status and its reply travel on different sockets, either may come first."""


def kernel_manager(**options: Any) -> AsyncKernelManager:
    """A jupyter_client kernel manager that starts tutor's kernel as the session does.

    The session launches and signals its kernel itself (``KernelProcess``); the
    benchmarks use this manager to compare the session with plain jupyter_client.
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class TutorKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=KERNEL_ARGV,
                display_name="tutor",
                language="python",
                interrupt_mode="signal",
            )

    return TutorKernelManager(**options)


def _client(kernel: KernelProcess) -> AsyncKernelClient:
    """A client for ``kernel``; jupyter_client is imported here, on first use, so that
    neither the app's first screen nor the kernel's launch waits for it."""
    from jupyter_client.asynchronous import AsyncKernelClient

    client = AsyncKernelClient()
    client.load_connection_info(kernel.connection)
    return client


def describe_exit(returncode: int | None) -> str:
    """A sentence about how the kernel process ended."""
    if returncode is None:
        return "the Python session stopped responding"
    if returncode < 0:
        signum = -returncode
        name = (
            signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else signum
        )
        if signum == signal.SIGKILL:
            return (
                f"the Python session was killed ({name}), most often because the machine "
                "ran out of memory"
            )
        if signum == signal.SIGSEGV:
            return f"the Python session crashed ({name}, a segmentation fault)"
        return f"the Python session was stopped by signal {name}"
    return f"the Python session exited with code {returncode} (did the code call os._exit?)"


class KernelSession:
    """A ``Session`` backed by an IPython kernel."""

    def __init__(
        self,
        *,
        cwd: Path | None = None,
        device: str = "auto",
        startup_timeout: float = 60.0,
        interrupt_grace: float = 5.0,
    ) -> None:
        self.cwd = Path(cwd or Path.cwd())
        self.device = device
        self.startup_timeout = startup_timeout
        self.interrupt_grace = interrupt_grace
        self.state = KernelState.STOPPED
        self.death_reason = ""
        self._listeners: list[Callable[[KernelState], None]] = []
        self._kernel: KernelProcess | None = None
        self._kc: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._iopub: dict[str, asyncio.Queue[Any]] = {}
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._running: str | None = None
        self._interrupt_reason: str | None = None
        self._interrupts_sent = 0
        self._interrupt_at = 0.0

    def add_state_listener(self, listener: Callable[[KernelState], None]) -> None:
        """Call ``listener`` with the new state whenever the state changes."""
        self._listeners.append(listener)

    def remove_state_listener(self, listener: Callable[[KernelState], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- lifecycle --------------------------------------------------------
    def launch(self) -> None:
        """Start the kernel's process now, before any event loop runs.

        For a caller with more to do before its event loop starts (headless imports
        its console and report code, and jupyter_client, while the kernel boots);
        ``start()`` then connects to the kernel and sets it up.  If the launch fails,
        ``start()`` tries again and reports why.
        """
        if self._kernel is not None:
            return
        self._set_state(KernelState.STARTING)
        self.death_reason = ""
        with contextlib.suppress(OSError):
            self._kernel = KernelProcess.launch(cwd=self.cwd, device=self.device)

    async def start(self) -> None:
        """Start the kernel (unless ``launch()`` did) and install tutor's helpers in it."""
        self._set_state(KernelState.STARTING)
        try:
            if self._kernel is None:
                self.death_reason = ""
                self._kernel = KernelProcess.launch(cwd=self.cwd, device=self.device)
            # jupyter_client takes a while to import: not on the event loop.
            self._kc = await asyncio.to_thread(_client, self._kernel)
            self._kc.start_channels()
            await self._wait_for_ready()
        except (RuntimeError, TimeoutError, OSError) as exc:
            await self._stop_kernel("the Python session did not start")
            raise SessionError(f"could not start the Python session: {exc}") from exc
        self._tasks = [
            asyncio.create_task(self._pump(self._kc.get_iopub_msg, self._route_iopub)),
            asyncio.create_task(self._pump(self._kc.get_shell_msg, self._route_reply)),
            asyncio.create_task(self._watch()),
        ]
        reply = await self._request(BOOTSTRAP, silent=True)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            await self.shutdown()
            raise SessionError(
                "could not set up the Python session: "
                f"{content.get('ename')}: {content.get('evalue')}"
            )
        self._set_state(KernelState.IDLE)

    async def _wait_for_ready(self) -> None:
        """Until the kernel answers on its shell channel and its output channel reaches us.

        jupyter_client's ``wait_for_ready`` does the same, then drains the output
        channel until it has been quiet for 0.2 s; the pumps drop messages that
        answer nothing the session asked, so the session need not wait for that.
        """
        deadline = time.monotonic() + self.startup_timeout
        while True:
            self._kc.kernel_info()
            try:
                msg = await self._kc.get_shell_msg(timeout=1.0)
            except queue.Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self._kc.get_iopub_msg(timeout=IOPUB_CONNECT_S)
                    except queue.Empty:
                        pass  # the output channel is not connected yet: ask again
                    else:
                        return
            if not self._kernel.alive():  # type: ignore[union-attr]
                raise RuntimeError("the kernel died before it answered")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel did not answer within {self.startup_timeout:g} s")

    async def restart(self) -> None:
        """A fresh kernel with an empty namespace; a run in flight ends as dead."""
        await self._stop_kernel("the session was restarted")
        await self.start()

    async def shutdown(self) -> None:
        """Stop the kernel and every process it started; safe to call twice."""
        await self._stop_kernel("the session was shut down")
        self._set_state(KernelState.STOPPED)

    def kill(self) -> None:
        """Kill the kernel's process group and remove its files, synchronously.

        For a process about to end without its event loop (its terminal is gone).
        """
        if self._kernel is not None:
            self._kernel.kill()
            self._kernel.remove_files()
        self._set_state(KernelState.STOPPED)

    async def interrupt(self) -> None:
        """Raise KeyboardInterrupt in the running code; the namespace is kept."""
        if self._kernel is None or self.state is not KernelState.BUSY:
            return
        self._interrupt_reason = self._interrupt_reason or "interrupted"
        self._interrupts_sent = 1
        self._interrupt_at = time.monotonic()
        await self._send_interrupt()

    async def _send_interrupt(self) -> None:
        if self._kernel is not None:
            self._kernel.signal(signal.SIGINT)

    @property
    def pid(self) -> int | None:
        """The kernel's process id, while it runs."""
        return self._kernel.pid if self._kernel else None

    @property
    def connection_file(self) -> Path | None:
        return self._kernel.connection_file if self._kernel else None

    # -- running code -----------------------------------------------------
    async def run(self, code: str, *, timeout: float | None = None) -> AsyncIterator[Event]:
        """Run ``code``; yield its output and structured events, then ``Finished``.

        With ``timeout`` the code is interrupted when it runs too long; if it
        will not stop after two interrupts, the session is stopped (``DEAD``): the
        caller decides whether to restart it.
        """
        started = time.monotonic()
        if self.state is not KernelState.IDLE:
            if self.state is KernelState.BUSY:
                raise SessionBusy("the session is already running code")
            reason = self.death_reason or f"the Python session is {self.state.value}"
            yield Finished(RunStatus.DEAD, 0.0, reason=reason, state_lost=True)
            return
        self._interrupt_reason = None
        self._interrupts_sent = 0
        msg_id = self._kc.execute(
            code,
            store_history=True,
            allow_stdin=False,
            stop_on_error=False,
            user_expressions={"summary": SUMMARY_EXPRESSION},
        )
        inbox = self._iopub[msg_id] = asyncio.Queue()
        reply_future = self._replies[msg_id] = asyncio.get_running_loop().create_future()
        self._running = msg_id
        self._set_state(KernelState.BUSY)
        seen_plots: set[int] = set()
        error_seen = result_seen = False
        got_idle = False
        reply_at: float | None = None
        deadline = started + timeout if timeout else None
        escalation = 0
        try:
            while True:
                msg = await _next_message(inbox, WATCH_INTERVAL_S)
                if isinstance(msg, _Gone):
                    yield Finished(
                        RunStatus.DEAD,
                        time.monotonic() - started,
                        reason=msg.reason,
                        state_lost=True,
                    )
                    return
                if isinstance(msg, dict):
                    if msg["msg_type"] == "status":
                        got_idle = msg["content"]["execution_state"] == "idle"
                    for event in self._translate(msg, seen_plots):
                        error_seen = error_seen or isinstance(event, Error)
                        result_seen = result_seen or isinstance(event, Result)
                        yield event
                now = time.monotonic()
                if reply_future.done() and reply_at is None:
                    reply_at = now
                if reply_at is not None and (got_idle or now - reply_at > REPLY_GRACE_S):
                    break
                if (
                    self._interrupt_reason == "interrupted"
                    and reply_at is None
                    and 0 < self._interrupts_sent < INTERRUPT_TRIES
                    and now - self._interrupt_at > INTERRUPT_RESEND_S
                ):
                    # A SIGINT that lands while IPython sets up the cell is lost: send again.
                    self._interrupts_sent += 1
                    self._interrupt_at = now
                    await self._send_interrupt()
                if deadline is not None and now > deadline and reply_at is None:
                    if escalation < 2:
                        self._interrupt_reason = "timeout"
                        await self._send_interrupt()
                        escalation += 1
                        deadline = now + self.interrupt_grace
                    else:
                        reason = (
                            f"ran longer than {timeout:g} s and did not stop when "
                            "interrupted, so the session was stopped"
                        )
                        await self._stop_itself(reason)
                        yield Finished(
                            RunStatus.TIMEOUT,
                            time.monotonic() - started,
                            reason=reason,
                            state_lost=True,
                            restart_because="it ignored two interrupts",
                        )
                        return
            reply = reply_future.result()["content"]
            if reply["status"] == "error" and not error_seen:
                yield Error(
                    reply.get("ename", ""), reply.get("evalue", ""), reply.get("traceback", [])
                )
            summary = await self._summary(reply)
            if summary:
                for event in summary_events(summary, seen_plots, result_seen):
                    yield event
            finished = self._finished(reply, time.monotonic() - started, timeout)
            if summary and summary.get(CUT_SHORT):
                finished = await self._stop_for_cut_short_imports(finished, summary[CUT_SHORT])
            yield finished
        finally:
            self._iopub.pop(msg_id, None)
            if reply_future.done():
                self._settle(msg_id)
            else:
                # Abandoned mid-run: the kernel stays busy until its reply comes.
                reply_future.add_done_callback(lambda _: self._settle(msg_id))

    def _settle(self, msg_id: str) -> None:
        """A run's reply is in: forget it, and the kernel is idle again."""
        self._replies.pop(msg_id, None)
        if self._running == msg_id:
            self._running = None
            if self.state is KernelState.BUSY:
                self._set_state(KernelState.IDLE)

    def _finished(self, reply: dict[str, Any], duration: float, timeout: float | None) -> Finished:
        if reply["status"] == "ok":
            return Finished(RunStatus.OK, duration)
        if reply.get("ename") == "KeyboardInterrupt" and self._interrupt_reason:
            if self._interrupt_reason == "timeout":
                return Finished(
                    RunStatus.TIMEOUT, duration, reason=f"ran longer than {timeout:g} s"
                )
            return Finished(RunStatus.INTERRUPTED, duration, reason="interrupted")
        name, value = reply.get("ename", "Error"), reply.get("evalue", "")
        return Finished(RunStatus.ERROR, duration, reason=f"{name}: {value}" if value else name)

    async def _summary(self, reply: dict[str, Any]) -> RunSummary | None:
        """The authoritative record of the run: its whole history, its plots and result
        (for those whose messages were lost), and what it left the session unable to do."""
        if reply["status"] == "ok":
            summary = reply.get("user_expressions", {}).get("summary", {})
            return (summary.get("data", {}).get("application/json") or {}).get(VALUE)
        try:
            return await self.evaluate("__tutor__.run_summary()")
        except SessionError:
            return None

    async def _stop_for_cut_short_imports(
        self, finished: Finished, packages: list[str]
    ) -> Finished:
        """The run stopped an import partway: the package cannot be imported again in
        this process, so the session is stopped (``DEAD``) for the caller to restart."""
        names = " and ".join(f"`import {name}`" for name in packages)
        why = f"{names} stopped partway, and cannot run again in the same Python process"
        await self._stop_itself(f"{why}, so the session was stopped")
        return replace(finished, reason=why, state_lost=True, restart_because=why)

    async def _stop_itself(self, reason: str) -> None:
        """Stop the kernel after a run that left it unusable: ``DEAD``, saying why,
        for the caller to restart."""
        await self._stop_kernel(reason)
        self.death_reason = reason
        self._set_state(KernelState.DEAD)

    def _translate(self, msg: dict[str, Any], seen_plots: set[int]) -> list[Event]:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            return [Output(content["name"], content["text"])]
        if kind == "error":
            return [Error(content["ename"], content["evalue"], content["traceback"])]
        if kind in ("display_data", "execute_result", "update_display_data"):
            data = content.get("data", {})
            if MIME_TYPE in data:
                return batch_events(data[MIME_TYPE], seen_plots)
            if kind == "execute_result":
                return [Result(data, content.get("execution_count") or 0)]
            display_id = (content.get("transient") or {}).get("display_id", "")
            return [Display(data, display_id, update=kind == "update_display_data")]
        if kind == "clear_output":
            return [ClearOutput(wait=bool(content.get("wait")))]
        return []

    # -- queries ----------------------------------------------------------
    async def evaluate(self, expression: str, timeout: float = 60.0) -> Any:
        """Evaluate an expression silently in the kernel; its value must be JSON-able."""
        if self.state not in (KernelState.IDLE, KernelState.BUSY):
            raise SessionError(self.death_reason or f"the Python session is {self.state.value}")
        wrapped = f"__tutor__.as_json({expression})"
        reply = await self._request(
            "", silent=True, timeout=timeout, expressions={"value": wrapped}
        )
        value = reply["content"].get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            raise SessionError(f"{expression}: {value.get('ename')}: {value.get('evalue')}")
        return value["data"]["application/json"][VALUE]

    async def inspect(self) -> list[Inspection]:
        """Summaries of the namespace's tensors, parameters, modules and optimizers."""
        return await self.evaluate("__tutor__.namespace_summary()")

    async def describe(self, *, warm_up: bool = True) -> DeviceReport:
        """The torch version and the device the session uses, or why that device is missing."""
        return await self.evaluate(f"__tutor__.session_device(warm_up={bool(warm_up)})")

    async def _request(
        self,
        code: str,
        *,
        silent: bool,
        timeout: float = 60.0,
        expressions: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        msg_id = self._kc.execute(
            code,
            silent=silent,
            store_history=False,
            allow_stdin=False,
            user_expressions=expressions or {},
        )
        try:
            return await self._reply(msg_id, timeout)
        except TimeoutError:
            raise SessionError(f"the Python session did not answer within {timeout:g} s") from None

    async def _reply(self, msg_id: str, timeout: float) -> dict[str, Any]:
        """The shell channel's reply to request ``msg_id``; TimeoutError after ``timeout``."""
        future = self._replies[msg_id] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see _next_message
                return await future
        finally:
            self._replies.pop(msg_id, None)

    async def complete(
        self, code: str, cursor_pos: int, *, timeout: float = QUERY_TIMEOUT_S
    ) -> Completion:
        """The kernel's completions at ``cursor_pos``, with their kinds where IPython gives them."""
        content = await self._query(lambda: self._kc.complete(code, cursor_pos), timeout)
        return completion_from_reply(content, cursor_pos)

    async def inspect_code(
        self, code: str, cursor_pos: int, *, timeout: float = QUERY_TIMEOUT_S
    ) -> str:
        """The signature and docstring of the name at ``cursor_pos`` (IPython's ``name?``)."""
        content = await self._query(
            lambda: self._kc.inspect(code, cursor_pos, detail_level=0), timeout
        )
        if content.get("status") != "ok" or not content.get("found"):
            return ""
        return strip_ansi(content.get("data", {}).get("text/plain", ""))

    async def _query(self, send: Callable[[], str], timeout: float) -> dict[str, Any]:
        """Send a request that waits behind running code, and its reply's content.

        While code runs the request is not sent at all: it would only be answered
        after the run, when nobody wants it any more."""
        if self.state is KernelState.BUSY:
            raise SessionBusy("the session is busy running code")
        if self.state is not KernelState.IDLE:
            raise SessionError(self.death_reason or f"the Python session is {self.state.value}")
        try:
            reply = await self._reply(send(), timeout)
        except TimeoutError:
            raise SessionBusy(
                f"the session did not answer within {timeout:g} s: it is busy"
            ) from None
        return reply["content"]

    # -- plumbing ---------------------------------------------------------
    def _set_state(self, state: KernelState) -> None:
        if state is not self.state:
            self.state = state
            for listener in list(self._listeners):
                listener(state)

    async def _pump(self, get: Callable[..., Any], route: Callable[[dict[str, Any]], None]) -> None:
        while True:
            try:
                msg = await get(timeout=0.5)
            except queue.Empty:
                continue
            route(msg)

    def _route_iopub(self, msg: dict[str, Any]) -> None:
        inbox = self._iopub.get(msg["parent_header"].get("msg_id", ""))
        if inbox is not None:
            inbox.put_nowait(msg)

    def _route_reply(self, msg: dict[str, Any]) -> None:
        msg_id = msg["parent_header"].get("msg_id", "")
        future = self._replies.get(msg_id)
        if future is not None and not future.done():
            future.set_result(msg)
            inbox = self._iopub.get(msg_id)
            if inbox is not None:
                inbox.put_nowait(_REPLIED)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            if self._kernel is not None and not self._kernel.alive():
                self.death_reason = describe_exit(self._kernel.returncode)
                self._abandon_requests(self.death_reason)
                self._set_state(KernelState.DEAD)
                return

    def _abandon_requests(self, reason: str) -> None:
        for inbox in self._iopub.values():
            inbox.put_nowait(_Gone(reason))
        for future in self._replies.values():
            if not future.done():
                future.set_exception(SessionError(reason))
                future.exception()  # retrieved: a run that was abandoned never awaits it

    async def _stop_kernel(self, reason: str) -> None:
        """Kill the kernel's process group at once: its namespace is being thrown away anyway."""
        self._abandon_requests(reason)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        kernel, kc, self._kernel, self._kc = self._kernel, self._kc, None, None
        if kc is not None:
            kc.stop_channels()
        if kernel is not None:
            kernel.kill()
            # Look often whether the process has ended: a restart waits for it.
            for _ in range(KILL_WAIT_TRIES):
                if not kernel.alive():
                    break
                await asyncio.sleep(KILL_WAIT_S)
            kernel.remove_files()


def batch_events(batch: Batch, seen_plots: set[int]) -> list[Event]:
    """The events a live batch carries; its plots' numbers go in ``seen_plots``."""
    events: list[Event] = []
    if METRICS in batch:
        events.append(Metrics(**batch[METRICS]))
    for spec in batch.get(PLOTS, []):
        seen_plots.add(spec[SEQ])
        events.append(Plot(spec))
    if PROGRESS in batch:
        events.append(Progress(**batch[PROGRESS]))
    return events


def summary_events(
    summary: RunSummary, seen_plots: set[int], result_seen: bool = False
) -> list[Event]:
    """A run's whole history, the plots ``seen_plots`` lacks, the last progress, and its
    result unless ``result_seen``."""
    events: list[Event] = []
    result = summary[RESULT]
    if result is not None and not result_seen:
        events.append(Result({"text/plain": result["text"]}, result["count"]))
    if summary[METRICS]:
        events.append(History(summary[METRICS]))
    for spec in summary[PLOTS]:
        if spec[SEQ] not in seen_plots:
            seen_plots.add(spec[SEQ])
            events.append(Plot(spec))
    if summary[PROGRESS]:
        events.append(Progress(**summary[PROGRESS]))
    if summary.get(MEMORY):
        events.append(Memory(**summary[MEMORY]))  # type: ignore[typeddict-item]
    return events


def completion_from_reply(content: dict[str, Any], cursor_pos: int) -> Completion:
    """A ``complete_reply``'s matches, with their kinds where IPython could tell them
    (it says "<unknown>" where jedi ran out of time to infer one: no kind, then)."""
    if content.get("status") != "ok":
        return Completion(cursor_pos, cursor_pos)
    types = {
        item.get("text"): "" if item.get("type") in (None, "<unknown>") else item["type"]
        for item in content.get("metadata", {}).get("_jupyter_types_experimental", [])
    }
    return Completion(
        content.get("cursor_start", cursor_pos),
        content.get("cursor_end", cursor_pos),
        tuple(CompletionItem(text, types.get(text, "")) for text in content["matches"]),
    )
