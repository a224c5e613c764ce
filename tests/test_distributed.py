"""run_distributed() without torchrun: its command line, the relay of rank 0's rows, the
rank's error as the step's, and the GPU memory figures with CUDA mocked.

The runs with real ranks are in tests/test_distributed_runs.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.builders import lesson_step, lesson_text
from tests.scripted import Reply, ScriptedSession
from tests.test_app import ready, until
from tutor.hints import hint_for
from tutor.kernel import distributed, recorder
from tutor.kernel.helpers import history, progress, run_distributed, track
from tutor.kernel.inspect import cuda_memory
from tutor.lessons import load_lessons
from tutor.progress import ProgressStore
from tutor.protocol import RELAY_ENV, ModuleSummary, TensorSummary
from tutor.report import RunReport, to_json
from tutor.runner import LessonFinished, Runner, StepFinished, StepStatus
from tutor.session import Memory
from tutor.session.kernel import summary_events
from tutor.tui.app import TutorApp
from tutor.tui.widgets.tensor_inspector import COLUMNS, TensorInspector, device_totals
from tutor.tui.widgets.top_bar import TopBar, memory_text


@pytest.fixture
def fresh_recorder(monkeypatch: pytest.MonkeyPatch) -> recorder.Recorder:
    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    fresh = recorder.Recorder()
    monkeypatch.setattr(recorder, "current", fresh)
    return fresh


# --------------------------------------------------------------------------- the command


def test_torchrun_runs_on_the_loopback_address_only(tmp_path: Path) -> None:
    command = distributed.torchrun_command("train.py", 2, tmp_path, ["--epochs", "3"])
    assert command[:4] == [command[0], "-u", "-m", "tutor.kernel.torchrun"]
    assert "--standalone" not in command, "the standalone rendezvous resolves the host name"
    assert "--rdzv-backend=c10d" in command
    assert "--rdzv-endpoint=127.0.0.1:0" in command
    assert "--local-addr=127.0.0.1" in command
    assert "--nproc-per-node=2" in command and "--max-restarts=0" in command
    assert command[-5:] == ["-m", "tutor.kernel.rank", "train.py", "--epochs", "3"]


def test_bad_arguments_say_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no script at"):
        run_distributed(tmp_path / "missing.py", 2)
    script = tmp_path / "train.py"
    script.write_text("")
    with pytest.raises(ValueError, match="nproc must be a whole number"):
        run_distributed(script, 0)
    with pytest.raises(TypeError, match="args must be a list of strings"):
        run_distributed(script, 2, args="--epochs 3")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the relay


def test_rank_0_relays_its_rows_and_progress_and_the_session_records_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_recorder: recorder.Recorder
) -> None:
    relay = tmp_path / "relay.jsonl"
    monkeypatch.setenv(RELAY_ENV, str(relay))
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")
    monkeypatch.setenv("RANK", "0")
    for epoch in progress(range(3)):
        track(epoch=epoch, loss=1.0 / (epoch + 1))
    fresh_recorder.flush()
    lines = [json.loads(line) for line in relay.read_text().splitlines()]
    assert [row for line in lines for row in line.get("metrics", {}).get("rows", [])] == [
        {"epoch": 0.0, "loss": 1.0},
        {"epoch": 1.0, "loss": 0.5},
        {"epoch": 2.0, "loss": 1 / 3},
    ]
    assert lines[-1]["progress"] == {"done": 3, "total": 3, "description": ""}

    # The session's side: the same rows become its own history, read in two halves.
    monkeypatch.delenv(RELAY_ENV)
    session_recorder = recorder.Recorder()
    monkeypatch.setattr(recorder, "current", session_recorder)
    reader = distributed._Relay(relay)
    data = relay.read_bytes()
    relay.write_bytes(data[: len(data) // 2])
    reader.poll()
    relay.write_bytes(data)
    reader.poll()
    assert history() == [
        {"epoch": 0.0, "loss": 1.0},
        {"epoch": 1.0, "loss": 0.5},
        {"epoch": 2.0, "loss": 1 / 3},
    ]
    assert session_recorder.run_progress == {"done": 3, "total": 3, "description": ""}


def test_other_ranks_send_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_recorder: recorder.Recorder
) -> None:
    relay = tmp_path / "relay.jsonl"
    monkeypatch.setenv(RELAY_ENV, str(relay))
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")
    monkeypatch.setenv("RANK", "1")
    track(epoch=0, loss=1.0)
    fresh_recorder.flush()
    assert not relay.exists()
    assert history() == [{"epoch": 0.0, "loss": 1.0}], "the rank keeps its own rows"


# --------------------------------------------------------------------------- errors


def error_file(log_dir: Path, rank: int, message: str, callstack: str = "") -> Path:
    path = log_dir / "run_abc" / "attempt_0" / str(rank) / "error.json"
    path.parent.mkdir(parents=True)
    body = {"message": message, "extraInfo": {"py_callstack": callstack, "timestamp": "0"}}
    path.write_text(json.dumps({"message": body}))
    return path


def aged(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


def test_the_first_rank_to_fail_is_the_one_reported(tmp_path: Path) -> None:
    aged(error_file(tmp_path, 1, "ValueError: boom", "Traceback …\nValueError: boom\n"), 1)
    aged(error_file(tmp_path, 0, "KeyError: 'later'"), 2)
    error = distributed.failed_rank(tmp_path, "", 1, 2)
    assert (type(error).__name__, str(error), error.rank) == ("ValueError", "boom", 1)
    assert error.rank_traceback == "Traceback …\nValueError: boom\n"


def test_a_rank_that_only_saw_another_go_is_not_the_cause(tmp_path: Path) -> None:
    aged(error_file(tmp_path, 0, "RuntimeError: [pair.cc:553] Connection closed by peer"), 1)
    aged(error_file(tmp_path, 1, "ValueError: boom"), 2)
    error = distributed.failed_rank(tmp_path, "", 1, 2)
    assert (type(error).__name__, error.rank) == ("ValueError", 1)


def summary(code: int, *, other_has_file: bool = False) -> str:
    other_file = "/tmp/logs/attempt_0/0/error.json" if other_has_file else "<N/A>"
    return f"""\
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
train.py FAILED
------------------------------------------------------------
Failures:
[1]:
  time      : 2026-12-02_01:00:48
  rank      : 0 (local_rank: 0)
  exitcode  : {-15 if not other_has_file else 1} (pid: 9428)
  error_file: {other_file}
  traceback : Signal 15 (SIGTERM) received by PID 9428
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-12-02_01:00:48
  rank      : 1 (local_rank: 1)
  exitcode  : {code} (pid: 9429)
  error_file: <N/A>
  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html
