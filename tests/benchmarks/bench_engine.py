"""Engine performance, measured side by side in one run; prints figures and ratios.

    python tests/benchmarks/bench_engine.py [--rounds N]

1. a no-op step on a warm session vs a bare jupyter_client execute;
2. a training loop that records its losses every epoch, in a list or with
   ``track()``, the two ways taking turns within one loop (with a second list
   way as a control, for the noise);
3. ``--headless`` over the bundled lessons vs the same code as one plain script.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import AsyncKernelManager

from tutor.lessons import BlockKind, Lesson, bundled_lessons_dir, load_lessons
from tutor.session import Error, History, KernelSession, Metrics
from tutor.session.kernel import kernel_manager

LOOP_EPOCHS = 5000
"""Epochs recorded each way in one round: a list, ``track()``, and a list again."""

TURN_S = 0.3
"""How long one way runs before the next takes its turn: three of ``track()``'s batch
intervals, so that the machine's speed changes little within a turn of the three ways,
while ``track()`` still sends batches at about its usual rate."""

TRAINING_LOOP = """
import time, torch
from torch import nn
torch.manual_seed(42)
X = torch.arange(0, 1, 0.02).unsqueeze(dim=1); y = 0.7 * X + 0.3
model = nn.Linear(1, 1); loss_fn = nn.L1Loss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
records = []

def turn(epochs, tracked):
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        loss = loss_fn(model(X[:40]), y[:40])
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        model.eval()
        with torch.inference_mode():
            test_loss = loss_fn(model(X[40:]), y[40:])
        if tracked:
            track(epoch=epoch, train_loss=loss.item(), test_loss=test_loss.item())
        else:
            records.append(dict(epoch=epoch, train_loss=loss.item(), test_loss=test_loss.item()))
    return time.perf_counter() - started

