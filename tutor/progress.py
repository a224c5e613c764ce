"""The learner's progress: where they are, what they finished, their exercise code,
and what they typed in the console.

One small JSON file in the user's state directory.  Every save takes a lock
beside it (``progress.json.lock``), reads the file again, merges and writes
atomically, so two tutors open at once keep each other's work.  Nothing here
raises: problems become ``ProgressStore.warning``, and nothing already saved is
lost.  A file that is not a progress file is set aside (renamed); one that
cannot be read, or that a newer tutor wrote, is left as it is and not saved over.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_state_path

from tutor.report import write_atomically

VERSION = 2
"""The format this tutor reads and writes."""


def _add_console_history(record: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps the console's history."""
    return {**record, "version": 2, "console_history": []}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _add_console_history}
"""Format version n -> a function from a version-n record to a version n+1 record.
When the format changes, bump ``VERSION`` and add the step from the old one here."""

HISTORY_KEPT = 500
"""The console keeps this many of the learner's latest commands."""

LOCK_TIMEOUT_S = 2.0
"""How long a save waits for another tutor's save before giving up with a warning."""


def default_progress_path() -> Path:
    """``$TUTOR_STATE_DIR/progress.json``, else the platform's state directory for tutor."""
    override = os.environ.get("TUTOR_STATE_DIR")
    directory = Path(override) if override else user_state_path("tutor")
    return directory / "progress.json"


@dataclass
class Progress:
    """Where the learner stands; saved after every change that matters."""

    lesson_id: str | None = None
    step: int = 0
    completed: dict[str, list[int]] = field(default_factory=dict)
    exercise_code: dict[str, str] = field(default_factory=dict)
    console_history: list[str] = field(default_factory=list)
    """What the learner ran in the console, oldest first."""

    def is_done(self, lesson_id: str, index: int) -> bool:
        return index in self.completed.get(lesson_id, [])

    def mark_done(self, lesson_id: str, index: int) -> None:
        done = self.completed.setdefault(lesson_id, [])
        if index not in done:
            done.append(index)
            done.sort()

    def code_for(self, lesson_id: str, index: int) -> str | None:
        return self.exercise_code.get(f"{lesson_id}:{index}")

    def set_code(self, lesson_id: str, index: int, code: str) -> None:
        self.exercise_code[f"{lesson_id}:{index}"] = code

    def move_steps(self, lesson_id: str, moves: dict[int, int]) -> None:
        """A lesson's steps moved (old index → new index): finished steps and exercise
        code follow them; what belonged to a step that is gone is dropped."""
        done = self.completed.get(lesson_id)
        if done is not None:
            self.completed[lesson_id] = sorted(moves[i] for i in done if i in moves)
        prefix = f"{lesson_id}:"
        moved = {}
        for key in [key for key in self.exercise_code if key.startswith(prefix)]:
            code, index = self.exercise_code.pop(key), key[len(prefix) :]
            if index.isdigit() and int(index) in moves:
                moved[f"{prefix}{moves[int(index)]}"] = code
        self.exercise_code.update(moved)

    def remember_command(self, code: str) -> None:
        """Keep a console command at the end of the history (not twice in a row)."""
        if code.strip() and self.console_history[-1:] != [code]:
            self.console_history.append(code)

    def solved_code(self) -> dict[tuple[str, int], str]:
        """The learner's code of every finished exercise, by (lesson id, step index):
        what a replay runs in place of the reference solution."""
        solved: dict[tuple[str, int], str] = {}
        for key, code in self.exercise_code.items():
            lesson_id, _, index = key.rpartition(":")
            if index.isdigit() and self.is_done(lesson_id, int(index)):
                solved[(lesson_id, int(index))] = code
        return solved

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "lesson": self.lesson_id,
            "step": self.step,
            "completed": self.completed,
            "exercise_code": self.exercise_code,
            "console_history": self.console_history[-HISTORY_KEPT:],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        """A record in this version's format; missing keys take their defaults.

        Raises ValueError when a key holds the wrong kind of value.
        """
        lesson, step = data.get("lesson"), data.get("step", 0)
        completed, code = data.get("completed", {}), data.get("exercise_code", {})
        history = data.get("console_history", [])
        if not (lesson is None or isinstance(lesson, str)) or type(step) is not int:
            raise ValueError("bad lesson or step")
        if not isinstance(completed, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(type(i) is int for i in v)
            for k, v in completed.items()
        ):
            raise ValueError("bad list of completed steps")
        if not isinstance(code, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in code.items()
        ):
            raise ValueError("bad exercise code")
        if not isinstance(history, list) or not all(isinstance(c, str) for c in history):
            raise ValueError("bad console history")
        return cls(lesson, step, completed, code, history)


