"""PanelTable: a table of the session panel, its rows there to read, not to choose."""

from __future__ import annotations

from textual.widgets import DataTable


class PanelTable(DataTable):
    """A ``DataTable`` that leaves enter to the app: with one focused, enter runs the
    step, as the footer says, rather than select a row nothing uses."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return False
        return super().check_action(action, parameters)
