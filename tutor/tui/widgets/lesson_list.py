"""LessonList: the lessons with their progress marks, then the lesson files that did not load."""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.lessons import LessonError, LessonSet
from tutor.progress import Progress


def entry(mark: str, text: Text) -> Table:
    """An entry of the list: its mark, then its text, which wraps under itself, not
    under the mark."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(mark, text)
    return grid


def broken_file_entry(problems: list[LessonError]) -> Table:
    """A file that did not load, as ``✗ name:line: message``, its first problem, and how
    many more it has (``python -m tutor --check`` lists them all)."""
    first = problems[0]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return entry("✗", Text(f"{first.path.name}:{first.line}: {first.message}{more}"))


class LessonList(OptionList):
    """Each lesson as '✓ 1. Title 4/4', a long title wrapping under itself; selecting one
    opens it.  Under them, each lesson file with a problem, dimmed and not selectable, so
    that an instructor sees it."""

    DEFAULT_CSS = """
    LessonList {
        width: 30;
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text;
    }
    LessonList:focus { border: round $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open lesson", id="open-lesson", show=False),
        Binding("escape", "close", "Close", id="close-lessons", show=False),
    ]
    """Enter opens the lesson chosen (OptionList's own enter); escape puts the list away
    without opening one.  The footer has no room for them beside the step's keys at 80
    columns: the help's line for l names them."""

    class Closed(Message):
        """Escape: the learner leaves the list without opening a lesson."""

    def action_close(self) -> None:
        self.post_message(self.Closed())

    def show(self, lessons: LessonSet, progress: Progress, current: int) -> None:
        self.border_title = "Lessons"
        highlighted = self.highlighted
        self.clear_options()
        digits = len(str(len(lessons.lessons)))
        for number, lesson in enumerate(lessons.lessons, start=1):
            done = len(progress.completed.get(lesson.id, []))
            total = len(lesson.steps)
            mark = "✓" if done >= total else ("•" if done else " ")
            title = Text.assemble(lesson.title, " ", (f"{done}/{total}", "dim"))
            self.add_option(Option(entry(f"{mark} {number:>{digits}}.", title), id=lesson.id))
        loaded = {lesson.path for lesson in lessons.lessons}
        files = sorted(
            (
                e
                for e in lessons.errors
                if e.path.parent == lessons.directory and e.path not in loaded
            ),
            key=lambda e: (e.path.name, e.line),
        )
        broken = [list(problems) for _, problems in groupby(files, key=lambda e: e.path)]
        if broken and self.option_count:
            self.add_option(None)  # a rule between the lessons and the files that did not load
        for problems in broken:
            self.add_option(Option(broken_file_entry(problems), disabled=True))
        self.highlighted = current if highlighted is None else highlighted