FIELDS = frozenset(Progress().to_json())
"""The keys this version writes; a file's other keys are kept as they are."""


class NewerFormatError(Exception):
    """The file was written by a newer tutor, in a format this one cannot know."""

    def __init__(self, version: int) -> None:
        super().__init__(f"format version {version}")
        self.version = version


@dataclass
class Saved:
    """What a progress file holds: the progress, and the keys this version does not know."""

    progress: Progress = field(default_factory=Progress)
    unknown: dict[str, Any] = field(default_factory=dict)


def parse(raw: bytes) -> Saved:
    """A progress file's content, older formats upgraded to this one.

    Raises ValueError when it is not a progress file, NewerFormatError when a newer tutor wrote it.
    """
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"not valid JSON, or cut short: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    version = data.get("version")
    if type(version) is not int:
        raise ValueError("no format version")
    if version > VERSION:
        raise NewerFormatError(version)
    for old in range(version, VERSION):
        if old not in MIGRATIONS:
            raise ValueError(f"format version {version}, which no tutor wrote")
        try:
            data = MIGRATIONS[old](data)
        except Exception as exc:  # the file's content is not what its version promised
            raise ValueError(f"format version {old} that could not be upgraded ({exc!r})") from exc
    unknown = {key: value for key, value in data.items() if key not in FIELDS}
    return Saved(Progress.from_json(data), unknown)


def merge(mine: Progress, base: Progress, disk: Progress) -> Progress:
    """What to save when another tutor may have saved ``disk`` since this one read ``base``.

    Finished steps are those of both.  Exercise code is this tutor's where it changed
    since ``base``, else the file's.  The console history is the file's, then the
    commands run here since ``base``.  The position is this tutor's.
    """
    completed = {
        lesson: sorted(set(disk.completed.get(lesson, [])) | set(mine.completed.get(lesson, [])))
        for lesson in {**disk.completed, **mine.completed}
    }
    edited = {
        key: code for key, code in mine.exercise_code.items() if base.exercise_code.get(key) != code
    }
    code = {**mine.exercise_code, **disk.exercise_code, **edited}
    known = len(base.console_history)
    mine_since = (
        mine.console_history[known:]
        if mine.console_history[:known] == base.console_history
        else mine.console_history
    )
    history = (disk.console_history + mine_since)[-HISTORY_KEPT:]
    return Progress(mine.lesson_id, mine.step, completed, code, history)


class _LockTimeout(Exception):
    """Another process held the lock for longer than we wait."""


