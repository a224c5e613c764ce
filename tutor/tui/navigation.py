"""Where the learner is in the course: resuming a saved place and moving step by step.

Pure functions over the lesson set: the app keeps the place, these say where a
key press leads.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.lessons import LessonSet
from tutor.progress import Progress


@dataclass(frozen=True)
class Place:
    """A step by its lesson's position in the course and its own position in the lesson."""

    lesson: int = 0
    step: int = 0


def resume(lessons: LessonSet, progress: Progress, lesson_id: str | None = None) -> Place:
    """The place to open at: ``lesson_id``'s first step if given, else the saved place.

    A saved place that no longer exists (a lesson removed, fewer steps) falls back
    to the course's start or the lesson's last step.
    """
    ids = [lesson.id for lesson in lessons.lessons]
    if lesson_id is not None and lesson_id in ids:
        return Place(ids.index(lesson_id), 0)
    if progress.lesson_id in ids:
        index = ids.index(progress.lesson_id)
        last = len(lessons.lessons[index].steps) - 1
        return Place(index, min(max(progress.step, 0), last))
    return Place()


def moved(lessons: LessonSet, place: Place, delta: int) -> Place | None:
    """The place ``delta`` steps on (+1 or -1), across lessons; None past either end."""
    course = lessons.lessons
    lesson, step = place.lesson, place.step + delta
    if step >= len(course[lesson].steps):
        if lesson + 1 >= len(course):
            return None
        return Place(lesson + 1, 0)
    if step < 0:
        if lesson == 0:
            return None
        return Place(lesson - 1, len(course[lesson - 1].steps) - 1)
    return Place(lesson, step)
