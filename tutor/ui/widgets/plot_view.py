"""PlotView: a plot spec from the session, drawn with plotext inside Textual."""

from __future__ import annotations

import math
from typing import Any

from textual_plotext import PlotextPlot

MAX_POINTS = 2000


def _decimate(values: list[float], limit: int) -> list[float]:
    step = max(1, math.ceil(len(values) / limit))
    return values[::step]


class PlotView(PlotextPlot):
    """Draws the latest plot it was given; redraws are cheap with at most ~2,000 points."""

    DEFAULT_CSS = """
    PlotView { height: 2fr; min-height: 8; }
    """

    def show(self, spec: dict[str, Any]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        draw = plt.scatter if spec.get("kind") == "scatter" else plt.plot
        for series in spec.get("series", []):
            draw(
                _decimate(list(series["x"]), MAX_POINTS),
                _decimate(list(series["y"]), MAX_POINTS),
                label=series["label"],
                marker="braille" if spec.get("kind") == "line" else "dot",
            )
        plt.title(spec.get("title", ""))
        plt.xlabel(spec.get("xlabel", ""))
        plt.ylabel(spec.get("ylabel", ""))
        self.refresh()

    def show_history(self, rows: list[dict[str, float]], x: str = "epoch") -> None:
        """Loss curves from a metrics history: every column against ``x``."""
        if not rows:
            return
        xs = [row.get(x, i) for i, row in enumerate(rows)]
        series = [
            {"label": name, "x": xs, "y": [row.get(name, math.nan) for row in rows]}
            for name in rows[0]
            if name != x
        ]
        self.show(
            {"kind": "line", "title": "Loss curves", "xlabel": x, "ylabel": "", "series": series}
        )

    def clear_plot(self) -> None:
        self.plt.clear_data()
        self.plt.clear_figure()
        self.refresh()
