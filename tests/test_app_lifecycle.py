"""The app's life ending badly: SIGTERM, SIGHUP, a lost terminal, SIGKILL, a crash.

Each case drives the real app in tmux, types into an exercise, ends the app, and
checks that the typed code is in the progress file, that no kernel survives, and
(where the shell can see it) that the exit code says what happened.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.builders import BASICS, EXERCISE, course
from tests.processes import kernel_pids, start_in_tmux, tmux, wait_for

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.kernel,
    pytest.mark.tmux,
]

TYPED = "answer = 41  # typed before the end"

CRASHING_APP = """
import sys
from tutor.cli import main
from tutor.tui.app import TutorApp

def crash(self):
    raise RuntimeError("a bug in the app")

TutorApp.action_hint = crash
sys.exit(main(sys.argv[1:]))
"""


def alive(pid: int) -> bool:
    """Running, not merely a zombie that an orphan's new parent has yet to reap."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@dataclass
class Running:
    name: str
    progress: Path
    app: psutil.Process
    kernels: set[int]

    def saved_code(self) -> str:
        try:
            saved = json.loads(self.progress.read_text())
        except (OSError, ValueError):
            return ""
        return saved.get("exercise_code", {}).get("practice:0", "")

    def wait_until_gone(self, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        watched = [self.app.pid, *self.kernels]
        while any(map(alive, watched)) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in watched if alive(pid)]
        assert not left, f"still running: {left}"


@pytest.fixture
def program() -> str:
    """What runs the app: the real entry point unless a test says otherwise."""
    return "-m tutor"


@pytest.fixture
def running(tmp_path: Path, program: str, request: pytest.FixtureRequest) -> Iterator[Running]:
    """The app in tmux, on the exercise step, with ``TYPED`` in its editor."""
    course(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})
    (tmp_path / "crashing_app.py").write_text(CRASHING_APP)
    name = "tutor-" + re.sub(r"\W+", "-", request.node.name)  # tmux reads "." and ":"
    before = kernel_pids()
    start_in_tmux(name, tmp_path, program=program)
    try:
        wait_for(name, "● idle")
        tmux("send-keys", "-t", name, "Right", "Right", "Right", "Right")
        wait_for(name, "Set the answer")
        tmux("send-keys", "-t", name, "e")
        wait_for(name, "esc Leave editor")  # the editor has the keys now
        tmux("send-keys", "-t", name, "-l", TYPED)
        wait_for(name, TYPED)
        shell = psutil.Process(int(tmux("display", "-p", "-t", name, "#{pane_pid}")))
        (app,) = [p for p in shell.children() if "python" in p.name()]
        yield Running(name, tmp_path / "state" / "progress.json", app, kernel_pids() - before)
    finally:
        tmux("kill-session", "-t", name)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_saves_the_work_and_stops_the_kernel(
    running: Running, signum: signal.Signals
) -> None:
    assert running.kernels, "no kernel process while the app runs"
    running.app.send_signal(signum)
    wait_for(running.name, f"TUTOR-EXITED {128 + signum}")
    running.wait_until_gone()
    assert running.saved_code().startswith(TYPED)


def test_a_lost_terminal_saves_the_work_and_stops_the_kernel(running: Running) -> None:
    """The SSH connection drops: the terminal goes away and the app gets SIGHUP."""
    assert running.kernels
    tmux("kill-session", "-t", running.name)
    running.wait_until_gone()
    assert running.saved_code().startswith(TYPED)


def test_sigkill_loses_nothing_already_typed_and_leaves_no_kernel(running: Running) -> None:
    """Nothing can be done on SIGKILL: what was typed must be on disk already."""
    deadline = time.monotonic() + 10
    while not running.saved_code().startswith(TYPED):  # saved a moment after typing stops
        assert time.monotonic() < deadline, "the typed code was never saved"
        time.sleep(0.1)
    running.app.kill()
    wait_for(running.name, f"TUTOR-EXITED {128 + signal.SIGKILL}")
    running.wait_until_gone()  # ipykernel notices that its parent died
    assert running.saved_code().startswith(TYPED)


@pytest.mark.parametrize("program", ["crashing_app.py"])
def test_a_crash_in_the_app_leaves_no_kernel_and_keeps_the_work(running: Running) -> None:
    assert running.kernels
    tmux("send-keys", "-t", running.name, "Escape")
    wait_for(running.name, "h Hint")  # out of the editor: keys are commands again
    tmux("send-keys", "-t", running.name, "h")
    shown = wait_for(running.name, "TUTOR-EXITED 1")
    assert "a bug in the app" in shown
    running.wait_until_gone()
    assert running.saved_code().startswith(TYPED)
