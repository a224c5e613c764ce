"""The Runner (tutor/runner.py) over a real KernelSession, with lessons written to tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tutor.lessons import BlockKind, LessonSet, load_lessons
from tutor.runner import (
    LessonFinished,
    LessonResult,
    LessonStarted,
    Runner,
    StepEvent,
    StepFinished,
    StepStarted,
    StepStatus,
)
from tutor.session import Finished, KernelSession, KernelState, Output, RunStatus

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.kernel]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KernelSession]:
    kernel = KernelSession(cwd=tmp_path_factory.mktemp("runner-cwd"), device="cpu")
    await kernel.start()
    yield kernel
    await kernel.shutdown()


@pytest.fixture
def load(tmp_path: Path, write_lessons):
    def make(files: dict[str, str]) -> LessonSet:
        lessons = load_lessons(write_lessons(tmp_path / "lessons", files))
        assert lessons.errors == [], lessons.errors
        return lessons

    return make


async def run_lessons(runner: Runner, lessons: LessonSet, ids: list[str] | None = None) -> list:
    selected = [lessons.get(i) for i in ids] if ids else lessons.lessons
    return [event async for event in runner.run_lessons(selected)]


def lesson_results(events: list) -> dict[str, LessonResult]:
    return {e.result.lesson.id: e.result for e in events if isinstance(e, LessonFinished)}


async def test_passing_lesson(session: KernelSession, load, lesson_md, step_md) -> None:
    lessons = load(
        {
            "01_basics.md": lesson_md(
                "Basics",
                step_md(
                    "Make a tensor",
                    "import torch\nbasics_x = torch.arange(4)",
                    check=("assert basics_x.shape == (4,), 'basics_x should have 4 elements'"),
                ),
                step_md(
                    "Print it", "print('sum is', int(basics_x.sum()))\ntrack(epoch=0, loss=1.5)"
                ),
            )
        }
    )
    runner = Runner(session, lessons, timeout=60)
    events = await run_lessons(runner, lessons)
    assert isinstance(events[0], LessonStarted)
    assert isinstance(events[-1], LessonFinished)
    result = lesson_results(events)["basics"]
    assert result.status is StepStatus.PASSED
    assert [s.status for s in result.steps] == [StepStatus.PASSED, StepStatus.PASSED]
    assert [s.title for s in result.steps] == ["Make a tensor", "Print it"]
    assert all(s.error is None for s in result.steps)
    assert result.steps[1].output == "sum is 6\n"
    assert result.steps[1].history == ({"epoch": 0.0, "loss": 1.5},)
    assert result.duration_s > 0
    assert runner.held == {("basics", 0), ("basics", 1)}
    started = [e for e in events if isinstance(e, StepStarted)]
    assert [(e.index, e.replay) for e in started] == [(0, False), (1, False)]
    outputs = [e for e in events if isinstance(e, StepEvent) and isinstance(e.event, Output)]
    assert outputs and outputs[0].index == 1


async def test_failing_check_fails_and_skips_later_steps(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_first.md": lesson_md(
                "First",
                step_md(
                    "Set a value",
                    "value = 3",
                    check="assert value == 4, 'value should be 4, got ' + str(value)",
                    hint="Set it to four.",
                ),
                step_md("Later step", "later = 1"),
                step_md("Even later", "later = 2"),
            ),
            "02_second.md": lesson_md("Second", step_md("Needs first", "print(value)")),
            "03_third.md": lesson_md(
                "Third", step_md("Independent", "independent = True"), requires=[]
            ),
        }
    )
    runner = Runner(session, lessons, timeout=60)
    events = await run_lessons(runner, lessons)
    results = lesson_results(events)

    first = results["first"]
    assert first.status is StepStatus.FAILED
    failed = first.steps[0]
    assert failed.status is StepStatus.FAILED
    assert failed.error is not None
    assert failed.error.type == "CheckFailed"
    assert failed.error.message == "value should be 4, got 3"
    assert failed.failed_block is not None
    assert failed.failed_block.kind is BlockKind.CHECK
    assert "assert value == 4" in failed.failed_block.text
    assert failed.hint == "Set it to four."
    assert [s.status for s in first.steps[1:]] == [StepStatus.SKIPPED, StepStatus.SKIPPED]
    assert [s.title for s in first.steps] == ["Set a value", "Later step", "Even later"]
    assert "step 1" in first.reason

    second = results["second"]
    assert second.status is StepStatus.SKIPPED
    assert [s.status for s in second.steps] == [StepStatus.SKIPPED]
    assert "first" in second.reason
    # a skipped lesson's code never ran
    ran = [e for e in events if isinstance(e, StepStarted) and e.lesson.id == "second"]
    assert ran == []

    assert results["third"].status is StepStatus.PASSED
    assert ("first", 0) not in runner.held
    assert ("third", 0) in runner.held


async def test_check_without_message(session: KernelSession, load, lesson_md, step_md) -> None:
    lessons = load(
        {"01_bare.md": lesson_md("Bare", step_md("Bare assert", "n = 1", check="assert n == 2"))}
    )
    events = await run_lessons(Runner(session, lessons, timeout=60), lessons)
    step = lesson_results(events)["bare"].steps[0]
    assert step.error.type == "CheckFailed"
    assert "no message" in step.error.message


async def test_code_error_is_reported_with_traceback(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_err.md": lesson_md(
                "Err",
                step_md("Raise", "print('partial output')\nraise KeyError('missing-key')"),
            )
        }
    )
    events = await run_lessons(Runner(session, lessons, timeout=60), lessons)
    step = lesson_results(events)["err"].steps[0]
    assert step.status is StepStatus.FAILED
    assert step.error.type == "KeyError"
    assert "missing-key" in step.error.message
    assert "KeyError" in step.error.traceback
    assert "\x1b[" not in step.error.traceback
    assert step.output == "partial output\n"
    assert step.failed_block.kind is BlockKind.CODE


async def test_replay_requirements_in_fresh_session(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    await session.restart()
    lessons = load(
        {
            "01_a.md": lesson_md(
                "A",
                step_md("Define", "replay_a = 10"),
                step_md("Grow", "replay_a += 5\nprint('grew')"),
            ),
            "02_b.md": lesson_md(
                "B",
                step_md(
                    "Use A", "replay_b = replay_a * 2", check="assert replay_b == 30, replay_b"
                ),
            ),
        }
    )
    runner = Runner(session, lessons, timeout=60)
    events = await run_lessons(runner, lessons, ["b"])
    finished = [e for e in events if isinstance(e, StepFinished)]
    assert [(e.lesson.id, e.index, e.replay) for e in finished] == [
        ("a", 0, True),
        ("a", 1, True),
        ("b", 0, False),
    ]
    assert all(e.result.status is StepStatus.PASSED for e in finished)
    result = lesson_results(events)["b"]
    assert result.status is StepStatus.PASSED
    assert [s.lesson_id for s in result.steps] == ["b"]  # replayed steps are not B's steps
    assert runner.held == {("a", 0), ("a", 1), ("b", 0)}
    # a second run of B replays nothing: the session already holds A
    again = [e async for e in runner.run_lesson(lessons.get("b"))]
    assert not any(isinstance(e, StepFinished) and e.replay for e in again)
    assert runner.missing_before(lessons.get("b"), 0) == []
    # after a restart everything B builds on is missing again, in course order
    await runner.restart()
    missing = runner.missing_before(lessons.get("b"), 0)
    assert [(lesson.id, index) for lesson, index in missing] == [("a", 0), ("a", 1)]


async def test_failed_replay_fails_the_lesson(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_a.md": lesson_md("A", step_md("Broken", "raise RuntimeError('a is broken')")),
            "02_b.md": lesson_md("B", step_md("Use A", "b = 1")),
        }
    )
    runner = Runner(session, lessons, timeout=60)
    events = await run_lessons(runner, lessons, ["b"])
    result = lesson_results(events)["b"]
    assert result.status is StepStatus.FAILED
    assert "replaying 'a'" in result.reason
    assert not any(isinstance(e, StepStarted) and e.lesson.id == "b" for e in events)


EXERCISE_STEP = dict(
    exercise="answer = None  # TODO: compute the answer",
    solution="answer = 6 * 7",
    check="assert answer == 42, 'answer should be 42'",
)


async def test_verify_exercises_proper_exercise_passes(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load({"01_ex.md": lesson_md("Ex", step_md("Answer", **EXERCISE_STEP))})
    runner = Runner(session, lessons, timeout=60, verify_exercises=True)
    events = await run_lessons(runner, lessons)
    step = lesson_results(events)["ex"].steps[0]
    assert step.status is StepStatus.PASSED, step.error
    assert await session.evaluate("answer") == 42


async def test_verify_exercises_broken_exercise(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    broken = {**EXERCISE_STEP, "exercise": "answer = 42  # already solved"}
    lessons = load({"01_ex.md": lesson_md("Ex", step_md("Answer", **broken))})
    runner = Runner(session, lessons, timeout=60, verify_exercises=True)
    events = await run_lessons(runner, lessons)
    step = lesson_results(events)["ex"].steps[0]
    assert step.status is StepStatus.FAILED
    assert step.error.type == "BrokenExercise"
    assert step.failed_block is not None
    assert step.failed_block.kind is BlockKind.EXERCISE
    # without verification the same lesson passes
    plain = Runner(session, lessons, timeout=60)
    events = await run_lessons(plain, lessons)
    assert lesson_results(events)["ex"].status is StepStatus.PASSED


async def test_exercise_code_from_the_learner(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load({"01_ex.md": lesson_md("Ex", step_md("Answer", **EXERCISE_STEP))})
    runner = Runner(session, lessons, timeout=60)
    events = [e async for e in runner.run_step(lessons.get("ex"), 0, code="answer = 41")]
    step = events[-1].result
    assert step.status is StepStatus.FAILED
    assert step.error.type == "CheckFailed"
    assert step.error.message == "answer should be 42"


async def test_dead_kernel_fails_step_and_session_recovers(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_crash.md": lesson_md(
                "Crash",
                step_md("Exit hard", "import os\nos._exit(1)"),
                step_md("After the crash", "after = 1"),
            ),
            "02_next.md": lesson_md(
                "Next",
                step_md(
                    "Runs anyway",
                    "import torch\nnext_x = torch.ones(2)",
                    check=("assert next_x.sum() == 2"),
                ),
                requires=[],
            ),
        }
    )
    old_pid = session.pid
    runner = Runner(session, lessons, timeout=60)
    events = await run_lessons(runner, lessons)
    results = lesson_results(events)
    crash = results["crash"]
    assert crash.status is StepStatus.FAILED
    assert crash.steps[0].error.type == "SessionDied"
    assert "code 1" in crash.steps[0].error.message
    assert crash.steps[0].session_restarted is True
    assert crash.steps[1].status is StepStatus.SKIPPED
    assert results["next"].status is StepStatus.PASSED
    assert session.state is KernelState.IDLE
    assert session.pid != old_pid
    assert runner.held == {("next", 0)}


async def test_timeout_step(session: KernelSession, load, lesson_md, step_md) -> None:
    lessons = load(
        {
            "01_slow.md": lesson_md(
                "Slow",
                step_md(
                    "Spin",
                    "import time\ntime.sleep(0.4)",
                    check="while True:\n    time.sleep(0.01)",
                ),
            )
        }
    )
    runner = Runner(session, lessons, timeout=1)
    events = await run_lessons(runner, lessons)
    step = lesson_results(events)["slow"].steps[0]
    assert step.status is StepStatus.FAILED
    assert step.error.type == "Timeout"
    assert step.failed_block.kind is BlockKind.CHECK
    # the message names the step's time limit as configured (1 s), not what was
    # left of it when the block that overran started
    assert step.error.message == "the step ran longer than 1 s", step.error.message
    assert step.duration_s < 15
    finishes = [
        e.event for e in events if isinstance(e, StepEvent) and isinstance(e.event, Finished)
    ]
    assert finishes[-1].status is RunStatus.TIMEOUT


async def test_hint_for_known_mistake_plus_step_hint(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_shapes.md": lesson_md(
                "Shapes",
                step_md(
                    "Multiply",
                    "import torch\nproduct = torch.ones(1, 40) @ torch.ones(1, 1)",
                    hint="Look at the shapes of both tensors.",
                ),
            ),
            "02_ask.md": lesson_md("Ask", step_md("Ask", "name = input('name? ')"), requires=[]),
        }
    )
    events = await run_lessons(Runner(session, lessons, timeout=60), lessons)
    results = lesson_results(events)
    step = results["shapes"].steps[0]
    assert step.status is StepStatus.FAILED
    assert step.error.type == "RuntimeError"
    assert step.error.message.startswith("mat1 and mat2 shapes cannot be multiplied")
    assert "unsqueeze(dim=1)" in step.hint
    assert "Look at the shapes of both tensors." in step.hint
    assert step.hint.index("unsqueeze") < step.hint.index("Look at the shapes")
    ask = results["ask"].steps[0]
    assert ask.error.type == "StdinNotImplementedError"
    assert "input()" in ask.hint


async def test_missing_name_hint_names_the_step_that_makes_it(
    session: KernelSession, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_make.md": lesson_md(
                "Make",
                step_md("Make weights", "import torch\nweights_a = torch.ones(3)"),
                step_md("Lose them", "del weights_a"),
                step_md("Use them", "doubled = weights_a * 2"),
            ),
        }
    )
    events = await run_lessons(Runner(session, lessons, timeout=60), lessons)
    step = lesson_results(events)["make"].steps[2]
    assert step.error.type == "NameError"
    assert "lesson 'make', step 1 (Make weights)" in step.hint


INTERRUPTED_IMPORT = """\
import sys

