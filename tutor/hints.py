"""Hints for the mistakes learners make, keyed by a stable prefix of the error message.

Error messages change wording between PyTorch versions, so each entry matches
only the start of a message that has stayed the same.  The runner shows the
hint of the first entry that matches a failed step's error, before the step's
own hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """A common mistake: the error it raises and what to tell the learner."""

    error_type: str
    prefix: str
    hint: str


_OUT_OF_MEMORY = (
    "The GPU has no memory left for this: on a shared machine other processes may hold "
    "most of it (`nvidia-smi` lists them). Free what this session holds with `del` on "
    "tensors and models you no longer need, then `torch.cuda.empty_cache()`; train with "
    "smaller batches; or start tutor with `--device cpu`."
)

MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "RuntimeError",
        "Expected all tensors to be on the same device",
        "The model and the data are on different devices. Move both with `.to(device)` "
        "before the forward pass: `model.to(device)`, `X = X.to(device)`.",
    ),
    Mistake(
        "TypeError",
        "can't convert cuda",
        "NumPy and plotting libraries only read tensors in CPU memory. "
        "Call `.cpu()` on the tensor first, e.g. `preds.cpu()`.",
    ),
    Mistake(
        "TypeError",
        "can't convert mps",
        "NumPy and plotting libraries only read tensors in CPU memory. "
        "Call `.cpu()` on the tensor first, e.g. `preds.cpu()`.",
    ),
    Mistake(
        "RuntimeError",
        "Can't call numpy() on Tensor that requires grad",
        "This tensor is part of the autograd graph. Make predictions under "
        "`torch.inference_mode()`, or call `.detach()` before `.numpy()` or plotting.",
    ),
    Mistake(
        "RuntimeError",
        "Trying to backward through the graph a second time",
        "The forward pass must run inside the epoch loop: each `loss.backward()` needs "
        "a fresh graph from a new forward pass.",
    ),
    Mistake(
        "RuntimeError",
        "mat1 and mat2 shapes cannot be multiplied",
        "`nn.Linear` wants inputs of shape [samples, features]. A 1-D X needs "
        "`.unsqueeze(dim=1)` to become [N, 1].",
    ),
    Mistake(
        "RuntimeError",
        "mat1 and mat2 must have the same dtype",
        "The data and the model have different dtypes (often float64 data from NumPy). "
        "Convert the data with `.float()` (or `.to(torch.float32)`).",
    ),
    Mistake(
        "TypeError",
        "Cannot convert a MPS Tensor to float64",
        "Apple's MPS devices have no float64. Convert the data with `.float()` first.",
    ),
    Mistake(
        "RuntimeError",
        "Inference tensors cannot be saved for backward",
        "This tensor was made under `torch.inference_mode()` and cannot join training. "
        "Recreate it outside the `with torch.inference_mode():` block.",
    ),
    Mistake(
        "UnpicklingError",
        "Weights only load failed",
        "`torch.load` only loads plain tensors and containers by default (PyTorch 2.6+). "
        "Save and load the `state_dict()`, not the whole model; use `weights_only=False` "
        "only for a file you trust, since unpickling can run code.",
    ),
    Mistake(
        "RuntimeError",
        "Attempting to deserialize object on a CUDA device",
        "The file was saved on a GPU and this machine has none. Pass "
        "`map_location=device` (or `'cpu'`) to `torch.load`.",
    ),
    Mistake(
        "RuntimeError",
        "Error(s) in loading state_dict for",
        "The saved parameters do not fit this model: the keys differ. Load the "
        "`state_dict` into an instance of the same class that saved it.",
    ),
    Mistake(
        "AssertionError",
        "Torch not compiled with CUDA enabled",
        "This PyTorch build has no CUDA support. Pick the device with "
        "`torch.accelerator.is_available()` and fall back to `torch.device('cpu')`.",
    ),
    Mistake(
        "RuntimeError",
        "PyTorch is not linked with support for mps devices",
        "This PyTorch build has no MPS support. Pick the device with "
        "`torch.accelerator.is_available()` and fall back to `torch.device('cpu')`.",
    ),
    *(
        Mistake(error_type, prefix, _OUT_OF_MEMORY)
        for error_type, prefix in (
            ("OutOfMemoryError", "CUDA out of memory"),
            ("RuntimeError", "CUDA out of memory"),
            ("RuntimeError", "CUDA error: out of memory"),
            ("AcceleratorError", "CUDA error: out of memory"),
        )
    ),
    Mistake(
        "ValueError",
        "can't optimize a non-leaf Tensor",
        "Optimizers update leaf tensors only. Pass `model.parameters()`, or a tensor "
        "created with `requires_grad=True` (not one computed from another).",
    ),
    Mistake(
        "RankFailed",
        "rank ",
        "A rank of `run_distributed()` ended without a Python exception: it called "
        "`os._exit()` or `sys.exit()`, crashed, or was killed (`SIGKILL` most often means "
        "the machine ran out of memory). Its last lines, prefixed `[rank N]`, are in the "
        "output; fewer ranks (`nproc=`) need less memory.",
    ),
    Mistake(
        "RankFailed",
        "torchrun exited with code",
        "torchrun itself failed before the ranks ran; what it printed is above. Check the "
        "script's path and the `args` you passed.",
    ),
    Mistake(
        "StdinNotImplementedError",
        "raw_input was called",
        "Lesson code cannot read from the keyboard with `input()`. Set the value in the "
        "code instead.",
    ),
)


MISSING_DEVICE: tuple[tuple[str, str, str], ...] = (
    ("AssertionError", "Torch not compiled with CUDA enabled", "cuda"),
    ("RuntimeError", "Found no NVIDIA driver on your system", "cuda"),
    ("RuntimeError", "No CUDA GPUs are available", "cuda"),
    ("RuntimeError", "CUDA error: invalid device ordinal", "cuda"),
    ("AcceleratorError", "CUDA error: invalid device ordinal", "cuda"),
    ("RuntimeError", "PyTorch is not linked with support for mps devices", "mps"),
)
"""(error type, message prefix, device kind) of the errors that mean this machine, or
this PyTorch, has no such device."""


def command_line_device_hint(error_type: str, message: str, device: str) -> str | None:
    """For an error that means the device is missing, when the device was the one tutor
    was started with (``--device cuda``): the start, not the step's code, chose it.
    None for any other error or device, which the step's code named itself."""
    short_type = error_type.rsplit(".", 1)[-1]
    kind = device.split(":")[0]
    if not any(
        short_type == missing_type and message.startswith(prefix) and kind == missing_kind
        for missing_type, prefix, missing_kind in MISSING_DEVICE
    ):
        return None
    return (
        f"You started tutor with `--device {device}`, but this machine has no {kind.upper()} "
        f"device that this PyTorch can use, so the step cannot run on it. Start tutor again "
        f"with `--device cpu`, or `--device auto` to use the accelerator only where there is one."
    )


