"""``python -m tutor --headless``: run lessons without a screen, for CI.

Prints a line per step, a table for each metrics history, plots as text, and on
failure the step's code, output, traceback and hint; then a summary.  Writes
JSON and JUnit XML reports on request.  Never imports Textual.

Exit codes: 0 all passed, 1 a step failed, 2 usage or lesson-file error,
128 + the signal's number when stopped by Ctrl+C (130), SIGTERM (143) or SIGHUP (129).
"""

from __future__ import annotations

import asyncio
import queue
import signal
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tutor.lessons import Lesson, LessonError, LessonSet, uses_optimizers
from tutor.metrics import best_index, best_loss_column
from tutor.render import RowGap, format_metric, plot_text, select_rows
from tutor.report import RunReport, write_json, write_junit
from tutor.runner import (
    LessonFinished,
    LessonResult,
    LessonStarted,
    Runner,
    StepEvent,
    StepFinished,
    StepResult,
    StepStarted,
    StepStatus,
)
from tutor.session import KernelSession, SessionError
from tutor.session import Progress as ProgressEvent

if TYPE_CHECKING:
    from tutor.watch import Saves

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MARKS = {
    StepStatus.PASSED: ("✓", "green"),
    StepStatus.FAILED: ("✗", "red"),
    StepStatus.SKIPPED: ("-", "dim"),
}
TABLE_ROWS = 12


@dataclass
class HeadlessOptions:
    lessons: LessonSet
    selected: list[Lesson]
    device: str = "auto"
    timeout: float | None = None
    report_json: Path | None = None
    junit_xml: Path | None = None
    quiet: bool = False
    verbose: bool = False
    watch: bool = False
    """After the run, run again every watched lesson whose code changes on disk."""


def run_headless(
    options: HeadlessOptions,
    console: Console | None = None,
    session: KernelSession | None = None,
) -> int:
    """Run the selected lessons; the exit code.  ``session`` may be launched already."""
    # Soft wrap: a line longer than the width (80 in a pipe) is not broken in two, so a
    # CI log keeps each ``path:line: message`` and the summary whole, for grep and editors.
    console = console or Console(highlight=False, soft_wrap=True)
    report = RunReport(lesson_errors=list(options.lessons.errors))
    received: list[int] = []

    async def main() -> int:
        # SIGTERM (a CI job cancelled) and SIGHUP (the SSH connection lost) end the
        # run the way Ctrl+C does: the session is shut down and the report written.
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, lambda s=signum: (received.append(s), task.cancel()))
        if options.watch:
            # Ctrl+C is how a watch ends: while it waits for a save, it ends the run
            # with the last round's exit code.
            loop.add_signal_handler(
                signal.SIGINT, lambda: (received.append(signal.SIGINT), task.cancel())
            )
        return await _run(options, console, report, session or KernelSession(device=options.device))

    try:
        code = asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        report.interrupted = True
        name = "Ctrl+C" if not received or received[0] == signal.SIGINT else None
        name = name or signal.Signals(received[0]).name
        console.print(f"\n[bold red]Interrupted ({name}).[/] The session was shut down.")
        code = 128 + received[0] if received and received[0] != signal.SIGINT else EXIT_INTERRUPTED
    finally:
        _write_reports(options, report, console)
    if code == EXIT_OK and report.lesson_errors:
        return EXIT_USAGE
    return code


def _write_reports(options: HeadlessOptions, report: RunReport, console: Console) -> None:
    for path, write in ((options.report_json, write_json), (options.junit_xml, write_junit)):
        if path is None:
            continue
        try:
            write(report, path)
        except OSError as exc:
            console.print(
                f"[red]could not write {escape(str(path))}: {escape(exc.strerror or str(exc))}[/]"
            )


