"""ConsoleInput: the console's Python input, with the learner's history.

Enter runs the code, unless it is an unfinished block (a line ending in ``:``, an
open bracket), which gets a new line as in IPython; ctrl+j (or shift+enter, where
the terminal tells it apart) always adds a line.  Up on the first line and down on
the last go through the history, keeping what was being typed.
"""

from __future__ import annotations

import codeop
import warnings

from textual import events
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widgets import TextArea

from tutor.tui.widgets.code_editor import CodeEditor

PLACEHOLDER = (
    "Python in the lesson's session. enter runs · ctrl+j new line · ↑↓ history · "
    "tab completes · F1 help · esc back"
)


def is_unfinished(code: str) -> bool:
    """Whether ``code`` is the start of a block or statement that needs more lines.
    Code Python cannot parse (``%pip``, ``!ls``, mistakes) counts as finished: the kernel
    runs it or says what is wrong."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return codeop.compile_command(code, symbol="exec") is None
    except (SyntaxError, ValueError, OverflowError):
        return False


class ConsoleInput(CodeEditor):
    """Where console code is typed; posts ``Submitted`` when enter runs it."""

    DEFAULT_CSS = """
    ConsoleInput { height: auto; min-height: 3; max-height: 12; }
    """

    class Submitted(Message):
        def __init__(self, code: str) -> None:
            self.code = code
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            language="python",
            soft_wrap=True,
            tab_behavior="indent",
            show_line_numbers=False,
            placeholder=PLACEHOLDER,
            id=id,
        )
        self.commands: list[str] = []
        """Earlier commands, oldest first (the app sets it from the progress file)."""
        self._browsing: int | None = None
        self._draft = ""
        self._was_empty = True

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Empty, the input is as tall as its placeholder, so that every key it names
        shows at any width (the text area itself would show its first line only)."""
        height = super().get_content_height(container, viewport, width)
        if self.text or not self.placeholder:
            return height
        return max(height, len(Content.from_text(self.placeholder).wrap(width)))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        empty = not self.text
        if empty != self._was_empty:  # the placeholder comes or goes: the height changes
            self._was_empty = empty
            self.refresh(layout=True)

    async def _on_key(self, event: events.Key) -> None:
        menu_open = self.menu is not None and self.menu.is_open
        if not menu_open and self._handle(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def _handle(self, key: str) -> bool:
        if key in ("ctrl+j", "shift+enter"):
            self.insert("\n")
            return True
        if key == "enter":
            row, column = self.cursor_location
            at_end = row == self.document.line_count - 1 and column == len(self.document[row])
            if at_end and is_unfinished(self.text):
                line = self.document[row]
                indent = line[: len(line) - len(line.lstrip())]
                self.insert("\n" + indent + ("    " if line.rstrip().endswith(":") else ""))
            elif self.text.strip():
                self.post_message(self.Submitted(self.text))
            return True
        if key == "up" and self.cursor_at_first_line:
            return self._browse(-1)
        if key == "down" and self.cursor_at_last_line:
            return self._browse(+1)
        return False

    def _browse(self, step: int) -> bool:
        """One command back (-1) or forward (+1) in the history; False at its ends."""
        if self._browsing is None:
            if step > 0 or not self.commands:
                return False
            self._draft, self._browsing = self.text, len(self.commands)
        index = self._browsing + step
        if index < 0:
            return True  # the oldest command stays
        self._browsing = index
        text = self.commands[index] if index < len(self.commands) else self._draft
        if index >= len(self.commands):
            self._browsing = None
        self.load_text(text)
        self.move_cursor(self.document.end if step > 0 else (0, len(self.document[0])))
        return True

    def clear_for_next(self) -> None:
        """The command ran: an empty input, and the history's end."""
        self._browsing, self._draft = None, ""
        self.load_text("")
