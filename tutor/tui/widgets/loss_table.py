"""LossTable: the last rows of the metrics history, streaming while a loop trains."""

from __future__ import annotations

from textual.widgets import DataTable

from tutor.metrics import best_index, format_metric

SHOWN_ROWS = 15


class LossTable(DataTable):
    """Shows the last rows; the best row is marked ★ (and kept in view when it scrolls out)."""

    DEFAULT_CSS = """
    LossTable { height: 1fr; max-height: 19; min-height: 5; border: round $primary 40%; }
    """

    def on_mount(self) -> None:
        self.zebra_stripes = True
        self.border_title = "Metrics"

    def show(self, rows: list[dict[str, float]]) -> None:
        self.clear(columns=True)
        if not rows:
            return
        columns = list(rows[0])
        self.add_columns(*columns, "")
        best = best_index(rows)
        start = max(0, len(rows) - SHOWN_ROWS)
        shown = list(range(start, len(rows)))
        if best is not None and best < start:
            shown = [best, *shown[1:]]
        for i in shown:
            mark = "★ best" if i == best else ""
            self.add_row(*(format_metric(rows[i].get(c)) for c in columns), mark)
        self.border_subtitle = f"{len(rows)} rows"
        self.scroll_end(animate=False)  # once laid out: the newest rows are the news