============================================================
"""


@pytest.mark.parametrize(
    ("code", "says"),
    [(3, "rank 1 exited with code 3"), (-11, "rank 1 was killed by signal SIGSEGV")],
)
def test_a_rank_that_died_without_an_exception_is_named_from_torchruns_summary(
    tmp_path: Path, code: int, says: str
) -> None:
    error = distributed.failed_rank(tmp_path, summary(code), 1, 2)
    assert (str(error), error.rank) == (says, 1)


def test_a_rank_that_died_silently_comes_before_the_peer_that_lost_it(tmp_path: Path) -> None:
    error_file(tmp_path, 0, "RuntimeError: Connection closed by peer [127.0.0.1]:29061")
    output = summary(3, other_has_file=True)
    error = distributed.failed_rank(tmp_path, output, 1, 2)
    assert (str(error), error.rank) == ("rank 1 exited with code 3", 1)


def test_a_rank_error_is_raised_as_its_own_type_with_its_traceback() -> None:
    error = distributed.rank_error(
        "OutOfMemoryError",
        "CUDA out of memory. Tried to allocate 2.00 GiB",
        rank=1,
        world_size=2,
        traceback='Traceback (most recent call last):\n  File "train.py", line 3\n',
    )
    assert type(error).__name__ == "OutOfMemoryError"
    assert isinstance(error, distributed.RankFailed)
    assert distributed.RankFailed.__module__ == "tutor.kernel.distributed"
    assert str(error) == "CUDA out of memory. Tried to allocate 2.00 GiB"
    assert error._render_traceback_() == [
        "rank 1 of 2 failed first; torchrun stopped the others.",
        "Traceback (most recent call last):",
        '  File "train.py", line 3',
    ]
    assert "torch.cuda.empty_cache()" in (hint_for(type(error).__name__, str(error)) or "")


def test_a_torchrun_failure_without_a_summary_says_its_exit_code(tmp_path: Path) -> None:
    error = distributed.failed_rank(tmp_path, "usage: torchrun …\n", 2, 2)
    assert str(error) == "torchrun exited with code 2"
    assert "usage: torchrun" in "\n".join(error._render_traceback_())


# --------------------------------------------------------------------------- the end of a rank

LEAVES_A_MODEL = """\
import os, sys, weakref
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def main():
    dist.init_process_group("gloo", init_method="file://" + os.path.abspath("store"),
                            rank=0, world_size=1)
    model = DistributedDataParallel(torch.nn.Linear(1, 1))
    model(torch.ones(2, 1)).sum().backward()
    model.keeps = [model]  # a reference cycle: only the garbage collector frees it
    global freed
    freed = weakref.ref(model, lambda _: print(f"freed while finalizing: {sys.is_finalizing()}"))
    if sys.argv[1] == "destroys":
        dist.destroy_process_group()


