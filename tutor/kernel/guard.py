"""The session guard: notices when a step changes what every later step relies on."""

from __future__ import annotations

import os
import sys
from typing import Any


class SessionGuard:
    """Notices when a step changes what every later step relies on.

    The working directory is put back (lessons find ``models/`` through it);
    a changed default dtype or device is reported, since undoing it silently
    would hide what the code did.  A restart clears both.
    """

    def __init__(self) -> None:
        self.cwd = os.getcwd()
        self.reported: dict[str, str] = {}

    def after_run(self, *_args: Any) -> None:
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
