"""The fault matrix in the app, through Pilot: broken code fails its step, the app stays
responsive, the session is kept or restarted (and replays on request), the progress
file stays intact, and no kernel outlives the app.

Each row runs a three-step lesson: a canary (``canary = 41``), the fault, and a probe
that needs the canary.  For faults that restart the session the probe passes only if
the app replays the canary and leaves the broken step out.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from textual import events
from textual.widgets import Static

from tests.builders import lesson_step, lesson_text
from tests.faults import FAULTS, MEMORY_LIMIT, Fault
from tests.test_app import output_text, plain, ready, status_text, until
from tutor.lessons import load_lessons
from tutor.progress import ProgressStore
from tutor.session import KernelState
from tutor.tui.app import TutorApp
from tutor.tui.screens.help import HelpScreen

pytestmark = pytest.mark.kernel

LIMIT_MEMORY = (
    f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
)
KEY_ANSWER_S = 0.5
"""A key press must show its effect within this, whatever the lesson code does."""


def fault_lesson(fault: Fault) -> str:
    code = (LIMIT_MEMORY if fault.needs_memory_limit else "") + fault.code
    fault_step = lesson_step("The fault", code, check=fault.check)
    return lesson_text(
        "Faults",
        lesson_step("Canary", "canary = 41"),
        fault_step,
        lesson_step("Probe", "assert canary == 41, 'the canary is gone'"),
        lesson_id="faults",
        requires=[],
    )


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch) -> Callable[[Fault], TutorApp]:
    monkeypatch.chdir(tmp_path)

    def make(fault: Fault) -> TutorApp:
        directory = tmp_path / "lessons"
        directory.mkdir(exist_ok=True)
        (directory / "01_faults.md").write_text(fault_lesson(fault))
        lessons = load_lessons(directory)
        assert lessons.errors == []
        store = ProgressStore(tmp_path / "state" / "progress.json")
        return TutorApp(lessons, device="cpu", store=store)

    return make


async def answers_keys(pilot, app: TutorApp) -> None:
    """Open and close the help screen with the keyboard, each within ``KEY_ANSWER_S``.

    The key is posted as the terminal driver posts it, and the answer timed to the
    moment the help screen is built or gone, polled every 5 ms: ``pilot.press`` also
    waits for every widget to go idle, which a stream of output never lets them do.
    (Tabs would not do: a plot arriving meanwhile rightly brings the Plot tab forward.)
    """

    def help_shown() -> bool:
        return isinstance(app.screen, HelpScreen) and bool(app.screen.query(Static))

    for key, character, answered in (
        ("question_mark", "?", help_shown),
        ("escape", None, lambda: not isinstance(app.screen, HelpScreen)),
    ):
        pressed = (time.monotonic(), waited_for_a_cpu_s())
        app.post_message(events.Key(key, character))
        while not answered():
            assert_in_time(key, pressed)
            await asyncio.sleep(0.005)
        assert_in_time(key, pressed)  # an app that was blocked answers once it is free
        await pilot.pause()


def assert_in_time(key: str, pressed: tuple[float, float]) -> None:
    """Since the key was pressed (the clock and ``waited_for_a_cpu_s()`` then), less than
    ``KEY_ANSWER_S`` went by on the app's clock."""
    took = time.monotonic() - pressed[0]
    others = waited_for_a_cpu_s() - pressed[1]
    assert took - others < KEY_ANSWER_S, (
        f"{key!r} not answered within {KEY_ANSWER_S} s: {took:.2f} s, "
        f"{others:.2f} s of it waiting for a CPU"
    )


def waited_for_a_cpu_s() -> float:
    """How long this thread (the app's) has been ready to run but waiting for a CPU, from
    Linux's schedstat; 0 where the system does not say.

    Tests run side by side on two cores, with kernels of their own: a key's answer is
    timed on the app's clock, which leaves out the time the machine gave to others."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def saved(app: TutorApp) -> dict:
    return json.loads(app.store.path.read_text())


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_the_app_survives(make_app, fault: Fault) -> None:
    app = make_app(fault)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await until(pilot, lambda: bool(app.query("#session-tabs")))
        await pilot.press("enter")  # the canary
        await ready(pilot, app)
        kernel = psutil.Process(app.session.pid)
        await pilot.press("n", "enter")  # the fault
        await answers_keys(pilot, app)  # while it runs, for those that take a while
        if fault.interrupts:
            await until(pilot, lambda: app.session.state is KernelState.BUSY)
            await pilot.pause(0.3)
            await pilot.press("ctrl+c")
            if fault.interrupts == 2:
                await pilot.pause(2.3)  # the code shrugs the first one off
                assert app.running, "the loop should have ignored the first interrupt"
                await pilot.press("ctrl+c")
        await ready(pilot, app)
        await answers_keys(pilot, app)
        status = status_text(app)
        if fault.interrupts == 1:
            assert "KeyboardInterrupt" in status
        elif fault.interrupts == 2:
            assert "fresh session" in status
        elif fault.error is None:
            assert "passed" in status, status
        else:
            assert fault.error in status, status
        if fault.says:
            await until(pilot, lambda: fault.says in output_text(app), seconds=5)
        assert kernel.is_running() is fault.keeps_state, "kept or restarted, as expected"
        assert app.session.state is KernelState.IDLE

        await pilot.press("n", "enter")  # the probe: replays the canary if it must
        await ready(pilot, app)
        assert "passed" in status_text(app), status_text(app)
        if not fault.keeps_state:
            assert app.runner.held == {("faults", 0), ("faults", 2)}, "the fault is left out"
        assert saved(app)["completed"]["faults"][0] == 0
        current = psutil.Process(app.session.pid)
        kernels = [current, *current.children(recursive=True)]
    # Quitting the app ends the kernel and whatever the lesson code started.
    assert not [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]


async def test_a_deleted_variable_names_the_step_to_run_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "lessons"
    directory.mkdir()
    (directory / "01_faults.md").write_text(
        lesson_text(
            "Faults",
            lesson_step("Canary", "canary = 41"),
            lesson_step("Oops", "del canary"),
            lesson_step("Probe", "assert canary == 41, 'the canary is gone'"),
            lesson_id="faults",
            requires=[],
        )
    )
    store = ProgressStore(tmp_path / "state" / "progress.json")
    app = TutorApp(load_lessons(directory), device="cpu", store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter", "n")
        await ready(pilot, app)
        await pilot.press("enter", "n")
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        status = status_text(app)
        assert "NameError" in status
        hint = plain(app.query_one("#hint", Static).content)
        assert "canary" in status + hint
        assert "step 1" in hint.lower(), hint  # the step that defines it
        await pilot.press("p", "p", "enter")  # as the hint says: run step 1 again
        await ready(pilot, app)
        await pilot.press("n", "n", "enter")
        await ready(pilot, app)
        assert "passed" in status_text(app), status_text(app)
