"""The kernel's process: its private folder, connection file, environment and signals.

Launching takes the standard library only, so that headless can start the kernel
before it imports anything else (jupyter_client alone takes about 0.15 s to
import); the kernel boots while tutor loads.  The session connects to it later
with a jupyter_client client, reading the connection file written here.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tutor.protocol import MATPLOTLIB_BACKEND, SESSION_DIR_ENV

KERNEL_ARGV = [
    sys.executable,
    "-m",
    "tutor.kernel_launcher",
    "-f",
    "{connection_file}",
    "--HistoryManager.enabled=False",
    "--IPythonKernel._execute_sleep=0",
]
"""tutor's own launcher on tutor's own interpreter: a kernelspec named ``python3``
installed elsewhere may point at another interpreter without tutor's packages.

ipykernel sleeps 0.5 ms before each execute reply, so that a client reading only
the reply sees the output first; a run here waits for the idle status, which
comes after all of its output, so the sleep only slows every step."""

CHANNELS = ("shell", "iopub", "stdin", "control", "hb")


def connection_info(directory: Path) -> dict[str, Any]:
    """What a Jupyter client needs to reach the kernel: IPC sockets inside ``directory``
    (``kernel-1`` … ``kernel-5``, where TCP would have ports) and a fresh signing key."""
    info: dict[str, Any] = {
        "transport": "ipc",
        "ip": str(directory / "kernel"),
        "key": secrets.token_hex(32),
        "signature_scheme": "hmac-sha256",
        "kernel_name": "tutor",
    }
    info.update({f"{channel}_port": number for number, channel in enumerate(CHANNELS, 1)})
    return info


def kernel_environment(directory: Path, device: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TUTOR_KERNEL": "1",
        "TUTOR_DEVICE": device,
        # Where the kernel keeps files that must go with it (run_distributed's logs).
        SESSION_DIR_ENV: str(directory),
        # A private IPython profile: the user's startup files and history stay out.
        "IPYTHONDIR": str(directory / "ipython"),
        # Figures become tutor's plots; ipykernel's inline backend applies only when unset.
        "MPLBACKEND": MATPLOTLIB_BACKEND,
        # ipykernel ends the kernel when this process is gone, however it ended.
        "JPY_PARENT_PID": str(os.getpid()),
    }
    env.pop("PYTHONSTARTUP", None)
    return env


class KernelProcess:
    """One kernel process, in a process group of its own, and its private folder."""

    def __init__(self, directory: Path, connection: dict[str, Any], log: Any) -> None:
        self.directory = directory
        self.connection = connection
        self.connection_file = directory / "kernel.json"
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def launch(cls, *, cwd: Path, device: str) -> KernelProcess:
        """Write the connection file and start the kernel; OSError if it cannot start."""
        directory = Path(tempfile.mkdtemp(prefix="tutor-session-"))  # mode 0700
        connection = connection_info(directory)
        # The key signs every message: the file is its owner's alone.
        descriptor = os.open(directory / "kernel.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(connection, file)
        # The kernel's own log (not lesson output, which comes as messages) must not
        # write over the app's screen; it goes to a file beside the connection file.
        log = open(directory / "kernel.log", "wb")  # noqa: SIM115 - closed in remove_files
        kernel = cls(directory, connection, log)
        argv = [part.format(connection_file=kernel.connection_file) for part in KERNEL_ARGV]
        try:
            kernel.process = subprocess.Popen(
                argv,
                cwd=str(cwd),
                env=kernel_environment(directory, device),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                # Its own session and process group: an interrupt or a kill reaches
                # whatever the lesson code started, and the terminal's Ctrl+C does not.
                start_new_session=True,
            )
        except OSError:
            kernel.remove_files()
            raise
        return kernel

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the kernel's process group (to the kernel alone if that fails)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except OSError:
            with contextlib.suppress(OSError):
                self.process.send_signal(signum)

    def kill(self) -> None:
        """Kill the whole process group: whatever the lesson code started goes too."""
        self.signal(signal.SIGKILL)

    def remove_files(self) -> None:
        """Close the kernel's log and remove its private folder (connection file included)."""
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.directory, ignore_errors=True)
