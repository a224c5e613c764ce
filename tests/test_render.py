"""The text renderers shared by the kernel's text fallback, headless and the app."""

from __future__ import annotations

import io
import re

import pytest

from tutor.protocol import PlotSpec, SeriesSpec
from tutor.render import (
    RowGap,
    format_metric,
    format_stat,
    integer_ticks,
    metrics_text,
    plot_text,
    select_rows,
)

ANSI = re.compile(r"\x1b\[")


# --------------------------------------------------------------------------- numbers


def test_format_metric() -> None:
    assert format_metric(3.0) == "3"
    assert format_metric(0.123456) == "0.12346"
    assert format_metric(None) == ""


def test_format_metric_keeps_small_and_large_values_readable() -> None:
    assert format_metric(3.2e-06) == "3.2e-06", "a small loss must not read as 0"
    assert format_metric(-0.5) == "-0.5"
    assert format_metric(123456.789) == "1.2346e+05"
    assert format_metric(1e20) == "1e+20", "no 21-digit integers"
    assert format_metric(float("nan")) == "nan"
    assert format_metric(float("inf")) == "inf"


def test_format_stat_has_four_significant_digits() -> None:
    assert format_stat(1 / 3) == "0.3333"
    assert format_stat(2.0) == "2"
    assert format_stat(None) == ""


# --------------------------------------------------------------------------- row selection


def indices(selected: list[int | RowGap]) -> list[int]:
    return [item for item in selected if isinstance(item, int)]


def test_a_short_history_shows_every_row() -> None:
    assert select_rows(5, 12, best=2) == [0, 1, 2, 3, 4]
    assert select_rows(12, 12) == list(range(12))
    assert select_rows(0, 12) == []


def test_a_long_history_shows_its_first_and_last_rows_with_a_gap() -> None:
    assert select_rows(30, 12, best=0) == [0, 1, 2, 3, 4, 5, RowGap(18), *range(24, 30)]
    assert select_rows(30, 12) == [0, 1, 2, 3, 4, 5, RowGap(18), *range(24, 30)]


def test_the_best_row_in_the_gap_is_shown_and_so_is_the_newest() -> None:
    selected = select_rows(1000, 12, best=500)
    assert selected == [
        *range(6),
        RowGap(494),
        500,
        RowGap(494),
        *range(995, 1000),
    ]
    assert len(indices(selected)) == 12


def test_the_last_rows_only_with_the_best_pinned_first() -> None:
    assert select_rows(100, 15, head=0, best=99) == [RowGap(85), *range(85, 100)]
    assert select_rows(100, 15, head=0, best=3) == [RowGap(3), 3, RowGap(82), *range(86, 100)]
    just_out = [RowGap(84), 84, RowGap(1), *range(86, 100)]
    assert select_rows(100, 15, head=0, best=84) == just_out


def test_a_table_with_one_row_of_tail_gives_up_a_first_row_for_the_best() -> None:
    assert select_rows(10, 3, head=2, best=5) == [0, RowGap(4), 5, RowGap(3), 9]


def test_a_table_too_small_for_both_the_best_and_the_newest_is_refused() -> None:
    with pytest.raises(ValueError, match="best and newest"):
        select_rows(10, 1)


# --------------------------------------------------------------------------- text tables


def test_metrics_text_short() -> None:
    rows = [{"epoch": 0, "loss": 0.123456789}, {"epoch": 1, "loss": 2.0}]
    text = metrics_text(rows)
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["epoch", "loss"]
    assert lines[1].split() == ["0", "0.12346"]
    assert lines[2].split() == ["1", "2"]
    assert "more rows" not in text
    assert metrics_text([]) == ""


def test_metrics_text_truncates_long_histories() -> None:
    rows = [{"epoch": i, "loss": i / 10} for i in range(30)]
    lines = metrics_text(rows, limit=12).splitlines()
    assert len(lines) == 1 + 12 + 1
    assert lines[7] == "... 18 more rows ..."
    shown = [int(line.split()[0]) for line in lines[1:] if not line.startswith("...")]
    assert shown == [0, 1, 2, 3, 4, 5, 24, 25, 26, 27, 28, 29]
    # the columns are aligned: every row as wide as the header
    widths = {len(line) for line in lines if not line.startswith("...")}
    assert len(widths) == 1


def test_metrics_text_keeps_the_best_row_of_a_long_history() -> None:
    rows = [{"epoch": i, "loss": abs(i - 500) + 1} for i in range(1000)]
    lines = metrics_text(rows, limit=12).splitlines()
    shown = [int(line.split()[0]) for line in lines[1:] if not line.startswith("...")]
    assert shown == [0, 1, 2, 3, 4, 5, 500, 995, 996, 997, 998, 999]
    assert [line for line in lines if line.startswith("...")] == [
        "... 494 more rows ...",
        "... 494 more rows ...",
    ]


# --------------------------------------------------------------------------- plots


