"""Live authoring: reloading a lesson folder, and what the runner forgets when a step changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.builders import course, lesson_step, lesson_text, write_lesson_dir
from tests.scripted import ScriptedSession
from tutor.lessons import LessonSet
from tutor.runner import Runner, StepFinished, StepStatus
from tutor.watch import changes, first_changed_step, reload_lessons, step_moves

A_STEPS = [lesson_step("Make", "MAKE"), lesson_step("Grow", "GROW"), lesson_step("Use", "USE")]


def a_lesson(*steps: str) -> str:
    return lesson_text("A", *(steps or A_STEPS), lesson_id="a", requires=[])


def b_lesson() -> str:
    return lesson_text("B", lesson_step("Build", "BUILD"), lesson_id="b", requires=["a"])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "lessons"


@pytest.fixture
def lessons(folder: Path) -> LessonSet:
    return course(folder, {"01_a.md": a_lesson(), "02_b.md": b_lesson()})


def rewrite(folder: Path, name: str, text: str) -> None:
    write_lesson_dir(folder, {name: text})


def test_prose_only_changes_no_step(folder: Path, lessons: LessonSet) -> None:
    rewrite(folder, "01_a.md", a_lesson(*A_STEPS).replace("Some prose.", "Better prose.", 1))
    reload = reload_lessons(lessons)
    assert reload.changed == {}
    assert reload.lessons.get("a").steps[0].prose != lessons.get("a").steps[0].prose
    assert reload.lessons.errors == []


def test_the_first_step_whose_code_changed_is_named(folder: Path, lessons: LessonSet) -> None:
    rewrite(folder, "01_a.md", a_lesson(A_STEPS[0], lesson_step("Grow", "GROW_MORE"), A_STEPS[2]))
    reload = reload_lessons(lessons)
    assert reload.changed == {"a": 1}
    assert reload.moved == {}


def test_an_inserted_step_changes_from_there_and_moves_the_rest(
    folder: Path, lessons: LessonSet
) -> None:
    rewrite(folder, "01_a.md", a_lesson(A_STEPS[0], lesson_step("New", "NEW"), *A_STEPS[1:]))
    reload = reload_lessons(lessons)
    assert reload.changed == {"a": 1}
    assert reload.moved == {"a": {0: 0, 1: 2, 2: 3}}


def test_a_broken_file_keeps_its_last_good_version(folder: Path, lessons: LessonSet) -> None:
    rewrite(folder, "01_a.md", a_lesson().replace("requires: []", "requires: [", 1))
    reload = reload_lessons(lessons)
    assert [lesson.id for lesson in reload.lessons.lessons] == ["a", "b"]
    assert reload.lessons.get("a") is lessons.get("a")
    # b, which requires a, did not load either: it too stays as it was.
    assert reload.kept == (lessons.get("a"), lessons.get("b"))
    assert reload.changed == {}
    problems = {Path(error.path).name: error for error in reload.lessons.errors}
    assert problems.keys() == {"01_a.md", "02_b.md"}
    assert problems["01_a.md"].line >= 1


def test_added_and_removed_lessons(folder: Path, lessons: LessonSet) -> None:
    (folder / "02_b.md").unlink()
    rewrite(folder, "03_c.md", lesson_text("C", lesson_step("C", "C"), lesson_id="c", requires=[]))
    reload = reload_lessons(lessons)
    assert reload.added == ("c",)
    assert reload.removed == ("b",)
    assert [lesson.id for lesson in reload.lessons.lessons] == ["a", "c"]


def test_first_changed_step_and_moves_compare_code_and_titles(
    folder: Path, lessons: LessonSet
) -> None:
    a = lessons.get("a")
    assert first_changed_step(a, a) is None
    shorter = course(folder.parent / "other", {"01_a.md": a_lesson(*A_STEPS[:2])}).get("a")
    assert first_changed_step(a, shorter) == 2
    assert step_moves(a, shorter) == {0: 0, 1: 1}


async def held_after_running_all(lessons: LessonSet) -> Runner:
    runner = Runner(ScriptedSession(), lessons, timeout=5)
    await runner.start()
    b = lessons.get("b")
    results = [e async for e in runner.run_to(b, 0) if isinstance(e, StepFinished)]
    assert all(r.result.status is StepStatus.PASSED for r in results)
    assert runner.held == {("a", 0), ("a", 1), ("a", 2), ("b", 0)}
    return runner


async def test_runner_forgets_changed_steps_and_the_lessons_built_on_them(
    folder: Path, lessons: LessonSet
) -> None:
    runner = await held_after_running_all(lessons)
    session = runner.session
    rewrite(folder, "01_a.md", a_lesson(A_STEPS[0], lesson_step("Grow", "GROW_MORE"), A_STEPS[2]))
    reload = reload_lessons(lessons)
    runner.reload(reload.lessons, reload.changed, reload.removed)
    assert runner.held == {("a", 0)}
    assert session.starts == 1, "the session keeps its namespace"
    # Running the lesson built on it replays the new code, not the old.
    session.ran.clear()
    b = reload.lessons.get("b")
    [e async for e in runner.run_to(b, 0)]
    assert session.ran == ["GROW_MORE", "USE", "BUILD"]


async def test_runner_lets_a_fixed_step_out_of_quarantine(folder: Path, lessons: LessonSet) -> None:
    from tests.scripted import Reply

    session = ScriptedSession({"GROW": Reply(error=("NameError", "name 'x' is not defined"))})
    runner = Runner(session, lessons, timeout=5)
    await runner.start()
    [e async for e in runner.run_to(lessons.get("a"), 1)]
    assert ("a", 1) in runner.quarantined
    rewrite(folder, "01_a.md", a_lesson(A_STEPS[0], lesson_step("Grow", "FIXED"), A_STEPS[2]))
    reload = reload_lessons(lessons)
    runner.reload(reload.lessons, reload.changed, reload.removed)
    assert runner.quarantined == frozenset()
    assert runner.held == {("a", 0)}


async def test_changes_reports_a_saved_lesson_file(folder: Path, lessons: LessonSet) -> None:
    seen: asyncio.Queue[set[Path]] = asyncio.Queue()

    async def watch() -> None:
        async for paths in changes(folder):
            await seen.put(paths)

    task = asyncio.create_task(watch())
    try:
        await asyncio.sleep(0.3)  # the watcher is set up
        (folder / "notes.txt").write_text("not a lesson")
        rewrite(folder, "01_a.md", a_lesson(A_STEPS[0]))
        paths = await asyncio.wait_for(seen.get(), timeout=10)
        assert {path.name for path in paths} == {"01_a.md"}
    finally:
        task.cancel()


async def test_the_app_reloads_a_saved_lesson_where_the_learner_is(
    app_lessons: LessonSet, store, tmp_path: Path, monkeypatch
) -> None:
    """--watch: the step shown follows the file; the session and exercise code are kept."""
    from tests.scripted import basics_session
    from tests.test_app import until
    from tutor.tui.app import TutorApp
    from tutor.tui.widgets.step_view import StepView

    monkeypatch.chdir(tmp_path)
    path = app_lessons.directory / "01_basics.md"
    session = basics_session()
    app = TutorApp(app_lessons, device="cpu", store=store, session=session, watch=True)

    def prose() -> str:
        return str(app.query_one(StepView).query_one("#prose").content.markup)

    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: session.state.value == "idle" and not app.running)
        await pilot.press("right")  # "Train a little"
        await until(pilot, lambda: app.step_index == 1)
        await asyncio.sleep(0.3)  # the watcher is set up
        text = path.read_text()
        # A step is inserted before the learner's, and their step's prose is rewritten.
        text = text.replace(
            "## Train a little\n\nProse two.",
            "## Look first\n\nNew prose.\n\n```python\nlooked = True\n```\n\n"
            "## Train a little\n\nProse two, rewritten.",
        )
        path.write_text(text)
        await until(pilot, lambda: "rewritten" in prose(), seconds=10)
        assert app.step_index == 2, "the learner stays on the step they were on"
        assert session.starts == 1, "the session keeps its namespace"
        assert len(app.lesson.steps) == 5
        # A file that stops loading keeps its last good version, and says why.
        path.write_text(text.replace("title: Basics", "title: [Basics", 1))
        await until(pilot, lambda: bool(app.lessons.errors), seconds=10)
        assert len(app.lesson.steps) == 5
        assert "rewritten" in prose()
        assert str(app.lessons.errors[0]).startswith(f"{path}:")
        shown = [n.message for n in app._notifications]
        assert any(f"{path}:" in message for message in shown), shown


@pytest.mark.kernel
@pytest.mark.slow
def test_headless_watch_reruns_the_changed_lesson_on_every_save(tmp_path: Path) -> None:
    """The author's loop: a failing save fails the round, a fixed one passes, a broken file
    is named, and Ctrl+C ends the watch with an exit code for the folder as it is."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    from tests.processes import LONGEST_RUN_S, kernel_pids

    folder = write_lesson_dir(
        tmp_path / "lessons",
        {
            "01_a.md": lesson_text("A", lesson_step("Make", "x = 1"), lesson_id="a", requires=[]),
            "02_b.md": lesson_text(
                "B", lesson_step("Use", check="assert x == 1"), lesson_id="b", requires=["a"]
            ),
        },
    )
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tutor", "--headless", "--watch", "--lessons", str(folder)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()

    def wait_for(text: str, count: int = 1) -> str:
        deadline = time.monotonic() + LONGEST_RUN_S / 2
        while "".join(lines).count(text) < count:
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, f"no {text!r} in:\n{''.join(lines)}"
            time.sleep(0.05)
        return "".join(lines)

    try:
        wait_for("Watching")
        assert "2/2 lessons passed" in "".join(lines)
        (folder / "01_a.md").write_text(
            lesson_text("A", lesson_step("Make", "x = 2"), lesson_id="a", requires=[])
        )
        out = wait_for("lessons passed", 2)
        round_two = out.split("Changed:")[-1]
        assert "01_a.md" in round_two and "a: changed from step 1" in round_two
        assert "1/2 lessons passed" in round_two, round_two  # b's check now fails
        (folder / "02_b.md").write_text(
            lesson_text(
                "B", lesson_step("Use", check="assert x == 2"), lesson_id="b", requires=["a"]
            )
        )
        out = wait_for("lessons passed", 3)
        round_three = out.split("Changed:")[-1]
        # Only b ran; the session still holds a's new step, so nothing is replayed.
        assert "1/1 lessons passed" in round_three, round_three
        assert "A (a, 01_a.md)" not in round_three and "(replayed)" not in round_three
        (folder / "02_b.md").write_text("---\ntitle: [B\n---\n")
        out = wait_for("nothing to run")
        assert f"{folder / '02_b.md'}:" in out.split("Changed:")[-1]
        process.send_signal(signal.SIGINT)
        # The last round passed, but a lesson file has a problem now.
        assert process.wait(timeout=60) == 2, "".join(lines)
        reader.join(timeout=10)
        assert "Stopped watching." in "".join(lines)
        assert kernel_pids() == set()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_attach_jupyter_shows_and_copies_the_command(
    app_lessons: LessonSet, store, tmp_path: Path, monkeypatch
) -> None:
    from tests.scripted import basics_session
    from tests.test_app import until
    from tutor.tui.app import TutorApp

    monkeypatch.chdir(tmp_path)
    session = basics_session()
    app = TutorApp(app_lessons, device="cpu", store=store, session=session)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: session.state.value == "idle" and not app.running)
        app.attach_jupyter()
        await until(pilot, lambda: bool(app._notifications))
        assert [n.title for n in app._notifications][-1] == "Attach Jupyter"
        assert "not running yet" in list(app._notifications)[-1].message
        assert copied == []
        session.connection_file = tmp_path / "a dir" / "kernel.json"  # type: ignore[attr-defined]
        await pilot.press("ctrl+p")
        await pilot.press(*"attach jupyter")
        await pilot.press("enter")
        await until(pilot, lambda: bool(copied))
        expected = f"jupyter console --existing '{tmp_path / 'a dir' / 'kernel.json'}'"
        assert copied == [expected]
        assert expected in list(app._notifications)[-1].message


@pytest.mark.kernel
async def test_a_jupyter_client_attaches_with_the_connection_file(tmp_path: Path) -> None:
    """What "Attach Jupyter" gives: another client of the same kernel sees a step's variable."""
    from jupyter_client import BlockingKernelClient

    from tutor.session import KernelSession

    session = KernelSession(cwd=tmp_path)
    await session.start()
    try:
        [e async for e in session.run("made_by_a_step = 6 * 7")]
        client = BlockingKernelClient()
        client.load_connection_file(str(session.connection_file))
        client.start_channels()
        try:
            client.wait_for_ready(timeout=30)
            reply = await asyncio.to_thread(
                client.execute_interactive,
                "",
                user_expressions={"value": "made_by_a_step"},
                timeout=30,
                output_hook=lambda msg: None,
            )
        finally:
            client.stop_channels()
        value = reply["content"]["user_expressions"]["value"]
        assert value["data"]["text/plain"] == "42"
    finally:
        await session.shutdown()
