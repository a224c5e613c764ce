"""The learner's own editor for exercise code: ``$VISUAL``, else ``$EDITOR``, else vi.

The code goes to a temporary ``.py`` file, the editor runs in the terminal (the
app suspended around it by the caller), and the file is read back.  A non-zero
exit, an editor that cannot start, or an unchanged file keeps the code as it was.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path


def editor_command(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The editor to run, as arguments (``$EDITOR`` may carry options: ``code --wait``)."""
    return shlex.split(environ.get("VISUAL") or environ.get("EDITOR") or "") or ["vi"]


@dataclass(frozen=True)
class Edited:
    """What came back: the new code (None when it stays as it was) and what to say."""

    code: str | None
    message: str


def edit_externally(
    code: str,
    suspended: Callable[[], AbstractContextManager[object]],
    *,
    environ: Mapping[str, str] = os.environ,
) -> Edited:
    """Let the learner edit ``code`` in their editor, run inside ``suspended()``."""
    command = editor_command(environ)
    name = command[0] if command else "the editor"
    with tempfile.TemporaryDirectory(prefix="tutor-edit-") as folder:
        path = Path(folder) / "exercise.py"
        path.write_text(code, encoding="utf-8")
        try:
            with suspended():
                returncode = subprocess.call([*command, str(path)])
        except OSError as exc:
            return Edited(
                None, f"Could not start {name} ({exc.strerror or exc}); the code is as it was."
            )
        if returncode != 0:
            return Edited(None, f"{name} exited with code {returncode}; the code is as it was.")
        try:
            edited = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return Edited(None, f"Could not read the file back ({exc}); the code is as it was.")
    if edited == code:
        return Edited(None, "The file was not changed; the code is as it was.")
    return Edited(edited, f"Your code from {name} is in the editor and saved.")