main()
import atexit
atexit.register(lambda: print(f"group open at exit: {dist.is_initialized()}", flush=True))
"""


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["destroys", "leaves"])
def test_a_rank_frees_the_scripts_model_and_group_before_python_shuts_down(
    tmp_path: Path, ending: str
) -> None:
    """A DDP model freed while Python shuts down can abort the rank (gloo's threads then
    free its last all-reduce without the interpreter): the rank frees it first."""
    (tmp_path / "script.py").write_text(LEAVES_A_MODEL)

    def run(*command: str) -> str:
        done = subprocess.run(
            [sys.executable, *command, "script.py", ending],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"},
        )
        (tmp_path / "store").unlink(missing_ok=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    if ending == "leaves":  # once is enough to show what happens without tutor
        plain = run()
        assert "freed while finalizing: True" in plain, "without tutor, the model outlives Python"
    as_a_rank = run("-m", "tutor.kernel.rank")
    assert "freed while finalizing: False" in as_a_rank
    assert "group open at exit: False" in as_a_rank


# --------------------------------------------------------------------------- GPU memory


@pytest.fixture
def mocked_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session that has used CUDA: 1.5 KB in use, 4 KB at the most."""
    monkeypatch.setenv("TUTOR_DEVICE", "auto")
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device=None: 1536)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: 4096)


def test_no_memory_figures_before_the_session_uses_cuda(fresh_recorder) -> None:
    assert not torch.cuda.is_initialized()
    assert cuda_memory() is None
    assert fresh_recorder.summary()["memory"] is None


def test_the_run_summary_carries_the_cuda_memory_figures(mocked_cuda, fresh_recorder) -> None:
    summary = fresh_recorder.summary()
    assert summary["memory"] == {"device": "cuda:0", "allocated": 1536, "peak": 4096}
    assert Memory("cuda:0", 1536, 4096) in summary_events(summary, set())


def test_the_top_bar_shows_memory_in_use_and_peak() -> None:
    assert memory_text(Memory("cuda:0", 1536, 3 * 1024**2)) == "1.5 KB in use, peak 3.0 MB"
    bar = TopBar()
    bar.state, bar.device, bar.position = "idle", "cuda:0", "Lesson 9/9"
    assert "in use" not in bar.render()
    bar.show_memory(Memory("cuda:0", 1536, 4096))
    assert "cuda:0[/b] 1.5 KB in use, peak 4.0 KB" in bar.render()


