"""matplotlib figures turned into tutor's plot specs: pure functions over a figure.

Each axes with something drawable becomes one ``PlotSpec``, so a figure with
subplots gives several.  Lines (``plot``) become line series, or scatter series
when they have markers and no line (``plot(x, y, "o")``); ``scatter`` points
become scatter series; ``bar`` and ``hist`` become bar series, one for each
container.  A plot's ``kind`` is how most of its series are drawn, and a series
drawn otherwise carries its own ``kind``, so a scatter of the data under the
line of a fitted model stays both.

A label that starts with ``_`` is matplotlib's own (``_child0``, ``_nolegend_``)
and becomes no label.  What the terminal cannot draw (images, 3-D or polar
axes, pies, filled areas, reference lines, error bars) is left out and named in
``Conversion.skipped``.  Every series is capped at ``metrics.MAX_PLOT_POINTS``.

matplotlib is imported only here, and this module only once lesson code has
loaded matplotlib (through ``tutor.kernel.mpl_backend``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy
from matplotlib.axes import Axes
from matplotlib.collections import (
    LineCollection,
    PathCollection,
    PolyCollection,
    QuadMesh,
)
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Wedge

from tutor.metrics import decimate
from tutor.protocol import PlotKind, PlotSpec, SeriesSpec

NO_LINE = ("None", "none", "", " ")
"""The line styles (and markers) matplotlib takes for "none"."""


@dataclass(frozen=True)
class Conversion:
    """The plots a figure gives, and what in it the terminal cannot draw."""

    plots: list[PlotSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """What was left out, each named once, e.g. ``"an image (imshow)"``."""


def skipped_message(number: int | str, what: str) -> str:
    """The line that tells the learner what of figure ``number`` was left out."""
    return f"tutor: figure {number} has {what}, which the terminal cannot draw; it was skipped"


def figure_plots(figure: Figure) -> Conversion:
    """One plot for each axes of ``figure`` that has something drawable."""
    plots: list[PlotSpec] = []
    skipped: list[str] = []
    suptitle = figure.get_suptitle()
    for axes in figure.axes:
        if getattr(axes, "_colorbar", None) is not None:
            continue  # a colour bar goes with an image, which is named already
        spec, left_out = axes_plot(axes, default_title=suptitle)
        if spec is not None:
            plots.append(spec)
        skipped.extend(what for what in left_out if what not in skipped)
    return Conversion(plots=plots, skipped=skipped)


def axes_plot(axes: Axes, default_title: str = "") -> tuple[PlotSpec | None, list[str]]:
    """The plot one axes draws (None if nothing in it converts), and what was left out."""
    if axes.name != "rectilinear":
        return None, ["3-D axes" if axes.name == "3d" else f"{axes.name} axes"]
    drawn: list[tuple[int, PlotKind, SeriesSpec]] = []  # (order added, kind, series)
    skipped: list[str] = []
    order = {id(artist): index for index, artist in enumerate(axes.get_children())}

    def skip(what: str) -> None:
        if what not in skipped:
            skipped.append(what)

    in_containers: set[int] = set()
    container_labels: dict[int, str] = {}  # an error bar's data line has its container's label
    for container in axes.containers:
        if isinstance(container, BarContainer):
            in_containers.update(id(patch) for patch in container.patches)
            if getattr(container, "orientation", "vertical") == "horizontal":
                skip("horizontal bars (barh)")
            else:
                first = order.get(id(container.patches[0]), 0) if container.patches else 0
                drawn.append((first, "bar", _bar_series(container)))
        elif isinstance(container, ErrorbarContainer):
            data_line, caplines, barlinecols = container.lines
            in_containers.update(id(artist) for artist in (*caplines, *barlinecols))
            if data_line is not None:
                container_labels[id(data_line)] = _label(data_line) or _label(container)
            skip("error bars (errorbar)")
    for line in axes.lines:
        if id(line) in in_containers or not line.get_visible():
            continue
        if line.get_transform() != axes.transData:
            skip("a reference line (axhline, axvline)")
        elif (kind := _line_kind(line)) is not None:
            x, y = line.get_xdata(orig=False), line.get_ydata(orig=False)
            label = container_labels.get(id(line)) or _label(line)
            drawn.append((order[id(line)], kind, _series(label, x, y)))
    for collection in axes.collections:
        if id(collection) in in_containers or not collection.get_visible():
            continue
        if isinstance(collection, PathCollection):
            offsets = numpy.ma.filled(numpy.ma.asarray(collection.get_offsets(), float), numpy.nan)
            points = offsets.reshape(-1, 2)
            scatter = _series(_label(collection), points[:, 0], points[:, 1])
            drawn.append((order[id(collection)], "scatter", scatter))
        else:
            skip(_collection_name(collection))
    for patch in axes.patches:
        if id(patch) not in in_containers and patch.get_visible():
            skip("a pie chart (pie)" if isinstance(patch, Wedge) else _shape_name(patch))
    if axes.images:
        skip("an image (imshow)")
    if not drawn:
        return None, skipped
    drawn.sort(key=lambda item: item[0])
    series = [(kind, spec) for _, kind, spec in drawn]
    return _plot_spec(axes, series, default_title), skipped


def _plot_spec(
    axes: Axes, series: list[tuple[PlotKind, SeriesSpec]], default_title: str
) -> PlotSpec:
    """The spec: the most common kind is the plot's; other series carry their own."""
    kinds = Counter(kind for kind, _ in series)
    plot_kind = max(kinds, key=lambda kind: kinds[kind])  # ties: the first drawn
    for kind, spec in series:
        if kind != plot_kind:
            spec["kind"] = kind
    return PlotSpec(
        kind=plot_kind,
        title=axes.get_title() or default_title,
        xlabel=axes.get_xlabel(),
        ylabel=axes.get_ylabel(),
        series=[spec for _, spec in series],
    )


