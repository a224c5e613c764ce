"""tutor's matplotlib backend: lesson code plots as in a notebook, and tutor draws it.

tutor's session starts its kernel with ``MPLBACKEND`` set to this module
(``protocol.MATPLOTLIB_BACKEND``); ipykernel sets its inline backend only when
that variable is unset.  matplotlib imports this module when lesson code makes
its first figure, and only then is the after-cell hook registered: lessons that
never use matplotlib pay nothing.

Figures are Agg figures (``savefig`` works as usual).  After each cell, and at
``plt.show()`` or ``fig.show()``, every open figure becomes tutor plots
(``figures.figure_plots``) and is closed, as the inline backend of a notebook
shows and closes them.  What the terminal cannot draw is named on stderr; a
figure never fails a step.  Importing ``tutor.kernel`` does not import this
module, so outside tutor matplotlib keeps its own backend.
"""

from __future__ import annotations

import sys
from typing import Any

from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase, _Backend
from matplotlib.backends.backend_agg import FigureCanvasAgg

from tutor.kernel import recorder
from tutor.kernel.figures import Conversion, figure_plots, skipped_message


def send_figure(manager: FigureManagerBase) -> None:
    """Record the plots of one open figure, name what was left out, and close it."""
    number = manager.num
    try:
        conversion = figure_plots(manager.canvas.figure)
    except Exception as exc:  # a figure tutor cannot read must not fail the step
        message = f"tutor: figure {number} could not be read ({exc!r}); it was skipped"
        print(message, file=sys.stderr)
        conversion = Conversion()
    finally:
        Gcf.destroy(manager)
    for spec in conversion.plots:
        recorder.current.add_plot(spec)
    for what in conversion.skipped:
        print(skipped_message(number, what), file=sys.stderr)


def flush_figures(*_args: Any) -> None:
    """Send and close every open figure: after each cell, and at ``plt.show()``."""
    for manager in Gcf.get_all_fig_managers():
        send_figure(manager)


class FigureManagerTutor(FigureManagerBase):
    def show(self) -> None:
        """``fig.show()``: send this figure now."""
        send_figure(self)


class FigureCanvasTutor(FigureCanvasAgg):
    manager_class = FigureManagerTutor


@_Backend.export
class _BackendTutor(_Backend):
    FigureCanvas = FigureCanvasTutor
    FigureManager = FigureManagerTutor

    @staticmethod
    def show(*_args: Any, **_kwargs: Any) -> None:
        """``plt.show()`` never blocks: it sends the open figures, as the inline backend does."""
        flush_figures()


def _register_after_cell_hook() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None:
        shell.events.register("post_run_cell", flush_figures)


_register_after_cell_hook()
