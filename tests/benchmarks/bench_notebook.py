"""A notebook run by tutor vs by nbclient, both as whole processes, side by side.

    python tests/benchmarks/bench_notebook.py NOTEBOOK.ipynb [--rounds N]

tutor: ``python -m tutor import NOTEBOOK -o lessons/01_notebook.md``, then
``python -m tutor --headless --lessons lessons -q``; nbclient: one process that reads
the notebook and executes it on a kernel of this interpreter.  Rounds alternate which
goes first, each in a fresh folder; prints every round, the medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NBCLIENT = """
import sys
import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from nbclient import NotebookClient


class ThisInterpreter(AsyncKernelManager):
    @property
    def kernel_spec(self):
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="this interpreter",
            language="python",
        )


notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, km=ThisInterpreter(), timeout=600).execute()
"""


def run(command: list[str], cwd: Path) -> None:
    environment = {**os.environ, "NO_COLOR": "1"}
    for name in ("TUTOR_KERNEL", "MPLBACKEND"):
        environment.pop(name, None)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")


def tutor_seconds(notebook: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-tutor-") as folder:
        lessons = Path(folder) / "lessons"
        lessons.mkdir()
        started = time.perf_counter()
        run(
            [
                sys.executable,
                "-m",
                "tutor",
                "import",
                str(notebook),
                "-o",
                "lessons/01_notebook.md",
            ],
            Path(folder),
        )
        run(
            [sys.executable, "-m", "tutor", "--headless", "--lessons", "lessons", "-q"],
            Path(folder),
        )
        return time.perf_counter() - started


def nbclient_seconds(notebook: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-nbclient-") as folder:
        started = time.perf_counter()
        run([sys.executable, "-c", NBCLIENT, str(notebook)], Path(folder))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    notebook = args.notebook.resolve()
    if not notebook.is_file():
        sys.exit(f"{notebook}: no such notebook")
    tutor_times: list[float] = []
    nbclient_times: list[float] = []
    for round_number in range(1, args.rounds + 1):
        pair = [
            ("tutor", tutor_seconds, tutor_times),
            ("nbclient", nbclient_seconds, nbclient_times),
        ]
        if round_number % 2 == 0:
            pair.reverse()
        figures = {}
        for name, measure, times in pair:
            times.append(measure(notebook))
            figures[name] = times[-1]
        print(
            f"round {round_number}: tutor import + headless {figures['tutor']:.2f} s, "
            f"nbclient {figures['nbclient']:.2f} s ({figures['tutor'] / figures['nbclient']:.2f}×)"
        )
    tutor_median = statistics.median(tutor_times)
    nbclient_median = statistics.median(nbclient_times)
    print(
        f"median of {args.rounds}: tutor {tutor_median:.2f} s vs nbclient {nbclient_median:.2f} s: "
        f"{tutor_median / nbclient_median:.2f}×"
    )


if __name__ == "__main__":
    main()
