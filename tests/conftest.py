"""Fixtures shared by the tests; the lesson builders themselves are in tests/builders.py."""

from __future__ import annotations

import signal
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
    # A shell without job control starts a command run in the background (`make test &`
    # in a script) with Ctrl+C ignored, and every process the tests start would inherit
    # that: a tutor told to stop by Ctrl+C would rightly go on.  The tests stand for a
    # learner at a terminal, where Ctrl+C has its default effect.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    timeout = float(config.getini("timeout") or 0)
    if 0 < timeout <= LONGEST_RUN_S:
        raise pytest.UsageError(
            f"the per-test timeout ({timeout:g} s) must be longer than the longest run "
            f"inside a test (LONGEST_RUN_S = {LONGEST_RUN_S} s in tests/processes.py)"
        )


SHARED = ("module", "package")
"""Fixture scopes whose one value the tests of a module share: a kernel, a matrix's run."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns the marks into test ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """For ``--dist loadgroup`` (``make test``): the tests that share a module's fixtures
    run in one process, so that each is made once; every other test goes to whichever
    process is free, so that one long module keeps no other waiting.  Two tests are in
    one group when they share such a fixture, or share one with a test of the group.
    The tests marked slow are handed out first."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    groups: dict[str, list[tuple[set[str], list[pytest.Item]]]] = {}
    for item in items:
        shared = _shared_fixtures(item)
        if not shared:
            continue
        module = groups.setdefault(item.module.__name__, [])
        joined = [group for group in module if group[0] & shared]
        names, members = set(shared), [item]
        for group in joined:
            module.remove(group)
            names |= group[0]
            members += group[1]
        module.append((names, members))
    for module_name, module in groups.items():
        for names, members in module:
            for item in members:
                item.add_marker(pytest.mark.xdist_group(f"{module_name}:{min(names)}"))
    # The slow tests first, so that the last to finish are short ones.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _shared_fixtures(item: pytest.Item) -> set[str]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    return {
        definition.argname
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
        if definition.scope in SHARED and definition.argname != "_own_processes_in_module"
    }


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
