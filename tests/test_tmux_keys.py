"""The keys the footer and the help offer, pressed in a real terminal (tmux).

What a terminal delivers is the point here: ctrl+r reaches the app as itself, where
ctrl+enter would not (most terminals send it as plain enter; tmux 3.3 drops it).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.builders import EXERCISE, course
from tests.processes import screen, start_in_tmux, tmux, wait_for

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.kernel,
    pytest.mark.tmux,
]


def test_the_help_scrolls_and_the_exercise_editor_runs_and_lets_go(tmp_path: Path) -> None:
    course(tmp_path / "lessons", {"01_practice.md": EXERCISE})
    name = "tutor-editor-keys"
    start_in_tmux(name, tmp_path)
    try:
        wait_for(name, "● idle")
        tmux("send-keys", "-t", name, "?")
        wait_for(name, "tutor: keys")
        # No tab first: the help has the focus.  (An end pressed as the help first shows
        # may scroll short of the end, laid out again a frame later: press it again.)
        last_line = "The mouse wheel scrolls what is under the pointer"
        for _ in range(10):
            tmux("send-keys", "-t", name, "End")
            if last_line in screen(name):
                break
            time.sleep(0.3)
        wait_for(name, last_line, seconds=1)
        tmux("send-keys", "-t", name, "Escape")
        deadline = time.monotonic() + 10
        while last_line in screen(name):  # closed: a key sent sooner would join the escape
            assert time.monotonic() < deadline, "escape did not close the help"
            time.sleep(0.1)
        tmux("send-keys", "-t", name, "Tab")  # from the step into the exercise editor
        shown = wait_for(name, "^r Run")
        assert "esc Leave editor" in shown and "⏎ Run" not in shown, shown
        tmux("send-keys", "-t", name, "C-r")
        wait_for(name, "answer should be 42, not None")
        tmux("send-keys", "-t", name, "Escape")
        wait_for(name, "⏎ Run")
        tmux("send-keys", "-t", name, "C-q")
        wait_for(name, "TUTOR-EXITED 0")
    finally:
        tmux("kill-session", "-t", name)
