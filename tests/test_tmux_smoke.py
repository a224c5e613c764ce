"""The real app in a real terminal: tmux, send-keys, capture-pane."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import psutil
import pytest

from tests.builders import BASICS, EXERCISE, course, lesson_step, lesson_text
from tests.processes import kernel_pids, start_in_tmux, tmux, wait_for

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.kernel,
    pytest.mark.tmux,
]


@pytest.mark.parametrize("term", ["xterm-256color", "screen-256color"])
def test_the_app_in_tmux(tmp_path: Path, term: str) -> None:
    course(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})
    name = f"tutor-smoke-{term}"
    before = kernel_pids()
    start_in_tmux(name, tmp_path, env=f"TERM={term}")
    try:
        wait_for(name, "Make a tensor")
        wait_for(name, "● idle")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "made torch.Size([6])")
        wait_for(name, "passed")
        tmux("send-keys", "-t", name, "n")
        wait_for(name, "Train a little")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "passed")
        tmux("send-keys", "-t", name, "v")  # 100 columns: the step, or the panel
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


GREYS = {0, 7, 8, 15, 16, 231, *range(232, 256)}
"""The 256-colour palette's greys: black, white and the grey ramp."""


def colours(screen_with_escapes: str) -> set[tuple[int, ...]]:
    """Every colour in SGR sequences: (n,) for the 256 palette, (r, g, b) for true colour."""
    found: set[tuple[int, ...]] = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", screen_with_escapes):
        codes = [int(p) for p in params.split(";") if p]
        i = 0
        while i < len(codes):
            if codes[i] in (38, 48) and codes[i + 1 : i + 2] == [5]:
                found.add((codes[i + 2],))
                i += 3
            elif codes[i] in (38, 48) and codes[i + 1 : i + 2] == [2]:
                found.add(tuple(codes[i + 2 : i + 5]))
                i += 5
            else:
                if 30 <= codes[i] <= 37 or 90 <= codes[i] <= 97:
                    found.add((codes[i],))
                i += 1
    return found


def is_grey(colour: tuple[int, ...]) -> bool:
    if len(colour) == 1:
        return colour[0] in GREYS
    red, green, blue = colour
    return red == green == blue


def test_no_color_draws_in_greys_only(tmp_path: Path) -> None:
    """NO_COLOR: no hue anywhere on the screen (Textual keeps greys, bold and reverse)."""
    course(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})
    name = "tutor-no-color"
    start_in_tmux(name, tmp_path, env="NO_COLOR=1 TERM=xterm-256color")
    try:
        wait_for(name, "● idle")
        shown = tmux("capture-pane", "-e", "-p", "-t", name)
        found = colours(shown)
        assert found, "expected the screen to carry SGR colours at all"
        hues = {c for c in found if not is_grey(c)}
        assert not hues, f"colours under NO_COLOR: {sorted(hues)}"
    finally:
        tmux("kill-session", "-t", name)


NOTEBOOK = lesson_text(
    "Notebook",
    lesson_step("Look", "values = [3, 1, 2]\nvalues[:2], len(values)"),
    lesson_step(
        "Count",
        "import time\nfor epoch in range(1, 31):\n"
        "    print(f'\\rEpoch {epoch}/30', end='')\n    time.sleep(0.02)\nprint()",
    ),
    lesson_step(
        "Draw",
        "import matplotlib.pyplot as plt\n"
        "plt.plot([0, 1, 2], [3, 1, 2], label='loss')\n"
        "plt.title('From matplotlib')\nplt.legend()",
    ),
    lesson_id="notebook",
)


