"""The terminal app, driven with Textual's Pilot and real keys.

Where the app's own behaviour is the point, the session is scripted
(tests/scripted.py) and no kernel starts; the tests marked ``kernel`` run
learner code in a real one: interrupting it, checking an exercise, quitting.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from rich.console import Console
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import OptionList, RichLog, Static
from textual.worker import Worker, WorkerState

import tutor.tui.app
from tests.builders import BASICS, course, lesson_step, lesson_text, write_lesson_dir
from tests.scripted import Reply, ScriptedSession, basics_session
from tutor.lessons import LessonSet, bundled_lessons_dir, check_command, load_lessons
from tutor.progress import Progress, ProgressStore
from tutor.protocol import PlotSpec, SeriesSpec
from tutor.session import Display, History, KernelState, Metrics, Output, Result
from tutor.tui.app import TutorApp
from tutor.tui.authoring import LessonFilesChanged
from tutor.tui.messages import SessionReady, SessionStateChanged
from tutor.tui.widgets.loss_table import LossTable
from tutor.tui.widgets.session_panel import SessionPanel
from tutor.tui.widgets.step_view import StepView
from tutor.tui.widgets.tensor_inspector import TensorInspector


@pytest.fixture
def make_app(app_lessons: LessonSet, store: ProgressStore, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def make(**kwargs) -> TutorApp:
        return TutorApp(app_lessons, device="cpu", store=store, **kwargs)

    return make


@pytest.fixture
def scripted_app(make_app):
    """The app over a scripted session that answers the course's steps (no kernel)."""

    def make(**kwargs) -> TutorApp:
        return make_app(session=basics_session(), **kwargs)

    return make


async def until(
    pilot, condition: Callable[[], bool], seconds: float = 30, state: Callable[[], str] = str
) -> None:
    """Let the app work until ``condition`` holds (a deadline, not a fixed sleep); on
    timing out, say what ``state`` describes."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for the app {state()}"
        await pilot.pause(0.05)


def output_text(app: TutorApp) -> str:
    log = app.query_one("#output", RichLog)
    return "\n".join(line.text for line in log.lines)


def status_text(app: TutorApp) -> str:
    return str(app.query_one("#result", Static).content)


async def ready(pilot, app: TutorApp) -> None:
    def state() -> str:
        workers = [(w.group, w.name, w.state.name) for w in app.workers]
        status = app.screen.query("#result")
        shown = str(status.first(Static).content) if status else "(not on this screen)"
        return (
            f"(session {app.session.state.value}, restarting {app._restarting}, "
            f"workers {workers}, status {shown!r})"
        )

    await until(
        pilot, lambda: app.session.state is KernelState.IDLE and not app.running, state=state
    )


def plain(renderable: object) -> str:
    """What a rich renderable shows, as plain text."""
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def shown(app: TutorApp, selector: str) -> bool:
    return app.query_one(selector).display


async def test_navigate_with_keys(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        assert (app.lesson.id, app.step_index) == ("basics", 0)
        intro = app.query_one("#lesson-intro", Static).content
        assert shown(app, "#lesson-intro") and "What this lesson is about" in plain(intro)
        await pilot.press("n")
        assert app.step_index == 1
        assert not shown(app, "#lesson-intro"), "the lesson's introduction opens its first step"
        await pilot.press("right", "right", "right")
        assert (app.lesson.id, app.step_index) == ("practice", 0)
        await pilot.press("p")
        assert (app.lesson.id, app.step_index) == ("basics", 3)
        title = str(app.query_one("#step-title", Static).content)
        assert "Step 4/4" in title and "Use what was kept" in title


async def test_run_a_step_shows_output_and_inspector(scripted_app) -> None:
    app = scripted_app()
    async with app.run_test(size=(100, 16)) as pilot:  # the step and its output overflow
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        # The output log draws once it has been laid out: a frame after the run ends.
        await until(pilot, lambda: "made torch.Size([6])" in output_text(app), seconds=5)
        assert "passed" in status_text(app)
        view = app.query_one(StepView)
        # The run keeps the end in view: the output, then the verdict, below the code.
        result = app.query_one("#result")
        await until(pilot, lambda: view.region.contains_region(result.region), seconds=2)
        assert view.max_scroll_y > 0 and view.scroll_y == view.max_scroll_y
        inspector = app.query_one(TensorInspector)
        assert inspector.row_count >= 1
        assert inspector.get_row("kept")[1] == "[6]"
        assert app.progress.is_done("basics", 0)


async def test_loss_table_fills_while_training(scripted_app) -> None:
    app = scripted_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await until(pilot, lambda: bool(app.query("#no-training")))  # built after the first frame
        assert shown(app, "#no-training") and not shown(app, "#loss-table")
        await pilot.press("n", "enter")  # replays step 1, then trains
        table = app.query_one(LossTable)
        await until(pilot, lambda: app.session.state is KernelState.BUSY and table.row_count > 0)
        assert app.running, "the table filled while the step was still running"
        await ready(pilot, app)
        assert table.row_count == room(table), "as many of the newest rows as fit"
        assert "60 rows" in str(table.border_subtitle)
        last = table.get_row_at(table.row_count - 1)
        assert last[0] == "59" and last[-1] == "★ best"
        assert shown(app, "#loss-plot") and not shown(app, "#no-training")


async def test_the_session_warms_up_for_the_first_optimizer_only_if_a_lesson_makes_one(
    tmp_path: Path,
) -> None:
    app = one_step_app(tmp_path, "opt = torch.optim.SGD(model.parameters(), lr=0.01)", Reply())
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        assert app.session.warm_ups == [True]


@pytest.mark.kernel
async def test_interrupt_keeps_the_state(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        await pilot.press("n", "n", "enter")  # replays the training step, then loops forever
        await until(pilot, lambda: app.runner.held >= {("basics", 1)} and app.running)
        await pilot.pause(0.3)
        await pilot.press("ctrl+c")
        await ready(pilot, app)
        assert "KeyboardInterrupt" in status_text(app)
        await pilot.press("n", "enter")
        await ready(pilot, app)
        await until(pilot, lambda: "total 15.0" in output_text(app), seconds=5)
        assert "passed" in status_text(app)


async def test_restart_clears_and_replays(scripted_app) -> None:
    app = scripted_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "enter")
        await ready(pilot, app)
        assert app.runner.held == {("basics", 0), ("basics", 1)}
        assert app.session.described == 1
        await pilot.press("R")
        await until(pilot, lambda: app.runner.held == {("basics", 0)} and not app.running)
        assert app.session.state is KernelState.IDLE
        assert app.session.described == 2, "the new session imports torch before any step"
        assert app.session.warm_ups == [False, False], "these lessons make no optimizer"
        assert "up to date" in status_text(app)
        assert app.query_one(LossTable).row_count == 0
        assert shown(app, "#no-training") and not shown(app, "#loss-table")


@pytest.mark.kernel
async def test_exercise_edit_check_and_solution(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("right", "right", "right", "right")
        assert app.lesson.id == "practice"
        solution = app.query_one("#solution", Static)
        assert solution.has_class("hidden")
        await pilot.press("enter")  # the untouched starter fails its check
        await ready(pilot, app)
        assert "answer should be 42, not None" in status_text(app)
        assert not app.query_one("#hint").has_class("hidden"), "a failed check offers the hint"
        await pilot.press("e", "home", "shift+end", *"answer = 41 + 1", "escape")
        assert app.query_one(StepView).editor.text.strip() == "answer = 41 + 1"
        await pilot.press("enter")
        await ready(pilot, app)
        assert "passed" in status_text(app)
        assert app.progress.code_for("practice", 0).strip() == "answer = 41 + 1"
        assert solution.has_class("hidden")
        await pilot.press("s")
        assert not solution.has_class("hidden")
        assert "answer = 42" in str(solution.content.code)
        assert solution.render_line(0).text.strip() == "Solution."


async def test_resume_from_saved_progress(scripted_app, store: ProgressStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        json.dumps(
            {
                "version": 1,
                "lesson": "basics",
                "step": 2,
                "completed": {"basics": [0, 1]},
                "exercise_code": {"practice:0": "answer = 6 * 7"},
            }
        )
    )
    app = scripted_app()
    async with app.run_test(size=(100, 32)) as pilot:
        assert (app.lesson.id, app.step_index) == ("basics", 2)
        await until(pilot, lambda: app.runner.held == {("basics", 0), ("basics", 1)})
        await ready(pilot, app)
        assert "up to date" in status_text(app)
        assert app.query_one(TensorInspector).get_row("kept")[1] == "[6]"
        table = app.query_one(LossTable)  # the replay's history, up to its newest row
        assert "60 rows" in str(table.border_subtitle)
        assert table.get_row_at(table.row_count - 1)[0] == "59"
        await pilot.press("n", "n")
        assert app.query_one(StepView).editor.text == "answer = 6 * 7"


async def test_after_a_resume_finished_steps_show_their_output_and_metrics(
    scripted_app, store: ProgressStore
) -> None:
    store.save(Progress(lesson_id="basics", step=1, completed={"basics": [0, 1]}))
    app = scripted_app()
    async with app.run_test(size=(100, 32)) as pilot:
        assert (app.lesson.id, app.step_index) == ("basics", 1), "on the finished training"
        await until(pilot, lambda: app.runner.held == {("basics", 0), ("basics", 1)})
        await ready(pilot, app)
        table = app.query_one(LossTable)
        assert table.row_count == 15 and not shown(app, "#no-training")
        await pilot.press("p")  # back to the first step: what it printed when replayed
        await until(pilot, lambda: "made torch.Size([6])" in output_text(app), seconds=5)
        assert "passed" in status_text(app) and "when replayed" in status_text(app)
        assert table.row_count == 15, "the lesson's training still shows"
        await pilot.press("n", "n", "n", "n")  # the next lesson: nothing of this one's
        assert app.lesson.id == "practice"
        await until(pilot, lambda: shown(app, "#no-training"), seconds=5)
        assert not shown(app, "#progress"), "the last lesson's progress bar stayed"
        assert output_text(app) == ""
        await pilot.press("p")  # and back: the lesson's metrics again
        await until(pilot, lambda: not shown(app, "#no-training"), seconds=5)
        assert table.row_count == 15


def newest(table: LossTable) -> tuple[str, str]:
    """The loss table's row count (its subtitle) and the epoch of the last row it shows."""
    if table.row_count == 0:
        return str(table.border_subtitle), ""
    return str(table.border_subtitle), str(table.get_row_at(table.row_count - 1)[0])


