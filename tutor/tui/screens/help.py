"""HelpScreen: every key of the app, from its bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = """\
# tutor: keys

Each lesson is a list of steps. Read a step, run it, and watch the session panel:
the loss table and curves grow while a model trains, the Tensors tab shows what is
in your session. All steps share one Python session, like the cells of a notebook.
"""


class HelpScreen(ModalScreen[None]):
    """A table of the app's keys, built from its bindings; any of escape, ?, q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 95%; height: 80%; background: $surface;
        border: round $primary; padding: 0 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close-help"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"| `{key}` | {description} |" for key, description in self.keys)
        table = f"\n| key | what it does |\n|---|---|\n{rows}\n"
        # One rich renderable, as for a step's prose: Textual's Markdown widget makes a
        # widget per block and per table cell, which made `?` take 0.3 s to answer.
        with VerticalScroll():
            yield Static(Markdown(INTRO + table + "\nPress `escape` to close."))
