"""Live authoring: notice lesson files that change on disk and reload them.

``reload_lessons`` is pure over the files: it loads the folder again, keeps the
last good version of a lesson whose file stopped loading, and says which steps
changed, so that the runner forgets what the session held of them and the
learner's place and exercise code follow a step that moved.  ``changes`` watches
the folder with watchfiles.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from tutor.lessons import LESSON_FILE, Lesson, LessonSet, Step, load_lessons

DEBOUNCE_MS = 50
"""Editors write a file in more than one go (truncate, write, rename): changes this
close together are one save."""


@dataclass(frozen=True)
class Reload:
    """What a reload found."""

    lessons: LessonSet
    """The lessons to use now: every file that loads, and the last good version of a
    file that stopped loading (its problems are in ``lessons.errors``)."""
    changed: dict[str, int] = field(default_factory=dict)
    """Lesson id → the first step whose code changed, for lessons that kept their id
    (steps from there on no longer match what the session ran)."""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[Lesson, ...] = ()
    """Lessons whose file has problems now: their last good version stays loaded."""
    moved: dict[str, dict[int, int]] = field(default_factory=dict)
    """Lesson id → old step index → new step index, for steps found again by title."""


def step_code(step: Step) -> tuple[tuple[str, str], ...]:
    """What running a step does: its blocks' kinds and text (prose is left out)."""
    return tuple((block.kind.value, block.text) for block in step.runnable_blocks())


def first_changed_step(old: Lesson, new: Lesson) -> int | None:
    """The first step whose code differs (a step added or removed counts), or None."""
    for index, (before, after) in enumerate(zip(old.steps, new.steps, strict=False)):
        if step_code(before) != step_code(after):
            return index
    if len(old.steps) != len(new.steps):
        return min(len(old.steps), len(new.steps))
    return None


def step_moves(old: Lesson, new: Lesson) -> dict[int, int]:
    """Old index → new index for the steps found again: by title where a title appears
    once in each version, else (a step renamed) at the same place if that place's step
    is not found elsewhere."""

    def unique(lesson: Lesson) -> dict[str, int]:
        titles = [step.title for step in lesson.steps]
        return {title: i for i, title in enumerate(titles) if titles.count(title) == 1}

    before, after = unique(old), unique(new)
    moves = {i: after[title] for title, i in before.items() if title in after}
    taken = set(moves.values())
    for i in range(min(len(old.steps), len(new.steps))):
        if i not in moves and i not in taken:
            moves[i] = i
            taken.add(i)
    return dict(sorted(moves.items()))


def _order(lesson: Lesson) -> tuple[int, str]:
    match = LESSON_FILE.match(lesson.path.name)
    return (int(match["number"]) if match else 0, lesson.path.name)


def reload_lessons(current: LessonSet) -> Reload:
    """Load ``current``'s folder again and compare.  Raises ``LessonError`` only if the
    folder itself cannot be read."""
    fresh = load_lessons(current.directory)
    broken = {Path(error.path).resolve() for error in fresh.errors}
    loaded = {lesson.path.resolve() for lesson in fresh.lessons}
    fresh_ids = {lesson.id for lesson in fresh.lessons}
    kept = tuple(
        lesson
        for lesson in current.lessons
        if (path := lesson.path.resolve()) in broken
        and path not in loaded
        and lesson.id not in fresh_ids
    )
    lessons = LessonSet(
        current.directory, sorted([*fresh.lessons, *kept], key=_order), list(fresh.errors)
    )
    old = {lesson.id: lesson for lesson in current.lessons}
    new = {lesson.id: lesson for lesson in lessons.lessons}
    changed: dict[str, int] = {}
    moved: dict[str, dict[int, int]] = {}
    for lesson_id in old.keys() & new.keys():
        first = first_changed_step(old[lesson_id], new[lesson_id])
        if first is not None:
            changed[lesson_id] = first
        moves = step_moves(old[lesson_id], new[lesson_id])
        if any(i != j for i, j in moves.items()):
            moved[lesson_id] = moves
    return Reload(
        lessons=lessons,
        changed=changed,
        added=tuple(i for i in new if i not in old),
        removed=tuple(i for i in old if i not in new),
        kept=kept,
        moved=moved,
    )


def describe(reload: Reload) -> list[str]:
    """One line per change, for a notice or the headless log."""
    lines = [
        f"{lesson_id}: changed from step {first + 1}" for lesson_id, first in reload.changed.items()
    ]
    lines += [f"{lesson_id}: new lesson" for lesson_id in reload.added]
    lines += [f"{lesson_id}: removed" for lesson_id in reload.removed]
    lines += [
        f"{lesson.path.name}: has problems, its last good version stays loaded"
        for lesson in reload.kept
    ]
    return lines


async def changes(directory: Path) -> AsyncIterator[set[Path]]:
    """The lesson files of ``directory`` that changed, one set per save."""
    from watchfiles import awatch

    def is_lesson(_change: object, path: str) -> bool:
        return LESSON_FILE.match(Path(path).name) is not None

    async for batch in awatch(
        directory,
        watch_filter=is_lesson,
        debounce=DEBOUNCE_MS,
        step=DEBOUNCE_MS,
        recursive=False,
    ):
        yield {Path(path) for _change, path in batch}


class Saves:
    """The lesson files saved in a folder from the moment this is made, one set per
    call of ``next()`` (saves made meanwhile are gathered into one)."""

    def __init__(self, directory: Path) -> None:
        self._queue: asyncio.Queue[set[Path]] = asyncio.Queue()
        self._task = asyncio.create_task(self._gather(directory))

    async def _gather(self, directory: Path) -> None:
        async for paths in changes(directory):
            self._queue.put_nowait(paths)

    async def next(self) -> set[Path]:
        """The files saved since the last call; waits for one.  Raises what stopped the
        watching (the folder removed, say)."""
        getting = asyncio.ensure_future(self._queue.get())
        try:
            await asyncio.wait({getting, self._task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getting.done():
                getting.cancel()
        if not getting.done() or getting.cancelled():
            self._task.result()  # raises why the watching stopped
            raise RuntimeError("the lesson folder is no longer watched")
        paths = getting.result()
        while not self._queue.empty():
            paths |= self._queue.get_nowait()
        return paths

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
