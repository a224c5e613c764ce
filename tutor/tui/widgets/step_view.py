"""StepView: the current step's prose, code, exercise editor and output."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.markdown import Markdown
from rich.measure import Measurement
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Collapsible, Static

from tutor.lessons import BlockKind, Lesson
from tutor.output import Line
from tutor.runner import StepResult, StepStatus
from tutor.tui.live import output_text
from tutor.tui.widgets.code_editor import CodeEditor
from tutor.tui.widgets.wrapping_log import WrappingLog

MAX_OUTPUT_LINES = 2000

CONTINUATION = "  ↪ "
"""Starts each wrapped part of a code line, after the line's own indentation: the
code reads as a hanging indent, and the arrow says no new line of code starts here."""

_BREAK = re.compile(r"(?<=[\s,])(?=\S)|(?P<weak>(?<=[(\[{=])(?=[^\s=)\]}])|(?<=\w)(?=\.))")
"""Where a code line may wrap: best after a space or a comma; else after an opening
bracket or ``=``, or before the dot of an attribute (``torch|.optim``)."""


def wrap_code_line(line: Text, width: int) -> list[Text]:
    """One line of code in pieces of at most ``width`` cells.  Each wrapped piece starts
    at the line's own indentation with ``CONTINUATION``.  A piece ends at the last space
    or comma that fits, unless that leaves half its room empty; then at any break that
    ``_BREAK`` allows; inside a name only when the name alone is wider than the room."""
    plain = line.plain
    if cell_len(plain) <= width:
        return [line]
    indent = len(plain) - len(plain.lstrip(" "))
    prefix = " " * indent + CONTINUATION
    if width - cell_len(prefix) < 16:  # a deep indent in a narrow view: room first
        prefix = CONTINUATION.lstrip()
    breaks = [(m.start(), m["weak"] is None) for m in _BREAK.finditer(plain) if m.start() > indent]
    pieces: list[Text] = []
    start, room = 0, width
    while cell_len(plain[start:].rstrip()) > room:
        fitting = [
            (end, strong)
            for end, strong in breaks
            if start < end and cell_len(plain[start:end].rstrip()) <= room
        ]
        full = [end for end, strong in fitting if strong and end - start > room / 2]
        end = full[-1] if full else fitting[-1][0] if fitting else start + max(room, 1)
        piece = line[start:end]
        piece.rstrip()
        pieces.append(piece)
        start, room = end, width - cell_len(prefix)
    pieces.append(line[start:])
    marker = Text(prefix, style="dim")
    return [pieces[0], *(Text.assemble(marker, piece) for piece in pieces[1:])]


class CodeLines:
    """Python code, highlighted or plain, drawn to the width it is given: lines that do
    not fit wrap with a hanging indent (``wrap_code_line``) rather than back to the
    first column, so the code's structure stays visible in a narrow view."""

    def __init__(self, code: str, *, highlight: bool = True, heading: str = "") -> None:
        self.heading = heading
        """A bold line above the code ("Solution."), or none."""
        code = code.rstrip().expandtabs(4)
        self.code = code
        """The code drawn, as given but for trailing space and tabs."""
        if highlight:
            syntax = Syntax(code, "python", theme="ansi_dark", background_color="default")
            text = syntax.highlight(code)
            text.rstrip()
        else:
            text = Text(code)
        self.lines = text.split("\n", allow_blank=True)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        width = options.max_width
        if self.heading:
            yield Text(self.heading, style="bold", end="\n")
        for line in self.lines:
            for piece in wrap_code_line(line, width):
                piece.no_wrap, piece.end = True, "\n"
                yield piece

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((line.cell_len for line in self.lines), default=0)
        return Measurement(min(widest, 20), widest).clamp(max_width=options.max_width)


def _highlighting_is_warm() -> bool:
    """Whether pygments has built its Python lexer, which takes tens of milliseconds the
    first time; until then code shows plain, and is highlighted a frame later."""
    from pygments.lexers.python import PythonLexer

    return "_tokens" in vars(PythonLexer)


