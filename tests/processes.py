"""Running tutor as a user would (a pipe, or tmux), and finding its kernel processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

LONGEST_RUN_S = 300
"""The most any process a test starts may take (a whole course run headless takes
well under a minute); pytest's per-test timeout is longer still."""

TEST_TAG = "TUTOR_TEST_TAG"
"""Each test runs with its own value of this variable (tests/conftest.py); the kernels it
starts inherit it, so a test counts its own kernels, never another test's."""


def kernel_pids() -> set[int]:
    """The process ids of every running tutor kernel that the current test started."""
    tag = os.environ.get(TEST_TAG)
    found = set()
    for process in psutil.process_iter(["cmdline", "environ"]):
        if "tutor.kernel_launcher" not in (process.info["cmdline"] or []):
            continue
        environ = process.info["environ"] or {}
        if tag is None or environ.get(TEST_TAG) == tag:
            found.add(process.pid)
    return found


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def tutor(*args: str | Path, cwd: Path, timeout: float = 120, **env: str) -> Run:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    environment.pop("FORCE_COLOR", None)
    environment.update(env)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tutor", *map(str, args)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, timeout=10, check=False
    ).stdout


def screen(name: str) -> str:
    """What the tmux session ``name`` shows now."""
    return tmux("capture-pane", "-p", "-t", name)


def wait_for(name: str, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        shown = screen(name)
        if text in shown:
            return shown
        assert time.monotonic() < deadline, f"{text!r} never showed:\n{shown}"
        time.sleep(0.2)


def start_in_tmux(
    name: str, directory: Path, *, env: str = "TERM=xterm-256color", program: str = "-m tutor"
) -> None:
    """Start tutor on ``directory/lessons`` in a fresh 100x30 tmux session ``name``.

    Its progress goes to ``directory/state``; when it ends the pane shows
    ``TUTOR-EXITED <exit code>`` and stays open for a minute.
    """
    command = (
        f"cd {directory} && {env} TUTOR_STATE_DIR={directory / 'state'} "
        f"{TEST_TAG}={os.environ.get(TEST_TAG, '')} "
        f"{sys.executable} {program} --lessons lessons; echo TUTOR-EXITED $?; sleep 60"
    )
    tmux("kill-session", "-t", name)
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", command)
    tmux("resize-window", "-t", name, "-x", "100", "-y", "30")
