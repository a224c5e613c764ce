"""The package that lives inside the session (tutor/kernel/), called directly."""

from __future__ import annotations

import gc
import math
import sys

import numpy as np
import pytest
import torch

from tutor import kernel
from tutor.kernel import history, recorder, track, tutor_device
from tutor.kernel.inspect import (
    describe_device,
    device_unavailable_reason,
    inspect_namespace,
    summarize_tensor,
)


@pytest.fixture(autouse=True)
def fresh_recorder(monkeypatch: pytest.MonkeyPatch) -> recorder.Recorder:
    """Each test records into its own history, outside any tutor kernel."""
    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    fresh = recorder.Recorder()
    monkeypatch.setattr(recorder, "current", fresh)
    return fresh


# --------------------------------------------------------------------------- summarize_tensor


def test_summarize_tensor_counts_nan_and_inf_and_skips_them_in_stats() -> None:
    t = torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 3.0, float("nan")])
    entry = summarize_tensor("t", t)
    assert entry["name"] == "t"
    assert entry["kind"] == "tensor"
    assert entry["type"] == "Tensor"
    assert entry["shape"] == [6]
    assert entry["dtype"] == "float32"
    assert entry["device"] == "cpu"
    assert entry["nan"] == 2
    assert entry["inf"] == 2
    assert entry["min"] == 1.0
    assert entry["max"] == 3.0
    assert entry["mean"] == pytest.approx(2.0)
    assert entry["bytes"] == 24


def test_summarize_tensor_all_nan_has_no_stats() -> None:
    entry = summarize_tensor("t", torch.full((3,), float("nan"), dtype=torch.float64))
    assert entry["nan"] == 3
    assert entry["inf"] == 0
    assert entry["min"] is None and entry["max"] is None and entry["mean"] is None
    assert entry["dtype"] == "float64"
    assert entry["bytes"] == 24


def test_summarize_empty_tensor() -> None:
    entry = summarize_tensor("empty", torch.empty(0, 4))
    assert entry["shape"] == [0, 4]
    assert entry["bytes"] == 0
    assert entry["min"] is None and entry["nan"] is None


def test_summarize_bool_tensor() -> None:
    entry = summarize_tensor("mask", torch.tensor([True, False, True, True]))
    assert entry["dtype"] == "bool"
    assert entry["bytes"] == 4
    assert (entry["min"], entry["max"]) == (0.0, 1.0)
    assert entry["mean"] == pytest.approx(0.75)
    assert (entry["nan"], entry["inf"]) == (0, 0)


def test_summarize_int_tensor() -> None:
    entry = summarize_tensor("idx", torch.arange(-2, 8, dtype=torch.int32).reshape(2, 5))
    assert entry["dtype"] == "int32"
    assert entry["shape"] == [2, 5]
    assert entry["bytes"] == 40
    assert (entry["min"], entry["max"]) == (-2.0, 7.0)
    assert entry["mean"] == pytest.approx(2.5)
    assert (entry["nan"], entry["inf"]) == (0, 0)


def test_summarize_requires_grad_tensor_with_grad() -> None:
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    before = summarize_tensor("w", w)
    assert before["requires_grad"] is True
    assert before["has_grad"] is False
    (w * 2).sum().backward()
    entry = summarize_tensor("w", w)
    assert entry["requires_grad"] is True
    assert entry["has_grad"] is True
    assert entry["mean"] == pytest.approx(2.0)
    y = w * 3  # not a leaf: it never gets .grad
    derived = summarize_tensor("y", y)
    assert derived["requires_grad"] is True
    assert derived["has_grad"] is False
    assert derived["max"] == pytest.approx(9.0)


def test_summarize_parameter() -> None:
    p = torch.nn.Parameter(torch.zeros(2, 3))
    entry = summarize_tensor("p", p)
    assert entry["kind"] == "parameter"
    assert entry["type"] == "Parameter"
    assert entry["requires_grad"] is True
    assert entry["bytes"] == 24


def test_summarize_complex_and_meta_tensors_have_no_stats() -> None:
    complex_entry = summarize_tensor("c", torch.ones(3, dtype=torch.complex64))
    assert complex_entry["dtype"] == "complex64"
    assert complex_entry["min"] is None and complex_entry["nan"] is None
    meta = summarize_tensor("m", torch.empty(4, 4, device="meta"))
    assert meta["device"] == "meta"
    assert meta["min"] is None


