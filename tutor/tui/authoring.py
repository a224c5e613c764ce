"""Authoring in the app: ``--watch`` and attaching Jupyter.

``--watch``: a lesson file saved on disk is reloaded in place.

The session keeps its namespace; the runner forgets the steps whose code changed
(and what builds on them); the learner stays on the step they were on, found by
its title; finished steps and exercise code follow steps that moved.  A file
that stops loading keeps its last good version, and its problems are shown.

Attaching: the palette's "Attach Jupyter" gives the ``jupyter console --existing``
command for the session's connection file (readable by its owner only).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from textual.message import Message

from tutor.lessons import Lesson, LessonSet
from tutor.progress import Progress
from tutor.tui.navigation import Place
from tutor.watch import Reload


class LessonFilesChanged(Message):
    """Lesson files changed on disk (posted by the app's watcher)."""

    def __init__(self, paths: set[Path]) -> None:
        super().__init__()
        self.paths = paths


def place_after(reload: Reload, before: LessonSet, place: Place) -> Place:
    """Where the learner is once ``reload`` applies: the same step of the same lesson,
    found by title (or where it moved to); a lesson that is gone leaves them at the
    lesson now in its place."""
    lessons = reload.lessons.lessons
    old_lesson: Lesson = before.lessons[place.lesson]
    ids = [lesson.id for lesson in lessons]
    if old_lesson.id not in ids:
        return Place(min(place.lesson, len(lessons) - 1), 0)
    index = ids.index(old_lesson.id)
    new_lesson = lessons[index]
    title = old_lesson.steps[place.step].title
    titles = [step.title for step in new_lesson.steps]
    if titles.count(title) == 1:
        step = titles.index(title)
    else:
        step = reload.moved.get(old_lesson.id, {}).get(place.step, place.step)
    return Place(index, min(step, len(new_lesson.steps) - 1))


def follow_moves(progress: Progress, reload: Reload) -> None:
    """Finished steps and exercise code follow the steps that moved."""
    for lesson_id, moves in reload.moved.items():
        progress.move_steps(lesson_id, moves)


def attach_command(connection_file: Path) -> str:
    """The command that opens a Jupyter console on the session's kernel."""
    return f"jupyter console --existing {shlex.quote(str(connection_file))}"
