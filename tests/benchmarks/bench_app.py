"""The app's responsiveness, measured side by side; prints figures and ratios.

    python tests/benchmarks/bench_app.py [--rounds N]

1. time to the first screen with the lesson text vs a bare Textual app showing one line,
   both real processes in a pseudo-terminal, timed until the text is on it;
2. while a 5,000-epoch loop streams metrics: the event loop's longest stall and the
   time a key press takes to be answered;
3. the app process's resident memory (torch lives in the kernel, not here).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import re
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

import psutil
from textual import events

BARE = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("one line")

Bare().run()
"""

FIRST_PROSE = "Machine learning has two halves"
"""Words from the first lesson's introduction: the first thing a new learner reads."""

ESCAPE = re.compile(
    r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])"
)
"""Terminal control sequences, removed to find the text a person would read."""

STREAM_LESSON = """---
title: Stream
---
## Train for 5,000 epochs

Prose.

```python
import time, torch
from torch import nn
torch.manual_seed(42)
X = torch.arange(0, 1, 0.02).unsqueeze(dim=1); y = 0.7 * X + 0.3
model = nn.Linear(1, 1); loss_fn = nn.L1Loss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in progress(range(5000)):
    loss = loss_fn(model(X[:40]), y[:40])
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    with torch.inference_mode():
        test_loss = loss_fn(model(X[40:]), y[40:])
    track(epoch=epoch, train_loss=loss.item(), test_loss=test_loss.item())
    time.sleep(0.0005)
```
"""


class Terminal:
    """A real process in a 100x30 pseudo-terminal, read for the text a person would see."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
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

    def wait_for(self, text: str, seconds: float = 60) -> float:
        """Read the terminal until ``text`` shows; the moment it did."""
        deadline = time.perf_counter() + seconds
        written = b""
        while time.perf_counter() < deadline:
            if select.select([self.leader], [], [], 0.02)[0]:
                written += os.read(self.leader, 1 << 16)
                if text in ESCAPE.sub("", written.decode("utf-8", "ignore")):
                    return time.perf_counter()
        raise RuntimeError(f"{text!r} never showed: {written[-2000:]!r}")

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:  # the terminal must be read while the app restores it, or it may block
            while select.select([self.leader], [], [], 0.2)[0] and os.read(self.leader, 1 << 16):
                pass
        except OSError:
            pass
        self.process.wait(timeout=30)
        os.close(self.leader)


def first_screen(argv: list[str], text: str, env: dict[str, str]) -> float:
    """Seconds from starting ``argv`` in a 100x30 pseudo-terminal until ``text`` is on it."""
    started = time.perf_counter()
    terminal = Terminal(argv, env)
    try:
        return terminal.wait_for(text) - started
    finally:
        terminal.close()


async def streaming(directory: Path) -> dict[str, float]:
    from tutor.lessons import load_lessons
    from tutor.progress import ProgressStore
    from tutor.session import KernelState
    from tutor.tui.app import TutorApp
    from tutor.tui.widgets.session_panel import SessionPanel

    lessons_dir = directory / "lessons"
    lessons_dir.mkdir()
    (lessons_dir / "01_stream.md").write_text(STREAM_LESSON)
    app = TutorApp(
        load_lessons(lessons_dir), device="cpu", store=ProgressStore(directory / "p.json")
    )
    stalls: list[float] = []
    answers: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.session.state is not KernelState.IDLE:
            await pilot.pause(0.05)
        await pilot.press("enter")
        while app.session.state is not KernelState.BUSY:
            await pilot.pause(0.01)
        tabs = app.query_one(SessionPanel).query_one("TabbedContent")
        keys = ["3", "1"]
        while app.running:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            stalls.append(time.perf_counter() - before - 0.01)
            if len(stalls) % 50 == 0:
                key = keys[len(answers) % 2]
                wanted = "tensors" if key == "3" else "training"
                pressed = time.perf_counter()
                app.post_message(events.Key(key, key))
                while tabs.active != wanted:
                    await asyncio.sleep(0.001)
                answers.append(time.perf_counter() - pressed)
        rows = app.query_one("LossTable").border_subtitle
        rss = psutil.Process().memory_info().rss / 2**20
        torch_loaded = "torch" in sys.modules
    return {
        "max_stall_ms": max(stalls) * 1000,
        "p99_stall_ms": statistics.quantiles(stalls, n=100)[98] * 1000,
        "max_key_ms": max(answers) * 1000 if answers else float("nan"),
        "median_key_ms": statistics.median(answers) * 1000 if answers else float("nan"),
        "keys": len(answers),
        "rows": str(rows),
        "rss_mb": rss,
        "torch_in_app": float(torch_loaded),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "TERM": "xterm-256color", "TUTOR_STATE_DIR": work}
        # As on a learner's machine: bytecode is cached (pip compiles what it installs;
        # an editable install compiles tutor on its first start).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        first_screen([sys.executable, "-c", BARE], "one line", env)
        first_screen([sys.executable, "-m", "tutor"], FIRST_PROSE, env)
        bare, ours = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            bare.append(first_screen([sys.executable, "-c", BARE], "one line", env))
            ours.append(first_screen([sys.executable, "-m", "tutor"], FIRST_PROSE, env))
        print(
            f"1. first screen, median of {args.rounds} "
            "(process start until the text is on a 100x30 pseudo-terminal)"
        )
        print(f"   bare Textual app, one line: {statistics.median(bare):.2f} s")
        print(f"   tutor with the lesson text: {statistics.median(ours):.2f} s")
        print(f"   ratio: {statistics.median(ours) / statistics.median(bare):.2f}x (goal <= 2x)")
        figures = asyncio.run(streaming(Path(work)))
    print("2. while a 5,000-epoch loop streams metrics into the app")
    print(
        f"   event loop: longest stall {figures['max_stall_ms']:.0f} ms, "
        f"99th percentile {figures['p99_stall_ms']:.0f} ms (goal: never over 100 ms)"
    )
    print(
        f"   key press answered: median {figures['median_key_ms']:.0f} ms, "
        f"slowest {figures['max_key_ms']:.0f} ms over {figures['keys']} presses (goal <= 100 ms)"
    )
    print(f"   loss table at the end: {figures['rows']}")
    print(
        f"3. app process resident memory: {figures['rss_mb']:.0f} MB (goal < 150 MB); "
        f"torch imported in the app: {bool(figures['torch_in_app'])}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
