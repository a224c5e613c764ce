"""The shared Python session that lesson code runs in."""

from tutor.session.base import KernelState, Session, SessionBusy, SessionError
from tutor.session.events import (
    Display,
    Error,
    Event,
    Finished,
    History,
    Metrics,
    Output,
    Plot,
    Progress,
    RunStatus,
)
from tutor.session.kernel import KernelSession

__all__ = [
    "Display",
    "Error",
    "Event",
    "Finished",
    "History",
    "KernelSession",
    "KernelState",
    "Metrics",
    "Output",
    "Plot",
    "Progress",
    "RunStatus",
    "Session",
    "SessionBusy",
    "SessionError",
]
