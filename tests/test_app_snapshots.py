"""SVG snapshots of the main screens (no kernel: nothing here depends on timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import BASICS, EXERCISE, course
from tutor.progress import ProgressStore
from tutor.tui.app import TutorApp


@pytest.fixture
def app(tmp_path: Path) -> TutorApp:
    lessons = course(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})
    return TutorApp(lessons, store=ProgressStore(tmp_path / "progress.json"), start_session=False)


@pytest.mark.parametrize(
    "size", [(80, 24), (120, 40), (160, 45)], ids=["80x24", "120x40", "160x45"]
)
def test_main_screen(snap_compare, app: TutorApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size)


def test_help_screen(snap_compare, app: TutorApp) -> None:
    async def open_help(pilot) -> None:
        await pilot.press("question_mark")

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)


def test_exercise_step_with_hint(snap_compare, app: TutorApp) -> None:
    async def go(pilot) -> None:
        await pilot.press("right", "right", "right", "right", "h")

    assert snap_compare(app, terminal_size=(120, 40), run_before=go)
