"""KernelSession against a real IPython kernel (tutor/session/kernel.py).

The tests that keep the session usable share one kernel (``session``); the ones that
kill, restart, time out past the grace period or shut down get a kernel of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio

from tutor.kernel.recorder import FLUSH_INTERVAL_S
from tutor.session import (
    ClearOutput,
    Display,
    Error,
    Finished,
    History,
    KernelSession,
    KernelState,
    Metrics,
    Output,
    Plot,
    Progress,
    Result,
    RunStatus,
    SessionError,
)
from tutor.session import process as process_module
from tutor.session.kernel import summary_events

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.kernel]

INFINITE = "import time\nwhile True:\n    time.sleep(0.01)\n"


async def collect(session: KernelSession, code: str, **kwargs: object) -> list:
    return [event async for event in session.run(code, **kwargs)]


def finished(events: list) -> Finished:
    assert events, "run() yielded nothing"
    last = events[-1]
    assert isinstance(last, Finished), f"the last event is {last!r}, not Finished"
    assert sum(isinstance(e, Finished) for e in events) == 1, events
    return last


def of_type(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def stdout(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, Output) and e.stream == "stdout")


async def value(session: KernelSession, expression: str) -> object:
    return await session.evaluate(expression)


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting to be reaped counts as exited)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@contextlib.asynccontextmanager
async def fresh_session(**kwargs: object) -> AsyncIterator[KernelSession]:
    session = KernelSession(**kwargs)  # type: ignore[arg-type]
    await session.start()
    try:
        yield session
    finally:
        await session.shutdown()


@pytest.fixture(scope="module")
def session_cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("session-cwd")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(session_cwd: Path) -> AsyncIterator[KernelSession]:
    kernel = KernelSession(cwd=session_cwd, device="cpu")
    await kernel.start()
    assert kernel.state is KernelState.IDLE
    yield kernel
    await kernel.shutdown()


# --------------------------------------------------------------------------- running code


async def test_state_persists_and_stdout_arrives(session: KernelSession) -> None:
    first = await collect(session, "persisted_value = 41\nprint('hello from the kernel')")
    assert finished(first).status is RunStatus.OK
    assert stdout(first) == "hello from the kernel\n"
    assert of_type(first, Output)[0].stream == "stdout"
    second = await collect(session, "persisted_value += 1\nprint(persisted_value)")
    assert finished(second).status is RunStatus.OK
    assert stdout(second) == "42\n"
    assert session.state is KernelState.IDLE


async def test_stderr_arrives_as_output(session: KernelSession) -> None:
    events = await collect(session, "import sys\nprint('to stderr', file=sys.stderr)")
    assert finished(events).status is RunStatus.OK
    assert [(e.stream, e.text) for e in of_type(events, Output)] == [("stderr", "to stderr\n")]


async def test_exception_gives_error_and_finished_error(session: KernelSession) -> None:
    events = await collect(session, "print('before')\nraise ValueError('bad value here')")
    done = finished(events)
    assert done.status is RunStatus.ERROR
    assert "ValueError" in done.reason
    errors = of_type(events, Error)
    assert len(errors) == 1
    assert errors[0].type == "ValueError"
    assert errors[0].message == "bad value here"
    assert any("ValueError" in line for line in errors[0].traceback)
    assert stdout(events) == "before\n"
    assert session.state is KernelState.IDLE


async def test_syntax_error(session: KernelSession) -> None:
    events = await collect(session, "def broken(:\n    pass")
    assert finished(events).status is RunStatus.ERROR
    errors = of_type(events, Error)
    assert [e.type for e in errors] == ["SyntaxError"]


async def test_sys_exit_is_an_error_not_a_death(session: KernelSession) -> None:
    events = await collect(session, "import sys\nsys.exit(3)")
    done = finished(events)
    assert done.status is RunStatus.ERROR
    assert "SystemExit" in done.reason
    assert [e.type for e in of_type(events, Error)] == ["SystemExit"]
    assert of_type(events, Error)[0].message == "3"
    assert session.state is KernelState.IDLE
    # the kernel lives on, with its namespace
    assert await value(session, "1 + 1") == 2


async def test_input_fails_cleanly(session: KernelSession) -> None:
    started = time.monotonic()
    events = await asyncio.wait_for(collect(session, "answer = input('name? ')"), 20)
    assert time.monotonic() - started < 10
    assert finished(events).status is RunStatus.ERROR
    errors = of_type(events, Error)
    assert errors and errors[0].type == "StdinNotImplementedError"
    assert session.state is KernelState.IDLE


async def test_interrupt_keeps_namespace(session: KernelSession) -> None:
    code = "import time\nset_before_interrupt = 'kept'\nprint('looping', flush=True)\n" + (
        "while True:\n    time.sleep(0.01)\n"
    )
    events = []
    interrupted_at = None
    async for event in session.run(code, timeout=60):
        events.append(event)
        if isinstance(event, Output) and "looping" in event.text and interrupted_at is None:
            await asyncio.sleep(0.2)
            interrupted_at = time.monotonic()
            await session.interrupt()
    assert interrupted_at is not None, "the loop never started"
    assert time.monotonic() - interrupted_at < 10
    done = finished(events)
    assert done.status is RunStatus.INTERRUPTED
    assert done.state_lost is False
    assert session.state is KernelState.IDLE
    assert await value(session, "set_before_interrupt") == "kept"


async def test_interrupt_when_idle_is_harmless(session: KernelSession) -> None:
    await session.interrupt()
    events = await collect(session, "print('still fine')")
    assert finished(events).status is RunStatus.OK
    assert stdout(events) == "still fine\n"


async def test_second_run_while_busy_is_refused(session: KernelSession) -> None:
    from tutor.session import SessionBusy

    first = asyncio.create_task(collect(session, "import time\ntime.sleep(0.5)\nbusy_done = 1"))
    deadline = time.monotonic() + 10
    while session.state is not KernelState.BUSY and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert session.state is KernelState.BUSY
    second = session.run("print('never')")
    with pytest.raises(SessionBusy):
        await second.__anext__()
    events = await first
    assert finished(events).status is RunStatus.OK
    assert session.state is KernelState.IDLE
    assert await value(session, "busy_done") == 1


async def test_timeout_interrupts_and_keeps_state(session: KernelSession) -> None:
    await collect(session, "kept_through_timeout = 7")
    started = time.monotonic()
    events = await collect(session, INFINITE, timeout=1)
    elapsed = time.monotonic() - started
    done = finished(events)
    assert done.status is RunStatus.TIMEOUT
    assert done.state_lost is False
    assert "1 s" in done.reason
    assert 0.9 <= elapsed < 10
    assert session.state is KernelState.IDLE
    assert await value(session, "kept_through_timeout") == 7


async def test_code_ignoring_interrupts_is_stopped_for_its_owner_to_restart() -> None:
    stubborn = (
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(0.01)\n"
        "    except KeyboardInterrupt:\n"
        "        pass\n"
    )
    async with fresh_session(interrupt_grace=1) as session:
        await collect(session, "lost_on_restart = 1")
        old_pid = session.pid
        started = time.monotonic()
        events = await collect(session, stubborn, timeout=1)
        elapsed = time.monotonic() - started
        done = finished(events)
        assert done.status is RunStatus.TIMEOUT
        assert done.state_lost is True
        assert "did not stop when interrupted" in done.reason
        assert elapsed < 30
        # the session stops the code; restarting is its owner's (the runner's) decision
        assert session.state is KernelState.DEAD
        assert session.death_reason == done.reason
        assert not psutil.pid_exists(old_pid) or psutil.Process(old_pid).status() == "zombie"
        refused = finished(await collect(session, "print('not run')"))
        assert refused.status is RunStatus.DEAD
        assert refused.state_lost is True, "a run on a dead session lost its state too"
        assert refused.reason == done.reason
        await session.restart()
        assert session.pid != old_pid
        assert await value(session, "'lost_on_restart' in get_ipython().user_ns") is False
        assert await session.inspect() == []
        after = await collect(session, "print('fresh')")
        assert finished(after).status is RunStatus.OK


@pytest.mark.parametrize(
    ("code", "reason_words"),
    [
        ("import os\nos._exit(1)", ("code 1",)),
        ("import ctypes\nctypes.string_at(0)", ("SIGSEGV",)),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", ("SIGKILL", "memory")),
    ],
    ids=["os-exit", "segfault", "sigkill"],
)
async def test_dead_kernel_is_reported(code: str, reason_words: tuple[str, ...]) -> None:
    async with fresh_session() as session:
        await collect(session, "x = 1")
        started = time.monotonic()
        events = await asyncio.wait_for(collect(session, code), 30)
        assert time.monotonic() - started < 5
        done = finished(events)
        assert done.status is RunStatus.DEAD
        assert session.state is KernelState.DEAD
        for word in reason_words:
            assert word in session.death_reason
            assert word in done.reason
        # running again on a dead session says so at once
        again = await collect(session, "print(1)")
        assert finished(again).status is RunStatus.DEAD
        assert again == [again[-1]]


async def test_restart_gives_fresh_namespace() -> None:
    async with fresh_session() as session:
        await collect(session, "before_restart = 123")
        assert await value(session, "before_restart") == 123
        old_pid = session.pid
        await session.restart()
        assert session.state is KernelState.IDLE
        assert session.pid is not None and session.pid != old_pid
        assert gone(old_pid)
        events = await collect(session, "before_restart")
        assert finished(events).status is RunStatus.ERROR
        assert [e.type for e in of_type(events, Error)] == ["NameError"]
        # the helpers are installed again
        events = await collect(session, "track(a=1)\nprint(history())")
        assert stdout(events) == "[{'a': 1.0}]\n"


# --------------------------------------------------------------------------- structured events


async def test_metrics_flood_history_complete_and_live_rate_limited(
    session: KernelSession,
) -> None:
    code = (
        "import time\n"
        "for i in range(10_000):\n"
        "    track(i=i)\n"
        "    if i % 50 == 0:\n"
        "        time.sleep(0.005)\n"
    )
    events = await collect(session, code)
    done = finished(events)
    assert done.status is RunStatus.OK
    histories = of_type(events, History)
    assert len(histories) == 1
    rows = histories[0].rows
    assert len(rows) == 10_000
    assert [row["i"] for row in rows] == [float(i) for i in range(10_000)]
    live = of_type(events, Metrics)
    assert live, "no live Metrics events at all"
    # at most one batch per FLUSH_INTERVAL_S, plus the first and the last flush
    assert len(live) <= done.duration_s / FLUSH_INTERVAL_S + 5, (len(live), done.duration_s)
    assert len(live) < 200
    previous_end = 0
    for batch in live:
        assert batch.start >= previous_end
        assert [row["i"] for row in batch.rows] == [
            float(batch.start + k) for k in range(len(batch.rows))
        ]
        previous_end = batch.start + len(batch.rows)
    # each run starts a new history
    events = await collect(session, "track(loss=0.5)")
    assert of_type(events, History)[0].rows == [{"loss": 0.5}]


async def test_plot_event_from_plot_predictions(session: KernelSession) -> None:
    code = "plot_predictions([0, 1, 2], [0, 2, 4], [3, 4], [6, 8], predictions=[5.5, 8.5])"
    events = await collect(session, code)
    assert finished(events).status is RunStatus.OK
    plots = of_type(events, Plot)
    assert len(plots) == 1, plots
    spec = plots[0].spec
    assert spec["kind"] == "scatter"
    assert spec["title"] == "Data split"
    labels = [s["label"] for s in spec["series"]]
    assert labels == ["Training data", "Test data", "Predictions"]
    assert spec["series"][0]["x"] == [0.0, 1.0, 2.0]
    assert spec["series"][0]["y"] == [0.0, 2.0, 4.0]
    assert spec["series"][2]["x"] == [3.0, 4.0]
    assert spec["series"][2]["y"] == [5.5, 8.5]


async def test_progress_events_end_at_total(session: KernelSession) -> None:
    code = "for step in progress(range(25), description='epochs'):\n    pass"
    events = await collect(session, code)
    assert finished(events).status is RunStatus.OK
    updates = of_type(events, Progress)
    assert updates
    assert updates[-1].done == 25
    assert updates[-1].total == 25
    assert updates[-1].description == "epochs"
    dones = [u.done for u in updates]
    assert dones == sorted(dones)
    assert all(u.total == 25 for u in updates)


# --------------------------------------------------------------------------- queries


async def test_inspect_summaries(session: KernelSession) -> None:
    code = (
        "import torch\n"
        "inspect_t = torch.tensor([[1.0, float('nan')], [float('inf'), -2.0]])\n"
        "inspect_model = torch.nn.Linear(2, 1)\n"
        "inspect_loss = inspect_model(torch.ones(4, 2)).sum()\n"
        "inspect_loss.backward()\n"
        "inspect_opt = torch.optim.SGD(inspect_model.parameters(), lr=0.1)\n"
        "inspect_ints = torch.arange(6, dtype=torch.int64).reshape(2, 3)\n"
        "_private_tensor = torch.ones(3)\n"
    )
    assert finished(await collect(session, code)).status is RunStatus.OK
    entries = await session.inspect()
    by_name = {e["name"]: e for e in entries}
    names = set(by_name)
    for helper in ("track", "history", "progress", "plot", "plot_predictions", "tutor_device"):
        assert helper not in names
    assert not any(name.startswith("_") for name in names), names

    t = by_name["inspect_t"]
    assert t["kind"] == "tensor"
    assert t["shape"] == [2, 2]
    assert t["dtype"] == "float32"
    assert t["device"] == "cpu"
    assert t["requires_grad"] is False
    assert t["has_grad"] is False
    assert t["nan"] == 1
    assert t["inf"] == 1
    assert t["min"] == -2.0
    assert t["max"] == 1.0
    assert t["mean"] == pytest.approx(-0.5)
    assert t["bytes"] == 16

    ints = by_name["inspect_ints"]
    assert ints["dtype"] == "int64"
    assert ints["shape"] == [2, 3]
    assert (ints["min"], ints["max"]) == (0.0, 5.0)
    assert ints["mean"] == pytest.approx(2.5)
    assert ints["bytes"] == 48
    assert (ints["nan"], ints["inf"]) == (0, 0)

    loss = by_name["inspect_loss"]
    assert loss["shape"] == []
    assert loss["requires_grad"] is True
    assert loss["has_grad"] is False  # not a leaf

    module = by_name["inspect_model"]
    assert module["kind"] == "module"
    assert module["type"] == "Linear"
    assert module["params"] == 3
    assert module["device"] == "cpu"
    assert module["training"] is True
    assert module["bytes"] == 12

    weight = by_name["inspect_model.weight"]
    assert weight["kind"] == "parameter"
    assert weight["type"] == "Parameter"
    assert weight["shape"] == [1, 2]
    assert weight["requires_grad"] is True
    assert weight["has_grad"] is True
    assert weight["bytes"] == 8
    bias = by_name["inspect_model.bias"]
    assert bias["shape"] == [1]
    assert bias["has_grad"] is True

    opt = by_name["inspect_opt"]
    assert opt["kind"] == "optimizer"
    assert opt["type"] == "SGD"
    assert opt["lr"] == pytest.approx(0.1)
    assert opt["params"] == 2


async def test_describe_on_cpu(session: KernelSession) -> None:
    import importlib.metadata

    described = await session.describe()
    assert described["ok"] is True
    assert described["device"] == "cpu"
    assert described["torch_version"] == importlib.metadata.version("torch")


async def test_after_describe_the_first_optimizer_is_warmed_up_in_the_background(
    tmp_path: Path,
) -> None:
    warm = "[t.name for t in __import__('threading').enumerate() if t.name == 'tutor-warm-up']"
    dynamo = "'torch._dynamo' in __import__('sys').modules"
    async with fresh_session(cwd=tmp_path, device="cpu") as session:
        # Lessons that make no optimizer ask for no warm-up.
        assert (await session.describe(warm_up=False))["ok"] is True
        assert await session.evaluate(warm) == []
        assert await session.evaluate(dynamo) is False
        assert (await session.describe())["ok"] is True
        assert await session.evaluate(warm) == ["tutor-warm-up"]
        # A step run at once does not wait for the warm-up.
        events = await collect(session, "import torch\nt = torch.ones(2) * 2")
        assert finished(events).status is RunStatus.OK, events
        deadline = time.monotonic() + 60
        while await session.evaluate(warm):
            assert time.monotonic() < deadline, "the warm-up never ended"
            await asyncio.sleep(0.1)
        assert await session.evaluate(dynamo) is True
        events = await collect(
            session,
            "m = torch.nn.Linear(1, 1)\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\nopt.step()",
        )
        assert finished(events).status is RunStatus.OK, events


async def test_evaluate_error_is_session_error(session: KernelSession) -> None:
    from tutor.session import SessionError

    with pytest.raises(SessionError, match="ZeroDivisionError"):
        await session.evaluate("1 / 0")
    assert session.state is KernelState.IDLE


async def test_describe_cuda_on_a_machine_without_cuda() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the test is about one without")
    async with fresh_session(device="cuda") as session:
        described = await session.describe()
    assert described["ok"] is False
    assert "'cuda' is not available" in described["error"]
    assert "--device cpu" in described["error"]
    assert described["torch_version"] == torch.__version__


async def test_kernel_cwd_is_session_cwd(session: KernelSession, session_cwd: Path) -> None:
    assert Path(await value(session, "__import__('os').getcwd()")).resolve() == (
        session_cwd.resolve()
    )
    assert Path(psutil.Process(session.pid).cwd()).resolve() == session_cwd.resolve()


async def test_connection_file_is_private(session: KernelSession) -> None:
    path = session.connection_file
    assert path is not None and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # jupyter_client adds the sticky bit (0o1000) to the folder; what matters is
    # that only the owner may enter, read or write it
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o777 == 0o700
    assert path.parent.stat().st_uid == os.getuid()


async def test_kernel_has_no_inet_sockets(session: KernelSession) -> None:
    connections = psutil.Process(session.pid).net_connections(kind="inet")
    assert connections == [], "the kernel has TCP/UDP sockets: " + ", ".join(
        f"{c.laddr} {c.status}" for c in connections
    )


async def test_lesson_code_may_import_what_the_kernel_starts_without(
    session: KernelSession,
) -> None:
    """The kernel starts without ipykernel's debugger, yet debugpy stays importable."""
    events = await collect(session, "import debugpy\nprint(debugpy.__name__)")
    assert finished(events).status is RunStatus.OK, events
    assert stdout(events) == "debugpy\n"