class StepView(VerticalScroll):
    """Everything about one step; the app calls its methods, it posts nothing."""

    DEFAULT_CSS = """
    StepView { height: 1fr; padding: 0 1; }
    StepView #lesson-intro { margin-bottom: 1; padding: 0 0 1 0; border-bottom: hkey $primary 40%; }
    StepView #step-title { text-style: bold; color: $accent; margin-bottom: 1; }
    StepView #prose { margin: 0; padding: 0; }
    StepView .code { background: $surface; padding: 0 1; margin: 1 0 0 0; }
    StepView #exercise { height: auto; min-height: 6; max-height: 24; margin-top: 1; }
    StepView #solution {
        background: $surface; padding: 0 1; margin-top: 1; border-left: thick $success;
    }
    StepView #hint { margin-top: 1; padding: 0 1; border-left: thick $warning; }
    StepView #result { margin-top: 1; }
    StepView #output-box { height: auto; margin-top: 1; border: round $primary 40%; }
    StepView #output { height: auto; max-height: 28; }
    StepView #output-line { height: auto; }
    StepView .hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._following = False
        """A run is on: keep the end (output, verdict, hint) in view."""
        self._followed_to: float | None = None
        """Where following last scrolled to; the learner scrolling above it stops it."""

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-intro", classes="hidden")
        yield Static(id="step-title")
        yield Static(id="prose")
        yield Static(id="code", classes="code")
        # The exercise editor (#exercise) is made when the first exercise shows.
        with Collapsible(title="Checks", collapsed=True, id="checks"):
            yield Static(id="checks-code", classes="code")
        yield Static(id="solution", classes="hidden")
        # As in a notebook: what the code printed, then the verdict and the hint.  The
        # line being written (which a \r may still rewrite) shows under the finished ones.
        with Vertical(id="output-box", classes="hidden"):
            yield WrappingLog(id="output", max_lines=MAX_OUTPUT_LINES)
            yield Static(id="output-line", classes="hidden")
        yield Static(id="result")
        yield Static(id="hint", classes="hidden")

    async def show_step(
        self, lesson: Lesson, index: int, exercise_code: str | None, done: bool
    ) -> None:
        step = lesson.steps[index]
        intro = self.query_one("#lesson-intro", Static)
        first = index == 0 and bool(lesson.intro)
        intro.update(Markdown(f"# {lesson.title}\n\n{lesson.intro}") if first else "")
        intro.set_class(not first, "hidden")
        mark = " ✓" if done else ""
        self.query_one("#step-title", Static).update(
            f"Step {index + 1}/{len(lesson.steps)} · {step.title}{mark}"
        )
        self.query_one("#prose", Static).update(Markdown(step.prose or ""))
        code = "\n\n".join(b.text.rstrip() for b in step.of_kind(BlockKind.CODE))
        checks = "\n\n".join(b.text.rstrip() for b in step.checks)
        warm = _highlighting_is_warm()
        self._show_code(code, checks, highlight=warm)
        if not warm:
            self.call_after_refresh(self._show_code, code, checks, highlight=True)
        if step.exercise is not None and not self.query("#exercise"):
            await self.mount(
                CodeEditor.code_editor("", language="python", id="exercise"), before="#checks"
            )
        for editor in self.query("#exercise").results(CodeEditor):
            editor.set_class(step.exercise is None, "hidden")
            if step.exercise is not None:
                editor.load_text(exercise_code if exercise_code is not None else step.exercise.text)
        self.query_one("#checks", Collapsible).set_class(not checks, "hidden")
        self.query_one("#solution", Static).set_class(True, "hidden")
        self.query_one("#hint", Static).set_class(True, "hidden")
        self.query_one("#result", Static).update("")
        self.clear_output()
        self._following = False
        self.scroll_home(animate=False, immediate=True)

    def _show_code(self, code: str, checks: str, *, highlight: bool) -> None:
        if not self.is_attached:  # removed before the highlighted version was due
            return
        code_view = self.query_one("#code", Static)
        code_view.update(CodeLines(code, highlight=highlight) if code else "")
        code_view.set_class(not code, "hidden")
        checks_view = self.query_one("#checks-code", Static)
        checks_view.update(CodeLines(checks, highlight=highlight) if checks else "")

    @property
    def editor(self) -> CodeEditor:
        """The exercise editor: there once an exercise step has been shown."""
        return self.query_one("#exercise", CodeEditor)

    def clear_output(self) -> None:
        self.query_one("#output", WrappingLog).clear()
        self.query_one("#output-line", Static).set_class(True, "hidden")
        self.query_one("#output-box").set_class(True, "hidden")

    def follow_run(self) -> None:
        """Keep the end in view while a run adds output and its verdict, until the
        learner scrolls up to read."""
        self._following, self._followed_to = True, None
        self.keep_following()

    def keep_following(self) -> None:
        """Once laid out, scroll to the end if following.  The app calls this on every
        redraw (after a run's output and verdict change, their layout can settle a frame
        later), so nothing that adds to the step needs to.

        (Not Textual's anchor(): it leaves a negative scroll offset once the content
        is shorter than the view, as it is when a replay's status clears.)"""
        if not self._following:
            return

        def scroll() -> None:
            if not (self._following and self.is_attached):
                return
            reached = self._followed_to
            if reached is not None and self.scroll_y < min(reached, self.max_scroll_y) - 1:
                self._following = False  # the learner scrolled away: leave them there
                return
            self.scroll_end(animate=False, immediate=True)
            self._followed_to = self.max_scroll_y

        self.call_after_refresh(scroll)

    def _stop_following(self) -> None:
        self._following = False

    # The learner scrolling up, by key, wheel or scrollbar, stops the following at once.
    # (Going by the scroll position alone raced the animated scroll of `home`.)
    def action_scroll_up(self) -> None:
        self._stop_following()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._stop_following()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._stop_following()
        super().action_scroll_home()

    def on_mouse_scroll_up(self) -> None:
        self._stop_following()

    def on_scroll_up(self) -> None:
        self._stop_following()

    def on_scroll_to(self) -> None:
        self._stop_following()

    def write_output(self, text: str, stream: str = "stdout") -> None:
        """Text of tutor's own (a traceback, a notice) after the output so far."""
        self._log().add(output_text(text.rstrip("\n"), stream))

    def write_lines(self, lines: Iterable[Line]) -> None:
        """Finished lines of the run's output, after those shown: one write for them all
        (a write per line stalled the screen for a loop printing thousands a second)."""
        texts = [output_text(line.text, line.kind) for line in lines]
        if texts:
            self._log().add(Text("\n").join(texts))

    def show_last_output(self, text: str) -> None:
        """What the step printed when it last ran (its last lines), as a run shows it."""
        lines = text.splitlines()[-MAX_OUTPUT_LINES:]
        self.write_lines(Line(line, "stdout") for line in lines)

    def rewrite_output(self, lines: Iterable[Line]) -> None:
        """Output shown earlier changed (a clear, a display updated): all of it again."""
        self._log().clear()
        self.write_lines(lines)

    def show_current_line(self, text: str, stream: str) -> None:
        """The line being written, as it shows now; none once it is finished."""
        current = self.query_one("#output-line", Static)
        current.set_class(not text, "hidden")
        if text:
            self.query_one("#output-box").set_class(False, "hidden")
            current.update(output_text(text, stream))

    def _log(self) -> WrappingLog:
        self.query_one("#output-box").set_class(False, "hidden")
        return self.query_one("#output", WrappingLog)

    def write_notice(self, text: str) -> None:
        """A line of tutor's own in the output, set apart from what the code printed."""
        self.write_output(text, "notice")

    def show_status(self, text: str) -> None:
        self.query_one("#result", Static).update(text)

    async def show_hint(self, text: str) -> None:
        hint = self.query_one("#hint", Static)
        # On a line of its own: a hint may start with a list or a code block.
        hint.update(Markdown("**Hint.**\n\n" + text))
        # A run's hint comes at its end, which is followed.
        self._reveal(hint, scroll=not self._following)

    def hide_hint(self) -> None:
        """A new run starts, or the session restarted: the last run's hint no longer applies."""
        self.query_one("#hint", Static).set_class(True, "hidden")

    def show_solution(self, code: str) -> None:
        solution = self.query_one("#solution", Static)
        solution.update(CodeLines(code, heading="Solution."))  # as the hint says "Hint."
        self._reveal(solution)

    def _reveal(self, widget: Static, *, scroll: bool = True) -> None:
        """Show a hidden part of the step and, once it is laid out, scroll it into view.
        (Until the next layout a part shown before keeps the place it had then, so
        scrolling at once would go there, or nowhere.)"""
        widget.set_class(False, "hidden")
        if scroll:
            self.call_after_refresh(widget.scroll_visible)

    async def show_result(self, result: StepResult, *, replayed: bool = False) -> None:
        """✓ and the time, or the error, its traceback and the hint; ``replayed``: the
        run was a replay's."""
        when = " when replayed" if replayed else ""
        if result.status is StepStatus.PASSED:
            self.show_status(f"[$success]✓ passed[/] in {result.duration_s:.2f}s{when}")
            return
        error = result.error
        assert error is not None
        title = "Check failed" if error.type == "CheckFailed" else error.type
        self.show_status(f"[$error]✗ {title}{when}:[/] {Text(error.message).markup}")
        if error.traceback and error.type != "CheckFailed":
            self.write_output(error.traceback, "stderr")
        if result.hint:
            await self.show_hint(result.hint)