def test_plot_text_has_title_and_no_ansi() -> None:
    spec = PlotSpec(
        kind="scatter",
        title="Data split title",
        xlabel="X",
        ylabel="y",
        series=[
            SeriesSpec(label="Training data", x=[0, 1, 2], y=[0, 1, 4]),
            SeriesSpec(label="Test data", x=[3, 4], y=[9, 16]),
        ],
    )
    text = plot_text(spec, width=60, height=15)
    assert "Data split title" in text
    assert "Training data" in text
    assert not ANSI.search(text), repr(text[:200])
    assert len(text.splitlines()) == 15
    line_spec = PlotSpec(**{**spec, "kind": "line", "title": "Loss curves"})
    line_text = plot_text(line_spec)
    assert "Loss curves" in line_text
    assert not ANSI.search(line_text)


def test_plot_text_draws_each_series_as_its_own_kind_says() -> None:
    points = SeriesSpec(label="Data", x=[0.5, 1, 2], y=[1.5, 0, 1])  # off the line
    fitted = SeriesSpec(label="Fit", x=[0, 2], y=[0, 2], kind="line")
    text = plot_text(
        PlotSpec(kind="scatter", title="", xlabel="", ylabel="", series=[points, fitted])
    )
    assert text.count("•") == 2 + 3  # the legend's two, and the points as points
    assert text.count("+") > 2 + 10  # the legend's two, and the fit as a line of its marker


def test_plot_text_draws_bars() -> None:
    bars = SeriesSpec(label="Counts", x=[1, 2, 3], y=[5, 1, 3])
    text = plot_text(PlotSpec(kind="bar", title="Histogram", xlabel="", ylabel="", series=[bars]))
    assert "Histogram" in text and "Counts" in text
    assert text.count("•") > 50  # filled bars, not three points
    assert not ANSI.search(text)


def flat_top_spec(xs: list[float]) -> PlotSpec:
    """Two curves; the first runs along the top of the plot, under where plotext puts
    its legend unless the range leaves room for it."""
    return PlotSpec(
        kind="line",
        title="Loss curves",
        xlabel="epoch",
        ylabel="loss",
        series=[
            SeriesSpec(label="train_loss", x=xs, y=[1.0] * len(xs)),
            SeriesSpec(label="test_loss", x=xs, y=[0.1] * len(xs)),
        ],
    )


def test_plot_text_keeps_the_legend_clear_of_the_data() -> None:
    lines = plot_text(flat_top_spec([float(x) for x in range(100)]), width=60, height=16)
    legend = [line for line in lines.splitlines() if "_loss" in line]
    assert len(legend) == 2
    for line in legend:
        label_end = line.index("_loss") + len("_loss")
        assert line[label_end:].rstrip("│ ") == "", f"data drawn into the legend: {line!r}"
    assert sum(line.count("•") for line in lines.splitlines()) > 50, "the top curve is drawn"


def test_plot_text_ticks_whole_numbers_on_an_axis_of_whole_numbers() -> None:
    lines = plot_text(flat_top_spec([float(x) for x in range(1000)]), width=70).splitlines()
    ticks = lines[next(i for i, line in enumerate(lines) if "└" in line) + 1].split()
    assert ticks == ["0", "200", "400", "600", "800"]


def test_integer_ticks() -> None:
    assert integer_ticks(range(1000), 70) == [0, 200, 400, 600, 800]
    assert integer_ticks(range(100), 60) == [0, 25, 50, 75]
    assert integer_ticks(range(5), 40) == [0, 2, 4]
    assert integer_ticks(range(1, 11), 70) == [2, 4, 6, 8, 10]
    assert integer_ticks([0.0, 0.5, 1.0], 70) is None, "not whole numbers: plotext's ticks"
    assert integer_ticks([3.0, 3.0], 70) is None
    assert integer_ticks([], 70) is None


# --------------------------------------------------------------------------- headless failures


def test_a_failure_panel_wraps_long_lines_instead_of_cutting_them(tmp_path) -> None:
    from rich.console import Console

    from tests.builders import BASICS, course
    from tutor.headless import failure_panel
    from tutor.lessons import Block, BlockKind
    from tutor.runner import ErrorInfo, StepResult, StepStatus

    lesson = course(tmp_path, {"01_basics.md": BASICS}).lessons[0]
    code = "results = train(model, data, epochs=1000, learning_rate=0.01, report_every=100)"
    result = StepResult(
        lesson_id=lesson.id,
        index=0,
        title="Train",
        status=StepStatus.FAILED,
        error=ErrorInfo("NameError", "name 'train' is not defined", "Traceback: NameError"),
        failed_block=Block(BlockKind.CODE, code, 9),
        output="epoch 0 of 1000: train loss 0.5551780, test loss 0.5739762 (still going)\n",
    )
    console = Console(width=60, file=io.StringIO(), record=True)
    console.print(failure_panel(lesson, result))
    text = console.export_text()
    assert "report_every=100)" in text and "(still going)" in text, text
    assert all(len(line) <= 60 for line in text.splitlines())
