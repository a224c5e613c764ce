"""Helpers that live inside the lesson session (the IPython kernel).

Lesson code calls ``track()``, ``progress()`` and the plotting helpers; they
record structured data and send it to tutor in small batches on its own
display MIME type, apart from stdout.  The batches are for live display only:
after each run tutor fetches the authoritative record with ``run_summary()``,
so nothing is lost when the kernel's publish/subscribe channel drops messages.

Outside tutor (a plain Jupyter notebook or ``python script.py``) the same
helpers fall back to text.

This module must stay cheap to import: torch is imported only when lesson code
has already imported it.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tutor.metrics import decimate

MIME_TYPE = "application/vnd.tutor.event+json"
"""The display MIME type that carries tutor's structured events."""

FLUSH_INTERVAL_S = 0.05
"""At most one batch every 50 ms: about 20 messages a second."""

TEXT_MARKERS = ("•", "+", "x", "*")
"""Plots drawn as plain text tell their series apart by marker, not colour."""

STATS_MAX_ELEMENTS = 10_000_000
"""Tensors larger than this get no min/max/mean in the inspector (too slow)."""

MODELS_DIR = Path("models")
"""Where ``save_state_dict()`` writes, relative to the session's working directory."""

MODEL_SUFFIXES = (".pth", ".pt")
"""The endings PyTorch files have by convention; ``save_state_dict()`` takes no other."""

_HELPER_NAMES = (
    "track",
    "progress",
    "history",
    "plot",
    "plot_predictions",
    "plot_loss_curves",
    "tutor_device",
    "save_state_dict",
)


def _under_tutor() -> bool:
    return os.environ.get("TUTOR_KERNEL") == "1"


def _to_float(value: Any, name: str) -> float:
    """A number from a Python number, a NumPy scalar or a one-element tensor."""
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(
            f"track(): {name}={value!r} is not a number; pass a float such as loss.item()"
        ) from exc


def _as_list(values: Any, what: str) -> list[float]:
    """A flat list of floats, converted the way a plotting library would.

    Tensors go through ``numpy.asarray`` just as matplotlib would take them,
    so a tensor on a GPU or one that requires grad fails here with PyTorch's
    own message, and the learner meets the real mistake.
    """
    if hasattr(values, "__array__") or hasattr(values, "numpy"):
        import numpy

        return [float(v) for v in numpy.asarray(values).reshape(-1)]
    try:
        return [float(v) for v in values]
    except TypeError as exc:
        raise TypeError(
            f"{what} must be a sequence of numbers, not {type(values).__name__}"
        ) from exc


