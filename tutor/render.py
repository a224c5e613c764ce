"""Text renderers shared by the kernel's text fallback, headless and the app.

Pure functions: numbers, which rows of a long history to show, a history as a
text table, a plot spec drawn as text.  No Textual and no torch; plotext is
imported only when a plot is drawn.  The kernel imports this module, so it
must stay cheap to import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tutor.metrics import best_index, series_kind
from tutor.protocol import PlotSpec

TEXT_MARKERS = ("•", "+", "x", "*")
"""Plots drawn as plain text tell their series apart by marker, not colour."""


def format_metric(value: float | None) -> str:
    """A metrics value: whole numbers (epochs) as integers, others to 5 significant digits.

    Significant digits rather than decimals, so a loss of 3e-06 does not read as 0.
    """
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.5g}"


def format_bytes(count: int | None) -> str:
    """A size in bytes, as the inspector and the top bar show it: ``512 B``, ``1.5 KB``."""
    if count is None:
        return ""
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def format_stat(value: float | None) -> str:
    """A tensor statistic (min, max, mean) for the inspector: 4 significant digits."""
    return "" if value is None else f"{value:.4g}"


@dataclass(frozen=True)
class RowGap:
    """Rows of a history left out of a shortened table."""

    skipped: int


def select_rows(
    count: int, limit: int, *, best: int | None = None, head: int | None = None
) -> list[int | RowGap]:
    """Which rows of a ``count``-row history a table of about ``limit`` rows shows, in order.

    A short history shows every row.  A long one shows its first ``head`` rows
    (half the table unless given) and its last rows, with ``RowGap`` where rows
    are left out.  The newest row is always shown, and so is ``best``: when it
    falls in the gap it takes the place of the oldest of the last rows.
    """
    if limit < 2:
        raise ValueError(f"a table of {limit} row(s) cannot show both the best and newest rows")
    if count <= limit:
        return list(range(count))
    head = limit // 2 if head is None else min(head, limit - 1)
    tail_start = count - (limit - head)
    shown = [*range(head), *range(tail_start, count)]
    if best is not None and best not in shown:
        shown.remove(tail_start if tail_start < count - 1 else head - 1)
        shown = sorted([*shown, best])
    selected: list[int | RowGap] = []
    previous = -1
    for index in shown:
        if index > previous + 1:
            selected.append(RowGap(index - previous - 1))
        selected.append(index)
        previous = index
    return selected


def metrics_text(rows: Sequence[Mapping[str, float]], limit: int = 12) -> str:
    """A plain-text table of metrics rows; long histories keep their first, best and last rows."""
    if not rows:
        return ""
    columns = list(rows[0])
    selected = select_rows(len(rows), limit, best=best_index(rows))
    cells = {
        index: [format_metric(rows[index].get(c)) for c in columns]
        for index in selected
        if isinstance(index, int)
    }
    widths = [max(len(c), *(len(r[i]) for r in cells.values())) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    for item in selected:
        if isinstance(item, RowGap):
            lines.append(f"... {item.skipped} more rows ...")
        else:
            lines.append("  ".join(v.rjust(w) for v, w in zip(cells[item], widths, strict=True)))
    return "\n".join(lines)


TICKS_COLUMNS = 14
"""About one x tick label every this many columns."""


def integer_ticks(values: Iterable[float], width: int) -> list[int] | None:
    """Whole-number x ticks (epochs, counts) for a plot ``width`` columns wide: steps of 1,
    2, 2.5 or 5 times a power of ten, inside the values' range.  None when some value is
    not a whole number (or all are one), and plotext's own ticks are the right ones."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite or any(not float(v).is_integer() for v in finite):
        return None
    low, high = int(min(finite)), int(max(finite))
    if low == high:
        return None
    wanted = max(2, min(6, width // TICKS_COLUMNS))
    power = 10 ** max(0, math.floor(math.log10((high - low) / (wanted - 1))) - 1)
    steps = {round(m * power * scale) for m in (1, 2, 2.5, 5) for scale in (1, 10, 100)}
    steps = {step for step in steps if step >= 1 and (high - low) // step >= 1}

    def miss(step: int) -> tuple[int, int]:  # how far from the wanted count; then more
        return abs((high - low) // step + 1 - wanted), step

    step = min(steps, key=miss)
    first = math.ceil(low / step) * step
    return list(range(first, high + 1, step))


def canvas_rows(height: int, spec: PlotSpec) -> int:
    """The rows of plotext's canvas in a plot ``height`` rows tall: less the frame, the
    x tick labels, the title and the axis labels' line."""
    title = 1 if spec["title"] else 0
    labels = 1 if spec["xlabel"] or spec["ylabel"] else 0
    return height - 3 - title - labels


def y_range_under_legend(spec: PlotSpec, rows: int) -> tuple[float, float] | None:
    """A y range whose data stays under plotext's legend, which is drawn over the top
    rows of the canvas (one per labelled series): the range grows upward by those rows.
    None when there is no legend, no finite data or no room."""
    legend = sum(1 for series in spec["series"] if series["label"])
    ys = [y for series in spec["series"] for y in series["y"] if math.isfinite(y)]
    if not legend or not ys or rows <= legend + 2:
        return None
    low, high = min(ys), max(ys)
    if spec["kind"] == "bar":
        low = min(low, 0.0)
    span = (high - low) or abs(high) or 1.0
    return low, low + span * rows / (rows - legend)


def plot_text(spec: PlotSpec, width: int = 70, height: int = 18) -> str:
    """Draw a plot spec with plotext and return it as plain text: each series with its
    own marker (``TEXT_MARKERS``), the legend clear of the data, whole numbers on an
    axis of whole numbers."""
    import plotext

    plotext.clear_figure()
    plotext.plotsize(width, height)
    plotext.theme("clear")
    markers = TEXT_MARKERS * len(spec["series"])
    for series, marker in zip(spec["series"], markers, strict=False):
        xs, ys, label = series["x"], series["y"], series["label"]
        kind = series_kind(spec, series)
        if kind == "bar":  # numbered ticks, as for the other kinds, not one per bar
            plotext.bar(xs, ys, label=label, marker=marker, reset_ticks=False)
        else:
            draw = plotext.plot if kind == "line" else plotext.scatter
            draw(xs, ys, label=label, marker=marker)
    plotext.title(spec["title"])
    plotext.xlabel(spec["xlabel"])
    plotext.ylabel(spec["ylabel"])
    if ticks := integer_ticks((x for s in spec["series"] for x in s["x"]), width):
        plotext.xticks(ticks)
    if y_range := y_range_under_legend(spec, canvas_rows(height, spec)):
        plotext.ylim(*y_range)
    text = plotext.uncolorize(plotext.build())
    plotext.clear_figure()
    return text
