"""PlotView: a plot spec from the session, drawn with plotext inside Textual."""

from __future__ import annotations

from rich.console import RenderableType
from textual_plotext import PlotextPlot

from tutor.metrics import decimate, loss_curves_spec, series_kind
from tutor.protocol import PlotSpec, Row
from tutor.render import TEXT_MARKERS, canvas_rows, integer_ticks, y_range_under_legend

LINE_POINTS_PER_COLUMN = 4
"""A braille line has two dots per column: four points a column lose nothing visible,
and drawing a 2,000-point curve costs plotext ten times as much as a 200-point one."""


class PlotView(PlotextPlot):
    """Draws the latest plot it was given; redraws are cheap with at most ~2,000 points.

    plotext draws its legend over the top rows of the plot, so the y range is made
    taller by those rows whenever the plot is drawn, at its size then: the legend never
    covers data.  Under ``NO_COLOR`` each series has its own marker, as in headless."""

    DEFAULT_CSS = """
    PlotView { height: 2fr; min-height: 8; }
    """

    _spec: PlotSpec | None = None

    def show(self, spec: PlotSpec) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self._spec = spec
        no_color = self.app.no_color
        for number, series in enumerate(spec["series"]):
            xs, ys = series["x"], series["y"]  # at most MAX_PLOT_POINTS, from the session
            kind = series_kind(spec, series)
            text_marker = TEXT_MARKERS[number % len(TEXT_MARKERS)]
            if kind == "line":  # plotext draws every segment: keep what the width can show
                xs, ys = decimate(xs, ys, limit=LINE_POINTS_PER_COLUMN * max(self.size.width, 40))
                marker = text_marker if no_color else "braille"
                plt.plot(xs, ys, label=series["label"], marker=marker)
            elif kind == "bar":
                marker = text_marker if no_color else "sd"
                plt.bar(xs, ys, label=series["label"], marker=marker, reset_ticks=False)
            else:
                marker = text_marker if no_color else "dot"
                plt.scatter(xs, ys, label=series["label"], marker=marker)
        plt.title(spec["title"])
        plt.xlabel(spec["xlabel"])
        plt.ylabel(spec["ylabel"])
        self.refresh()

    def render(self) -> RenderableType:
        spec = self._spec
        if spec is not None:
            xs = (x for series in spec["series"] for x in series["x"])
            if ticks := integer_ticks(xs, self.size.width):
                self.plt.xticks(ticks)
            if y_range := y_range_under_legend(spec, canvas_rows(self.size.height, spec)):
                self.plt.ylim(*y_range)
        return super().render()

    def show_history(self, rows: list[Row], x: str = "epoch") -> None:
        """Loss curves from a metrics history: every column against ``x``."""
        if rows:
            self.show(loss_curves_spec(rows, x=x))

    def clear_plot(self) -> None:
        self._spec = None
        self.plt.clear_data()
        self.plt.clear_figure()
        self.refresh()