class _Recorder:
    """The state behind the helpers: run boundaries, histories, plots, batching."""

    def __init__(self) -> None:
        self.run_id = 0
        self.histories: list[list[dict[str, float]]] = []
        self.run_rows: list[dict[str, float]] | None = None
        self.run_plots: list[dict[str, Any]] = []
        self.run_progress: dict[str, Any] | None = None
        self.pending_rows: list[dict[str, float]] = []
        self.pending_start = 0
        self.pending_plots: list[dict[str, Any]] = []
        self.pending_progress: dict[str, Any] | None = None
        self.last_flush = 0.0
        self.text_display: Any = None

    # -- run boundaries -------------------------------------------------
    def start_run(self, *_args: Any) -> None:
        self.flush()
        self.run_id += 1
        self.run_rows = None
        self.run_plots = []
        self.run_progress = None
        self.text_display = None

    def end_run(self, *_args: Any) -> None:
        self.flush()

    # -- recording ------------------------------------------------------
    def add_row(self, row: dict[str, float]) -> None:
        if self.run_rows is None:
            self.run_rows = []
            self.histories.append(self.run_rows)
        if not self.pending_rows:
            self.pending_start = len(self.run_rows)
        self.run_rows.append(row)
        self.pending_rows.append(row)
        self.maybe_flush()

    def add_plot(self, spec: dict[str, Any]) -> None:
        """Keep and send the plot with every series capped at MAX_PLOT_POINTS."""
        spec = {**_display_plot(spec), "seq": len(self.run_plots)}
        self.run_plots.append(spec)
        self.pending_plots.append(spec)
        self.flush()

    def set_progress(self, done: int, total: int | None, description: str) -> None:
        self.run_progress = {"done": done, "total": total, "description": description}
        self.pending_progress = self.run_progress
        self.maybe_flush()

    # -- sending --------------------------------------------------------
    def maybe_flush(self) -> None:
        if time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        if not (self.pending_rows or self.pending_plots or self.pending_progress):
            return
        self.last_flush = time.monotonic()
        batch: dict[str, Any] = {"run": self.run_id}
        if self.pending_rows:
            batch["metrics"] = {"start": self.pending_start, "rows": self.pending_rows}
        if self.pending_plots:
            batch["plots"] = self.pending_plots
        if self.pending_progress:
            batch["progress"] = self.pending_progress
        self.pending_rows, self.pending_plots, self.pending_progress = [], [], None
        if _under_tutor():
            from IPython.display import publish_display_data

            publish_display_data({MIME_TYPE: batch})
        else:
            self._flush_as_text(batch)

    def _flush_as_text(self, batch: dict[str, Any]) -> None:
        """Outside tutor: a live text table of the history, and plots drawn as text."""
        if "metrics" in batch and self.run_rows:
            text = format_rows_as_text(self.run_rows)
            self._show_text(text)
        for spec in batch.get("plots", []):
            print(render_plot_text(spec))

    def _show_text(self, text: str) -> None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython else None
        if shell is None or not hasattr(shell, "kernel"):
            return  # a plain script: history() holds the rows
        from IPython.display import DisplayHandle, Pretty

        if self.text_display is None:
            self.text_display = DisplayHandle()
            self.text_display.display(Pretty(text))
        else:
            self.text_display.update(Pretty(text))

    def summary(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "metrics": self.run_rows,
            "plots": self.run_plots,
            "progress": self.run_progress,
        }


def _display_plot(spec: dict[str, Any]) -> dict[str, Any]:
    """The plot as drawn: every series capped at MAX_PLOT_POINTS (a terminal shows no more)."""
    series = []
    for s in spec["series"]:
        xs, ys = decimate(s["x"], s["y"])
        series.append({**s, "x": xs, "y": ys})
    return {**spec, "series": series}


_recorder = _Recorder()


class _Summary:
    """A value for ``user_expressions``: IPython formats it as application/json."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _repr_json_(self) -> dict[str, Any]:
        return self.data

    def __repr__(self) -> str:
        return "<tutor summary>"


# ---------------------------------------------------------------------------
# The helpers lesson code calls
# ---------------------------------------------------------------------------


def track(**metrics: Any) -> None:
    """Record one row of the current metrics history.

    Example: ``track(epoch=epoch, train_loss=loss.item(), test_loss=test_loss.item())``.
    Each run of a step that calls ``track`` starts a new history.
    """
    if not metrics:
        raise TypeError("track() needs at least one named value, e.g. track(epoch=0, loss=0.5)")
    # Plain floats (what loss.item() returns) skip the conversion: this runs every epoch.
    _recorder.add_row(
        {
            name: value if type(value) is float else _to_float(value, name)
            for name, value in metrics.items()
        }
    )


def history() -> list[dict[str, float]]:
    """The rows of the most recent metrics history (a copy)."""
    return [dict(row) for row in _recorder.histories[-1]] if _recorder.histories else []


def progress(
    iterable: Iterable[Any], total: int | None = None, description: str = ""
) -> Iterator[Any]:
    """Wrap a loop so tutor shows a progress bar: ``for epoch in progress(range(100)):``."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    done = 0
    _recorder.set_progress(done, total, description)
    for item in iterable:
        yield item
        done += 1
        _recorder.set_progress(done, total, description)
    _recorder.flush()


def plot(
    *series: tuple[str, Any, Any],
    kind: str = "scatter",
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
) -> None:
    """Draw series of ``(label, x, y)`` as a scatter or line plot."""
    if kind not in ("scatter", "line"):
        raise ValueError(f"plot(): kind must be 'scatter' or 'line', not {kind!r}")
    converted = []
    for label, xs, ys in series:
        x, y = _as_list(xs, f"x of {label!r}"), _as_list(ys, f"y of {label!r}")
        if len(x) != len(y):
            raise ValueError(f"plot(): {label!r} has {len(x)} x values but {len(y)} y values")
        converted.append({"label": str(label), "x": x, "y": y})
    _recorder.add_plot(
        {"kind": kind, "title": title, "xlabel": xlabel, "ylabel": ylabel, "series": converted}
    )


