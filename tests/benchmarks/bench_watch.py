"""``--watch``: the time from saving a lesson file to the reloaded step on screen.

    python tests/benchmarks/bench_watch.py [--rounds N]

The app runs as a real process in a 100x30 pseudo-terminal with ``--watch``; each
round rewrites the step on screen with new prose and times until that prose is on
the terminal (goal <= 300 ms).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from bench_app import ESCAPE

LESSON = """---
title: Watched
id: watched
requires: []
---

## The step on screen

{prose}

```python
x = 1
```
"""


class Terminal:
    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
            start_new_session=True,
        )
        os.close(follower)
        self.written = ""

    def wait_for(self, text: str, seconds: float = 60) -> float:
        """Read the terminal until ``text`` shows; the moment it did."""
        deadline = time.perf_counter() + seconds
        raw = b""
        while time.perf_counter() < deadline:
            if select.select([self.leader], [], [], 0.02)[0]:
                raw += os.read(self.leader, 1 << 16)
                if text in ESCAPE.sub("", raw.decode("utf-8", "ignore")):
                    return time.perf_counter()
        raise RuntimeError(f"{text!r} never showed")

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            while select.select([self.leader], [], [], 0.2)[0] and os.read(self.leader, 1 << 16):
                pass
        except OSError:
            pass
        self.process.wait(timeout=30)
        os.close(self.leader)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "lessons"
        folder.mkdir()
        path = folder / "01_watched.md"
        path.write_text(LESSON.format(prose="Prose number 0."))
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "TUTOR_STATE_DIR": str(Path(work) / "state"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        terminal = Terminal(
            [sys.executable, "-m", "tutor", "--watch", "--lessons", str(folder)], Path(work), env
        )
        try:
            terminal.wait_for("Prose number 0.")
            time.sleep(3)  # the session has started and the watcher is set up
            times = []
            for number in range(1, args.rounds + 1):
                saved = time.perf_counter()
                path.write_text(LESSON.format(prose=f"Prose number {number}."))
                times.append(terminal.wait_for(f"Prose number {number}.") - saved)
                time.sleep(0.5)
        finally:
            terminal.close()
    print(f"--watch: save to the reloaded step on screen, {args.rounds} saves")
    print(
        f"   median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms (goal <= 300 ms)"
    )


if __name__ == "__main__":
    main()
