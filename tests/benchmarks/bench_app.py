"""The app's responsiveness, measured side by side; prints figures and ratios.

    python tests/benchmarks/bench_app.py [--rounds N]

1. time to the first screen with the lesson text vs a bare Textual app showing one line;
2. while a 5,000-epoch loop streams metrics: the event loop's longest stall and the
   time a key press takes to be answered;
3. the app process's resident memory (torch lives in the kernel, not here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
from textual import events

FIRST_SCREEN = """
import sys, time
started = float(sys.argv[1])
{setup}
async def first_paint(pilot):
    await pilot.pause()
    print(time.time() - started)
    pilot.app.exit()
app.run(headless=True, size=(100, 30), auto_pilot=first_paint)
"""

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("one line")
app = Bare()
"""

TUTOR = """
from pathlib import Path
from tutor.lessons import bundled_lessons_dir, load_lessons
from tutor.progress import ProgressStore
from tutor.tui.app import TutorApp
app = TutorApp(load_lessons(bundled_lessons_dir()), start_session=False,
               store=ProgressStore(Path({store!r})))
"""

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


def first_screen(setup: str) -> float:
    code = FIRST_SCREEN.format(setup=textwrap.dedent(setup))
    done = subprocess.run(
        [sys.executable, "-c", code, repr(time.time())],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return float(done.stdout.strip().splitlines()[-1])


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
        store = str(Path(work) / "progress.json")
        bare = [first_screen(BARE) for _ in range(args.rounds)]
        ours = [first_screen(TUTOR.format(store=store)) for _ in range(args.rounds)]
        print(f"1. first screen, median of {args.rounds} (process start to first paint)")
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
