"""The pure helpers shared by the kernel's helpers, headless and the app."""

import math

from tutor.metrics import MAX_PLOT_POINTS, best_index, best_loss_column, decimate, loss_curves_spec


def test_decimate_caps_a_series_and_keeps_short_ones() -> None:
    xs = list(range(10_000))
    shown_x, shown_y = decimate(xs, xs, 2000)
    assert len(shown_x) == len(shown_y) == 2000
    assert shown_x[0] == 0 and shown_x[1] == 5
    assert decimate([1.0, 2.0], [3.0, 4.0], 2000) == ([1.0, 2.0], [3.0, 4.0])


def test_best_row_prefers_the_test_loss() -> None:
    rows = [
        {"epoch": 0, "train_loss": 0.1, "test_loss": 0.9},
        {"epoch": 1, "train_loss": 0.5, "test_loss": 0.2},
    ]
    assert best_loss_column(rows) == "test_loss"
    assert best_index(rows) == 1
    assert best_index([{"epoch": 0, "loss": 2.0}, {"epoch": 1, "loss": 1.0}]) == 1
    assert best_index([{"i": 1.0}]) is None
    assert best_index([]) is None


def test_loss_curves_spec_plots_every_column_against_x() -> None:
    rows = [
        {"epoch": 0, "train_loss": 0.9, "test_loss": 1.0},
        {"epoch": 5, "train_loss": 0.4, "test_loss": 0.6},
    ]
    assert loss_curves_spec(rows) == {
        "kind": "line",
        "title": "Loss curves",
        "xlabel": "epoch",
        "ylabel": "loss",
        "series": [
            {"label": "train_loss", "x": [0, 5], "y": [0.9, 0.4]},
            {"label": "test_loss", "x": [0, 5], "y": [1.0, 0.6]},
        ],
    }


def test_loss_curves_spec_numbers_rows_without_x_and_fills_gaps_with_nan() -> None:
    spec = loss_curves_spec([{"loss": 2.0}, {"other": 1.0}], x="step", title="T")
    assert spec["title"] == "T" and spec["xlabel"] == "step"
    [series] = spec["series"]
    assert series["x"] == [0, 1]
    assert series["y"][0] == 2.0 and math.isnan(series["y"][1])
    assert loss_curves_spec([])["series"] == []


def test_loss_curves_spec_caps_long_histories() -> None:
    rows = [{"epoch": i, "loss": 1 / (i + 1)} for i in range(10_000)]
    [series] = loss_curves_spec(rows)["series"]
    assert len(series["x"]) == len(series["y"]) == MAX_PLOT_POINTS
    assert series["x"][:2] == [0, 5]
