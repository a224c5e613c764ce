"""SessionPanel: live views of the session (metrics, plots, tensors).

The tabs are built just after the first frame, so the learner reads the lesson
while they (and plotext) load; updates that arrive before then wait in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static, TabbedContent, TabPane

from tutor.protocol import Inspection, PlotSpec, Row
from tutor.tui.widgets.loss_table import LossTable
from tutor.tui.widgets.tensor_inspector import TensorInspector

if TYPE_CHECKING:
    from tutor.tui.widgets.plot_view import PlotView

NO_TRAINING = (
    "Nothing has trained yet.\n\n"
    "When a step's loop calls [b]track(epoch=…, train_loss=…)[/b], its losses stream "
    "into a table and curves here while it runs."
)
NO_PLOT = (
    "No plot yet.\n\n"
    "Steps that call [b]plot_predictions(…)[/b] draw the data and the model's guesses here."
)

NO_TENSORS = (
    "No tensors yet.\n\n"
    "Once a step has run, the tensors and models in your session are listed here: shape, "
    "dtype, device, and the smallest, largest and mean values."
)


class SessionPanel(Vertical):
    """Tabs: Training (progress, loss table, loss curves), Plot, Tensors."""

    DEFAULT_CSS = """
    SessionPanel { width: 45%; min-width: 40; border-left: solid $primary 40%; }
    SessionPanel ProgressBar { margin: 0 1; }
    SessionPanel .empty { color: $text-muted; padding: 1 2; }
    SessionPanel .hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._compose_tabs = False
        self._pending: list[Callable[[], None]] | None = []
        """Updates that arrived before the tabs were built, in order; None once built."""

    def compose(self) -> ComposeResult:
        if not self._compose_tabs:
            return
        from tutor.tui.widgets.plot_view import PlotView  # plotext: after the first frame

        with TabbedContent(id="session-tabs", initial="training"):
            with TabPane("Training", id="training"):
                yield ProgressBar(id="progress", show_eta=False, classes="hidden")
                yield Static(NO_TRAINING, id="no-training", classes="empty")
                yield LossTable(id="loss-table", classes="hidden")
                yield PlotView(id="loss-plot", classes="hidden")
            with TabPane("Plot", id="plot"):
                yield Static(NO_PLOT, id="no-plot", classes="empty")
                yield PlotView(id="data-plot", classes="hidden")
            with TabPane("Tensors", id="tensors"):
                yield Static(NO_TENSORS, id="no-tensors", classes="empty")
                yield TensorInspector(id="inspector", classes="hidden")

    def on_mount(self) -> None:
        self.call_after_refresh(self._build)

    async def _build(self) -> None:
        self._compose_tabs = True
        await self.recompose()
        pending, self._pending = self._pending or [], None
        for update in pending:
            update()

    def _when_built(self, update: Callable[[], None]) -> None:
        if self._pending is None:
            update()
        else:
            self._pending.append(update)

    def _plot(self, plot_id: str) -> PlotView:
        return cast("PlotView", self.query_one(f"#{plot_id}"))

    def _reveal(self, empty: str, *shown: str, filled: bool = True) -> None:
        self.query_one(f"#{empty}").set_class(filled, "hidden")
        for selector in shown:
            self.query_one(f"#{selector}").set_class(not filled, "hidden")

    # -- what the app calls ---------------------------------------------------
    def show_tab(self, tab: str) -> None:
        self._when_built(lambda: setattr(self.query_one(TabbedContent), "active", tab))

    def show_progress(self, done: int, total: int | None) -> None:
        def update() -> None:
            bar = self.query_one("#progress", ProgressBar)
            bar.set_class(False, "hidden")
            bar.update(total=total, progress=done)

        self._when_built(update)

    def hide_progress(self) -> None:
        """No progress bar: the step it was for is not the lesson shown."""
        self._when_built(lambda: self.query_one("#progress", ProgressBar).set_class(True, "hidden"))

    def show_metrics(self, rows: list[Row]) -> None:
        """The loss table and curves for the metrics history so far."""

        def update() -> None:
            self._reveal("no-training", "loss-table", "loss-plot", filled=bool(rows))
            self.query_one(LossTable).show(rows)
            self._plot("loss-plot").show_history(rows)

        self._when_built(update)

    def show_plot(self, spec: PlotSpec) -> None:
        def update() -> None:
            self._reveal("no-plot", "data-plot")
            self._plot("data-plot").show(spec)

        self._when_built(update)

    def show_tensors(self, entries: list[Inspection]) -> None:
        def update() -> None:
            self._reveal("no-tensors", "inspector", filled=bool(entries))
            self.query_one(TensorInspector).show(entries)

        self._when_built(update)

    def clear(self) -> None:
        """Back to empty: after a restart, nothing here is true any more."""

        def update() -> None:
            self.query_one("#progress", ProgressBar).set_class(True, "hidden")
            self.query_one(LossTable).show([])
            self._reveal("no-training", "loss-table", "loss-plot", filled=False)
            self._plot("loss-plot").clear_plot()
            self._plot("data-plot").clear_plot()
            self._reveal("no-plot", "data-plot", filled=False)
            self._reveal("no-tensors", "inspector", filled=False)
            self.query_one(TensorInspector).show([])

        self._when_built(update)
