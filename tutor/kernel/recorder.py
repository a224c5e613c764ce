"""The state behind the lesson helpers: run boundaries, histories, plots and batching.

Rows, plots and progress go to tutor in small batches on ``protocol.MIME_TYPE``,
apart from stdout.  The batches are for live display only: after each run tutor
fetches the authoritative record with ``run_summary()``, so nothing is lost when
the kernel's publish/subscribe channel drops messages.  Outside tutor the
batches are shown as text instead.
"""

from __future__ import annotations

import json
import os
import sys
from time import monotonic
from typing import Any

from tutor.protocol import (
    METRICS,
    MIME_TYPE,
    PLOTS,
    PROGRESS,
    RELAY_ENV,
    Batch,
    MetricsPayload,
    PlotSpec,
    ProgressPayload,
    ResultPayload,
    Row,
    RunSummary,
)
from tutor.render import metrics_text, plot_text

FLUSH_INTERVAL_S = 0.1
"""At most one batch every 100 ms, as often as the app redraws (``REFRESH_S``). Sending
one costs the training loop about 0.3 ms for 60 rows and 0.5 ms for 170 (mostly
Jupyter's JSON encoding), and a little more on ipykernel's output thread."""

RESULT_MAX_CHARS = 20_000
"""A result's text kept in the run's record."""


def under_tutor() -> bool:
    """Whether this kernel is tutor's session (else a plain notebook or script)."""
    return os.environ.get("TUTOR_KERNEL") == "1"


def relay_path() -> str | None:
    """In a rank that ``run_distributed()`` started, the file its batches go to: rank 0's
    rows and progress reach the session's live table; the other ranks send nothing."""
    path = os.environ.get(RELAY_ENV)
    if path and "TORCHELASTIC_RUN_ID" in os.environ:
        return path
    return None


class Recorder:
    """What the current run recorded, and what has not been sent yet."""

    def __init__(self) -> None:
        self.run_id = 0
        self.last_history: list[Row] | None = None
        """The rows of the most recent run that tracked any (what ``history()`` returns);
        an earlier run's rows are let go, so runs repeated all day hold no more memory."""
        self.run_rows: list[Row] | None = None
        self.run_plots: list[PlotSpec] = []
        self.run_progress: ProgressPayload | None = None
        self.pending_rows: list[Row] = []
        self.pending_start = 0
        self.pending_plots: list[PlotSpec] = []
        self.pending_progress: ProgressPayload | None = None
        self.next_flush = 0.0
        """When the next batch may go: at most one every ``FLUSH_INTERVAL_S``."""
        self.text_display: Any = None
        self.run_result: ResultPayload | None = None

    # -- run boundaries -------------------------------------------------
    def start_run(self, *_args: Any) -> None:
        self.flush()
        self.run_id += 1
        self.run_rows = None
        self.run_plots = []
        self.run_progress = None
        self.text_display = None
        self.run_result = None

    def end_run(self, *_args: Any) -> None:
        self.flush()

    # -- recording ------------------------------------------------------
    def add_row(self, row: Row) -> None:
        rows = self.run_rows
        if rows is None:
            rows = self.run_rows = self.last_history = []
        if not self.pending_rows:
            self.pending_start = len(rows)
        rows.append(row)
        self.pending_rows.append(row)
        if monotonic() >= self.next_flush:
            self.flush()

    def add_plot(self, spec: PlotSpec) -> None:
        """Keep the plot, numbered within its run, and send it at once."""
        numbered = PlotSpec(**spec, seq=len(self.run_plots))
        self.run_plots.append(numbered)
        self.pending_plots.append(numbered)
        self.flush()

    def set_progress(self, done: int, total: int | None, description: str) -> None:
        self.run_progress = ProgressPayload(done=done, total=total, description=description)
        self.pending_progress = self.run_progress
        self.maybe_flush()

    # -- sending --------------------------------------------------------
    def maybe_flush(self) -> None:
        if monotonic() >= self.next_flush:
            self.flush()

    def flush(self) -> None:
        if not (self.pending_rows or self.pending_plots or self.pending_progress):
            return
        self.next_flush = monotonic() + FLUSH_INTERVAL_S
        batch = Batch(run=self.run_id)
        if self.pending_rows:
            batch[METRICS] = MetricsPayload(start=self.pending_start, rows=self.pending_rows)
        if self.pending_plots:
            batch[PLOTS] = self.pending_plots
        if self.pending_progress:
            batch[PROGRESS] = self.pending_progress
        self.pending_rows, self.pending_plots, self.pending_progress = [], [], None
        if under_tutor():
            from IPython.display import publish_display_data

            publish_display_data({MIME_TYPE: batch})
        elif (relay := relay_path()) is not None:
            if os.environ.get("RANK", "0") == "0":
                with open(relay, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(batch) + "\n")
        else:
            self._flush_as_text(batch)

    def _flush_as_text(self, batch: Batch) -> None:
        """Outside tutor: a live text table of the history, and plots drawn as text."""
        if METRICS in batch and self.run_rows:
            self._show_text(metrics_text(self.run_rows))
        for spec in batch.get(PLOTS, []):
            print(plot_text(spec))

    def _show_text(self, text: str) -> None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython else None
        if shell is None or not hasattr(shell, "kernel"):
            return  # a plain script: history() holds the rows
        from IPython.display import DisplayHandle, Pretty

        if self.text_display is None:
            self.text_display = DisplayHandle()
            self.text_display.display(Pretty(text))
        else:
            self.text_display.update(Pretty(text))

    def set_result(self, count: int, text: str) -> None:
        """The run's result as its ``execute_result`` carried it (kept short: the record
        is for when that message was lost; the message itself is what is shown)."""
        if len(text) > RESULT_MAX_CHARS:
            text = text[:RESULT_MAX_CHARS] + " …"
        self.run_result = ResultPayload(count=count, text=text)

    def summary(self) -> RunSummary:
        from tutor.kernel import guard
        from tutor.kernel.inspect import cuda_memory

        return RunSummary(
            run=self.run_id,
            metrics=self.run_rows,
            plots=self.run_plots,
            progress=self.run_progress,
            result=self.run_result,
            memory=cuda_memory(),
            cut_short=guard.current.cut_short,
        )


current = Recorder()
"""The session's recorder; the helpers record into it."""


def run_summary() -> RunSummary:
    """The authoritative record of the last run: every metrics row, plot and progress."""
    return current.summary()
