"""What ``run_distributed()`` costs over torchrun called by hand; prints figures and ratios.

    python tests/benchmarks/bench_distributed.py [--rounds N] [--lesson]

1. the lesson's training script (``models/train_ddp.py`` of lesson 9, 2 ranks of
   batch 20) launched from one warm Python process, round by round in turn: with
   ``run_distributed()``, and with ``python -m torch.distributed.run`` on the same
   rendezvous flags and ``OMP_NUM_THREADS=1``, as a learner would type it;
2. with ``--lesson``: ``python -m tutor --headless --lesson distributed`` once, wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tutor.kernel import run_distributed
from tutor.kernel.distributed import LOOPBACK
from tutor.lessons import bundled_lessons_dir, load_lessons

WRITEFILE = "%%writefile "


def lesson_script() -> tuple[str, str]:
    """The path and text of the script lesson 9 writes with ``%%writefile``."""
    lesson = load_lessons(bundled_lessons_dir()).get("distributed")
    assert lesson is not None, "lesson 9 (distributed) is missing"
    for step in lesson.steps:
        for block in step.runnable_blocks():
            if block.text.startswith(WRITEFILE):
                first, _, body = block.text.partition("\n")
                return first[len(WRITEFILE) :].strip(), body
    raise LookupError("lesson 9 writes no script")


def by_hand(script: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node=2",
            "--rdzv-backend=c10d",
            f"--rdzv-endpoint={LOOPBACK}:0",
            f"--local-addr={LOOPBACK}",
            script,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def with_tutor(script: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        run_distributed(script, 2)


def timed(run, script: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    run(script)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lesson", action="store_true", help="also time the lesson headless")
    args = parser.parse_args()
    path, text = lesson_script()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
        hand, tutor = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            hand.append(timed(by_hand, path))
            tutor.append(timed(with_tutor, path))
        h, t = statistics.median(hand), statistics.median(tutor)
        print(f"1. lesson 9's script, 2 ranks, median of {args.rounds} (interleaved):")
        print(f"   torchrun by hand {h:.2f} s, run_distributed() {t:.2f} s: {t / h:.2f}×")
        print("   by hand:", ", ".join(f"{x:.2f}" for x in hand))
        print("   tutor:  ", ", ".join(f"{x:.2f}" for x in tutor))
        if args.lesson:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "tutor", "--headless", "-q", "--lesson", "distributed"],
                check=True,
                stdout=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )
            print(f"2. --headless --lesson distributed: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