async def _run(
    options: HeadlessOptions, console: Console, report: RunReport, session: KernelSession
) -> int:
    for error in report.lesson_errors:
        console.print(f"[red]{escape(str(error))}[/]")
    started = time.monotonic()
    runner = Runner(
        session,
        options.lessons,
        timeout=options.timeout,
        verify_exercises=True,
        device=options.device,
    )
    try:
        try:
            await runner.start()
            replayed = [
                r for lesson in options.selected for r in options.lessons.requirements(lesson)
            ]
            warm_up = uses_optimizers([*replayed, *options.selected])
            described = await session.describe(warm_up=warm_up)
        except SessionError as exc:
            console.print(f"[red]tutor: {escape(str(exc))}[/]")
            return EXIT_USAGE
        if not described["ok"]:
            console.print(f"[red]tutor: {escape(described['error'] or '')}[/]")
            return EXIT_USAGE
        report.device = described["device"] or ""
        report.torch_version = described["torch_version"] or ""
        console.print(
            f"[bold]tutor[/] · {len(options.selected)} lesson(s) · device "
            f"[bold]{report.device}[/] · torch {report.torch_version}"
        )
        view = _ConsoleView(console, options.quiet, options.verbose)
        if options.watch:
            from tutor.watch import Saves

            # Watched from now: a save made while the first round runs is not missed.
            saves = Saves(options.lessons.directory)
        await _round(runner, options.selected, view, report)
        if options.watch:
            report.duration_s = time.monotonic() - started
            try:
                return await _watch(options, console, runner, view, report, saves)
            finally:
                await saves.close()
    finally:
        if not options.watch:
            report.duration_s = time.monotonic() - started
        await session.shutdown()
    _print_summary(console, report)
    return _exit_code(report)


def _exit_code(report: RunReport) -> int:
    return EXIT_FAILED if report.failed else EXIT_OK


async def _round(
    runner: Runner, lessons: list[Lesson], view: _ConsoleView, report: RunReport
) -> None:
    """Run ``lessons``; their results go into ``report``."""
    current: Lesson | None = None
    finished: list[StepResult] = []
    try:
        with view.progress, _Printer(view) as printer:
            async for event in runner.run_lessons(lessons):
                printer.show(event)
                if isinstance(event, LessonStarted):
                    current, finished = event.lesson, []
                elif isinstance(event, StepFinished) and not event.replay:
                    finished.append(event.result)
                elif isinstance(event, LessonFinished):
                    report.lessons.append(event.result)
                    current = None
    except asyncio.CancelledError:
        if current is not None:
            report.lessons.append(_interrupted(current, finished))
        raise


async def _watch(
    options: HeadlessOptions,
    console: Console,
    runner: Runner,
    view: _ConsoleView,
    report: RunReport,
    saves: Saves,
) -> int:
    """Run again, on every save, each watched lesson whose code changed or that builds on
    one that did (what it requires is replayed).  Ends at Ctrl+C with the last round's code."""
    from tutor.watch import describe, reload_lessons

    everything = len(options.selected) == len(options.lessons.lessons)
    watched = {lesson.id for lesson in options.selected}
    directory = options.lessons.directory
    _print_summary(console, report)
    _write_reports(options, report, console)
    code = _exit_code(report)
    console.print(f"\n[dim]Watching {escape(str(directory))} for changes · Ctrl+C to stop[/]")
    try:
        while True:
            paths = await saves.next()
            names = ", ".join(sorted(path.name for path in paths))
            console.print(f"\n[bold]Changed:[/] {escape(names)}")
            try:
                reload = reload_lessons(runner.lessons)
            except LessonError as error:
                console.print(f"[red]{escape(str(error))}[/]")
                continue
            runner.reload(reload.lessons, reload.changed, reload.removed)
            for line in describe(reload):
                console.print(f"  [dim]{escape(line)}[/]")
            for error in reload.lessons.errors:
                console.print(f"[red]{escape(str(error))}[/]")
            if everything:
                watched.update(reload.added)
            lessons = reload.lessons
            rerun = [
                lesson
                for lesson in lessons.lessons
                if lesson.id in watched
                and any(
                    other.id in reload.changed or other.id in reload.added
                    for other in (*lessons.requirements(lesson), lesson)
                )
            ]
            # The exit code says whether the folder, as it is now, has lesson-file problems.
            report.lesson_errors = list(lessons.errors)
            if not rerun:
                console.print("  [dim]no watched lesson's code changed: nothing to run[/]")
                continue
            started = time.monotonic()
            report.lessons = []
            await _round(runner, rerun, view, report)
            report.duration_s = time.monotonic() - started
            _print_summary(console, report)
            _write_reports(options, report, console)
            code = _exit_code(report)
    except asyncio.CancelledError:
        if runner.running is not None:
            raise  # Ctrl+C during a round: the run was interrupted
        console.print("\n[dim]Stopped watching.[/]")
        return code
    except (RuntimeError, OSError) as error:  # the folder went away, say
        console.print(f"\n[red]Stopped watching {escape(str(directory))}: {escape(str(error))}[/]")
        return code


