"""CompletionMenu: the kernel's completions, in a dropdown under a code editor's cursor."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Offset
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.session import CompletionItem

SHOWN_AT_MOST = 200
"""More matches than this are cut: typing a letter or two more narrows them."""
MAX_HEIGHT = 10
"""Lines, its border included; more matches scroll."""
BORDER_ROWS = 2


class CompletionMenu(OptionList):
    """Matches with their kinds; the editor that owns it moves the highlight and reads the
    choice (it never takes the focus, so typing goes on in the editor)."""

    DEFAULT_CSS = f"""
    CompletionMenu {{
        overlay: screen;
        position: absolute;
        constrain: inside inside;
        width: auto;
        min-width: 20;
        max-width: 60;
        height: auto;
        max-height: {MAX_HEIGHT};
        border: round $primary;
        background: $surface;
        padding: 0;
    }}
    CompletionMenu.hidden {{ display: none; }}
    """

    can_focus = False

    def __init__(self) -> None:
        super().__init__(classes="hidden")
        self.items: tuple[CompletionItem, ...] = ()

    def open(self, items: tuple[CompletionItem, ...], at: Offset, screen_height: int) -> None:
        """Show ``items`` from column ``at.x``: on the lines under line ``at.y`` (the line
        being typed), or over it where the screen has too few lines left below, so that
        the menu never covers what is typed (a console's input is at the screen's foot)."""
        self.items = items[:SHOWN_AT_MOST]
        self.clear_options()
        self.add_options(Option(self._prompt(item)) for item in self.items)
        self.highlighted = 0
        rows = min(len(self.items), MAX_HEIGHT - BORDER_ROWS) + BORDER_ROWS
        below, above = screen_height - (at.y + 1), at.y
        y = at.y + 1 if rows <= below or below >= above else max(at.y - rows, 0)
        self.styles.offset = (at.x, y)
        self.remove_class("hidden")

    @staticmethod
    def _prompt(item: CompletionItem) -> Text:
        prompt = Text(item.text)
        if item.type:
            prompt.append(f"  {item.type}", style="dim")
        return prompt

    def close(self) -> None:
        self.add_class("hidden")
        self.items = ()

    @property
    def is_open(self) -> bool:
        return not self.has_class("hidden")

    @property
    def chosen(self) -> CompletionItem | None:
        if not self.is_open or self.highlighted is None:
            return None
        return self.items[self.highlighted]
