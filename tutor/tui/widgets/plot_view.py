"""PlotView: a plot spec from the session, drawn with plotext inside Textual."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from tutor.metrics import decimate, loss_curves_spec, series_kind
from tutor.protocol import PlotSpec, Row

LINE_POINTS_PER_COLUMN = 4
"""A braille line has two dots per column: four points a column lose nothing visible,
and drawing a 2,000-point curve costs plotext ten times as much as a 200-point one."""


class PlotView(PlotextPlot):
    """Draws the latest plot it was given; redraws are cheap with at most ~2,000 points."""

    DEFAULT_CSS = """
    PlotView { height: 2fr; min-height: 8; }
    """

    def show(self, spec: PlotSpec) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        for series in spec["series"]:
            xs, ys = series["x"], series["y"]  # at most MAX_PLOT_POINTS, from the session
            kind = series_kind(spec, series)
            if kind == "line":  # plotext draws every segment: keep what the width can show
                xs, ys = decimate(xs, ys, limit=LINE_POINTS_PER_COLUMN * max(self.size.width, 40))
                plt.plot(xs, ys, label=series["label"], marker="braille")
            elif kind == "bar":
                plt.bar(xs, ys, label=series["label"], reset_ticks=False)
            else:
                plt.scatter(xs, ys, label=series["label"], marker="dot")
        plt.title(spec["title"])
        plt.xlabel(spec["xlabel"])
        plt.ylabel(spec["ylabel"])
        self.refresh()

    def show_history(self, rows: list[Row], x: str = "epoch") -> None:
        """Loss curves from a metrics history: every column against ``x``."""
        if rows:
            self.show(loss_curves_spec(rows, x=x))

    def clear_plot(self) -> None:
        self.plt.clear_data()
        self.plt.clear_figure()
        self.refresh()
