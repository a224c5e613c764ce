"""matplotlib figures to plot specs (tutor/kernel/figures.py) and the backend's flushing
(tutor/kernel/mpl_backend.py), over Agg figures built in this process: no kernel."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import numpy
import pytest
from matplotlib.figure import Figure

from tutor.kernel import recorder
from tutor.kernel.figures import axes_plot, figure_plots, skipped_message
from tutor.metrics import MAX_PLOT_POINTS


def one_plot(figure: Figure) -> dict:
    conversion = figure_plots(figure)
    assert len(conversion.plots) == 1, conversion
    assert conversion.skipped == []
    return conversion.plots[0]


def test_a_line_plot_keeps_its_data_title_axis_labels_and_legend_labels() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    axes.plot([0, 10, 20], [0.5, 0.3, 0.2], label="Train loss")
    axes.plot([0, 10, 20], [0.6, 0.4, 0.35], label="Test loss")
    axes.set_title("Training and test loss curves")
    axes.set_xlabel("Epochs")
    axes.set_ylabel("Loss")
    axes.legend()
    assert one_plot(figure) == {
        "kind": "line",
        "title": "Training and test loss curves",
        "xlabel": "Epochs",
        "ylabel": "Loss",
        "series": [
            {"label": "Train loss", "x": [0.0, 10.0, 20.0], "y": [0.5, 0.3, 0.2]},
            {"label": "Test loss", "x": [0.0, 10.0, 20.0], "y": [0.6, 0.4, 0.35]},
        ],
    }


def test_scatter_points_come_from_the_offsets_of_tensors_and_arrays() -> None:
    torch = pytest.importorskip("torch")
    figure = Figure()
    axes = figure.add_subplot()
    axes.scatter(torch.tensor([[0.0], [0.5]]), torch.tensor([[0.3], [0.65]]), s=4, label="Data")
    axes.scatter(numpy.array([1.0]), numpy.array([1.0]), c="r", label="More")
    spec = one_plot(figure)
    assert spec["kind"] == "scatter"
    assert spec["series"] == [
        {"label": "Data", "x": [0.0, 0.5], "y": [0.30000001192092896, 0.6499999761581421]},
        {"label": "More", "x": [1.0], "y": [1.0]},
    ]


def test_markers_without_a_line_are_points_and_an_invisible_line_is_nothing() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    axes.plot([1, 2], [3, 4], "o")
    axes.plot([1, 2], [5, 6], linestyle="none")  # no line and no marker: draws nothing
    spec = one_plot(figure)
    assert spec["kind"] == "scatter"
    assert [s["y"] for s in spec["series"]] == [[3.0, 4.0]]


def test_mixed_scatter_and_line_keep_both_kinds_in_the_order_drawn() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    axes.scatter([0, 1, 2], [0, 1, 2], label="Training data")
    axes.plot([0, 2], [0.1, 1.9], label="Model")
    axes.scatter([3], [3], label="Test data")
    spec = one_plot(figure)
    assert spec["kind"] == "scatter"  # how most series are drawn
    assert [(s["label"], s.get("kind")) for s in spec["series"]] == [
        ("Training data", None),
        ("Model", "line"),
        ("Test data", None),
    ]


def test_bars_are_drawn_at_their_middles_with_their_heights() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    axes.bar([1, 2, 3], [5, 7, 2], width=0.5, label="Counts")
    spec = one_plot(figure)
    assert spec["kind"] == "bar"
    assert spec["series"] == [{"label": "Counts", "x": [1.0, 2.0, 3.0], "y": [5.0, 7.0, 2.0]}]


def test_a_histogram_is_a_bar_series_labelled_from_its_first_bar() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    values = numpy.random.default_rng(0).normal(size=1000)
    counts, edges, _ = axes.hist(values, bins=8, label="Weights")
    axes.hist(values + 5, bins=4)
    spec = one_plot(figure)
    assert spec["kind"] == "bar"
    first, second = spec["series"]
    assert first["label"] == "Weights"
    assert first["y"] == counts.tolist()
    assert first["x"] == pytest.approx(((edges[:-1] + edges[1:]) / 2).tolist())
    assert sum(first["y"]) == 1000
    assert second["label"] == ""
    assert len(second["x"]) == 4


def test_subplots_give_one_plot_per_axes_and_empty_axes_none() -> None:
    figure = Figure()
    left, right, empty = figure.subplots(1, 3)
    left.plot([0, 1], [1, 0])
    left.set_title("Left")
    right.scatter([0], [0])
    figure.suptitle("Whole figure")
    plots = figure_plots(figure).plots
    assert [(p["kind"], p["title"]) for p in plots] == [
        ("line", "Left"),
        ("scatter", "Whole figure"),  # an axes without a title takes the figure's
    ]
    assert axes_plot(empty) == (None, [])


def test_matplotlib_own_labels_become_no_label() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1])  # labelled _child0 by matplotlib
    axes.plot([0, 1], [1, 0], label="_hidden")
    axes.scatter([0], [0], label="Shown")
    axes.legend()
    assert [s["label"] for s in one_plot(figure)["series"]] == ["", "", "Shown"]


def test_what_the_terminal_cannot_draw_is_named_once_and_the_rest_kept() -> None:
    figure = Figure()
    image_axes, three_d, pie, mixed = (
        figure.add_subplot(2, 2, 1),
        figure.add_subplot(2, 2, 2, projection="3d"),
        figure.add_subplot(2, 2, 3),
        figure.add_subplot(2, 2, 4),
    )
    picture = image_axes.imshow(numpy.eye(3))
    image_axes.imshow(numpy.eye(2))
    figure.colorbar(picture)  # goes with the image: not named on its own
    three_d.plot([0, 1], [0, 1], [0, 1])
    pie.pie([1, 2, 3])
    mixed.plot([0, 1], [0, 1], label="Line")
    mixed.axhline(0.5)
    mixed.errorbar([0, 1], [1, 2], yerr=0.1, label="Measured")
    mixed.fill_between([0, 1], [0, 0], [1, 1])
    conversion = figure_plots(figure)
    assert conversion.skipped == [
        "an image (imshow)",
        "3-D axes",
        "a pie chart (pie)",
        "error bars (errorbar)",
        "a reference line (axhline, axvline)",
        "a filled area (fill_between)",
    ]
    (spec,) = conversion.plots
    assert [s["label"] for s in spec["series"]] == ["Line", "Measured"]
    assert skipped_message(1, "an image (imshow)") == (
        "tutor: figure 1 has an image (imshow), which the terminal cannot draw; it was skipped"
    )


def test_long_series_are_capped_like_every_plot() -> None:
    figure = Figure()
    axes = figure.add_subplot()
    xs = numpy.arange(100_000)
    axes.plot(xs, xs * 2.0)
    axes.scatter(xs, -xs)
    line, points = one_plot(figure)["series"]
    for series in (line, points):
        assert len(series["x"]) == len(series["y"]) == MAX_PLOT_POINTS
        assert series["x"][:2] == [0.0, 50.0]
    assert line["y"][1] == 100.0


# --------------------------------------------------------------------------- the backend


@pytest.fixture
def tutor_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[recorder.Recorder]:
    """pyplot on tutor's backend, recording into a fresh recorder outside any kernel."""
    import matplotlib.pyplot as plt

    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    fresh = recorder.Recorder()
    monkeypatch.setattr(recorder, "current", fresh)
    previous = matplotlib.get_backend()
    plt.switch_backend("module://tutor.kernel.mpl_backend")
    yield fresh
    plt.close("all")
    plt.switch_backend(previous)


