"""LossTable: the last rows of the metrics history, streaming while a loop trains."""

from __future__ import annotations

from textual.widgets import DataTable

from tutor.metrics import best_index
from tutor.protocol import Row
from tutor.render import RowGap, format_metric, select_rows

SHOWN_ROWS = 15


class LossTable(DataTable):
    """Shows the last rows; the best row is marked ★ and, once it scrolls out, pinned on top."""

    DEFAULT_CSS = """
    LossTable { height: 1fr; max-height: 19; min-height: 5; border: round $primary 40%; }
    """

    def on_mount(self) -> None:
        self.zebra_stripes = True
        self.border_title = "Metrics"

    def show(self, rows: list[Row]) -> None:
        self.clear(columns=True)
        self.fixed_rows = 0
        if not rows:
            return
        columns = list(rows[0])
        self.add_columns(*columns, "")
        best = best_index(rows)
        selected = select_rows(len(rows), SHOWN_ROWS, best=best, head=0)
        if isinstance(selected[0], RowGap):
            selected = selected[1:]  # the rows above the newest: "N rows" says how many
        for item in selected:
            if isinstance(item, RowGap):
                self.add_row(*["…"] * len(columns), "")
            else:
                mark = "★ best" if item == best else ""
                self.add_row(*(format_metric(rows[item].get(c)) for c in columns), mark)
        if len(selected) > 1 and isinstance(selected[1], RowGap):
            self.fixed_rows = 1  # the best row, pinned: it stays in view as the table scrolls
        self.border_subtitle = f"{len(rows)} rows"
        self.scroll_end(animate=False)  # once laid out: the newest rows are the news
