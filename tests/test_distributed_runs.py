"""run_distributed() with real torchrun ranks, in a real kernel and in the app.

Each run starts two processes that import torch (several seconds on a small
machine), so each test runs torchrun once and asserts all it can on that run:
rank 0's rows relayed live and kept, each rank's output prefixed, a rank's
exception as the step's, a hang stopped by the step's timeout, ctrl+c in the app,
the session killed mid-run, and after each, no rank or torchrun process left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio

from tests.builders import lesson_step, lesson_text
from tests.processes import TEST_TAG
from tests.test_app import ready, status_text, until
from tutor.lessons import load_lessons
from tutor.progress import ProgressStore
from tutor.session import (
    Error,
    Finished,
    History,
    KernelSession,
    KernelState,
    Metrics,
    Output,
    Progress,
    RunStatus,
)
from tutor.tui.app import TutorApp
from tutor.tui.widgets.loss_table import LossTable

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.kernel, pytest.mark.slow]

TRAIN = """\
import os
import torch
import torch.distributed as dist
from tutor.kernel import progress, track

dist.init_process_group("gloo")
rank = dist.get_rank()
print(f"hello from rank {rank} of {dist.get_world_size()}, "
      f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} MASTER_ADDR={os.environ['MASTER_ADDR']} "
      f"GLOO_SOCKET_IFNAME={os.environ.get('GLOO_SOCKET_IFNAME')}")
for epoch in progress(range(5)):
    total = torch.tensor([float(rank + 1)])
    dist.all_reduce(total)
    track(epoch=epoch, total=total.item() * (epoch + 1) * (1 if rank == 0 else -1))
dist.destroy_process_group()
"""

FAILS = """\
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
if dist.get_rank() == 1:
    raise ValueError("boom on rank 1")
dist.all_reduce(torch.ones(1))
"""

HANGS = """\
import os, sys, time
from pathlib import Path
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
Path(sys.argv[1], f"reached.{rank}").touch()
if rank == 1:
    while True:  # never reaches the all-reduce
        time.sleep(0.1)
dist.all_reduce(torch.ones(1))
"""

TRACKS_SLOWLY = """\
import time
import torch.distributed as dist
from tutor.kernel import progress, track

dist.init_process_group("gloo")
for epoch in progress(range(10_000)):
    if dist.get_rank() == 0:
        track(epoch=epoch, loss=1 / (epoch + 1))
    time.sleep(0.05)
"""


def launched(tag: str) -> list[psutil.Process]:
    """torchrun and the ranks that this test's kernel launched, still running."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "tutor.kernel.rank" not in cmdline and "tutor.kernel.torchrun" not in cmdline:
            continue
        if (process.info["environ"] or {}).get(TEST_TAG) != tag:
            continue
        if process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def listening(processes: list[psutil.Process]) -> set[str]:
    """The addresses the processes' TCP sockets listen on."""
    found = set()
    for process in processes:
        with contextlib.suppress(psutil.Error):
            for socket in process.net_connections(kind="inet"):
                if socket.status == psutil.CONN_LISTEN:
                    found.add(socket.laddr.ip)
    return found


