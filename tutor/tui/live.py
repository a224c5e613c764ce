"""What a running step sent since the last redraw: the app draws it ten times a second.

Output, metrics and progress arrive far faster than a terminal can show them;
``LiveRun`` keeps only what the next redraw needs (the newest output, the
whole history so far, the latest progress and plot) and says what changed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from rich.text import Text

from tutor.output import Line, Transcript
from tutor.protocol import PlotSpec
from tutor.session import ClearOutput, Display, Event, History, Metrics, Output, Plot, Result
from tutor.session import Progress as ProgressEvent

if TYPE_CHECKING:
    from tutor.tui.widgets.session_panel import SessionPanel


class OutputView(Protocol):
    """Where a run's output is drawn: the step view, or the console."""

    def keep_following(self) -> None: ...

    def write_notice(self, text: str) -> None: ...

    def write_lines(self, lines: Iterable[Line]) -> None: ...

    def rewrite_output(self, lines: Iterable[Line]) -> None: ...

    def show_current_line(self, text: str, stream: str) -> None: ...


OUTPUT_STYLES = {"stderr": "red", "notice": "dim italic", "hint": "yellow"}
"""How output of each kind is drawn; what the code printed keeps its own colours."""


def output_text(text: str, kind: str) -> Text:
    """A line of output as the step view and the console draw it: its own colours kept
    (parsing them only where there are any)."""
    style = OUTPUT_STYLES.get(kind, "")
    return Text.from_ansi(text, style=style) if "\x1b" in text else Text(text, style=style)


OUTPUT_LINES = 2000
"""The step view keeps a run's last lines of output."""

OUTPUT_PER_REDRAW = 20_000
"""At most this many characters of output reach the screen per redraw: code that prints
faster is shown by its latest output (the step's result keeps more)."""


@dataclass
class OutputTail:
    """The output that arrived since the last redraw, in order, its stream text trimmed to
    the last ``OUTPUT_PER_REDRAW`` characters (results and displays are always kept)."""

    events: deque[Event] = field(default_factory=deque)
    size: int = 0
    skipped: int = 0

    def add(self, event: Event) -> None:
        self.events.append(event)
        if not isinstance(event, Output):
            return
        self.size += len(event.text)
        while self.size > OUTPUT_PER_REDRAW:
            oldest = next(e for e in self.events if isinstance(e, Output))
            cut = min(len(oldest.text), self.size - OUTPUT_PER_REDRAW)
            index = self.events.index(oldest)
            if cut < len(oldest.text):
                self.events[index] = Output(oldest.stream, oldest.text[cut:])
            else:
                del self.events[index]
            self.size -= cut
            self.skipped += cut

    def take(self) -> tuple[int, list[Event]]:
        """How much was skipped, and the events with neighbours of one stream joined."""
        merged: list[Event] = []
        for event in self.events:
            last = merged[-1] if merged else None
            if (
                isinstance(event, Output)
                and isinstance(last, Output)
                and last.stream == event.stream
            ):
                merged[-1] = Output(event.stream, last.text + event.text)
            else:
                merged.append(event)
        skipped = self.skipped
        self.events.clear()
        self.size = self.skipped = 0
        return skipped, merged


@dataclass
class LiveRun:
    """The live state of the step being run, fed by its session events."""

    rows: list[dict[str, float]] = field(default_factory=list)
    output: OutputTail = field(default_factory=OutputTail)
    transcript: Transcript = field(default_factory=lambda: Transcript(keep_lines=OUTPUT_LINES))
    """The step's output as a notebook shows it, its last lines."""
    drawn: tuple[int, int] = (0, 0)
    """(revision, lines finished) of the transcript as last drawn."""
    rows_changed: bool = False
    progress: tuple[int, int | None] | None = None
    plot: PlotSpec | None = None
    """The newest plot not drawn yet."""
    plot_wants_tab: bool = False
    """The Plot tab should come forward for it (not during replays)."""
    announced: bool = False
    """The Training tab was brought forward for this step's metrics (once, so the
    learner can switch to another tab while the loop goes on)."""

    def add(self, event: Event, *, replay: bool = False) -> None:
        if isinstance(event, Output | Display | Result | ClearOutput):
            if not replay:  # a replay's output was seen when the step first ran
                self.output.add(event)
        elif isinstance(event, Metrics):
            del self.rows[event.start :]
            self.rows.extend(event.rows)
            self.rows_changed = True
        elif isinstance(event, History):
            self.rows = list(event.rows)
            self.rows_changed = True
        elif isinstance(event, ProgressEvent):
            self.progress = (event.done, event.total)
        elif isinstance(event, Plot) and (event.spec["kind"] != "line" or not self.rows):
            # Loss curves drawn from a history the Training tab already shows stay there.
            self.plot = event.spec
            self.plot_wants_tab = self.plot_wants_tab or not replay

    def draw(self, view: OutputView, panel: SessionPanel, *, final: bool = False) -> None:
        """Show what arrived since the last draw: output, progress, plot, loss table and
        curves.  ``final``: the run is over, and its unfinished line with it."""
        view.keep_following()
        self._draw_output(view, final)
        if self.progress is not None:
            panel.show_progress(*self.progress)
            self.progress = None
        if self.plot is not None:
            panel.show_plot(self.plot)
            if self.plot_wants_tab:
                panel.show_tab("plot")
            self.plot, self.plot_wants_tab = None, False
        if not self.rows_changed:
            return
        self.rows_changed = False
        with panel.app.batch_update():
            panel.show_metrics(self.rows)
            if not self.announced:
                self.announced = True
                panel.show_tab("training")

    def _draw_output(self, view: OutputView, final: bool) -> None:
        skipped, events = self.output.take()
        if skipped:
            view.write_notice(
                f"… {skipped:,} characters of output skipped: printed faster than a screen can show"
            )
        transcript = self.transcript
        for event in events:
            transcript.add(event)
        if final:
            transcript.end_line()
        revision, finished = self.drawn
        if transcript.revision != revision:
            view.rewrite_output(transcript.lines)
        elif transcript.finished > finished:
            new = min(transcript.finished - finished, len(transcript.lines))
            view.write_lines(list(transcript.lines)[-new:] if new else [])
        view.show_current_line(transcript.current_line, transcript.stream)
        self.drawn = (transcript.revision, transcript.finished)
