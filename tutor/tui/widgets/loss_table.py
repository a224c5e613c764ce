"""LossTable: the newest rows of the metrics history, streaming while a loop trains."""

from __future__ import annotations

from textual.events import Resize

from tutor.metrics import best_index
from tutor.protocol import Row
from tutor.render import RowGap, format_metric, select_rows
from tutor.tui.widgets.panel_table import PanelTable

SHOWN_ROWS = 15
"""The most history rows the table shows, however tall it is."""


class LossTable(PanelTable):
    """As many of the newest rows as fit; the best row is marked ★ and, when it is older
    than those, shown on top of them, so it never scrolls out of view."""

    DEFAULT_CSS = """
    LossTable { height: 1fr; max-height: 19; min-height: 8; border: round $primary 40%; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[Row] = []

    def on_mount(self) -> None:
        self.zebra_stripes = True
        self.border_title = "Metrics"

    def _room(self) -> int:
        """How many history rows fit under the header now (SHOWN_ROWS before layout)."""
        height = self.scrollable_content_region.height - self.header_height
        return SHOWN_ROWS if height <= 0 else max(2, min(SHOWN_ROWS, height))

    def show(self, rows: list[Row]) -> None:
        self._rows = rows
        self.clear(columns=True)
        if not rows:
            return
        columns = list(rows[0])
        self.add_columns(*columns, "")
        best = best_index(rows)
        for item in self._selected(len(rows), best):
            if isinstance(item, RowGap):
                self.add_row(*["…"] * len(columns), "")
            else:
                mark = "★ best" if item == best else ""
                self.add_row(*(format_metric(rows[item].get(c)) for c in columns), mark)
        self.border_subtitle = f"{len(rows)} rows"
        self.scroll_end(animate=False)  # once laid out: the newest rows are the news

    def _selected(self, count: int, best: int | None) -> list[int | RowGap]:
        """The rows to show, newest last, in the room there is: with the best row and
        the gap after it taking two of the places when the best is older."""
        room = self._room()
        for limit in (room, max(room - 1, 2)):
            selected = select_rows(count, limit, best=best, head=0)
            if isinstance(selected[0], RowGap):
                selected = selected[1:]  # the rows above the newest: "N rows" says how many
            if len(selected) <= room:
                break
        return selected

    def on_resize(self, event: Resize) -> None:
        if self._rows:
            self.show(self._rows)
