"""Starts tutor's kernel: ipykernel, listening on no TCP port at all.

ipykernel's output thread binds a TCP port on 127.0.0.1 to collect the output
of forked child processes.  tutor's session talks over IPC sockets only, so
this launcher turns that pipe off.  Output printed by a forked child process
(a rare thing in lessons) is then not shown.  It also starts the kernel without
ipykernel's debugger, which only a notebook front end uses, and skips the
flushes of stdout and stderr that have nothing to send.  When tutor's process is gone
without cleaning up (killed outright), the kernel removes the session's private folder,
its signing key included, before it ends.

Run as ``python -m tutor.kernel_launcher -f CONNECTION_FILE``.
"""

import os
import shutil
import sys
import time
from pathlib import Path

from tutor.protocol import SESSION_DIR_ENV

if __name__ == "__main__":
    # As ipykernel_launcher does: the working directory is added back to
    # sys.path by IPython itself once the kernel is set up.
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]

    # ipykernel's debugger (debugpy) answers a notebook front end's debug requests,
    # which tutor never sends; importing it costs about 50 ms of the kernel's start-up.
    # It is hidden while the kernel is set up; lesson code may import it as usual.
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    from ipykernel import iostream, kernelapp

    class _IOPubThreadWithoutPipe(iostream.IOPubThread):
        def __init__(self, socket, pipe=False, session=False):  # type: ignore[no-untyped-def]
            super().__init__(socket, pipe=False, session=session)

    class _OutStreamWithoutIdleFlushes(iostream.OutStream):
        """ipykernel flushes stdout and stderr four times a run and before every
        display, and each flush waits for the output thread; with nothing written
        since the last flush, there is nothing to wait for."""

        _written = False

        def write(self, string):  # type: ignore[no-untyped-def]
            written = super().write(string)
            self._written = True
            return written

        def flush(self):  # type: ignore[no-untyped-def]
            if self._written:
                self._written = False
                super().flush()

    class _ParentPollerThatCleansUp(kernelapp.ParentPollerUnix):
        """ipykernel ends the kernel once its parent process is gone.  tutor's process
        removes the session's folder when it ends; one killed outright cannot, so the
        kernel does, when its parent was tutor's own process."""

        def run(self) -> None:
            folder = os.environ.get(SESSION_DIR_ENV)
            if not folder:
                super().run()  # started some other way: ipykernel's own polling
                return
            # tutor starts this process itself, so its parent is tutor's process: a
            # parent other than that one at once (tutor killed, under load, while the
            # kernel still started) means tutor is gone already.  ipykernel's polling
            # would then wait for init to adopt the kernel, and end it with the folder
            # left behind.
            while os.getppid() == self.parent_pid:
                time.sleep(1.0)
            if Path(app.connection_file).parent == Path(folder):
                shutil.rmtree(folder, ignore_errors=True)
            os._exit(1)

    kernelapp.IOPubThread = _IOPubThreadWithoutPipe  # type: ignore[misc]
    kernelapp.ParentPollerUnix = _ParentPollerThatCleansUp  # type: ignore[misc]
    # The app resolves its output stream class by name, from this module.
    iostream.OutStream = _OutStreamWithoutIdleFlushes  # type: ignore[misc]
    app = kernelapp.IPKernelApp.instance()
    app.initialize()
    del sys.modules["debugpy"]
    app.start()
