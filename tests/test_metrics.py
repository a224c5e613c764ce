"""The pure helpers shared by the kernel side, headless and the app."""

from tutor.metrics import best_index, best_loss_column, decimate, format_metric


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


def test_format_metric() -> None:
    assert format_metric(3.0) == "3"
    assert format_metric(0.123456) == "0.12346"
    assert format_metric(None) == ""