async def test_a_kernel_that_dies_on_start_up_is_a_session_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        process_module, "KERNEL_ARGV", [sys.executable, "-c", "raise SystemExit(3)"]
    )
    session = KernelSession(cwd=tmp_path)
    started = time.monotonic()
    with pytest.raises(SessionError, match="could not start"):
        await session.start()
    assert time.monotonic() - started < 30
    assert session.pid is None
    assert session.state is not KernelState.IDLE


async def test_shutdown_leaves_no_process(tmp_path: Path) -> None:
    session = KernelSession(cwd=tmp_path)
    await session.start()
    pid = session.pid
    assert pid is not None and psutil.pid_exists(pid)
    directory = session.connection_file.parent
    events = await collect(
        session,
        "import subprocess\nchild = subprocess.Popen(['sleep', '60'])\nprint(child.pid)",
    )
    child = int(stdout(events))
    assert psutil.Process(child).status() != psutil.STATUS_ZOMBIE
    await session.shutdown()
    assert session.state is KernelState.STOPPED
    assert session.pid is None

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (gone(pid) and gone(child)):
        await asyncio.sleep(0.05)
    assert gone(pid), "the kernel process is still running"
    assert gone(child), "a process the kernel started is still running"
    assert not directory.exists(), "the connection directory was left behind"
    await session.shutdown()  # safe to call twice
    assert session.state is KernelState.STOPPED