async def test_a_lessons_metrics_and_progress_bar_stay_with_it(scripted_app) -> None:
    app = scripted_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "enter")  # train
        await ready(pilot, app)
        table = app.query_one(LossTable)
        # The lesson's 60 rows, the newest (epoch 59, also the best) last.  How many
        # rows show depends on the room the table had, which changes when a loop that
        # streams for more than a second (on a busy machine) takes the screen.
        await until(pilot, lambda: newest(table) == ("60 rows", "59"), seconds=5)
        assert shown(app, "#progress")
        await pilot.press("n", "n", "n")
        assert app.lesson.id == "practice"
        await until(pilot, lambda: shown(app, "#no-training"), seconds=5)
        assert not shown(app, "#progress") and not shown(app, "#loss-table")
        await pilot.press("p", "p", "p")  # the training step again: its output and table
        await until(pilot, lambda: shown(app, "#loss-table"), seconds=5)
        assert newest(app.query_one(LossTable)) == ("60 rows", "59")
        assert "passed" in status_text(app) and "replayed" not in status_text(app)


async def test_a_failed_step_shown_again_still_says_why(make_app) -> None:
    session = basics_session()
    session.replies["while True"] = Reply()
    session.replies["total = float"] = Reply(error=("NameError", "name 'kept' is not defined"))
    app = make_app(session=session)
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "n", "n", "enter")  # "Use what was kept", which fails
        await ready(pilot, app)
        await pilot.press("p", "n")  # away and back: why it failed is still there
        await until(pilot, lambda: "NameError" in status_text(app), seconds=5)
        assert "NameError: name 'kept' is not defined" in output_text(app)
        assert shown(app, "#hint")


async def test_a_lesson_asked_for_opens_instead_of_the_saved_place(make_app, store) -> None:
    store.save(Progress(lesson_id="basics", step=2, completed={"basics": [0, 1]}))
    app = make_app(start_session=False, lesson_id="practice")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert (app.lesson.id, app.step_index) == ("practice", 0)
        assert "Set the answer" in str(app.query_one("#step-title", Static).content)
    assert store.load().lesson_id == "practice"


