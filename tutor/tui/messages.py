"""Messages that carry the session's state to the widgets."""

from __future__ import annotations

from textual.message import Message

from tutor.session import KernelState


class SessionStateChanged(Message):
    """The session is now ``state`` (starting, idle, busy, dead or stopped)."""

    def __init__(self, state: KernelState) -> None:
        self.state = state
        super().__init__()


class SessionReady(Message):
    """The session started on ``device``; ``problem`` says why the device asked for
    cannot be used, if it cannot."""

    def __init__(self, device: str, problem: str = "") -> None:
        self.device = device
        self.problem = problem
        super().__init__()