def _interrupted(lesson: Lesson, finished: list[StepResult]) -> LessonResult:
    """The lesson that was running when Ctrl+C came: its finished steps, the rest skipped."""
    done = {step.index for step in finished}
    skipped = [
        StepResult(lesson.id, i, step.title, StepStatus.SKIPPED)
        for i, step in enumerate(lesson.steps)
        if i not in done
    ]
    return LessonResult(
        lesson, StepStatus.FAILED, (*finished, *skipped), reason="interrupted before it finished"
    )


class _Printer:
    """Shows the runner's events on a thread of its own, in order.

    Drawing a step's table and plots takes longer than a short step runs, and
    the kernel can run the next step meanwhile.  Leaving the ``with`` block
    waits until every event is shown, and raises what showing one raised.
    """

    _END = object()

    def __init__(self, view: _ConsoleView) -> None:
        self.view = view
        self.events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._show_all, name="headless-printer")
        self.error: BaseException | None = None

    def __enter__(self) -> _Printer:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.events.put(self._END)
        self.thread.join()
        if self.error is not None and error is None:
            raise self.error

    def show(self, event: object) -> None:
        self.events.put(event)

    def _show_all(self) -> None:
        while (event := self.events.get()) is not self._END:
            if self.error is None:
                try:
                    self.view.show(event)
                except BaseException as exc:  # raised again on the event loop's thread
                    self.error = exc


LONG_STEP_S = 1.0
"""A step's progress bar shows once the step has run this long, or reports its progress."""


class _StepProgress(Progress):
    """The running step's bar, on a terminal: only for a long step or a step whose loop
    reports how far it is (``progress()``); a step of a few milliseconds shows none."""

    def get_renderables(self):  # type: ignore[no-untyped-def]
        shown = [
            task
            for task in self.tasks
            if task.total is not None or task.completed or (task.elapsed or 0) >= LONG_STEP_S
        ]
        yield self.make_tasks_table(shown)


