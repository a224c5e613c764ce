"""The fault matrix, headless: broken lesson code fails its step and the run goes on.

One headless run holds every fault as its own lesson, each followed by a probe
lesson that checks the session: still holding its state where the fault should
keep it, or fresh (restarted) where the fault killed it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.builders import lesson_step, lesson_text, write_lesson_dir
from tests.faults import FAULTS, MEMORY_LIMIT, RANK_FAULTS, Fault, RankFault, rank_script
from tests.processes import LONGEST_RUN_S, TEST_TAG, kernel_pids
from tutor.protocol import SESSION_DIR_ENV
from tutor.session.process import KERNEL_ARGV, connection_info, kernel_environment

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


def probe(fault: Fault) -> str:
    if fault.keeps_state:
        code = "assert canary == 41, 'the session lost its state'"
    else:
        code = "assert 'canary' not in globals(), 'expected a fresh session'\ncanary = 41"
    return lesson_text(
        f"After {fault.name}",
        lesson_step("Probe", code),
        lesson_id=f"after-{fault.name}",
        requires=[],
    )


def limit_memory() -> None:
    """Limited address space for headless and its kernel: allocation fails, nothing else."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_fault_course(
    root: Path, course: list[tuple[Fault, list[str]]], *options: str, **run: Any
) -> tuple[subprocess.CompletedProcess, dict]:
    """Headless over a setup lesson, then each fault's lesson (its steps) followed by its
    probe lesson; what the run printed, and its JSON report."""
    files = {
        "00_setup.md": lesson_text(
            "Setup", lesson_step("Canary", "canary = 41"), lesson_id="setup", requires=[]
        )
    }
    for number, (fault, steps) in enumerate(course, start=1):
        files[f"{2 * number:02d}_{fault.name}.md"] = lesson_text(
            fault.name, *steps, lesson_id=fault.name, requires=[]
        )
        files[f"{2 * number + 1:02d}_after-{fault.name}.md"] = probe(fault)
    lessons = write_lesson_dir(root / "lessons", files)
    report = root / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutor",
            "--headless",
            "-q",
            "--lessons",
            str(lessons),
            *options,
            "--report-json",
            str(report),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=LONGEST_RUN_S,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        **run,
    )
    return result, json.loads(report.read_text())


MATRIX_TIMEOUTS_S = (3, 60)
"""The matrix's step timeout: 3 s, which the endless loops wait out; then 60 s for one
more run of the rows that should not time out but did, on a machine too busy to print
50 MB within 3 s.  Those rows' verdicts are from that run."""


def run_faults(
    root: Path, faults: list[Fault], timeout: float
) -> tuple[subprocess.CompletedProcess, dict]:
    """``run_fault_course`` over the faults' lessons, under ``MEMORY_LIMIT``."""
    course = []
    for fault in faults:
        steps = [lesson_step("The fault", fault.code)]
        if fault.check:
            steps.append(lesson_step("Still right", check=fault.check))
        course.append((fault, steps))
    return run_fault_course(root, course, "--timeout", str(timeout), preexec_fn=limit_memory)


def timed_out_unexpectedly(report: dict, fault: Fault | RankFault) -> bool:
    """Whether a step of the fault's lesson or of its probe ran out of time, for a fault
    that should fail (or pass) before its timeout."""
    if fault.error == "Timeout":
        return False
    lessons = {entry["id"]: entry for entry in report["lessons"]}
    steps = [*lessons[fault.name]["steps"], *lessons[f"after-{fault.name}"]["steps"]]
    return any((step.get("error") or {}).get("type") == "Timeout" for step in steps)


def take_reruns(report: dict, again: dict) -> None:
    """Give ``report`` the verdicts of the lessons that ran ``again``."""
    rerun = {entry["id"]: entry for entry in again["lessons"]}
    report["lessons"] = [rerun.get(entry["id"], entry) for entry in report["lessons"]]