async def test_a_corrupt_progress_file_is_set_aside(make_app, store: ProgressStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{ this is not json")
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert (app.lesson.id, app.step_index) == ("basics", 0)
        notes = [n.message for n in app._notifications]
        assert any("could not be read" in message for message in notes)
    kept = list(store.path.parent.glob("progress.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{ this is not json"
    assert json.loads(store.path.read_text())["lesson"] == "basics"


async def test_progress_that_cannot_be_saved_is_told_once(make_app, store: ProgressStore) -> None:
    store.path.parent.write_text("a file where the state directory should be")
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("n", "n", "p")
        await pilot.pause()
        assert app.step_index == 1
        notes = [n.message for n in app._notifications if "could not save" in n.message]
        assert len(notes) == 1 and str(store.path) in notes[0]
        assert app.progress.step == 1  # kept in memory


@pytest.mark.kernel
async def test_quit_shuts_the_kernel_down(make_app) -> None:
    import psutil

    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        pid = app.session.pid
        assert pid is not None and psutil.pid_exists(pid)
        await pilot.press("ctrl+q")
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_a_state_change_handled_after_the_screens_closed_is_no_crash(scripted_app) -> None:
    """Textual closes the screens before the app's last messages are handled (in tests it
    does so while the app still runs): a state change from the session, or a worker's
    end, then finds no screen whose keys could be refreshed.  It must pass quietly, not
    crash the app."""
    app = scripted_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
    assert app.screen_stack == [], "the screens are closed, as in the last of a shutdown"
    app._session_state_changed(SessionStateChanged(KernelState.DEAD))
    app._session_ready(SessionReady("cpu"))
    # A run's worker whose end is handled only then.
    worker = Worker(app, lambda: None, name="run_steps", group="run")
    app.on_worker_state_changed(Worker.StateChanged(worker, WorkerState.SUCCESS))
    await app._lesson_files_changed(LessonFilesChanged({Path("lessons/01_basics.md")}))


async def test_help_screen_lists_the_keys(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        shown_text = plain(app.screen.query_one(Static).content)
        for line in (
            "^c, i  Interrupt the running step; the session keeps its variables",
            "R      Restart the session and replay the steps up to this one",
            "⏎, r   Run this step",
            "3      Tensors tab",
            "^p     Commands",
        ):
            assert line in shown_text, shown_text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ != "HelpScreen"


async def test_run_is_disabled_until_the_session_is_ready(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert app.check_action("run_step", ()) is False
        assert app.check_action("interrupt", ()) is False
        assert app.check_action("solution", ()) is False
        await pilot.press("enter")
        assert not app.running


async def test_resizing_to_60x20_and_back_loses_nothing(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert app.screen.has_class("-narrow")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("-narrow")
        assert app.step_index == 1
        assert "Train a little" in str(app.query_one("#step-title", Static).content)


async def test_the_command_palette_offers_the_actions_and_a_reset(make_app, store) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("n", "n")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Next", "Prev", "Lessons", "Help", "Reset progress"} <= titles
        assert "Run" not in titles, "run is unavailable before the session is ready"
        assert "Hint" not in titles, "this step has no hint of its own"
        app.progress.mark_done("basics", 0)
        reset = next(c for c in app.get_system_commands(app.screen) if c.title == "Reset progress")
        reset.callback()
        await pilot.pause()
        assert "1 finished step(s)" in str(app.screen.query_one("#question", Static).content)
        await pilot.press("n")  # it is asked first, and no keeps everything
        await pilot.pause()
        assert app.step_index == 2 and app.progress.completed == {"basics": [0]}
        reset.callback()
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: app.step_index == 0)
        assert (app.lesson.id, app.step_index) == ("basics", 0)
        assert app.progress.completed == {}


async def test_session_panel_updates_before_its_tabs_exist_apply_in_order() -> None:
    from textual.app import App

    from tutor.tui.widgets.session_panel import SessionPanel

    panel = SessionPanel(id="session")
    rows = [{"epoch": 0.0, "train_loss": 0.5}, {"epoch": 1.0, "train_loss": 0.25}]
    series = [SeriesSpec(label="data", x=[0, 1], y=[0, 1])]
    line = PlotSpec(kind="scatter", title="", xlabel="", ylabel="", series=series)
    panel.show_plot(line)
    panel.clear()  # a restart after the plot: the plot must not come back
    panel.show_metrics(rows)
    panel.show_tab("tensors")

    class Host(App[None]):
        def compose(self):
            yield panel

    app = Host()
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: bool(app.query(LossTable)))
        await pilot.pause()
        assert app.query_one(LossTable).row_count == 2
        assert shown(app, "#loss-plot") and not shown(app, "#no-training")
        assert shown(app, "#no-plot") and not shown(app, "#data-plot")
        assert app.query_one("#session-tabs").active == "tensors"


def test_output_tail_keeps_the_latest_output_in_order_and_counts_the_rest() -> None:
    from tutor.tui.live import OUTPUT_PER_REDRAW, OutputTail

    tail = OutputTail()
    for event in (
        Output("stdout", "first\n"),
        Output("stderr", "oops\n"),
        Output("stdout", "second\n"),
        Output("stdout", "third\n"),
        Result({"text/plain": "42"}, 1),
    ):
        tail.add(event)
    assert tail.take() == (
        0,
        [
            Output("stdout", "first\n"),
            Output("stderr", "oops\n"),
            Output("stdout", "second\nthird\n"),
            Result({"text/plain": "42"}, 1),
        ],
    )
    assert tail.take() == (0, [])

    line = "x" * 999 + "\n"
    tail.add(Result({"text/plain": "kept"}, 2))
    for _ in range(1000):
        tail.add(Output("stdout", line))
    tail.add(Output("stdout", "the end\n"))
    skipped, events = tail.take()
    assert events[0] == Result({"text/plain": "kept"}, 2), "results are never skipped"
    shown = "".join(event.text for event in events[1:])
    assert len(shown) == OUTPUT_PER_REDRAW and shown.endswith("x\nthe end\n")
    assert skipped + len(shown) == 1000 * len(line) + len("the end\n")


async def test_edit_starts_at_the_first_todo(tmp_path: Path) -> None:
    exercise = lesson_text(
        "T",
        lesson_step(
            "Fill in",
            exercise="# Two numbers.\nif True:\n    y = None  # TODO: 2",
            solution="y = 2",
        ),
        lesson_id="t",
    )
    lessons = course(tmp_path / "lessons", {"01_t.md": exercise})
    app = TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("e")
        editor = app.query_one(StepView).editor
        assert editor.has_focus and editor.cursor_location == (2, 4)
        await pilot.press("right", "escape", "e")  # after that, the cursor stays put
        assert editor.cursor_location == (2, 5)


async def test_a_burst_of_keys_edits_the_exercise_in_the_order_typed(tmp_path: Path) -> None:
    """Keys that arrive together, as over a slow link, are applied in order: home and
    ctrl+k (editor bindings) are not overtaken by the characters typed after them."""
    exercise = lesson_text(
        "T",
        lesson_step("Fix", exercise="a = 1\nb = 2  # TODO\nc = 3", solution="b, c = 9, 8"),
        lesson_id="t",
    )
    lessons = course(tmp_path / "lessons", {"01_t.md": exercise})
    app = TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("e")
        editor = app.query_one(StepView).editor
        assert editor.cursor_location == (1, 0)
        typed = {"X": "X", "Y": "Y", "9": "9", "8": "8", "equals_sign": "="}
        burst = ["home", "ctrl+k", "X", "equals_sign", "9"]
        burst += ["down", "home", "ctrl+k", "Y", "equals_sign", "8"]
        for key in burst:  # all queued at once, as the terminal's input parser queues them
            app.post_message(events.Key(key, typed.get(key)))
        expected = ["a = 1", "X=9", "Y=8"]
        with contextlib.suppress(AssertionError):  # the assert below says what it got
            await until(pilot, lambda: editor.text.splitlines() == expected, seconds=3)
        assert editor.text.splitlines() == expected


async def test_line_plots_keep_only_the_points_their_width_can_show() -> None:
    from textual.app import App

    from tutor.tui.widgets.plot_view import LINE_POINTS_PER_COLUMN, PlotView

    class Host(App[None]):
        def compose(self):
            yield PlotView()

    xs = list(range(2000))
    drawn: list[int] = []
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(PlotView)
        await pilot.pause()
        for name in ("plot", "scatter"):
            draw = getattr(view.plt, name)
            setattr(
                view.plt,
                name,
                lambda x, y, draw=draw, **kw: (drawn.append(len(x)), draw(x, y, **kw)),
            )
        for kind, label in (("line", "loss"), ("scatter", "data")):
            series = [SeriesSpec(label=label, x=xs, y=xs)]
            view.show(PlotSpec(kind=kind, title="", xlabel="", ylabel="", series=series))
    assert 0 < drawn[0] <= LINE_POINTS_PER_COLUMN * 60 < 2000
    assert drawn[1] == 2000, "scatter plots keep every point"


async def test_each_series_is_drawn_as_its_kind_says() -> None:
    from textual.app import App

    from tutor.tui.widgets.plot_view import PlotView

    class Host(App[None]):
        def compose(self):
            yield PlotView()

    drawn: list[tuple[str, str]] = []
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(PlotView)
        await pilot.pause()
        for name in ("plot", "scatter", "bar"):
            draw = getattr(view.plt, name)
            setattr(
                view.plt,
                name,
                lambda x, y, draw=draw, name=name, **kw: (
                    drawn.append((name, kw["label"])),
                    draw(x, y, **kw),
                ),
            )
        series = [
            SeriesSpec(label="Counts", x=[1, 2], y=[3, 4]),
            SeriesSpec(label="Points", x=[1], y=[2], kind="scatter"),
            SeriesSpec(label="Trend", x=[1, 2], y=[3, 4], kind="line"),
        ]
        view.show(PlotSpec(kind="bar", title="", xlabel="", ylabel="", series=series))
    assert drawn == [("bar", "Counts"), ("scatter", "Points"), ("plot", "Trend")]


async def test_the_live_redraw_is_harmless_once_the_screen_is_gone(make_app) -> None:
    """The 10 Hz redraw timer may tick once more while the app closes."""
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        app._live.output.add(Output("stdout", "late output\n"))
        await app.screen.query_one("#main").remove()
        app._redraw_live()  # must not raise
        await pilot.pause()


@pytest.mark.parametrize(("width", "stays"), [(120, False), (160, True)])
async def test_the_lesson_list_opens_a_lesson(make_app, width: int, stays: bool) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(width, 40)) as pilot:
        assert shown(app, "#lesson-list") is stays, "beside the step only when wide"
        await pilot.press(*(["l", "l"] if stays else ["l"]))  # l first hides a list shown
        assert shown(app, "#lesson-list") and app.query_one("#lesson-list").has_focus
        await pilot.press("down", "enter")
        assert (app.lesson.id, app.step_index) == ("practice", 0)
        assert app.query_one(StepView).has_focus
        assert shown(app, "#lesson-list") is stays, "out of the way again once chosen"


async def test_a_replay_then_a_short_step_leaves_the_view_at_its_top(scripted_app, store) -> None:
    """Following a run to its end never scrolls past the top of a step that fits."""
    store.save(Progress(lesson_id="basics", step=1, completed={"basics": [0]}))
    app = scripted_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: ("basics", 0) in app.runner.held)  # resuming replays it
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        assert "passed" in status_text(app)
        await pilot.pause(0.2)
        view = app.query_one(StepView)
        assert view.max_scroll_y == 0, "the step fits in the view"
        assert view.scroll_y == 0 and app.query_one("#step-title").region.y == view.region.y


def long_exercise_app(tmp_path: Path) -> TutorApp:
    """The app on a course whose second step is an exercise too long for a 100x30 view:
    its solution and its hint lie below the view while it shows its top."""
    prose = "\n\n".join(f"Paragraph {n} of what the exercise asks." for n in range(12))
    exercise = lesson_step(
        "Long exercise",
        exercise="answer = None  # TODO\n" * 10,
        solution="answer = 42",
        check="assert answer == 42",
        hint="The answer is 42.",
        prose=prose,
    )
    lesson = lesson_text("Long", lesson_step("Before", "x = 1"), exercise, lesson_id="long")
    lessons = course(tmp_path / "lessons", {"01_long.md": lesson})
    return TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)


@pytest.mark.parametrize(("key", "part"), [("h", "#hint"), ("s", "#solution")])
async def test_a_hint_or_solution_shown_again_scrolls_into_view(
    tmp_path: Path, key: str, part: str
) -> None:
    """Shown once, a part keeps its old place until the next layout: revealed again
    from the top of the step, it must still be scrolled to, not left below the view."""
    app = long_exercise_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view, shown_part = app.query_one(StepView), app.query_one(part)
        await pilot.press("n", key, "p", "n", "home")
        await pilot.wait_for_scheduled_animations()
        assert view.scroll_y == 0 and shown_part.has_class("hidden")
        await pilot.press(key)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        assert not shown_part.has_class("hidden")
        top, bottom = shown_part.region.y, shown_part.region.bottom
        assert view.region.y <= top and bottom <= view.region.bottom, (
            f"{part} at rows {top}-{bottom}, the view shows {view.region}"
        )


def one_step_app(tmp_path: Path, code: str, reply: Reply) -> TutorApp:
    """The app on a course of one lesson whose one step runs ``code``, over a scripted
    session that answers it with ``reply``."""
    lesson = lesson_text("One", lesson_step("The step", code), lesson_id="one")
    lessons = course(tmp_path / "lessons", {"01_one.md": lesson})
    session = ScriptedSession({code: reply})
    return TutorApp(lessons, session=session, store=ProgressStore(tmp_path / "p.json"))


@pytest.mark.parametrize("how", ["home", "pageup", "up", "wheel"])
async def test_scrolling_up_during_a_run_stops_the_view_following_it(
    tmp_path: Path, how: str
) -> None:
    lines = [Output("stdout", f"line {i}\n") for i in range(40)]
    app = one_step_app(tmp_path, "for i in range(40): print('line', i)", Reply(lines, pause_s=0.05))
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        view = app.query_one(StepView)
        await until(pilot, lambda: "line 5" in output_text(app) and view.scroll_y > 0)
        if how == "wheel":
            view.post_message(events.MouseScrollUp(view, 2, 2, 0, -1, 0, False, False, False))
        else:
            await pilot.press(how)  # back up to read the code
        await ready(pilot, app)
        assert "line 39" in output_text(app) or "passed" in status_text(app)
        if how == "home":
            assert view.scroll_y == 0, "the view followed the run after the learner scrolled up"
        assert view.scroll_y < view.max_scroll_y, "the view followed the run to its end"


async def test_long_output_lines_wrap_inside_the_output_box(tmp_path: Path) -> None:
    words = " ".join(f"word{i}" for i in range(60)) + "\n"
    app = one_step_app(tmp_path, "print(words)", Reply([Output("stdout", words)]))
    async with app.run_test(size=(120, 40)) as pilot:  # a box narrower than 78 columns
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        log = app.query_one("#output", RichLog)
        await until(pilot, lambda: "word59" in output_text(app), seconds=5)
        width = log.scrollable_content_region.width
        assert len(log.lines) > 1, "the long line should wrap"
        assert max(line.cell_length for line in log.lines) <= width


class LossTableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LossTable()


def room(table: LossTable) -> int:
    """How many rows fit in the loss table under its header, at most 15."""
    return min(15, table.scrollable_content_region.height - table.header_height)


def visible_text(table: LossTable) -> str:
    """What the table draws in its region now, line by line."""
    return "\n".join(
        "".join(segment.text for segment in table.render_line(y))
        for y in range(table.scrollable_content_region.height)
    )


async def test_the_loss_table_keeps_the_best_row_in_view_when_it_scrolls_out() -> None:
    app = LossTableApp()
    async with app.run_test(size=(60, 12)) as pilot:  # room for 9 rows under the header
        table = app.query_one(LossTable)
        rows = [{"epoch": i, "train_loss": abs(i - 3) + 1.0} for i in range(100)]
        table.show(rows)
        await pilot.pause()
        assert table.row_count == 9, "the best row, a gap, and the newest 7 rows"
        assert [table.get_row_at(0)[0], table.get_row_at(0)[-1]] == ["3", "★ best"]
        assert table.get_row_at(1)[0] == "…"
        assert [table.get_row_at(i)[0] for i in range(2, 9)] == [str(i) for i in range(93, 100)]
        assert table.max_scroll_y == 0, "every row shown fits: none scrolls out of view"
        shown = visible_text(table)
        assert "★ best" in shown, shown
        assert " 99 " in shown, shown
        table.show([*rows, {"epoch": 100, "train_loss": 0.5}])  # a new best: the newest row
        await pilot.pause()
        assert table.get_row_at(0)[0] == "92"
        assert table.get_row_at(table.row_count - 1)[-1] == "★ best"


async def test_a_best_row_among_the_last_rows_stays_in_view() -> None:
    """The best row is one of the last 15 rows, but older than the rows that fit."""
    app = LossTableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LossTable)
        rows = [{"epoch": i, "test_loss": abs(i - 90) + 1.0} for i in range(100)]
        table.show(rows)
        await pilot.pause()
        shown = visible_text(table)
        assert "★ best" in shown and " 90 " in shown, shown
        assert " 99 " in shown, shown
        await pilot.resize_terminal(60, 20)  # taller: more of the newest rows
        await pilot.pause()
        shown = visible_text(table)
        assert "★ best" in shown and " 99 " in shown and " 91 " in shown, shown


async def test_a_history_that_arrives_at_once_shows_its_newest_rows(tmp_path: Path) -> None:
    rows = [{"epoch": float(epoch), "train_loss": 1 / (epoch + 1)} for epoch in range(100)]
    app = one_step_app(
        tmp_path,
        "for epoch in range(100): track(epoch=epoch, train_loss=1 / (epoch + 1))",
        Reply([Metrics(0, rows[:1]), History(rows)]),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        table = app.query_one(LossTable)
        await until(pilot, lambda: table.row_count == room(table) < 15)  # fewer than 15 fit
        await pilot.pause(0.3)
        assert table.get_row_at(table.row_count - 1)[0] == "99"
        assert " 99 " in visible_text(table), "the newest rows are cut off"


async def test_an_emptied_then_restored_exercise_is_kept_as_restored(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("right", "right", "right", "right", "e")
        editor = app.query_one(StepView).editor
        starter = editor.text
        editor.load_text("")  # emptied...
        await pilot.pause()
        assert app.progress.code_for("practice", 0) == ""
        editor.load_text(starter)  # ...and the starter code put back
        await pilot.pause()
        assert app.progress.code_for("practice", 0) == starter


async def test_a_rewritten_line_and_a_result_show_as_in_a_notebook(tmp_path: Path) -> None:
    frames = [Output("stdout", f"\rEpoch {epoch}/30") for epoch in range(1, 31)]
    update = [
        Display({"text/plain": "loss 1.0"}, "live"),
        Display({"text/plain": "loss 0.1"}, "live", update=True),
    ]
    events = [*frames, Output("stdout", "\n"), *update, Result({"text/plain": "42"}, 1)]
    app = one_step_app(tmp_path, "train(); 6 * 7", Reply(events, pause_s=0.02))
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        line = app.query_one("#output-line", Static)
        await until(pilot, lambda: "Epoch" in str(line.content) and app.running)
        assert str(line.content).count("Epoch") == 1, "one line, rewritten in place"
        await ready(pilot, app)
        await until(pilot, lambda: "Out[1]: 42" in output_text(app), seconds=5)
        assert output_text(app).splitlines() == ["Epoch 30/30", "loss 0.1", "Out[1]: 42"]
        assert line.has_class("hidden"), "the run ended its line"


async def test_replays_say_what_they_leave_out_and_run_nothing_silently(make_app) -> None:
    session = basics_session()
    session.replies["kept = torch.arange"] = Reply(error=("RuntimeError", "broken on purpose"))
    app = make_app(session=session)
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "enter")  # replays step 1, which fails: step 2 does not run
        await ready(pilot, app)
        assert "Replaying basics step 1 (Make a tensor) failed" in status_text(app)
        notes = [n.message for n in app._notifications]
        assert (
            "Replaying basics step 1 (Make a tensor) failed, so the steps after it did not run."
            in notes
        ), notes
        assert app.runner.quarantined == {("basics", 0)}
        await pilot.press("R")
        await until(pilot, lambda: "Up to date but for" in status_text(app) and not app.running)
        assert "basics step 1 (Make a tensor)" in status_text(app)
        assert "up to date." not in status_text(app)
        await pilot.press("enter")
        await ready(pilot, app)
        assert "Left out basics step 1 (Make a tensor)" in output_text(app)


async def test_an_exercise_replayed_with_its_solution_is_not_marked_solved(
    tmp_path: Path,
) -> None:
    lesson = lesson_text(
        "Practice",
        lesson_step("Solve it", exercise="answer = None  # TODO", solution="answer = 42"),
        lesson_step("Use it", "print(answer)"),
        lesson_id="practice",
    )
    lessons = course(tmp_path / "lessons", {"01_practice.md": lesson})
    store = ProgressStore(tmp_path / "progress.json")
    session = ScriptedSession()
    app = TutorApp(lessons, session=session, store=store)
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "enter")
        await ready(pilot, app)
        assert session.ran == ["answer = 42", "print(answer)"], "replayed with the solution"
        assert app.progress.completed == {"practice": [1]}, "the exercise is still to do"
    assert store.load().completed == {"practice": [1]}


def notes(app: TutorApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_an_interrupt_is_reported_once_it_stopped_something(scripted_app) -> None:
    app = scripted_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "n")  # the endless loop (its earlier steps replay first)
        await pilot.press("enter")
        await until(pilot, lambda: app.runner.running == ("basics", 2))
        await pilot.press("ctrl+c")
        assert "Asking the code to stop…" in notes(app)
        await ready(pilot, app)
        assert "Interrupted. The session keeps its variables." in notes(app)
        assert "KeyboardInterrupt" in status_text(app)
        assert app.query_one("#hint").has_class("hidden"), "stopping a run is no mistake"


CAME_LATE = "The step ended before the interrupt reached it: nothing was stopped."


async def test_an_interrupt_that_came_too_late_says_nothing_was_stopped(tmp_path: Path) -> None:
    lines = [Output("stdout", f"line {i}\n") for i in range(20)]
    reply = Reply(lines, hang=True, ends_as_interrupted=True)
    app = one_step_app(tmp_path, "for i in range(20): print('line', i)", reply)
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await until(pilot, lambda: app.session.state is KernelState.BUSY)
        await pilot.press("ctrl+c")  # the scripted code does not stop: it ends on its own
        await ready(pilot, app)
        assert "passed" in status_text(app)
        # Said as the run's worker ends, a moment after the session is idle again.
        await until(pilot, lambda: CAME_LATE in notes(app))
        assert not any(n.startswith("Interrupted") for n in notes(app))


async def test_an_interrupt_that_crossed_the_end_of_the_step_says_nothing_was_stopped(
    tmp_path: Path,
) -> None:
    """ctrl+c after the step ended but while the run still tidies up (here, the Tensors
    tab waits for the session's answer): the interrupt reaches nothing, and it says so."""
    app = one_step_app(tmp_path, "x = 1", Reply([]))
    answer = asyncio.Event()
    asked = app.session.inspect

    async def slow_inspect() -> list:
        await answer.wait()
        return await asked()

    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        app.session.inspect = slow_inspect  # type: ignore[method-assign]
        await pilot.press("enter")
        await until(pilot, lambda: "passed" in status_text(app) and app.running)
        await pilot.press("ctrl+c")
        assert "Asking the code to stop…" in notes(app)
        answer.set()
        await ready(pilot, app)
        await until(pilot, lambda: CAME_LATE in notes(app))
        assert not any(n.startswith("Interrupted") for n in notes(app))


async def test_an_interrupt_stops_the_replay_and_says_what_the_session_holds(
    make_app, store: ProgressStore
) -> None:
    store.save(Progress(lesson_id="basics", step=3, completed={"basics": [0, 1, 2]}))
    session = basics_session()
    session.replies["for epoch in progress"] = Reply(hang=True)  # a long training loop
    app = make_app(session=session)
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: "Replaying basics step 2" in status_text(app))
        await until(pilot, lambda: session.state is KernelState.BUSY)
        await pilot.press("ctrl+c")
        await ready(pilot, app)
        assert app.runner.held == {("basics", 0)}, "the steps not replayed are not held"
        assert not any("while True" in code for code in session.ran), "the replay went on"
        assert app.runner.quarantined == frozenset(), "stopping a replay is no failure"
        status = status_text(app)
        assert "Replay interrupted at basics step 2 (Train a little)" in status
        assert "not that one and the 1 after it" in status
        assert not any(n.startswith("Interrupted.") for n in notes(app))
        assert any(n.startswith("Replay interrupted: 2 steps not replayed") for n in notes(app))


