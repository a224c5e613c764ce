"""Command-line entry: parse arguments, then check lessons, run headless, or open the app.

This module imports nothing but the standard library at the top, so that a Python without
tutor's dependencies gets one line saying so (``console_main``) rather than a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tutor import __version__

if TYPE_CHECKING:
    from tutor.lessons import Lesson, LessonSet
    from tutor.tui.app import TutorApp

EXIT_USAGE = 2
DEVICE = re.compile(r"^(auto|cpu|cuda|mps)(:\d+)?$")


def _device(value: str) -> str:
    if not DEVICE.match(value) or value.startswith(("auto:", "cpu:")):
        raise argparse.ArgumentTypeError(f"{value!r} is not one of auto, cpu, cuda, cuda:N, mps")
    return value


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return seconds


REQUIRED_MODULES = (
    "torch",
    "numpy",
    "textual",
    "rich",
    "textual_plotext",
    "plotext",
    "matplotlib",
    "jupyter_client",
    "ipykernel",
    "IPython",
    "markdown_it",
    "yaml",
    "platformdirs",
    "watchfiles",
    "nbformat",
)
"""The modules of tutor's dependencies (pyproject.toml): tutor's own process imports some,
its session (a child process on the same Python) the others, torch among them."""

HOW_TO_START = (
    "start tutor with 'make run' or '.venv/bin/python -m tutor' (the Python that "
    "'make run' installed it into), or install it into this one with 'pip install -e .'"
)

MODES_OF_OPTIONS: dict[str, tuple[str, ...]] = {
    "--lesson": ("app", "headless"),
    "--device": ("app", "headless"),
    "--watch": ("app", "headless"),
    "--reset-progress": ("app",),
    "--timeout": ("headless",),
    "--report-json": ("headless",),
    "--junit-xml": ("headless",),
    "--quiet": ("headless",),
    "--verbose": ("headless",),
}
"""Options that only some modes use; given to another mode, they are refused."""

MODE_NAMES = {"app": "the app", "headless": "--headless", "check": "--check"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tutor",
        description="Learn the PyTorch workflow in the terminal, one runnable lesson at a time.",
        epilog=(
            "Notebooks: 'tutor import NOTEBOOK.ipynb -o lessons/NN_slug.md' makes a lesson of "
            "one, 'tutor export LESSON -o OUT.ipynb' a notebook of a lesson (each has --help). "
            "Lessons are code: tutor runs them with your rights. Run only lessons you trust."
        ),
    )
    parser.add_argument("--version", action="version", version=f"tutor {__version__}")
    modes = parser.add_argument_group("modes", "without one, tutor opens the app")
    mode = modes.add_mutually_exclusive_group()
    mode.add_argument(
        "--headless", action="store_true", help="run the lessons without a screen (for CI)"
    )
    mode.add_argument(
        "--check", action="store_true", help="check the lesson files and report every problem"
    )
    every = parser.add_argument_group("every mode")
    every.add_argument(
        "--lessons", type=Path, metavar="DIR", help="lesson folder (default: the bundled lessons)"
    )
    both = parser.add_argument_group("the app and headless")
    both.add_argument(
        "--lesson",
        action="append",
        metavar="ID",
        default=[],
        help="only this lesson (repeatable); what it requires is replayed first. "
        "The app opens at its first step",
    )
    both.add_argument("--device", type=_device, help="auto (default), cpu, cuda, cuda:N or mps")
    both.add_argument(
        "--watch",
        action="store_true",
        help="reload lesson files when they change on disk; headless runs the changed "
        "lessons again on every save (for lesson authors)",
    )
    app = parser.add_argument_group("the app only")
    app.add_argument(
        "--reset-progress",
        action="store_true",
        help="forget the saved progress (place, finished steps, exercise code), then start",
    )
    headless = parser.add_argument_group("headless only")
    headless.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"per step (default {_default_timeout():g}); in the app, ctrl+c stops a step",
    )
    headless.add_argument("--report-json", type=Path, metavar="PATH", help="write a JSON report")
    headless.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report")
    detail = headless.add_mutually_exclusive_group()
    detail.add_argument(
        "-q", "--quiet", action="store_true", help="no tables or plots, only steps and failures"
    )
    detail.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also what each step showed, as a notebook would (results included)",
    )
    return parser


def _default_timeout() -> float:
    from tutor.runner import DEFAULT_TIMEOUT_S

    return DEFAULT_TIMEOUT_S


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the defaults filled in; exits 2 with the usage for an option
    the chosen mode does not use (``--timeout`` to the app, say), rather than ignore it."""
    parser = build_parser()
    args = parser.parse_args(argv)
    mode = "headless" if args.headless else "check" if args.check else "app"
    for option, modes in MODES_OF_OPTIONS.items():
        given = getattr(args, option.removeprefix("--").replace("-", "_"))
        if mode not in modes and given not in (None, False, []):
            where = " and ".join(MODE_NAMES[m] for m in modes) + ("" if len(modes) > 1 else " only")
            hint = " (add --headless to run the lessons without a screen)" if mode == "app" else ""
            parser.error(f"{option} is for {where}, not {MODE_NAMES[mode]}{hint}")
    args.device = args.device or "auto"
    args.timeout = args.timeout or _default_timeout()
    return args


