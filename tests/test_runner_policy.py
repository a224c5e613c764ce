"""The runner's policy over a scripted session (no kernel): what the session holds,
quarantine, restarts, exercise code passed as data, results that never change."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path

import pytest

from tests.builders import course, lesson_step, lesson_text
from tests.scripted import Reply, ScriptedSession
from tutor.lessons import LessonSet, bundled_lessons_dir, load_lessons
from tutor.runner import (
    LessonFinished,
    Runner,
    RunStopped,
    StepEvent,
    StepFinished,
    StepStatus,
)
from tutor.session import Finished, KernelState, Metrics, Output

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def lessons(tmp_path: Path) -> LessonSet:
    return course(
        tmp_path / "lessons",
        {
            "01_a.md": lesson_text(
                "A",
                lesson_step("Make", "MAKE"),
                lesson_step("Flaky", "FLAKY"),
                lesson_step("Grow", "GROW"),
                lesson_step(
                    "Answer", exercise="STARTER", solution="SOLUTION", check="CHECK_ANSWER"
                ),
                lesson_step("Use", "USE"),
                lesson_id="a",
            )
        },
    )


async def finished(events) -> list[StepFinished]:
    return [event async for event in events if isinstance(event, StepFinished)]


async def started(session: ScriptedSession, lessons: LessonSet, **kwargs) -> Runner:
    runner = Runner(session, lessons, **kwargs)
    await runner.start()
    return runner


async def test_a_failed_step_is_quarantined_until_it_passes(lessons: LessonSet) -> None:
    session = ScriptedSession({"FLAKY": Reply(error=("ValueError", "flaky"))})
    runner = await started(session, lessons, timeout=5)
    a = lessons.get("a")
    results = await finished(runner.run_to(a, 1))
    assert [(r.index, r.replay, r.result.status) for r in results] == [
        (0, True, StepStatus.PASSED),
        (1, False, StepStatus.FAILED),
    ]
    # going on, the replay leaves the failed step out rather than fail on it again
    results = await finished(runner.run_to(a, 2))
    assert [(r.index, r.result.status) for r in results] == [(2, StepStatus.PASSED)]
    assert runner.held == {("a", 0), ("a", 2)}
    assert runner.quarantined == {("a", 1)}
    assert [(les.id, i) for les, i in runner.missing_before(a, 4)] == [("a", 3)]
    assert [(les.id, i) for les, i in runner.missing_before(a, 4, include_quarantined=True)] == [
        ("a", 1),
        ("a", 3),
    ]
    # once it passes it is held, and no longer quarantined
    session.replies.clear()
    again = await finished(runner.run_step(a, 1))
    assert again[-1].result.status is StepStatus.PASSED
    assert runner.quarantined == frozenset()
    assert ("a", 1) in runner.held


async def test_running_up_to_here_reruns_held_and_quarantined_steps(lessons: LessonSet) -> None:
    session = ScriptedSession({"FLAKY": Reply(error=("ValueError", "flaky"))})
    runner = await started(session, lessons, timeout=5)
    a = lessons.get("a")
    await finished(runner.run_to(a, 1))
    await finished(runner.run_to(a, 2))
    assert runner.quarantined == {("a", 1)}
    session.replies.clear()
    session.ran.clear()
    results = await finished(runner.run_to(a, 2, rerun_lesson=True))
    assert [(r.index, r.replay) for r in results] == [(0, True), (1, True), (2, False)]
    assert session.ran == ["MAKE", "FLAKY", "GROW"]
    assert runner.held == {("a", 0), ("a", 1), ("a", 2)}


async def test_a_failed_replay_does_not_run_the_step(lessons: LessonSet) -> None:
    session = ScriptedSession({"GROW": Reply(error=("NameError", "name 'x' is not defined"))})
    runner = await started(session, lessons, timeout=5)
    results = await finished(runner.run_to(lessons.get("a"), 4))
    assert [(r.index, r.replay, r.result.status) for r in results][-1] == (
        2,
        True,
        StepStatus.FAILED,
    )
    assert not any("USE" in code for code in session.ran)


async def test_replays_use_the_learners_solved_code_else_the_solution(lessons: LessonSet) -> None:
    session = ScriptedSession()
    runner = await started(session, lessons, timeout=5)
    a = lessons.get("a")
    await finished(runner.run_to(a, 4, solved={("a", 3): "LEARNERS"}))
    assert "LEARNERS" in session.ran
    assert "SOLUTION" not in session.ran
    await runner.restart()
    session.ran.clear()
    await finished(runner.run_to(a, 4))
    assert "SOLUTION" in session.ran
    # the step itself runs the code it is given
    session.ran.clear()
    await finished(runner.run_step(a, 3, code="TYPED"))
    assert session.ran == ["TYPED", "CHECK_ANSWER"]


async def test_the_runner_restarts_a_session_that_would_not_stop(lessons: LessonSet) -> None:
    session = ScriptedSession({"FLAKY": Reply(hang=True, ignore_interrupts=True)})
    runner = await started(session, lessons, timeout=0.2)
    a = lessons.get("a")
    results = await finished(runner.run_to(a, 2))
    hung = results[-1].result
    assert hung.key == ("a", 1)
    assert hung.error is not None and hung.error.type == "Timeout"
    assert "restarted" in hung.error.message
    assert hung.session_restarted is True
    assert session.starts == 2, "the runner, and only the runner, restarted it"
    assert session.state is KernelState.IDLE
    assert runner.held == frozenset(), "a fresh session holds nothing"
    assert runner.quarantined == {("a", 1)}


async def test_a_session_that_dies_is_restarted_and_holds_nothing(lessons: LessonSet) -> None:
    session = ScriptedSession({"GROW": Reply(die="the Python session exited with code 1")})
    runner = await started(session, lessons, timeout=5)
    results = await finished(runner.run_to(lessons.get("a"), 2))
    died = results[-1].result
    assert died.error is not None and died.error.type == "SessionDied"
    assert session.starts == 2
    assert runner.held == frozenset()
    assert runner.quarantined == {("a", 2)}


async def test_the_running_step_can_be_quarantined_while_it_hangs(lessons: LessonSet) -> None:
    session = ScriptedSession({"FLAKY": Reply(hang=True, ignore_interrupts=True)})
    runner = await started(session, lessons, timeout=None)
    a = lessons.get("a")

    async def run() -> None:
        async for _event in runner.run_to(a, 2):
            pass

    task = asyncio.create_task(run())  # as the app's worker runs it
    while not (session.state is KernelState.BUSY and runner.running == ("a", 1)):
        await asyncio.sleep(0.01)
    assert runner.quarantine_running() == ("a", 1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert runner.running is None
    await runner.restart()
    assert runner.quarantined == {("a", 1)}
    assert runner.held == frozenset()
    assert [(les.id, i) for les, i in runner.missing_before(a, 2)] == [("a", 0)]


async def test_results_never_change_once_yielded(lessons: LessonSet) -> None:
    session = ScriptedSession(
        {
            "MAKE": Reply(events=[Output("stdout", "made\n"), Metrics(0, [{"loss": 1.0}])]),
            "GROW": Reply(error=("ValueError", "bad growth")),
        }
    )
    runner = await started(session, lessons, timeout=5)
    b = course(
        Path(lessons.directory).parent / "more",
        {
            **{p.name: p.read_text() for p in Path(lessons.directory).glob("*.md")},
            "02_b.md": lesson_text("B", lesson_step("Later", "LATER"), lesson_id="b"),
        },
    )
    runner = await started(session, b, timeout=5)
    events = [event async for event in runner.run_lesson(b.get("b"))]
    replayed = [e.result for e in events if isinstance(e, StepFinished) and e.replay]
    lesson = next(e.result for e in events if isinstance(e, LessonFinished))
    # the lesson's record names the failed replay, in a result of its own
    assert lesson.steps[0].title == "replay of a: Grow"
    assert replayed[-1].title == "Grow", "the yielded result was not changed afterwards"
    assert replayed[0].output == "made\n"
    with pytest.raises(dataclasses.FrozenInstanceError):
        replayed[0].title = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lesson.status = StepStatus.PASSED  # type: ignore[misc]
    assert isinstance(lesson.steps, tuple)


async def test_console_code_is_no_step_and_a_session_it_kills_is_restarted(
    lessons: LessonSet,
) -> None:
    from tutor.session import Finished, Output, RunStatus

    session = ScriptedSession(
        {
            "PEEK": Reply(events=[Output("stdout", "seen\n")]),
            "BROKEN": Reply(error=("NameError", "name 'nope' is not defined")),
            "CRASH": Reply(die="the Python session crashed"),
        }
    )
    runner = await started(session, lessons, timeout=5)
    a = lessons.get("a")
    await finished(runner.run_to(a, 1))
    assert runner.held == {("a", 0), ("a", 1)}
    events = [event async for event in runner.run_cell("PEEK")]
    assert events == [Output("stdout", "seen\n"), events[-1]]
    assert isinstance(events[-1], Finished) and events[-1].status is RunStatus.OK
    failed = [event async for event in runner.run_cell("BROKEN")]
    assert failed[-1].status is RunStatus.ERROR
    assert runner.held == {("a", 0), ("a", 1)}, "console code changes no step"
    assert runner.quarantined == frozenset()
    died = [event async for event in runner.run_cell("CRASH")]
    assert died[-1].status is RunStatus.DEAD
    assert session.starts == 2 and session.state is KernelState.IDLE, "restarted by the runner"
    assert runner.held == frozenset()
    results = await finished(runner.run_to(a, 1))
    assert [r.index for r in results] == [0, 1], "the steps replay; the console's code never"
    assert session.ran.count("PEEK") == 1


async def test_a_step_the_learner_stopped_gets_no_hint(tmp_path: Path) -> None:
    lessons = course(
        tmp_path / "hinted",
        {
            "01_h.md": lesson_text(
                "H", lesson_step("Spin", "SPIN", hint="Look at the loop."), lesson_id="h"
            )
        },
    )
    session = ScriptedSession({"SPIN": Reply(hang=True)})
    runner = await started(session, lessons, timeout=None)

    async def stop_it() -> None:
        while session.state is not KernelState.BUSY:
            await asyncio.sleep(0.01)
        await session.interrupt()

    stopper = asyncio.create_task(stop_it())
    [stopped] = await finished(runner.run_step(lessons.get("h"), 0))
    await stopper
    assert stopped.result.error is not None
    assert stopped.result.error.type == "KeyboardInterrupt"
    assert stopped.result.hint == "", "stopping a run is no mistake to hint at"
    session.replies["SPIN"] = Reply(error=("ValueError", "bad"))
    [failed] = await finished(runner.run_step(lessons.get("h"), 0))
    assert failed.result.hint == "Look at the loop.", "a real failure keeps the step's hint"


@pytest.mark.parametrize("device", ["cuda", "auto"], ids=["command-line", "hand-written"])
async def test_a_missing_device_is_blamed_on_what_asked_for_it(device: str) -> None:
    """Lesson 7's device step on a machine without CUDA: started with --device cuda, the
    hint says the start asked for it; started with auto, the code named it by hand."""
    lessons = load_lessons(bundled_lessons_dir())
    gpu = lessons.get("gpu")
    assert gpu is not None
    index = next(i for i, step in enumerate(gpu.steps) if step.title == "Use tutor's device")
    session = ScriptedSession(
        {
            "torch.cuda.get_device_name": Reply(
                error=("AssertionError", "Torch not compiled with CUDA enabled")
            )
        }
    )
    runner = await started(session, lessons, timeout=5, device=device)
    results = await finished(runner.run_to(gpu, index))
    hint = results[-1].result.hint
    assert (results[-1].index, results[-1].result.status) == (index, StepStatus.FAILED)
    if device == "cuda":
        assert hint == (
            "You started tutor with `--device cuda`, but this machine has no CUDA device that "
            "this PyTorch can use, so the step cannot run on it. Start tutor again with "
            "`--device cpu`, or `--device auto` to use the accelerator only where there is one."
        )
    else:
        assert "This PyTorch build has no CUDA support" in hint
        assert 'instead of writing `"cuda"` or `"mps"` by hand' in hint


def keys(steps) -> list[tuple[str, int]]:
    return [(lesson.id, index) for lesson, index in steps]


async def test_an_interrupt_stops_a_replay_in_the_step_it_runs(lessons: LessonSet) -> None:
    session = ScriptedSession({"GROW": Reply(hang=True)})
    runner = await started(session, lessons, timeout=None)
    a = lessons.get("a")

    async def stop_it() -> None:
        while session.ran[-1:] != ["GROW"] or session.state is not KernelState.BUSY:
            await asyncio.sleep(0.01)
        await runner.interrupt()

    stopper = asyncio.create_task(stop_it())
    events = [event async for event in runner.run_to(a, 4)]
    await stopper
    assert session.ran == ["MAKE", "FLAKY", "GROW"], "no step after the interrupted one ran"
    *_, interrupted, stopped = events
    assert isinstance(interrupted, StepFinished) and interrupted.replay
    assert interrupted.result.error is not None
    assert interrupted.result.error.type == "KeyboardInterrupt"
    assert isinstance(stopped, RunStopped) and (stopped.lesson.id, stopped.index) == ("a", 4)
    assert keys(stopped.not_run) == [("a", 2), ("a", 3)]
    assert runner.held == {("a", 0), ("a", 1)}, "the session holds what replayed, no more"
    assert runner.quarantined == frozenset(), "a replay the learner stopped did not fail"
    session.replies.clear()
    results = await finished(runner.run_to(a, 4))
    assert [(r.index, r.replay) for r in results] == [(2, True), (3, True), (4, False)]


async def test_an_interrupt_between_two_replayed_steps_stops_the_replay(
    lessons: LessonSet,
) -> None:
    session = ScriptedSession()
    runner = await started(session, lessons, timeout=None)
    a = lessons.get("a")
    events = []
    async for event in runner.run_to(a, 4):
        events.append(event)
        if isinstance(event, StepFinished) and event.index == 0:
            assert session.state is KernelState.IDLE  # nothing runs: the session cannot stop it
            await runner.interrupt()
    assert session.ran == ["MAKE"]
    assert isinstance(events[-1], RunStopped)
    assert keys(events[-1].not_run) == [("a", 1), ("a", 2), ("a", 3)]
    assert runner.held == {("a", 0)}
    results = await finished(runner.run_to(a, 4))
    assert [r.index for r in results] == [1, 2, 3, 4], "the next run is not stopped"


async def test_an_interrupt_as_the_replay_ends_keeps_the_step_from_running(
    lessons: LessonSet,
) -> None:
    session = ScriptedSession()
    runner = await started(session, lessons, timeout=None)
    a = lessons.get("a")
    events = []
    async for event in runner.run_to(a, 2):
        events.append(event)
        if isinstance(event, StepFinished) and event.index == 1:
            await runner.interrupt()
    assert session.ran == ["MAKE", "FLAKY"], "the step asked for did not start"
    assert isinstance(events[-1], RunStopped) and events[-1].not_run == ()


async def test_an_interrupt_between_a_steps_blocks_stops_before_its_checks(
    lessons: LessonSet,
) -> None:
    session = ScriptedSession()
    runner = await started(session, lessons, timeout=None)
    a = lessons.get("a")
    await finished(runner.run_to(a, 2))
    events = []
    async for event in runner.run_step(a, 3, code="LEARNERS"):
        events.append(event)
        if isinstance(event, StepEvent) and isinstance(event.event, Finished):
            await runner.interrupt()
    assert session.ran[-1] == "LEARNERS", "its check never ran"
    result = events[-1].result
    assert result.status is StepStatus.FAILED and result.error.type == "KeyboardInterrupt"


async def test_a_syntax_error_names_a_line_the_learner_can_find(lessons: LessonSet) -> None:
    """Not IPython's name for the cell ("3180427816.py, line 2"): a line of the
    learner's own code; in a lesson's own block (IPython syntax the loader cannot
    check), the lesson file's line."""
    session = ScriptedSession(
        {
            "TYPED": Reply(error=("SyntaxError", "incomplete input (3180427816.py, line 2)")),
            "MAKE": Reply(error=("IndentationError", "unexpected indent (29642607.py, line 1)")),
        }
    )
    runner = await started(session, lessons, timeout=5)
    a = lessons.get("a")
    assert a is not None
    [typed] = await finished(runner.run_step(a, 3, code="TYPED"))
    assert typed.result.error is not None
    assert typed.result.error.message == "incomplete input (line 2 of your code)"
    [make] = await finished(runner.run_step(a, 0))
    block = a.steps[0].blocks[0]
    assert make.result.error is not None
    assert make.result.error.message == f"unexpected indent (01_a.md:{block.line + 1})"
