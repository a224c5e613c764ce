"""The helpers lesson code calls: ``track``, ``progress``, ``history``, the plots, the device.

They record into ``recorder.current``; outside tutor they fall back to text.
torch is imported only by ``tutor_device``, which lesson code calls once it
uses torch itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from tutor.kernel import recorder
from tutor.metrics import decimate, loss_curves_spec
from tutor.protocol import PlotSpec, Row, SeriesSpec


def _to_float(value: Any, name: str, caller: str = "track") -> float:
    """A number from a Python number, a NumPy scalar or a one-element tensor."""
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(
            f"{caller}(): {name}={value!r} is not a number; pass a float such as loss.item()"
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


def track(**metrics: Any) -> None:
    """Record one row of the current metrics history.

    Example: ``track(epoch=epoch, train_loss=loss.item(), test_loss=test_loss.item())``.
    Each run of a step that calls ``track`` starts a new history.
    """
    if not metrics:
        raise TypeError("track() needs at least one named value, e.g. track(epoch=0, loss=0.5)")
    # This runs every epoch. The keyword dict is this call's own, so it becomes the
    # row; plain floats (what loss.item() returns) need no conversion.
    for name, value in metrics.items():
        if type(value) is not float:
            metrics[name] = _to_float(value, name)
    recorder.current.add_row(metrics)


def history() -> list[Row]:
    """The rows of the most recent metrics history (a copy)."""
    return [dict(row) for row in recorder.current.last_history or []]


def progress(
    iterable: Iterable[Any], total: int | None = None, description: str = ""
) -> Iterator[Any]:
    """Wrap a loop so tutor shows a progress bar: ``for epoch in progress(range(100)):``."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    done = 0
    recorder.current.set_progress(done, total, description)
    for item in iterable:
        yield item
        done += 1
        recorder.current.set_progress(done, total, description)
    recorder.current.flush()


def plot(
    *series: tuple[str, Any, Any],
    kind: Literal["scatter", "line"] = "scatter",
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
        x, y = decimate(x, y)  # a terminal shows no more points
        converted.append(SeriesSpec(label=str(label), x=x, y=y))
    recorder.current.add_plot(
        PlotSpec(kind=kind, title=title, xlabel=xlabel, ylabel=ylabel, series=converted)
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
    numbers = [
        {name: _to_float(value, name, "plot_loss_curves") for name, value in row.items()}
        for row in rows
    ]
    recorder.current.add_plot(loss_curves_spec(numbers, x=x, title=title))


def run_distributed(
    script: str | os.PathLike[str], nproc: int | None = None, args: Sequence[str] = ()
) -> None:
    """Run ``script`` on ``nproc`` processes with torchrun, on this machine only.

    Each rank's output shows in the step, prefixed ``[rank N]``; rank 0's
    ``track()`` rows and ``progress()`` show in the live table and bar, and are
    the session's ``history()`` afterwards.  Returns when every rank has
    finished.  A rank that raises fails the step with that rank's exception and
    traceback; an interrupt (ctrl+c, ``--timeout``) stops every rank.
    ``nproc`` defaults to one process per GPU where the session uses CUDA,
    else 2.  ``OMP_NUM_THREADS`` is 1 unless it is set.
    """
    from tutor.kernel.distributed import launch

    launch(script, nproc, args)


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
