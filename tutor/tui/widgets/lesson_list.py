"""LessonList: the lessons with their progress marks."""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.lessons import Lesson
from tutor.progress import Progress


class LessonList(OptionList):
    """Each lesson as '✓ 1. Title 4/4'; selecting one opens it."""

    DEFAULT_CSS = """
    LessonList {
        width: 30;
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text;
    }
    LessonList:focus { border: round $primary; }
    """

    def show(self, lessons: list[Lesson], progress: Progress, current: int) -> None:
        self.border_title = "Lessons"
        highlighted = self.highlighted
        self.clear_options()
        for number, lesson in enumerate(lessons, start=1):
            done = len(progress.completed.get(lesson.id, []))
            total = len(lesson.steps)
            mark = "✓" if done >= total else ("•" if done else " ")
            self.add_option(
                Option(f"{mark} {number}. {lesson.title} [dim]{done}/{total}[/]", id=lesson.id)
            )
        self.highlighted = current if highlighted is None else highlighted
