"""Lesson files: the data model and the loader.

A lesson is one Markdown file, ``NN_slug.md``, with YAML front matter.  Each
``## `` heading starts a step; fenced ``python`` blocks inside a step are run,
checked, or offered as an exercise.  The format is documented for authors in
``lessons/README.md``.  Every problem is reported as a ``LessonError`` that
names the file and line.
"""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

LESSON_FILE = re.compile(r"^(?P<number>\d+)_(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*)\.md$")
LESSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
FRONT_MATTER_KEYS = {"title", "id", "requires"}


class BlockKind(StrEnum):
    """What a fenced block in a step is for."""

    CODE = "python"
    """Runs in the session, in order."""
    CHECK = "check"
    """Runs after the step's code; a failing assert fails the step."""
    EXERCISE = "exercise"
    """Starter code the learner edits."""
    SOLUTION = "solution"
    """The reference answer to the exercise; headless runs it."""
    HINT = "hint"
    """Markdown shown when the step fails, or on request."""


PYTHON_TAGS = {
    "": BlockKind.CODE,
    "check": BlockKind.CHECK,
    "exercise": BlockKind.EXERCISE,
    "solution": BlockKind.SOLUTION,
}


@dataclass(frozen=True)
class Block:
    """One fenced block of a step; ``line`` is the 1-based line of its opening fence."""

    kind: BlockKind
    text: str
    line: int


@dataclass(frozen=True)
class Step:
    """One ``## `` section of a lesson."""

    title: str
    prose: str
    blocks: tuple[Block, ...]
    line: int

    def of_kind(self, kind: BlockKind) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind is kind)

    @property
    def is_exercise(self) -> bool:
        return bool(self.of_kind(BlockKind.EXERCISE))

    @property
    def exercise(self) -> Block | None:
        return next(iter(self.of_kind(BlockKind.EXERCISE)), None)

    @property
    def solution(self) -> Block | None:
        return next(iter(self.of_kind(BlockKind.SOLUTION)), None)

    @property
    def checks(self) -> tuple[Block, ...]:
        return self.of_kind(BlockKind.CHECK)

    @property
    def hint(self) -> str:
        return "\n\n".join(b.text.strip() for b in self.of_kind(BlockKind.HINT))

    def runnable_blocks(self, exercise_code: str | None = None) -> tuple[Block, ...]:
        """The blocks to run, in file order, then the checks.

        An exercise step runs ``exercise_code`` (the learner's edit) where the
        exercise block stands, or the solution when no code is given.
        """
        ordered: list[Block] = []
        for block in self.blocks:
            if block.kind is BlockKind.CODE:
                ordered.append(block)
            elif block.kind is BlockKind.EXERCISE:
                solution = self.solution
                assert solution is not None  # the loader guarantees the pair
                if exercise_code is None:
                    ordered.append(solution)
                else:
                    ordered.append(Block(BlockKind.EXERCISE, exercise_code, block.line))
        return (*ordered, *self.checks)


@dataclass(frozen=True)
class Lesson:
    """A loaded lesson file."""

    id: str
    title: str
    path: Path
    number: int
    requires: tuple[str, ...]
    intro: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class LessonError(Exception):
    """A problem in a lesson file, at ``path:line``."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LessonSet:
    """The lessons of a directory in order, and every problem found while loading them."""

    directory: Path
    lessons: list[Lesson] = field(default_factory=list)
    errors: list[LessonError] = field(default_factory=list)
    """In file order, then line order."""
    left_out: dict[str, Path] = field(default_factory=dict)
    """Lessons of the folder that did not load, by id: the file of each.  A lesson is left
    out for a problem of its own file, or because one it requires did not load."""

    def get(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def requirements(self, lesson: Lesson) -> list[Lesson]:
        """Every lesson ``lesson`` builds on, transitively, in course order."""
        needed: set[str] = set()
        stack = list(lesson.requires)
        while stack:
            current = stack.pop()
            if current not in needed:
                needed.add(current)
                required = self.get(current)
                stack.extend(required.requires if required else ())
        return [other for other in self.lessons if other.id in needed]


def uses_optimizers(lessons: Iterable[Lesson]) -> bool:
    """Whether any block of ``lessons`` names ``optim`` (``torch.optim.SGD``, ``from torch
    import optim``).  The first optimizer a Python process makes imports
    ``torch._dynamo``, about as long as torch itself; the session imports it ahead, in
    the background, only for lessons that will need it."""
    return any(
        "optim" in block.text
        for lesson in lessons
        for step in lesson.steps
        for block in step.blocks
    )


def bundled_lessons_dir() -> Path:
    """The lessons shipped with tutor: inside the installed package, or the source tree's."""
    packaged = Path(str(files("tutor"))) / "bundled_lessons"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "lessons"