def _load(directory: Path | None) -> LessonSet:
    from tutor.lessons import LessonError, bundled_lessons_dir, load_lessons

    try:
        return load_lessons(directory or bundled_lessons_dir())
    except LessonError as error:
        sys.stderr.write(f"tutor: {error.path}: {error.message}\n")
        sys.exit(EXIT_USAGE)


def _selected(lessons: LessonSet, ids: list[str]) -> list[Lesson] | None:
    """The lessons ``--lesson`` names, in course order (all of them without it); None,
    said on stderr, when one is not there.  One whose file did not load is named with
    that file's problems, not called unknown."""
    for lesson_id in ids:
        if lessons.get(lesson_id) is not None:
            continue
        path = lessons.left_out.get(lesson_id)
        if path is None:
            known = ", ".join(lesson.id for lesson in lessons.lessons) or "none"
            sys.stderr.write(f"tutor: unknown lesson {lesson_id!r} (lessons: {known})\n")
        else:
            problems = "".join(f"{error}\n" for error in lessons.errors if error.path == path)
            sys.stderr.write(f"tutor: lesson {lesson_id!r} does not load:\n{problems}")
        return None
    return [lesson for lesson in lessons.lessons if not ids or lesson.id in ids]


def check(lessons: LessonSet) -> int:
    """Print every problem of every file as ``path:line: message``, in file and line
    order (the loader's), then a summary; 2 if there is any."""
    errors = lessons.errors
    for error in errors:
        print(error)
    steps = sum(len(lesson.steps) for lesson in lessons.lessons)
    if errors:
        files = len({error.path for error in errors if error.path != lessons.directory})
        print(
            f"{len(errors)} problem(s); {len(lessons.lessons)} lesson(s) load cleanly, "
            f"{files} file(s) do not",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(f"{len(lessons.lessons)} lessons, {steps} steps: no problems in {lessons.directory}")
    return 0


def make_app(
    lessons: LessonSet, *, device: str = "auto", lesson_id: str | None = None, watch: bool = False
) -> TutorApp:
    """The terminal app; the one factory that ``__main__`` and the tests use."""
    from tutor.tui.app import TutorApp

    return TutorApp(lessons, device=device, lesson_id=lesson_id, watch=watch)


def _headless(args: argparse.Namespace, lessons: LessonSet, selected: list[Lesson]) -> int:
    """Run headless; the kernel boots while headless's own modules import."""
    from tutor.session import KernelSession

    session = KernelSession(device=args.device)
    session.launch()
    try:
        from tutor.headless import HeadlessOptions, run_headless

        options = HeadlessOptions(
            lessons=lessons,
            selected=selected,
            device=args.device,
            timeout=args.timeout,
            report_json=args.report_json,
            junit_xml=args.junit_xml,
            quiet=args.quiet,
            verbose=args.verbose,
            watch=args.watch,
        )
        return run_headless(options, session=session)
    finally:
        session.kill()  # a no-op once headless has shut it down


DEVICE_CHECK = (
    "import sys\n"
    "from tutor.kernel.inspect import device_unavailable_reason\n"
    "print(device_unavailable_reason(sys.argv[1]) or '')\n"
)


def device_problem(device: str) -> str | None:
    """Why the device asked for cannot be used here, or None: for the app, which asks
    before its screen opens (headless asks its session).  torch is imported in a child
    process, never in tutor's own; only a device named on the command line is checked."""
    if device in ("auto", "cpu"):
        return None
    try:
        done = subprocess.run(
            [sys.executable, "-c", DEVICE_CHECK, device],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not check device {device!r}: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"could not check device {device!r}: {last}"
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("import", "export"):
        from tutor.notebooks.commands import main as notebook_command

        return notebook_command(argv)
    args = parse_arguments(argv)
    lessons = _load(args.lessons)
    if args.check:
        return check(lessons)
    selected = _selected(lessons, args.lesson)
    if selected is None:
        return EXIT_USAGE
    if args.headless:
        return _headless(args, lessons, selected)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.stderr.write(
            "tutor: the app needs a terminal, and this is not one. "
            "Use 'python -m tutor --headless' to run the lessons without a screen.\n"
        )
        return EXIT_USAGE
    problem = device_problem(args.device)
    if problem:
        sys.stderr.write(f"tutor: {problem}\n")
        return EXIT_USAGE
    if args.reset_progress:
        from tutor.progress import ProgressStore

        ProgressStore().reset()
    app = make_app(
        lessons,
        device=args.device,
        lesson_id=args.lesson[0] if args.lesson else None,
        watch=args.watch,
    )
    app.run()
    return app.return_code or 0


def missing_dependency() -> str | None:
    """The first of tutor's dependencies this Python cannot import, or None.  It looks
    for them without importing them (torch is never imported in tutor's own process)."""
    for name in REQUIRED_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def console_main() -> None:
    """The ``tutor`` command and ``python -m tutor``: ``main``, except that a Python
    without tutor's dependencies gets one line on stderr saying how to start tutor."""
    missing = missing_dependency()
    if missing is None:
        try:
            sys.exit(main())
        except ModuleNotFoundError as error:
            # One of the dependencies' own dependencies; a missing part of tutor is a bug.
            if not error.name or error.name.partition(".")[0] == "tutor":
                raise
            missing = error.name
    sys.stderr.write(
        f"tutor: this Python ({sys.executable}) has no module {missing!r}, which tutor "
        f"needs: {HOW_TO_START}.\n"
    )
    sys.exit(EXIT_USAGE)
