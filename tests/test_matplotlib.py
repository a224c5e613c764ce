"""matplotlib in a real session: figures become Plot events, as the course's own code
draws them (tutor/kernel/mpl_backend.py behind KernelSession)."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.test_session import collect, finished, of_type, stdout
from tutor.kernel.figures import skipped_message
from tutor.protocol import MATPLOTLIB_BACKEND
from tutor.session import KernelSession, KernelState, Output, Plot, RunStatus

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.kernel]

OPEN_FIGURES = "__import__('matplotlib.pyplot').pyplot.get_fignums()"

COURSE_DATA = """
import matplotlib.pyplot as plt
import torch
from torch import nn

weight, bias = 0.7, 0.3
X = torch.arange(0, 1, 0.02).unsqueeze(dim=1)
y = weight * X + bias
train_split = int(0.8 * len(X))
X_train, y_train = X[:train_split], y[:train_split]
X_test, y_test = X[train_split:], y[train_split:]


def plot_predictions(
    train_data=X_train, train_labels=y_train, test_data=X_test, test_labels=y_test,
    predictions=None,
):
    plt.figure(figsize=(10, 7))
    plt.scatter(train_data, train_labels, c="b", s=4, label="Training data")
    plt.scatter(test_data, test_labels, c="g", s=4, label="Testing data")
    if predictions is not None:
        plt.scatter(test_data, predictions, c="r", s=4, label="Predictions")
    plt.legend(prop={"size": 14})
"""

COURSE_TRAINING = """
class LinearRegressionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(1, dtype=torch.float), requires_grad=True)
        self.bias = nn.Parameter(torch.randn(1, dtype=torch.float), requires_grad=True)

    def forward(self, x):
        return self.weights * x + self.bias


torch.manual_seed(42)
model_0 = LinearRegressionModel()
loss_fn = nn.L1Loss()
optimizer = torch.optim.SGD(params=model_0.parameters(), lr=0.01)
epoch_count, train_loss_values, test_loss_values = [], [], []
for epoch in range(100):
    model_0.train()
    loss = loss_fn(model_0(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model_0.eval()
    with torch.inference_mode():
        test_loss = loss_fn(model_0(X_test), y_test)
    if epoch % 10 == 0:
        epoch_count.append(epoch)
        train_loss_values.append(loss.item())
        test_loss_values.append(test_loss.item())
"""

COURSE_PREDICTIONS = """
with torch.inference_mode():
    y_preds = model_0(X_test)
plot_predictions(predictions=y_preds)
"""

COURSE_LOSS_CURVES = """
plt.plot(epoch_count, train_loss_values, label="Train loss")
plt.plot(epoch_count, test_loss_values, label="Test loss")
plt.title("Training and test loss curves")
plt.ylabel("Loss")
plt.xlabel("Epochs")
plt.legend();
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KernelSession]:
    kernel = KernelSession(cwd=tmp_path_factory.mktemp("mpl-cwd"), device="cpu")
    await kernel.start()
    assert kernel.state is KernelState.IDLE
    yield kernel
    await kernel.shutdown()


async def ok_plots(session: KernelSession, code: str) -> list[dict]:
    events = await collect(session, textwrap.dedent(code))
    assert finished(events).status is RunStatus.OK, events
    return [event.spec for event in of_type(events, Plot)]


async def test_the_course_plots_its_data_predictions_and_loss_curves(
    session: KernelSession,
) -> None:
    (data,) = await ok_plots(session, COURSE_DATA + "\nplot_predictions()")
    assert data["kind"] == "scatter"
    assert [(s["label"], len(s["x"]), len(s["y"])) for s in data["series"]] == [
        ("Training data", 40, 40),
        ("Testing data", 10, 10),
    ]
    assert data["series"][1]["x"][0] == pytest.approx(0.8)
    assert data["series"][0]["y"][:2] == pytest.approx([0.3, 0.314])

    assert await ok_plots(session, COURSE_TRAINING) == []
    (predictions,) = await ok_plots(session, COURSE_PREDICTIONS)
    labels = [s["label"] for s in predictions["series"]]
    assert labels == ["Training data", "Testing data", "Predictions"]
    assert predictions["series"][2]["y"][0] == pytest.approx(0.8141, abs=1e-4)

    (curves,) = await ok_plots(session, COURSE_LOSS_CURVES)
    assert curves["kind"] == "line"
    assert (curves["title"], curves["xlabel"], curves["ylabel"]) == (
        "Training and test loss curves",
        "Epochs",
        "Loss",
    )
    assert [(s["label"], len(s["x"])) for s in curves["series"]] == [
        ("Train loss", 10),
        ("Test loss", 10),
    ]
    assert curves["series"][0]["x"] == [float(epoch) for epoch in range(0, 100, 10)]
    assert curves["series"][0]["y"][0] == pytest.approx(0.31288, abs=1e-4)
    assert await session.evaluate(OPEN_FIGURES) == []


async def test_the_session_uses_tutors_backend(session: KernelSession) -> None:
    await ok_plots(session, "import matplotlib")
    assert await session.evaluate("__import__('matplotlib').get_backend()") == MATPLOTLIB_BACKEND


async def test_a_plot_in_a_cell_gives_plot_events_and_closes_the_figure(
    session: KernelSession,
) -> None:
    code = """
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([0, 1, 2], [3, 1, 2], label="Line")
    right.bar([1, 2], [4, 5])
    """
    plots = await ok_plots(session, code)
    assert [(p["kind"], p["series"][0]["y"]) for p in plots] == [
        ("line", [3.0, 1.0, 2.0]),
        ("bar", [4.0, 5.0]),
    ]
    assert [p["seq"] for p in plots] == [0, 1]
    assert await session.evaluate(OPEN_FIGURES) == []


async def test_show_is_harmless_and_sends_the_figure_once(session: KernelSession) -> None:
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\nprint('after show')"
    events = await collect(session, code)
    assert finished(events).status is RunStatus.OK
    assert stdout(events) == "after show\n"
    assert len(of_type(events, Plot)) == 1


async def test_a_cell_without_figures_gives_nothing(session: KernelSession) -> None:
    await ok_plots(session, "import matplotlib.pyplot as plt")
    events = await collect(session, "nothing_drawn = 1")
    assert finished(events).status is RunStatus.OK
    assert of_type(events, Plot) == []
    assert of_type(events, Output) == []


async def test_an_image_is_named_on_stderr_and_the_step_passes(session: KernelSession) -> None:
    code = "import matplotlib.pyplot as plt\nplt.imshow([[0, 1], [1, 0]])"
    events = await collect(session, code)
    assert finished(events).status is RunStatus.OK
    assert of_type(events, Plot) == []
    errors = "".join(e.text for e in of_type(events, Output) if e.stream == "stderr")
    assert errors == skipped_message(1, "an image (imshow)") + "\n"
    assert await session.evaluate(OPEN_FIGURES) == []


async def test_a_lesson_without_matplotlib_never_loads_it(tmp_path: Path) -> None:
    kernel = KernelSession(cwd=tmp_path, device="cpu")
    await kernel.start()
    try:
        assert finished(await collect(kernel, "import torch\nt = torch.ones(2)")).status is (
            RunStatus.OK
        )
        assert await kernel.evaluate("'matplotlib' in __import__('sys').modules") is False
    finally:
        await kernel.shutdown()
