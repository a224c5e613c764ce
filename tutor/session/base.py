"""The Session interface that the runner, the app and headless share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from enum import Enum
from typing import Protocol

from tutor.protocol import DeviceReport, Inspection
from tutor.session.events import Event


class KernelState(str, Enum):
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

    async def describe(self) -> DeviceReport:
        """The torch version and the device the session uses, or why that device is missing."""

    async def shutdown(self) -> None: ...

    def kill(self) -> None:
        """Stop at once, without the event loop: for a process about to end."""
