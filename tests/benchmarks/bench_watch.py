"""``--watch``: the time from saving a lesson file to the reloaded step on screen.

    python tests/benchmarks/bench_watch.py [--rounds N]

The app runs as a real process in a 100x30 pseudo-terminal with ``--watch``; each
round rewrites the step on screen with new prose and times until that prose is on
the terminal (goal <= 300 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_app import Terminal

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
            [sys.executable, "-m", "tutor", "--watch", "--lessons", str(folder)], env, Path(work)
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