@contextmanager
def _exclusive(lock_path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path``; _LockTimeout after ``timeout`` seconds.

    The system drops the lock when its holder's process ends, so a crash never leaves it held.
    """
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _LockTimeout from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # releases the lock


def _claim(stem: Path) -> Path:
    """Create ``stem``, or else the first free ``stem-2``, ``stem-3``...; return its path.

    Creating the name claims it: a rename onto a name only checked to be free could still
    replace a file made meanwhile.
    """
    path, n = stem, 1
    while True:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            n += 1
            path = stem.with_name(f"{stem.name}-{n}")
            continue
        return path


class _Refused(Exception):
    """The file must not be saved over; the message says why."""


class ProgressStore:
    """Loads and saves ``Progress`` at one path, and says what went wrong.

    ``load`` starts from the beginning and ``save`` returns False when something is wrong,
    both setting ``warning``.  ``warning_is_new`` is False when a failed save met the same
    problem as an earlier one, so the learner hears of it once, not after every step.
    """

    def __init__(self, path: Path | None = None, *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = path or default_progress_path()
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self.lock_timeout = lock_timeout
        self.warning = ""
        self.warning_is_new = False
        self._told: set[str] = set()
        self._base = Progress()
        """What this store last read or wrote: code that differs from it was edited here."""
        self._newer = False
        """Whether a newer tutor wrote the file: then even a reset leaves it as it is."""

    def load(self) -> Progress:
        """The saved progress, or a fresh one (with ``warning`` set) when it cannot be used."""
        try:
            saved = self._read()
        except _Refused as problem:
            self._warn(str(problem))
            return Progress()
        self._base = copy.deepcopy(saved.progress)
        return saved.progress

    def save(self, progress: Progress) -> bool:
        """Merge ``progress`` with the file under the lock, and write it atomically.

        On success ``progress`` also takes in the finished steps and exercise code other
        tutors saved.  False, with ``warning`` set, when nothing was written: the progress
        stays in memory and the next save tries again.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _exclusive(self.lock_path, self.lock_timeout):
                on_disk = self._read()
                merged = merge(progress, self._base, on_disk.progress)
                record = {**merged.to_json(), **on_disk.unknown}
                write_atomically(self.path, json.dumps(record, indent=2) + "\n")
        except _Refused as problem:
            return self._fail(str(problem))
        except _LockTimeout:
            return self._fail(
                f"could not save progress to {self.path}: another tutor held "
                f"{self.lock_path.name} for over {self.lock_timeout:g} s; the next save tries again"
            )
        except OSError as exc:
            return self._fail(f"could not save progress to {self.path}: {exc.strerror or exc}")
        progress.completed, progress.exercise_code = merged.completed, merged.exercise_code
        progress.console_history = merged.console_history
        self._base = copy.deepcopy(merged)
        self._told.clear()
        return True

    def reset(self) -> None:
        """Forget the saved progress; a file a newer tutor wrote is left as it is."""
        self._base = Progress()
        if self._newer:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            self._warn(f"could not remove {self.path}: {exc.strerror or exc}")

    def _read(self) -> Saved:
        """The file's content; empty when there is none, or when it was set aside.

        Raises _Refused when the file is there but must not be saved over.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Saved()
        except OSError as exc:
            raise _Refused(
                f"could not read progress file {self.path} ({exc.strerror or exc}); starting "
                "from the beginning, and not saving over it until it can be read"
            ) from exc
        try:
            return parse(raw)
        except NewerFormatError as exc:
            self._newer = True
            raise _Refused(
                f"progress file {self.path} is from a newer tutor ({exc}; this one reads "
                f"{VERSION}). It is left as it is and this run's progress is not saved: "
                "update tutor to carry on where you were"
            ) from exc
        except ValueError as exc:
            self._warn(self._set_aside(exc))
            return Saved()

    def _set_aside(self, reason: ValueError) -> str:
        """Rename the file to a name no earlier one has; the warning to give.

        Raises _Refused when it cannot be moved: it is then not saved over either.
        """
        unreadable = f"progress file {self.path} could not be read ({reason})"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept: Path | None = None
        try:
            kept = _claim(self.path.with_name(f"{self.path.name}.unreadable-{stamp}"))
            os.replace(self.path, kept)
        except OSError as exc:
            if kept is not None:
                kept.unlink(missing_ok=True)
            raise _Refused(
                f"{unreadable}, nor moved aside ({exc.strerror or exc}); starting from the "
                "beginning, and not saving over it"
            ) from exc
        return f"{unreadable}; it was kept as {kept.name}. Starting from the beginning."

    def _warn(self, message: str) -> None:
        self.warning = message
        self.warning_is_new = message not in self._told
        self._told.add(message)

    def _fail(self, message: str) -> bool:
        self._warn(message)
        return False
