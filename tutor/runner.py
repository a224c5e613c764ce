"""Walks lessons and steps over a Session; used by both headless and the app.

The runner knows which steps the session's namespace already holds, so it can
replay exactly what a step builds on after a restart or when a lesson is run
alone.  It reports what happens as a stream of small events.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

from tutor.hints import command_line_device_hint, hint_for
from tutor.lessons import Block, BlockKind, Lesson, LessonSet, Step
from tutor.output import Transcript, strip_ansi
from tutor.protocol import PlotSpec
from tutor.session import (
    Error,
    Event,
    Finished,
    History,
    KernelState,
    Memory,
    Plot,
    RunStatus,
    Session,
)

DEFAULT_TIMEOUT_S = 600.0
"""Per step: generous for a slow CPU, yet CI never hangs."""

SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
CELL_FILE = re.compile(r"\((?:<[^>]*>|[\w-]+\.py), line (\d+)\)$")
"""Where Python's message puts a syntax error: IPython's name for the cell, and a line."""

MAX_CAPTURED_CHARS = 100_000
"""Output kept per step for the report; the rest is counted, not kept."""


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


class StepStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


StepKey = tuple[str, int]
"""A step by (lesson id, step index)."""

NO_CODE: Mapping[StepKey, str] = MappingProxyType({})


@dataclass(frozen=True)
class ErrorInfo:
    """Why a step failed: the exception (or session fault), as plain text."""

    type: str
    message: str
    traceback: str = ""

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step; never changed once made."""

    lesson_id: str
    index: int
    title: str
    status: StepStatus
    duration_s: float = 0.0
    error: ErrorInfo | None = None
    failed_block: Block | None = None
    output: str = ""
    hint: str = ""
    history: tuple[dict[str, float], ...] = ()
    plots: tuple[PlotSpec, ...] = ()
    memory: Memory | None = None
    """The session's CUDA memory after the step (None where it has not used CUDA)."""
    session_restarted: bool = False
    """The session lost its state during the step (it died or would not stop) and the
    runner started a fresh one."""

    @property
    def key(self) -> StepKey:
        return (self.lesson_id, self.index)


@dataclass(frozen=True)
class LessonResult:
    """The outcome of one lesson: its steps, and why it was skipped or failed."""

    lesson: Lesson
    status: StepStatus
    steps: tuple[StepResult, ...] = ()
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
class RunStopped:
    """``interrupt()`` stopped a run for step ``index`` of ``lesson`` before it was
    through: ``not_run`` are the steps it was still to replay (the one interrupted
    included), none of which the session holds; the step itself did not run."""

    lesson: Lesson
    index: int
    not_run: tuple[tuple[Lesson, int], ...] = ()


@dataclass(frozen=True)
class LessonStarted:
    lesson: Lesson


@dataclass(frozen=True)
class LessonFinished:
    result: LessonResult


RunnerEvent = StepStarted | StepEvent | StepFinished | RunStopped | LessonStarted | LessonFinished


class _Capture:
    """Collects a step's output as a notebook shows it (capped), the last history, the
    plots it produced and its last memory figures."""

    def __init__(self) -> None:
        self.transcript = Transcript(max_chars=MAX_CAPTURED_CHARS)
        self.history: tuple[dict[str, float], ...] = ()
        self.plots: list[PlotSpec] = []
        self.memory: Memory | None = None

    def add(self, event: Event) -> None:
        if self.transcript.add(event):
            return
        if isinstance(event, History):
            self.history = tuple(event.rows)
        elif isinstance(event, Plot):
            self.plots.append(event.spec)
        elif isinstance(event, Memory):
            self.memory = event

    @property
    def text(self) -> str:
        return self.transcript.text()


