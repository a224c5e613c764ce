"""The shared Python session that lesson code runs in."""

from tutor.session.base import (
    QUERY_TIMEOUT_S,
    Completion,
    CompletionItem,
    KernelState,
    Session,
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


def __getattr__(name: str) -> object:
    """``KernelSession`` is imported on first use: jupyter_client costs start-up time."""
    if name == "KernelSession":
        from tutor.session.kernel import KernelSession

        return KernelSession
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "QUERY_TIMEOUT_S",
    "ClearOutput",
    "Completion",
    "CompletionItem",
    "Display",
    "Error",
    "Event",
    "Finished",
    "History",
    "KernelSession",
    "KernelState",
    "Memory",
    "Metrics",
    "Output",
    "Plot",
    "Progress",
    "Result",
    "RunStatus",
    "Session",
    "SessionBusy",
    "SessionError",
]
