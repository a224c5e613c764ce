"""``run_distributed()``: a training script on several processes with torchrun, from a step.

torchrun (``python -m torch.distributed.run``) does the work: it starts one
process per rank on this machine, with a c10d rendezvous on the loopback
address (``--standalone`` resolves the host name, which took three times as
long), tees each rank's output with a ``[rank N]`` prefix, and stops every
rank when one fails.  Every socket is on 127.0.0.1: gloo and NCCL are pointed at
the loopback interface, and torchrun's two ``TCPStore`` servers (which would listen
on every interface) are handed sockets bound to it.  tutor adds what a step
needs around it:

- rank 0's ``track()`` rows and ``progress()`` reach the step's live table and
  bar: the helpers in rank 0 append their batches to a file named in
  ``RELAY_ENV``, which the session reads while the ranks run and records as its
  own (so ``history()`` in the session holds them afterwards);
- a rank that raises fails the step with that rank's exception and traceback,
  read from torchrun's error file (``TORCHELASTIC_ERROR_FILE``), which each
  rank writes through ``tutor.kernel.rank``;
- an interrupt (ctrl+c, ``--timeout``) kills every rank's process group and
  torchrun's; and should the session itself die, torchrun and then each rank
  get a signal from the kernel (Linux's parent-death signal), so no process is
  left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tutor.kernel import recorder
from tutor.protocol import METRICS, PLOTS, PROGRESS, RELAY_ENV, SESSION_DIR_ENV, Batch

RANK_DIR_ENV = "TUTOR_RANK_DIR"
"""The folder each rank writes its process id to (``pid.<rank>``)."""

PARENT_ENV = "TUTOR_PARENT_PID"
"""The process a launched one must die with: the kernel for torchrun, torchrun for a rank."""

RANK_PREFIX = "[rank ${rank}] "
"""torchrun's prefix for each line a rank prints (``TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE``)."""

LOOPBACK = "127.0.0.1"
SHUTDOWN_TIMEOUT_S = 3
"""How long torchrun gives the other ranks to stop, once one failed, before killing them."""

POLL_S = 0.05
"""How often the session looks for new output and rows while the ranks run."""

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int) -> None:
    """Ask Linux to send ``sig`` to this process when its parent ends; if the parent
    named in ``PARENT_ENV`` is already gone, exit now.  Elsewhere nothing happens."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    parent = os.environ.get(PARENT_ENV)
    if parent and os.getppid() != int(parent):
        os._exit(1)


class RankFailed(Exception):
    """A rank of a ``run_distributed()`` run failed.

    The session raises a subclass named after the rank's own exception
    (``ValueError``, ``OutOfMemoryError``, ...), with its message, so that the
    step fails with that error and its hint; IPython shows the rank's
    traceback (``_render_traceback_``) rather than the launcher's.
    """

    rank: int | None = None
    world_size: int = 0
    rank_traceback: str = ""

    def _render_traceback_(self) -> list[str]:
        who = f"rank {self.rank}" if self.rank is not None else "a rank"
        header = f"{who} of {self.world_size} failed first; torchrun stopped the others."
        return [header, *self.rank_traceback.rstrip("\n").splitlines()]


def rank_error(
    error_type: str, message: str, *, rank: int | None, world_size: int, traceback: str = ""
) -> RankFailed:
    """A ``RankFailed`` whose type is called ``error_type``."""
    cls = (
        type(error_type, (RankFailed,), {"__module__": "tutor.rank"})
        if error_type.isidentifier() and error_type != "RankFailed"
        else RankFailed
    )
    error = cls(message)
    error.rank, error.world_size, error.rank_traceback = rank, world_size, traceback
    return error


@dataclass(frozen=True)
class RankFailure:
    """What torchrun's error file says about a failed rank."""

    rank: int
    error_type: str
    message: str
    traceback: str


def read_error_file(path: Path) -> RankFailure | None:
    """A rank's error as torchrun's error file holds it (``record_exception``'s format:
    ``{"message": {"message": "Type: text", "extraInfo": {"py_callstack": ...}}}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        body = data["message"]
        text, extra = (body, {}) if isinstance(body, str) else (body["message"], body["extraInfo"])
        rank = int(path.parent.name)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    error_type, _, message = str(text).partition(": ")
    return RankFailure(rank, error_type, message, str(extra.get("py_callstack", "")))


def error_files(log_dir: Path) -> list[RankFailure]:
    """Every rank's error file, the oldest first."""
    files = sorted(log_dir.glob("*/attempt_*/*/error.json"), key=lambda p: p.stat().st_mtime_ns)
    return [failure for path in files if (failure := read_error_file(path)) is not None]