@pytest.fixture(scope="module")
def matrix(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, dict, float, set[int]]:
    first, longer = MATRIX_TIMEOUTS_S
    before = kernel_pids()
    started = time.monotonic()
    # The faults that restart the session go last, so that every other row runs in the
    # session that imported torch at its start: a step importing torch into a restarted
    # session could take longer than 3 s on a busy machine, and a cut-short import
    # rightly restarts the session, which the probes of later rows would take as lost.
    ordered = sorted(FAULTS, key=lambda fault: not fault.keeps_state)
    result, report = run_faults(tmp_path_factory.mktemp("faults"), ordered, first)
    elapsed = time.monotonic() - started
    slow = [f for f in FAULTS if timed_out_unexpectedly(report, f)]
    if slow:
        _, again = run_faults(tmp_path_factory.mktemp("faults-again"), slow, longer)
        take_reruns(report, again)
    return result, report, elapsed, kernel_pids() - before


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_fails_its_step_and_the_session_survives(matrix, fault: Fault) -> None:
    _, report, _, _ = matrix
    lessons = {entry["id"]: entry for entry in report["lessons"]}
    first = lessons[fault.name]["steps"][0]
    if fault.error is None:
        assert lessons[fault.name]["status"] == "passed", lessons[fault.name]
    else:
        assert first["status"] == "failed"
        assert first["error"]["type"] == fault.error, first["error"]
        assert first["error"]["message"] or fault.error == "MemoryError"
    assert lessons[f"after-{fault.name}"]["status"] == "passed", lessons[f"after-{fault.name}"]


def test_the_run_ends_in_time_with_exit_1_and_no_kernel_left(matrix) -> None:
    result, report, elapsed, leftover = matrix
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert elapsed < 240
    assert report["lessons"][0]["status"] == "passed"
    assert leftover == set() or not any(psutil.pid_exists(pid) for pid in leftover)


def test_the_killed_session_is_explained(matrix) -> None:
    _, report, _, _ = matrix
    lessons = {entry["id"]: entry for entry in report["lessons"]}
    assert "code 1" in lessons["os-exit"]["steps"][0]["error"]["message"]
    assert "SIGSEGV" in lessons["segfault"]["steps"][0]["error"]["message"]
    assert "restarted" in lessons["ignores-interrupts"]["steps"][0]["error"]["message"]
    assert "3 s" in lessons["endless-loop"]["steps"][0]["error"]["message"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_headless_cleanly(tmp_path, signum: int) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01_slow.md").write_text(
        lesson_text(
            "Slow",
            lesson_step(
                "Wait",
                "import pathlib, time\npathlib.Path('step-started').touch()\n"
                "for _ in progress(range(600)):\n    time.sleep(0.05)",
            ),
            lesson_id="slow",
            requires=[],
        )
    )
    report_path = tmp_path / "report.json"
    before = kernel_pids()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tutor",
            "--headless",
            "--lessons",
            str(lessons),
            "--report-json",
            str(report_path),
        ],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "step-started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kernel_pids() - before, "the step runs, so its kernel is up"
    time.sleep(0.3)  # well into the step
    process.send_signal(signum)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 128 + signum, output
    assert "Interrupted" in output and "Traceback" not in output
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is True
    assert report["lessons"][0]["status"] == "failed"
    time.sleep(0.5)
    assert not [pid for pid in kernel_pids() - before if psutil.pid_exists(pid)]