def test_inspect_namespace_filters_and_hides() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    namespace = {
        "x": torch.ones(2),
        "_private": torch.ones(1),
        "hidden_one": torch.ones(1),
        "model": model,
        "opt": torch.optim.Adam(model.parameters(), lr=0.01),
        "number": 3,
        "track": track,
    }
    entries = inspect_namespace(namespace, hidden=["hidden_one"])
    names = [e["name"] for e in entries]
    assert names == ["x", "model", "model.0.weight", "model.0.bias", "opt"]
    by_name = {e["name"]: e for e in entries}
    assert by_name["model"]["params"] == 3 * 2 + 2
    assert by_name["model"]["type"] == "Sequential"
    assert by_name["opt"]["type"] == "Adam"
    assert by_name["opt"]["lr"] == pytest.approx(0.01)


# --------------------------------------------------------------------------- track / history


def test_track_records_rows_in_order() -> None:
    for epoch in range(3):
        track(epoch=epoch, loss=1.0 / (epoch + 1))
    assert history() == [
        {"epoch": 0.0, "loss": 1.0},
        {"epoch": 1.0, "loss": 0.5},
        {"epoch": 2.0, "loss": pytest.approx(1 / 3)},
    ]
    # history() is a copy
    history()[0]["epoch"] = 99
    assert history()[0]["epoch"] == 0.0


def test_track_rejects_non_numbers_naming_the_key() -> None:
    with pytest.raises(TypeError, match=r"train_loss='abc'"):
        track(epoch=1, train_loss="abc")
    with pytest.raises(TypeError, match="test_loss"):
        track(test_loss=None)
    with pytest.raises(TypeError, match="acc"):
        track(acc=torch.ones(3))  # more than one element
    with pytest.raises(TypeError):
        track()
    assert history() == []  # nothing half-recorded


def test_track_accepts_tensors_and_numpy_scalars() -> None:
    track(loss=torch.tensor(0.25), step=np.int64(4), acc=torch.tensor([0.5]), flag=True)
    row = history()[-1]
    assert row == {"loss": 0.25, "step": 4.0, "acc": 0.5, "flag": 1.0}
    assert all(type(v) is float for v in row.values())


def test_track_nan_is_allowed() -> None:
    track(loss=float("nan"))
    assert math.isnan(history()[-1]["loss"])


def test_each_run_starts_a_new_history(fresh_recorder: recorder.Recorder) -> None:
    track(a=1)
    fresh_recorder.start_run()
    assert history() == [{"a": 1.0}]  # the most recent history, until a new row
    track(b=2)
    assert history() == [{"b": 2.0}]


def test_an_earlier_runs_history_is_let_go(fresh_recorder: recorder.Recorder) -> None:
    track(a=1)
    earlier = fresh_recorder.run_rows
    fresh_recorder.start_run()
    track(b=2)
    fresh_recorder.start_run()  # a run that tracks nothing keeps the latest history
    holders = [holder for holder in gc.get_referrers(earlier) if holder is not sys._getframe()]
    assert holders == [], "the first run's rows are still held"
    assert history() == [{"b": 2.0}]


def test_progress_counts_and_totals(fresh_recorder: recorder.Recorder) -> None:
    assert list(kernel.progress(range(4), description="epochs")) == [0, 1, 2, 3]
    assert fresh_recorder.run_progress == {"done": 4, "total": 4, "description": "epochs"}
    assert list(kernel.progress(x for x in "ab")) == ["a", "b"]
    assert fresh_recorder.run_progress == {"done": 2, "total": None, "description": ""}
    assert list(kernel.progress(iter([1]), total=10)) == [1]
    assert fresh_recorder.run_progress["total"] == 10


# --------------------------------------------------------------------------- devices


@pytest.fixture
def accelerator(monkeypatch: pytest.MonkeyPatch):
    """Pretend the machine has (or lacks) an accelerator, whatever it really has."""

    def configure(*, cuda: bool = False, mps: bool = False, requested: str = "auto") -> None:
        current = "cuda" if cuda else "mps" if mps else None
        monkeypatch.setattr(torch.accelerator, "is_available", lambda: current is not None)
        monkeypatch.setattr(
            torch.accelerator,
            "current_accelerator",
            lambda *a, **k: torch.device(current) if current else None,
        )
        monkeypatch.setattr(torch.accelerator, "current_device_index", lambda: 0)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
        monkeypatch.setenv("TUTOR_DEVICE", requested)

    return configure


