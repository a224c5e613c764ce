"""What a session reports while it runs code: small, frozen event records."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tutor.protocol import SEQ, PlotSpec, Row


class RunStatus(StrEnum):
    """How a run of code ended."""

    OK = "ok"
    ERROR = "error"
    """The code raised (SystemExit included)."""
    INTERRUPTED = "interrupted"
    """Stopped by ``interrupt()``; the namespace is kept."""
    TIMEOUT = "timeout"
    """Ran past its time limit and was interrupted (or, if it would not stop, killed)."""
    DEAD = "dead"
    """The session's process died; its state is gone."""


@dataclass(frozen=True)
class Output:
    """Text the code printed."""

    stream: str  # "stdout" or "stderr"
    text: str


@dataclass(frozen=True)
class Display:
    """A rich display (``display(...)``) as a MIME bundle.

    With ``update`` it replaces every earlier display with the same ``display_id``
    (``update_display_data``) rather than adding one.
    """

    data: dict[str, Any]
    display_id: str = ""
    update: bool = False


@dataclass(frozen=True)
class Result:
    """The value of a cell's last expression, as a notebook shows it under ``Out[count]``."""

    data: dict[str, Any]
    count: int


@dataclass(frozen=True)
class ClearOutput:
    """``clear_output()``: the run's output so far goes; with ``wait``, only once the next
    output arrives (so that a redrawn display does not flicker)."""

    wait: bool = False


@dataclass(frozen=True)
class Metrics:
    """Rows of the run's metrics history, starting at row index ``start``.

    Live metrics are for display and may skip rows under load; the ``History``
    event at the end of a run is the complete record.
    """

    start: int
    rows: list[Row]


@dataclass(frozen=True)
class History:
    """The complete metrics history recorded by a run, fetched after it ended."""

    rows: list[Row]


@dataclass(frozen=True)
class Plot:
    """Structured plot data: ``kind`` (scatter|line|bar), title, axis labels, series."""

    spec: PlotSpec

    @property
    def seq(self) -> int:
        return self.spec.get(SEQ, 0)


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` iterations of a loop wrapped in ``progress()``."""

    done: int
    total: int | None
    description: str = ""


@dataclass(frozen=True)
class Memory:
    """The session's CUDA memory after a run: bytes in use and the peak, on ``device``."""

    device: str
    allocated: int
    peak: int


@dataclass(frozen=True)
class Error:
    """An exception raised by the code."""

    type: str
    message: str
    traceback: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finished:
    """The run is over.  ``state_lost`` means the session's namespace is gone: the code
    killed it, or it would not stop and the session killed it.  A ``DEAD`` run always
    has it."""

    status: RunStatus
    duration_s: float
    reason: str = ""
    state_lost: bool = False
    restart_because: str = ""
    """Why the session stopped itself after a run that did not kill it (it would not
    stop, or it stopped an import partway), for the words that say it restarted."""


Event = (
    Output
    | Display
    | Result
    | ClearOutput
    | Metrics
    | History
    | Plot
    | Progress
    | Memory
    | Error
    | Finished
)
