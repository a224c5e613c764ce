"""The progress file's faults, one test each: a file cut short, not JSON, in the wrong
shape, from an older or a newer tutor, a directory or unreadable, in an unwritable
directory, two tutors saving at once, and a crash while writing.  Each is handled with
a warning, and nothing already saved is lost.  No Textual here: the store is core.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tutor import progress as progress_module
from tutor.progress import Progress, ProgressStore, merge
from tutor.report import write_atomically

ROOT = Path(__file__).resolve().parent.parent

needs_permissions = pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads and writes files whatever their permissions say"
)

SAVED = {
    "version": 1,
    "lesson": "basics",
    "step": 2,
    "completed": {"basics": [0, 1]},
    "exercise_code": {"practice:0": "answer = 6 * 7"},
}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "progress.json"


def write(path: Path, content: str | bytes | dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)


def on_disk(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def set_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.unreadable-*"))


def test_saved_progress_loads_back(path: Path) -> None:
    store = ProgressStore(path)
    progress = store.load()
    progress.mark_done("basics", 3)
    progress.set_code("practice", 0, "answer = 42")
    progress.lesson_id, progress.step = "practice", 0
    assert store.save(progress)
    again = ProgressStore(path).load()
    assert again == progress
    assert on_disk(path)["version"] == progress_module.VERSION


# -- a file that is not a progress file is set aside ----------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(json.dumps(SAVED)[:40], "not valid JSON, or cut short", id="cut-short"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text", id="binary"),
        pytest.param("[" * 100_000, "not valid JSON", id="deeply-nested"),
        pytest.param("[1, 2, 3]", "not a JSON object", id="a-list"),
        pytest.param({"lesson": "basics"}, "no format version", id="no-version"),
        pytest.param({**SAVED, "step": "two"}, "bad lesson or step", id="step"),
        pytest.param(
            {**SAVED, "completed": {"basics": ["0"]}}, "bad list of completed steps", id="done"
        ),
        pytest.param({**SAVED, "exercise_code": {"a:0": 42}}, "bad exercise code", id="code"),
        pytest.param(
            {**SAVED, "version": 2, "console_history": "x = 1"}, "bad console history", id="history"
        ),
        pytest.param(
            {**SAVED, "version": 0}, "format version 0, which no tutor wrote", id="version-0"
        ),
    ],
)
def test_a_file_that_is_not_progress_is_set_aside(
    path: Path, content: str | bytes | dict[str, Any], reason: str
) -> None:
    write(path, content)
    before = path.read_bytes()
    store = ProgressStore(path)
    assert store.load() == Progress()
    (kept,) = set_aside(path)
    assert kept.read_bytes() == before
    assert str(path) in store.warning and reason in store.warning
    assert kept.name in store.warning
    assert store.save(Progress("basics", 1))
    assert on_disk(path)["lesson"] == "basics"
    assert kept.read_bytes() == before


def test_set_aside_files_never_replace_each_other(path: Path, monkeypatch) -> None:
    monkeypatch.setattr("time.strftime", lambda *args: "20250101-120000")
    contents = [b"{ first", b"{ second", b"{ third"]
    for content in contents:
        write(path, content)
        ProgressStore(path).load()
    kept = set_aside(path)
    assert [p.name for p in kept] == [
        "progress.json.unreadable-20250101-120000",
        "progress.json.unreadable-20250101-120000-2",
        "progress.json.unreadable-20250101-120000-3",
    ]
    assert [p.read_bytes() for p in kept] == contents


def test_a_file_cut_short_while_the_app_runs_is_set_aside_on_the_next_save(path: Path) -> None:
    store = ProgressStore(path)
    progress = store.load()
    progress.mark_done("basics", 0)
    assert store.save(progress)
    write(path, path.read_bytes()[:25])
    progress.mark_done("basics", 1)
    assert store.save(progress)
    assert on_disk(path)["completed"] == {"basics": [0, 1]}
    (kept,) = set_aside(path)
    assert "could not be read" in store.warning and kept.name in store.warning


# -- older and newer formats ----------------------------------------------------------


def test_missing_keys_take_defaults_and_unknown_keys_are_kept(path: Path) -> None:
    write(path, {"version": 1, "completed": {"basics": [0]}, "theme": {"name": "dark"}})
    store = ProgressStore(path)
    progress = store.load()
    assert progress == Progress(completed={"basics": [0]})
    assert store.warning == "" and set_aside(path) == []
    progress.mark_done("basics", 1)
    assert store.save(progress)
    saved = on_disk(path)
    assert saved["theme"] == {"name": "dark"}
    assert saved["completed"] == {"basics": [0, 1]}


def test_an_older_format_is_upgraded_one_version_at_a_time(path: Path, monkeypatch) -> None:
    """As if this tutor wrote format 3 and the file were format 1, where finished
    steps were a list of "lesson:index" and format 2 added "exercise_code"."""

    def from_1(data: dict[str, Any]) -> dict[str, Any]:
        completed: dict[str, list[int]] = {}
        for done in data.pop("done"):
            lesson, index = done.split(":")
            completed.setdefault(lesson, []).append(int(index))
        return {**data, "version": 2, "completed": completed}

    def from_2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "version": 3, "exercise_code": {}}

    monkeypatch.setattr(progress_module, "VERSION", 3)
    monkeypatch.setattr(progress_module, "MIGRATIONS", {1: from_1, 2: from_2})
    write(path, {"version": 1, "lesson": "basics", "step": 1, "done": ["basics:0", "x:2"]})
    store = ProgressStore(path)
    progress = store.load()
    assert store.warning == ""
    assert progress == Progress("basics", 1, {"basics": [0], "x": [2]}, {})
    assert store.save(progress)
    saved = on_disk(path)
    assert saved["version"] == 3 and "done" not in saved
    assert saved["completed"] == {"basics": [0], "x": [2]}


def test_an_older_file_that_cannot_be_upgraded_is_set_aside(path: Path, monkeypatch) -> None:
    def from_1(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "version": 2, "completed": {"basics": data["done"]}}

    monkeypatch.setattr(progress_module, "VERSION", 2)
    monkeypatch.setattr(progress_module, "MIGRATIONS", {1: from_1})
    write(path, {"version": 1, "lesson": "basics"})
    store = ProgressStore(path)
    assert store.load() == Progress()
    assert "format version 1 that could not be upgraded (KeyError('done'))" in store.warning
    (kept,) = set_aside(path)
    assert json.loads(kept.read_text()) == {"version": 1, "lesson": "basics"}


def test_a_file_from_a_newer_tutor_is_never_saved_over(path: Path) -> None:
    newer = {**SAVED, "version": progress_module.VERSION + 1, "badges": ["first step"]}
    write(path, newer)
    before = path.read_bytes()
    store = ProgressStore(path)
    progress = store.load()
    assert progress == Progress()
    assert str(path) in store.warning and "newer tutor" in store.warning
    assert f"format version {progress_module.VERSION + 1}" in store.warning
    progress.mark_done("basics", 5)
    assert not store.save(progress)
    assert not store.warning_is_new  # the learner was told when it loaded
    store.reset()
    assert not store.save(progress)
    assert path.read_bytes() == before
    assert set_aside(path) == []


def test_a_newer_tutor_saving_meanwhile_stops_saves_here(path: Path) -> None:
    store = ProgressStore(path)
    progress = store.load()
    assert store.save(progress)
    write(path, {**SAVED, "version": progress_module.VERSION + 1})
    before = path.read_bytes()
    progress.mark_done("basics", 3)
    assert not store.save(progress)
    assert "newer tutor" in store.warning and store.warning_is_new
    assert path.read_bytes() == before


# -- a file or directory the system will not let us use -------------------------------


def refused(path: Path, reason: str, step: int) -> tuple[ProgressStore, Progress]:
    """A store on a file it cannot use: it starts from the beginning with a warning
    naming the file and ``reason``, and the save of a finished ``step`` fails without
    warning again."""
    store = ProgressStore(path)
    progress = store.load()
    assert progress == Progress()
    assert str(path) in store.warning and reason in store.warning
    progress.mark_done("basics", step)
    assert not store.save(progress)
    assert not store.warning_is_new
    return store, progress


def test_a_directory_where_the_file_should_be(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "keep.txt").write_text("mine")
    store, progress = refused(path, "could not read", step=0)
    store.reset()
    assert (path / "keep.txt").read_text() == "mine"
    assert progress.is_done("basics", 0)


@needs_permissions
def test_an_unreadable_file_is_left_alone(path: Path) -> None:
    write(path, SAVED)
    path.chmod(0)
    try:
        store, progress = refused(path, "Permission denied", step=4)
        path.chmod(0o600)
        assert store.save(progress)
    finally:
        path.chmod(0o600)
    assert on_disk(path)["completed"] == {"basics": [0, 1, 4]}  # merged, nothing lost


@needs_permissions
def test_an_unwritable_directory_keeps_progress_in_memory(path: Path) -> None:
    write(path, SAVED)
    store = ProgressStore(path)
    progress = store.load()
    path.parent.chmod(0o500)
    try:
        progress.mark_done("basics", 2)
        assert not store.save(progress)
        assert str(path) in store.warning and "Permission denied" in store.warning
        assert store.warning_is_new
        progress.mark_done("basics", 3)
        assert not store.save(progress)
        assert not store.warning_is_new
        assert on_disk(path) == SAVED
    finally:
        path.parent.chmod(0o700)
    assert store.save(progress)
    assert on_disk(path)["completed"] == {"basics": [0, 1, 2, 3]}


def test_a_state_directory_that_is_a_file_is_told_once(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    path = blocker / "progress.json"
    store = ProgressStore(path)
    progress = store.load()
    progress.mark_done("basics", 0)
    assert not store.save(progress)
    assert str(path) in store.warning and store.warning_is_new
    assert not store.save(progress)
    assert not store.warning_is_new
    assert progress.is_done("basics", 0)
    assert blocker.read_text() == "not a directory"


# -- two tutors at once ---------------------------------------------------------------


def test_merge_keeps_both_tutors_work() -> None:
    base = Progress("basics", 0, {"basics": [0]}, {"a:0": "old", "a:1": "old"})
    disk = Progress("other", 4, {"basics": [0, 2], "x": [1]}, {"a:0": "theirs", "a:1": "theirs"})
    mine = Progress("basics", 1, {"basics": [0, 1]}, {"a:0": "old", "a:1": "mine", "a:2": "new"})
    merged = merge(mine, base, disk)
    assert merged == Progress(
        "basics",
        1,
        {"basics": [0, 1, 2], "x": [1]},
        {"a:0": "theirs", "a:1": "mine", "a:2": "new"},
    )


def test_two_stores_on_one_file_keep_each_others_work(path: Path) -> None:
    write(path, SAVED)
    first, second = ProgressStore(path), ProgressStore(path)
    mine, theirs = first.load(), second.load()
    theirs.mark_done("practice", 0)
    theirs.set_code("practice", 0, "answer = 41 + 1")
    assert second.save(theirs)
    mine.mark_done("basics", 2)
    mine.lesson_id, mine.step = "basics", 3
    assert first.save(mine)
    saved = on_disk(path)
    assert saved["completed"] == {"basics": [0, 1, 2], "practice": [0]}
    assert saved["exercise_code"] == {"practice:0": "answer = 41 + 1"}
    assert (saved["lesson"], saved["step"]) == ("basics", 3)
    assert mine.code_for("practice", 0) == "answer = 41 + 1"  # taken in on save
    mine.set_code("practice", 0, "answer = 42")
    assert first.save(mine)
    assert on_disk(path)["exercise_code"] == {"practice:0": "answer = 42"}


WRITER = """
import sys, time
from pathlib import Path
from tutor.progress import ProgressStore