def test_auto_picks_cuda_when_available(accelerator) -> None:
    accelerator(cuda=True)
    assert tutor_device() == torch.device("cuda")
    described = describe_device()
    assert described["ok"] is True
    assert described["device"] == "cuda:0"
    assert described["torch_version"] == torch.__version__


def test_auto_picks_mps_when_available(accelerator) -> None:
    accelerator(mps=True)
    assert tutor_device().type == "mps"


def test_auto_picks_cpu_without_accelerator(accelerator) -> None:
    accelerator()
    assert tutor_device() == torch.device("cpu")
    assert describe_device() == {
        "ok": True,
        "device": "cpu",
        "torch_version": torch.__version__,
        "error": None,
    }


def test_no_env_means_auto(accelerator, monkeypatch: pytest.MonkeyPatch) -> None:
    accelerator(cuda=True)
    monkeypatch.delenv("TUTOR_DEVICE")
    assert tutor_device().type == "cuda"


def test_explicit_cpu_even_with_accelerator(accelerator) -> None:
    accelerator(cuda=True, requested="cpu")
    assert tutor_device() == torch.device("cpu")
    assert describe_device()["device"] == "cpu"


def test_explicit_mps_when_available(accelerator) -> None:
    accelerator(mps=True, requested="mps")
    assert tutor_device() == torch.device("mps")
    assert device_unavailable_reason("mps") is None


def test_explicit_cuda_index(accelerator) -> None:
    accelerator(cuda=True, requested="cuda:1")
    assert tutor_device() == torch.device("cuda", 1)
    assert device_unavailable_reason("cuda:1") is None


@pytest.mark.parametrize("requested", ["auto", "cpu"])
def test_auto_and_cpu_are_always_available(accelerator, requested: str) -> None:
    accelerator()
    assert device_unavailable_reason(requested) is None


@pytest.mark.parametrize(
    ("requested", "kind"), [("cuda", "CUDA"), ("cuda:0", "CUDA"), ("mps", "MPS")]
)
def test_unavailable_device_reason(accelerator, requested: str, kind: str) -> None:
    accelerator(requested=requested)
    reason = device_unavailable_reason(requested)
    assert reason is not None
    assert f"{requested!r} is not available" in reason
    assert kind in reason
    assert torch.__version__ in reason
    assert "--device cpu" in reason
    described = describe_device()
    assert described["ok"] is False
    assert described["error"] == reason


def test_cuda_unavailable_even_if_mps_is(accelerator) -> None:
    accelerator(mps=True)
    assert device_unavailable_reason("cuda") is not None


@pytest.mark.parametrize("requested", ["tpu", "gpu", "xla:0"])
def test_unknown_device_names(accelerator, requested: str) -> None:
    accelerator(cuda=True)
    reason = device_unavailable_reason(requested)
    assert reason is not None
    assert f"unknown device {requested!r}" in reason
    assert "auto, cpu, cuda or mps" in reason


# --------------------------------------------------------------------------- setup


HELPERS = {
    "track",
    "progress",
    "history",
    "plot",
    "plot_predictions",
    "plot_loss_curves",
    "tutor_device",
    "run_distributed",
    "save_state_dict",
}


def test_star_import_gives_a_notebook_the_helpers_only() -> None:
    namespace: dict[str, object] = {}
    exec("from tutor.kernel import *", namespace)
    assert set(namespace) - {"__builtins__"} == HELPERS


