"""The fault matrix's rows: broken lesson code, shared by the headless and app tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    code: str
    error: str | None
    """The step's error type in headless (with --timeout); None: the step passes."""
    keeps_state: bool = True
    """The session keeps its variables (else it is restarted)."""
    check: str | None = None
    """A check that must still pass after the fault."""
    interrupts: int = 0
    """How many times the learner presses ctrl+c in the app to stop it."""
    says: str | None = None
    """What tutor tells the learner in the step's output."""
    needs_memory_limit: bool = False
    """Run it under ``MEMORY_LIMIT`` (headless sets it on the process, the app test in
    the kernel), so that it fails at once instead of taking the machine's memory."""


MEMORY_LIMIT = 8 * 1024**3
"""Address space for a process running the memory-hungry fault."""


FAULTS = [
    Fault("raises", "raise ValueError('boom')", "ValueError"),
    # The loader refuses a lesson whose own code does not parse, so the syntax error
    # comes as a learner's exercise code brings it: code compiled as the step runs.
    Fault("syntax-error", "exec('x = (')", "SyntaxError"),
    Fault("sys-exit", "import sys\nsys.exit(3)", "SystemExit"),
    Fault("os-exit", "import os\nos._exit(1)", "SessionDied", keeps_state=False),
    Fault("segfault", "import ctypes\nctypes.string_at(0)", "SessionDied", keeps_state=False),
    Fault("endless-loop", "while True:\n    pass", "Timeout", interrupts=1),
    Fault(
        "ignores-interrupts",
        "import time\nwhile True:\n    try:\n        time.sleep(0.01)\n"
        "    except KeyboardInterrupt:\n        pass",
        "Timeout",
        keeps_state=False,
        interrupts=2,
    ),
    Fault("input", "name = input('Your name? ')", "StdinNotImplementedError"),
    Fault(
        "prints-50-mb",
        "line = 'x' * 999\nfor _ in range(50_000):\n    print(line)",
        None,
    ),
    Fault(
        "100k-metrics",
        "for i in range(100_000):\n    track(i=i, loss=1 / (i + 1))",
        None,
        check="assert len(history()) == 100_000\nassert history()[-1]['i'] == 99_999",
    ),
    Fault(
        "million-point-plot",
        "plot(('big', range(1_000_000), range(1_000_000)), kind='line')",
        None,
    ),
    Fault(
        "changes-directory",
        "import os\nstart = os.getcwd()\nos.chdir('/')",
        None,
        check="import os\nassert os.getcwd() == start",
        says="changed the working directory to /",
    ),
    Fault(
        "default-dtype",
        "import torch\ntorch.set_default_dtype(torch.float64)",
        None,
        check="assert torch.ones(1).dtype == torch.float64\ntorch.set_default_dtype(torch.float32)",
        says="default dtype to torch.float64",
    ),
    Fault(
        "default-device",
        "import torch\ntorch.set_default_device('meta')",
        None,
        check="assert torch.ones(1).device.type == 'meta'\ntorch.set_default_device(None)",
        says="default device to meta",
    ),
    Fault(
        "background-thread",
        "import threading, time\n"
        "def chatter():\n    while True:\n        time.sleep(0.2)\n"
        "threading.Thread(target=chatter, daemon=True).start()",
        None,
    ),
    Fault(
        "eats-memory",
        # numpy.empty reserves address space without touching it: the limit is hit at once.
        "import numpy\nhoard = []\nwhile True:\n    hoard.append(numpy.empty(2**28, numpy.uint8))",
        "MemoryError",
        needs_memory_limit=True,
    ),
]


@dataclass(frozen=True)
class RankFault:
    """A training script whose rank 1 misbehaves, launched with ``run_distributed()``."""

    name: str
    rank_1: str
    """What rank 1 does after joining the process group; rank 0 goes on to an all-reduce."""
    error: str
    """The step's error type in headless."""
    says: str
    """The start of the step's error message."""


RANK_SCRIPT = """\
import os, sys, time
from pathlib import Path
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
Path(sys.argv[1], f"joined.{{dist.get_rank()}}").touch()
if dist.get_rank() == 1:
{rank_1}
dist.all_reduce(torch.ones(1))
"""
"""Run with a folder as its argument, where each rank leaves a mark once it has joined."""


def rank_script(fault: RankFault) -> str:
    body = "\n".join("    " + line for line in fault.rank_1.splitlines())
    return RANK_SCRIPT.format(rank_1=body)


RANK_FAULTS = [
    RankFault("rank-raises", "raise ValueError('boom on rank 1')", "ValueError", "boom on rank 1"),
    RankFault("rank-os-exit", "os._exit(3)", "RankFailed", "rank 1 exited with code 3"),
    RankFault(
        "rank-segfault",
        "import ctypes\nctypes.string_at(0)",
        "RankFailed",
        "rank 1 was killed by signal SIGSEGV",
    ),
    RankFault(
        "rank-hangs",
        "while True:  # never reaches the all-reduce rank 0 waits in\n    time.sleep(0.1)",
        "Timeout",
        "the step ran longer than",
    ),
]
"""run_distributed()'s rows of the fault matrix: every rank stops, the session keeps its state."""