async def test_a_new_run_and_a_restart_put_away_the_last_hint(make_app) -> None:
    session = basics_session()
    session.replies["while True"] = Reply()  # the endless loop ends, so that it replays
    session.replies["total = float"] = Reply(error=("NameError", "name 'kept' is not defined"))
    app = make_app(session=session)
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "n", "n", "enter")  # "Use what was kept", which fails
        await ready(pilot, app)
        hint = app.query_one("#hint", Static)
        assert not hint.has_class("hidden")
        first, *_rest = plain(hint.content).splitlines()
        assert first.strip() == "Hint.", "the hint's own text starts on a line of its own"
        session.replies.pop("total = float")
        await pilot.press("enter")
        await until(pilot, lambda: "passed" in status_text(app) and not app.running)
        assert hint.has_class("hidden"), "a hint of the last run stayed under ✓ passed"
        session.replies["total = float"] = Reply(error=("NameError", "name 'kept' is not defined"))
        await pilot.press("enter")  # fails again: its hint shows, until the restart
        await ready(pilot, app)
        assert not hint.has_class("hidden")
        await pilot.press("R")
        await until(pilot, lambda: "up to date" in status_text(app) and not app.running)
        assert hint.has_class("hidden")


async def test_the_lesson_list_shows_each_broken_file_dimmed_and_not_selectable(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "lessons"
    course(directory, {"01_basics.md": BASICS})
    (directory / "02_broken.md").write_text(
        "---\ntitle: Broken\nrequire: [x]\n---\n\n## A step\n\n```python\nx = (\n```\n"
    )
    (directory / "03_typo.md").write_text(
        "---\ntitle: Typo\nrequires: []\n---\n\n## A step\n\n```python chekc\nx = 1\n```\n"
    )
    lessons = load_lessons(directory)
    app = TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("l", "l")  # beside the step at 160 columns: l hides it, l again
        lesson_list = app.query_one("#lesson-list", OptionList)
        assert lesson_list.has_focus
        prompts = [
            plain(lesson_list.get_option_at_index(i).prompt).strip()
            for i in range(lesson_list.option_count)
        ]
        assert prompts[1:] == [
            "✗ 02_broken.md:3: unknown front matter key 'require' (known: id, requires, "
            "title) (+1 more)",
            "✗ 03_typo.md:8: unknown python block tag 'chekc' (known: 'check', 'exercise', "
            "'solution')",
        ]
        assert [lesson_list.get_option_at_index(i).disabled for i in range(3)] == [
            False,
            True,
            True,
        ]
        await pilot.press("down", "down", "enter")
        assert lesson_list.highlighted == 0, "a broken file is never highlighted"
        assert (app.lesson.id, app.step_index) == ("basics", 0)


async def test_a_lesson_file_with_a_problem_is_named_not_dropped_silently(tmp_path: Path) -> None:
    directory = tmp_path / "lessons"
    course(directory, {"01_basics.md": BASICS})
    (directory / "02_broken.md").write_text(
        "---\ntitle: Broken\n---\n\n## A step\n\n```python\nx = 1\n"
    )
    lessons = load_lessons(directory)
    assert lessons.errors, "the broken file must be reported by the loader"
    app = TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        [note] = [n for n in app._notifications if "lesson file problem" in n.title]
        assert f"{directory / '02_broken.md'}:" in note.message
        assert str(lessons.errors[0]) in note.message


async def test_the_notice_of_many_problems_checks_the_folder_the_app_was_given(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "my lessons"
    course(directory, {"01_basics.md": BASICS})
    for n in range(2, 9):  # seven files, one problem each: five are shown, two are not
        (directory / f"0{n}_broken.md").write_text(
            "---\ntitle: Broken\n---\n\n## A step\n\n```python\n"
        )
    lessons = load_lessons(directory)
    assert len(lessons.errors) == 7, lessons.errors
    app = TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        [note] = [n for n in app._notifications if "lesson file problem" in n.title]
        last = note.message.splitlines()[-1]
        assert last == f"… and 2 more (python -m tutor --check --lessons '{directory}')", last


def test_the_bundled_lessons_are_checked_without_naming_their_folder() -> None:
    assert check_command(bundled_lessons_dir()) == "python -m tutor --check"


# --------------------------------------------------------------------------- plots


class PlotApp(App[None]):
    def compose(self) -> ComposeResult:
        from tutor.tui.widgets.plot_view import PlotView

        yield PlotView()


def plot_lines(app: App) -> list[str]:
    from tutor.tui.widgets.plot_view import PlotView

    return cast(Text, app.query_one(PlotView).render()).plain.splitlines()


LOSS_ROWS = [
    {"epoch": epoch, "train_loss": 1.0 if epoch < 50 else 0.5, "test_loss": 0.1}
    for epoch in range(1000)
]


async def test_the_plot_legend_covers_no_data_and_epochs_tick_as_whole_numbers() -> None:
    from tutor.tui.widgets.plot_view import PlotView

    app = PlotApp()
    async with app.run_test(size=(60, 20)) as pilot:
        app.query_one(PlotView).show_history(LOSS_ROWS)
        await pilot.pause()
        lines = plot_lines(app)
        legend = [line for line in lines if "train_loss" in line or "test_loss" in line]
        assert len(legend) == 2, lines
        for line in legend:  # after the label, nothing until the frame
            label_end = line.index("_loss") + len("_loss")
            assert line[label_end:].rstrip("│ ") == "", f"data drawn into the legend: {line!r}"
        ticks = next(line for line in lines if "└" in line)
        numbers = lines[lines.index(ticks) + 1].split()
        assert numbers and all(number.isdigit() for number in numbers), numbers


async def test_under_no_color_each_curve_has_its_own_marker(monkeypatch) -> None:
    from tutor.render import TEXT_MARKERS
    from tutor.tui.widgets.plot_view import PlotView

    monkeypatch.setenv("NO_COLOR", "1")
    app = PlotApp()
    async with app.run_test(size=(60, 20)) as pilot:
        app.query_one(PlotView).show_history(LOSS_ROWS)
        await pilot.pause()
        lines = plot_lines(app)
    legend = [re.search(r"(\S\S) (train|test)_loss", line) for line in lines]
    markers = [match[1] for match in legend if match]
    assert markers == [TEXT_MARKERS[0] * 2, TEXT_MARKERS[1] * 2], lines


# --------------------------------------------------------------------------- wrapping


LONG_LINE = "    optimizers.append(torch.optim.SGD(params=model.parameters(), lr=learning_rate))"


def code_lines(app: TutorApp) -> list[str]:
    """The step's code as the step view draws it now, line by line."""
    code = app.query_one("#code", Static)
    return [
        "".join(segment.text for segment in code.render_line(y)).rstrip()
        for y in range(code.region.height)
    ]


def test_a_code_line_wraps_after_a_comma_before_anything_else() -> None:
    from tutor.tui.widgets.step_view import wrap_code_line

    line = "optimizer = torch.optim.SGD(params=model_1.parameters(), lr=0.01)"
    pieces = [piece.plain for piece in wrap_code_line(Text(line), 60)]
    assert pieces == ["optimizer = torch.optim.SGD(params=model_1.parameters(),", "  ↪ lr=0.01)"]
    assert [piece.plain for piece in wrap_code_line(Text(line), 80)] == [line]


def test_a_code_line_without_spaces_wraps_at_brackets_and_dots_then_inside_names() -> None:
    from tutor.tui.widgets.step_view import wrap_code_line

    line = "        result=compute(first_argument_value,second_argument_value)"
    pieces = [piece.plain for piece in wrap_code_line(Text(line), 44)]
    assert pieces == [
        "        result=compute(first_argument_value,",
        "          ↪ second_argument_value)",
    ]
    name = "x" * 50
    pieces = [piece.plain for piece in wrap_code_line(Text(name), 30)]
    assert pieces == ["x" * 30, "  ↪ " + "x" * 20], "a name wider than the room is folded"
    assert all(len(piece) <= 30 for piece in pieces)


def test_wrapped_code_keeps_its_highlighting() -> None:
    from tutor.tui.widgets.step_view import CodeLines

    console = Console(width=40, file=io.StringIO(), color_system="truecolor")
    code = 'def f():\n    print("a string that goes on and on", 12345, "and on and on")'
    lines = console.render_lines(CodeLines(code), pad=False)
    wrapped = ["".join(s.text for s in line) for line in lines]
    assert len(wrapped) == 3 and all(len(line) <= 40 for line in wrapped), wrapped
    for piece in lines[1:]:  # the string and the number keep their colours when wrapped
        assert any(s.style and s.style.color for s in piece if s.text.strip()), piece


async def test_wrapped_code_keeps_its_indentation_and_its_names_whole(tmp_path: Path) -> None:
    code = f"for learning_rate in (0.1, 0.01):\n{LONG_LINE}\nprint('done')"
    app = one_step_app(tmp_path, code, Reply([]))
    app.start_session_on_mount = False
    async with app.run_test(size=(60, 24)) as pilot:
        await until(pilot, lambda: bool(app.query("#no-training")))  # built after the first frame
        await pilot.pause(0.2)  # code is highlighted a frame later
        lines = [line for line in code_lines(app) if line.strip()]
        assert lines[0] == "for learning_rate in (0.1, 0.01):"
        assert lines[-1] == "print('done')"
        wrapped = lines[1:-1]
        assert len(wrapped) > 1, lines
        assert wrapped[0].startswith("    optimizers.append(")
        for line in wrapped[1:]:
            assert line.startswith("      ↪ "), f"a wrapped piece lost its indentation: {line!r}"
        joined = "".join(line.removeprefix("      ↪ ") for line in wrapped)
        assert joined.replace(" ", "") == LONG_LINE.replace(" ", ""), "code lost or changed"
        for name in ("parameters", "learning_rate", "optimizers"):
            assert any(name in line for line in wrapped), f"{name} was cut in two"


async def test_output_wraps_again_when_the_terminal_narrows(tmp_path: Path) -> None:
    words = " ".join(f"word{i}" for i in range(60)) + "\n"
    app = one_step_app(tmp_path, "print(words)", Reply([Output("stdout", words)]))
    async with app.run_test(size=(100, 30)) as pilot:  # the step has all 100 columns
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        await until(pilot, lambda: "word59" in output_text(app), seconds=5)
        log = app.query_one("#output", RichLog)
        await pilot.resize_terminal(120, 30)  # the panel beside it: the step is narrower
        await pilot.pause(0.2)
        width = log.scrollable_content_region.width
        assert max(line.cell_length for line in log.lines) <= width, "long lines are cut"
        assert "word59" in output_text(app)


# --------------------------------------------------------------------------- small terminals


async def test_a_wide_terminal_gives_the_step_at_least_a_small_ones_width(make_app) -> None:
    widths = {}
    for size in ((80, 24), (120, 40), (160, 45), (200, 50)):
        app = make_app(start_session=False)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            widths[size[0]] = app.query_one(StepView).size.width
    assert widths[160] >= widths[80] and widths[200] >= widths[80], widths
    assert widths[200] > widths[160], "a wider terminal gives the step the extra room"


async def test_a_small_terminal_shows_the_step_or_the_panel_and_v_switches(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert shown(app, "#step") and app.query_one("#step").region.height == 22
        assert not app.query_one("#session").region, "the panel waits for its turn"
        footer_keys = {key.description for key in app.screen.query("FooterKey")}
        assert "Panel" in footer_keys, footer_keys
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Panel" in titles, "the command palette offers the switch"
        await pilot.press("v")
        await pilot.pause()
        assert app.query_one("#session").region.height == 22, "the panel takes the screen"
        assert not app.query_one("#step").region
        await pilot.press("v")
        await pilot.pause()
        assert app.query_one("#step").region.height == 22 and not app.query_one("#session").region
        await pilot.press("2")  # a tab's key shows the panel with that tab
        await pilot.pause()
        assert app.query_one("#session").region.height == 22
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.query_one("#step").region and app.query_one("#session").region
        assert app.check_action("toggle_panel", ()) is False, "both show: nothing to switch"


def training_app(tmp_path: Path, pause_s: float) -> TutorApp:
    """A one-step course whose loop streams 30 rows of metrics, ``pause_s`` apart."""
    rows = [{"epoch": float(epoch), "train_loss": 1 / (epoch + 1)} for epoch in range(30)]
    events = [Metrics(epoch, [row]) for epoch, row in enumerate(rows)]
    code = "for epoch in range(30): track(epoch=epoch, train_loss=1 / (epoch + 1))"
    return one_step_app(tmp_path, code, Reply([*events, History(rows)], pause_s=pause_s))


async def test_a_loop_takes_a_small_screen_for_its_curves_and_gives_it_back(
    tmp_path: Path,
) -> None:
    app = training_app(tmp_path, pause_s=0.06)  # about 2 s
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await until(pilot, lambda: app.query_one(LossTable).row_count > 0)
        assert app.query_one("#step").region, "a loop gets the screen only once it lasts"
        await until(pilot, lambda: bool(app.query_one("#session").region), seconds=5)
        assert app.running and app.query_one("#session").region.height == 22
        await ready(pilot, app)
        await pilot.pause()
        assert app.query_one("#step").region.height == 22, "the verdict's turn once it ends"
        assert "passed" in status_text(app)
        assert any("v shows its table" in n.message for n in app._notifications)


async def test_a_short_loop_leaves_a_small_screen_to_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loop of about 0.6 s, well under the time after which a loop takes the screen
    # (made 2 s here, so that a busy machine cannot stretch the loop past it).
    monkeypatch.setattr(tutor.tui.app, "LOOP_TAKES_SCREEN_S", 2.0)
    app = training_app(tmp_path, pause_s=0.02)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await until(pilot, lambda: app.running)
        while app.running:
            assert app.query_one("#step").region and not app.query_one("#session").region
            await pilot.pause(0.02)
        await pilot.pause(2.2)  # past the time it would have taken the screen
        assert app.query_one("#step").region and not app.query_one("#session").region


async def test_output_drawn_while_the_step_is_hidden_wraps_to_its_width(tmp_path: Path) -> None:
    words = " ".join(f"word{i}" for i in range(40)) + "\n"
    app = one_step_app(tmp_path, "print(words)", Reply([Output("stdout", words)]))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("v", "enter")  # the panel has the screen while the step runs
        await ready(pilot, app)
        await pilot.press("v")
        log = app.query_one("#output", RichLog)
        await until(pilot, lambda: "word39" in output_text(app), seconds=5)
        await pilot.pause()
        width = log.scrollable_content_region.width
        assert width > 60
        assert max(line.cell_length for line in log.lines) > width - 10, "wrapped too narrow"
        assert max(line.cell_length for line in log.lines) <= width


BROKEN_FRONT_MATTER = "---\ntitle: [Second\n---\n\n## One\n\n```python\nx = 1\n```\n"


def _with_a_broken_second_lesson(tmp_path: Path) -> LessonSet:
    return load_lessons(
        write_lesson_dir(
            tmp_path / "lessons",
            {
                "01_first.md": lesson_text(
                    "First", lesson_step("Start", "a = 1"), lesson_step("Go on", "b = 2")
                ),
                "02_second.md": BROKEN_FRONT_MATTER,
            },
        )
    )


async def test_a_saved_place_in_a_lesson_that_does_not_load_stays_saved(
    tmp_path: Path, store: ProgressStore, monkeypatch
) -> None:
    """Opened on a folder where the learner's lesson is broken, the app starts at the
    course's start, says so, and keeps the saved place until the learner moves."""
    monkeypatch.chdir(tmp_path)
    lessons = _with_a_broken_second_lesson(tmp_path)
    assert lessons.left_out == {"second": lessons.directory / "02_second.md"}
    store.save(Progress(lesson_id="second", step=3, completed={"first": [0, 1]}))
    app = TutorApp(lessons, device="cpu", store=store, start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert (app.lesson.id, app.step_index) == ("first", 0)
        notes = [n.message for n in app._notifications]
        assert any("Your place, step 4 of lesson 'second'" in note for note in notes), notes
    kept = store.load()
    assert (kept.lesson_id, kept.step, kept.completed) == ("second", 3, {"first": [0, 1]})
    app = TutorApp(lessons, device="cpu", store=store, start_session=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await until(pilot, lambda: app.step_index == 1)
    assert (store.load().lesson_id, store.load().step) == ("first", 1), "a place chosen is saved"


async def test_a_saved_place_waits_for_its_lesson_to_load_again_under_watch(
    tmp_path: Path, store: ProgressStore, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lessons = _with_a_broken_second_lesson(tmp_path)
    store.save(Progress(lesson_id="second", step=0))
    app = TutorApp(lessons, device="cpu", store=store, start_session=False, watch=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert app.lesson.id == "first"
        await asyncio.sleep(0.3)  # the watcher is set up
        fixed = BROKEN_FRONT_MATTER.replace("[Second", "Second")
        (lessons.directory / "02_second.md").write_text(fixed)
        await until(pilot, lambda: app.lesson.id == "second", seconds=10)
        assert app.step_index == 0
        notes = [n.message for n in app._notifications]
        assert not any("Your place" in note for note in notes), "the old notice went"
        assert any("second" in note for note in notes), notes
    assert store.load().lesson_id == "second"


async def test_a_replay_of_the_step_shown_that_fails_says_why_there(
    make_app, store: ProgressStore
) -> None:
    """Reopened on a finished step whose replay fails: its error shows on it, not a
    "go to that step" pointing at the step already shown."""
    store.save(Progress(lesson_id="basics", step=1, completed={"basics": [0, 1]}))
    session = basics_session()
    session.replies["for epoch in progress"] = Reply(error=("RuntimeError", "no more data"))
    app = make_app(session=session)
    async with app.run_test(size=(100, 32)) as pilot:
        assert (app.lesson.id, app.step_index) == ("basics", 1)
        await until(pilot, lambda: "RuntimeError" in status_text(app), seconds=10)
        assert "when replayed" in status_text(app)
        assert "Go to that step" not in status_text(app)


async def test_a_replay_alone_leaves_the_steps_top_in_view(
    tmp_path: Path, store: ProgressStore, monkeypatch
) -> None:
    """Reopened on a long step, and after R: the replay shows no output, so the view
    stays on the step's title and instructions rather than following to its end."""
    monkeypatch.chdir(tmp_path)
    prose = "\n\n".join(f"Paragraph {n} of the instructions." for n in range(30))
    lessons = course(
        tmp_path / "lessons",
        {
            "01_long.md": lesson_text(
                "Long",
                lesson_step("First", "a = 1"),
                lesson_step("Second", "b = a + 1", prose=prose),
                lesson_id="long",
            )
        },
    )
    store.save(Progress(lesson_id="long", step=1, completed={"long": [0]}))
    app = TutorApp(lessons, device="cpu", store=store, session=ScriptedSession())
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(StepView)
        await until(pilot, lambda: "up to date" in status_text(app) and not app.running)
        await pilot.pause()
        assert view.max_scroll_y > 0, "the step is longer than the view"
        assert view.scroll_y == 0
        await pilot.press("R")
        await until(pilot, lambda: "up to date" in status_text(app) and not app.running)
        await pilot.pause()
        assert view.scroll_y == 0


async def test_the_tensors_tab_says_what_it_will_hold_until_there_are_some(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        panel = app.query_one(SessionPanel)
        assert shown(app, "#no-tensors") and not shown(app, "#inspector")
        assert "No tensors yet" in str(app.query_one("#no-tensors", Static).content)
        panel.show_tensors(basics_session().tensors)
        await pilot.pause()
        assert shown(app, "#inspector") and not shown(app, "#no-tensors")
        assert app.query_one(TensorInspector).get_row("kept")[1] == "[6]"
        panel.clear()  # a restart: the session holds nothing
        await pilot.pause()
        assert shown(app, "#no-tensors") and not shown(app, "#inspector")
