"""Lesson files for the tests: one way to write a step, a lesson and a course folder.

Also the small course that the app's tests share (``BASICS`` and ``EXERCISE``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tutor.lessons import LessonSet, load_lessons

FENCE = "```"

_DEFAULT = object()


def block(code: str, tag: str = "python") -> str:
    """One fenced block: ``python``, ``python exercise``, ``python check``, ``hint``…"""
    return f"{FENCE}{tag}\n{code}\n{FENCE}\n"


def lesson_step(
    title: str,
    code: str | None = None,
    *,
    check: str | None = None,
    hint: str | None = None,
    exercise: str | None = None,
    solution: str | None = None,
    prose: str = "Some prose.",
) -> str:
    """The Markdown of one step: a heading, prose, then its fenced blocks."""
    parts = [f"## {title}", "", prose, ""]
    for tag, text in (
        ("python", code),
        ("python exercise", exercise),
        ("python solution", solution),
        ("python check", check),
        ("hint", hint),
    ):
        if text is not None:
            parts.append(block(text.strip("\n"), tag))
    return "\n".join(parts)


def lesson_text(
    title: str,
    *steps: str,
    lesson_id: str | None = None,
    requires: Iterable[str] | object = _DEFAULT,
    intro: str = "Introduction.",
) -> str:
    """A whole lesson file: front matter, an introduction, then the steps."""
    front = ["---", f"title: {title}"]
    if lesson_id is not None:
        front.append(f"id: {lesson_id}")
    if requires is not _DEFAULT:
        front.append(f"requires: {json.dumps(list(requires))}")  # type: ignore[call-overload]
    front += ["---", "", intro, ""]
    return "\n".join(front + list(steps)) + "\n"


def write_lesson_dir(directory: Path, files: dict[str, str]) -> Path:
    """Write ``{file name: text}`` into ``directory`` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def course(directory: Path, files: dict[str, str]) -> LessonSet:
    """Write the lesson files and load them; every file must load cleanly."""
    lessons = load_lessons(write_lesson_dir(directory, files))
    assert lessons.errors == [], lessons.errors
    return lessons


BASICS = """---
title: Basics
id: basics
---

What this lesson is about.

## Make a tensor

Prose one.

{make}
## Train a little

Prose two.

{train}
## Loop forever

Prose three.

{loop}
## Use what was kept

Prose four.

{use}""".format(
    make=block("import torch\nkept = torch.arange(6.0)\nprint('made', kept.shape)"),
    train=block(
        "import time\nfor epoch in progress(range(60)):\n"
        "    track(epoch=epoch, train_loss=1 / (epoch + 1), test_loss=2 / (epoch + 1))\n"
        "    time.sleep(0.02)"
    ),
    loop=block("import time\nwhile True:\n    time.sleep(0.01)"),
    use=block("total = float(kept.sum())\nprint('total', total)")
    + block("assert total == 15.0, 'kept should still hold 0..5'", "python check"),
)

EXERCISE = """---
title: Practice
id: practice
requires: []
---

## Set the answer

Set `answer` to 42.

{exercise}
{solution}
{check}
{hint}""".format(
    exercise=block("answer = None  # TODO", "python exercise"),
    solution=block("answer = 42", "python solution"),
    check=block("assert answer == 42, 'answer should be 42, not ' + repr(answer)", "python check"),
    hint=block("The answer is a number between 41 and 43.", "hint"),
)
