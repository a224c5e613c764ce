"""Walks lessons and steps over a Session; used by both headless and the app.

The runner knows which steps the session's namespace already holds, so it can
replay exactly what a step builds on after a restart or when a lesson is run
alone.  It reports what happens as a stream of small events.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import Enum

from tutor.hints import hint_for
from tutor.lessons import Block, BlockKind, Lesson, LessonSet, Step
from tutor.session import (
    Error,
    Event,
    Finished,
    History,
    KernelState,
    Output,
    Plot,
    RunStatus,
    Session,
)

DEFAULT_TIMEOUT_S = 600.0
"""Per step: generous for a slow CPU, yet CI never hangs."""

MAX_CAPTURED_CHARS = 100_000
"""Output kept per step for the report; the rest is counted, not kept."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def clean_traceback(lines: list[str]) -> str:
    """A kernel traceback as plain text, without colour codes or IPython's rule lines."""
    text = strip_ansi("\n".join(lines))
    return "\n".join(line for line in text.splitlines() if not re.fullmatch(r"-{20,}", line))


def defined_names(code: str) -> set[str]:
    """The names a block of code assigns, defines or imports at its top level and in loops."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


class StepStatus(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ErrorInfo:
    """Why a step failed: the exception (or session fault), as plain text."""

    type: str
    message: str
    traceback: str = ""

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


@dataclass
class StepResult:
    """The outcome of one step."""

    lesson_id: str
    index: int
    title: str
    status: StepStatus
    duration_s: float = 0.0
    error: ErrorInfo | None = None
    failed_block: Block | None = None
    output: str = ""
    hint: str = ""
    history: list[dict[str, float]] = field(default_factory=list)
    plots: list[dict] = field(default_factory=list)
    session_restarted: bool = False


@dataclass
class LessonResult:
    """The outcome of one lesson: its steps, and why it was skipped or failed."""

    lesson: Lesson
    status: StepStatus
    steps: list[StepResult] = field(default_factory=list)
    duration_s: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class StepStarted:
    lesson: Lesson
    index: int
    replay: bool = False


@dataclass(frozen=True)
class StepEvent:
    """Something the session reported while a step ran."""

    lesson: Lesson
    index: int
    event: Event
    replay: bool = False


@dataclass(frozen=True)
class StepFinished:
    lesson: Lesson
    index: int
    result: StepResult
    replay: bool = False


@dataclass(frozen=True)
class LessonStarted:
    lesson: Lesson


@dataclass(frozen=True)
class LessonFinished:
    result: LessonResult


RunnerEvent = StepStarted | StepEvent | StepFinished | LessonStarted | LessonFinished


class _Capture:
    """Collects a step's output (capped) and the last history and plots it produced."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0
        self.history: list[dict[str, float]] = []
        self.plots: list[dict] = []

    def add(self, event: Event) -> None:
        if isinstance(event, Output):
            room = MAX_CAPTURED_CHARS - self.size
            kept = event.text[: max(room, 0)]
            self.parts.append(kept)
            self.size += len(kept)
            self.dropped += len(event.text) - len(kept)
        elif isinstance(event, History):
            self.history = event.rows
        elif isinstance(event, Plot):
            self.plots.append(event.spec)

    @property
    def text(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n… {self.dropped:,} more characters of output not kept\n"
        return text


class Runner:
    """Runs steps in one session, tracking which steps its namespace holds."""

    def __init__(
        self,
        session: Session,
        lessons: LessonSet,
        *,
        timeout: float | None = DEFAULT_TIMEOUT_S,
        verify_exercises: bool = False,
        exercise_code: Callable[[Lesson, int], str | None] | None = None,
    ) -> None:
        self.session = session
        self.lessons = lessons
        self.timeout = timeout
        self.verify_exercises = verify_exercises
        self.exercise_code = exercise_code or (lambda lesson, index: None)
        self.done: set[tuple[str, int]] = set()
        """(lesson id, step index) of every step that passed in this session."""

    def forget(self) -> None:
        """The session was restarted: its namespace holds nothing any more."""
        self.done.clear()

    async def _recover(self) -> None:
        """After the session died or was restarted: a fresh one, and nothing held in it."""
        self.forget()
        if self.session.state is KernelState.DEAD:
            await self.session.restart()

    # -- steps ------------------------------------------------------------
    async def run_step(
        self, lesson: Lesson, index: int, *, replay: bool = False
    ) -> AsyncIterator[RunnerEvent]:
        """Run one step (its code, then its checks); the last event is ``StepFinished``."""
        step = lesson.steps[index]
        yield StepStarted(lesson, index, replay)
        started = time.monotonic()
        capture = _Capture()
        result: StepResult | None = None
        if self.verify_exercises and step.is_exercise and not replay:
            async for event in self._verify_starter_fails(lesson, index, step, capture):
                if isinstance(event, StepResult):
                    result = event
                else:
                    yield event
        if result is None:
            blocks = step.runnable_blocks(self.exercise_code(lesson, index))
            async for event in self._run_blocks(lesson, index, step, blocks, capture, replay):
                if isinstance(event, StepResult):
                    result = event
                else:
                    yield event
        assert result is not None
        result.duration_s = time.monotonic() - started
        result.output = capture.text
        result.history = capture.history
        result.plots = capture.plots
        if result.session_restarted:
            await self._recover()
        if result.status is StepStatus.PASSED:
            self.done.add((lesson.id, index))
        yield StepFinished(lesson, index, result, replay)

    async def _run_blocks(
        self,
        lesson: Lesson,
        index: int,
        step: Step,
        blocks: tuple[Block, ...],
        capture: _Capture,
        replay: bool,
    ) -> AsyncIterator[RunnerEvent | StepResult]:
        """Run blocks in order; stop at the first that fails.  Ends with a StepResult."""
        deadline = time.monotonic() + self.timeout if self.timeout else None
        for block in blocks:
            remaining = max(deadline - time.monotonic(), 0.001) if deadline else None
            error: Error | None = None
            finished: Finished | None = None
            async for event in self.session.run(block.text, timeout=remaining):
                capture.add(event)
                if isinstance(event, Error):
                    error = event
                elif isinstance(event, Finished):
                    finished = event
                yield StepEvent(lesson, index, event, replay)
            assert finished is not None
            if finished.status is not RunStatus.OK:
                yield self._failure(lesson, index, step, block, error, finished)
                return
        yield StepResult(lesson.id, index, step.title, StepStatus.PASSED)

    async def _verify_starter_fails(
        self, lesson: Lesson, index: int, step: Step, capture: _Capture
    ) -> AsyncIterator[RunnerEvent | StepResult]:
        """An exercise whose untouched starter code passes its checks is broken."""
        exercise = step.exercise
        assert exercise is not None
        blocks = step.runnable_blocks(exercise.text)
        outcome: StepResult | None = None
        async for event in self._run_blocks(lesson, index, step, blocks, _Capture(), False):
            if isinstance(event, StepResult):
                outcome = event
            elif isinstance(event, StepEvent) and isinstance(event.event, Finished):
                yield event  # keep the app's view of the session current, not its output
        assert outcome is not None
        if outcome.session_restarted:
            await self._recover()
        if outcome.status is StepStatus.PASSED:
            yield StepResult(
                lesson.id,
                index,
                step.title,
                StepStatus.FAILED,
                error=ErrorInfo(
                    "BrokenExercise",
                    "the untouched starter code passes the step's checks; "
                    "the checks must fail until the learner does the exercise",
                ),
                failed_block=exercise,
            )

    def _failure(
        self,
        lesson: Lesson,
        index: int,
        step: Step,
        block: Block,
        error: Error | None,
        finished: Finished,
    ) -> StepResult:
        if finished.status is RunStatus.OK:
            raise ValueError("not a failure")
        if finished.status is RunStatus.DEAD:
            info = ErrorInfo("SessionDied", finished.reason)
        elif finished.status is RunStatus.TIMEOUT:
            restarted = "; it ignored two interrupts, so the session was restarted"
            info = ErrorInfo(
                "Timeout",
                f"the step ran longer than {self.timeout:g} s"
                + (restarted if finished.restarted else ""),
            )
        elif finished.status is RunStatus.INTERRUPTED:
            info = ErrorInfo("KeyboardInterrupt", "interrupted")
        elif error is not None:
            info = ErrorInfo(error.type, error.message, clean_traceback(error.traceback))
        else:
            info = ErrorInfo("Error", finished.reason)
        if block.kind is BlockKind.CHECK and info.type == "AssertionError":
            info = ErrorInfo(
                "CheckFailed",
                info.message or "a check failed (its assert has no message)",
                info.traceback,
            )
        hints = [
            hint_for(info.type, info.message) or self._missing_name_hint(lesson, index, info),
            step.hint,
        ]
        return StepResult(
            lesson.id,
            index,
            step.title,
            StepStatus.FAILED,
            error=info,
            failed_block=block,
            hint="\n\n".join(h for h in hints if h),
            session_restarted=finished.restarted or finished.status is RunStatus.DEAD,
        )

    def _missing_name_hint(self, lesson: Lesson, index: int, info: ErrorInfo) -> str:
        """For a NameError: which earlier step makes that name, to run again."""
        match = (
            re.match(r"name '(\w+)' is not defined", info.message)
            if info.type == "NameError"
            else None
        )
        if match is None:
            return ""
        earlier = [
            (required, i)
            for required in self.lessons.requirements(lesson)
            for i in range(len(required.steps))
        ] + [(lesson, i) for i in range(index)]
        for other, i in reversed(earlier):
            step = other.steps[i]
            if any(match[1] in defined_names(b.text) for b in step.runnable_blocks()):
                return (
                    f"`{match[1]}` is made in lesson {other.id!r}, step {i + 1} ({step.title}). "
                    "Run that step again, or restart the session and replay up to here."
                )
        return ""

    # -- replay and lessons ---------------------------------------------
    def missing_before(
        self, lesson: Lesson, index: int, skip: frozenset[tuple[str, int]] = frozenset()
    ) -> list[tuple[Lesson, int]]:
        """The steps that running step ``index`` of ``lesson`` builds on and the session lacks.

        ``skip`` leaves out steps by (lesson id, index): the app skips those that
        already failed or were interrupted in this session rather than run them again.
        """
        wanted = [
            (required, i)
            for required in self.lessons.requirements(lesson)
            for i in range(len(required.steps))
        ]
        wanted += [(lesson, i) for i in range(index)]
        return [(les, i) for les, i in wanted if (les.id, i) not in self.done | skip]

    async def replay_to(
        self, lesson: Lesson, index: int, skip: frozenset[tuple[str, int]] = frozenset()
    ) -> AsyncIterator[RunnerEvent]:
        """Run every step that step ``index`` builds on and the session lacks.

        Stops at the first failure; its ``StepFinished`` (with ``replay=True``) says which.
        """
        for required, i in self.missing_before(lesson, index, skip):
            failed = False
            async for event in self.run_step(required, i, replay=True):
                yield event
                if isinstance(event, StepFinished) and event.result.status is not StepStatus.PASSED:
                    failed = True
            if failed:
                return

    async def run_lesson(self, lesson: Lesson) -> AsyncIterator[RunnerEvent]:
        """Replay what ``lesson`` requires, then run its steps; ends with ``LessonFinished``."""
        yield LessonStarted(lesson)
        started = time.monotonic()
        result = LessonResult(lesson, StepStatus.PASSED)
        async for event in self.replay_to(lesson, 0):
            yield event
            if isinstance(event, StepFinished) and event.result.status is StepStatus.FAILED:
                result.status = StepStatus.FAILED
                result.reason = (
                    f"replaying {event.lesson.id!r} step {event.index + 1} "
                    f"({event.result.title}) failed"
                )
                event.result.title = f"replay of {event.lesson.id}: {event.result.title}"
                result.steps.append(event.result)
        for index, step in enumerate(lesson.steps):
            if result.status is StepStatus.FAILED:
                result.steps.append(StepResult(lesson.id, index, step.title, StepStatus.SKIPPED))
                continue
            async for event in self.run_step(lesson, index):
                yield event
                if isinstance(event, StepFinished):
                    result.steps.append(event.result)
                    if event.result.status is StepStatus.FAILED:
                        result.status = StepStatus.FAILED
                        result.reason = f"step {index + 1} ({step.title}) failed"
        result.duration_s = time.monotonic() - started
        yield LessonFinished(result)

    async def run_lessons(self, lessons: list[Lesson]) -> AsyncIterator[RunnerEvent]:
        """Run lessons in order; one whose requirement failed here is skipped."""
        failed: set[str] = set()
        for lesson in lessons:
            blocked = [r.id for r in self.lessons.requirements(lesson) if r.id in failed]
            if blocked:
                failed.add(lesson.id)
                yield LessonStarted(lesson)
                yield LessonFinished(
                    LessonResult(
                        lesson,
                        StepStatus.SKIPPED,
                        [
                            StepResult(lesson.id, i, s.title, StepStatus.SKIPPED)
                            for i, s in enumerate(lesson.steps)
                        ],
                        reason=f"requires {blocked[0]!r}, which failed",
                    )
                )
                continue
            async for event in self.run_lesson(lesson):
                yield event
                if isinstance(event, LessonFinished) and event.result.status is StepStatus.FAILED:
                    failed.add(lesson.id)