KNOCK_ON = (
    "Connection closed by peer",
    "Connection reset by peer",
    "Broken pipe",
    "NCCL communicator was aborted",
)
"""What a rank raises when another rank died under it: that other rank is the cause."""

SHUT_DOWN_BY_TORCHRUN = (-signal.SIGTERM, -signal.SIGKILL)
"""How the ranks torchrun stopped (once one had failed) ended."""


@dataclass(frozen=True)
class RankExit:
    """A failed rank as torchrun's closing summary lists it."""

    rank: int
    exitcode: int
    error_file: bool


_SUMMARY_ENTRY = re.compile(
    r"^\s*rank\s*:\s*(\d+).*?^\s*exitcode\s*:\s*(-?\d+).*?^\s*error_file\s*:\s*(\S+)",
    re.M | re.S,
)


def summary_exits(torchrun_output: str) -> list[RankExit]:
    """The failed ranks in torchrun's summary (``ChildFailedError``), in its order."""
    _, _, summary = torchrun_output.rpartition("Failures:")
    return [
        RankExit(int(rank), int(code), error_file != "<N/A>")
        for rank, code, error_file in _SUMMARY_ENTRY.findall(summary)
    ]


def failed_rank(
    log_dir: Path, torchrun_output: str, returncode: int, world_size: int
) -> RankFailed:
    """The error of the rank that failed first, the others having most often failed
    because it did: a rank's own exception (the oldest error file), else a rank that
    ended without one (``os._exit``, a crash), else an error that only says another
    rank went away, else torchrun's own exit code."""
    failures = error_files(log_dir)
    own = [f for f in failures if not any(text in f.message for text in KNOCK_ON)]
    silent = [
        e
        for e in summary_exits(torchrun_output)
        if not e.error_file and e.exitcode not in SHUT_DOWN_BY_TORCHRUN
    ]
    if own or (failures and not silent):
        first = (own or failures)[0]
        return rank_error(
            first.error_type,
            first.message,
            rank=first.rank,
            world_size=world_size,
            traceback=first.traceback,
        )
    if silent:
        rank, code = silent[0].rank, silent[0].exitcode
        if code < 0 and -code in signal.Signals._value2member_map_:
            how = f"was killed by signal {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code}"
        return rank_error("RankFailed", f"rank {rank} {how}", rank=rank, world_size=world_size)
    return rank_error(
        "RankFailed",
        f"torchrun exited with code {returncode}",
        rank=None,
        world_size=world_size,
        traceback=torchrun_output,
    )


def loopback_interface() -> str | None:
    """The name of this machine's loopback interface (``lo`` on Linux, ``lo0`` on macOS)."""
    import socket

    with contextlib.suppress(OSError, AttributeError):
        names = [name for _, name in socket.if_nameindex()]
        return next((name for name in names if name in ("lo", "lo0")), None)
    return None


def default_nproc() -> int:
    """One process per GPU where the session uses CUDA, else 2 on the CPU."""
    from tutor.kernel.helpers import tutor_device

    device = tutor_device()
    if device.type == "cuda":
        import torch

        return torch.cuda.device_count()
    return 2


def torchrun_command(script: str, nproc: int, log_dir: Path, args: Sequence[str]) -> list[str]:
    """``python -m torch.distributed.run`` on this machine only, every socket on the
    loopback address, each rank's output teed with its prefix."""
    return [
        sys.executable,
        "-u",
        "-m",
        "tutor.kernel.torchrun",
        "--nnodes=1",
        f"--nproc-per-node={nproc}",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint={LOOPBACK}:0",
        f"--local-addr={LOOPBACK}",
        "--max-restarts=0",
        f"--shutdown-timeout={SHUTDOWN_TIMEOUT_S}",
        f"--log-dir={log_dir}",
        "--tee=3",
        "-m",
        "tutor.kernel.rank",
        script,
        *args,
    ]


def relay_batch(batch: Batch) -> None:
    """Record a batch rank 0 sent as the session's own rows, plots and progress."""
    current = recorder.current
    for row in batch.get(METRICS, {}).get("rows", []):
        current.add_row(row)
    for spec in batch.get(PLOTS, []):
        spec = dict(spec)
        spec.pop("seq", None)
        current.add_plot(spec)  # type: ignore[arg-type]
    if PROGRESS in batch:
        progress = batch[PROGRESS]
        current.set_progress(progress["done"], progress["total"], progress["description"])


