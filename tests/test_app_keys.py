"""The app's keys and focus, driven with Pilot: the keys shown are the keys that work.

The footer, the help screen and the command palette are all built from one
binding table (tutor/tui/keys.py); these tests press the keys each one offers,
wherever the focus is, and check that they do what they say.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from tests.builders import course, lesson_step, lesson_text
from tests.scripted import Reply, ScriptedSession, basics_session
from tests.test_app import plain, ready, shown, until
from tutor.lessons import LessonSet
from tutor.progress import ProgressStore
from tutor.session import KernelState
from tutor.tui.app import TutorApp
from tutor.tui.widgets.lesson_list import LessonList
from tutor.tui.widgets.session_panel import SessionPanel
from tutor.tui.widgets.step_view import StepView
from tutor.tui.widgets.tensor_inspector import TensorInspector
from tutor.tui.widgets.top_bar import TopBar


@pytest.fixture
def make_app(app_lessons: LessonSet, store: ProgressStore, tmp_path: Path, monkeypatch):
    """The app over a scripted session (no kernel); ``session=`` swaps in another."""
    monkeypatch.chdir(tmp_path)

    def make(**kwargs) -> TutorApp:
        kwargs.setdefault("session", basics_session())
        return TutorApp(app_lessons, device="cpu", store=store, **kwargs)

    return make


def footer(app: TutorApp) -> dict[str, str]:
    """What the footer shows now: its keys as drawn, with their words, enabled ones only
    (the command palette's own key, there from 110 columns, left out)."""
    keys = app.screen.query("FooterKey")
    return {
        key.key_display: key.description  # type: ignore[attr-defined]
        for key in keys
        if not key.has_class("-disabled") and not key.has_class("-command-palette")
    }


async def settled(pilot) -> None:
    """Until the footer has been rebuilt for the latest focus and state."""
    await pilot.pause()
    await pilot.pause()


async def to_the_exercise(pilot, app: TutorApp) -> None:
    await ready(pilot, app)
    await pilot.press("right", "right", "right", "right")
    assert app.lesson.id == "practice"
    await settled(pilot)


# -- the help screen -----------------------------------------------------------------
async def test_the_help_screen_scrolls_at_once_and_says_how_to_move(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await settled(pilot)
        scroll = app.screen.query_one(VerticalScroll)
        assert app.focused is scroll, "the keys scroll the help without a tab first"
        assert scroll.max_scroll_y > 0, "at 80x24 the help is longer than its box"
        await pilot.press("down")
        assert scroll.scroll_y == 1
        await pilot.press("pagedown", "end")
        await settled(pilot)
        assert scroll.scroll_y == scroll.max_scroll_y
        text = plain(app.screen.query_one(Static).content)
        for line in (
            "tab, shift+tab  Move the focus",
            "↑, ↓            Scroll a line",
            "pgup, pgdn      Scroll a page",
            "^r     In the exercise editor: run this step (enter types a new line there)",
            "esc    Leave the editor or the console",
        ):
            assert line in text, text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ != "HelpScreen"


async def test_a_long_docstring_scrolls_at_once(make_app) -> None:
    from tutor.tui.screens.docstring import DocstringScreen

    app = make_app(start_session=False)
    async with app.run_test(size=(80, 24)) as pilot:
        text = "\n".join(f"line {n} of the docstring" for n in range(60))
        await app.push_screen(DocstringScreen("torch.arange", text))
        await settled(pilot)
        scroll = app.screen.query_one(VerticalScroll)
        assert app.focused is scroll and scroll.max_scroll_y > 0
        await pilot.press("end")
        await settled(pilot)
        assert scroll.scroll_y == scroll.max_scroll_y


# -- the command palette ------------------------------------------------------------
async def test_the_command_palette_offers_each_action_that_applies_once(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        commands = list(app.get_system_commands(app.screen))
        titles = [command.title for command in commands]
        assert len(titles) == len(set(titles)), f"an action offered twice: {sorted(titles)}"
        lowercase = [c.title for c in commands if c.help and c.help[0].islower()]
        assert lowercase == [], "each command's line reads as a sentence, capital first"
        for title in ("Run", "Run up to here", "Restart", "Quit", "Help", "Reset progress"):
            assert title in titles
        for title in ("Training tab", "Plot tab", "Tensors tab"):
            assert title in titles
        assert "Interrupt" not in titles, "nothing runs: interrupt does not apply"
        assert "Solution" not in titles, "this step is no exercise"
        assert "Hint" not in titles, "this step has no hint of its own"
        await pilot.press("right", "right", "right", "right", "e")
        await settled(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Solution", "Hint", "Leave editor", "Help on name"} <= set(titles)


async def test_every_key_the_footer_shows_is_in_the_command_palette_with_that_key(
    make_app,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await to_the_exercise(pilot, app)
        for keys in ((), ("e",), ("escape", "l", "l"), ("c",)):
            await pilot.press(*keys)
            await settled(pilot)
            commands = list(app.get_system_commands(app.screen))
            shown_keys = footer(app)
            assert shown_keys, "the footer shows keys"
            for key, word in shown_keys.items():
                named = [command for command in commands if command.title == word]
                assert len(named) == 1, f"after {keys}: {word!r} offered {len(named)} times"
                assert key in named[0].help, f"after {keys}: {word!r}'s key {key} not named"


async def test_a_command_chosen_in_the_palette_runs(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        await until(pilot, lambda: bool(app.query("#session-tabs")))  # built after a frame
        await pilot.press("ctrl+p")
        await settled(pilot)
        await pilot.press(*"Tensors tab", "enter")
        await until(pilot, lambda: app.query_one("#session-tabs").active == "tensors", 5)
        assert app.screen.__class__.__name__ != "CommandPalette"
        # What applies is judged where the palette was opened: here, in the editor.
        await pilot.press("right", "right", "right", "right", "e", "ctrl+p")
        await settled(pilot)
        await pilot.press(*"Leave editor", "enter")
        await until(pilot, lambda: app.focused is app.query_one(StepView), 5)


# -- focus: the keys shown are the keys that work -------------------------------------
async def test_in_the_exercise_editor_the_footer_shows_the_keys_that_work_there(
    make_app,
) -> None:
    session = basics_session()
    app = make_app(session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_the_exercise(pilot, app)
        await pilot.press("tab")  # from the step into the editor
        await settled(pilot)
        editor = app.query_one(StepView).editor
        assert app.focused is editor
        keys = footer(app)
        assert keys.get("^r") == "Run", keys
        assert keys.get("esc") == "Leave editor", keys
        assert "⏎" not in keys, f"enter types a new line here, it does not run: {keys}"
        before = editor.text
        await pilot.press("end", "enter")
        assert editor.text == before + "\n" and not app.running
        ran = len(session.ran)
        await pilot.press("ctrl+r")
        await ready(pilot, app)
        assert len(session.ran) > ran, "ctrl+r ran the step from the editor"
        assert app.focused is editor, "running from the editor leaves the focus there"
        await pilot.press("escape")
        await settled(pilot)
        assert app.focused is app.query_one(StepView)
        assert footer(app).get("⏎") == "Run"


async def test_enter_runs_the_step_from_the_session_panel_as_the_footer_says(make_app) -> None:
    session = basics_session()
    app = make_app(session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        await pilot.press("3")  # the Tensors tab, beside the step, which now has a row
        await until(pilot, lambda: app.query_one(TensorInspector).row_count > 0)
        await pilot.press("shift+tab")  # back from the step: into the panel
        await settled(pilot)
        assert isinstance(app.focused, TensorInspector)
        assert footer(app).get("⏎") == "Run", footer(app)
        ran = len(session.ran)
        await pilot.press("enter")
        await ready(pilot, app)
        assert len(session.ran) > ran, "enter in the panel ran the step"


# -- the lesson list -----------------------------------------------------------------
@pytest.mark.parametrize("size", [(120, 40), (160, 45)], ids=["120x40", "160x45"])
async def test_l_toggles_the_lesson_list_at_every_size_on_the_current_lesson(
    make_app, size: tuple[int, int]
) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=size) as pilot:
        lessons = app.query_one(LessonList)
        await pilot.press("right", "right", "right", "right")
        assert app.lesson_index == 1
        if shown(app, "#lesson-list"):  # beside the step in a wide terminal: l hides it
            await pilot.press("l")
            assert not shown(app, "#lesson-list")
            assert app.focused is app.query_one(StepView)
        await pilot.press("l")
        assert shown(app, "#lesson-list") and app.focused is lessons
        assert lessons.highlighted == 1, "the list opens on the current lesson"
        await pilot.press("l")
        assert not shown(app, "#lesson-list")
        assert app.focused is app.query_one(StepView)
        await pilot.press("p", "l")
        assert shown(app, "#lesson-list") and lessons.highlighted == 0


@pytest.mark.parametrize("size", [(100, 30), (160, 45)], ids=["100x30", "160x45"])
async def test_escape_puts_the_lesson_list_away_as_choosing_a_lesson_does(
    make_app, size: tuple[int, int]
) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=size) as pilot:
        beside = shown(app, "#lesson-list")  # in a wide terminal, the layout shows it
        await pilot.press(*(["l", "l"] if beside else ["l"]))  # l first hides a list shown
        assert shown(app, "#lesson-list") and app.focused is app.query_one(LessonList)
        await pilot.press("down", "escape")
        await settled(pilot)
        lesson_list = app.query_one(LessonList)
        assert lesson_list.display is beside, "escape left the list where it was"
        assert bool(lesson_list.region) is beside, "hidden, but still drawn"
        assert app.focused is app.query_one(StepView)
        assert app.lesson_index == 0, "escape opens no lesson"


async def test_a_lesson_chosen_on_a_small_screen_shows_its_step_not_the_panel(make_app) -> None:
    """Under 110 columns the panel takes the screen (here for its Tensors tab); choosing
    a lesson in the list shows that lesson's step."""
    app = make_app(start_session=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settled(pilot)
        assert app.query_one("#main").has_class("-panel")
        await pilot.press("l", "down", "enter")
        await settled(pilot)
        assert app.lesson_index == 1
        assert not app.query_one("#main").has_class("-panel")
        assert app.query_one(StepView).region and not app.query_one(SessionPanel).region


def one_lesson_app(tmp_path: Path, title: str) -> TutorApp:
    """The app, with no session, on a course of one lesson of one step titled ``title``."""
    lessons = course(
        tmp_path / "lessons",
        {"01_long.md": lesson_text(title, lesson_step("A step", "x = 1"), lesson_id="long")},
    )
    return TutorApp(lessons, store=ProgressStore(tmp_path / "p.json"), start_session=False)


async def test_a_long_lesson_title_wraps_under_itself_not_under_its_mark(tmp_path: Path) -> None:
    title = "Putting it all together, on any device"
    app = one_lesson_app(tmp_path, title)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await settled(pilot)
        lesson_list = app.query_one(LessonList)
        rows = [strip.text for strip in lesson_list.render_lines(lesson_list.size.region)]
        first = next(i for i, row in enumerate(rows) if "1. Putting" in row)
        last = next(i for i, row in enumerate(rows) if "0/1" in row)
        entry = rows[first : last + 1]
        assert len(entry) > 1, f"the title should wrap at this width: {entry}"
        column = entry[0].index("Putting")
        for row in entry[1:]:
            assert row[:column].strip("│ ") == "" and row[column] != " ", entry


# -- the footer ----------------------------------------------------------------------
def footer_overflow(app: TutorApp) -> list[str]:
    """The footer's keys drawn, wholly or in part, past the room the footer has for them
    (under the command palette's key, or off its right edge)."""
    keys = list(app.screen.query("FooterKey"))
    palette = [key for key in keys if key.has_class("-command-palette")]
    room = palette[0].region.x if palette else app.screen.query_one("Footer").region.right
    return [
        f"{key.key_display} {key.description}"  # type: ignore[attr-defined]
        for key in keys
        if key not in palette and key.region.right > room
    ]


@pytest.mark.parametrize("width", [80, 100, 109, 110, 149, 150, 200])
async def test_the_footer_fits_and_always_shows_help_and_quit(make_app, width: int) -> None:
    """On a step, on an exercise, in the editor, in the lesson list, and while a step
    runs: the footer never runs out of room, and where ? is not typed it shows Help."""
    session = basics_session()
    session.replies["answer"] = Reply(hang=True)  # the exercise runs until interrupted
    app = make_app(session=session)
    async with app.run_test(size=(width, 30)) as pilot:
        await ready(pilot, app)

        async def check(where: str, *, help_shown: bool = True) -> None:
            await settled(pilot)
            keys = footer(app)
            assert not footer_overflow(app), f"{where}: past the footer's room: {keys}"
            assert keys.get("^q") == "Quit", f"{where}: {keys}"
            if help_shown:
                assert keys.get("?") == "Help", f"{where}: {keys}"

        await check("a step")
        await pilot.press("right", "right", "right", "right")
        await check("an exercise")
        await pilot.press("tab")
        await check("the exercise editor", help_shown=False)  # there ? is typed
        await pilot.press("escape")
        if shown(app, "#lesson-list"):
            await pilot.press("l")
        await pilot.press("l")
        await check("the lesson list")
        await pilot.press("escape", "enter")
        await until(pilot, lambda: app.check_action("interrupt", ()) is True, 5)
        await check("a running exercise")
        await pilot.press("ctrl+c")
        await ready(pilot, app)
        await pilot.resize_terminal(200 if width < 150 else 80, 30)
        await pilot.resize_terminal(width, 30)
        await check("an exercise, after a resize")


# -- the top bar ---------------------------------------------------------------------
class SlowRestart(ScriptedSession):
    """A scripted session whose restart waits, as a kernel being killed does, in its old
    state, until ``let_go`` is set."""

    def __init__(self, **fields) -> None:
        super().__init__(**fields)
        self.let_go = asyncio.Event()
        self.restarting = asyncio.Event()

    async def restart(self) -> None:
        self.restarting.set()
        await self.let_go.wait()
        await super().restart()


async def test_the_top_bar_says_restarting_while_the_session_restarts(make_app) -> None:
    session = SlowRestart(replies=basics_session().replies)
    app = make_app(session=session)
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot, app)
        top = app.query_one(TopBar)
        # The session's state reaches the top bar as a message: it may be a frame behind.
        await until(pilot, lambda: "idle" in str(top.render()), 5)
        # Should the app hang on the restart, the session ends it after a while.
        asyncio.get_running_loop().call_later(10, session.let_go.set)
        await pilot.press("R")
        await until(pilot, session.restarting.is_set, 5)
        await settled(pilot)
        assert not session.let_go.is_set(), "the app stopped answering while the session restarted"
        assert session.state is KernelState.IDLE, "the session has not said anything yet"
        assert "restarting" in str(top.render()), top.render()
        assert app.check_action("run_step", ()) is False, "no run while it restarts"
        await pilot.press("n")
        assert app.step_index == 1, "the keys are answered while it restarts"
        session.let_go.set()
        await ready(pilot, app)
        await until(pilot, lambda: "idle" in str(top.render()), 5)
        assert "restarting" not in str(top.render())


async def test_the_help_screens_footer_shows_its_own_keys(make_app) -> None:
    """Not the keys of the step beneath it, which do nothing while the help is open."""
    from textual.widgets._footer import FooterKey

    app = make_app(start_session=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await settled(pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        shown = [key.description for key in app.screen.query(FooterKey)]
        assert shown == ["Close"], shown


async def test_a_title_too_long_for_the_top_bar_ends_in_an_ellipsis(tmp_path: Path) -> None:
    title = "Putting it all together, on any device, with every step of the workflow"
    app = one_lesson_app(tmp_path, title)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        bar = app.query_one(TopBar)
        line = bar.render_line(0).text.rstrip()
        assert line.endswith("…"), line
        assert "Step 1/1" in line, "where the learner is comes before the cut"
