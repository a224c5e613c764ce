"""Hints for known mistakes (tutor/hints.py)."""

from __future__ import annotations

import pytest

from tutor.hints import MISTAKES, command_line_device_hint, hint_for


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.error_type}: {m.prefix[:30]}")
def test_each_mistake_matches_by_its_prefix(mistake) -> None:
    assert mistake.hint.strip()
    assert hint_for(mistake.error_type, mistake.prefix) == mistake.hint
    message = mistake.prefix + " (and whatever this PyTorch version adds after it)"
    assert hint_for(mistake.error_type, message) == mistake.hint


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.error_type}: {m.prefix[:30]}")
def test_a_different_error_type_gets_no_hint(mistake) -> None:
    other = "KeyError" if mistake.error_type != "KeyError" else "IndexError"
    assert hint_for(other, mistake.prefix) is None


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.error_type}: {m.prefix[:30]}")
def test_prefix_must_start_the_message(mistake) -> None:
    assert hint_for(mistake.error_type, "Wrapped: " + mistake.prefix) is None
    assert hint_for(mistake.error_type, mistake.prefix[:-1]) is None


def test_dotted_type_name() -> None:
    message = "Weights only load failed. This file can still be loaded ..."
    unpickling = next(m for m in MISTAKES if m.error_type == "UnpicklingError")
    assert hint_for("_pickle.UnpicklingError", message) == unpickling.hint
    assert hint_for("pickle.UnpicklingError", message) == unpickling.hint
    assert hint_for("UnpicklingError", message) == unpickling.hint
    assert hint_for("_pickle.PicklingError", message) is None


def test_real_messages() -> None:
    shapes = "mat1 and mat2 shapes cannot be multiplied (1x40 and 1x1)"
    assert "unsqueeze" in hint_for("RuntimeError", shapes)
    assert "unsqueeze" in hint_for("torch.RuntimeError", shapes)
    stdin = "raw_input was called, but this frontend does not support input requests."
    assert "input()" in hint_for("StdinNotImplementedError", stdin)
    assert hint_for("ValueError", "an unrelated message") is None
    assert hint_for("RuntimeError", "") is None
    assert hint_for("", "") is None


def test_a_missing_package_says_how_to_install_it_where_the_session_runs() -> None:
    hint = hint_for("ModuleNotFoundError", "No module named 'sklearn.model_selection'")
    assert hint is not None
    assert "`sklearn` is not installed" in hint
    assert "`%pip install scikit-learn`" in hint and "matplotlib" not in hint
    plotting = hint_for("ModuleNotFoundError", "No module named 'seaborn'")
    assert plotting is not None
    assert "`%pip install seaborn`" in plotting
    assert "matplotlib" in plotting and "plot_predictions" in plotting
    assert hint_for("ModuleNotFoundError", "something else entirely") is None
    assert hint_for("ImportError", "No module named 'seaborn'") is None


def test_mistakes_are_distinct() -> None:
    keys = [(m.error_type, m.prefix) for m in MISTAKES]
    assert len(keys) == len(set(keys))
    assert all("." not in m.error_type for m in MISTAKES)


def test_defined_names() -> None:
    from tutor.runner import defined_names

    code = "import torch.nn as nn\nfrom math import pi\nx, (y, z) = 1, (2, 3)\n"
    code += "def f(): pass\nclass C: pass\nfor i in range(2): total = i\n"
    assert defined_names(code) >= {"nn", "pi", "x", "y", "z", "f", "C", "i", "total"}
    assert defined_names("this is not python") == set()


@pytest.mark.parametrize(
    ("error_type", "message", "device"),
    [
        ("AssertionError", "Torch not compiled with CUDA enabled", "cuda"),
        ("RuntimeError", "Found no NVIDIA driver on your system. Please check ...", "cuda"),
        ("RuntimeError", "No CUDA GPUs are available", "cuda:0"),
        ("torch.AcceleratorError", "CUDA error: invalid device ordinal\nCUDA kernel ...", "cuda:3"),
        ("RuntimeError", "PyTorch is not linked with support for mps devices", "mps"),
    ],
)
def test_a_device_the_command_line_asked_for_is_blamed_on_the_command_line(
    error_type: str, message: str, device: str
) -> None:
    hint = command_line_device_hint(error_type, message, device)
    assert hint is not None
    assert hint.startswith(f"You started tutor with `--device {device}`, but this machine has no ")
    assert "Start tutor again with `--device cpu`, or `--device auto`" in hint
    assert "by hand" not in hint


@pytest.mark.parametrize("device", ["auto", "cpu", "mps"])
def test_a_device_the_code_named_itself_gets_no_command_line_hint(device: str) -> None:
    """Started with auto or cpu, or with another device: the step's code asked for CUDA."""
    message = "Torch not compiled with CUDA enabled"
    assert command_line_device_hint("AssertionError", message, device) is None
    assert "torch.accelerator.is_available()" in hint_for("AssertionError", message)
    assert command_line_device_hint("ValueError", "an unrelated message", "cuda") is None
