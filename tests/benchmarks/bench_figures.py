"""What matplotlib support costs, measured side by side in one run; prints the figures.

    python tests/benchmarks/bench_figures.py [--rounds N] [--cells N]

"with" is tutor's session as it is (``MPLBACKEND`` names tutor's backend);
"without" is the same session with ``MPLBACKEND`` left out of the kernel's
environment (ipykernel then sets its inline backend, as before).

1. kernel start: session start to idle, and to the end of a first
   ``import torch`` step, for a lesson that never imports matplotlib;
2. the after-cell check when no figure is open: empty cells on a session that
   has loaded matplotlib against one that has not, and the hook alone, timed
   inside the kernel;
3. a first plotting cell (importing pyplot and drawing 1,000 points): tutor's
   backend against the inline backend, which renders a PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

from tutor.session import KernelSession
from tutor.session import process as session_process

LOAD_MATPLOTLIB = "import matplotlib.pyplot as plt\nplt.figure()\nplt.close('all')"
FIRST_PLOT = "import matplotlib.pyplot as plt\nplt.plot(range(1000))"
HOOK_ALONE = """
import statistics, timeit
from tutor.kernel.mpl_backend import flush_figures
hook_s = statistics.median(timeit.repeat(flush_figures, number=1000, repeat=9)) / 1000
"""


@contextlib.contextmanager
def without_tutor_backend() -> Iterator[None]:
    """Kernels started inside this block get no ``MPLBACKEND`` from tutor."""
    original = session_process.kernel_environment

    def environment(*args: Any) -> dict[str, str]:
        return {k: v for k, v in original(*args).items() if k != "MPLBACKEND"}

    session_process.kernel_environment = environment
    try:
        yield
    finally:
        session_process.kernel_environment = original


async def run(session: KernelSession, code: str) -> float:
    started = time.perf_counter()
    async for _event in session.run(code):
        pass
    return time.perf_counter() - started


async def start_times() -> tuple[float, float]:
    """Seconds from start to idle, and to the end of a first ``import torch`` step."""
    session = KernelSession()
    started = time.perf_counter()
    await session.start()
    idle = time.perf_counter() - started
    try:
        await run(session, "import torch")
        return idle, time.perf_counter() - started
    finally:
        await session.shutdown()


async def empty_cells(cells: int, load_matplotlib: bool) -> tuple[list[float], float | None]:
    """Round trips of ``cells`` empty cells, and the hook alone if matplotlib is loaded."""
    session = KernelSession()
    await session.start()
    try:
        hook = None
        if load_matplotlib:
            await run(session, LOAD_MATPLOTLIB + HOOK_ALONE)
            hook = await session.evaluate("hook_s")
        for _ in range(20):  # warm up
            await run(session, "pass")
        return [await run(session, "pass") for _ in range(cells)], hook
    finally:
        await session.shutdown()


async def first_plot() -> float:
    session = KernelSession()
    await session.start()
    try:
        return await run(session, FIRST_PLOT)
    finally:
        await session.shutdown()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="kernel starts of each kind")
    parser.add_argument("--cells", type=int, default=300, help="empty cells of each kind")
    args = parser.parse_args()

    starts: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    plots: dict[str, list[float]] = {"with": [], "without": []}
    for round_ in range(args.rounds):  # interleaved, each first in turn: drift hits both alike
        for kind in ("with", "without") if round_ % 2 == 0 else ("without", "with"):
            backend = contextlib.nullcontext() if kind == "with" else without_tutor_backend()
            with backend:
                starts[kind].append(asyncio.run(start_times()))
                plots[kind].append(asyncio.run(first_plot()))

    print(f"1. kernel start, no matplotlib in the lesson (median, and fastest, of {args.rounds})")
    for kind, times in starts.items():
        idle, torch = ([t[i] for t in times] for i in (0, 1))
        print(
            f"   {kind:>7} tutor's backend: to idle {ms(statistics.median(idle))} "
            f"({ms(min(idle)).strip()}), to `import torch` {ms(statistics.median(torch))} "
            f"({ms(min(torch)).strip()})"
        )

    loaded, hook = asyncio.run(empty_cells(args.cells, load_matplotlib=True))
    bare, _ = asyncio.run(empty_cells(args.cells, load_matplotlib=False))
    extra = statistics.median(loaded) - statistics.median(bare)
    print(f"2. empty cell round trip (median of {args.cells})")
    print(f"   matplotlib not loaded: {ms(statistics.median(bare))}")
    print(f"   matplotlib loaded:     {ms(statistics.median(loaded))} ({extra * 1000:+.2f} ms)")
    print(f"   the after-cell hook alone, no figure open: {hook * 1e6:.1f} µs (goal <= 2 ms)")

    print(f"3. first plotting cell, pyplot import and 1,000 points (median of {args.rounds})")
    print(f"   tutor's backend: {ms(statistics.median(plots['with']))}")
    print(f"   inline (PNG):    {ms(statistics.median(plots['without']))}")


if __name__ == "__main__":
    main()
