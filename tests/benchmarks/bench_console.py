"""The console's figures, on a real kernel; prints them.

    python tests/benchmarks/bench_console.py [--rounds N]

1. a completion's round trip on a warm kernel (median of N, 50 by default), for a
   name in the namespace (``kept.resh``) and a module's (``torch.ar``);
2. the app's longest event-loop stall while a console command prints 50,000 lines
   (measured as tests/benchmarks/bench_app.py measures it while a step runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

LESSON = """---
title: Console
---
## A tensor

Prose.

```python
import torch
kept = torch.arange(6.0)
```
"""

PRINTS = "for i in range(50_000):\n    print('line', i)"


async def completion(rounds: int) -> dict[str, float]:
    from tutor.session.kernel import KernelSession

    session = KernelSession(device="cpu")
    await session.start()
    try:
        async for _ in session.run("import torch\nkept = torch.arange(6.0)"):
            pass
        figures: dict[str, float] = {}
        for code in ("kept.resh", "torch.ar"):
            await session.complete(code, len(code), timeout=30)  # warm
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                await session.complete(code, len(code))
                times.append(time.perf_counter() - started)
            figures[code] = statistics.median(times) * 1000
        return figures
    finally:
        await session.shutdown()


async def printing(directory: Path) -> dict[str, float]:
    from tutor.lessons import load_lessons
    from tutor.progress import ProgressStore
    from tutor.session import KernelState
    from tutor.tui.app import TutorApp
    from tutor.tui.widgets.console_input import ConsoleInput

    lessons_dir = directory / "lessons"
    lessons_dir.mkdir()
    (lessons_dir / "01_console.md").write_text(LESSON)
    app = TutorApp(
        load_lessons(lessons_dir), device="cpu", store=ProgressStore(directory / "p.json")
    )
    stalls: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.session.state is not KernelState.IDLE or app.running:
            await pilot.pause(0.05)
        await pilot.press("c")
        app.query_one(ConsoleInput).load_text(PRINTS)
        started = time.perf_counter()
        await pilot.press("enter")
        while app.session.state is not KernelState.BUSY:
            await pilot.pause(0.01)
        while app.running:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            stalls.append(time.perf_counter() - before - 0.01)
        took = time.perf_counter() - started
        await pilot.pause(0.3)
        log = app.query_one("#console-log")
        last = log.lines[-1].text if log.lines else ""  # type: ignore[attr-defined]
    return {
        "max_stall_ms": max(stalls) * 1000,
        "p99_stall_ms": statistics.quantiles(stalls, n=100)[98] * 1000,
        "run_s": took,
        "last_line": last,  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    completions = asyncio.run(completion(args.rounds))
    print(f"1. completion round trip on a warm kernel, median of {args.rounds} (goal <= 100 ms)")
    for code, median in completions.items():
        print(f"   {code!r}: {median:.1f} ms")
    with tempfile.TemporaryDirectory() as work:
        figures = asyncio.run(printing(Path(work)))
    print("2. while a console command prints 50,000 lines")
    print(
        f"   event loop: longest stall {figures['max_stall_ms']:.0f} ms, "
        f"99th percentile {figures['p99_stall_ms']:.0f} ms (goal: never over 100 ms); "
        f"the command took {figures['run_s']:.2f} s; last line shown: {figures['last_line']!r}"
    )
    print(json.dumps({"completion_ms": completions, **figures}))


if __name__ == "__main__":
    main()
