"""Fixtures shared by the tests; the lesson builders themselves are in tests/builders.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.builders import lesson_step, lesson_text, write_lesson_dir


@pytest.fixture(scope="session")
def step_md() -> Callable[..., str]:
    return lesson_step


@pytest.fixture(scope="session")
def lesson_md() -> Callable[..., str]:
    return lesson_text


@pytest.fixture(scope="session")
def write_lessons() -> Callable[[Path, dict[str, str]], Path]:
    return write_lesson_dir
