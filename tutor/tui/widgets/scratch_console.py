"""ScratchConsole: Python typed into the lesson's session, outside any step.

What a command shows comes as a step's does (the app's ``LiveRun`` draws its
output here ten times a second through the same methods as the step view's):
output, ``Out[n]: …``, displays, a ``\\r`` line rewritten in place.  Its
transcript, newest last, is kept while the console is closed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tutor.output import Line
from tutor.tui.live import output_text
from tutor.tui.widgets.console_input import ConsoleInput
from tutor.tui.widgets.wrapping_log import WrappingLog

KEPT_LINES = 2000
"""The console's transcript keeps its last lines."""


class ScratchConsole(Vertical):
    """A transcript of commands and what they showed, above the input."""

    DEFAULT_CSS = """
    ScratchConsole {
        width: 45%; min-width: 40; height: 1fr;
        border: round $primary 40%; border-title-color: $text;
    }
    ScratchConsole:focus-within { border: round $primary; }
    ScratchConsole #console-log { height: 1fr; padding: 0 1; }
    ScratchConsole #console-line { height: auto; padding: 0 1; }
    ScratchConsole #console-line.hidden { display: none; }
    ScratchConsole ConsoleInput { border: none; border-top: hkey $primary 40%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Console"
        self.border_subtitle = "esc: back to the step"
        self._before: deque[Text] = deque(maxlen=KEPT_LINES)
        """What earlier commands showed (a display update redraws the latest command's)."""
        self._cell: deque[Text] = deque(maxlen=KEPT_LINES)
        self._echo: list[Text] = []
        """The latest command, as it shows above its output."""

    def compose(self) -> ComposeResult:
        yield WrappingLog(id="console-log", max_lines=KEPT_LINES)
        yield Static(id="console-line", classes="hidden")
        yield ConsoleInput(id="console-input")

    @property
    def input(self) -> ConsoleInput:
        return self.query_one(ConsoleInput)

    def _write(self, *renderables: Text) -> None:
        """Add lines to the transcript, as one write: a loop printing thousands of lines
        a second sends that many per redraw."""
        if not renderables:
            return
        self._cell.extend(renderables)
        joined = Text("\n").join(renderables) if len(renderables) > 1 else renderables[0]
        self.query_one(WrappingLog).add(joined)

    def begin(self, code: str) -> None:
        """A command starts: it shows, as typed, above what it prints."""
        self._before.extend(self._cell)
        self._cell.clear()
        code = code.rstrip()
        syntax = Syntax(code, "python", theme="ansi_dark", background_color="default")
        self._echo = [
            Text.assemble(Text("... " if number else ">>> ", style="bold"), line)
            for number, line in enumerate(syntax.highlight(code).split("\n"))
        ]
        self._write(*self._echo)

    def write_notice(self, text: str, kind: str = "notice") -> None:
        """A line of tutor's own (a traceback, a hint, a notice)."""
        self._write(output_text(text.rstrip("\n"), kind))

    # The step view's drawing methods, which ``LiveRun`` calls.
    def keep_following(self) -> None:
        """The transcript always shows its end (RichLog scrolls as it grows)."""

    def write_lines(self, lines: Iterable[Line]) -> None:
        self._write(*(output_text(line.text, line.kind) for line in lines))

    def rewrite_output(self, lines: Iterable[Line]) -> None:
        """The command's output changed (a clear, a display updated): its lines again."""
        log = self.query_one(WrappingLog)
        log.clear()
        self._cell.clear()
        if self._before:
            log.add(Text("\n").join(self._before))
        self._write(*self._echo)
        self.write_lines(lines)

    def show_current_line(self, text: str, stream: str) -> None:
        current = self.query_one("#console-line", Static)
        current.set_class(not text, "hidden")
        if text:
            current.update(output_text(text, stream))