async def test_guard_restores_cwd_and_reports_default_dtype(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    kernel = KernelSession(cwd=tmp_path, device="cpu")
    await kernel.start()
    try:
        events = [e async for e in kernel.run(f"import os, torch\nos.chdir({str(elsewhere)!r})")]
        warned = "".join(e.text for e in events if isinstance(e, Output) and e.stream == "stderr")
        assert "changed it back" in warned
        assert await kernel.evaluate("os.getcwd()") == str(tmp_path)
        events = [e async for e in kernel.run("torch.set_default_dtype(torch.float64)")]
        warned = "".join(e.text for e in events if isinstance(e, Output) and e.stream == "stderr")
        assert "default dtype to torch.float64" in warned
        events = [e async for e in kernel.run("x = 1")]
        assert not [e for e in events if isinstance(e, Output)], "reported once, not every step"
    finally:
        await kernel.shutdown()


async def test_messages_are_signed_and_the_key_is_never_logged(tmp_path: Path) -> None:
    import json

    import zmq
    from jupyter_client.session import Session as Wire

    async with fresh_session(cwd=tmp_path) as session:
        assert session.connection_file is not None
        info = json.loads(session.connection_file.read_text())
        key = info["key"]
        assert info["signature_scheme"] == "hmac-sha256" and len(key) >= 32
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.connect(f"ipc://{info['ip']}-{info['shell_port']}")
        try:
            for signer, marker in (
                (Wire(key=b"a-guessed-key", signature_scheme="hmac-sha256"), "forged"),
                (Wire(key=key.encode(), signature_scheme="hmac-sha256"), "signed"),
            ):
                code = f"open({str(tmp_path / marker)!r}, 'w').close()"
                content = {"code": code, "silent": True, "store_history": False}
                signer.send(socket, "execute_request", content={**content, "allow_stdin": False})
            deadline = time.monotonic() + 20
            while not (tmp_path / "signed").exists():  # requests run in the order sent
                assert time.monotonic() < deadline, "the properly signed request never ran"
                await asyncio.sleep(0.05)
            assert not (tmp_path / "forged").exists(), "a request with a wrong signature ran"
        finally:
            socket.close(linger=0)
        await collect(session, "print('still fine')")
        log = (session.connection_file.parent / "kernel.log").read_bytes()
    assert key.encode() not in log


async def test_kill_ends_the_kernel_and_its_files_at_once(tmp_path: Path) -> None:
    session = KernelSession(cwd=tmp_path)
    await session.start()
    pid, directory = session.pid, session.connection_file.parent
    assert pid is not None and directory.exists()
    session.kill()  # no await: for a process about to end without its event loop
    deadline = time.monotonic() + 10
    while not gone(pid):
        assert time.monotonic() < deadline, "the kernel outlived kill()"
        await asyncio.sleep(0.05)
    assert not directory.exists()
    assert session.state is KernelState.STOPPED
    await session.shutdown()  # and shutting down afterwards is harmless


# --------------------------------------------------------------------------- notebook output


async def test_a_last_expression_is_a_result_with_its_count(session: KernelSession) -> None:
    events = await collect(session, "seven = 7\nseven * 6")
    [result] = of_type(events, Result)
    assert result.data["text/plain"] == "42"
    assert result.count > 0
    again = of_type(await collect(session, "seven"), Result)
    assert [r.count for r in again] == [result.count + 1], "one Out[n] per cell, as numbered"
    assert of_type(await collect(session, "x_unshown = seven;"), Result) == []


async def test_displays_updates_and_clears_arrive_in_order(session: KernelSession) -> None:
    code = (
        "from IPython.display import display, clear_output\n"
        "handle = display('first', display_id=True)\n"
        "handle.update('second')\n"
        "clear_output(wait=True)\n"
        "print('after')\n"
    )
    events = [
        e for e in await collect(session, code) if isinstance(e, Display | ClearOutput | Output)
    ]
    first, update, clear, printed = events
    assert first == Display(first.data, first.display_id) and first.display_id
    assert first.data["text/plain"] == "'first'"
    assert update.update and update.display_id == first.display_id
    assert update.data["text/plain"] == "'second'"
    assert clear == ClearOutput(wait=True)
    assert printed == Output("stdout", "after\n")


async def test_a_result_whose_message_was_lost_comes_from_the_run_record(
    session: KernelSession,
) -> None:
    await collect(session, "'the value'")
    summary = await value(session, "__tutor__.run_summary()")
    assert summary["result"]["text"] == "'the value'"
    [recovered] = summary_events(summary, set(), result_seen=False)
    assert recovered == Result({"text/plain": "'the value'"}, summary["result"]["count"])
    assert summary_events(summary, set(), result_seen=True) == []
    await collect(session, "no_result = 1")
    assert (await value(session, "__tutor__.run_summary()"))["result"] is None


# --------------------------------------------------------------------------- completion and help


async def test_completion_on_a_warm_kernel_counts_code_points(session: KernelSession) -> None:
    await collect(session, "naïve_total = 1\nnaïve_count = 2")
    code = "é = 'ü'; naïve_t"  # characters beyond ASCII before the cursor
    # The first completion warms IPython's completer (jedi): give it time.  Then warm.
    completion = await session.complete(code, len(code), timeout=30)
    texts = [item.text for item in completion.matches]
    assert texts == ["naïve_total"], texts
    assert (completion.start, completion.end) == (len(code) - len("naïve_t"), len(code))
    # jedi infers types within a budget (400 ms) and calls the rest "<unknown>", which
    # a loaded machine reaches: give it room, so that the types are there to pass on.
    budget = "get_ipython().Completer.jedi_compute_type_timeout"
    await collect(session, f"{budget} = 20_000")
    try:
        completion = await session.complete("import os\nos.pa", len("import os\nos.pa"), timeout=30)
    finally:
        await collect(session, f"{budget} = 400")
    kinds = {item.text: item.type for item in completion.matches}
    assert kinds.get("pathconf") == "function", kinds


async def test_inspect_gives_the_signature_and_docstring_as_plain_text(
    session: KernelSession,
) -> None:
    text = await session.inspect_code("len(x)", 2, timeout=30)
    assert "Return the number of items in a container." in text and "\x1b" not in text
    assert await session.inspect_code("no_such_name_here", 5) == ""


async def test_completion_while_busy_answers_at_once_and_late_answers_time_out(
    session: KernelSession,
) -> None:
    from tutor.session import SessionBusy

    run = asyncio.create_task(collect(session, "import time\ntime.sleep(1.0)"))
    while session.state is not KernelState.BUSY:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(SessionBusy):
        await session.complete("le", 2)
    assert time.monotonic() - started < 0.1, "a run in flight: the request is not even sent"
    await run
    # The kernel busy with a silent request of tutor's own: the answer comes too late.
    query = asyncio.create_task(session.evaluate("__import__('time').sleep(1.0)"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(SessionBusy, match=r"within 0\.3 s"):
        await session.complete("le", 2, timeout=0.3)
    assert time.monotonic() - started < 0.5
    await query
    assert "len" in [item.text for item in (await session.complete("le", 2, timeout=30)).matches]