class _Relay:
    """Reads the relay file as rank 0 appends to it; only whole lines count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return
        self.offset += len(data)
        *lines, self.partial = (self.partial + data).split(b"\n")
        for line in lines:
            if line.strip():
                relay_batch(json.loads(line))


def _pids(rank_dir: Path) -> list[int]:
    pids = []
    for path in rank_dir.glob("pid.*"):
        with contextlib.suppress(OSError, ValueError):
            pids.append(int(path.read_text()))
    return pids


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(pid, signal.SIGKILL)


def stop_everything(process: subprocess.Popen[bytes], rank_dir: Path) -> None:
    """Kill every rank's process group (with what it started), then torchrun's; a rank
    that had not written its pid yet dies with torchrun (its parent-death signal).

    A second interrupt (the session sends one again when the first seems lost) waits
    until this is done, rather than cut it short."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for pid in _pids(rank_dir):
            _kill_group(pid)
        _kill_group(process.pid)
        process.wait()
        for pid in _pids(rank_dir):
            _kill_group(pid)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class _Streams:
    """torchrun's stdout and stderr, line by line: a rank's lines (prefixed by
    torchrun) are printed as they come; torchrun's own are kept for a failure."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.selector = selectors.DefaultSelector()
        self.partial: dict[int, bytes] = {}
        self.targets: dict[int, IO[str]] = {}
        for pipe, target in ((process.stdout, sys.stdout), (process.stderr, sys.stderr)):
            assert pipe is not None
            os.set_blocking(pipe.fileno(), False)
            self.selector.register(pipe.fileno(), selectors.EVENT_READ)
            self.partial[pipe.fileno()] = b""
            self.targets[pipe.fileno()] = target
        self.torchrun_lines: list[str] = []

    def poll(self, timeout: float) -> bool:
        """Read what is there (waiting up to ``timeout``); False once both pipes closed."""
        if not self.selector.get_map():
            return False
        for key, _ in self.selector.select(timeout):
            fd = key.fd
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data:  # closed: a last line without its newline still counts
                self.selector.unregister(fd)
                rest = self.partial.pop(fd)
                self._emit(fd, rest + b"\n" if rest else b"")
                continue
            *lines, self.partial[fd] = (self.partial[fd] + data).split(b"\n")
            self._emit(fd, b"".join(line + b"\n" for line in lines))
        return True

    def _emit(self, fd: int, data: bytes) -> None:
        if not data:
            return
        shown = []
        for line in data.decode("utf-8", "replace").splitlines(keepends=True):
            if line.startswith("[rank "):
                shown.append(line)
            else:
                self.torchrun_lines.append(line)
        if shown:
            self.targets[fd].write("".join(shown))

    def close(self) -> None:
        self.selector.close()


def launch(
    script: str | os.PathLike[str], nproc: int | None = None, args: Sequence[str] = ()
) -> None:
    """``run_distributed()`` (``tutor.kernel.helpers``), which imports this module
    only when a lesson calls it."""
    path = Path(script)
    if not path.is_file():
        raise FileNotFoundError(f"run_distributed(): no script at {path}")
    if nproc is None:
        nproc = default_nproc()
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"run_distributed(): nproc must be a whole number ≥ 1, not {nproc!r}")
    if isinstance(args, str):
        raise TypeError(
            "run_distributed(): args must be a list of strings, e.g. ['--epochs', '100']"
        )
    recorder.current.flush()
    # In the session's own folder, if it has one: removed with it, should the kernel die.
    session_dir = os.environ.get(SESSION_DIR_ENV)
    work = Path(
        tempfile.mkdtemp(
            prefix="torchrun-",
            dir=session_dir if session_dir and os.path.isdir(session_dir) else None,
        )
    )
    rank_dir, log_dir, relay_path = work / "ranks", work / "logs", work / "relay.jsonl"
    rank_dir.mkdir()
    env = {
        **os.environ,
        RELAY_ENV: str(relay_path),
        RANK_DIR_ENV: str(rank_dir),
        PARENT_ENV: str(os.getpid()),
        "TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE": RANK_PREFIX,
    }
    env.setdefault("OMP_NUM_THREADS", "1")
    loopback = loopback_interface()
    if loopback:  # gloo and NCCL would otherwise use the address the host name resolves to
        env.setdefault("GLOO_SOCKET_IFNAME", loopback)
        env.setdefault("NCCL_SOCKET_IFNAME", loopback)
    env.pop("TUTOR_KERNEL", None)  # a rank is not the session: its helpers relay instead
    env.pop("MPLBACKEND", None)
    try:
        process = subprocess.Popen(
            torchrun_command(str(path), nproc, log_dir, [str(a) for a in args]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        torchrun_output = _follow(process, rank_dir, relay_path)
        if process.returncode != 0:
            raise failed_rank(log_dir, torchrun_output, process.returncode, nproc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _follow(process: subprocess.Popen[bytes], rank_dir: Path, relay_path: Path) -> str:
    """Show the ranks' output and record rank 0's rows until torchrun ends; stop
    everything on an interrupt.  Returns what torchrun itself printed."""
    streams = _Streams(process)
    relay = _Relay(relay_path)
    try:
        while streams.poll(POLL_S):
            relay.poll()
        process.wait()
        relay.poll()
    except BaseException:
        stop_everything(process, rank_dir)
        raise
    finally:
        streams.close()
        for pid in _pids(rank_dir):
            _kill_group(pid)
        sys.stdout.flush()
        sys.stderr.flush()
        recorder.current.flush()
    return "".join(streams.torchrun_lines)


def rank_main(argv: list[str]) -> None:
    """In each rank: die with torchrun, note this rank's pid, run the script as
    ``__main__``, write torchrun's error file for an exception, and send what is
    left of rank 0's rows."""
    die_with_parent(signal.SIGKILL)
    rank = os.environ.get("RANK", "0")
    rank_dir = os.environ.get(RANK_DIR_ENV)
    if rank_dir:
        Path(rank_dir, f"pid.{rank}").write_text(str(os.getpid()))
    if not argv:
        raise SystemExit("usage: python -m tutor.kernel.rank SCRIPT [ARGS...]")
    script = os.path.abspath(argv[0])
    sys.argv = [script, *argv[1:]]
    sys.path[0] = os.path.dirname(script)
    import runpy
    import traceback

    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            _write_error_file(f"SystemExit: {exc.code}", "")
        else:
            exc.__traceback__ = None  # its frames hold the script's objects
            _release_process_groups()
        raise
    except BaseException as exc:
        # From the script's own first frame: runpy's and this module's say nothing to
        # the learner.  With none (a SyntaxError), the error alone says it all.
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        if tb is None:
            text = "".join(traceback.format_exception_only(type(exc), exc))
        else:
            text = "".join(traceback.format_exception(type(exc), exc, tb))
        _write_error_file(f"{type(exc).__name__}: {exc}", text)
        sys.stderr.write(text)
        raise SystemExit(1) from None
    else:
        _release_process_groups()
    finally:
        recorder.current.flush()


