"""Text renderers shared by the kernel's text fallback, headless and the app.

Pure functions: numbers, which rows of a long history to show, a history as a
text table, a plot spec drawn as text.  No Textual and no torch; plotext is
imported only when a plot is drawn.  The kernel imports this module, so it
must stay cheap to import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def plot_text(spec: PlotSpec, width: int = 70, height: int = 18) -> str:
    """Draw a plot spec with plotext and return it as plain text."""
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
    text = plotext.uncolorize(plotext.build())
    plotext.clear_figure()
    return text
