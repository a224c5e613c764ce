"""Shared helpers for the tests: small lesson files written to a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

FENCE = "```"

_DEFAULT = object()


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
            parts += [f"{FENCE}{tag}", text.strip("\n"), FENCE, ""]
    return "\n".join(parts)


def lesson_text(
    title: str, *steps: str, lesson_id: str | None = None, requires: object = _DEFAULT
) -> str:
    """A whole lesson file: front matter, an introduction, then the steps."""
    front = ["---", f"title: {title}"]
    if lesson_id is not None:
        front.append(f"id: {lesson_id}")
    if requires is not _DEFAULT:
        front.append(f"requires: {json.dumps(list(requires))}")  # type: ignore[call-overload]
    front += ["---", "", "Introduction.", ""]
    return "\n".join(front + list(steps)) + "\n"


def write_lesson_dir(directory: Path, files: dict[str, str]) -> Path:
    """Write ``{file name: text}`` into ``directory`` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def step_md() -> Callable[..., str]:
    return lesson_step


@pytest.fixture(scope="session")
def lesson_md() -> Callable[..., str]:
    return lesson_text


@pytest.fixture(scope="session")
def write_lessons() -> Callable[[Path, dict[str, str]], Path]:
    return write_lesson_dir