def _syntax_error_place(message: str, lesson: Lesson, step: Step, block: Block) -> str:
    """A syntax error's place in words the learner can find, not IPython's name for the
    cell: a line of their own code, or the lesson file's line."""
    match = CELL_FILE.search(message)
    if match is None:
        return message
    line = int(match[1])
    exercise = step.exercise
    if block.kind is BlockKind.EXERCISE and exercise is not None and block.text != exercise.text:
        where = f"line {line} of your code"
    else:
        where = f"{lesson.path.name}:{block.line + line}"
    return f"{message[: match.start()]}({where})"


class Runner:
    """Runs steps in one session; the one owner of what that session holds.

    It knows which steps the session's namespace holds (``held``), which steps
    are left out of replays until they pass (``quarantined``: they failed, were
    interrupted, hung or killed the session), and it alone restarts the session.
    Front ends ask it; they never edit its sets.  ``interrupt()`` stops a run as a
    whole: the code running now, and every step and block it was still to run.
    """

    def __init__(
        self,
        session: Session,
        lessons: LessonSet,
        *,
        timeout: float | None = DEFAULT_TIMEOUT_S,
        verify_exercises: bool = False,
        device: str = "auto",
    ) -> None:
        self.session = session
        self.lessons = lessons
        self.timeout = timeout
        self.device = device
        """The device tutor was started with (``--device``), for the hints."""
        self.verify_exercises = verify_exercises
        self._held: set[StepKey] = set()
        self._quarantined: set[StepKey] = set()
        self._running: StepKey | None = None
        self._run: object | None = None
        """The run in progress (a token of ``_stoppable``), from its start to its end."""
        self._stop_asked = False
        """``interrupt()`` was called during the run in progress."""

    # -- what the session holds -------------------------------------------
    @property
    def held(self) -> frozenset[StepKey]:
        """Every step that passed in the session as it is now."""
        return frozenset(self._held)

    @property
    def quarantined(self) -> frozenset[StepKey]:
        """Steps that did not pass since this runner started: replays leave them out."""
        return frozenset(self._quarantined)

    @property
    def running(self) -> StepKey | None:
        """The step being run now, replays included."""
        return self._running

    def quarantine_running(self) -> StepKey | None:
        """Leave the running step out of replays (it hangs); returns it, if any."""
        if self._running is not None:
            self._quarantined.add(self._running)
        return self._running

    async def interrupt(self) -> None:
        """Interrupt the running code (the namespace is kept); a run of steps in
        progress, a replay above all, then runs no further step or block, even where
        the interrupt came between two of them."""
        if self._run is not None:
            self._stop_asked = True
        await self.session.interrupt()

    async def _stoppable(self, events: AsyncIterator[RunnerEvent]) -> AsyncIterator[RunnerEvent]:
        """``events`` as one run, which ``interrupt()`` stops."""
        token = object()
        self._run, self._stop_asked = token, False
        try:
            async for event in events:
                yield event
        finally:
            if self._run is token:  # not a newer run, begun after this one was abandoned
                self._run, self._stop_asked = None, False

    def _stopped_by_request(self, result: StepResult) -> bool:
        """Whether ``interrupt()`` is what stopped the step."""
        return (
            self._stop_asked
            and result.error is not None
            and result.error.type == "KeyboardInterrupt"
        )

    async def start(self) -> None:
        """Start the session: it holds nothing yet."""
        self._held.clear()
        await self.session.start()

    async def restart(self) -> None:
        """A fresh session with an empty namespace; a run in flight ends."""
        self._held.clear()
        await self.session.restart()

    async def _recover(self) -> None:
        """The step lost the session's state: nothing is held, and a dead one is restarted."""
        self._held.clear()
        if self.session.state is KernelState.DEAD:
            await self.session.restart()

    def reload(
        self, lessons: LessonSet, changed: Mapping[str, int], removed: Iterable[str] = ()
    ) -> None:
        """Use ``lessons`` from now on; the session keeps its namespace.

        ``changed`` maps a lesson id to the first of its steps whose code changed:
        the session holds neither that step nor those after it, nor any step of a
        lesson built on that lesson or on a ``removed`` one, and none of them stays
        quarantined (the author may just have fixed it).
        """
        stale = set(removed)
        for lesson in lessons.lessons:
            if any(
                other.id in changed or other.id in stale for other in lessons.requirements(lesson)
            ):
                stale.add(lesson.id)

        def keeps(key: StepKey) -> bool:
            lesson_id, index = key
            return lesson_id not in stale and index < changed.get(lesson_id, index + 1)

        self.lessons = lessons
        self._held = {key for key in self._held if keeps(key)}
        self._quarantined = {key for key in self._quarantined if keeps(key)}

    # -- steps ------------------------------------------------------------
    def run_step(
        self,
        lesson: Lesson,
        index: int,
        *,
        code: str | None = None,
        replay: bool = False,
    ) -> AsyncIterator[RunnerEvent]:
        """Run one step (its code, then its checks); the last event is ``StepFinished``.

        ``code`` is the learner's code for an exercise step; without it the step runs
        its reference solution.
        """
        return self._stoppable(self._run_step(lesson, index, code=code, replay=replay))

    async def _run_step(
        self,
        lesson: Lesson,
        index: int,
        *,
        code: str | None = None,
        replay: bool = False,
    ) -> AsyncIterator[RunnerEvent]:
        step = lesson.steps[index]
        key = (lesson.id, index)
        self._running = key
        try:
            yield StepStarted(lesson, index, replay)
            started = time.monotonic()
            capture = _Capture()
            outcome: StepResult | None = None
            if self.verify_exercises and step.is_exercise and not replay:
                async for event in self._verify_starter_fails(lesson, index, step):
                    if isinstance(event, StepResult):
                        outcome = event
                    else:
                        yield event
            if outcome is None:
                blocks = step.runnable_blocks(code)
                async for event in self._run_blocks(lesson, index, step, blocks, capture, replay):
                    if isinstance(event, StepResult):
                        outcome = event
                    else:
                        yield event
            assert outcome is not None
            result = replace(
                outcome,
                duration_s=time.monotonic() - started,
                output=capture.text,
                history=capture.history,
                plots=tuple(capture.plots),
                memory=capture.memory,
            )
            if result.session_restarted:
                await self._recover()
            if result.status is StepStatus.PASSED:
                self._held.add(key)
                self._quarantined.discard(key)
            elif not (replay and self._stopped_by_request(result)):
                # A replayed step the learner stopped did not fail: it is only not held.
                self._quarantined.add(key)
        finally:
            self._running = None
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
            if self._stop_asked:  # interrupted between two blocks: the rest do not run
                yield StepResult(
                    lesson.id,
                    index,
                    step.title,
                    StepStatus.FAILED,
                    error=ErrorInfo("KeyboardInterrupt", "interrupted"),
                    failed_block=block,
                )
                return
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
        self, lesson: Lesson, index: int, step: Step
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
            info = ErrorInfo("Timeout", f"the step ran longer than {self.timeout:g} s")
        elif finished.status is RunStatus.INTERRUPTED:
            info = ErrorInfo("KeyboardInterrupt", "interrupted")
        elif error is not None:
            info = ErrorInfo(error.type, error.message, clean_traceback(error.traceback))
        else:
            info = ErrorInfo("Error", finished.reason)
        if info.type in SYNTAX_ERRORS:
            info = replace(info, message=_syntax_error_place(info.message, lesson, step, block))
        if finished.restart_because:
            restarted = f"{finished.restart_because}, so the session was restarted"
            info = replace(info, message="; ".join(filter(None, (info.message, restarted))))
        if block.kind is BlockKind.CHECK and info.type == "AssertionError":
            info = ErrorInfo(
                "CheckFailed",
                info.message or "a check failed (its assert has no message)",
                info.traceback,
            )
        # A step the learner stopped made no mistake: no hint for it.  A device that
        # tutor was started with and this machine lacks is no mistake of the step's
        # code either: its own hint would blame the code.
        device_hint = command_line_device_hint(info.type, info.message, self.device)
        if finished.status is RunStatus.INTERRUPTED:
            hints = []
        elif device_hint:
            hints = [device_hint]
        else:
            hints = [
                hint_for(info.type, info.message)
                or self.missing_name_hint(lesson, index, info.type, info.message),
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
            session_restarted=finished.state_lost,
        )

    def missing_name_hint(self, lesson: Lesson, index: int, error_type: str, message: str) -> str:
        """For a NameError: which step before step ``index`` of ``lesson`` makes that
        name, to run again ("" for any other error, or a name no such step makes).  The
        console asks with the index after the step shown, which may make it too."""
        match = (
            re.match(r"name '(\w+)' is not defined", message) if error_type == "NameError" else None
        )
        if match is None:
            return ""
        for other, i in reversed(self._builds_on(lesson, index)):
            step = other.steps[i]
            if any(match[1] in defined_names(b.text) for b in step.runnable_blocks()):
                return (
                    f"`{match[1]}` is made in lesson {other.id!r}, step {i + 1} ({step.title}). "
                    "Run that step again, or restart the session and replay up to here."
                )
        return ""

    # -- the console ------------------------------------------------------
    async def run_cell(self, code: str) -> AsyncIterator[Event]:
        """Run code the learner typed outside any step: the session's events, ending
        with ``Finished``.  No step becomes held or done, and nothing replays it; code
        that lost the session's state leaves it holding nothing, restarted if dead."""
        finished: Finished | None = None
        async for event in self.session.run(code, timeout=self.timeout):
            if isinstance(event, Finished):
                finished = event
            yield event
        if finished is not None and finished.state_lost:
            await self._recover()

    # -- replay and lessons ---------------------------------------------
    def missing_before(
        self, lesson: Lesson, index: int, *, include_quarantined: bool = False
    ) -> list[tuple[Lesson, int]]:
        """The steps that step ``index`` of ``lesson`` builds on and the session lacks.

        Quarantined steps are left out unless ``include_quarantined``: one that
        killed or hung the session would do it again.
        """
        left_out = self._held if include_quarantined else self._held | self._quarantined
        wanted = self._builds_on(lesson, index)
        return [(les, i) for les, i in wanted if (les.id, i) not in left_out]

    def _builds_on(self, lesson: Lesson, index: int) -> list[tuple[Lesson, int]]:
        """Every step that step ``index`` of ``lesson`` builds on, in course order: the
        lessons it requires, then its own earlier steps."""
        required = [
            (other, i)
            for other in self.lessons.requirements(lesson)
            for i in range(len(other.steps))
        ]
        return required + [(lesson, i) for i in range(index)]

    def replay_to(
        self,
        lesson: Lesson,
        index: int,
        *,
        solved: Mapping[StepKey, str] = NO_CODE,
        include_quarantined: bool = False,
    ) -> AsyncIterator[RunnerEvent]:
        """Run every step that step ``index`` builds on and the session lacks.

        An exercise step replays the learner's code from ``solved`` (by step key),
        else its reference solution.  Stops at the first failure; its
        ``StepFinished`` (with ``replay=True``) says which.  Stopped by
        ``interrupt()``, it ends with ``RunStopped``, naming the steps not replayed.
        """
        return self._stoppable(
            self._replay_to(lesson, index, solved=solved, include_quarantined=include_quarantined)
        )

    async def _replay_to(
        self,
        lesson: Lesson,
        index: int,
        *,
        solved: Mapping[StepKey, str] = NO_CODE,
        include_quarantined: bool = False,
    ) -> AsyncIterator[RunnerEvent]:
        missing = self.missing_before(lesson, index, include_quarantined=include_quarantined)
        for position, (required, i) in enumerate(missing):
            if self._stop_asked:
                yield RunStopped(lesson, index, tuple(missing[position:]))
                return
            failed: StepResult | None = None
            code = solved.get((required.id, i))
            async for event in self._run_step(required, i, code=code, replay=True):
                yield event
                if isinstance(event, StepFinished) and event.result.status is not StepStatus.PASSED:
                    failed = event.result
            if failed is not None:
                if self._stopped_by_request(failed):
                    yield RunStopped(lesson, index, tuple(missing[position:]))
                return

    def run_to(
        self,
        lesson: Lesson,
        index: int,
        *,
        code: str | None = None,
        solved: Mapping[StepKey, str] = NO_CODE,
        rerun_lesson: bool = False,
    ) -> AsyncIterator[RunnerEvent]:
        """Replay what step ``index`` builds on, then run it, unless a replay fails or
        ``interrupt()`` stops the run first (it then ends with ``RunStopped``).

        ``rerun_lesson`` runs the lesson's earlier steps again even where the session
        holds them, quarantined ones included (the learner asked for all of them).
        """
        return self._stoppable(
            self._run_to(lesson, index, code=code, solved=solved, rerun_lesson=rerun_lesson)
        )

    async def _run_to(
        self,
        lesson: Lesson,
        index: int,
        *,
        code: str | None,
        solved: Mapping[StepKey, str],
        rerun_lesson: bool,
    ) -> AsyncIterator[RunnerEvent]:
        if rerun_lesson:
            self._held.difference_update((lesson.id, i) for i in range(index))
        replayed_ok = True
        async for event in self._replay_to(
            lesson, index, solved=solved, include_quarantined=rerun_lesson
        ):
            yield event
            if isinstance(event, RunStopped) or (
                isinstance(event, StepFinished) and event.result.status is not StepStatus.PASSED
            ):
                replayed_ok = False
        if replayed_ok and self._stop_asked:  # the replay was through as the interrupt came
            yield RunStopped(lesson, index)
        elif replayed_ok:
            async for event in self._run_step(lesson, index, code=code):
                yield event

    def run_lesson(self, lesson: Lesson) -> AsyncIterator[RunnerEvent]:
        """Replay what ``lesson`` requires, then run its steps; ends with ``LessonFinished``."""
        return self._stoppable(self._run_lesson(lesson))

    async def _run_lesson(self, lesson: Lesson) -> AsyncIterator[RunnerEvent]:
        yield LessonStarted(lesson)
        started = time.monotonic()
        steps: list[StepResult] = []
        reason = ""
        async for event in self._replay_to(lesson, 0):
            yield event
            if isinstance(event, RunStopped):
                reason = reason or "the replay of what it requires was interrupted"
            if isinstance(event, StepFinished) and event.result.status is StepStatus.FAILED:
                reason = (
                    f"replaying {event.lesson.id!r} step {event.index + 1} "
                    f"({event.result.title}) failed"
                )
                title = f"replay of {event.lesson.id}: {event.result.title}"
                steps.append(replace(event.result, title=title))
        for index, step in enumerate(lesson.steps):
            if reason:
                steps.append(StepResult(lesson.id, index, step.title, StepStatus.SKIPPED))
                continue
            async for event in self._run_step(lesson, index):
                yield event
                if isinstance(event, StepFinished):
                    steps.append(event.result)
                    if event.result.status is StepStatus.FAILED:
                        reason = f"step {index + 1} ({step.title}) failed"
        yield LessonFinished(
            LessonResult(
                lesson,
                StepStatus.FAILED if reason else StepStatus.PASSED,
                tuple(steps),
                time.monotonic() - started,
                reason,
            )
        )

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
                        tuple(
                            StepResult(lesson.id, i, s.title, StepStatus.SKIPPED)
                            for i, s in enumerate(lesson.steps)
                        ),
                        reason=f"requires {blocked[0]!r}, which failed",
                    )
                )
                continue
            async for event in self.run_lesson(lesson):
                yield event
                if isinstance(event, LessonFinished) and event.result.status is StepStatus.FAILED:
                    failed.add(lesson.id)