def test_results_rewritten_lines_and_figures_show_as_in_a_notebook(tmp_path: Path) -> None:
    course(tmp_path / "lessons", {"01_notebook.md": NOTEBOOK})
    name = "tutor-notebook"
    start_in_tmux(name, tmp_path)
    try:
        wait_for(name, "● idle")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "Out[1]: ([3, 1], 3)")
        tmux("send-keys", "-t", name, "n")
        wait_for(name, "Step 2/3")
        tmux("send-keys", "-t", name, "Enter")
        shown = wait_for(name, "passed")
        assert "Epoch 30/30" in shown and "Epoch 29/30" not in shown, shown
        tmux("send-keys", "-t", name, "n")
        wait_for(name, "Step 3/3")
        tmux("send-keys", "-t", name, "Enter")
        shown = wait_for(name, "From matplotlib")
        assert "loss" in shown
        tmux("send-keys", "-t", name, "C-q")
        wait_for(name, "TUTOR-EXITED 0")
    finally:
        tmux("kill-session", "-t", name)


def test_the_learners_own_editor_round_trip(tmp_path: Path) -> None:
    course(tmp_path / "lessons", {"01_practice.md": EXERCISE})
    editor = tmp_path / "fake-editor"
    editor.write_text("#!/bin/sh\nsed -i 's/answer = None  # TODO/answer = 6 * 7/' \"$1\"\n")
    editor.chmod(0o755)
    name = "tutor-own-editor"
    start_in_tmux(name, tmp_path, env=f"TERM=xterm-256color EDITOR={editor} VISUAL=")
    try:
        wait_for(name, "● idle")
        tmux("send-keys", "-t", name, "C-o")
        wait_for(name, "answer = 6 * 7")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "passed")
        tmux("send-keys", "-t", name, "C-q")
        wait_for(name, "TUTOR-EXITED 0")
        saved = json.loads((tmp_path / "state" / "progress.json").read_text())
        assert saved["exercise_code"]["practice:0"].strip() == "answer = 6 * 7"
        assert saved["completed"] == {"practice": [0]}
    finally:
        tmux("kill-session", "-t", name)


BURST_EXERCISE = lesson_text(
    "Three lines",
    lesson_step(
        "Fix two lines",
        exercise="a = 1\nb = 2  # TODO\nc = 3",
        solution="a, b, c = 1, 9, 8",
        check="assert (b, c) == (9, 8)",
    ),
    lesson_id="burst",
)


def test_a_burst_of_keys_in_the_exercise_editor_lands_in_order(tmp_path: Path) -> None:
    """Keys that arrive together (fast typing, a laggy SSH link) edit as typed: the
    editor's own keys (home, ctrl+k, down) are not overtaken by the characters after them."""
    course(tmp_path / "lessons", {"01_burst.md": BURST_EXERCISE})
    name = "tutor-editor-burst"
    start_in_tmux(name, tmp_path)
    try:
        wait_for(name, "b = 2  # TODO")
        tmux("send-keys", "-t", name, "e")  # the editor, at the TODO line
        wait_for(name, "Leave editor")
        tmux("send-keys", "-t", name, "Home", "C-k", "X = 9", "Down", "Home", "C-k", "Y = 8")
        # Typed code is saved a second after the last change: then every key was applied.
        progress = tmp_path / "state" / "progress.json"
        deadline = time.monotonic() + 30
        while "burst:0" not in (progress.read_text() if progress.exists() else ""):
            assert time.monotonic() < deadline, "the typed code was never saved"
            time.sleep(0.2)
        saved = json.loads(progress.read_text())
        assert saved["exercise_code"]["burst:0"].splitlines() == ["a = 1", "X = 9", "Y = 8"]
        tmux("send-keys", "-t", name, "C-q")
        wait_for(name, "TUTOR-EXITED 0")
    finally:
        tmux("kill-session", "-t", name)


def test_the_app_refuses_a_missing_device_before_its_screen_opens(tmp_path: Path) -> None:
    course(tmp_path / "lessons", {"01_practice.md": EXERCISE})
    name = "tutor-device"
    before = kernel_pids()
    start_in_tmux(name, tmp_path, program="-m tutor --device mps")
    try:
        shown = wait_for(name, "TUTOR-EXITED 2")
        assert "device 'mps' is not available" in shown, shown
        assert "Set the answer" not in shown, "the app's screen never opened"
        assert kernel_pids() == before, "no session was started"
    finally:
        tmux("kill-session", "-t", name)
