"""Small pure helpers for metrics histories and plot series, shared by the
kernel's helpers, the headless report and the app."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from tutor.protocol import PlotKind, PlotSpec, SeriesSpec

MAX_PLOT_POINTS = 2000
"""Series longer than this are thinned before drawing: a terminal shows no more,
and plotext's cost grows with the points (118 ms for 20,000)."""


def decimate(
    xs: list[float], ys: list[float], limit: int = MAX_PLOT_POINTS
) -> tuple[list[float], list[float]]:
    """Every k-th point of a series, so that at most about ``limit`` remain."""
    if len(xs) <= limit:
        return xs, ys
    step = math.ceil(len(xs) / limit)
    return xs[::step], ys[::step]


def series_kind(spec: PlotSpec, series: SeriesSpec) -> PlotKind:
    """How one series of a plot is drawn: its own kind, else the plot's."""
    return series.get("kind", spec["kind"])


def best_loss_column(rows: Sequence[Mapping[str, float]]) -> str | None:
    """The column that says which row is best: a test loss if there is one, else any loss."""
    losses = [name for name in rows[0] if "loss" in name] if rows else []
    return next((c for c in losses if c.startswith("test")), losses[0] if losses else None)


def best_index(rows: Sequence[Mapping[str, float]]) -> int | None:
    """The row with the lowest value in ``best_loss_column``, if there is such a column."""
    column = best_loss_column(rows)
    if column is None:
        return None
    return min(range(len(rows)), key=lambda i: rows[i].get(column, math.inf))


def loss_curves_spec(
    rows: Sequence[Mapping[str, float]], x: str = "epoch", title: str = "Loss curves"
) -> PlotSpec:
    """A line plot of every column of a metrics history against column ``x``.

    Without an ``x`` column the rows are numbered; a value missing from a row is NaN.
    Every series is capped at ``MAX_PLOT_POINTS``.
    """
    xs = [row.get(x, index) for index, row in enumerate(rows)]
    columns = [name for name in rows[0] if name != x] if rows else []
    series = []
    for name in columns:
        xs_shown, ys = decimate(xs, [row.get(name, math.nan) for row in rows])
        series.append(SeriesSpec(label=name, x=xs_shown, y=ys))
    return PlotSpec(kind="line", title=title, xlabel=x, ylabel="loss", series=series)
