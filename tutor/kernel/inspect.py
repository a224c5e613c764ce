"""What tutor asks the kernel about: the device, and summaries of the namespace's tensors.

The app's process never imports torch: tensors are summarized here and cross
the wire as ``protocol`` payloads.  torch is used only once lesson code has
imported it (``inspect_namespace``) or when tutor asks for the device.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from tutor.kernel.helpers import tutor_device
from tutor.protocol import (
    DeviceReport,
    Inspection,
    MemoryPayload,
    ModuleSummary,
    OptimizerSummary,
    TensorSummary,
)

STATS_MAX_ELEMENTS = 10_000_000
"""Tensors larger than this get no min/max/mean in the inspector (too slow)."""

PARAMETERS_SHOWN = 20
"""A module's first parameters are listed under it; the rest would crowd the inspector."""


def describe_device() -> DeviceReport:
    """The torch version and the device ``tutor_device()`` picks, or why it cannot."""
    try:
        import torch
    except ImportError as exc:
        return DeviceReport(
            ok=False,
            device=None,
            torch_version=None,
            error=f"PyTorch is not installed here: {exc}",
        )
    requested = os.environ.get("TUTOR_DEVICE", "auto")
    error = device_unavailable_reason(requested)
    if error:
        return DeviceReport(ok=False, device=None, torch_version=torch.__version__, error=error)
    device = tutor_device()
    if device.type != "cpu" and device.index is None:
        device = torch.device(device.type, torch.accelerator.current_device_index())
    return DeviceReport(ok=True, device=str(device), torch_version=torch.__version__, error=None)


def device_unavailable_reason(requested: str) -> str | None:
    """None if ``requested`` can be used here, else a sentence saying why not."""
    import torch

    if requested in ("auto", "cpu"):
        return None
    checks = {
        "cuda": lambda: torch.cuda.is_available(),
        "mps": lambda: torch.backends.mps.is_available(),
    }
    kind = requested.split(":")[0]
    if kind not in checks:
        return f"unknown device {requested!r}: use auto, cpu, cuda or mps"
    if not checks[kind]():
        build = torch.__version__
        return (
            f"device {requested!r} is not available: this PyTorch ({build}) sees no "
            f"{kind.upper()} device. Use --device cpu or --device auto."
        )
    return None


def cuda_memory() -> MemoryPayload | None:
    """The session's memory on its CUDA device, once lesson code has used CUDA.

    Asked after every run, so it must cost nothing otherwise: it never imports torch
    and never starts CUDA (which takes seconds and hundreds of megabytes).
    """
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_initialized():
        return None
    device = tutor_device()
    index = device.index if device.type == "cuda" and device.index is not None else None
    if index is None:
        index = torch.cuda.current_device()
    return MemoryPayload(
        device=f"cuda:{index}",
        allocated=int(torch.cuda.memory_allocated(index)),
        peak=int(torch.cuda.max_memory_allocated(index)),
    )


def namespace_summary() -> list[Inspection]:
    """``inspect_namespace`` over the session's own namespace."""
    from IPython import get_ipython

    shell = get_ipython()
    return inspect_namespace(shell.user_ns, shell.user_ns_hidden)


def inspect_namespace(namespace: Mapping[str, Any], hidden: Iterable[str] = ()) -> list[Inspection]:
    """Summaries of the tensors, modules (with their parameters) and optimizers in a namespace."""
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    hidden = set(hidden)
    entries: list[Inspection] = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in hidden:
            continue
        if isinstance(value, torch.Tensor):
            entries.append(summarize_tensor(name, value))
        elif isinstance(value, torch.nn.Module):
            entries.append(summarize_module(name, value))
            for pname, param in list(value.named_parameters())[:PARAMETERS_SHOWN]:
                entries.append(summarize_tensor(f"{name}.{pname}", param))
        elif isinstance(value, torch.optim.Optimizer):
            entries.append(summarize_optimizer(name, value))
    return entries


def summarize_tensor(name: str, t: Any) -> TensorSummary:
    """Shape, dtype, device, grad state, min/max/mean, NaN/Inf count and size of a tensor."""
    import torch

    nan = inf = None
    low = high = mean = None
    if 0 < t.numel() <= STATS_MAX_ELEMENTS and not t.is_complex() and t.device.type != "meta":
        with torch.no_grad():
            data = t.detach()
            if data.dtype == torch.bool:
                data = data.to(torch.uint8)
            as_float = data.to(torch.float64) if data.device.type == "cpu" else data.float()
            finite = torch.isfinite(as_float)
            nan = int(torch.isnan(as_float).sum().item())
            inf = int(torch.isinf(as_float).sum().item())
            if bool(finite.any()):
                values = as_float[finite]
                low = float(values.min().item())
                high = float(values.max().item())
                mean = float(values.mean().item())
    return TensorSummary(
        name=name,
        kind="parameter" if isinstance(t, torch.nn.Parameter) else "tensor",
        type=type(t).__name__,
        shape=list(t.shape),
        dtype=str(t.dtype).removeprefix("torch."),
        device=str(t.device),
        requires_grad=bool(t.requires_grad),
        has_grad=t.grad is not None if t.is_leaf else False,
        bytes=t.element_size() * t.nelement(),
        min=low,
        max=high,
        mean=mean,
        nan=nan,
        inf=inf,
    )


def summarize_module(name: str, module: Any) -> ModuleSummary:
    params = list(module.parameters())
    return ModuleSummary(
        name=name,
        kind="module",
        type=type(module).__name__,
        params=sum(p.numel() for p in params),
        device=str(params[0].device) if params else None,
        training=bool(module.training),
        bytes=sum(p.element_size() * p.nelement() for p in params),
    )


def summarize_optimizer(name: str, optimizer: Any) -> OptimizerSummary:
    groups = optimizer.param_groups
    return OptimizerSummary(
        name=name,
        kind="optimizer",
        type=type(optimizer).__name__,
        lr=groups[0].get("lr") if groups else None,
        params=sum(len(group["params"]) for group in groups),
    )
