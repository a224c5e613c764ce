"""TutorApp: lessons, steps and the live session in the terminal.

A thin shell over the core.  The runner owns the session and what it holds;
the app asks it to run, replay and restart, passes the learner's exercise code
as data from ``Progress``, and shows the runner's events.  The session's state
reaches the widgets as messages.  Live output is coalesced in ``live``, the
place in the course is worked out in ``navigation``, and how the process ends
is ``lifecycle``'s job.  torch is never imported here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from typing import ClassVar, cast

from textual import events, on, work
from textual.app import (
    App,
    ComposeResult,
    ScreenStackError,
    SuspendNotSupported,
    SystemCommand,
)
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.markup import escape
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, OptionList, TextArea
from textual.worker import Worker, WorkerState

from tutor.hints import command_line_device_hint, hint_for
from tutor.lessons import Lesson, LessonError, LessonSet, check_command, uses_optimizers
from tutor.progress import Progress, ProgressStore
from tutor.runner import (
    Runner,
    RunnerEvent,
    RunStopped,
    StepEvent,
    StepFinished,
    StepKey,
    StepStarted,
    StepStatus,
    clean_traceback,
)
from tutor.session import (
    Error,
    Finished,
    History,
    KernelSession,
    KernelState,
    Memory,
    Metrics,
    Session,
    SessionBusy,
    SessionError,
)
from tutor.session import Progress as ProgressEvent
from tutor.tui.authoring import LessonFilesChanged, attach_command, follow_moves, place_after
from tutor.tui.keys import (
    KEYS,
    REPLACED_SYSTEM_COMMANDS,
    help_rows,
    moving_rows,
    palette_commands,
)
from tutor.tui.lifecycle import ProcessLifecycle
from tutor.tui.live import LiveRun, OutputView
from tutor.tui.messages import SessionReady, SessionStateChanged
from tutor.tui.navigation import Place, moved, resume
from tutor.tui.widgets.code_editor import CodeEditor
from tutor.tui.widgets.console_input import ConsoleInput
from tutor.tui.widgets.lesson_list import LessonList
from tutor.tui.widgets.scratch_console import ScratchConsole
from tutor.tui.widgets.session_panel import SessionPanel
from tutor.tui.widgets.step_view import StepView
from tutor.tui.widgets.top_bar import TopBar

REFRESH_S = 0.1
"""Live views redraw at most ten times a second."""
EDITOR_SAVE_S = 1.0
"""Exercise code is saved this long after the learner stops typing."""
COMPLETER_WARM_UP_S = 5.0
"""How long the first (warm-up) completion may take, just after the session starts."""
SECOND_INTERRUPT_S = 2.0
"""A second interrupt this long after the first, with the code still running, restarts."""
SIDE_BY_SIDE_COLUMNS = 110
"""From this width the step and the session panel show side by side; under it, one at
a time (v switches)."""
LOOP_TAKES_SCREEN_S = 1.0
"""Under SIDE_BY_SIDE_COLUMNS, a loop still streaming metrics this long after its first
row gets the screen for its table and curves (a shorter one would only flash them)."""


class TutorApp(App[None]):
    """The tutor: read a step, run it, watch the model learn."""

    CSS_PATH = "app.tcss"
    TITLE = "tutor"
    ENABLE_COMMAND_PALETTE = True
    AUTO_FOCUS = "StepView"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (SIDE_BY_SIDE_COLUMNS, "-normal"),
        (150, "-wide"),
    ]
    """Under 110 columns the step and the session panel take the screen in turn; from
    150 the lesson list shows beside them (app.tcss)."""

    BINDINGS: ClassVar[list[BindingType]] = list(KEYS)

    def __init__(
        self,
        lessons: LessonSet,
        *,
        device: str = "auto",
        session: Session | None = None,
        start_session: bool = True,
        store: ProgressStore | None = None,
        lesson_id: str | None = None,
        watch: bool = False,
    ) -> None:
        """``lesson_id`` opens that lesson's first step instead of the saved place;
        ``watch`` reloads lesson files that change on disk."""
        super().__init__()
        self.lessons = lessons
        self.watch = watch
        self._reload_pending = False
        """Lesson files changed while code ran: reloaded when it ends."""
        self.session: Session = session or KernelSession(device=device)
        """The kernel itself starts after the first screen is up (``start_session``)."""
        self.start_session_on_mount = start_session
        self.store = store or ProgressStore()
        self.progress: Progress = self.store.load()
        self.runner = Runner(self.session, lessons, timeout=None, device=device)
        """The one owner of the session: what it holds, what replays leave out, restarts."""
        place = resume(lessons, self.progress, lesson_id)
        self.lesson_index, self.step_index = place.lesson, place.step
        self._saved_place_waits = lesson_id is None and self.progress.lesson_id in lessons.left_out
        """The saved place is in a lesson whose file did not load: it stays saved, for
        when the file is fixed, until the learner goes to another step."""
        self._live = LiveRun()
        self._live_view = "#step"
        """Where the live output goes: the step view, or the console (#console)."""
        self._interrupted_at: float | None = None
        self._interrupt_asked = False
        """An interrupt was sent and the run has not yet said what came of it."""
        self._run_kind = "step"
        """What the last run of steps was: "step", or "replay" (a replay alone)."""
        self._editor_timer: Timer | None = None
        self._panel_for_run = False
        """The panel took a small screen for a running loop, and gives it back at the end."""
        self._loop_timer: Timer | None = None
        self._last_runs: dict[StepKey, StepFinished] = {}
        """Each step's last run in this session, replays included, the latest last: what
        going back to a step shows, and the metrics its lesson's Training tab shows."""
        self._metrics_from: StepKey | None = None
        """The step whose metrics the Training tab shows (None: it shows none)."""
        self._progress_from: str | None = None
        """The lesson whose step the progress bar shows (None: it is hidden)."""
        self._restarting = False
        """The app asked the runner for a fresh session and it is not there yet."""
        self._lifecycle = ProcessLifecycle(
            stop=lambda code: self.call_next(self._leave, code), abandon=self._abandon
        )

    # -- layout -------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        with Horizontal(id="main"):
            yield LessonList(id="lesson-list")
            yield StepView(id="step")
            yield SessionPanel(id="session")
        yield Footer()

    async def on_mount(self) -> None:
        self._lifecycle.install()
        self.session.add_state_listener(self._post_state)
        if self.store.warning:
            self.notify(self.store.warning, title="Progress", severity="warning", timeout=10)
        if self.lessons.errors:
            self._tell_lesson_errors()
        await self._show_current()
        self.set_interval(REFRESH_S, self._redraw_live)
        self.call_after_refresh(ProcessLifecycle.freeze_startup_objects)
        if self.start_session_on_mount:
            # After the first frame: the learner reads while the kernel starts.
            self.call_after_refresh(self.start_session)
        if self.watch:
            self.watch_lessons()

    def _tell_lesson_errors(self) -> None:
        """Lesson files that did not load are left out: say which and why, as --check does."""
        errors = self.lessons.errors
        shown = [str(error) for error in errors[:5]]
        if len(errors) > len(shown):
            more = len(errors) - len(shown)
            shown.append(f"… and {more} more ({check_command(self.lessons.directory)})")
        if self._saved_place_waits:
            shown.append(
                f"Your place, step {self.progress.step + 1} of lesson "
                f"'{self.progress.lesson_id}', is in one of them: it stays saved for when "
                "that file loads again."
            )
        self.notify(
            "\n".join(shown),
            title=f"{len(errors)} lesson file problem(s): those lessons are left out",
            severity="warning",
            timeout=30,
            markup=False,
        )

    # -- where we are ---------------------------------------------------------
    @property
    def lesson(self) -> Lesson:
        return self.lessons.lessons[self.lesson_index]

    async def _show_current(self) -> None:
        lesson, index = self.lesson, self.step_index
        top = self.query_one(TopBar)
        top.position = (
            f"Lesson {self.lesson_index + 1}/{len(self.lessons.lessons)} · "
            f"Step {index + 1}/{len(lesson.steps)} · {lesson.title}"
        )
        await self.query_one(StepView).show_step(
            lesson,
            index,
            self.progress.code_for(lesson.id, index),
            self.progress.is_done(lesson.id, index),
        )
        self.query_one(LessonList).show(self.lessons, self.progress, self.lesson_index)
        if not self._working("run"):  # else the running step's output and metrics show
            await self._show_last_run(verdict=True)
            self._show_lesson_metrics()
        place = (lesson.id, index)
        if not self._saved_place_waits and (self.progress.lesson_id, self.progress.step) != place:
            self.progress.lesson_id, self.progress.step = place
            self._save()
        self.refresh_bindings()

    async def _show_last_run(self, *, verdict: bool) -> None:
        """What the step shown printed when it last ran (and its verdict)."""
        kept = self._last_runs.get((self.lesson.id, self.step_index))
        if kept is None:
            return
        view = self.query_one(StepView)
        view.show_last_output(kept.result.output)
        if verdict:
            await view.show_result(kept.result, replayed=kept.replay)

    def _show_lesson_metrics(self) -> None:
        """The Training tab for the place: the step's own metrics, else those of the
        lesson's step that last recorded some, else none; and no other lesson's
        progress bar."""
        lesson_id = self.lesson.id
        own = self._last_runs.get((lesson_id, self.step_index))
        if own is None or not own.result.history:
            lesson_runs = (r for r in self._last_runs.values() if r.lesson.id == lesson_id)
            own = next((r for r in reversed(list(lesson_runs)) if r.result.history), None)
        panel = self.query_one(SessionPanel)
        chosen = own.result.key if own is not None else None
        if chosen != self._metrics_from:
            panel.show_metrics(list(own.result.history) if own is not None else [])
            self._metrics_from = chosen
        if self._progress_from not in (None, lesson_id):
            panel.hide_progress()
            self._progress_from = None

    def _forget_runs(self) -> None:
        """The session lost its state: its last runs, and the panel showing them, go."""
        self._last_runs.clear()
        self._metrics_from = self._progress_from = None
        self.query_one(SessionPanel).clear()

    def _save(self) -> None:
        if not self.store.save(self.progress) and self.store.warning_is_new:
            self.notify(self.store.warning, title="Progress", severity="warning")

    # -- session ---------------------------------------------------------------
    def _post_state(self, state: KernelState) -> None:
        """The session's state changed (called by the session, on this event loop)."""
        self.post_message(SessionStateChanged(state))

    @on(SessionStateChanged)
    def _session_state_changed(self, message: SessionStateChanged) -> None:
        if not self.screen_stack:  # the app is shutting down: nothing left to show it on
            return
        for top in self.query(TopBar):
            top.state = message.state.value
            if message.state in (KernelState.STARTING, KernelState.DEAD):
                top.memory = ""  # a new session holds nothing on the GPU yet
        self.refresh_bindings()

    @on(SessionReady)
    def _session_ready(self, message: SessionReady) -> None:
        if not self.screen_stack:
            return
        if message.problem:
            self.notify(message.problem, title="Device", severity="error", timeout=30)
        self.query_one(TopBar).device = message.device

    async def _describe_session(self) -> None:
        """Ask a new session for its device and show it.  The session imports torch to
        answer, so the learner's first step does not wait for that import."""
        described = await self.session.describe(warm_up=uses_optimizers(self.lessons.lessons))
        self.post_message(
            SessionReady(
                described["device"] or "?", "" if described["ok"] else described["error"] or ""
            )
        )

    @work(exclusive=True, group="session", exit_on_error=False)
    async def start_session(self) -> None:
        try:
            await self.runner.start()
            await self._describe_session()
        except SessionError as exc:
            self.notify(
                str(exc), title="The Python session did not start", severity="error", timeout=30
            )
            return
        with contextlib.suppress(SessionError):
            # IPython's completer (jedi) takes a few hundred milliseconds to answer its
            # first request: paid now, while the learner reads, not on their first tab.
            await self.session.complete("pri", 3, timeout=COMPLETER_WARM_UP_S)
        # The steps up to here, and this one if it is done: its output and metrics show.
        done = self.progress.is_done(self.lesson.id, self.step_index)
        through = self.step_index + 1 if done else self.step_index
        if self.runner.missing_before(self.lesson, through) and any(
            self.progress.completed.values()
        ):
            self.notify("Replaying the steps you have done so the session matches your progress.")
            self.run_steps(replay_only=True, through_current=done)

    @property
    def running(self) -> bool:
        """Whether the session is taken: steps or a console command run (or are about
        to), or it restarts."""
        return self._restarting or self._working("run") or self._working("console")

    def _working(self, group: str) -> bool:
        return any(
            w.group == group and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.workers
        )

    def _busy_with(self) -> str:
        """What keeps the session from taking more code now, as words; "" when nothing."""
        if self._restarting:
            return "restarting"
        if self._working("run") or self.runner.running is not None:
            return "running a step"
        if self._working("console") or self.session.state is KernelState.BUSY:
            return "running your last command"
        return ""

    def _editor_holds(self, lesson: Lesson, index: int) -> bool:
        """Whether the exercise editor holds this step's code: it is the exercise shown."""
        shown = (lesson.id, index) == (self.lesson.id, self.step_index)
        return shown and lesson.steps[index].is_exercise

    def _learner_code(self, lesson: Lesson, index: int) -> str | None:
        """The code an exercise step runs: what the learner typed (kept in ``Progress``
        as they type), else the starter code.  None for a step that is no exercise."""
        exercise = lesson.steps[index].exercise
        if exercise is None:
            return None
        code = self.progress.code_for(lesson.id, index)
        return exercise.text if code is None else code

    @work(exclusive=True, group="run", exit_on_error=False)
    async def run_steps(
        self,
        *,
        replay_only: bool = False,
        rerun_lesson: bool = False,
        through_current: bool = False,
    ) -> None:
        """Replay what the current step builds on, then run it (unless ``replay_only``).
        ``through_current``: the replay runs the current step too."""
        self._run_kind = "replay" if replay_only else "step"
        lesson, index = self.lesson, self.step_index
        self._remember_editor()
        self._interrupt_asked = False
        self._live_view = "#step"
        view = self.query_one(StepView)
        view.clear_output()
        view.hide_hint()
        if not replay_only:  # a replay alone shows no output: the step's top stays in view
            view.follow_run()
        solved = self.progress.solved_code()
        if replay_only:
            replayed = await self._consume(
                self.runner.replay_to(lesson, index + through_current, solved=solved)
            )
            if replayed:
                left_out = self._left_out(lesson, index)
                view.show_status(
                    f"[$warning]Up to date but for what failed before, which replays leave "
                    f"out: {left_out}.[/] Run it again there, or press a to run the lesson up "
                    "to here."
                    if left_out
                    else "The session is up to date. Press enter to run this step."
                )
                await self._show_last_run(verdict=False)
                await self._refresh_inspector()
            self._show_lesson_metrics()
            return
        if not rerun_lesson and (left_out := self._left_out(lesson, index)):
            view.write_notice(
                f"Left out {left_out}, which failed before: this step may miss what it makes."
            )
        view.show_status("Running…")
        await self._consume(
            self.runner.run_to(
                lesson,
                index,
                code=self._learner_code(lesson, index),
                solved=solved,
                rerun_lesson=rerun_lesson,
            )
        )
        self._show_lesson_metrics()
        await self._refresh_inspector()

    def _say_if_the_interrupt_came_late(self, what: str) -> None:
        self._interrupt_asked = False
        self.notify(f"The {what} ended before the interrupt reached it: nothing was stopped.")

    def _left_out(self, lesson: Lesson, index: int) -> str:
        """The earlier steps a replay leaves out (quarantined) and the session lacks, named."""
        missing = self.runner.missing_before(lesson, index, include_quarantined=True)
        quarantined = self.runner.quarantined
        names = [
            f"{other.id} step {i + 1} ({other.steps[i].title})"
            for other, i in missing
            if (other.id, i) in quarantined
        ]
        if len(names) > 3:
            names = [*names[:2], f"{len(names) - 2} more steps"]
        return ", ".join(names)

    async def _consume(self, events: AsyncIterator[RunnerEvent]) -> bool:
        """Show runner events; False if a step failed."""
        ok = True
        async for event in events:
            if await self._show_event(event) is False:
                ok = False
        return ok

    async def _show_event(self, event: RunnerEvent) -> bool | None:
        view = self.query_one(StepView)
        if isinstance(event, StepStarted):
            self._live = LiveRun()
            if event.replay:
                step = event.lesson.steps[event.index]
                view.show_status(
                    f"Replaying {event.lesson.id} step {event.index + 1}: {step.title}…"
                )
            else:
                view.show_status("Running…")
        elif isinstance(event, StepEvent):
            if isinstance(event.event, Memory):
                self.query_one(TopBar).show_memory(event.event)
            self._live.add(event.event, replay=event.replay)
            if isinstance(event.event, Metrics) and not event.replay:
                self._loop_streams()
            if isinstance(event.event, ProgressEvent):
                self._progress_from = event.lesson.id
            elif isinstance(event.event, Metrics | History):  # drawn live, by _redraw_live
                self._metrics_from = (event.lesson.id, event.index)
        elif isinstance(event, StepFinished):
            if not event.replay:
                self._loop_ended()
            return await self._finished(event, view)
        elif isinstance(event, RunStopped):
            self._stopped(event, view)
            return False
        return None

    def _stopped(self, event: RunStopped, view: StepView) -> None:
        """An interrupt stopped the replay: say where, and what the session holds."""
        self._interrupt_asked = False
        if not event.not_run:
            view.show_status(
                "[$warning]Interrupted before this step ran.[/] The session holds every step "
                "it builds on: press enter to run it."
            )
            self.notify("Interrupted before the step ran. The session keeps its variables.")
            return
        first, index = event.not_run[0]
        where = f"{first.id} step {index + 1} ({first.steps[index].title})"
        count = len(event.not_run)
        others = f" and the {count - 1} after it" if count > 1 else ""
        view.show_status(
            f"[$warning]Replay interrupted at {where}.[/] The session holds the steps before "
            f"it, not that one{others}: press enter to replay {'them' if count > 1 else 'it'} "
            "and run this step."
        )
        self.notify(
            f"Replay interrupted: {count} step{'s' if count > 1 else ''} not replayed, "
            "which the session does not hold. It keeps what ran before.",
            severity="warning",
        )

    async def _finished(self, event: StepFinished, view: StepView) -> bool:
        result = event.result
        self._redraw_live(final=True)
        step = event.lesson.steps[event.index]
        # An exercise replayed with its reference solution was not solved by the learner.
        by_the_learner = not (
            event.replay
            and step.is_exercise
            and not self.progress.is_done(event.lesson.id, event.index)
        )
        if by_the_learner:  # the solution's output is no run of the learner's to go back to
            self._last_runs.pop(result.key, None)
            self._last_runs[result.key] = event
        stopped = result.error is not None and result.error.type == "KeyboardInterrupt"
        if self._interrupt_asked and event.replay and stopped:
            return False  # the replay stopped: RunStopped, next, says so
        if self._interrupt_asked and not event.replay:
            if result.status is StepStatus.PASSED:
                self._say_if_the_interrupt_came_late("step")
            elif stopped:
                self.notify("Interrupted. The session keeps its variables.")
            self._interrupt_asked = False
        if result.status is StepStatus.PASSED and by_the_learner:
            self.progress.mark_done(event.lesson.id, event.index)
            self._save()
            self.query_one(LessonList).show(self.lessons, self.progress, self.lesson_index)
        if not event.replay or result.status is not StepStatus.PASSED:
            if event.replay and result.key != (self.lesson.id, self.step_index):
                where = f"{event.lesson.id} step {event.index + 1} ({step.title})"
                view.show_status(
                    f"[$error]Replaying {escape(where)} failed.[/] Go to that step to see why."
                )
                # Said where it shows whatever is scrolled into view: the steps after it
                # do not run, and a key that seems to do nothing must say why.
                self.notify(
                    f"Replaying {where} failed, so the steps after it did not run.",
                    severity="error",
                    markup=False,
                )
            else:  # the step shown: why it failed, here
                await view.show_result(result, replayed=event.replay)
        return result.status is StepStatus.PASSED

    def _redraw_live(self, *, final: bool = False) -> None:
        """The coalesced redraw, ten times a second, of what the running step sent."""
        try:
            view = cast(OutputView, self.query_one(self._live_view))
            self._live.draw(view, self.query_one(SessionPanel), final=final)
        except NoMatches:  # the app is closing and its screen is going; the timer is not yet
            return

    async def _refresh_inspector(self) -> None:
        if self.session.state is not KernelState.IDLE:
            return
        try:
            entries = await self.session.inspect()
        except SessionError:
            return
        self.query_one(SessionPanel).show_tensors(entries)

    # -- actions --------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            focused = self.focused
        except ScreenStackError:  # asked before the app runs: nothing has the focus
            focused = None
        return self._applies(action, focused)

    def _applies(self, action: str, focused: Widget | None) -> bool:
        """Whether ``action`` applies now, with ``focused`` holding the focus: the footer
        shows, and the command palette offers, only what does."""
        step = self.lesson.steps[self.step_index]
        ready = self.session.state is KernelState.IDLE and not self.running
        if action == "run_step":  # the console's enter runs its own code, not the step
            return ready and not isinstance(focused, ConsoleInput)
        if action == "run_to_here":
            return ready
        if action == "interrupt":
            return not self._restarting and (self.running or self.session.state is KernelState.BUSY)
        if action in ("solution", "edit", "own_editor"):
            return step.is_exercise
        if action == "hint":  # a failed run shows the hints it has by itself
            return bool(step.hint)
        if action == "explain":
            return isinstance(focused, CodeEditor)
        if action == "leave_editor":
            return isinstance(focused, TextArea)
        if action == "restart":
            return self.session.state is not KernelState.STARTING and not self._restarting
        if action == "toggle_panel":
            return self._one_side_at_a_time
        return True

    async def action_next_step(self) -> None:
        await self._move(+1)

    async def action_previous_step(self) -> None:
        await self._move(-1)

    async def _move(self, delta: int) -> None:
        place = moved(self.lessons, Place(self.lesson_index, self.step_index), delta)
        if place is None:
            if delta > 0:
                self.notify("This is the last step of the course. Well done!")
            return
        await self._go(place.lesson, place.step)

    async def _go(self, lesson_index: int, step_index: int) -> None:
        self._remember_editor()
        self._saved_place_waits = False  # the learner chose a place: it is the one saved
        self.lesson_index, self.step_index = lesson_index, step_index
        await self._show_current()

    def _remember_editor(self) -> None:
        """Into ``Progress``: the editor's text, read at once (a key typed just before
        leaving may not have posted its change event yet)."""
        step = self.lesson.steps[self.step_index]
        if step.is_exercise:
            self.progress.set_code(
                self.lesson.id, self.step_index, self.query_one(StepView).editor.text
            )

    def action_run_step(self) -> None:
        self._interrupted_at = None
        self.run_steps()

    def action_run_to_here(self) -> None:
        self._interrupted_at = None
        self.run_steps(rerun_lesson=True)

    async def action_interrupt(self) -> None:
        if not (self.running or self.session.state is KernelState.BUSY):
            self.notify("Nothing is running. Press ctrl+q to quit.")
            return
        now = time.monotonic()
        if self._interrupted_at is not None and now - self._interrupted_at > SECOND_INTERRUPT_S:
            self.notify(
                "The code ignored the interrupt, so the session was restarted. "
                "Its state is gone: run the steps again (a runs up to here).",
                severity="warning",
                timeout=10,
            )
            self._interrupted_at = None
            self.runner.quarantine_running()  # it would hang the next replay too
            self._restart(replay=False)
            return
        self._interrupted_at = self._interrupted_at or now
        self._interrupt_asked = self._working("run")
        await self.runner.interrupt()
        # Said once the step has ended: whether the interrupt stopped it, or came too late.
        self.notify("Asking the code to stop…", timeout=3)

    def action_restart(self) -> None:
        self._restart(replay=True)

    def _restart(self, *, replay: bool) -> None:
        self._set_restarting(True)  # at once: the worker starts a moment later
        self.restart_session(replay=replay)

    @work(exclusive=True, group="session", exit_on_error=False)
    async def restart_session(self, *, replay: bool) -> None:
        """A fresh session (then, with ``replay``, the steps up to this one), in a worker:
        keys and the session's state messages are answered while the old kernel goes."""
        self.workers.cancel_group(self, "run")
        self.workers.cancel_group(self, "console")
        self._forget_runs()
        self.query_one(StepView).hide_hint()
        self.query_one(StepView).show_status("Restarting the session…")
        try:
            await self.runner.restart()
            await self._describe_session()
        except SessionError as exc:
            self.notify(str(exc), title="Restart failed", severity="error")
            return
        finally:
            self._set_restarting(False)
        self.query_one(StepView).show_status("A fresh session.")
        if replay:
            self.run_steps(replay_only=True)

    def _set_restarting(self, restarting: bool) -> None:
        """From the key until the fresh session is there, the top bar says restarting and
        nothing runs: the session itself says what it was until its old kernel is gone."""
        self._restarting = restarting
        for top in self.query(TopBar):  # none while the app is shutting down
            top.restarting = restarting
        self.refresh_bindings()

    async def action_hint(self) -> None:
        step = self.lesson.steps[self.step_index]
        if step.hint:  # the key applies only then (check_action)
            await self.query_one(StepView).show_hint(step.hint)

    def action_solution(self) -> None:
        solution = self.lesson.steps[self.step_index].solution
        if solution is not None:
            self.query_one(StepView).show_solution(solution.text)

    def action_edit(self) -> None:
        editor = self.query_one(StepView).editor
        if editor.cursor_location == (0, 0):  # first time in: start where the work is
            lines = editor.text.splitlines()
            todo = next((i for i, line in enumerate(lines) if "TODO" in line), None)
            if todo is not None:
                editor.move_cursor((todo, len(lines[todo]) - len(lines[todo].lstrip())))
        editor.focus()
        editor.scroll_visible()

    def action_leave_editor(self) -> None:
        """Escape: close a completion menu, else back to the step (the console closes;
        what it showed stays for next time)."""
        focused = self.focused
        if isinstance(focused, CodeEditor) and focused.close_menu():
            return
        if isinstance(focused, ConsoleInput):
            self.query_one("#main").remove_class("-console")
        self.query_one(StepView).focus()
        self.refresh_bindings()

    # -- the console ------------------------------------------------------------
    async def action_console(self) -> None:
        """Open the console in the session panel's place (in a narrow terminal, the
        step's), made the first time it is asked for."""
        if not self.query(ScratchConsole):
            await self.query_one("#main").mount(ScratchConsole(id="console"), after="#step")
        console = self.query_one(ScratchConsole)
        console.input.commands = list(self.progress.console_history)
        self.query_one("#main").add_class("-console")
        console.input.focus()

    @on(ConsoleInput.Submitted)
    def _console_submitted(self, message: ConsoleInput.Submitted) -> None:
        """Run a console command, or say why the session cannot take it now (it is
        never queued behind a step: the learner would not know when it runs)."""
        console = self.query_one(ScratchConsole)
        state = self.session.state
        if busy := self._busy_with():
            console.write_notice(
                f"The session is busy {busy}; press enter again when it is done "
                "(ctrl+c interrupts it)."
            )
            return
        if state is not KernelState.IDLE:
            reason = self.session.death_reason if state is KernelState.DEAD else ""
            console.write_notice(
                f"The session is {state.value}{f' ({reason})' if reason else ''}; "
                + ("press R to restart it." if state is KernelState.DEAD else "a moment…")
            )
            return
        self.progress.remember_command(message.code)
        self._save()
        console.input.commands = list(self.progress.console_history)
        console.input.clear_for_next()
        self._interrupted_at = None
        self.run_console(message.code)

    @work(exclusive=True, group="console", exit_on_error=False)
    async def run_console(self, code: str) -> None:
        """Run a console command through the runner: not a step, never replayed."""
        console = self.query_one(ScratchConsole)
        console.begin(code)
        self._live, self._live_view = LiveRun(), "#console"
        error: Error | None = None
        finished: Finished | None = None
        async for event in self.runner.run_cell(code):
            if isinstance(event, Error):
                error = event
            elif isinstance(event, Finished):
                finished = event
            else:
                if isinstance(event, Memory):
                    self.query_one(TopBar).show_memory(event)
                self._live.add(event)
        self._redraw_live(final=True)
        if error is not None:
            console.write_notice(clean_traceback(error.traceback) or error.type, "stderr")
            if hint := (
                command_line_device_hint(error.type, error.message, self.runner.device)
                or hint_for(error.type, error.message)
                or self.runner.missing_name_hint(
                    self.lesson, self.step_index + 1, error.type, error.message
                )
            ):
                console.write_notice(f"Hint: {hint}", "hint")
        if finished is not None and finished.state_lost:
            self._forget_runs()
            console.write_notice(
                f"{finished.reason}: the session was restarted, and its variables are gone. "
                "Press a on a step to run the lesson up to it."
            )
        await self._refresh_inspector()

    # -- completion and help from the session -----------------------------------
    @on(CodeEditor.CompletionWanted)
    def _completion_wanted(self, message: CodeEditor.CompletionWanted) -> None:
        self.complete_code(message.editor, message.code, message.offset)

    @work(exclusive=True, group="complete", exit_on_error=False)
    async def complete_code(self, editor: CodeEditor, code: str, offset: int) -> None:
        try:
            completion = await self.session.complete(code, offset)
        except SessionError as exc:
            self._cannot_ask(exc, "completion")
            return
        if (editor.text, editor.cursor_offset) != (code, offset):
            return  # typed on meanwhile: the answer is for code that is gone
        if not editor.show_completion(completion):
            self.notify("Nothing to complete here.", timeout=2)

    def action_explain(self) -> None:
        """F1: the signature and docstring of the name at the cursor."""
        editor = self.focused
        if isinstance(editor, CodeEditor):
            self.explain_code(editor.text, editor.cursor_offset)

    @work(exclusive=True, group="complete", exit_on_error=False)
    async def explain_code(self, code: str, offset: int) -> None:
        try:
            text = await self.session.inspect_code(code, offset)
        except SessionError as exc:
            self._cannot_ask(exc, "help")
            return
        if not text:
            self.notify("The session knows no name at the cursor.", timeout=3)
            return
        from tutor.tui.screens.docstring import DocstringScreen  # not needed before

        self.push_screen(DocstringScreen(CodeEditor.name_at(code, offset), text))

    def _cannot_ask(self, problem: SessionError, what: str) -> None:
        if isinstance(problem, SessionBusy) and (busy := self._busy_with()):
            self.notify(f"The session is busy {busy}; {what} is back when it ends.", timeout=3)
        elif isinstance(problem, SessionBusy):  # nothing of the app's runs: only slow
            self.notify(f"The session was slow to answer; press again for {what}.", timeout=3)
        else:
            self.notify(f"No {what}: {problem}", severity="warning", timeout=5)

    # -- the learner's own editor -------------------------------------------------
    def action_own_editor(self) -> None:
        """ctrl+o: the exercise code in $VISUAL or $EDITOR (else vi), the app suspended
        meanwhile; what the editor saved comes back into the exercise editor."""
        from tutor.tui.external_editor import edit_externally  # not needed before

        lesson, index = self.lesson, self.step_index
        if not lesson.steps[index].is_exercise:
            return
        editor = self.query_one(StepView).editor
        try:
            edited = edit_externally(editor.text, self.suspend)
        except SuspendNotSupported:
            self.notify(
                "This terminal cannot be handed to another program (the app runs without "
                "one, or in a browser); edit the code here (e).",
                severity="warning",
            )
            return
        if edited.code is not None:
            editor.load_text(edited.code)
            self.progress.set_code(lesson.id, index, edited.code)
            self._save()
        self.notify(edited.message, severity="information" if edited.code else "warning")

    def action_toggle_lessons(self) -> None:
        """Hide the lesson list if it shows (beside the step, in a wide terminal, it does),
        else show it on the current lesson and focus it."""
        lesson_list = self.query_one(LessonList)
        if lesson_list.display:
            lesson_list.display = False
            self.query_one(StepView).focus()
        else:
            lesson_list.display = True
            lesson_list.highlighted = self.lesson_index
            lesson_list.focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(SessionPanel).show_tab(tab)
        self._show_panel(True)

    # -- a small screen: the step or the session panel ----------------------------
    @property
    def _one_side_at_a_time(self) -> bool:
        """Whether the screen is too narrow for the step and the panel side by side."""
        return self.size.width < SIDE_BY_SIDE_COLUMNS

    def on_resize(self, event: events.Resize) -> None:
        # Under SIDE_BY_SIDE_COLUMNS the panel's key applies and shows, in a footer made
        # compact, and without the command palette's key (the help names it), to leave
        # room for it: the main keys then fit 80 columns in every state, ? Help included.
        # (The event's size: the app's own is brought up to date after this handler.)
        narrow = event.size.width < SIDE_BY_SIDE_COLUMNS
        for footer in self.query(Footer):
            footer.compact = narrow
            footer.show_command_palette = not narrow
        self.refresh_bindings()

    def action_toggle_panel(self) -> None:
        """v, under 110 columns: the session panel takes the screen, or gives it back."""
        self._panel_for_run = False  # the learner's choice stands after the run too
        self._show_panel(not self.query_one("#main").has_class("-panel"))

    def _show_panel(self, shown: bool) -> None:
        """Under 110 columns, the panel (True) or the step (False) takes the screen; wider,
        both show and this only says which a narrower screen will show."""
        self.query_one("#main").set_class(shown, "-panel")
        if not shown and self._one_side_at_a_time and self.focused is None:
            self.query_one(StepView).focus()

    def _loop_streams(self) -> None:
        """A loop streams metrics: on a small screen its table and curves take it, if it
        is still running LOOP_TAKES_SCREEN_S from now."""
        if self._loop_timer is None and not self._panel_for_run:
            self._loop_timer = self.set_timer(LOOP_TAKES_SCREEN_S, self._loop_takes_screen)

    def _loop_takes_screen(self) -> None:
        self._loop_timer = None
        main = self.query_one("#main")
        if self._one_side_at_a_time and self.running and not main.has_class("-panel"):
            self._panel_for_run = True
            self._show_panel(True)

    def _loop_ended(self) -> None:
        """The step ended: the screen the loop took goes back to the step and its verdict."""
        if self._loop_timer is not None:
            self._loop_timer.stop()
            self._loop_timer = None
        if self._panel_for_run:
            self._panel_for_run = False
            self._show_panel(False)
            self.notify("The loop is done: v shows its table and curves again.", timeout=4)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): each action of the app's keys that applies now,
        once (from the table the footer and the help show), Textual's own commands that
        are none of those, and "Reset progress".  ``screen`` is the one the palette was
        opened on: its focus, not the palette's, says what applies."""
        yield from palette_commands(
            self, lambda action, _parameters: self._applies(action, screen.focused)
        )
        for command in super().get_system_commands(screen):
            if command.title not in REPLACED_SYSTEM_COMMANDS:
                yield command
        yield SystemCommand(
            "Reset progress",
            "Forget finished steps and exercise code, and go back to the first step (asked first)",
            self.reset_progress,
        )
        yield SystemCommand(
            "Attach Jupyter",
            "The command that opens a Jupyter console on this session (copied)",
            self.attach_jupyter,
        )

    def attach_jupyter(self) -> None:
        """Show, and copy where the terminal allows, the command that attaches a Jupyter
        console to the session: it sees what the steps made, and they see what it makes."""
        path = getattr(self.session, "connection_file", None)
        if path is None:
            self.notify(
                "The Python session is not running yet: try again once it has started.",
                title="Attach Jupyter",
                severity="warning",
            )
            return
        command = attach_command(path)
        self.copy_to_clipboard(command)
        self.notify(
            f"{command}\n\nCopied where the terminal allows. Needs jupyter-console, "
            "which tutor does not install.",
            title="Attach Jupyter",
            timeout=30,
            markup=False,
        )

    def reset_progress(self) -> None:
        """Asked first: finished steps and typed exercise code are gone for good."""
        from tutor.tui.screens.confirm import ConfirmScreen

        finished = sum(len(steps) for steps in self.progress.completed.values())
        typed = len(self.progress.exercise_code)
        question = (
            f"Forget your progress: {finished} finished step(s) and the code of "
            f"{typed} exercise(s)? This cannot be undone."
        )

        async def answered(yes: bool | None) -> None:
            if yes:
                await self._reset_progress()

        self.push_screen(ConfirmScreen(question, "reset, back to the first step"), answered)

    async def _reset_progress(self) -> None:
        self.store.reset()
        self.progress = Progress()
        await self._go(0, 0)
        self.notify("Progress reset. The session keeps its variables until you restart it (R).")

    def action_help(self) -> None:
        from tutor.tui.screens.help import HelpScreen  # not needed for the first screen

        self.push_screen(HelpScreen(help_rows(self), moving_rows(self)))

    async def action_quit(self) -> None:
        await self._leave()

    def _abandon(self) -> None:
        """The terminal is gone: keep the learner's work and kill the session, at once."""
        self._remember_editor()
        self._save()
        self.session.kill()

    async def _leave(self, return_code: int = 0) -> None:
        """Keep the learner's work, stop the kernel, then exit."""
        self._remember_editor()
        self._save()
        self.workers.cancel_all()
        await self.session.shutdown()
        self.exit(return_code=return_code)

    @on(OptionList.OptionSelected, "#lesson-list")
    async def _open_lesson(self, event: OptionList.OptionSelected) -> None:
        await self._go(event.option_index, 0)
        self._put_lessons_away()

    @on(LessonList.Closed)
    def _put_lessons_away(self) -> None:
        """Back to the layout's say (beside the step in a wide terminal, else out of the
        way), and to the step."""
        lesson_list = self.query_one(LessonList)
        lesson_list.styles.clear_rule("display")
        lesson_list.refresh(layout=True)  # clearing a rule lays nothing out again
        self._panel_for_run = False
        self._show_panel(False)  # under 110 columns the step takes the screen again
        self.query_one(StepView).focus()

    @on(TextArea.Changed, "#exercise")
    def _editor_changed(self) -> None:
        """Typed exercise code is kept at once and saved a moment after typing stops,
        so that not even a crash or a lost connection loses it."""
        self.refresh_bindings()
        step = self.lesson.steps[self.step_index]
        text = self.query_one(StepView).editor.text
        if step.exercise is None:
            return
        kept = self.progress.code_for(self.lesson.id, self.step_index)
        if text == (step.exercise.text if kept is None else kept):
            return  # the step was just shown, not edited
        self.progress.set_code(self.lesson.id, self.step_index, text)
        if self._editor_timer is not None:
            self._editor_timer.stop()
        self._editor_timer = self.set_timer(EDITOR_SAVE_S, self._save)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if not self.screen_stack:  # a worker's end handled once the app shut down
            return
        self.refresh_bindings()
        if event.worker.group == "run" and event.worker.is_finished and not self._working("run"):
            # An interrupt still unanswered once a run has ended came after its last step
            # had (the key and the end crossed, say while the Tensors tab was being brought
            # up to date).  A run cancelled (a restart) or failed says what became of it.
            if self._interrupt_asked and event.state is WorkerState.SUCCESS:
                self._say_if_the_interrupt_came_late(self._run_kind)
            self._interrupt_asked = False
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.notify(str(event.worker.error), title="Something went wrong", severity="error")
        if self._reload_pending and event.worker.is_finished and not self.running:
            self.call_next(self._reload_lessons)

    # -- authoring (--watch) ----------------------------------------------------
    @work(group="watch", exit_on_error=False)
    async def watch_lessons(self) -> None:
        from tutor.watch import changes

        async for paths in changes(self.lessons.directory):
            self.post_message(LessonFilesChanged(paths))

    @on(LessonFilesChanged)
    async def _lesson_files_changed(self, message: LessonFilesChanged) -> None:
        if not self.screen_stack:  # the change came as the app shut down
            return
        if self.running:
            self._reload_pending = True
            return
        await self._reload_lessons()

    async def _reload_lessons(self) -> None:
        from tutor.watch import describe, reload_lessons

        self._reload_pending = False
        self._remember_editor()
        try:
            reload = reload_lessons(self.lessons)
        except LessonError as error:
            self.notify(str(error), title="Lessons not reloaded", severity="error", markup=False)
            return
        place = place_after(reload, self.lessons, Place(self.lesson_index, self.step_index))
        saved = self.progress.lesson_id or ""
        if self._saved_place_waits and reload.lessons.get(saved) is not None:
            place = resume(reload.lessons, self.progress)  # its file loads again: back there
            self._saved_place_waits = False
        follow_moves(self.progress, reload)
        self.runner.reload(reload.lessons, reload.changed, reload.removed)
        # A step's last run stays only where the runner still counts the step as run
        # (or as failed): the run of changed code, or of a moved step, is not this step's.
        still = self.runner.held | self.runner.quarantined
        self._last_runs = {key: run for key, run in self._last_runs.items() if key in still}
        self.lessons = reload.lessons
        self.lesson_index, self.step_index = place.lesson, place.step
        await self._show_current()
        lines = describe(reload) + [str(error) for error in reload.lessons.errors]
        self.clear_notifications()  # what was said of the files before no longer holds
        self.notify(
            "\n".join(lines) or "Only prose changed.",
            title="Lessons reloaded",
            severity="warning" if reload.lessons.errors else "information",
            timeout=15 if reload.lessons.errors else 4,
            markup=False,
        )

    async def on_unmount(self) -> None:
        self._lifecycle.uninstall()
        self.session.remove_state_listener(self._post_state)
        self._save()  # also after a crash: typed code is kept in memory as it changes
        await self.session.shutdown()
