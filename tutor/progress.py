"""The learner's progress: where they are, what they finished, their exercise code.

One small JSON file in the user's state directory, written atomically.  A file
that cannot be read is set aside (renamed) with a warning, never a crash.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_state_path

from tutor.report import write_atomically

VERSION = 1


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

    def to_json(self) -> dict:
        return {
            "version": VERSION,
            "lesson": self.lesson_id,
            "step": self.step,
            "completed": self.completed,
            "exercise_code": self.exercise_code,
        }

    @classmethod
    def from_json(cls, data: object) -> Progress:
        """Raises ValueError when ``data`` is not a progress record."""
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not a tutor progress file of this version")
        lesson, step = data.get("lesson"), data.get("step", 0)
        completed, code = data.get("completed", {}), data.get("exercise_code", {})
        if not (lesson is None or isinstance(lesson, str)) or not isinstance(step, int):
            raise ValueError("bad lesson or step")
        if not isinstance(completed, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(i, int) for i in v)
            for k, v in completed.items()
        ):
            raise ValueError("bad list of completed steps")
        if not isinstance(code, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in code.items()
        ):
            raise ValueError("bad exercise code")
        return cls(lesson, step, completed, code)


class ProgressStore:
    """Loads and saves ``Progress`` at one path; remembers the last problem for the UI."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_progress_path()
        self.warning = ""

    def load(self) -> Progress:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Progress()
        except (OSError, UnicodeDecodeError) as exc:
            self.warning = f"could not read {self.path} ({exc}); starting from the beginning"
            return Progress()
        try:
            return Progress.from_json(json.loads(text))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            kept = self.path.with_name(
                f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            try:
                self.path.rename(kept)
                where = f"it was kept as {kept.name}"
            except OSError:
                where = "it could not be moved aside"
            self.warning = (
                f"progress file {self.path} could not be read ({exc}); {where}. "
                "Starting from the beginning."
            )
            return Progress()

    def save(self, progress: Progress) -> bool:
        """Write atomically; False (with ``warning`` set) if it could not be written."""
        try:
            write_atomically(self.path, json.dumps(progress.to_json(), indent=2) + "\n")
        except OSError as exc:
            self.warning = f"could not save progress to {self.path}: {exc.strerror or exc}"
            return False
        return True

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
