"""SVG snapshots of the main screens (no kernel: nothing here depends on timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import BASICS, EXERCISE, course
from tutor.progress import ProgressStore
from tutor.tui.app import TutorApp
from tutor.tui.widgets.session_panel import SessionPanel


@pytest.fixture
def app(tmp_path: Path) -> TutorApp:
    lessons = course(tmp_path / "lessons", {"01_basics.md": BASICS, "02_practice.md": EXERCISE})
    return TutorApp(lessons, store=ProgressStore(tmp_path / "progress.json"), start_session=False)


@pytest.mark.parametrize(
    "size",
    [(80, 24), (100, 30), (120, 40), (160, 45)],
    ids=["80x24", "100x30", "120x40", "160x45"],
)
def test_main_screen(snap_compare, app: TutorApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size)


def test_help_screen(snap_compare, app: TutorApp) -> None:
    async def open_help(pilot) -> None:
        await pilot.press("question_mark")

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)


@pytest.mark.parametrize(
    "size", [(80, 24), (100, 30), (120, 40)], ids=["80x24", "100x30", "120x40"]
)
def test_exercise_step_with_hint(snap_compare, app: TutorApp, size: tuple[int, int]) -> None:
    """The hint scrolled into view, and the footer's keys for an exercise, ? Help among them."""

    async def go(pilot) -> None:
        await pilot.press("right", "right", "right", "right", "h")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=size, run_before=go)


LOSSES = [
    {"epoch": float(epoch), "train_loss": 0.5 / (epoch + 1), "test_loss": 0.6 / (epoch + 1) + 0.01}
    for epoch in range(300)
]

TENSORS = [
    {
        "name": "X_train",
        "kind": "tensor",
        "type": "Tensor",
        "shape": [40, 1],
        "dtype": "float32",
        "device": "cpu",
        "requires_grad": False,
        "has_grad": False,
        "bytes": 160,
        "min": 0.0,
        "max": 0.78,
        "mean": 0.39,
        "nan": 0,
        "inf": 0,
    },
    {
        "name": "y_train",
        "kind": "tensor",
        "type": "Tensor",
        "shape": [40, 1],
        "dtype": "float32",
        "device": "cpu",
        "requires_grad": False,
        "has_grad": False,
        "bytes": 160,
        "min": 0.3,
        "max": 0.846,
        "mean": 0.573,
        "nan": 0,
        "inf": 0,
    },
    {
        "name": "model_0",
        "kind": "module",
        "type": "LinearRegressionModel",
        "params": 2,
        "device": "cpu",
        "training": True,
        "bytes": 8,
    },
    {
        "name": "model_0.weights",
        "kind": "parameter",
        "type": "Parameter",
        "shape": [1],
        "dtype": "float32",
        "device": "cpu",
        "requires_grad": True,
        "has_grad": True,
        "bytes": 4,
        "min": 0.5784,
        "max": 0.5784,
        "mean": 0.5784,
        "nan": 0,
        "inf": 0,
    },
    {"name": "optimizer", "kind": "optimizer", "type": "SGD", "lr": 0.01, "params": 2},
]


def test_training_panel_takes_a_small_screen(snap_compare, app: TutorApp) -> None:
    async def train(pilot) -> None:
        await pilot.press("v")
        panel = app.query_one(SessionPanel)
        panel.show_progress(300, 300)
        panel.show_metrics(LOSSES)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=train)


def test_tensors_tab_on_a_small_screen(snap_compare, app: TutorApp) -> None:
    async def inspect(pilot) -> None:
        app.query_one(SessionPanel).show_tensors(TENSORS)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=inspect)