def _release_process_groups() -> None:
    """Free what the script left, its DDP model above all, while Python still runs.

    A DDP model in a reference cycle is otherwise freed by the collection Python makes
    as it shuts down.  gloo's threads then free the model's last all-reduce, which
    needs the interpreter, and the rank aborts ("terminate called without an active
    exception"; torch 2.13, three runs in nineteen of the distributed lesson's script
    on a busy 2-core machine, none in forty-five with this).  A process group the
    script left open is destroyed here too."""
    import gc

    gc.collect()
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()


def _write_error_file(message: str, callstack: str) -> None:
    """torchrun's error file, as ``torch.distributed.elastic``'s ``@record`` writes it."""
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path:
        return
    import time

    data = {
        "message": {
            "message": message,
            "extraInfo": {"py_callstack": callstack, "timestamp": str(int(time.time()))},
        }
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def _rendezvous_store_on_loopback() -> None:
    """torch's TCPStore server listens on every interface, whatever host it is given;
    given a socket already bound (``master_listen_fd``), it listens on that one alone.
    torchrun hosts two stores, the c10d rendezvous's and the one it shares with the
    ranks: here, both on the loopback address only."""
    import socket

    from torch.distributed import TCPStore
    from torch.distributed.elastic.rendezvous import c10d_rendezvous_backend as backend
    from torch.distributed.elastic.rendezvous import dynamic_rendezvous

    def loopback_store(host, port, *args, is_master=False, **kwargs):  # type: ignore[no-untyped-def]
        if not is_master or host != LOOPBACK or "master_listen_fd" in kwargs:
            return TCPStore(host, port, *args, is_master=is_master, **kwargs)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(socket.SOMAXCONN)
        port = listener.getsockname()[1]
        # The store owns the socket from here on.
        kwargs["master_listen_fd"] = listener.detach()
        return TCPStore(host, port, *args, is_master=True, **kwargs)

    def shared_store(self, master_addr, master_port):  # type: ignore[no-untyped-def]
        return loopback_store(master_addr, master_port, is_master=True, multi_tenant=True)

    backend.TCPStore = loopback_store
    dynamic_rendezvous.DynamicRendezvousHandler._create_tcp_store_server = shared_store


def launch_main(argv: list[str]) -> None:
    """torchrun itself, made to die with the session: the kernel's death kills it, and
    its ranks die with it (each has its own parent-death signal).  Killed, not asked to
    stop: with nobody left to read its output, a graceful stop only takes longer (on a
    busy machine torchrun outlived a 15 s wait that way)."""
    die_with_parent(signal.SIGKILL)
    os.environ[PARENT_ENV] = str(os.getpid())
    _rendezvous_store_on_loopback()
    import runpy

    sys.argv = ["torchrun", *argv]
    runpy.run_module("torch.distributed.run", run_name="__main__", alter_sys=True)