def plot_predictions(
    train_data: Any,
    train_labels: Any,
    test_data: Any,
    test_labels: Any,
    predictions: Any = None,
    title: str = "Data split",
) -> None:
    """Scatter the training data, the test data and, if given, predictions on the test data."""
    series = [("Training data", train_data, train_labels), ("Test data", test_data, test_labels)]
    if predictions is not None:
        series.append(("Predictions", test_data, predictions))
    plot(*series, kind="scatter", title=title, xlabel="X", ylabel="y")


def plot_loss_curves(
    rows: Sequence[Mapping[str, float]] | None = None,
    x: str = "epoch",
    title: str = "Loss curves",
) -> None:
    """Line plot of every column of a metrics history against ``x``.

    Without ``rows`` it uses the most recent history recorded with ``track()``.
    """
    rows = history() if rows is None else rows
    if not rows:
        raise ValueError("plot_loss_curves(): no metrics yet; record some with track() first")
    columns = [name for name in rows[0] if name != x]
    xs = [row[x] for row in rows] if x in rows[0] else list(range(len(rows)))
    series = [(name, xs, [row[name] for row in rows]) for name in columns]
    plot(*series, kind="line", title=title, xlabel=x, ylabel="loss")


def tutor_device() -> Any:
    """The device lessons should use: what ``--device`` asked for, else the best available.

    ``auto`` follows the current idiom: the accelerator (cuda, mps, xpu) if one is
    available, otherwise the CPU.
    """
    import torch

    requested = os.environ.get("TUTOR_DEVICE", "auto")
    if requested == "auto":
        if torch.accelerator.is_available():
            return torch.accelerator.current_accelerator()
        return torch.device("cpu")
    return torch.device(requested)


