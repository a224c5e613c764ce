"""SessionPanel: live views of the session (metrics, plots, tensors)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, TabbedContent, TabPane

from tutor.tui.widgets.loss_table import LossTable
from tutor.tui.widgets.plot_view import PlotView
from tutor.tui.widgets.tensor_inspector import TensorInspector


class SessionPanel(Vertical):
    """Tabs: Training (progress, loss table, loss curves), Plot, Tensors."""

    DEFAULT_CSS = """
    SessionPanel { width: 45%; min-width: 40; border-left: solid $primary 40%; }
    SessionPanel ProgressBar { margin: 0 1; }
    SessionPanel .hidden { display: none; }
    """

    def compose(self) -> ComposeResult:
        with TabbedContent(id="session-tabs", initial="training"):
            with TabPane("Training", id="training"):
                yield ProgressBar(id="progress", show_eta=False, classes="hidden")
                yield LossTable(id="loss-table")
                yield PlotView(id="loss-plot")
            with TabPane("Plot", id="plot"):
                yield PlotView(id="data-plot")
            with TabPane("Tensors", id="tensors"):
                yield TensorInspector(id="inspector")

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def show_progress(self, done: int, total: int | None) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.set_class(False, "hidden")
        bar.update(total=total, progress=done)

    def clear(self) -> None:
        """Back to empty: after a restart, nothing here is true any more."""
        self.query_one("#progress", ProgressBar).set_class(True, "hidden")
        self.query_one(LossTable).show([])
        self.query_one("#loss-plot", PlotView).clear_plot()
        self.query_one("#data-plot", PlotView).clear_plot()
        self.query_one(TensorInspector).show([])