def check_command(directory: Path) -> str:
    """The command that checks the lesson files in ``directory``, as a learner types it."""
    if directory.resolve() == bundled_lessons_dir().resolve():
        return "python -m tutor --check"
    return f"python -m tutor --check --lessons {shlex.quote(str(directory))}"


@dataclass(frozen=True)
class LessonFile:
    """What reading one lesson file found: its lesson, or None when it has a problem, and
    every problem in it, in line order."""

    path: Path
    id: str
    """The lesson's id as far as it could be read: its front matter's, else the file's slug."""
    lesson: Lesson | None
    problems: tuple[LessonError, ...]


def load_lessons(directory: Path) -> LessonSet:
    """Load every ``NN_slug.md`` in ``directory``; problems are collected, not raised.

    A lesson with a problem is left out, and every problem of every file is named; the
    other lessons load.  Raises ``LessonError`` only if the directory itself cannot be read.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise LessonError(directory, 0, "no such lessons directory")
    result = LessonSet(directory)
    paths = sorted(
        (p for p in directory.iterdir() if LESSON_FILE.match(p.name)),
        key=lambda p: (int(LESSON_FILE.match(p.name)["number"]), p.name),  # type: ignore[index]
    )
    if not paths:
        result.errors.append(LessonError(directory, 0, "no lesson files (NN_slug.md) here"))
    previous_id: str | None = None
    by_id: dict[str, Lesson] = {}
    unparsed: set[str] = set()
    for path in paths:
        read = read_lesson(path, default_requires=previous_id)
        previous_id = read.id
        lesson = read.lesson
        if lesson is None:
            result.errors.extend(read.problems)
            unparsed.add(read.id)
            result.left_out.setdefault(read.id, path)
            continue
        if lesson.id in by_id:
            result.errors.append(
                LessonError(
                    path,
                    _front_matter_line(path, "id"),
                    f"duplicate id {lesson.id!r} (also {by_id[lesson.id].path})",
                )
            )
            continue
        by_id[lesson.id] = lesson
        result.lessons.append(lesson)
    _check_requires(result, unparsed - set(by_id))
    order = {path: position for position, path in enumerate(paths)}
    result.errors.sort(key=lambda error: (order.get(error.path, -1), error.line))
    return result


OPENED_YAML = {
    "flow sequence": "list ([)",
    "flow mapping": "mapping ({)",
    "quoted scalar": "quoted text",
}
"""What PyYAML calls what was left open, in an author's words."""


def _front_matter_error(path: Path, exc: yaml.YAMLError) -> LessonError:
    """A YAML error at the line to fix.  A bracket or quote left open is found only at a
    later line; the error names the line where it opened ("flow sequence started at
    line 2"), and that is where the learner's author must look."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 2 if mark is not None else 1  # + the '---' line, 1-based
    problem = getattr(exc, "problem", None) or str(exc)
    context, opened = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and opened is not None and opened.line + 2 < line:
        what = re.sub(r"^while (parsing|scanning) an? ", "", context)
        what = OPENED_YAML.get(what, what)
        return LessonError(
            path,
            opened.line + 2,
            f"bad front matter: the {what} that starts here is not closed "
            f"({problem} at line {line})",
        )
    return LessonError(path, line, f"bad front matter: {problem}")


def _lines(text: str) -> list[str]:
    """Lines as Markdown counts them: only line feeds (and CR LF, CR) end a line."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _default_id(path: Path) -> str:
    match = LESSON_FILE.match(path.name)
    return match["slug"] if match else path.stem


def _check_requires(result: LessonSet, broken: set[str]) -> None:
    """Drop lessons whose requirements are circular, unknown or broken, with an error each."""
    dropped = set(broken)
    for cycle in _cycles({lesson.id: lesson.requires for lesson in result.lessons}):
        for position, member_id in enumerate(cycle):
            member = result.get(member_id)
            assert member is not None
            chain = " -> ".join([*cycle[position:], *cycle[: position + 1]])
            line = _front_matter_line(member.path, "requires")
            result.errors.append(LessonError(member.path, line, f"circular requires: {chain}"))
            result.left_out.setdefault(member_id, member.path)
        dropped.update(cycle)
    result.lessons = [lesson for lesson in result.lessons if lesson.id not in dropped]
    changed = True
    while changed:
        changed = False
        known = {lesson.id for lesson in result.lessons}
        for lesson in list(result.lessons):
            problem = _requires_problem(lesson, known, dropped)
            if problem:
                line = _front_matter_line(lesson.path, "requires")
                result.errors.append(LessonError(lesson.path, line, problem))
                result.left_out.setdefault(lesson.id, lesson.path)
                result.lessons.remove(lesson)
                dropped.add(lesson.id)
                changed = True


