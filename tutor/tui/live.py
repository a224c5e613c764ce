"""What a running step sent since the last redraw: the app draws it ten times a second.

Output, metrics and progress arrive far faster than a terminal can show them;
``LiveRun`` keeps only what the next redraw needs (the newest output, the
whole history so far, the latest progress and plot) and says what changed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutor.protocol import PlotSpec
from tutor.session import Event, History, Metrics, Output, Plot
from tutor.session import Progress as ProgressEvent

if TYPE_CHECKING:
    from tutor.tui.widgets.session_panel import SessionPanel
    from tutor.tui.widgets.step_view import StepView

OUTPUT_PER_REDRAW = 20_000
"""At most this many characters of output reach the screen per redraw: code that prints
faster is shown by its latest output (the step's result keeps more)."""


@dataclass
class OutputTail:
    """The output that arrived since the last redraw, trimmed to its last characters."""

    chunks: deque[tuple[str, str]] = field(default_factory=deque)
    """(text, stream) in order."""
    size: int = 0
    skipped: int = 0

    def add(self, text: str, stream: str) -> None:
        self.chunks.append((text, stream))
        self.size += len(text)
        while self.size > OUTPUT_PER_REDRAW:
            oldest, oldest_stream = self.chunks.popleft()
            cut = min(len(oldest), self.size - OUTPUT_PER_REDRAW)
            if cut < len(oldest):
                self.chunks.appendleft((oldest[cut:], oldest_stream))
            self.size -= cut
            self.skipped += cut

    def take(self) -> tuple[int, list[tuple[str, str]]]:
        """How much was skipped, and the chunks with neighbours of one stream joined."""
        merged: list[tuple[str, str]] = []
        for text, stream in self.chunks:
            if merged and merged[-1][1] == stream:
                merged[-1] = (merged[-1][0] + text, stream)
            else:
                merged.append((text, stream))
        skipped = self.skipped
        self.chunks.clear()
        self.size = self.skipped = 0
        return skipped, merged


@dataclass
class LiveRun:
    """The live state of the step being run, fed by its session events."""

    rows: list[dict[str, float]] = field(default_factory=list)
    output: OutputTail = field(default_factory=OutputTail)
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
        if isinstance(event, Output):
            if not replay:  # a replay's output was seen when the step first ran
                self.output.add(event.text, event.stream)
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

    def draw(self, view: StepView, panel: SessionPanel) -> None:
        """Show what arrived since the last draw: output, progress, plot, loss table and curves."""
        view.keep_following()
        skipped, chunks = self.output.take()
        if skipped:
            view.write_notice(
                f"… {skipped:,} characters of output skipped: printed faster than a screen can show"
            )
        for text, stream in chunks:
            view.write_output(text, stream)
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
