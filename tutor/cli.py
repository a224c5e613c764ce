"""Command-line entry: parse arguments, then check lessons, run headless, or open the app."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tutor import __version__
from tutor.lessons import Lesson, LessonError, LessonSet, bundled_lessons_dir, load_lessons

if TYPE_CHECKING:
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


def build_parser() -> argparse.ArgumentParser:
    from tutor.runner import DEFAULT_TIMEOUT_S

    parser = argparse.ArgumentParser(
        prog="tutor",
        description="Learn the PyTorch workflow in the terminal, one runnable lesson at a time.",
        epilog=(
            "Notebooks: 'tutor import NOTEBOOK.ipynb -o lessons/NN_slug.md' makes a lesson of "
            "one, 'tutor export LESSON -o OUT.ipynb' a notebook of a lesson (each has --help). "
            "Lessons are code: tutor runs them with your rights. Run only lessons you trust."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--headless", action="store_true", help="run the lessons without a screen (for CI)"
    )
    mode.add_argument(
        "--check", action="store_true", help="check the lesson files and report every problem"
    )
    parser.add_argument(
        "--lessons", type=Path, metavar="DIR", help="lesson folder (default: the bundled lessons)"
    )
    parser.add_argument(
        "--lesson",
        action="append",
        metavar="ID",
        default=[],
        help="run only this lesson (repeatable); what it requires is replayed first",
    )
    parser.add_argument(
        "--device", type=_device, default="auto", help="auto (default), cpu, cuda, cuda:N or mps"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"per step, headless (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--report-json", type=Path, metavar="PATH", help="write a JSON report (headless)"
    )
    parser.add_argument(
        "--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report (headless)"
    )
    detail = parser.add_mutually_exclusive_group()
    detail.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="headless: no tables or plots, only steps and failures",
    )
    detail.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="headless: also what each step showed, as a notebook would (results included)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="reload lesson files when they change on disk; headless runs the changed "
        "lessons again on every save (for lesson authors)",
    )
    parser.add_argument(
        "--reset-progress",
        action="store_true",
        help="forget the saved progress (place, finished steps, exercise code), then start",
    )
    parser.add_argument("--version", action="version", version=f"tutor {__version__}")
    return parser


def _load(parser: argparse.ArgumentParser, directory: Path | None) -> LessonSet:
    try:
        return load_lessons(directory or bundled_lessons_dir())
    except LessonError as error:
        parser.exit(EXIT_USAGE, f"tutor: {error.path}: {error.message}\n")


def check(lessons: LessonSet) -> int:
    """Print every problem as ``path:line: message``; 2 if any."""
    for error in lessons.errors:
        print(error)
    steps = sum(len(lesson.steps) for lesson in lessons.lessons)
    if lessons.errors:
        print(
            f"{len(lessons.errors)} problem(s); {len(lessons.lessons)} lesson(s) load cleanly",
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
    parser = build_parser()
    args = parser.parse_args(argv)
    lessons = _load(parser, args.lessons)
    if args.check:
        return check(lessons)
    selected = lessons.lessons
    if args.lesson:
        unknown = [lesson_id for lesson_id in args.lesson if lessons.get(lesson_id) is None]
        if unknown:
            known = ", ".join(lesson.id for lesson in lessons.lessons) or "none"
            parser.exit(EXIT_USAGE, f"tutor: unknown lesson {unknown[0]!r} (lessons: {known})\n")
        selected = [lesson for lesson in lessons.lessons if lesson.id in args.lesson]
    if args.headless:
        return _headless(args, lessons, selected)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        parser.exit(
            EXIT_USAGE,
            "tutor: the app needs a terminal, and this is not one. "
            "Use 'python -m tutor --headless' to run the lessons without a screen.\n",
        )
    problem = device_problem(args.device)
    if problem:
        parser.exit(EXIT_USAGE, f"tutor: {problem}\n")
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


def console_main() -> None:
    """The ``tutor`` console script."""
    sys.exit(main())
