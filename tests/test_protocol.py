"""The wire: payloads the kernel package builds, read back by the session.

No kernel runs here: the recorder publishes into a list, and the session's
parsing is fed the messages a kernel would send, after a trip through JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import torch

from tutor.kernel import as_json, plot, progress, recorder, track
from tutor.kernel.inspect import describe_device, inspect_namespace
from tutor.protocol import (
    CUT_SHORT,
    KIND,
    MIME_TYPE,
    DeviceReport,
    ModuleSummary,
    OptimizerSummary,
    TensorSummary,
)
from tutor.session import History, Metrics, Plot, Progress
from tutor.session.kernel import KernelSession, summary_events


def over_the_wire(value: Any) -> Any:
    """What the other side receives: the value after JSON."""
    return json.loads(json.dumps(value))


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A fresh recorder in a tutor kernel; what it publishes is collected here."""
    import IPython.display

    bundles: list[dict[str, Any]] = []
    monkeypatch.setenv("TUTOR_KERNEL", "1")
    monkeypatch.setattr(recorder, "current", recorder.Recorder())
    monkeypatch.setattr(IPython.display, "publish_display_data", bundles.append)
    return bundles


def display_message(bundle: dict[str, Any]) -> dict[str, Any]:
    return {"msg_type": "display_data", "content": {"data": over_the_wire(bundle)}}


def test_a_live_batch_becomes_the_session_events(published: list[dict[str, Any]]) -> None:
    recorder.current.start_run()
    for epoch in progress(range(2), description="epochs"):
        track(epoch=epoch, loss=1.0 / (epoch + 1))
    plot(("points", [0, 1], [2, 3]), title="P", xlabel="a", ylabel="b")
    recorder.current.end_run()
    assert published and all(list(bundle) == [MIME_TYPE] for bundle in published)

    seen_plots: set[int] = set()
    events = []
    for bundle in published:
        events += KernelSession()._translate(display_message(bundle), seen_plots)
    batches = [event for event in events if isinstance(event, Metrics)]
    rows = [row for batch in batches for row in batch.rows]
    assert rows == [{"epoch": 0.0, "loss": 1.0}, {"epoch": 1.0, "loss": 0.5}]
    starts = [batch.start for batch in batches]
    assert starts == [sum(len(batch.rows) for batch in batches[:i]) for i in range(len(batches))]
    assert [event for event in events if isinstance(event, Progress)][-1] == Progress(
        2, 2, "epochs"
    )
    [plotted] = [event for event in events if isinstance(event, Plot)]
    assert plotted.seq == 0 and seen_plots == {0}
    assert plotted.spec == {
        "kind": "scatter",
        "title": "P",
        "xlabel": "a",
        "ylabel": "b",
        "series": [{"label": "points", "x": [0.0, 1.0], "y": [2.0, 3.0]}],
        "seq": 0,
    }


def test_a_display_without_tutor_data_stays_a_display() -> None:
    message = display_message({"text/plain": "3"})
    [event] = KernelSession()._translate(message, set())
    assert event.data == {"text/plain": "3"}


def test_the_run_summary_becomes_history_new_plots_and_progress(
    published: list[dict[str, Any]],
) -> None:
    recorder.current.start_run()
    track(loss=0.5)
    plot(("a", [0], [1]))
    plot(("b", [0], [2]))
    for _ in progress(range(3)):
        pass
    summary = over_the_wire(recorder.run_summary())
    events = summary_events(summary, seen_plots={0})
    assert events == [
        History([{"loss": 0.5}]),
        Plot(summary["plots"][1]),
        Progress(3, 3, ""),
    ]
    assert events[1].seq == 1


def test_the_summary_in_the_execute_reply_is_read(published: list[dict[str, Any]]) -> None:
    recorder.current.start_run()
    track(loss=0.25)
    value = over_the_wire(as_json(recorder.run_summary())._repr_json_())
    reply = {
        "status": "ok",
        "user_expressions": {"summary": {"status": "ok", "data": {"application/json": value}}},
    }

    summary = asyncio.run(KernelSession()._summary(reply))
    assert summary is not None and summary[CUT_SHORT] == []
    assert summary_events(summary, set()) == [History([{"loss": 0.25}])]


def test_a_run_that_recorded_nothing_has_no_summary_events(
    published: list[dict[str, Any]],
) -> None:
    recorder.current.start_run()
    assert summary_events(over_the_wire(recorder.run_summary()), set()) == []


def test_the_device_report_has_the_fields_the_protocol_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUTOR_DEVICE", "cpu")
    report = over_the_wire(describe_device())
    assert report == DeviceReport(
        ok=True, device="cpu", torch_version=torch.__version__, error=None
    )
    monkeypatch.setenv("TUTOR_DEVICE", "tpu")
    missing = over_the_wire(describe_device())
    assert set(missing) == set(DeviceReport.__annotations__)
    assert missing["ok"] is False and missing["device"] is None
    assert "unknown device 'tpu'" in missing["error"]


def test_inspection_entries_have_the_fields_the_protocol_names_for_their_kind() -> None:
    model = torch.nn.Linear(2, 1)
    namespace = {
        "t": torch.tensor([1.0, 3.0]),
        "model": model,
        "opt": torch.optim.SGD(model.parameters(), lr=0.1),
    }
    entries = over_the_wire(inspect_namespace(namespace))
    fields = {
        "tensor": TensorSummary,
        "parameter": TensorSummary,
        "module": ModuleSummary,
        "optimizer": OptimizerSummary,
    }
    assert [entry[KIND] for entry in entries] == [
        "tensor",
        "module",
        "parameter",
        "parameter",
        "optimizer",
    ]
    for entry in entries:
        assert set(entry) == set(fields[entry[KIND]].__annotations__), entry
    tensor, module, weight, _bias, optimizer = entries
    assert tensor == TensorSummary(
        name="t",
        kind="tensor",
        type="Tensor",
        shape=[2],
        dtype="float32",
        device="cpu",
        requires_grad=False,
        has_grad=False,
        bytes=8,
        min=1.0,
        max=3.0,
        mean=2.0,
        nan=0,
        inf=0,
    )
    assert module == ModuleSummary(
        name="model", kind="module", type="Linear", params=3, device="cpu", training=True, bytes=12
    )
    assert (weight["name"], weight["shape"]) == ("model.weight", [1, 2])
    assert optimizer == OptimizerSummary(name="opt", kind="optimizer", type="SGD", lr=0.1, params=2)


def test_a_completion_reply_gives_matches_and_the_kinds_ipython_could_tell() -> None:
    from tutor.session.kernel import completion_from_reply

    reply = {
        "status": "ok",
        "matches": ["reshape", "reshape_as", "resize_"],
        "cursor_start": 2,
        "cursor_end": 6,
        "metadata": {
            "_jupyter_types_experimental": [
                {"text": "reshape", "type": "function"},
                {"text": "reshape_as", "type": "<unknown>"},
            ]
        },
    }
    completion = completion_from_reply(reply, 6)
    assert (completion.start, completion.end) == (2, 6)
    assert [(item.text, item.type) for item in completion.matches] == [
        ("reshape", "function"),
        ("reshape_as", ""),
        ("resize_", ""),
    ]
    failed = completion_from_reply({"status": "error"}, 6)
    assert (failed.start, failed.end, failed.matches) == (6, 6, ())