def test_install_pushes_the_helpers_and_hooks_the_run_boundaries(
    fresh_recorder: recorder.Recorder,
) -> None:
    class DisplayHook:
        prompt_count = 5

        def __init__(self) -> None:
            self.written: list[dict[str, object]] = []

        def write_format_data(self, format_dict: dict[str, object], md_dict=None) -> None:
            self.written.append(format_dict)

    class Events:
        def __init__(self) -> None:
            self.registered: list[str] = []

        def register(self, event: str, _callback: object) -> None:
            self.registered.append(event)

    class Shell:
        def __init__(self) -> None:
            self.pushed: dict[str, object] = {}
            self.events = Events()
            self.displayhook = DisplayHook()

        def push(self, names: dict[str, object], interactive: bool) -> None:
            assert interactive is False
            self.pushed.update(names)

    shell = Shell()
    kernel.install(shell)
    assert set(shell.pushed) == {*HELPERS, "__tutor__"}
    assert shell.pushed["__tutor__"] is kernel
    assert shell.pushed["track"] is track
    assert shell.events.registered == ["pre_run_cell", "post_run_cell", "post_run_cell"]
    for name in ("as_json", "run_summary", "namespace_summary", "describe_device"):
        assert callable(getattr(kernel, name)), f"the host calls __tutor__.{name}"
    # a cell's result is still written out, and kept in the run's record as well
    shell.displayhook.write_format_data({"text/plain": "42", "text/html": "<b>42</b>"})
    assert shell.displayhook.written == [{"text/plain": "42", "text/html": "<b>42</b>"}]
    assert fresh_recorder.summary()["result"] == {"count": 5, "text": "42"}
    fresh_recorder.start_run()
    assert fresh_recorder.summary()["result"] is None, "each run has its own result"


def test_plot_loss_curves_records_the_loss_curves_spec(
    fresh_recorder: recorder.Recorder,
) -> None:
    track(epoch=0, loss=torch.tensor(1.0))
    track(epoch=1, loss=0.5)
    kernel.plot_loss_curves()
    [spec] = fresh_recorder.run_plots
    assert spec == {
        "kind": "line",
        "title": "Loss curves",
        "xlabel": "epoch",
        "ylabel": "loss",
        "series": [{"label": "loss", "x": [0.0, 1.0], "y": [1.0, 0.5]}],
        "seq": 0,
    }


def test_plot_loss_curves_names_itself_for_rows_that_are_not_numbers() -> None:
    with pytest.raises(TypeError, match=r"plot_loss_curves\(\): loss='high'"):
        kernel.plot_loss_curves([{"epoch": 0, "loss": "high"}])
    with pytest.raises(ValueError, match="no metrics yet"):
        kernel.plot_loss_curves()


def test_outside_tutor_a_plot_is_printed_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    kernel.plot(("points", [0, 1, 2], [1, 0, 1]), title="Printed plot")
    out = capsys.readouterr().out
    assert "Printed plot" in out and "points" in out


# --------------------------------------------------------------------------- the guard
def _fake_module(name: str, origin: str) -> object:
    import importlib.machinery
    import types

    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, origin=origin)
    return module


def test_a_package_whose_import_stopped_partway_with_compiled_parts_loaded_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.machinery
    import sys

    from tutor.kernel.guard import cut_short_imports

    compiled = importlib.machinery.EXTENSION_SUFFIXES[0]
    leftovers = {
        # what an interrupted ``import halfdone`` leaves: its compiled part, not itself
        "halfdone._core": _fake_module("halfdone._core", f"/x/halfdone/_core{compiled}"),
        "halfdone.utils": _fake_module("halfdone.utils", "/x/halfdone/utils.py"),
        # pure Python leftovers import again without harm
        "purepkg.sub": _fake_module("purepkg.sub", "/x/purepkg/sub.py"),
        # a whole package, compiled parts and all
        "wholepkg": _fake_module("wholepkg", "/x/wholepkg/__init__.py"),
        "wholepkg._core": _fake_module("wholepkg._core", f"/x/wholepkg/_core{compiled}"),
    }
    for name, module in leftovers.items():
        monkeypatch.setitem(sys.modules, name, module)
    assert "halfdone" not in sys.modules
    assert cut_short_imports() == ["halfdone"]
    monkeypatch.setitem(sys.modules, "halfdone", _fake_module("halfdone", "/x/halfdone/a.py"))
    assert cut_short_imports() == []


def test_the_guard_looks_again_only_after_a_run_that_changed_the_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.machinery
    import sys

    from tutor.kernel.guard import SessionGuard

    guard = SessionGuard()
    guard.after_run()
    assert guard.cut_short == []
    compiled = importlib.machinery.EXTENSION_SUFFIXES[0]
    monkeypatch.setitem(
        sys.modules, "halfdone._core", _fake_module("halfdone._core", f"/x{compiled}")
    )
    guard.after_run()
    assert guard.cut_short == ["halfdone"]
    monkeypatch.setitem(sys.modules, "halfdone", _fake_module("halfdone", "/x/a.py"))
    guard.after_run()
    assert guard.cut_short == [], "a package imported whole at last is no longer cut short"
