"""HelpScreen: every key of the app, from its bindings, and how to move and scroll."""

from __future__ import annotations

from typing import ClassVar

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

INTRO = """\
# tutor: keys

Each lesson is a list of steps. Read a step, run it, and watch the session panel:
the loss table and curves grow while a model trains, the Tensors tab shows what is
in your session. All steps share one Python session, like the cells of a notebook.
The footer shows the main keys that work now; this lists them all.
"""


def _table(rows: list[tuple[str, str]]) -> str:
    lines = "\n".join(f"| `{key}` | {description} |" for key, description in rows)
    return f"\n| key | what it does |\n|---|---|\n{lines}\n"


class HelpScreen(ModalScreen[None]):
    """A table of the app's keys, built from its bindings, then the keys that move the
    focus and scroll; any of escape, ?, q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 95%; height: 80%; background: $surface;
        border: round $primary; padding: 0 2;
    }
    """
    AUTO_FOCUS = "VerticalScroll"
    """The arrows and page keys scroll the help at once (the app's own AUTO_FOCUS names a
    widget this screen lacks)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close-help"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]], moving: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys
        self.moving = moving

    def compose(self) -> ComposeResult:
        text = (
            INTRO
            + _table(self.keys)
            + "\n## Moving around\n"
            + _table(self.moving)
            + "\nThe mouse wheel scrolls what is under the pointer. Press `escape` to close."
        )
        # One rich renderable, as for a step's prose: Textual's Markdown widget makes a
        # widget per block and per table cell, which made `?` take 0.3 s to answer.
        with VerticalScroll():
            yield Static(Markdown(text))
        yield Footer()  # this screen's keys, not those of the step beneath it