size = max(1, round({turn_s} * 200 / turn(200, False)))
ways = [("list", False), ("track", True), ("list again", False)]
turns = []
for number in range(-(-{epochs} // size)):
    epochs = min(size, {epochs} - number * size)
    first = number % 3  # each way goes first as often as the others
    order = ways[first:] + ways[:first]
    turns.append(dict((name, turn(epochs, tracked)) for name, tracked in order))
measured = dict(turns=turns, size=size)
"""


async def bare_client_round_trips(rounds: int) -> list[float]:
    directory = tempfile.mkdtemp(prefix="tutor-bench-")
    km: AsyncKernelManager = kernel_manager(
        transport="ipc", connection_file=os.path.join(directory, "kernel.json")
    )
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    times = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            await kc.execute_interactive("pass", output_hook=lambda msg: None, timeout=30)
            times.append(time.perf_counter() - started)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    return times


async def session_round_trips(rounds: int) -> list[float]:
    session = KernelSession()
    await session.start()
    times = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            async for _event in session.run("pass"):
                pass
            times.append(time.perf_counter() - started)
    finally:
        await session.shutdown()
    return times


LOOP_ROUNDS = 5


@dataclass
class Turn:
    """One turn of the three ways, each over the same number of epochs."""

    list_s: float
    track_s: float
    list_again_s: float

    @property
    def overhead(self) -> float:
        return self.track_s / ((self.list_s + self.list_again_s) / 2) - 1

    @property
    def noise(self) -> float:
        return self.list_again_s / self.list_s - 1


@dataclass
class LoopRound:
    turns: list[Turn]
    turn_epochs: int
    batches: int
    rows: int


async def track_overhead(rounds: int) -> list[LoopRound]:
    """The loop's time recording with a list, with ``track()``, and with a list again (a
    control, whose difference from the first says how much is noise).

    Timing whole runs one after another measures the machine's drift as much as
    ``track()``: on a 2-core machine two 3-second list runs differed by 9 %.  So the
    three ways take turns of about ``TURN_S`` inside one loop, and each turn compares
    them under the same conditions.
    """
    session = KernelSession()
    await session.start()
    code = TRAINING_LOOP.format(turn_s=TURN_S, epochs=LOOP_EPOCHS)
    measured: list[LoopRound] = []
    try:
        for _ in range(rounds):
            batches = rows = 0
            async for event in session.run(code):
                if isinstance(event, Metrics):
                    batches += 1
                elif isinstance(event, History):
                    rows = len(event.rows)
                elif isinstance(event, Error):
                    raise SystemExit(f"the training loop failed: {event.type}: {event.message}")
            figures = await session.evaluate("measured")
            turns = [Turn(t["list"], t["track"], t["list again"]) for t in figures["turns"]]
            measured.append(LoopRound(turns, figures["size"], batches, rows))
    finally:
        await session.shutdown()
    return measured


SCRIPT_PRELUDE = """\
import subprocess
from tutor.kernel import *
from tutor.kernel import recorder as _recorder


class _Shell:
    \"\"\"What IPython's syntax (``!cmd``) becomes in a plain script: a shell command.\"\"\"

    def system(self, command):
        subprocess.run(command, shell=True, check=False, stdout=subprocess.DEVNULL)


def get_ipython():
    return _Shell()
"""


LEFT_OUT = ("distributed",)
"""Lessons measured apart: the distributed lesson spends its time in torchrun's own
processes, which tutor and the plain script start alike, and would hide the engine's cost."""


def measured_lessons() -> list[Lesson]:
    lessons = load_lessons(bundled_lessons_dir()).lessons
    return [lesson for lesson in lessons if lesson.id not in LEFT_OUT]


def lessons_as_script() -> str:
    """Every block headless runs, in order, as one plain Python script.

    Each block starts a new run, as each cell does in the session.  IPython's own
    syntax (``!ls``) is turned into plain Python, as IPython itself turns it.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    plain = TransformerManager().transform_cell
    parts = [SCRIPT_PRELUDE]
    for lesson in measured_lessons():
        for step in lesson.steps:
            if step.is_exercise:
                starter = [step.exercise.text, *(c.text for c in step.checks)]  # type: ignore[union-attr]
                parts.append(
                    f"try:\n    exec({chr(10).join(starter)!r})\nexcept Exception:\n    pass\n"
                )
            for block in step.runnable_blocks():
                if block.kind is not BlockKind.HINT:
                    parts += ["_recorder.current.start_run()", plain(block.text)]
    return "\n".join(parts)


def wall(command: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def headless_vs_script(rounds: int) -> tuple[list[float], list[float], list[float]]:
    script_times, headless_times, quiet_times = [], [], []
    with tempfile.TemporaryDirectory() as work:
        script = Path(work) / "lessons_script.py"
        script.write_text(lessons_as_script())
        for _ in range(rounds):
            script_times.append(wall([sys.executable, str(script)], work))
            only = [arg for lesson in measured_lessons() for arg in ("--lesson", lesson.id)]
            headless = [sys.executable, "-m", "tutor", "--headless", *only]
            headless_times.append(wall(headless, work))
            quiet_times.append(wall([*headless, "-q"], work))
    return script_times, headless_times, quiet_times


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms"


def spread(values: list[float], unit: float = 1.0, digits: int = 2) -> str:
    """The lowest and highest of the measurements, for judging the median."""
    return f"[{min(values) * unit:.{digits}f}-{max(values) * unit:.{digits}f}]"


def quartiles(ratios: list[float]) -> str:
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"{low * 100:+.1f}% to {high * 100:+.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help=f"repeats of the headless measurement (the loop runs {LOOP_ROUNDS} times)",
    )
    args = parser.parse_args()

    bare = asyncio.run(bare_client_round_trips(300))
    ours = asyncio.run(session_round_trips(300))
    print("1. no-op step round trip on a warm session (median of 300)")
    print(f"   bare jupyter_client execute_interactive: {median_ms(bare)}")
    print(f"   tutor Session.run:                       {median_ms(ours)}")
    print(f"   ratio: {statistics.median(ours) / statistics.median(bare):.2f}x (goal <= 1.5x)")

    loop = asyncio.run(track_overhead(LOOP_ROUNDS))
    turns = [turn for round_ in loop for turn in round_.turns]
    print(
        f"2. training loop, {LOOP_EPOCHS:,} epochs each way per round, the ways taking turns"
        f" of {loop[0].turn_epochs} epochs (about {TURN_S} s); {LOOP_ROUNDS} rounds"
    )
    print(
        f"   appending to a list: {sum(t.list_s for t in turns):.2f} s"
        f"   track(): {sum(t.track_s for t in turns):.2f} s"
        f"   the list again: {sum(t.list_again_s for t in turns):.2f} s"
    )
    print(
        f"   overhead, median of {len(turns)} turns:"
        f" {statistics.median(t.overhead for t in turns) * 100:+.1f}%"
        f" (quartiles {quartiles([t.overhead for t in turns])}; goal <= +5%)"
    )
    print(
        f"   noise, the two list ways: {statistics.median(t.noise for t in turns) * 100:+.1f}%"
        f" (quartiles {quartiles([t.noise for t in turns])})"
    )
    print(
        f"   track()'s batches arrived"
        f" {sum(r.batches for r in loop) / sum(t.track_s for t in turns):.1f} a second;"
        f" rows in history: {min(r.rows for r in loop)} of {LOOP_EPOCHS}"
    )

    script, headless, quiet = headless_vs_script(args.rounds)
    print(f"3. the bundled lessons but {', '.join(LEFT_OUT)}, wall time, median of {args.rounds}")
    print(f"   one plain Python script:  {statistics.median(script):.2f} s {spread(script)}")
    print(
        f"   tutor --headless:         {statistics.median(headless):.2f} s {spread(headless)} "
        f"(ratio {statistics.median(headless) / statistics.median(script):.2f}x, goal <= 1.15x)"
    )
    print(
        f"   tutor --headless --quiet: {statistics.median(quiet):.2f} s {spread(quiet)} "
        f"(ratio {statistics.median(quiet) / statistics.median(script):.2f}x)"
    )
    ratios = [h / s for h, s in zip(headless, script, strict=True)]
    print(f"   headless / script within each round: {spread(ratios)}")


if __name__ == "__main__":
    main()