def save_state_dict(state_dict: Mapping[str, Any], name: str) -> Path:
    """Save a ``state_dict`` as ``models/<name>`` and return that path.

    It does what lesson 6 teaches: ``torch.save`` to a temporary file in
    ``models/``, then a rename onto the final name.  A save cut short (an error,
    Ctrl+C, a crash) leaves the previous file whole and no temporary file behind.
    ``name`` must be a bare file name ending in .pth or .pt, so nothing is
    written outside ``models/``.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"save_state_dict(): expected a state_dict, got {type(state_dict).__name__}; "
            "pass model.state_dict(), not the model"
        )
    path = _model_file(name)
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("xb") as handle:
            torch.save(state_dict, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _model_file(name: str) -> Path:
    """``models/<name>``, or a ValueError if ``name`` could lead outside ``models/``.

    ``name`` must be a bare file name: no folder part, not hidden, ending in
    .pth or .pt.  A link inside ``models/`` that points outside is refused too;
    ``models/`` itself may be a link (to keep models on another disk).
    """
    allowed = (
        "give a bare file name ending in .pth or .pt, such as 'model_0.pth' "
        "(no folder, no '/' or '\\', no '..'); the file goes in models/"
    )
    if not isinstance(name, str):
        raise TypeError(
            f"model file name {name!r} is a {type(name).__name__}, not a str: {allowed}"
        )
    if (
        not name
        or name.startswith(".")
        or any(character in name for character in "/\\:\0")
        or not name.endswith(MODEL_SUFFIXES)
    ):
        raise ValueError(f"model file name {name!r} is not allowed: {allowed}")
    path = MODELS_DIR / name
    target = path.resolve()
    if not target.is_relative_to(MODELS_DIR.resolve()):
        raise ValueError(
            f"model file name {name!r} is not allowed: {path} is a link to {target}, "
            "outside models/; remove the link or choose another name"
        )
    return path


# ---------------------------------------------------------------------------
# Text fallbacks (also used by tutor's headless report)
# ---------------------------------------------------------------------------


def format_rows_as_text(rows: Sequence[Mapping[str, float]], limit: int = 12) -> str:
    """A plain-text table of metrics rows; long histories keep their first and last rows."""
    if not rows:
        return ""
    columns = list(rows[0])
    shown = list(rows) if len(rows) <= limit else [*rows[: limit // 2], *rows[-(limit // 2) :]]
    cells = [[_format_number(row.get(c)) for c in columns] for row in shown]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    for index, row in enumerate(cells):
        if len(rows) > limit and index == limit // 2:
            lines.append(f"... {len(rows) - limit} more rows ...")
        lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def _format_number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.5g}"


def render_plot_text(spec: Mapping[str, Any], width: int = 70, height: int = 18) -> str:
    """Draw a plot spec with plotext and return it as plain text."""
    import plotext

    plotext.clear_figure()
    plotext.plotsize(width, height)
    plotext.theme("clear")
    draw = plotext.scatter if spec["kind"] == "scatter" else plotext.plot
    markers = TEXT_MARKERS * len(spec["series"])
    for s, marker in zip(spec["series"], markers[: len(spec["series"])], strict=True):
        draw(s["x"], s["y"], label=s["label"], marker=marker)  # plot() capped the series
    plotext.title(spec.get("title", ""))
    plotext.xlabel(spec.get("xlabel", ""))
    plotext.ylabel(spec.get("ylabel", ""))
    text = plotext.uncolorize(plotext.build())
    plotext.clear_figure()
    return text


# ---------------------------------------------------------------------------
# What tutor calls inside the kernel
# ---------------------------------------------------------------------------


def as_json(value: Any) -> _Summary:
    """Any JSON-able value, formatted for ``user_expressions`` as application/json.

    IPython's JSON formatter takes only dicts and lists, so the value travels
    as ``{"value": value}``.
    """
    return _Summary({"value": value})


def run_summary() -> dict[str, Any]:
    """The authoritative record of the last run: every metrics row, plot and progress."""
    return _recorder.summary()


def describe_device() -> dict[str, Any]:
    """The torch version and the device ``tutor_device()`` picks, or why it cannot."""
    try:
        import torch
    except ImportError as exc:
        return {"ok": False, "error": f"PyTorch is not installed here: {exc}"}
    requested = os.environ.get("TUTOR_DEVICE", "auto")
    error = device_unavailable_reason(requested)
    if error:
        return {"ok": False, "error": error, "torch_version": torch.__version__}
    device = tutor_device()
    if device.type != "cpu" and device.index is None:
        device = torch.device(device.type, torch.accelerator.current_device_index())
    return {"ok": True, "device": str(device), "torch_version": torch.__version__}


def device_unavailable_reason(requested: str) -> str | None:
    """None if ``requested`` can be used here, else a sentence saying why not."""
    import torch

    if requested in ("auto", "cpu"):
        return None
    checks = {
        "cuda": lambda: torch.cuda.is_available(),
        "mps": lambda: torch.backends.mps.is_available(),
    }
    kind = requested.split(":")[0]
    if kind not in checks:
        return f"unknown device {requested!r}: use auto, cpu, cuda or mps"
    if not checks[kind]():
        build = torch.__version__
        return (
            f"device {requested!r} is not available: this PyTorch ({build}) sees no "
            f"{kind.upper()} device. Use --device cpu or --device auto."
        )
    return None


def inspect_namespace(namespace: Mapping[str, Any], hidden: Iterable[str] = ()) -> list[dict]:
    """Summaries of the tensors, modules (with their parameters) and optimizers in a namespace."""
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    hidden = set(hidden)
    entries: list[dict] = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in hidden:
            continue
        if isinstance(value, torch.Tensor):
            entries.append(summarize_tensor(name, value))
        elif isinstance(value, torch.nn.Module):
            entries.append(_summarize_module(name, value))
            for pname, param in list(value.named_parameters())[:20]:
                entries.append(summarize_tensor(f"{name}.{pname}", param))
        elif isinstance(value, torch.optim.Optimizer):
            groups = value.param_groups
            entries.append(
                {
                    "name": name,
                    "kind": "optimizer",
                    "type": type(value).__name__,
                    "lr": groups[0].get("lr") if groups else None,
                    "params": sum(len(g["params"]) for g in groups),
                }
            )
    return entries


def summarize_tensor(name: str, t: Any) -> dict[str, Any]:
    """Shape, dtype, device, grad state, min/max/mean, NaN/Inf count and size of a tensor."""
    import torch

    entry: dict[str, Any] = {
        "name": name,
        "kind": "parameter" if isinstance(t, torch.nn.Parameter) else "tensor",
        "type": type(t).__name__,
        "shape": list(t.shape),
        "dtype": str(t.dtype).removeprefix("torch."),
        "device": str(t.device),
        "requires_grad": bool(t.requires_grad),
        "has_grad": t.grad is not None if t.is_leaf else False,
        "bytes": t.element_size() * t.nelement(),
        "min": None,
        "max": None,
        "mean": None,
        "nan": None,
        "inf": None,
    }
    if 0 < t.numel() <= STATS_MAX_ELEMENTS and not t.is_complex() and t.device.type != "meta":
        with torch.no_grad():
            data = t.detach()
            if data.dtype == torch.bool:
                data = data.to(torch.uint8)
            as_float = data.to(torch.float64) if data.device.type == "cpu" else data.float()
            finite = torch.isfinite(as_float)
            entry["nan"] = int(torch.isnan(as_float).sum().item())
            entry["inf"] = int(torch.isinf(as_float).sum().item())
            if bool(finite.any()):
                values = as_float[finite]
                entry["min"] = float(values.min().item())
                entry["max"] = float(values.max().item())
                entry["mean"] = float(values.mean().item())
    return entry


def _summarize_module(name: str, module: Any) -> dict[str, Any]:
    params = list(module.parameters())
    return {
        "name": name,
        "kind": "module",
        "type": type(module).__name__,
        "params": sum(p.numel() for p in params),
        "device": str(params[0].device) if params else None,
        "training": bool(module.training),
        "bytes": sum(p.element_size() * p.nelement() for p in params),
    }


def namespace_summary() -> list[dict]:
    """``inspect_namespace`` over the session's own namespace."""
    from IPython import get_ipython

    shell = get_ipython()
    return inspect_namespace(shell.user_ns, shell.user_ns_hidden)


