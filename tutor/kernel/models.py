"""Saving models from lesson code: ``save_state_dict``, atomically and only inside models/."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MODELS_DIR = Path("models")
"""Where ``save_state_dict()`` writes, relative to the session's working directory."""

MODEL_SUFFIXES = (".pth", ".pt")
"""The endings PyTorch files have by convention; ``save_state_dict()`` takes no other."""


def save_state_dict(state_dict: Mapping[str, Any], name: str) -> Path:
    """Save a ``state_dict`` as ``models/<name>`` and return that path.

    It does what lesson 6 teaches: ``torch.save`` to a temporary file in
    ``models/``, then a rename onto the final name.  A save cut short (an error,
    Ctrl+C, a crash) leaves the previous file whole and no temporary file behind.
    ``name`` must be a bare file name ending in .pth or .pt, so nothing is
    written outside ``models/``.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"save_state_dict(): expected a state_dict, got {type(state_dict).__name__}; "
            "pass model.state_dict(), not the model"
        )
    path = _model_file(name)
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("xb") as handle:
            torch.save(state_dict, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _model_file(name: str) -> Path:
    """``models/<name>``, or a ValueError if ``name`` could lead outside ``models/``.

    ``name`` must be a bare file name: no folder part, not hidden, ending in
    .pth or .pt.  A link inside ``models/`` that points outside is refused too;
    ``models/`` itself may be a link (to keep models on another disk).
    """
    allowed = (
        "give a bare file name ending in .pth or .pt, such as 'model_0.pth' "
        "(no folder, no '/' or '\\', no '..'); the file goes in models/"
    )
    if not isinstance(name, str):
        raise TypeError(
            f"model file name {name!r} is a {type(name).__name__}, not a str: {allowed}"
        )
    if (
        not name
        or name.startswith(".")
        or any(character in name for character in "/\\:\0")
        or not name.endswith(MODEL_SUFFIXES)
    ):
        raise ValueError(f"model file name {name!r} is not allowed: {allowed}")
    path = MODELS_DIR / name
    target = path.resolve()
    if not target.is_relative_to(MODELS_DIR.resolve()):
        raise ValueError(
            f"model file name {name!r} is not allowed: {path} is a link to {target}, "
            "outside models/; remove the link or choose another name"
        )
    return path
