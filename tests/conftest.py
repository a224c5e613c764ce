"""Fixtures shared by the tests; the lesson builders themselves are in tests/builders.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.builders import BASICS, EXERCISE, course, lesson_step, lesson_text, write_lesson_dir
from tests.processes import LONGEST_RUN_S, TEST_TAG
from tutor.lessons import LessonSet
from tutor.progress import ProgressStore
from tutor.session.kernel import KernelSession


def pytest_configure(config: pytest.Config) -> None:
    timeout = float(config.getini("timeout") or 0)
    if 0 < timeout <= LONGEST_RUN_S:
        raise pytest.UsageError(
            f"the per-test timeout ({timeout:g} s) must be longer than the longest run "
            f"inside a test (LONGEST_RUN_S = {LONGEST_RUN_S} s in tests/processes.py)"
        )


@pytest.fixture(autouse=True, scope="module")
def _own_processes_in_module() -> Iterator[None]:
    """Tag what a module-scoped fixture starts, as ``_own_processes`` does for a test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TEST_TAG, uuid.uuid4().hex)
        yield


@pytest.fixture(autouse=True)
def _own_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tag what this test starts, so that counting kernels counts only its own (tests
    run side by side with pytest-xdist)."""
    monkeypatch.setenv(TEST_TAG, uuid.uuid4().hex)


@pytest.fixture(autouse=True)
def _kernels_only_where_marked(request: pytest.FixtureRequest, monkeypatch) -> None:
    """A test that starts a kernel in this process must say so (``@pytest.mark.kernel``),
    so that ``-m "not kernel"`` is truly the fast set."""
    if request.node.get_closest_marker("kernel") is not None:
        return

    async def refuse(self: KernelSession) -> None:
        raise AssertionError(
            f"{request.node.nodeid} starts a kernel: mark it @pytest.mark.kernel, "
            "or give it a scripted session (tests/scripted.py)"
        )

    monkeypatch.setattr(KernelSession, "start", refuse)


@pytest.fixture(scope="session")
def step_md() -> Callable[..., str]:
    return lesson_step


@pytest.fixture(scope="session")
def lesson_md() -> Callable[..., str]:
    return lesson_text


@pytest.fixture(scope="session")
def write_lessons() -> Callable[[Path, dict[str, str]], Path]:
    return write_lesson_dir


@pytest.fixture
def app_lessons(tmp_path: Path) -> LessonSet:
    """The app tests' course: ``BASICS`` and ``EXERCISE`` (tests/builders.py)."""
    return course(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    """A progress file of the test's own."""
    return ProgressStore(tmp_path / "state" / "progress.json")