def nothing_left(tag: str, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while launched(tag):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("distributed")
    for name, text in {
        "train.py": TRAIN,
        "fails.py": FAILS,
        "hangs.py": HANGS,
        "tracks_slowly.py": TRACKS_SLOWLY,
    }.items():
        (directory / name).write_text(text)
    return directory


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(work: Path) -> AsyncIterator[tuple[KernelSession, str]]:
    """A kernel shared by the tests that keep it usable, and the tag its processes carry."""
    kernel = KernelSession(cwd=work, device="cpu")
    await kernel.start()
    yield kernel, os.environ[TEST_TAG]
    await kernel.shutdown()


async def collect(session: KernelSession, code: str, **kwargs: object) -> list:
    return [event async for event in session.run(code, **kwargs)]


async def test_rank_0s_rows_and_progress_are_relayed_and_each_rank_speaks_with_its_prefix(
    session: tuple[KernelSession, str],
) -> None:
    kernel, tag = session
    events = await collect(kernel, "run_distributed('train.py', nproc=2)", timeout=240)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.status is RunStatus.OK, events[-3:]
    stdout = "".join(e.text for e in events if isinstance(e, Output) and e.stream == "stdout")
    for rank in (0, 1):
        assert (
            f"[rank {rank}] hello from rank {rank} of 2, OMP_NUM_THREADS=1 MASTER_ADDR=127.0.0.1 "
            "GLOO_SOCKET_IFNAME=lo" in stdout
        ), stdout
    everything = "".join(e.text for e in events if isinstance(e, Output))
    assert "Setting OMP_NUM_THREADS" not in everything, "torchrun's banner shows when it is unset"
    # Rank 0's rows (positive totals; rank 1's would be negative), live and in the record.
    live = [row for e in events if isinstance(e, Metrics) for row in e.rows]
    assert live and all(row["total"] > 0 for row in live)
    [complete] = [e for e in events if isinstance(e, History)]
    assert complete.rows == [{"epoch": float(i), "total": 3.0 * (i + 1)} for i in range(5)]
    assert [e for e in events if isinstance(e, Progress)][-1].done == 5
    assert await kernel.evaluate("len(history())") == 5, "history() in the session has them"
    assert nothing_left(tag)


async def test_a_rank_that_raises_fails_the_step_with_its_own_exception(
    session: tuple[KernelSession, str], work: Path
) -> None:
    kernel, tag = session
    await collect(kernel, "canary = 41")
    events = await collect(kernel, "run_distributed('fails.py', nproc=2)", timeout=240)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.status is RunStatus.ERROR
    [error] = [e for e in events if isinstance(e, Error)]
    assert (error.type, error.message) == ("ValueError", "boom on rank 1")
    traceback = "\n".join(error.traceback)
    assert traceback.startswith("rank 1 of 2 failed")
    assert f'File "{work / "fails.py"}", line 6' in traceback
    assert "tutor/kernel" not in traceback and "runpy" not in traceback, traceback
    stderr = "".join(e.text for e in events if isinstance(e, Output) and e.stream == "stderr")
    assert "[rank 1] ValueError: boom on rank 1" in stderr
    assert nothing_left(tag)
    assert await kernel.evaluate("canary") == 41, "the session keeps its state"


HANG_TIMEOUTS_S = (15, 60)
"""The hang's step timeout: the first, unless the ranks had not both reached the hang by
then (a machine too busy to start them in time); then once more with the second."""


async def test_a_rank_that_hangs_before_an_all_reduce_is_stopped_by_the_timeout(
    session: tuple[KernelSession, str], work: Path
) -> None:
    kernel, tag = session
    for attempt, timeout in enumerate(HANG_TIMEOUTS_S):
        marks = work / f"hang-marks-{attempt}"
        marks.mkdir()
        started = time.monotonic()
        code = f"run_distributed('hangs.py', nproc=2, args=[{str(marks)!r}])"
        events = await collect(kernel, code, timeout=timeout)
        took = time.monotonic() - started
        reached = sorted(p.name for p in marks.iterdir())
        if reached == ["reached.0", "reached.1"]:
            break
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.status is RunStatus.TIMEOUT, events[-3:]
    assert reached == ["reached.0", "reached.1"], "both ranks reached the hang before the timeout"
    assert not finished.state_lost, "one interrupt stopped it; the session is kept"
    assert took < timeout + 10
    assert nothing_left(tag)
    assert kernel.state is KernelState.IDLE
    session_dir = kernel.connection_file.parent
    assert session_dir.is_dir() and not list(session_dir.glob("torchrun-*")), (
        "the run's logs and relay file are removed"
    )


async def test_no_rank_outlives_a_session_killed_mid_run(work: Path) -> None:
    marks = work / "kill-marks"
    marks.mkdir()
    kernel = KernelSession(cwd=work, device="cpu")
    await kernel.start()
    tag = os.environ[TEST_TAG]
    try:
        code = f"run_distributed('hangs.py', nproc=2, args=[{str(marks)!r}])"
        run = asyncio.create_task(collect(kernel, code))
        deadline = time.monotonic() + 120
        while len(list(marks.iterdir())) < 2:
            assert time.monotonic() < deadline, "the ranks never started"
            await asyncio.sleep(0.1)
        assert launched(tag), "torchrun and its ranks run"
        # The rendezvous store, and whatever else listens, is on the loopback only.
        addresses = listening(launched(tag))
        assert addresses and addresses <= {"127.0.0.1"}, addresses
        await kernel.restart()  # the old kernel's process group is killed
        events = await run
        assert isinstance(events[-1], Finished) and events[-1].status is RunStatus.DEAD
        assert await asyncio.to_thread(nothing_left, tag, 15), launched(tag)
    finally:
        await kernel.shutdown()


async def test_ctrl_c_in_the_app_stops_every_rank_after_the_live_table_showed_rank_0(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    lessons = work / "lessons"
    lessons.mkdir()
    (lessons / "01_ranks.md").write_text(
        lesson_text(
            "Ranks",
            lesson_step("Launch", "run_distributed('tracks_slowly.py', nproc=2)"),
            lesson_id="ranks",
            requires=[],
        )
    )
    app = TutorApp(
        load_lessons(lessons), device="cpu", store=ProgressStore(work / "state" / "p.json")
    )
    tag = os.environ[TEST_TAG]
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        table = app.query_one(LossTable)
        await until(pilot, lambda: table.row_count >= 3, seconds=120)
        assert launched(tag), "the ranks are running"
        await pilot.press("ctrl+c")
        await ready(pilot, app)
        assert "KeyboardInterrupt" in status_text(app)
        assert await asyncio.to_thread(nothing_left, tag), launched(tag)
        assert app.session.state is KernelState.IDLE