class StopHalfway:
    def find_spec(self, name, path=None, target=None):
        if name == "torch.nn":
            sys.meta_path.remove(self)
            raise KeyboardInterrupt

sys.meta_path.insert(0, StopHalfway())
import torch
"""
"""``import torch`` stopped as ctrl+c stops it, once its compiled part (``torch._C``) is
loaded: the interrupt is raised as it reaches ``torch.nn``, at the same point every
time.  A learner's ctrl+c lands there in the first step after a restart, which
imports torch."""


async def test_an_import_of_torch_stopped_partway_restarts_the_session(
    tmp_path: Path, load, lesson_md, step_md
) -> None:
    lessons = load(
        {
            "01_imports.md": lesson_md(
                "Imports",
                step_md("Keep", "kept = 1"),
                step_md("Import torch", INTERRUPTED_IMPORT),
                step_md("Use torch", "import torch\nassert torch.ones(2).sum().item() == 2"),
                lesson_id="imports",
                requires=[],
            )
        }
    )
    # Its own session, which has not imported torch yet.
    kernel = KernelSession(cwd=tmp_path, device="cpu")
    runner = Runner(kernel, lessons)
    await runner.start()
    try:
        lesson = lessons.get("imports")
        assert lesson is not None
        events = [event async for event in runner.run_to(lesson, 1)]
        [stopped] = [e.result for e in events if isinstance(e, StepFinished) and e.index == 1]
        assert stopped.status is StepStatus.FAILED
        assert stopped.error is not None and stopped.error.type == "KeyboardInterrupt"
        assert stopped.error.message.startswith("`import torch` stopped partway"), stopped.error
        assert stopped.error.message.endswith("so the session was restarted")
        assert stopped.session_restarted is True
        assert kernel.state is KernelState.IDLE, "the runner started a fresh session"
        assert runner.held == frozenset()
        # The next step replays the first and imports torch whole, in the fresh session.
        events = [event async for event in runner.run_to(lesson, 2)]
        last = [e.result for e in events if isinstance(e, StepFinished)][-1]
        assert last.key == ("imports", 2) and last.status is StepStatus.PASSED, last.error
    finally:
        await kernel.shutdown()
