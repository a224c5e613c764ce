"""Tests for the lesson loader (tutor/lessons.py) against the format in lessons/README.md."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests import builders
from tutor.lessons import (
    Block,
    BlockKind,
    LessonError,
    LessonSet,
    bundled_lessons_dir,
    load_lessons,
    parse_lesson,
    read_lesson,
    uses_optimizers,
)


def lines(*rows: str) -> str:
    """A file from its lines, so line numbers in the tests can be counted by eye."""
    return "\n".join(rows) + "\n"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def simple(title: str = "T", *front: str) -> str:
    """A minimal valid lesson; ``front`` adds front matter lines after the title (line 3 on)."""
    return lines("---", f"title: {title}", *front, "---", "", "## Step", "", "Some prose.")


def located(lesson_set: LessonSet) -> list[tuple[str, int, str]]:
    return [(e.path.name, e.line, e.message) for e in lesson_set.errors]


# --------------------------------------------------------------------------- a good lesson

LOOP = lines(
    "---",  # 1
    "title: Training loop",  # 2
    "requires: net",  # 3
    "---",  # 4
    "",  # 5
    "Intro paragraph.",  # 6
    "",  # 7
    "## Run the loop",  # 8
    "",  # 9
    "Some prose.",  # 10
    "",  # 11
    "```python",  # 12
    "x = 1",  # 13
    "```",  # 14
    "",  # 15
    "```python check",  # 16
    "assert x == 1",  # 17
    "```",  # 18
    "",  # 19
    "```text",  # 20
    "$ shown only",  # 21
    "```",  # 22
    "",  # 23
    "```python",  # 24
    "y = x + 1",  # 25
    "```",  # 26
    "",  # 27
    "```hint",  # 28
    "Set `x` first.",  # 29
    "```",  # 30
    "",  # 31
    "More prose.",  # 32
    "",  # 33
    "## Exercise: double it",  # 34
    "",  # 35
    "```python",  # 36
    "base = 2",  # 37
    "```",  # 38
    "",  # 39
    "```python exercise",  # 40
    "doubled = ...  # TODO",  # 41
    "```",  # 42
    "",  # 43
    "```python solution",  # 44
    "doubled = base * 2",  # 45
    "```",  # 46
    "",  # 47
    "```python check",  # 48
    "assert doubled == 4",  # 49
    "```",  # 50
    "",  # 51
    "```python",  # 52
    "after = doubled",  # 53
    "```",  # 54
)


@pytest.fixture
def course(tmp_path: Path) -> LessonSet:
    write(tmp_path, "01_data.md", simple("Data", "requires: []"))
    write(tmp_path, "02_model.md", simple("Model", "id: net"))
    write(tmp_path, "04_loop.md", LOOP)
    write(tmp_path, "README.md", "# Not a lesson\n")
    write(tmp_path, "notes.md", "not a lesson either\n")
    write(tmp_path, "05-dash.md", "---\n")  # no NN_ prefix: ignored, broken or not
    write(tmp_path, "06_text.txt", "---\n")
    write(tmp_path, "_07_x.md", "---\n")
    return load_lessons(tmp_path)


def test_good_course_loads_without_errors(course: LessonSet) -> None:
    assert course.errors == []
    assert [lesson.id for lesson in course.lessons] == ["data", "net", "loop"]
    assert [lesson.title for lesson in course.lessons] == ["Data", "Model", "Training loop"]
    assert [lesson.number for lesson in course.lessons] == [1, 2, 4]
    assert [lesson.path.name for lesson in course.lessons] == [
        "01_data.md",
        "02_model.md",
        "04_loop.md",
    ]


def test_ids_and_requires(course: LessonSet) -> None:
    data, net, loop = course.lessons
    assert data.requires == ()  # requires: []
    assert net.id == "net"  # explicit id
    assert net.requires == ("data",)  # default: the lesson before
    assert loop.id == "loop"  # default: the slug of 04_loop.md
    assert loop.requires == ("net",)  # a single string
    assert course.get("loop") is loop
    assert course.get("model") is None


def test_intro_and_steps(course: LessonSet) -> None:
    loop = course.get("loop")
    assert loop is not None
    assert loop.intro == "Intro paragraph."
    assert [s.title for s in loop.steps] == ["Run the loop", "Exercise: double it"]
    assert [s.line for s in loop.steps] == [8, 34]


def test_blocks_kinds_lines_and_text(course: LessonSet) -> None:
    loop = course.get("loop")
    assert loop is not None
    first, second = loop.steps
    assert [(b.kind, b.line) for b in first.blocks] == [
        (BlockKind.CODE, 12),
        (BlockKind.CHECK, 16),
        (BlockKind.CODE, 24),
        (BlockKind.HINT, 28),
    ]
    assert first.blocks[0].text == "x = 1\n"
    assert first.checks == (first.blocks[1],)
    assert first.hint == "Set `x` first."
    assert not first.is_exercise
    assert first.exercise is None and first.solution is None
    assert [(b.kind, b.line) for b in second.blocks] == [
        (BlockKind.CODE, 36),
        (BlockKind.EXERCISE, 40),
        (BlockKind.SOLUTION, 44),
        (BlockKind.CHECK, 48),
        (BlockKind.CODE, 52),
    ]
    assert second.is_exercise
    assert second.exercise is not None and second.exercise.text == "doubled = ...  # TODO\n"
    assert second.solution is not None and second.solution.text == "doubled = base * 2\n"
    assert second.hint == ""


def test_prose_keeps_text_fences_and_drops_python_and_hint(course: LessonSet) -> None:
    loop = course.get("loop")
    assert loop is not None
    first, second = loop.steps
    assert first.prose == "Some prose.\n\n```text\n$ shown only\n```\n\nMore prose."
    assert "x = 1" not in first.prose
    assert "Set `x`" not in first.prose
    assert "```python" not in second.prose
    assert second.prose == ""


def test_runnable_blocks_order(course: LessonSet) -> None:
    loop = course.get("loop")
    assert loop is not None
    first, second = loop.steps
    # Code in file order, then the checks; hints and text fences never run.
    assert [(b.kind, b.line) for b in first.runnable_blocks()] == [
        (BlockKind.CODE, 12),
        (BlockKind.CODE, 24),
        (BlockKind.CHECK, 16),
    ]
    # The solution stands where the exercise is; checks last.
    assert [(b.kind, b.line) for b in second.runnable_blocks()] == [
        (BlockKind.CODE, 36),
        (BlockKind.SOLUTION, 44),
        (BlockKind.CODE, 52),
        (BlockKind.CHECK, 48),
    ]


def test_runnable_blocks_with_learner_code(course: LessonSet) -> None:
    loop = course.get("loop")
    assert loop is not None
    second = loop.steps[1]
    blocks = second.runnable_blocks(exercise_code="doubled = 4\n")
    assert [(b.kind, b.line) for b in blocks] == [
        (BlockKind.CODE, 36),
        (BlockKind.EXERCISE, 40),
        (BlockKind.CODE, 52),
        (BlockKind.CHECK, 48),
    ]
    assert blocks[1] == Block(BlockKind.EXERCISE, "doubled = 4\n", 40)
    assert "doubled = base * 2\n" not in [b.text for b in blocks]
    # An empty edit is still the learner's code, not "no code given".
    assert second.runnable_blocks(exercise_code="")[1] == Block(BlockKind.EXERCISE, "", 40)


def test_parse_lesson_directly(tmp_path: Path) -> None:
    path = write(tmp_path, "07_alone.md", simple("Alone"))
    lesson = parse_lesson(path, default_requires="before")
    assert (lesson.id, lesson.title, lesson.number, lesson.path) == ("alone", "Alone", 7, path)
    assert lesson.requires == ("before",)
    assert parse_lesson(path).requires == ()
    none = write(tmp_path, "08_none.md", simple("None", "requires: []"))
    assert parse_lesson(none, default_requires="before").requires == ()
    many = write(tmp_path, "09_many.md", simple("Many", "requires: [a, b]"))
    assert parse_lesson(many, default_requires="before").requires == ("a", "b")


def test_ordering_is_numeric(tmp_path: Path) -> None:
    write(tmp_path, "10_ten.md", simple("Ten"))
    write(tmp_path, "2_two.md", simple("Two", "requires: []"))
    write(tmp_path, "1_one.md", simple("One", "requires: []"))
    loaded = load_lessons(tmp_path)
    assert loaded.errors == []
    assert [lesson.id for lesson in loaded.lessons] == ["one", "two", "ten"]
    assert loaded.get("ten").requires == ("two",)  # type: ignore[union-attr]


def test_first_lesson_requires_nothing_by_default(tmp_path: Path) -> None:
    write(tmp_path, "01_first.md", simple("First"))
    loaded = load_lessons(tmp_path)
    assert loaded.errors == []
    assert loaded.lessons[0].requires == ()


def test_bom_and_crlf_keep_line_numbers(tmp_path: Path) -> None:
    text = lines("---", "title: T", "---", "## S", "```python", "x = 1", "```")
    write(tmp_path, "01_crlf.md", ("\ufeff" + text).replace("\n", "\r\n").encode("utf-8"))
    loaded = load_lessons(tmp_path)
    assert loaded.errors == []
    step = loaded.lessons[0].steps[0]
    assert step.line == 4
    assert [(b.kind, b.line, b.text.strip()) for b in step.blocks] == [(BlockKind.CODE, 5, "x = 1")]


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85"], ids=["formfeed", "u2028", "nel"])
def test_line_numbers_with_unusual_characters_in_prose(tmp_path: Path, separator: str) -> None:
    # Only "\n" ends a line for Markdown (and for editors); these characters are plain text.
    text = lines(
        "---", "title: T", "---", f"Intro {separator} text.", "## S", "```python", "x = 1", "```"
    )
    write(tmp_path, "01_a.md", text)
    loaded = load_lessons(tmp_path)
    assert loaded.errors == []
    step = loaded.lessons[0].steps[0]
    assert step.line == 5
    assert [b.line for b in step.blocks] == [6]


def test_closed_fence_in_a_blockquote_is_not_unclosed(tmp_path: Path) -> None:
    text = lines("---", "title: T", "---", "## S", "Run:", "", "> ```console", "> $ ls", "> ```")
    write(tmp_path, "01_a.md", text)
    loaded = load_lessons(tmp_path)
    assert located(loaded) == []
    assert "$ ls" in loaded.lessons[0].steps[0].prose


# --------------------------------------------------------------------------- single bad files

FM = ("---", "title: T", "---")  # lines 1-3

BAD_FILES = {
    "unclosed fence": (lines(*FM, "## S", "text", "", "```python", "x = 1", ""), 7, "never closed"),
    "unclosed fence swallowing the next step": (
        lines(*FM, "## S", "text", "```python check", "assert x", "## Next", "more"),
        6,
        "code fence ``` is never closed",
    ),
    "unclosed tilde fence": (
        lines(*FM, "## S", "text", "~~~text", "shown"),
        6,
        "code fence ~~~ is never closed",
    ),
    "unclosed fence at the last line": (lines(*FM, "## S", "text", "```python"), 6, "never closed"),
    "unclosed fence, 4-space-indented backticks do not close it": (
        lines(*FM, "## S", "text", "```python", "x = 1", "    ```"),
        6,
        "never closed",
    ),
    "front matter missing": (lines("# Title", "", "## S", "text"), 1, "missing front matter"),
    "front matter not closed": (lines("---", "title: T", "", "## S", "text"), 1, "not closed"),
    "bad yaml": (
        lines("---", "title: T", "id: a", "requires: x: y", "---", "## S", "x"),
        4,
        "bad front matter",
    ),
    "a bracket left open, found a line later": (
        lines("---", "title: [T", "id: a", "---", "## S", "x"),
        2,
        "bad front matter: the list ([) that starts here is not closed (expected ',' or ']', "
        "but got ':' at line 3)",
    ),
    "a quote left open": (
        lines("---", "title: 'T", "id: a", "---", "## S", "x"),
        2,
        "the quoted text that starts here is not closed",
    ),
    "front matter a list": (
        lines("---", "- title", "- id", "---", "## S", "x"),
        2,
        "expected 'key: value'",
    ),
    "front matter a scalar": (
        lines("---", "just words", "---", "## S", "x"),
        2,
        "expected 'key: value'",
    ),
    "missing title": (lines("---", "id: a", "---", "## S", "x"), 1, "missing title"),
    "empty front matter": (lines("---", "---", "## S", "x"), 1, "missing title"),
    "empty title": (lines("---", "id: a", "title:", "---", "## S", "x"), 3, "missing title"),
    "blank title": (lines("---", 'title: "   "', "---", "## S", "x"), 2, "missing title"),
    "unknown key (typo require:)": (
        lines("---", "title: T", "require: [a]", "---", "## S", "x"),
        3,
        "unknown front matter key 'require'",
    ),
    "bad id": (lines("---", "title: T", "id: bad id!", "---", "## S", "x"), 3, "bad id 'bad id!'"),
    "id starting with a dash": (
        lines("---", "title: T", "", "id: -x", "---", "## S", "x"),
        4,
        "bad id",
    ),
    "requires not ids": (
        lines("---", "title: T", "requires: {a: 1}", "---", "## S", "x"),
        3,
        "requires must be",
    ),
    "empty step": (lines(*FM, "## Empty", "", "## Next", "text"), 4, "empty step 'Empty'"),
    "empty last step": (lines(*FM, "## First", "text", "## Last", ""), 6, "empty step 'Last'"),
    "step heading without title": (lines(*FM, "##", "text"), 4, "no title"),
    "solution without exercise": (
        lines(*FM, "## Intro", "x", "## Do it", "```python solution", "a = 1", "```"),
        6,
        "step 'Do it' has no exercise block",
    ),
    "exercise without solution": (
        lines(
            *FM,
            "## Do it",
            "```python exercise",
            "a = ...",
            "```",
            "```python check",
            "assert a",
            "```",
        ),
        4,
        "step 'Do it' has no solution block",
    ),
    "two exercises": (
        lines(
            *FM,
            "## Do it",
            "```python exercise",
            "a = ...",
            "```",
            "```python solution",
            "a = 1",
            "```",
            "```python exercise",
            "b = ...",
            "```",
            "```python solution",
            "b = 1",
            "```",
        ),
        4,
        "more than one exercise",
    ),
    "two solutions": (
        lines(
            *FM,
            "## S",
            "```python exercise",
            "a",
            "```",
            "```python solution",
            "a",
            "```",
            "```python solution",
            "a",
            "```",
        ),
        4,
        "more than one",
    ),
    "unknown python tag": (
        lines(*FM, "## S", "text", "", "```python chekc", "assert x", "```"),
        7,
        "unknown python block tag 'chekc'",
    ),
    "no steps": (lines(*FM, "", "Just an intro."), 4, "no steps"),
    "code in the intro": (
        lines(*FM, "Intro.", "```python", "x = 1", "```", "## S", "text"),
        5,
        "python block before the first step never runs",
    ),
    "a BOM and nothing else": ("\ufeff", 1, "empty file"),
    "only a ### heading": (lines(*FM, "### Not a step", "text"), 4, "no steps"),
    "empty file": ("", 1, "empty file"),
    "whitespace-only file": (" \n\n\t\n", 1, "empty file"),
    "not utf-8 in the body": (
        b"---\ntitle: T\n---\n## S\ncaf\xe9\n",
        5,
        "not UTF-8 text (byte 0xe9)",
    ),
    "not utf-8 in the front matter": (b"---\ntitle: Caf\xe9\n---\n## S\nx\n", 2, "not UTF-8"),
}


@pytest.mark.parametrize(("content", "line", "phrase"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file(tmp_path: Path, content: str | bytes, line: int, phrase: str) -> None:
    path = write(tmp_path, "01_a.md", content)
    with pytest.raises(LessonError) as raised:
        parse_lesson(path)
    assert (raised.value.path, raised.value.line) == (path, line), raised.value
    assert phrase in raised.value.message
    loaded = load_lessons(tmp_path)
    assert loaded.lessons == []
    assert [(e.path, e.line) for e in loaded.errors] == [(path, line)]
    assert phrase in loaded.errors[0].message
    assert str(loaded.errors[0]).startswith(f"{path}:{line}: ")


# ------------------------------------------------------- every problem of a file, Python included

MANY = lines(
    "---",  # 1
    "title: Many",  # 2
    "require: [a]",  # 3  unknown key
    "id: bad id!",  # 4  bad id
    "---",  # 5
    "",  # 6
    "## Empty",  # 7  empty step
    "",  # 8
    "## Tagged",  # 9
    "",  # 10
    "```python chekc",  # 11  unknown tag
    "assert x",  # 12
    "```",  # 13
    "",  # 14
    "## Broken code",  # 15
    "",  # 16
    "```python",  # 17
    "x = 1",  # 18
    "y = (x +",  # 19  never closed
    "```",  # 20
    "",  # 21
    "```python check",  # 22
    "assert x == 1",  # 23
    "    assert y",  # 24  unexpected indent
    "```",  # 25
    "",  # 26
    "## Exercise",  # 27  no solution
    "",  # 28
    "```python exercise",  # 29
    "def double(n):",  # 30
    "# TODO",  # 31  the function has no body
    "```",  # 32
)


def test_every_problem_of_a_file_is_named_in_line_order(tmp_path: Path) -> None:
    path = write(tmp_path, "01_many.md", MANY)
    read = read_lesson(path)
    assert read.lesson is None
    assert [(e.path, e.line, e.message) for e in read.problems] == [
        (path, 3, "unknown front matter key 'require' (known: id, requires, title)"),
        (path, 4, "bad id 'bad id!': use letters, digits, '-' and '_'"),
        (path, 7, "empty step 'Empty': add prose or code"),
        (path, 11, "unknown python block tag 'chekc' (known: 'check', 'exercise', 'solution')"),
        (path, 19, "SyntaxError in a python block, column 5: '(' was never closed"),
        (path, 24, "IndentationError in a python check block, column 4: unexpected indent"),
        (path, 27, "step 'Exercise' has no solution block to pair with"),
        (
            path,
            31,
            "IndentationError in a python exercise block, column 7: expected an indented block "
            "after function definition on line 1",
        ),
    ]
    with pytest.raises(LessonError) as raised:
        parse_lesson(path)
    assert raised.value == read.problems[0]
    loaded = load_lessons(tmp_path)
    assert loaded.lessons == []
    assert loaded.errors == list(read.problems)


def test_a_lesson_whose_only_problem_is_its_python_does_not_load(tmp_path: Path) -> None:
    write(tmp_path, "01_a.md", simple("A"))
    bad = write(tmp_path, "02_b.md", lines(*FM, "## S", "```python check", "assert x ==", "```"))
    write(tmp_path, "03_c.md", simple("C"))  # requires b, by default
    loaded = load_lessons(tmp_path)
    assert [lesson.id for lesson in loaded.lessons] == ["a"]
    assert [str(e) for e in loaded.errors] == [
        f"{bad}:6: SyntaxError in a python check block, column 12: invalid syntax",
        f"{tmp_path / '03_c.md'}:1: requires 'b', which cannot load (see its error)",
    ]


def test_what_ipython_runs_is_no_syntax_error(tmp_path: Path) -> None:
    cell = lines(
        "import asyncio",
        "!ls -l models/",
        "%timeit sum(range(10))",
        "files = !ls",
        "await asyncio.sleep(0)",
        "len?",
    )
    magic = lines("%%time", "x = (")  # a cell magic's body is the magic's to read
    broken = "y = )"
    text = lines(*FM, "## S", "```python", cell, "```", "```python", magic, "```", "```python")
    path = write(tmp_path, "01_a.md", text + lines(broken, "```"))
    assert [(e.line, e.message) for e in read_lesson(path).problems] == [
        (20, "SyntaxError in a python block, column 5: unmatched ')'")
    ]


def test_what_ipython_cannot_run_is_a_syntax_error_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "01_a.md",
        lines(
            *FM, "## S", "```python", "!ls", "for i in range(3):", "    break", "return i", "```"
        ),
    )
    assert [(e.line, e.message) for e in read_lesson(path).problems] == [
        (9, "SyntaxError in a python block: 'return' outside function")
    ]


def test_the_column_counts_in_the_file_for_a_fence_in_a_list(tmp_path: Path) -> None:
    text = lines(*FM, "## S", "", "- Run it:", "", "  ```python", "  x = [1,", "  ```")
    path = write(tmp_path, "01_a.md", text)
    assert [(e.line, e.message) for e in read_lesson(path).problems] == [
        (9, "SyntaxError in a python block, column 7: '[' was never closed")
    ]


def test_python_warnings_are_not_the_loaders_to_show(tmp_path: Path) -> None:
    # An invalid escape and an assert on a tuple: Python warns of both as it compiles them.
    code = lines("pattern = '\\d+'", "assert (1, 2), 'always true'", "else")
    path = write(tmp_path, "01_a.md", lines(*FM, "## S", "```python", code, "```"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [(e.line, e.message) for e in read_lesson(path).problems] == [
            (8, "SyntaxError in a python block, column 1: invalid syntax")
        ]
    assert caught == []


def test_ipython_is_imported_only_for_code_that_needs_it(tmp_path: Path) -> None:
    write(tmp_path, "01_plain.md", lines(*FM, "## S", "```python", "x = 1", "```"))
    probe = (
        "import sys; from pathlib import Path; from tutor.lessons import load_lessons; "
        f"s = load_lessons(Path({str(tmp_path)!r})); "
        "print(len(s.lessons), len(s.errors), 'IPython' in sys.modules)"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout.strip()

    assert run() == "1 0 False"
    write(tmp_path, "02_shell.md", lines(*FM, "## S", "```python", "x = 1", "!ls -l .", "```"))
    assert run() == "2 0 False", "a plain shell line is judged without IPython"
    write(tmp_path, "03_kept.md", lines(*FM, "## S", "```python", "files = !ls", "```"))
    assert run() == "3 0 True"


# ---------------------------------------------------------------- bad courses (several files)

BROKEN = lines("---", "id: a", "---", "## S", "x")  # missing title, line 1

BAD_COURSES = {
    "duplicate explicit id": (
        {"01_a.md": simple("A", "id: same"), "02_b.md": simple("B", "id: same")},
        ["same"],
        [("02_b.md", 3, "duplicate id 'same'")],
    ),
    "duplicate default id": (
        {"01_intro.md": simple("A"), "02_intro.md": simple("B")},
        ["intro"],
        [("02_intro.md", 1, "duplicate id 'intro'")],
    ),
    "unknown requires": (
        {"01_a.md": simple("A", "requires: [ghost]")},
        [],
        [("01_a.md", 3, "requires unknown lesson 'ghost'")],
    ),
    "unknown single requires": (
        {"01_a.md": simple("A", "id: a", "requires: ghost")},
        [],
        [("01_a.md", 4, "requires unknown lesson 'ghost'")],
    ),
    "circular a -> b -> a": (
        {
            "01_a.md": simple("A", "requires: [b]"),
            "02_b.md": simple("B", "requires: [a]"),
            "03_c.md": simple("C", "requires: []"),
        },
        ["c"],
        [
            ("01_a.md", 3, "circular requires: a -> b -> a"),
            ("02_b.md", 3, "circular requires: b -> a -> b"),
        ],
    ),
    "circular through the default requires": (
        {"01_a.md": simple("A", "requires: [b]"), "02_b.md": simple("B")},
        [],
        [
            ("01_a.md", 3, "circular requires: a -> b -> a"),
            ("02_b.md", 1, "circular requires: b -> a -> b"),
        ],
    ),
    "self-require": (
        {"01_a.md": simple("A", "requires: a"), "02_ok.md": simple("Ok", "requires: []")},
        ["ok"],
        [("01_a.md", 3, "circular requires: a -> a")],
    ),
    "requires a lesson in a cycle": (
        {
            "01_a.md": simple("A", "requires: [b]"),
            "02_b.md": simple("B", "requires: [a]"),
            "03_c.md": simple("C", "requires: [b]"),
        },
        [],
        [
            ("01_a.md", 3, "circular requires"),
            ("02_b.md", 3, "circular requires"),
            ("03_c.md", 3, "requires 'b', which cannot load"),
        ],
    ),
    "default requires of a broken lesson": (
        {"01_a.md": BROKEN, "02_b.md": simple("B")},
        [],
        [("01_a.md", 1, "missing title"), ("02_b.md", 1, "requires 'a', which cannot load")],
    ),
    "explicit requires of a broken lesson, transitively": (
        {
            "01_a.md": BROKEN,
            "02_b.md": simple("B", "requires: [a]"),
            "03_c.md": simple("C", "requires: b"),
            "04_d.md": simple("D", "requires: []"),
        },
        ["d"],
        [
            ("01_a.md", 1, "missing title"),
            ("02_b.md", 3, "requires 'a', which cannot load"),
            ("03_c.md", 3, "requires 'b', which cannot load"),
        ],
    ),
}


@pytest.mark.parametrize(("files", "ids", "errors"), BAD_COURSES.values(), ids=BAD_COURSES.keys())
def test_bad_course(
    tmp_path: Path, files: dict[str, str], ids: list[str], errors: list[tuple[str, int, str]]
) -> None:
    for name, content in files.items():
        write(tmp_path, name, content)
    loaded = load_lessons(tmp_path)
    assert [lesson.id for lesson in loaded.lessons] == ids, located(loaded)
    got = sorted(located(loaded))
    assert [(name, line) for name, line, _ in got] == [
        (name, line) for name, line, _ in sorted(errors)
    ], got
    for (_, _, message), (_, _, phrase) in zip(got, sorted(errors), strict=True):
        assert phrase in message


def test_duplicate_keeps_the_first(tmp_path: Path) -> None:
    first = write(tmp_path, "01_a.md", simple("First", "id: same"))
    second = write(tmp_path, "02_b.md", simple("Second", "id: same"))
    loaded = load_lessons(tmp_path)
    assert [lesson.path for lesson in loaded.lessons] == [first]
    assert loaded.errors[0].path == second
    assert str(first) in loaded.errors[0].message


def test_one_bad_lesson_never_hides_the_good_ones(tmp_path: Path) -> None:
    write(tmp_path, "01_a.md", simple("A"))
    bad = write(tmp_path, "02_b.md", lines(*FM, "## S", "```python chekc", "x", "```"))
    write(tmp_path, "03_c.md", simple("C", "requires: []"))
    loaded = load_lessons(tmp_path)
    assert [lesson.id for lesson in loaded.lessons] == ["a", "c"]
    assert [(e.path, e.line) for e in loaded.errors] == [(bad, 5)]


def test_problems_come_in_file_order_and_each_left_out_lesson_names_its_file(
    tmp_path: Path,
) -> None:
    """A requires problem is found after every file is read; it is still listed in its
    file's place, as --check lists it.  A lesson left out, for its own file or for one it
    requires, is known by its id (so ``--lesson b`` can say why it does not run)."""
    write(tmp_path, "01_a.md", simple("A", "requires: [ghost]"))
    broken = write(tmp_path, "02_b.md", lines("---", "title: [B", "---", "## S", "x"))
    dependent = write(tmp_path, "03_c.md", simple("C", "requires: [b]"))
    write(tmp_path, "04_d.md", simple("D", "requires: []"))
    loaded = load_lessons(tmp_path)
    assert [lesson.id for lesson in loaded.lessons] == ["d"]
    assert [(name, line) for name, line, _ in located(loaded)] == [
        ("01_a.md", 3),
        ("02_b.md", 2),
        ("03_c.md", 3),
    ]
    assert loaded.left_out == {"a": tmp_path / "01_a.md", "b": broken, "c": dependent}


def test_requirements_are_transitive_in_course_order(tmp_path: Path) -> None:
    write(tmp_path, "01_a.md", simple("A"))
    write(tmp_path, "02_b.md", simple("B"))  # requires a
    write(tmp_path, "03_c.md", simple("C", "requires: [b]"))
    write(tmp_path, "04_d.md", simple("D", "requires: []"))
    write(tmp_path, "05_e.md", simple("E", "requires: [d, a]"))
    write(tmp_path, "06_f.md", simple("F", "requires: [e, c]"))
    loaded = load_lessons(tmp_path)
    assert loaded.errors == []

    def needs(lesson_id: str) -> list[str]:
        lesson = loaded.get(lesson_id)
        assert lesson is not None
        return [other.id for other in loaded.requirements(lesson)]

    assert needs("a") == []
    assert needs("b") == ["a"]
    assert needs("c") == ["a", "b"]
    assert needs("d") == []
    assert needs("e") == ["a", "d"]
    assert needs("f") == ["a", "b", "c", "d", "e"]


# --------------------------------------------------------------------------- directories


def test_missing_directory_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(LessonError) as raised:
        load_lessons(missing)
    assert raised.value.path == missing
    assert "no such lessons directory" in raised.value.message


def test_a_file_is_not_a_lessons_directory(tmp_path: Path) -> None:
    path = write(tmp_path, "01_a.md", simple())
    with pytest.raises(LessonError) as raised:
        load_lessons(path)
    assert raised.value.path == path


@pytest.mark.parametrize(
    "names", [[], ["README.md", "notes.txt", "lesson.md"]], ids=["empty", "no-lesson-names"]
)
def test_directory_without_lessons(tmp_path: Path, names: list[str]) -> None:
    for name in names:
        write(tmp_path, name, simple())
    loaded = load_lessons(tmp_path)
    assert loaded.lessons == []
    assert len(loaded.errors) == 1
    assert loaded.errors[0].path == tmp_path
    assert "no lesson files" in loaded.errors[0].message


def test_lesson_error_str() -> None:
    error = LessonError(Path("course/03_loss.md"), 12, "unknown python block tag 'chekc'")
    assert str(error) == f"{Path('course/03_loss.md')}:12: unknown python block tag 'chekc'"
    assert isinstance(error, Exception)
    assert re.fullmatch(r".+:\d+: .+", str(error))


# --------------------------------------------------------------------------- bundled lessons


def test_bundled_lessons_dir_exists() -> None:
    assert bundled_lessons_dir().is_dir()


def test_bundled_lessons_load_cleanly() -> None:
    loaded = load_lessons(bundled_lessons_dir())
    assert [str(e) for e in loaded.errors] == []
    assert len(loaded.lessons) >= 1


def test_the_bundled_course_uses_optimizers() -> None:
    loaded = load_lessons(bundled_lessons_dir())
    assert uses_optimizers(loaded.lessons)
    assert not uses_optimizers([lesson for lesson in loaded.lessons if lesson.id == "data"])


def test_an_optimizer_in_any_kind_of_block_counts(tmp_path: Path) -> None:
    def one(**blocks: str) -> bool:
        directory = tmp_path / str(len(list(tmp_path.iterdir())))
        step = builders.lesson_step("S", **blocks)
        text = builders.lesson_text("L", step, lesson_id="l", requires=[])
        return uses_optimizers(builders.course(directory, {"01_l.md": text}).lessons)

    assert not one(code="import torch\nx = torch.ones(2)")
    assert one(code="from torch import optim")
    assert one(exercise="opt = None", solution="opt = torch.optim.SGD(params, lr=0.1)")
    assert one(code="x = 1", check="assert isinstance(opt, torch.optim.Adam)")
    assert not uses_optimizers([])
