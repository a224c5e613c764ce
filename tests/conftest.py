"""Fixtures shared by the tests; the lesson builders themselves are in tests/builders.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.builders import lesson_step, lesson_text, write_lesson_dir
from tests.processes import TEST_TAG


@pytest.fixture(autouse=True)
def _own_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tag what this test starts, so that counting kernels counts only its own."""
    monkeypatch.setenv(TEST_TAG, uuid.uuid4().hex)


@pytest.fixture(scope="session")
def step_md() -> Callable[..., str]:
    return lesson_step


@pytest.fixture(scope="session")
def lesson_md() -> Callable[..., str]:
    return lesson_text


@pytest.fixture(scope="session")
def write_lessons() -> Callable[[Path, dict[str, str]], Path]:
    return write_lesson_dir