async def test_each_step_reports_its_memory_in_the_json_report(tmp_path: Path) -> None:
    text = lesson_text(
        "GPU",
        lesson_step("On the GPU", "x = torch.ones(384, device='cuda')"),
        lesson_step("On the CPU", "y = 1"),
        lesson_id="gpu",
    )
    (tmp_path / "01_gpu.md").write_text(text)
    lessons = load_lessons(tmp_path)
    session = ScriptedSession({"torch.ones": Reply([Memory("cuda:0", 1536, 4096)])})
    runner = Runner(session, lessons)
    await runner.start()
    [lesson_result] = [
        event.result
        async for event in runner.run_lesson(lessons.lessons[0])
        if isinstance(event, LessonFinished)
    ]
    assert lesson_result.status is StepStatus.PASSED
    report = to_json(RunReport(device="cuda:0", lessons=[lesson_result]))
    steps = report["lessons"][0]["steps"]
    assert steps[0]["memory"] == {"device": "cuda:0", "allocated_bytes": 1536, "peak_bytes": 4096}
    assert steps[1]["memory"] is None


async def test_cuda_out_of_memory_gets_the_hint_to_free_memory(tmp_path: Path) -> None:
    (tmp_path / "01_big.md").write_text(
        lesson_text("Big", lesson_step("Too big", "big = torch.empty(10**12, device='cuda')"))
    )
    lessons = load_lessons(tmp_path)
    message = (
        "CUDA out of memory. Tried to allocate 3.64 TiB. GPU 0 has a total capacity of "
        "79.19 GiB of which 12.00 MiB is free. Process 4242 has 79.16 GiB memory in use."
    )
    session = ScriptedSession({"torch.empty": Reply(error=("OutOfMemoryError", message))})
    runner = Runner(session, lessons)
    await runner.start()
    [result] = [
        e.result
        async for e in runner.run_step(lessons.lessons[0], 0)
        if isinstance(e, StepFinished)
    ]
    assert result.error is not None and result.error.type == "OutOfMemoryError"
    assert "`torch.cuda.empty_cache()`" in result.hint and "--device cpu" in result.hint


def tensor(name: str, device: str, size: int, kind: str = "tensor") -> TensorSummary:
    return TensorSummary(
        name=name,
        kind=kind,  # type: ignore[typeddict-item]
        type="Tensor",
        shape=[1],
        dtype="float32",
        device=device,
        requires_grad=False,
        has_grad=False,
        bytes=size,
        min=None,
        max=None,
        mean=None,
        nan=None,
        inf=None,
    )


def test_the_tensors_tab_totals_bytes_per_device() -> None:
    entries = [
        tensor("X", "cpu", 200),
        tensor("X_gpu", "cuda:0", 1000),
        ModuleSummary(
            name="model",
            kind="module",
            type="Linear",
            params=2,
            device="cuda:0",
            training=True,
            bytes=8,
        ),
        tensor("model.weight", "cuda:0", 4, kind="parameter"),
        tensor("model.bias", "cuda:0", 4, kind="parameter"),
    ]
    assert device_totals(entries) == {"cpu": 200, "cuda:0": 1008}


async def test_the_app_shows_the_memory_after_a_step_and_the_tensors_total(
    tmp_path: Path,
) -> None:
    code = "x = torch.ones(384, device='cuda')"
    (tmp_path / "01_gpu.md").write_text(
        lesson_text("GPU", lesson_step("On the GPU", code), lesson_id="gpu")
    )
    lessons = load_lessons(tmp_path)
    session = ScriptedSession(
        {code: Reply([Memory("cuda:0", 1536, 4096)])},
        tensors=[tensor("x", "cuda:0", 1536), tensor("y", "cpu", 8)],
    )
    app = TutorApp(lessons, session=session, store=ProgressStore(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        top = app.query_one(TopBar)
        assert top.memory == ""
        await pilot.press("enter")
        await ready(pilot, app)
        assert top.memory == "1.5 KB in use, peak 4.0 KB"
        inspector = app.query_one(TensorInspector)
        await until(pilot, lambda: inspector.row_count == 4, seconds=5)
        size = COLUMNS.index("size")
        assert inspector.get_row("total on cuda:0")[size] == "1.5 KB"
        assert inspector.get_row("total on cpu")[size] == "8 B"
        await pilot.press("R")  # a fresh session holds nothing on the GPU
        await ready(pilot, app)
        assert session.starts == 2 and top.memory == ""