path, lesson, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
store = ProgressStore(path)
progress = store.load()
print("loaded", flush=True)
while not go.exists():
    time.sleep(0.001)
failures = 0
for index in range(50):
    progress.mark_done(lesson, index)
    progress.set_code(lesson, index, f"# {lesson} {index}")
    progress.lesson_id, progress.step = lesson, index
    failures += not store.save(progress)
print(failures)
"""


def test_two_tutors_saving_at_once_lose_nothing(path: Path, tmp_path: Path) -> None:
    write(path, SAVED)
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), str(path), lesson, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for lesson in ("first", "second")
    ]
    for writer in writers:  # both have loaded before either saves
        assert writer.stdout is not None and writer.stdout.readline() == "loaded\n"
    go.touch()
    for writer in writers:
        out, _ = writer.communicate(timeout=30)
        assert writer.returncode == 0 and out.strip() == "0"
    saved = on_disk(path)
    assert saved["completed"] == {
        "basics": [0, 1],
        "first": list(range(50)),
        "second": list(range(50)),
    }
    assert saved["exercise_code"] == {
        "practice:0": "answer = 6 * 7",
        **{f"{lesson}:{i}": f"# {lesson} {i}" for lesson in ("first", "second") for i in range(50)},
    }
    assert (saved["lesson"], saved["step"]) in {("first", 49), ("second", 49)}


def test_a_held_lock_times_out_with_a_warning(path: Path) -> None:
    store = ProgressStore(path, lock_timeout=0.1)
    progress = store.load()
    progress.mark_done("basics", 0)
    path.parent.mkdir(parents=True)
    with store.lock_path.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert not store.save(progress)
        assert "another tutor held progress.json.lock" in store.warning
        assert str(path) in store.warning
    assert store.save(progress)
    assert on_disk(path)["completed"] == {"basics": [0]}


# -- a crash while writing ------------------------------------------------------------


def failing_fsync(fd: int) -> None:
    raise OSError(errno.EIO, "Input/output error")


def interrupted_replace(src: str, dst: str) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("name", "fault", "raised"),
    [("fsync", failing_fsync, OSError), ("replace", interrupted_replace, KeyboardInterrupt)],
    ids=["disk-error-before-rename", "interrupt-at-rename"],
)
def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch, name: str, fault: object, raised: type[BaseException]
) -> None:
    target = tmp_path / "progress.json"
    target.write_text("old\n")
    monkeypatch.setattr(os, name, fault)
    with pytest.raises(raised):
        write_atomically(target, "new\n" * 10_000)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]


def test_the_data_reaches_the_disk_before_the_rename(tmp_path: Path, monkeypatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        calls.append("replace")
        assert Path(src).read_text() == "new\n"
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomically(tmp_path / "progress.json", "new\n")
    assert calls == ["fsync", "replace"]
    assert (tmp_path / "progress.json").read_text() == "new\n"


def test_a_failed_save_keeps_the_old_file_and_says_so(path: Path, monkeypatch) -> None:
    write(path, SAVED)
    store = ProgressStore(path)
    progress = store.load()
    progress.mark_done("basics", 2)
    monkeypatch.setattr(os, "fsync", failing_fsync)
    assert not store.save(progress)
    assert "Input/output error" in store.warning and str(path) in store.warning
    assert on_disk(path) == SAVED
    assert sorted(p.name for p in path.parent.iterdir()) == ["progress.json", "progress.json.lock"]


# -- the console's history (format version 2) -----------------------------------------


def test_a_version_1_file_gains_an_empty_console_history(path: Path) -> None:
    write(path, SAVED)
    store = ProgressStore(path)
    progress = store.load()
    assert store.warning == ""
    assert progress == Progress("basics", 2, {"basics": [0, 1]}, {"practice:0": "answer = 6 * 7"})
    assert progress.console_history == []
    progress.remember_command("x.shape")
    assert store.save(progress)
    saved = on_disk(path)
    assert saved["version"] == 2 and saved["console_history"] == ["x.shape"]
    assert saved["exercise_code"] == SAVED["exercise_code"]


def test_the_history_keeps_each_command_once_in_a_row_and_only_the_latest(
    path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(progress_module, "HISTORY_KEPT", 3)
    progress = Progress()
    for code in ["a", "a", "  ", "b", "c", "d"]:
        progress.remember_command(code)
    assert progress.console_history == ["a", "b", "c", "d"]
    store = ProgressStore(path)
    assert store.save(progress)
    assert on_disk(path)["console_history"] == ["b", "c", "d"]
    assert ProgressStore(path).load().console_history == ["b", "c", "d"]


def test_two_tutors_keep_both_their_console_commands(path: Path) -> None:
    first, second = ProgressStore(path), ProgressStore(path)
    mine, theirs = first.load(), second.load()
    mine.remember_command("mine = 1")
    theirs.remember_command("theirs = 2")
    assert first.save(mine) and second.save(theirs)
    assert theirs.console_history == ["mine = 1", "theirs = 2"]
    mine.remember_command("mine_again = 3")
    assert first.save(mine)
    assert ProgressStore(path).load().console_history == [
        "mine = 1",
        "theirs = 2",
        "mine_again = 3",
    ]
