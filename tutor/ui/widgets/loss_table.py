"""LossTable: the last rows of the metrics history, streaming while a loop trains."""

from __future__ import annotations

from textual.widgets import DataTable

SHOWN_ROWS = 15


def best_index(rows: list[dict[str, float]]) -> int | None:
    """The row with the lowest test loss (or the first loss column), if any."""
    if not rows:
        return None
    losses = [name for name in rows[0] if "loss" in name]
    column = next((c for c in losses if c.startswith("test")), losses[0] if losses else None)
    if column is None:
        return None
    return min(range(len(rows)), key=lambda i: rows[i].get(column, float("inf")))


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.5f}"


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
            self.add_row(*(_cell(rows[i].get(c)) for c in columns), mark)
        self.border_subtitle = f"{len(rows)} rows"
        self.scroll_end(animate=False, immediate=True)  # the newest rows are the news