class _CountColumn(ProgressColumn):
    """``done/total`` once the step's loop has said how far it is (``done`` for a loop of
    unknown length); nothing before."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text(f"{task.completed:g}" if task.completed else "")
        return Text(f"{task.completed:g}/{task.total:g}")


class _ConsoleView:
    """Turns runner events into console output."""

    def __init__(self, console: Console, quiet: bool, verbose: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.verbose = verbose
        self.progress = _StepProgress(
            TextColumn("  {task.description}"),
            BarColumn(),
            _CountColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: TaskID | None = None

    def show(self, event: object) -> None:
        if isinstance(event, LessonStarted):
            lesson = event.lesson
            self.console.print()
            self.console.print(
                f"[bold]{escape(lesson.title)}[/] [dim]({lesson.id}, {lesson.path.name})[/]"
            )
        elif isinstance(event, StepStarted):
            title = event.lesson.steps[event.index].title
            self.task = self.progress.add_task(escape(title), total=None)
        elif isinstance(event, StepEvent) and isinstance(event.event, ProgressEvent):
            if self.task is not None:
                self.progress.update(self.task, completed=event.event.done, total=event.event.total)
        elif isinstance(event, StepFinished):
            if self.task is not None:
                self.progress.remove_task(self.task)
                self.task = None
            self._step_line(event)
        elif isinstance(event, LessonFinished):
            result = event.result
            if result.status is StepStatus.SKIPPED:
                self.console.print(f"  [dim]- skipped: {escape(result.reason)}[/]")

    def _step_line(self, event: StepFinished) -> None:
        result = event.result
        mark, colour = MARKS[result.status]
        if event.replay:
            label = f"↻ {event.lesson.id} {result.index + 1}. {escape(result.title)} (replayed)"
            self.console.print(f"  [dim]{label}[/]  [dim]{result.duration_s:.2f}s[/]")
        else:
            self.console.print(
                f"  [{colour}]{mark}[/] {result.index + 1}. {escape(result.title)}  "
                f"[dim]{result.duration_s:.2f}s[/]"
            )
        if result.status is StepStatus.FAILED:
            self.console.print(Padding(failure_panel(event.lesson, result), (0, 0, 0, 4)))
        elif not self.quiet and not event.replay:
            if self.verbose and result.output.strip():
                self.console.print(Text.from_ansi(textwrap.indent(result.output.rstrip(), "    ")))
            if result.history:
                self.console.print(Padding(metrics_table(result.history), (0, 0, 0, 4)))
            width = max(40, min(self.console.width - 6, 100))
            for spec in result.plots:
                plot = Text(plot_text(spec, width=width, height=16), no_wrap=True)
                self.console.print(Padding(plot, (0, 0, 0, 4)))


def metrics_table(rows: list[dict[str, float]], limit: int = TABLE_ROWS) -> Table:
    """A rich table of a metrics history; long ones keep their first, best and last rows."""
    columns = list(rows[0])
    best_column, best = best_loss_column(rows), best_index(rows)
    caption = f"{len(rows)} rows" + (f", best {best_column} marked ★" if best is not None else "")
    table = Table(show_edge=False, pad_edge=False, min_width=len(caption))
    table.caption, table.caption_justify = caption, "left"
    for column in columns:
        table.add_column(column, justify="right")
    table.add_column("")
    for item in select_rows(len(rows), limit, best=best):
        if isinstance(item, RowGap):
            table.add_row(*["…"] * len(columns), "")
        else:
            mark = "★" if item == best else ""
            table.add_row(*(format_metric(rows[item].get(c)) for c in columns), mark)
    return table


def failure_panel(lesson: Lesson, result: StepResult) -> Panel:
    """Everything a learner or a CI reader needs to fix a failed step."""
    parts: list = []
    error = result.error
    if error:
        parts.append(Text.assemble((f"{error.type}: ", "bold red"), error.message))
    block = result.failed_block
    if block is not None:
        where = f"{lesson.path}:{block.line} ({block.kind.value} block)"
        parts += [
            Text(f"\nat {where}", style="dim"),
            Syntax(
                block.text.rstrip(),
                "python",
                line_numbers=True,
                start_line=1,
                theme="ansi_dark",
                background_color="default",
                word_wrap=True,
            ),
        ]
    if result.output.strip():
        parts += [Text("\noutput:", style="bold"), Text.from_ansi(result.output.rstrip())]
    if error and error.traceback and error.type not in ("CheckFailed",):
        parts += [Text("\ntraceback:", style="bold"), Text(error.traceback.rstrip())]
    if result.hint:
        parts += [Text("\nhint:", style="bold yellow"), Text(result.hint)]
    title = f"{lesson.id} · step {result.index + 1}: {result.title}"
    return Panel(Group(*parts), title=escape(title), title_align="left", border_style="red")


def _print_summary(console: Console, report: RunReport) -> None:
    passed, failed, skipped = (report.count(s) for s in StepStatus)
    lessons_passed = sum(r.status is StepStatus.PASSED for r in report.lessons)
    colour = "red" if failed or report.lesson_errors else "green"
    console.print()
    line = (
        f"[bold {colour}]{lessons_passed}/{len(report.lessons)} "
        "lessons passed[/]"
        f" · steps: {passed} passed, {failed} failed, {skipped} skipped"
    )
    if report.lesson_errors:
        line += f" · [red]{len(report.lesson_errors)} lesson file error(s)[/]"
    console.print(line)
    console.print(
        f"device {report.device} · torch {report.torch_version} · {report.duration_s:.1f}s"
    )
    for result in report.lessons:
        if result.status is StepStatus.FAILED:
            console.print(f"[red]✗ {result.lesson.id}: {escape(result.reason)}[/]")
