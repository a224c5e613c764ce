"""The session guard: notices when a step changes what every later step relies on."""

from __future__ import annotations

import importlib.machinery
import os
import sys
from typing import Any

_COMPILED = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def cut_short_imports() -> list[str]:
    """The packages whose import stopped partway, leaving compiled parts loaded.

    An interrupt (or an error) in the middle of ``import torch`` takes ``torch`` out
    of ``sys.modules`` but leaves the submodules it had loaded, ``torch._C`` among
    them.  Importing it again then runs its set-up a second time over the loaded
    compiled code, which fails ("Only a single TORCH_LIBRARY can be used …"): no
    later step could use the package in this process.
    """
    modules = sys.modules
    return sorted(
        {
            parent
            for name, module in list(modules.items())
            if (parent := name.partition(".")[0]) != name
            and parent not in modules
            and _compiled(module)
        }
    )


def _compiled(module: Any) -> bool:
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    return isinstance(origin, str) and origin.endswith(_COMPILED)


class SessionGuard:
    """Notices when a step changes what every later step relies on.

    The working directory is put back (lessons find ``models/`` through it);
    a changed default dtype or device is reported, since undoing it silently
    would hide what the code did.  A restart clears both.  A package whose import
    was cut short is noted (``cut_short``) for the session, which must restart.
    """

    def __init__(self) -> None:
        self.cwd = os.getcwd()
        self.reported: dict[str, str] = {}
        self.cut_short: list[str] = []
        """After the last run: ``cut_short_imports()``, which the session must restart for."""
        self._modules_seen = len(sys.modules)

    def after_run(self, *_args: Any) -> None:
        if len(sys.modules) != self._modules_seen:  # a run that imports nothing costs nothing
            self.cut_short = cut_short_imports()
            self._modules_seen = len(sys.modules)
        try:
            cwd = os.getcwd()
        except OSError:  # the directory itself was removed
            cwd = ""
        if cwd != self.cwd:
            os.chdir(self.cwd)
            print(
                f"tutor: the code changed the working directory to {cwd or '(removed)'}; "
                f"tutor changed it back to {self.cwd} so later steps find their files.",
                file=sys.stderr,
            )
        torch = sys.modules.get("torch")
        if torch is None:
            return
        defaults = {
            "dtype": str(torch.get_default_dtype()),
            "device": str(torch.get_default_device()),
        }
        usual = {"dtype": "torch.float32", "device": "cpu"}
        for what, value in defaults.items():
            if value != usual[what] and self.reported.get(what) != value:
                print(
                    f"tutor: the code set torch's default {what} to {value}; every later "
                    f"step will use it. Restart the session to go back to {usual[what]}.",
                    file=sys.stderr,
                )
            self.reported[what] = value


current = SessionGuard()
"""The session's guard, set up by ``install()``; ``run_summary()`` reads it."""