class _SessionGuard:
    """Notices when a step changes what every later step relies on.

    The working directory is put back (lessons find ``models/`` through it);
    a changed default dtype or device is reported, since undoing it silently
    would hide what the code did.  A restart clears both.
    """

    def __init__(self) -> None:
        self.cwd = os.getcwd()
        self.reported: dict[str, str] = {}

    def after_run(self, *_args: Any) -> None:
        try:
            cwd = os.getcwd()
        except OSError:  # the directory itself was removed
            cwd = ""
        if cwd != self.cwd:
            os.chdir(self.cwd)
            print(
                f"tutor: the code changed the working directory to {cwd or '(removed)'}; "
                f"tutor changed it back to {self.cwd} so later steps find their files.",
                file=sys.stderr,
            )
        torch = sys.modules.get("torch")
        if torch is None:
            return
        defaults = {
            "dtype": str(torch.get_default_dtype()),
            "device": str(torch.get_default_device()),
        }
        usual = {"dtype": "torch.float32", "device": "cpu"}
        for what, value in defaults.items():
            if value != usual[what] and self.reported.get(what) != value:
                print(
                    f"tutor: the code set torch's default {what} to {value}; every later "
                    f"step will use it. Restart the session to go back to {usual[what]}.",
                    file=sys.stderr,
                )
            self.reported[what] = value


def install(shell: Any) -> None:
    """Set up a tutor session: pre-import the helpers and hook the run boundaries."""
    helpers = {name: globals()[name] for name in _HELPER_NAMES}
    helpers["__tutor__"] = sys.modules[__name__]
    shell.push(helpers, interactive=False)
    shell.events.register("pre_run_cell", _recorder.start_run)
    shell.events.register("post_run_cell", _recorder.end_run)
    shell.events.register("post_run_cell", _SessionGuard().after_run)


def _hook_notebook() -> None:
    """In a plain Jupyter kernel, mark run boundaries as tutor's session does."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and not _under_tutor():
        shell.events.register("pre_run_cell", _recorder.start_run)
        shell.events.register("post_run_cell", _recorder.end_run)


_hook_notebook()