def test_the_kernel_dies_with_a_killed_headless(tmp_path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01_slow.md").write_text(
        lesson_text(
            "Slow",
            lesson_step("Wait", "import time\ntime.sleep(60)"),
            lesson_id="slow",
            requires=[],
        )
    )
    before = kernel_pids()
    process = subprocess.Popen(
        [sys.executable, "-m", "tutor", "--headless", "--lessons", str(lessons)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (started := kernel_pids() - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert started, "the kernel never started"
    folders = {Path(psutil.Process(pid).environ()[SESSION_DIR_ENV]) for pid in started}
    assert all(folder.is_dir() for folder in folders)
    time.sleep(1)
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [
        pid
        for pid in started
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert not alive, "the kernel outlived its killed parent"
    left = [folder for folder in folders if folder.exists()]
    assert not left, "the session's folder (its key included) outlived its killed parent"


def test_a_kernel_whose_tutor_died_while_it_started_ends_and_removes_the_folder(
    tmp_path: Path,
) -> None:
    """tutor killed in the second the kernel takes to start (a busy machine): the kernel
    finds another parent from the first, and must still see that tutor is gone."""
    folder = tmp_path / "session"
    folder.mkdir(mode=0o700)
    connection = folder / "kernel.json"
    connection.write_text(json.dumps(connection_info(folder)))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid stands for a tutor that has ended
    env = {**kernel_environment(folder, "cpu"), "JPY_PARENT_PID": str(gone.pid)}
    argv = [str(connection) if arg == "{connection_file}" else arg for arg in KERNEL_ARGV]
    kernel = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        kernel.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kernel.kill()
        kernel.wait()
        pytest.fail("the kernel lived on, its tutor gone")
    assert not folder.exists(), "the session's folder (its key included) outlived its tutor"


RANK_TIMEOUTS_S = (20, 90)
"""The rank matrix's step timeout: the first, which the hanging rank waits out; the
second for the rows whose ranks had not all joined their group by then, or that should
have failed at once but ran out of time (a machine too busy to start the ranks, or to
stop them, in time): they run once more, and that run's verdicts are the ones checked."""


def ranks_joined(marks: Path) -> bool:
    return sorted(p.name for p in marks.iterdir()) == ["joined.0", "joined.1"]


def run_rank_faults(
    root: Path, faults: list[RankFault], timeout: int
) -> tuple[subprocess.CompletedProcess, dict]:
    course = []
    for fault in faults:
        (root / f"{fault.name}.py").write_text(rank_script(fault))
        (root / fault.name).mkdir()
        code = f"run_distributed('{fault.name}.py', nproc=2, args=['{fault.name}'])"
        course.append((Fault(fault.name, "", fault.error), [lesson_step("The fault", code)]))
    return run_fault_course(root, course, "--device", "cpu", "--timeout", str(timeout))


@pytest.fixture(scope="module")
def rank_matrix(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[subprocess.CompletedProcess], dict, str, dict[str, Path]]:
    """Every run's process, the report (a rerun row's verdict from its rerun), the tag of
    this test's processes, and the folder where each row's ranks left their marks."""
    results: list[subprocess.CompletedProcess] = []
    report: dict | None = None
    marks: dict[str, Path] = {}
    faults = list(RANK_FAULTS)
    for timeout in RANK_TIMEOUTS_S:
        root = tmp_path_factory.mktemp("rank-faults")
        result, run_report = run_rank_faults(root, faults, timeout)
        results.append(result)
        if report is None:
            report = run_report
        else:
            take_reruns(report, run_report)
        marks.update((fault.name, root / fault.name) for fault in faults)
        faults = [
            fault
            for fault in faults
            if not ranks_joined(marks[fault.name]) or timed_out_unexpectedly(report, fault)
        ]
        if not faults:
            break
    return results, report, os.environ[TEST_TAG], marks


@pytest.mark.parametrize("fault", RANK_FAULTS, ids=[f.name for f in RANK_FAULTS])
def test_a_rank_fault_fails_its_step_and_the_session_survives(rank_matrix, fault) -> None:
    _, report, _, marks = rank_matrix
    assert ranks_joined(marks[fault.name]), "the fault came after both ranks joined the group"
    lessons = {entry["id"]: entry for entry in report["lessons"]}
    step = lessons[fault.name]["steps"][0]
    assert step["status"] == "failed"
    assert step["error"]["type"] == fault.error, step["error"]
    assert step["error"]["message"].startswith(fault.says), step["error"]
    assert lessons[f"after-{fault.name}"]["status"] == "passed", lessons[f"after-{fault.name}"]


def test_no_rank_or_torchrun_is_left_after_the_rank_faults(rank_matrix) -> None:
    results, _, tag, _ = rank_matrix
    for result in results:
        assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    left = [
        p.pid
        for p in psutil.process_iter(["cmdline", "environ", "status"])
        if "tutor.kernel." in " ".join(p.info["cmdline"] or [])
        and (p.info["environ"] or {}).get(TEST_TAG) == tag
        and p.info["status"] != psutil.STATUS_ZOMBIE
    ]
    assert not left, "processes outlived the run"
