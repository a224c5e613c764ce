"""The app's process: how it ends on SIGTERM and SIGHUP, and its start-up garbage.

A lost terminal (SSH gone, window closed) is the hard case: Textual's shutdown
would wait for writes that can never happen, so the work is saved, the session
killed, and the process ends at once.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import termios
from collections.abc import Callable

HANDLED = (signal.SIGTERM, signal.SIGHUP)


def terminal_is_gone() -> bool:
    """Whether the controlling terminal hung up (its attributes can no longer be read)."""
    try:
        termios.tcgetattr(sys.__stdin__.fileno())  # type: ignore[union-attr]
    except (OSError, ValueError, AttributeError, termios.error):
        return True
    return False


class ProcessLifecycle:
    """Installs the signal handlers while the app runs.

    ``stop(return_code)`` is asked to end the app the usual way (save, shut the
    session down, exit); ``abandon()`` must keep the learner's work and kill the
    session synchronously, without the event loop, when the terminal is gone.
    """

    def __init__(self, stop: Callable[[int], None], abandon: Callable[[], None]) -> None:
        self._stop = stop
        self._abandon = abandon

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stop, 128 + signal.SIGTERM)
        loop.add_signal_handler(signal.SIGHUP, self.hang_up)

    def uninstall(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in HANDLED:
            loop.remove_signal_handler(signum)

    def hang_up(self) -> None:
        """SIGHUP: usually the SSH connection or the terminal window is gone."""
        if terminal_is_gone():
            self._abandon()
            os._exit(128 + signal.SIGHUP)
        self._stop(128 + signal.SIGHUP)

    @staticmethod
    def freeze_startup_objects() -> None:
        """What start-up made (modules, classes, styles) lives as long as the app: keep it
        out of the garbage collector's full passes, which would otherwise walk all of it
        and stall the screen by up to 100 ms while a loop streams metrics."""
        gc.collect()  # once, so that no garbage is frozen with it
        gc.freeze()
