"""The code that runs inside the lesson session (the IPython kernel).

tutor's session runs ``install(get_ipython())`` on start-up: it pre-imports the
helpers lesson code calls and hooks the run boundaries.  The host then calls
``run_summary()``, ``namespace_summary()`` and ``session_device()`` here, each
wrapped in ``as_json``.  In a plain notebook, ``from tutor.kernel import *``
gives the same helpers, which fall back to text.

The package must stay cheap to import: no torch until lesson code imports it,
no rich, no Textual.
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import Any

from tutor.kernel import guard, recorder
from tutor.kernel.helpers import (
    history,
    plot,
    plot_loss_curves,
    plot_predictions,
    progress,
    run_distributed,
    track,
    tutor_device,
)
from tutor.kernel.inspect import describe_device as describe_device
from tutor.kernel.inspect import namespace_summary as namespace_summary
from tutor.kernel.models import save_state_dict
from tutor.kernel.recorder import run_summary as run_summary
from tutor.protocol import VALUE, DeviceReport

__all__ = [
    "history",
    "plot",
    "plot_loss_curves",
    "plot_predictions",
    "progress",
    "run_distributed",
    "save_state_dict",
    "track",
    "tutor_device",
]
"""The helpers lesson code calls, pre-imported in every session."""


class _JSONValue:
    """A value for ``user_expressions``: IPython formats it as application/json."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _repr_json_(self) -> dict[str, Any]:
        return self.data

    def __repr__(self) -> str:
        return "<tutor value>"


def as_json(value: Any) -> _JSONValue:
    """Any JSON-able value, formatted for ``user_expressions`` as application/json.

    IPython's JSON formatter takes only dicts and lists, so the value travels
    under ``protocol.VALUE``.
    """
    return _JSONValue({VALUE: value})


WARM_UP = ("torch._dynamo",)
"""Imported in the background once the session has imported torch: the first
optimizer imports torch._dynamo (about 1 s here), and without this the learner's
first training step would wait for it."""


def session_device(warm_up: bool = True) -> DeviceReport:
    """``describe_device()``, which imports torch; then the warm-up starts, if asked for.

    The session asks this once, right after it starts.  The warm-up runs on a
    thread of its own so that a step run meanwhile does not wait for it; a step
    that needs the same module waits only for the rest of its import.
    """
    report = describe_device()
    if report["ok"] and warm_up:
        threading.Thread(target=_warm_up, name="tutor-warm-up", daemon=True).start()
    return report


def _warm_up() -> None:
    for name in WARM_UP:
        try:
            importlib.import_module(name)
        except Exception:  # lesson code that imports it meets the error itself
            return


def install(shell: Any) -> None:
    """Set up a tutor session: pre-import the helpers and hook the run boundaries."""
    module = sys.modules[__name__]
    helpers: dict[str, Any] = {name: getattr(module, name) for name in __all__}
    helpers["__tutor__"] = module
    shell.push(helpers, interactive=False)
    shell.events.register("pre_run_cell", recorder.current.start_run)
    shell.events.register("post_run_cell", recorder.current.end_run)
    shell.events.register("post_run_cell", guard.current.after_run)
    _record_results(shell)


def _record_results(shell: Any) -> None:
    """Keep each cell's result in the run's record as it is displayed, so that the host
    still has it when the ``execute_result`` message was lost in a flood of output."""
    hook = shell.displayhook
    write = hook.write_format_data

    def write_and_record(format_dict: dict[str, Any], md_dict: Any = None) -> None:
        text = format_dict.get("text/plain")
        if isinstance(text, str):
            recorder.current.set_result(hook.prompt_count, text)
        write(format_dict, md_dict)

    hook.write_format_data = write_and_record


def _hook_notebook() -> None:
    """In a plain Jupyter kernel, mark run boundaries as tutor's session does."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and not recorder.under_tutor():
        shell.events.register("pre_run_cell", recorder.current.start_run)
        shell.events.register("post_run_cell", recorder.current.end_run)


_hook_notebook()