PLOTTING_PACKAGES = frozenset({"seaborn", "plotly", "bokeh", "altair", "plotnine", "pygal"})
"""Plotting libraries a learner may reach for; tutor draws matplotlib's figures instead."""

PACKAGE_OF_MODULE = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
}
"""Modules whose package on the package index has another name."""

_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")


def hint_for(error_type: str, message: str) -> str | None:
    """The hint for an error, if it is one of the known mistakes."""
    short_type = error_type.rsplit(".", 1)[-1]
    if short_type == "ModuleNotFoundError":
        return missing_module_hint(message)
    for mistake in MISTAKES:
        if short_type == mistake.error_type and message.startswith(mistake.prefix):
            return mistake.hint
    return None


def missing_module_hint(message: str) -> str | None:
    """For ``No module named 'x'``: how to install x where the session can import it."""
    match = _MISSING_MODULE.match(message)
    if match is None:
        return None
    module = match[1].split(".")[0]
    package = PACKAGE_OF_MODULE.get(module, module)
    hint = (
        f"`{module}` is not installed in the Python that runs tutor's session. "
        f"`%pip install {package}` (in a step or the console) installs it there, as in a "
        f"notebook; then run the step again."
    )
    if module in PLOTTING_PACKAGES:
        hint += (
            " For plots you need nothing more: tutor draws matplotlib's figures "
            "(`import matplotlib.pyplot as plt`) in the Plot tab, and has its own "
            "`plot(...)` and `plot_predictions(...)`."
        )
    return hint
