"""The wire between tutor and its kernel: every message key and payload, named once.

The kernel package (``tutor.kernel``) builds these payloads and the session
(``tutor.session.kernel``) reads them; both import the names from here.  Live
batches travel on ``MIME_TYPE`` in display messages; the run summary, the device
report and the inspection entries come back as JSON values of user expressions.

Payloads are TypedDicts, so building one is a keyword call that names its
fields, and the session returns the device report and the inspection entries
as they are.

Standard library only: this module is imported inside the kernel on start-up.
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict

MIME_TYPE: Final = "application/vnd.tutor.event+json"
"""The display MIME type that carries tutor's live batches."""

MATPLOTLIB_BACKEND: Final = "module://tutor.kernel.mpl_backend"
"""The kernel's ``MPLBACKEND``: figures become plots on ``MIME_TYPE`` (see that module)."""

SESSION_DIR_ENV: Final = "TUTOR_SESSION_DIR"
"""In the kernel: the session's private folder, removed when the session stops."""

RELAY_ENV: Final = "TUTOR_RELAY"
"""In a rank that ``run_distributed()`` started: the file rank 0's helpers append their
batches to, one JSON ``Batch`` a line, for the session to record as its own."""

RUN: Final = "run"
METRICS: Final = "metrics"
PLOTS: Final = "plots"
PROGRESS: Final = "progress"
"""The keys of a ``Batch`` and of a ``RunSummary``."""

MEMORY: Final = "memory"
"""The key of a ``RunSummary``'s accelerator memory figures."""

CUT_SHORT: Final = "cut_short"
"""The key of a ``RunSummary``'s packages whose import was cut short."""

RESULT: Final = "result"
"""The key of a ``RunSummary``'s result: the value of the cell's last expression."""

SEQ: Final = "seq"
"""The key of a plot's number within its run, which tells a plot already shown."""

KIND: Final = "kind"
"""The key that tells the inspection entries apart: tensor, parameter, module or optimizer."""

VALUE: Final = "value"
"""The key a user expression's JSON value travels under (IPython's JSON takes only dicts)."""

Row = dict[str, float]
"""One metrics row, as ``track(**values)`` recorded it."""


class MetricsPayload(TypedDict):
    """Rows of the run's history, the first of them at index ``start``."""

    start: int
    rows: list[Row]


class ProgressPayload(TypedDict):
    done: int
    total: int | None
    description: str


PlotKind = Literal["scatter", "line", "bar"]
"""How a series is drawn: points, a line through them, or a bar at each x."""


class _SeriesFields(TypedDict):
    label: str
    x: list[float]
    y: list[float]


class SeriesSpec(_SeriesFields, total=False):
    kind: PlotKind
    """Only where this series is drawn otherwise than its plot's ``kind`` says."""


class _PlotFields(TypedDict):
    kind: PlotKind
    """How the series are drawn, unless a series says otherwise."""
    title: str
    xlabel: str
    ylabel: str
    series: list[SeriesSpec]


class PlotSpec(_PlotFields, total=False):
    """A plot as drawn: every series capped at ``metrics.MAX_PLOT_POINTS``."""

    seq: int
    """Set by the kernel's recorder: the plot's number within its run."""


class _BatchFields(TypedDict):
    run: int


class Batch(_BatchFields, total=False):
    """What arrived since the last batch: new rows, new plots, the latest progress."""

    metrics: MetricsPayload
    plots: list[PlotSpec]
    progress: ProgressPayload


class ResultPayload(TypedDict):
    """A cell's result as a notebook shows it: ``Out[count]`` and its text/plain."""

    count: int
    text: str


class MemoryPayload(TypedDict):
    """The session's CUDA memory after a run: bytes in use and the most ever in use
    (``torch.cuda.memory_allocated`` and ``max_memory_allocated``)."""

    device: str
    allocated: int
    peak: int


class RunSummary(TypedDict):
    """The authoritative record of the last run, fetched after it ended."""

    run: int
    metrics: list[Row] | None
    plots: list[PlotSpec]
    progress: ProgressPayload | None
    result: ResultPayload | None
    memory: MemoryPayload | None
    """None where the session has not used CUDA."""
    cut_short: list[str]
    """Packages whose import the run stopped partway (``guard.cut_short_imports``): the
    session cannot import them again, so it must restart."""


class DeviceReport(TypedDict):
    """The torch version and the device the session uses, or why that device is missing."""

    ok: bool
    device: str | None
    torch_version: str | None
    error: str | None


class TensorSummary(TypedDict):
    """A tensor or a parameter: its shape, type, place, grad state and statistics.

    The statistics are None when they were not computed (empty, complex, meta or
    very large tensors) or, for min/max/mean, when no value is finite.
    """

    name: str
    kind: Literal["tensor", "parameter"]
    type: str
    shape: list[int]
    dtype: str
    device: str
    requires_grad: bool
    has_grad: bool
    bytes: int
    min: float | None
    max: float | None
    mean: float | None
    nan: int | None
    inf: int | None


class ModuleSummary(TypedDict):
    name: str
    kind: Literal["module"]
    type: str
    params: int
    device: str | None
    training: bool
    bytes: int


class OptimizerSummary(TypedDict):
    name: str
    kind: Literal["optimizer"]
    type: str
    lr: float | None
    params: int


Inspection = TensorSummary | ModuleSummary | OptimizerSummary
"""One entry of the inspector, told apart by its ``KIND``."""