def _label(artist: Any) -> str:
    """The label a legend shows for ``artist``; matplotlib's own (``_``...) are none."""
    label = str(artist.get_label() or "")
    return "" if label.startswith("_") else label


def _line_kind(line: Line2D) -> PlotKind | None:
    """A line, points (markers and no line), or None for a line that draws nothing."""
    has_line = line.get_linestyle() not in NO_LINE
    has_markers = line.get_marker() not in (*NO_LINE, None)
    if has_line:
        return "line"
    return "scatter" if has_markers else None


def _bar_series(container: BarContainer) -> SeriesSpec:
    """A bar at the middle of each bar of ``container``; ``hist`` labels its first bar."""
    patches = container.patches
    x = [patch.get_x() + patch.get_width() / 2 for patch in patches]
    y = [patch.get_height() for patch in patches]
    label = _label(container) or (_label(patches[0]) if patches else "")
    return _series(label, x, y)


def _series(label: str, x: Any, y: Any) -> SeriesSpec:
    """A series of floats, capped at ``MAX_PLOT_POINTS``."""
    xs = numpy.asarray(numpy.ma.filled(numpy.ma.asarray(x, float), numpy.nan)).ravel()
    ys = numpy.asarray(numpy.ma.filled(numpy.ma.asarray(y, float), numpy.nan)).ravel()
    xs_shown, ys_shown = decimate(xs.tolist(), ys.tolist())
    return SeriesSpec(label=label, x=xs_shown, y=ys_shown)


def _collection_name(collection: Any) -> str:
    if isinstance(collection, QuadMesh):
        return "a colour mesh (pcolormesh)"
    if isinstance(collection, LineCollection):
        return "line segments (vlines, hlines)"
    if isinstance(collection, PolyCollection):
        return "a filled area (fill_between)"
    if isinstance(collection, ContourSet):
        return "contours (contour)"
    return f"a {type(collection).__name__}"


def _shape_name(patch: Any) -> str:
    return f"a {type(patch).__name__.lower()} shape"
