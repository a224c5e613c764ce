"""The app's pure parts, without a screen: where the learner is, and what a running
step sent since the last redraw."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import course, lesson_step, lesson_text
from tutor.lessons import LessonSet
from tutor.progress import Progress
from tutor.protocol import PlotSpec, SeriesSpec
from tutor.session import History, Metrics, Output, Plot
from tutor.session import Progress as ProgressEvent
from tutor.tui.live import LiveRun
from tutor.tui.navigation import Place, moved, resume


@pytest.fixture
def lessons(tmp_path: Path) -> LessonSet:
    return course(
        tmp_path / "lessons",
        {
            "01_a.md": lesson_text("A", lesson_step("One", "x = 1"), lesson_step("Two", "x = 2")),
            "02_b.md": lesson_text("B", lesson_step("Only", "y = 1")),
        },
    )


def test_resume_opens_the_saved_place(lessons: LessonSet) -> None:
    assert resume(lessons, Progress(lesson_id="a", step=1)) == Place(0, 1)
    assert resume(lessons, Progress(lesson_id="b", step=0)) == Place(1, 0)


def test_resume_falls_back_when_the_saved_place_is_gone(lessons: LessonSet) -> None:
    assert resume(lessons, Progress()) == Place(0, 0)
    assert resume(lessons, Progress(lesson_id="removed", step=3)) == Place(0, 0)
    assert resume(lessons, Progress(lesson_id="a", step=9)) == Place(0, 1), "its last step"
    assert resume(lessons, Progress(lesson_id="a", step=-2)) == Place(0, 0)


def test_a_lesson_asked_for_wins_over_the_saved_place(lessons: LessonSet) -> None:
    assert resume(lessons, Progress(lesson_id="a", step=1), lesson_id="b") == Place(1, 0)
    assert resume(lessons, Progress(lesson_id="a", step=1), lesson_id="zz") == Place(0, 1)


def test_moving_crosses_lessons_and_stops_at_both_ends(lessons: LessonSet) -> None:
    assert moved(lessons, Place(0, 0), +1) == Place(0, 1)
    assert moved(lessons, Place(0, 1), +1) == Place(1, 0)
    assert moved(lessons, Place(1, 0), -1) == Place(0, 1)
    assert moved(lessons, Place(1, 0), +1) is None
    assert moved(lessons, Place(0, 0), -1) is None


def spec(kind: str) -> PlotSpec:
    series = [SeriesSpec(label="s", x=[0.0, 1.0], y=[1.0, 0.5])]
    return PlotSpec(kind=kind, title="", xlabel="", ylabel="", series=series)  # type: ignore[typeddict-item]


def test_live_metrics_are_windowed_and_the_history_is_the_last_word() -> None:
    live = LiveRun()
    live.add(Metrics(0, [{"loss": 3.0}, {"loss": 2.0}]))
    live.add(Metrics(1, [{"loss": 2.5}, {"loss": 1.0}]))  # a resent batch overlaps
    assert live.rows == [{"loss": 3.0}, {"loss": 2.5}, {"loss": 1.0}]
    assert live.rows_changed
    live.add(History([{"loss": 3.0}, {"loss": 2.5}, {"loss": 1.0}, {"loss": 0.5}]))
    assert [row["loss"] for row in live.rows] == [3.0, 2.5, 1.0, 0.5]
    live.add(ProgressEvent(4, 10))
    assert live.progress == (4, 10)


def test_a_replay_shows_no_output_and_brings_no_tab_forward() -> None:
    live = LiveRun()
    live.add(Output("stdout", "replayed\n"), replay=True)
    live.add(Plot(spec("scatter")), replay=True)
    assert live.output.take() == (0, [])
    assert live.plot is not None and not live.plot_wants_tab
    live.add(Output("stdout", "ran\n"))
    live.add(Plot(spec("scatter")))
    assert live.output.take() == (0, [Output("stdout", "ran\n")])
    assert live.plot_wants_tab


def test_loss_curves_of_a_history_the_table_shows_stay_in_the_training_tab() -> None:
    live = LiveRun()
    live.add(Plot(spec("line")))
    assert live.plot is not None, "a line plot with no history is a plot of its own"
    live = LiveRun()
    live.add(Metrics(0, [{"epoch": 0.0, "loss": 1.0}]))
    live.add(Plot(spec("line")))
    assert live.plot is None
    live.add(Plot(spec("bar")))
    assert live.plot is not None, "bars are never the history's loss curves"