def test_show_records_every_open_figure_and_closes_it(
    tutor_backend: recorder.Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    import matplotlib.pyplot as plt

    plt.plot([0, 1, 2], [2, 1, 0], label="Falling")
    plt.title("First")
    second = plt.figure()
    second.add_subplot().scatter([1], [1])
    plt.show()
    assert plt.get_fignums() == []
    assert [p["title"] for p in tutor_backend.run_plots] == ["First", ""]
    assert "First" in capsys.readouterr().out  # outside tutor: drawn as text
    plt.show()  # nothing open: nothing happens
    assert len(tutor_backend.run_plots) == 2


def test_figure_show_sends_that_figure_only(tutor_backend: recorder.Recorder) -> None:
    import matplotlib.pyplot as plt

    kept = plt.figure()
    kept.add_subplot().plot([0, 1])
    shown = plt.figure()
    shown.add_subplot().bar([1], [2])
    shown.show()
    assert [p["kind"] for p in tutor_backend.run_plots] == ["bar"]
    assert plt.get_fignums() == [kept.number]


def test_a_figure_that_cannot_be_read_is_named_and_closed(
    tutor_backend: recorder.Recorder,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matplotlib.pyplot as plt

    from tutor.kernel import mpl_backend

    def unreadable(figure: Figure) -> None:
        raise ValueError("strange artist")

    monkeypatch.setattr(mpl_backend, "figure_plots", unreadable)
    plt.plot([0, 1])
    plt.imshow(numpy.eye(2))
    mpl_backend.flush_figures()
    assert plt.get_fignums() == []
    assert tutor_backend.run_plots == []
    assert capsys.readouterr().err == (
        "tutor: figure 1 could not be read (ValueError('strange artist')); it was skipped\n"
    )


def test_the_unconvertible_is_named_on_stderr(
    tutor_backend: recorder.Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    import matplotlib.pyplot as plt

    from tutor.kernel import mpl_backend

    plt.imshow(numpy.eye(2))
    mpl_backend.flush_figures()
    assert tutor_backend.run_plots == []
    assert capsys.readouterr().err == skipped_message(1, "an image (imshow)") + "\n"
