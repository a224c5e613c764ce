"""The console, completion and help from the session, and the learner's own editor.

The app's policy runs over the scripted session (tests/scripted.py); the tests
marked ``kernel`` run console code in a real one.
"""

from __future__ import annotations

import contextlib
import shlex
from pathlib import Path

import pytest
from textual.widgets import RichLog

from tests.scripted import Reply, ScriptedSession, basics_session
from tests.test_app import ready, until
from tutor.lessons import LessonSet
from tutor.progress import ProgressStore
from tutor.session import KernelState, Output, Result
from tutor.tui.app import TutorApp
from tutor.tui.external_editor import edit_externally, editor_command
from tutor.tui.widgets.console_input import ConsoleInput, is_unfinished
from tutor.tui.widgets.scratch_console import ScratchConsole
from tutor.tui.widgets.session_panel import SessionPanel
from tutor.tui.widgets.step_view import StepView

WORDS = {"torch.arange": "function", "torch.argmax": "function", "torch.zeros": "function"}
DOCS = {"torch.arange": "arange(start=0, end, step=1) -> Tensor\n\nReturns a 1-D tensor."}


@pytest.fixture
def session() -> ScriptedSession:
    session = basics_session()
    session.words, session.docs = dict(WORDS), dict(DOCS)
    session.replies["6 * 7"] = Reply(
        [Output("stdout", "thinking\n"), Result({"text/plain": "42"}, 3)]
    )
    session.replies["x @ x"] = Reply(
        error=("RuntimeError", "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    )
    session.replies["spin()"] = Reply(hang=True)
    return session


@pytest.fixture
def make_app(
    app_lessons: LessonSet, store: ProgressStore, session: ScriptedSession, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)

    def make(**kwargs) -> TutorApp:
        return TutorApp(
            app_lessons, device="cpu", store=store, session=kwargs.pop("session", session), **kwargs
        )

    return make


def console_text(app: TutorApp) -> str:
    log = app.query_one("#console-log", RichLog)
    return "\n".join(line.text for line in log.lines)


def console_input(app: TutorApp) -> ConsoleInput:
    return app.query_one(ConsoleInput)


async def type_in_console(pilot, app: TutorApp, code: str) -> None:
    """Open the console (if it is not) and type ``code`` into its input."""
    if not isinstance(app.focused, ConsoleInput):
        await pilot.press("c")
    console_input(app).load_text(code)
    console_input(app).move_cursor(console_input(app).document.end)


async def run_in_console(pilot, app: TutorApp, code: str) -> None:
    await type_in_console(pilot, app, code)
    await pilot.press("enter")
    await ready(pilot, app)
    await pilot.pause()


async def hinted_in_console(pilot, app: TutorApp, code: str) -> str:
    """Run ``code`` in the console until its hint shows; the console's text, on one line
    (it is wrapped to the console's width)."""
    await run_in_console(pilot, app, code)
    await until(pilot, lambda: "Hint:" in console_text(app), seconds=5)
    return " ".join(console_text(app).split())


async def test_the_console_runs_code_in_the_session_and_changes_no_step(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")  # step 1 passes
        await ready(pilot, app)
        await run_in_console(pilot, app, "6 * 7")
        await until(pilot, lambda: "Out[3]: 42" in console_text(app), seconds=5)
        assert console_text(app).splitlines()[-3:] == [">>> 6 * 7", "thinking", "Out[3]: 42"]
        assert session.ran[-1] == "6 * 7"
        assert app.runner.held == {("basics", 0)}, "console code is no step"
        assert app.progress.completed == {"basics": [0]}
        assert console_input(app).text == "" and console_input(app).has_focus
        await pilot.press("escape")
        assert app.query_one(StepView).has_focus
        assert not app.query_one(ScratchConsole).display, "escape goes back to the step"
        await pilot.press("n", "enter")  # replays nothing but step 1's... and never the console
        await ready(pilot, app)
        assert session.ran.count("6 * 7") == 1


async def test_an_error_shows_its_traceback_and_hint(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        text = await hinted_in_console(pilot, app, "x @ x")
        assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied" in text
        assert "Hint: `nn.Linear` wants inputs of shape" in text


async def test_a_device_tutor_was_started_with_is_what_the_hint_blames(
    app_lessons: LessonSet, store: ProgressStore, session: ScriptedSession
) -> None:
    session.replies["get_device_name"] = Reply(
        error=("AssertionError", "Torch not compiled with CUDA enabled")
    )
    app = TutorApp(app_lessons, device="cuda", store=store, session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        text = await hinted_in_console(pilot, app, "torch.cuda.get_device_name()")
        assert "Hint: You started tutor with `--device cuda`, but this machine has no CUDA" in text


async def test_code_that_kills_the_session_restarts_it_through_the_runner(
    make_app, session
) -> None:
    session.replies["os._exit"] = Reply(die="the Python session exited with code 1")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        await run_in_console(pilot, app, "import os; os._exit(1)")
        await until(pilot, lambda: "restarted" in console_text(app), seconds=5)
        assert session.starts == 2 and app.session.state is KernelState.IDLE
        assert app.runner.held == set(), "a fresh session holds no step"


async def test_the_history_survives_a_restart_of_the_app(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await run_in_console(pilot, app, "6 * 7")
        await run_in_console(pilot, app, "for i in range(2):\n    print(i)")
    assert store.load().console_history == ["6 * 7", "for i in range(2):\n    print(i)"]

    again = make_app(session=basics_session())
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.press("c", *"dra", "up")
        entry = console_input(again)
        assert entry.text == "for i in range(2):\n    print(i)"
        assert entry.cursor_location == (0, len("for i in range(2):")), "up again goes further back"
        await pilot.press("up")
        assert entry.text == "6 * 7"
        await pilot.press("up")
        assert entry.text == "6 * 7", "the oldest stays"
        await pilot.press("down", "down")
        assert entry.text == "dra", "past the newest, the draft comes back"


async def test_enter_in_an_unfinished_block_adds_a_line(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await type_in_console(pilot, app, "for i in range(3):")
        await pilot.press("enter", *"print(i)")
        assert console_input(app).text == "for i in range(3):\n    print(i)"
        await pilot.press("ctrl+j", *"x = 1")
        assert console_input(app).text.endswith("\nx = 1")
        assert not app.running
        await pilot.press("enter")
        await ready(pilot, app)
        assert session.ran[-1] == "for i in range(3):\n    print(i)\nx = 1"


def test_unfinished_code_is_told_apart() -> None:
    assert is_unfinished("for i in range(3):")
    assert is_unfinished("x = (1,")
    assert not is_unfinished("for i in range(3):\n    print(i)")
    assert not is_unfinished("%pip install rich")
    assert not is_unfinished("def f(:")


async def test_while_a_step_runs_the_console_says_the_session_is_busy(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("n", "n", "enter")  # replays steps 1 and 2, then loops forever
        await until(pilot, lambda: app.runner.running == ("basics", 2))
        await type_in_console(pilot, app, "6 * 7")
        await pilot.press("enter")
        await until(pilot, lambda: "busy running a step" in console_text(app))
        assert "6 * 7" not in session.ran, "nothing is queued behind the step"
        assert console_input(app).text == "6 * 7", "the command waits in the input"
        await pilot.press("tab")
        await until(
            pilot,
            lambda: any("completion is back when it ends" in n.message for n in app._notifications),
        )
        await pilot.press("ctrl+c")
        await ready(pilot, app)
        await pilot.press("enter")
        await ready(pilot, app)
        assert session.ran[-1] == "6 * 7"


async def test_while_the_console_runs_run_is_off_and_ctrl_c_interrupts_it(
    make_app, session
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await type_in_console(pilot, app, "spin()")
        await pilot.press("enter")
        await until(pilot, lambda: app.session.state is KernelState.BUSY)
        assert app.check_action("run_step", ()) is False
        assert app.check_action("interrupt", ()) is True
        await pilot.press("ctrl+c")
        await ready(pilot, app)
        assert session.interrupts == 1
        await until(pilot, lambda: "KeyboardInterrupt" in console_text(app), seconds=5)
        assert app.session.state is KernelState.IDLE and app.runner.held == set()


async def test_the_console_survives_moving_between_steps(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await run_in_console(pilot, app, "6 * 7")
        await pilot.press("escape", "n", "n", "c")
        assert app.step_index == 2
        assert "Out[3]: 42" in console_text(app)


@pytest.mark.parametrize(("width", "side_by_side"), [(80, False), (120, True)])
async def test_the_console_takes_the_panels_place_or_in_a_narrow_terminal_the_screen(
    make_app, width: int, side_by_side: bool
) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        console = app.query_one(ScratchConsole)
        assert console.display and console.region.width > 0
        assert bool(app.query_one(StepView).region) is side_by_side
        assert not app.query_one(SessionPanel).region
        await pilot.press("escape")
        await pilot.pause()
        assert app.query_one(StepView).region and not console.region
        assert bool(app.query_one(SessionPanel).region) is side_by_side


# -- completion and help -----------------------------------------------------------


async def test_tab_in_the_console_offers_the_kernels_completions(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await type_in_console(pilot, app, "x = torch.ar")
        await pilot.press("tab")
        entry = console_input(app)
        await until(pilot, lambda: entry.menu is not None and entry.menu.is_open)
        assert session.asked[-1] == ("complete", "x = torch.ar", len("x = torch.ar"))
        menu = entry.menu
        assert [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)] == [
            "torch.arange  function",
            "torch.argmax  function",
        ]
        await pilot.press("down", "enter")
        assert entry.text == "x = torch.argmax" and entry.cursor_location == (0, 16)
        assert not menu.is_open and not app.running, "enter took the match, it ran nothing"
        await pilot.press(*"(torch.z", "tab")
        await until(pilot, lambda: entry.text == "x = torch.argmax(torch.zeros")
        assert not menu.is_open, "a single match goes in at once"
        await pilot.press("space", *"torch.ar", "tab")
        await until(pilot, lambda: menu.is_open)
        await pilot.press("escape")
        assert not menu.is_open and entry.has_focus, "escape closes the menu, not the console"
        await pilot.press("escape")
        assert app.query_one(StepView).has_focus


async def test_tab_in_the_exercise_editor_completes_and_otherwise_indents(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("right", "right", "right", "right", "e")
        editor = app.query_one(StepView).editor
        editor.load_text("answer = torch.zer")
        editor.move_cursor(editor.document.end)
        await pilot.press("tab")
        await until(pilot, lambda: editor.text == "answer = torch.zeros")
        await pilot.press("enter", "tab")
        assert editor.text == "answer = torch.zeros\n    ", "after no name, tab indents"


async def test_f1_shows_the_signature_and_docstring(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await type_in_console(pilot, app, "torch.arange(3)")
        console_input(app).move_cursor((0, 8))  # inside the name
        await pilot.press("f1")
        await until(pilot, lambda: app.screen.__class__.__name__ == "DocstringScreen")
        assert session.asked[-1] == ("inspect", "torch.arange(3)", 8)
        shown = str(app.screen.query_one("Static").content)
        assert "arange(start=0, end, step=1) -> Tensor" in shown
        assert app.screen.query_one("VerticalScroll").border_title == "torch.arange"
        await pilot.press("escape")
        assert isinstance(app.focused, ConsoleInput)
        console_input(app).load_text("nothing_known")
        await pilot.press("f1")
        await until(pilot, lambda: any("knows no name" in n.message for n in app._notifications))


def test_the_cursor_is_counted_in_code_points_across_lines() -> None:
    from textual.document._document import Document

    document = Document("é = 1\nnaïve = torch.ar")
    offset = document.get_index_from_location((1, 16))
    assert offset == len("é = 1\nnaïve = torch.ar")


# -- the learner's own editor ----------------------------------------------------


def fake_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR: a script that runs ``body`` on the file it is given ("$1")."""
    script = tmp_path / "fake-editor"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return shlex.quote(str(script))


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ('sed -i "s/None/42/" "$1"', "answer = 42  # TODO\n", "in the editor and saved"),
        ("exit 3", None, "exited with code 3"),
        ("true", None, "was not changed"),
    ],
)
def test_the_own_editor_round_trip(tmp_path: Path, body: str, code: str | None, says: str) -> None:
    suspended: list[bool] = []

    @contextlib.contextmanager
    def suspend():
        suspended.append(True)
        yield

    environ = {"EDITOR": fake_editor(tmp_path, body)}
    edited = edit_externally("answer = None  # TODO\n", suspend, environ=environ)
    assert edited.code == code and says in edited.message and suspended == [True]


def test_the_editor_is_visual_then_editor_then_vi(tmp_path: Path) -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"EDITOR": "nano"}) == ["nano"]
    assert editor_command({}) == ["vi"]
    missing = edit_externally("x", contextlib.nullcontext, environ={"EDITOR": str(tmp_path / "no")})
    assert missing.code is None and "Could not start" in missing.message


async def test_ctrl_o_without_a_terminal_to_hand_over_says_so(make_app) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right", "right", "right", "right", "ctrl+o")
        await pilot.pause()
        assert any("cannot be handed" in n.message for n in app._notifications)
        assert app.query_one(StepView).editor.text.strip() == "answer = None  # TODO"


async def test_ctrl_o_brings_the_edited_code_back_into_the_editor_and_progress(
    make_app, store, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("VISUAL", fake_editor(tmp_path, 'sed -i "s/None/6 * 7/" "$1"'))
    app = make_app(start_session=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.suspend = contextlib.nullcontext  # type: ignore[method-assign]  # Pilot has no terminal
        await pilot.press("right", "right", "right", "right", "ctrl+o")
        await pilot.pause()
        assert app.query_one(StepView).editor.text.strip() == "answer = 6 * 7  # TODO"
        assert app.progress.code_for("practice", 0).strip() == "answer = 6 * 7  # TODO"
    assert store.load().code_for("practice", 0).strip() == "answer = 6 * 7  # TODO"


def test_own_editor_key_is_only_for_exercises(make_app) -> None:
    app = make_app(start_session=False)
    assert app.check_action("own_editor", ()) is False


# -- a real kernel -----------------------------------------------------------------


def menu_open(entry: ConsoleInput) -> bool:
    return entry.menu is not None and entry.menu.is_open


def slow_answers(app: TutorApp) -> int:
    """How many times the app said the session was too slow to complete the code."""
    return sum("slow to answer" in note.message for note in app._notifications)


@pytest.mark.kernel
async def test_the_console_in_a_real_session(
    app_lessons: LessonSet, store, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = TutorApp(app_lessons, device="cpu", store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")  # step 1 makes `kept`
        await ready(pilot, app)
        await run_in_console(pilot, app, "print('sum is', kept.sum().item())\nkept.shape")
        await until(pilot, lambda: "Out[" in console_text(app), seconds=10)
        assert "sum is 15.0" in console_text(app)
        assert "]: torch.Size([6])" in console_text(app)
        # Its first look at a tensor's attributes takes jedi a while on a loaded machine.
        await app.session.complete("kept.resh", 9, timeout=30)
        await type_in_console(pilot, app, "kept.resh")
        entry = console_input(app)
        for _ in range(5):  # as a learner does when the app says the session was slow
            said = slow_answers(app)
            await pilot.press("tab")
            await until(pilot, lambda said=said: menu_open(entry) or slow_answers(app) > said)
            if menu_open(entry):
                break
        assert menu_open(entry), "the session was too slow to answer five tabs in a row"
        assert [item.text for item in entry.menu.items] == ["reshape", "reshape_as"]
        await pilot.press("enter")
        assert entry.text == "kept.reshape"


@pytest.mark.parametrize(
    "size", [(80, 24), (100, 30), (120, 40)], ids=["80x24", "100x30", "120x40"]
)
async def test_the_completion_menu_never_covers_the_line_being_typed(
    make_app, session, size: tuple[int, int]
) -> None:
    """The console's input sits at the foot of the screen: the menu opens above it."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        await type_in_console(pilot, app, "x = torch.ar")
        await pilot.press("tab")
        entry = console_input(app)
        await until(pilot, lambda: menu_open(entry))
        await pilot.pause()
        menu, cursor = entry.menu.region, entry.cursor_screen_offset
        assert menu.height >= 4, menu  # both matches, in a border
        assert not menu.y <= cursor.y < menu.bottom, (menu, cursor)
        assert menu.x <= cursor.x < menu.right, "it opens where the name being completed is"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_empty_input_shows_all_of_its_keys_then_fits_the_code(
    make_app, size: tuple[int, int]
) -> None:
    app = make_app(start_session=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("c")
        entry = console_input(app)
        await until(pilot, lambda: entry.has_focus)
        await pilot.pause()
        lines = [entry.render_line(y).text.strip() for y in range(entry.size.height)]
        shown = " ".join(line.strip("▔▁▊▎ ") for line in lines)
        assert "esc back" in shown, lines
        assert entry.content_size.height >= 2
        await pilot.press("x")
        await pilot.pause()
        assert entry.content_size.height == 1, "code of one line: one line"
        await pilot.press("backspace")
        await pilot.pause()
        assert entry.content_size.height >= 2, "empty again: the keys again"


async def test_a_missing_name_in_the_console_says_which_step_makes_it(make_app, session) -> None:
    """As a step's NameError does: the step that makes the name, to run."""
    session.replies["kept.sum()"] = Reply(error=("NameError", "name 'kept' is not defined"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        text = await hinted_in_console(pilot, app, "kept.sum()")
        assert (
            "Hint: `kept` is made in lesson 'basics', step 1 (Make a tensor). Run that step "
            "again, or restart the session and replay up to here."
        ) in text
