"""Finding tutor's kernel processes, for tests that check none is left behind."""

from __future__ import annotations

import psutil


def kernel_pids() -> set[int]:
    """The process ids of every running tutor kernel."""
    return {
        process.pid
        for process in psutil.process_iter(["cmdline"])
        if "tutor.kernel_launcher" in (process.info["cmdline"] or [])
    }
