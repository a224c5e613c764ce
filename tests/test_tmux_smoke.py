"""The real app in a real terminal: tmux, send-keys, capture-pane."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.processes import kernel_pids, tmux, wait_for
from tests.test_app import BASICS, EXERCISE, write

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.mark.parametrize("term", ["xterm-256color", "screen-256color"])
def test_the_app_in_tmux(tmp_path: Path, term: str) -> None:
    write(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})
    name = f"tutor-smoke-{term}"
    before = kernel_pids()
    command = (
        f"cd {tmp_path} && TERM={term} TUTOR_STATE_DIR={tmp_path / 'state'} "
        f"{sys.executable} -m tutor --lessons {tmp_path / 'lessons'}; echo TUTOR-EXITED; sleep 30"
    )
    tmux("kill-session", "-t", name)
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", command)
    tmux("resize-window", "-t", name, "-x", "100", "-y", "30")
    try:
        wait_for(name, "Make a tensor")
        wait_for(name, "● idle")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "made torch.Size([6])")
        wait_for(name, "passed")
        tmux("send-keys", "-t", name, "n")
        wait_for(name, "Train a little")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "★ best")
        wait_for(name, "60 rows")
        started = kernel_pids() - before
        assert started, "no kernel process while the app runs"
        tmux("send-keys", "-t", name, "C-q")
        wait_for(name, "TUTOR-EXITED")
        deadline = time.monotonic() + 10
        while any(psutil.pid_exists(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if psutil.pid_exists(pid)]
    finally:
        tmux("kill-session", "-t", name)
