"""The Session interface that the runner, the app and headless share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tutor.protocol import DeviceReport, Inspection
from tutor.session.events import Event


class KernelState(StrEnum):
    """Where the session's Python process stands."""

    STOPPED = "stopped"
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


class SessionError(Exception):
    """The session could not do what was asked (not started, died, did not answer)."""


class SessionBusy(SessionError):
    """``run()`` was called while code is already running."""


QUERY_TIMEOUT_S = 0.5
"""How long completion and help wait for the kernel.  Its shell channel is serial: while
code runs, a request waits behind it, so a late answer means the session is busy."""


@dataclass(frozen=True)
class CompletionItem:
    """One way to complete the code: its text and, where the kernel says, its kind
    ("function", "module", "instance", ...)."""

    text: str
    type: str = ""


@dataclass(frozen=True)
class Completion:
    """What the kernel offers at a cursor: one of ``matches`` replaces the code from
    ``start`` to ``end`` (offsets in code points, as the kernel counts them)."""

    start: int
    end: int
    matches: tuple[CompletionItem, ...] = ()


class Session(Protocol):
    """One Python namespace that lesson steps run in, one after the other."""

    state: KernelState
    death_reason: str

    def add_state_listener(self, listener: Callable[[KernelState], None]) -> None:
        """Call ``listener`` on every change of ``state``."""

    def remove_state_listener(self, listener: Callable[[KernelState], None]) -> None: ...

    async def start(self) -> None: ...

    def run(self, code: str, *, timeout: float | None = None) -> AsyncIterator[Event]: ...

    async def interrupt(self) -> None: ...

    async def restart(self) -> None:
        """A fresh, empty namespace.  Only the runner calls this: it owns what the
        session holds."""

    async def inspect(self) -> list[Inspection]:
        """Summaries of the namespace's tensors, parameters, modules and optimizers."""

    async def complete(
        self, code: str, cursor_pos: int, *, timeout: float = QUERY_TIMEOUT_S
    ) -> Completion:
        """The kernel's completions at ``cursor_pos`` (a code-point offset into ``code``).

        Raises ``SessionBusy`` while code runs or when no answer comes within
        ``timeout``, ``SessionError`` when the session is not up."""

    async def inspect_code(
        self, code: str, cursor_pos: int, *, timeout: float = QUERY_TIMEOUT_S
    ) -> str:
        """The signature and docstring of the name at ``cursor_pos``, as plain text ("" for
        none); raises as ``complete`` does."""

    async def describe(self, *, warm_up: bool = True) -> DeviceReport:
        """The torch version and the device the session uses, or why that device is missing.

        It imports torch; with ``warm_up``, the session then imports in the background
        what the first optimizer needs (see ``uses_optimizers()``)."""

    async def shutdown(self) -> None: ...

    def kill(self) -> None:
        """Stop at once, without the event loop: for a process about to end."""