def _requires_problem(lesson: Lesson, known: set[str], dropped: set[str]) -> str | None:
    for required in lesson.requires:
        if required in dropped:
            return f"requires {required!r}, which cannot load (see its error)"
        if required not in known:
            return f"requires unknown lesson {required!r}"
    return None


def _cycles(graph: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Each cycle in a requires graph once, found by depth-first search."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt) :])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node)
    return cycles


def _front_matter_line(path: Path, key: str) -> int:
    """The 1-based line of ``key:`` in a file's front matter, or 1."""
    try:
        lines = _lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 1


def parse_lesson(path: Path, *, default_requires: str | None = None) -> Lesson:
    """Parse one lesson file; raises ``LessonError`` at its first problem
    (``read_lesson`` names them all)."""
    read = read_lesson(path, default_requires=default_requires)
    if read.lesson is None:
        raise read.problems[0]
    return read.lesson


def read_lesson(path: Path, *, default_requires: str | None = None) -> LessonFile:
    """Read one lesson file and find every problem in it.

    A file that cannot be read or decoded, or whose front matter cannot be parsed, ends
    the reading at that problem; every other problem is noted and the reading goes on.
    """
    problems: list[LessonError] = []
    try:
        lesson = _read(path, default_requires, problems)
    except LessonError as error:
        return LessonFile(path, _default_id(path), None, (error,))
    ordered = tuple(sorted(problems, key=lambda error: error.line))
    return LessonFile(path, lesson.id, None if ordered else lesson, ordered)


def _read(path: Path, default_requires: str | None, problems: list[LessonError]) -> Lesson:
    """The lesson, with every problem appended to ``problems``; raises ``LessonError`` at a
    problem after which nothing more can be read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LessonError(path, 0, f"cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LessonError(
            path, line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise LessonError(path, 1, "empty file")
    lines = _lines(text)
    meta, end = _parse_front_matter(path, lines, problems)
    title = meta.get("title")
    body_start = end + 1
    body = "\n".join(lines[body_start:])
    intro, steps = _parse_body(path, body, body_start, problems)
    if not steps:
        problems.append(
            LessonError(path, body_start + 1, "no steps: start each step with a '## ' heading")
        )
    match = LESSON_FILE.match(path.name)
    return Lesson(
        id=_lesson_id(path, meta, lines, end, problems),
        title=title if isinstance(title, str) else "",
        path=path,
        number=int(match["number"]) if match else 0,
        requires=_requires(path, meta, default_requires, lines, end, problems),
        intro=intro,
        steps=tuple(steps),
    )


def _parse_front_matter(
    path: Path, lines: list[str], problems: list[LessonError]
) -> tuple[dict, int]:
    """The front matter as a dict, and the 0-based index of its closing line.  Raises
    ``LessonError`` if there is none to read; a bad key or title is noted in ``problems``."""
    if not lines or lines[0].strip() != "---":
        raise LessonError(
            path, 1, "missing front matter: start the file with '---', title: ..., '---'"
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise LessonError(
            path, 1, "front matter is not closed: add a '---' line after it"
        ) from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise _front_matter_error(path, exc) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise LessonError(path, 2, "bad front matter: expected 'key: value' lines")
    for unknown in sorted(set(map(str, meta)) - FRONT_MATTER_KEYS):
        problems.append(
            LessonError(
                path,
                _line_of_key(lines, unknown, end),
                f"unknown front matter key {unknown!r} (known: id, requires, title)",
            )
        )
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(
            LessonError(
                path,
                _line_of_key(lines, "title", end),
                "missing title: add 'title: ...' to the front matter",
            )
        )
    return meta, end


def _line_of_key(lines: list[str], key: str, end: int) -> int:
    for index in range(1, end):
        if re.match(rf"^{re.escape(key)}\s*:", lines[index]):
            return index + 1
    return 1


def _lesson_id(
    path: Path, meta: dict, lines: list[str], end: int, problems: list[LessonError]
) -> str:
    lesson_id = meta.get("id", _default_id(path))
    if not isinstance(lesson_id, str) or not LESSON_ID.match(lesson_id):
        problems.append(
            LessonError(
                path,
                _line_of_key(lines, "id", end),
                f"bad id {lesson_id!r}: use letters, digits, '-' and '_'",
            )
        )
        return _default_id(path)
    return lesson_id


def _requires(
    path: Path,
    meta: dict,
    default: str | None,
    lines: list[str],
    end: int,
    problems: list[LessonError],
) -> tuple[str, ...]:
    if "requires" not in meta:
        return (default,) if default else ()
    value = meta["requires"]
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(
            LessonError(
                path,
                _line_of_key(lines, "requires", end),
                "requires must be a lesson id or a list of them, e.g. requires: [data, model]",
            )
        )
        return ()
    return tuple(value)


_MARKDOWN = MarkdownIt("commonmark").disable(["inline", "text_join"])
"""The loader reads block tokens only (headings, fences, their lines and text): the
inline parse of every paragraph, a third of the parse, is left out."""


def _parse_body(
    path: Path, body: str, offset: int, problems: list[LessonError]
) -> tuple[str, list[Step]]:
    """Split the body into the intro and the steps.  ``offset`` maps body lines to file lines."""
    lines = _lines(body)
    tokens = _MARKDOWN.parse(body)
    headings: list[tuple[int, str]] = []  # (0-based body line, title)
    fences: list[tuple[int, int, Block | None]] = []  # (start, end, block or None for display)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2" and token.map:
            headings.append((token.map[0], tokens[index + 1].content.strip()))
        elif token.type == "fence" and token.map:
            start, end = token.map
            line = start + offset + 1
            block = _fence_block(path, token.info, token.content, line, problems)
            # A fence markdown-it left open runs to the end: its content has no room
            # for a closing line, and its code is cut short, so it is not compiled.
            if token.content.count("\n") > end - start - 2:
                problems.append(
                    LessonError(path, line, f"code fence {token.markup} is never closed")
                )
            elif block is not None and block.kind is not BlockKind.HINT:
                problems.extend(_syntax_problems(path, block, lines[start + 1 : end - 1]))
            fences.append((start, end, block))
    boundaries = [line for line, _ in headings] + [len(lines)]
    for start, _, block in fences:
        if block is not None and start < boundaries[0]:
            problems.append(
                LessonError(
                    path,
                    start + offset + 1,
                    f"a {block.kind.value} block before the first step never runs; "
                    "move it under a '## ' heading",
                )
            )
    hidden = {i for s, e, block in fences if block is not None for i in range(s, e)}
    intro = _prose(lines, 0, boundaries[0], hidden)
    steps = []
    runnable = [(s, block) for s, _, block in fences if block is not None]
    for (start, title), end in zip(headings, boundaries[1:], strict=True):
        step_line = start + offset + 1
        first = bisect_left(runnable, start, key=lambda item: item[0])
        last = bisect_left(runnable, end, key=lambda item: item[0])
        blocks = tuple(block for _, block in runnable[first:last])
        prose = _prose(lines, start + 1, end, hidden)
        if not title:
            problems.append(LessonError(path, step_line, "step heading has no title"))
        elif not prose.strip() and not blocks:
            problems.append(
                LessonError(path, step_line, f"empty step {title!r}: add prose or code")
            )
        problems.extend(_exercise_pair_problems(path, step_line, title, blocks))
        steps.append(Step(title=title, prose=prose, blocks=blocks, line=step_line))
    return intro, steps


def _fence_block(
    path: Path, info: str, content: str, line: int, problems: list[LessonError]
) -> Block | None:
    """The block a fence stands for, or None for a fence that is only shown."""
    words = info.strip().split(maxsplit=1)
    language = words[0].lower() if words else ""
    tag = words[1].strip().lower() if len(words) > 1 else ""
    if language == "hint":
        return Block(BlockKind.HINT, content, line)
    if language != "python":
        return None
    if tag not in PYTHON_TAGS:
        known = ", ".join(repr(t) for t in PYTHON_TAGS if t)
        problems.append(
            LessonError(path, line, f"unknown python block tag {tag!r} (known: {known})")
        )
        return None
    return Block(PYTHON_TAGS[tag], content, line)


def _exercise_pair_problems(
    path: Path, line: int, title: str, blocks: Iterable[Block]
) -> list[LessonError]:
    kinds = [b.kind for b in blocks]
    exercises, solutions = kinds.count(BlockKind.EXERCISE), kinds.count(BlockKind.SOLUTION)
    if exercises > 1 or solutions > 1:
        return [LessonError(path, line, f"step {title!r} has more than one exercise or solution")]
    if exercises != solutions:
        missing = "solution" if exercises else "exercise"
        return [LessonError(path, line, f"step {title!r} has no {missing} block to pair with")]
    return []


def _syntax_problems(path: Path, block: Block, source: list[str]) -> list[LessonError]:
    """The syntax error in a block's code, at its line of the file; ``source`` is the
    file's lines of the code, which may carry a prefix (a list's indent, a quote's '>')."""
    error = cell_syntax_error(block.text)
    if error is None:
        return []
    code_lines = block.text.split("\n")
    row = min(max(error.lineno or 1, 1), max(len(source), 1))
    where = ""
    if error.offset and row <= len(source) and row <= len(code_lines):
        code_line = code_lines[row - 1]
        # The column is the file's only where the compiled line is the one written
        # (IPython rewrites a '!cmd' or '%magic' line before it is compiled).
        if (error.text or "").rstrip("\r\n") == code_line and source[row - 1].endswith(code_line):
            column = error.offset + len(source[row - 1]) - len(code_line)
            where = f", column {column}"
    kind = "python" if block.kind is BlockKind.CODE else f"python {block.kind.value}"
    return [
        LessonError(
            path,
            block.line + row,
            f"{type(error).__name__} in a {kind} block{where}: {error.msg}",
        )
    ]


def cell_syntax_error(code: str) -> SyntaxError | None:
    """Why ``code`` would not run as a notebook cell in the session, or None.

    The session runs code through IPython, which first turns ``!cmd`` and ``%magic``
    lines into plain Python; code that does not compile as it is gets the same turn
    (IPython's ``TransformerManager.transform_cell``) and is compiled again.  Plain
    Python, nearly every block, costs one ``compile`` and never imports IPython (about
    70 ms of the app's start); nor does code whose only IPython syntax is simple
    ``!cmd`` and ``%magic`` lines (see ``_simple_escapes_as_pass``).
    """
    error = _compile_error(code)
    if error is None:
        return None
    shell_lines_passed = _simple_escapes_as_pass(code)
    if shell_lines_passed is not None and _compile_error(shell_lines_passed) is None:
        return None
    try:
        with warnings.catch_warnings():  # IPython warns of odd line endings: no matter here
            warnings.simplefilter("ignore")
            transformed = _transform_cell()(code)
    except Exception:  # IPython cannot read it either: the error as written stands
        return error
    return _compile_error(transformed)


_SIMPLE_ESCAPE = re.compile(r"^(?P<indent>[ \t]*)[!%](?!=)[^'\"()\[\]{}\\]*$")
"""A ``!cmd`` or ``%magic`` line without quotes, brackets or backslashes (``!=`` and ``%=``
at the start of a line are operators, which IPython leaves as they are)."""


def _simple_escapes_as_pass(code: str) -> str | None:
    """``code`` with each simple ``!cmd`` or ``%magic`` line replaced by ``pass``, or None
    if it has none, or has a line ending in a backslash.

    Where such a line starts a statement, IPython turns it into one call at the same
    indent, which stands wherever ``pass`` does.  Anywhere else (inside brackets or a
    triple-quoted string: with no backslash, no other line continues into it) it is
    left as written: in brackets both it and ``pass`` fail to compile, and in a string,
    holding no quote, both are text that ends nothing.  So when the code compiles with
    ``pass`` in their place, the code IPython makes of it compiles too, and IPython need
    not be asked (tests/test_loader_fuzz.py holds this to IPython's own verdict).
    """
    lines = code.split("\n")
    if any(line.rstrip().endswith("\\") for line in lines):
        return None
    passed = [
        f"{escape['indent']}pass" if (escape := _SIMPLE_ESCAPE.match(line)) else line
        for line in lines
    ]
    return "\n".join(passed) if passed != lines else None


def _compile_error(code: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():  # SyntaxWarnings belong to the run, not the loader
            warnings.simplefilter("ignore")
            compile(code, "<cell>", "exec", _COMPILE_FLAGS, dont_inherit=True)
    except SyntaxError as error:
        return error
    except ValueError as error:  # a null byte, before Python 3.12
        return SyntaxError(str(error))
    except (RecursionError, MemoryError):
        return SyntaxError("the code is nested too deeply to compile")
    return None


_COMPILE_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
"""Top-level `await` runs in the session (IPython's autoawait)."""


@cache
def _transform_cell() -> Callable[[str], str]:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell


def _prose(lines: list[str], start: int, end: int, hidden: set[int]) -> str:
    """The Markdown of lines [start, end) without the ``hidden`` lines of fences tutor runs."""
    kept = [lines[i] for i in range(start, end) if i not in hidden]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
