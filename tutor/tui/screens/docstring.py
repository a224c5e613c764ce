"""DocstringScreen: the signature and docstring of a name, as the session tells it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class DocstringScreen(ModalScreen[None]):
    """IPython's ``name?`` for the name at the cursor; escape or F1 closes it."""

    DEFAULT_CSS = """
    DocstringScreen { align: center middle; }
    DocstringScreen > VerticalScroll {
        width: 90; max-width: 95%; height: auto; max-height: 80%; background: $surface;
        border: round $primary; border-title-color: $text; padding: 0 1;
    }
    """
    AUTO_FOCUS = "VerticalScroll"
    """The arrows and page keys scroll a long docstring at once."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close-docstring"),
        Binding("f1", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, name: str, text: str) -> None:
        super().__init__()
        self.title_text = name
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self.title_text
            scroll.border_subtitle = "escape closes"
            yield Static(Text(self.text.rstrip()))
