"""A notebook as the text of a lesson file (``python -m tutor import``).

The notebook's first ``#`` heading is the title and the Markdown before the first
step heading the introduction.  Each ``##`` heading starts a step; where a ``##``
section holds several code cells under ``###`` headings, each ``###`` starts one too.
A notebook without such headings (or the code before its first one) gets a step per
code cell, titled from the Markdown above it, or numbered.  Outputs, cell metadata,
empty cells, raw cells and HTML-only Markdown (a Colab badge) are left out, and
every cell left out is named in ``Conversion.skipped``.

The ``tutor-...`` tags of a notebook tutor exported say what each cell was: a check,
an exercise or its solution (a code cell, or a folded Markdown one for the half that
does not run), a hint.  A step with an exercise but no solution, or a solution but no
exercise, gets a copy of the half it has, named in ``Conversion.notes``.

Lesson files are Markdown read by markdown-it, as the loader reads them, so the
Markdown kept from the notebook is rewritten where the loader would read it
differently: headings that are not steps become ``###`` (a ``##`` in prose would
start a step), and a ``python`` fence in a Markdown cell is shown, not run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tutor.lessons import BlockKind
from tutor.notebooks import (
    METADATA_KEY,
    TAG_CHECK,
    TAG_EXERCISE,
    TAG_HELPERS,
    TAG_HINT,
    TAG_SOLUTION,
    fenced,
    unfolded,
)

_MARKDOWN = MarkdownIt("commonmark")
PROSE_HEADING_LEVEL = 3
"""Headings kept in prose are at least this deep: the loader starts a step at ``##``."""
RUN_FENCE_LANGUAGES = {"python", "hint"}
"""Fences the loader runs (or hides as hints); in a Markdown cell they are only shown."""
SHOWN_LANGUAGE = "py"
TITLE_MAX_CHARS = 60
CODE_CELL_TAGS = {
    TAG_CHECK: BlockKind.CHECK,
    TAG_EXERCISE: BlockKind.EXERCISE,
    TAG_SOLUTION: BlockKind.SOLUTION,
}
"""The tags that make a code cell a block other than plain code (the first, if several)."""
FOLDED_TAGS = {
    TAG_HINT: BlockKind.HINT,
    TAG_EXERCISE: BlockKind.EXERCISE,
    TAG_SOLUTION: BlockKind.SOLUTION,
}
"""The tags that make a (folded) Markdown cell a block."""
FOLDED_NAMES = {
    BlockKind.HINT: "hint",
    BlockKind.EXERCISE: "starter code",
    BlockKind.SOLUTION: "solution",
}
"""What a folded cell holds, in the messages about it."""
FENCE_INFO = {BlockKind.CODE: "python", BlockKind.HINT: "hint"}
"""A block's fence info in the lesson file; the others are ``python <kind>``."""


@dataclass(frozen=True)
class Conversion:
    """The lesson made of a notebook, and what was made of each of its cells."""

    text: str
    """The lesson file: front matter, introduction, steps."""
    title: str
    steps: tuple[str, ...]
    """The step titles, in order."""
    code_cells: int
    markdown_cells: int
    skipped: tuple[str, ...]
    """One line per cell (or part of a cell) left out: ``cell 3 (markdown): ...``."""
    notes: tuple[str, ...]
    """What else the reader should know: a title taken from the file name, dropped outputs."""


@dataclass
class _Heading:
    cell: int
    level: int
    title: str
    markdown: str
    """The heading as prose, for a section that is not split at it."""


@dataclass
class _Prose:
    cell: int
    text: str


@dataclass
class _Block:
    cell: int
    text: str
    kind: BlockKind
    runs: bool
    """Whether the notebook runs it: a code cell, not a folded Markdown one."""

    @property
    def where(self) -> str:
        return f"cell {self.cell} ({'code' if self.runs else 'markdown'})"


_Item = _Heading | _Prose | _Block


@dataclass
class _Step:
    title: str
    items: list[_Item] = field(default_factory=list)

    @property
    def has_content(self) -> bool:
        return any(not isinstance(item, _Heading) for item in self.items)


@dataclass
class _Report:
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, cell: int, cell_type: str, why: str) -> None:
        self.skipped.append(f"cell {cell} ({cell_type}): {why}")


def notebook_to_lesson(notebook: Any, *, fallback_title: str) -> Conversion:
    """The lesson text for a notebook read by ``nbformat`` (version 4).

    ``fallback_title`` is the title when the notebook has no ``#`` heading (the
    caller passes one made from the file name).
    """
    report = _Report()
    exported = METADATA_KEY in notebook.get("metadata", {})
    cells = list(_cells(notebook, report))
    located = list(_top_headings(cells))
    headings = [heading for _, heading in located]
    title_at = next((i for i, h in enumerate(headings) if h[1] == 1), None)
    title_cell = cells[located[title_at][0]].number if title_at is not None else None
    step_level, sub_level = _levels(
        [level for i, (_, level, _) in enumerate(headings) if i != title_at]
    )
    if exported:
        sub_level = None  # tutor's own steps are its ## headings, whatever their prose holds
    title = headings[title_at][2] if title_at is not None else ""
    if not title:
        title = fallback_title
        report.notes.append(f"no '#' heading: the title {title!r} comes from the file name")
    items = _items(cells, title_at, step_level, sub_level)
    intro, steps = _structure(items, step_level, title_cell, report)
    outputs = sum(
        1 for cell in notebook.cells if cell.get("cell_type") == "code" and cell.get("outputs")
    )
    if outputs:
        report.notes.append(f"outputs of {outputs} code cell(s) left out")
    if not steps:
        raise NotebookProblem(
            "no steps: the notebook has no code cells and no '##' headings to make steps of"
        )
    counts = {
        kind: sum(1 for cell in notebook.cells if cell.get("cell_type") == kind)
        for kind in ("code", "markdown")
    }
    return Conversion(
        text=_lesson_text(title, intro, steps),
        title=title,
        steps=tuple(step.title for step in steps),
        code_cells=counts["code"],
        markdown_cells=counts["markdown"],
        skipped=tuple(report.skipped),
        notes=tuple(report.notes),
    )


class NotebookProblem(ValueError):
    """A notebook that cannot become a lesson."""


# -- cells ---------------------------------------------------------------------


@dataclass
class _Cell:
    number: int
    """1-based, as a reader counts the notebook's cells."""
    kind: str
    source: str
    tokens: list[Token]
    block: BlockKind | None
    """The block the cell is, its ``source`` the block's text; None for Markdown prose."""


def _cells(notebook: Any, report: _Report) -> Iterable[_Cell]:
    """The cells worth converting, with their Markdown parsed; the others are reported."""
    for number, cell in enumerate(notebook.cells, start=1):
        kind = cell.get("cell_type", "")
        source = _newlines(cell.get("source", ""))
        tags = frozenset(cell.get("metadata", {}).get("tags", ()))
        if kind not in ("code", "markdown"):
            report.skip(number, kind or "unknown", "only code and Markdown cells become a lesson")
            continue
        if not source.strip():
            report.skip(number, kind, "empty")
            continue
        if TAG_HELPERS in tags:
            report.skip(
                number, kind, "it imports tutor's session helpers, which every lesson has already"
            )
            continue
        if kind == "code":
            failed = [o for o in cell.get("outputs", ()) if o.get("output_type") == "error"]
            if failed:
                report.notes.append(
                    f"cell {number} (code): its saved output is an error "
                    f"({failed[0].get('ename', 'an exception')}); a lesson stops at a failing "
                    "step, so fix it or catch the error if it is there to be shown"
                )
            block = _code_kind(number, tags, report)
            yield _Cell(number, kind, source.strip("\n") + "\n", [], block)
            continue
        if cell.get("attachments"):
            report.notes.append(f"cell {number} (markdown): its attached images are left out")
        block = next((kind for tag, kind in FOLDED_TAGS.items() if tag in tags), None)
        body = unfolded(source) if block else source  # the fold itself is tutor's, not content
        kept = _without_html(body)
        if not kept.strip():
            report.skip(
                number,
                kind,
                f"its folded {FOLDED_NAMES[block]} is empty"
                if block
                else "HTML only (such as a Colab badge)",
            )
            continue
        if kept != body:
            report.notes.append(f"cell {number} (markdown): its HTML-only lines are left out")
        if block is BlockKind.HINT:  # a hint starts no step
            yield _Cell(number, kind, kept.strip() + "\n", [], block)
            continue
        if block is not None:
            code = _only_code(kept)
            if code is not None:
                yield _Cell(number, kind, code.strip("\n") + "\n", [], block)
                continue
            report.notes.append(
                f"cell {number} (markdown): its {FOLDED_NAMES[block]} is not one fenced "
                "block of code, so it is kept as prose"
            )
        yield _Cell(number, kind, kept, _MARKDOWN.parse(kept), None)


def _code_kind(number: int, tags: frozenset[str], report: _Report) -> BlockKind:
    found = [tag for tag in CODE_CELL_TAGS if tag in tags]
    if len(found) > 1:
        report.notes.append(
            f"cell {number} (code): it is tagged {' and '.join(found)}, "
            f"so it is read as a {CODE_CELL_TAGS[found[0]].value} block"
        )
    return CODE_CELL_TAGS[found[0]] if found else BlockKind.CODE


def _only_code(markdown: str) -> str | None:
    """The code of Markdown that is one fenced block and nothing else, or None."""
    tokens = [token for token in _MARKDOWN.parse(markdown) if token.level == 0]
    if len(tokens) == 1 and tokens[0].type == "fence":
        return tokens[0].content
    return None


def _newlines(text: Any) -> str:
    if isinstance(text, list):  # nbformat joins these; a hand-made node may not
        text = "".join(text)
    return str(text).replace("\r\n", "\n").replace("\r", "\n")


def _without_html(source: str) -> str:
    """``source`` without its top-level blocks that are nothing but HTML."""
    lines = source.split("\n")
    drop: set[int] = set()
    tokens = _MARKDOWN.parse(source)
    for index, token in enumerate(tokens):
        if token.level != 0 or not token.map:
            continue
        html_only = token.type == "html_block" or (
            token.type == "paragraph_open"
            and all(
                child.type in ("html_inline", "softbreak", "hardbreak")
                or (child.type == "text" and not child.content.strip())
                for child in tokens[index + 1].children or ()
            )
        )
        if html_only:
            drop.update(range(*token.map))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _top_headings(cells: Sequence[_Cell]) -> Iterable[tuple[int, tuple[int, int, str]]]:
    """``(cell index, (line, level, title))`` of each top-level heading, in order."""
    for index, cell in enumerate(cells):
        for position, token in enumerate(cell.tokens):
            if token.type == "heading_open" and token.level == 0 and token.map:
                yield index, (token.map[0], int(token.tag[1]), _title(cell.tokens, position))


def _title(tokens: Sequence[Token], heading_open: int) -> str:
    """A heading's text on one line (a setext heading may span several)."""
    return " ".join(tokens[heading_open + 1].content.split())


def _levels(levels: Sequence[int]) -> tuple[int | None, int | None]:
    """The heading level that starts a step and the one below it that may.

    ``##`` where the notebook has one; else its shallowest heading (``#`` sections
    after the title, or ``###`` only).
    """
    if not levels:
        return None, None
    step = 2 if 2 in levels else min(levels)
    deeper = [level for level in levels if level > step]
    return step, (min(deeper) if deeper else None)


# -- items ----------------------------------------------------------------------


def _items(
    cells: Sequence[_Cell],
    title_at: int | None,
    step_level: int | None,
    sub_level: int | None,
) -> list[_Item]:
    """The notebook as a flat list: headings that may start steps, prose pieces, code."""
    items: list[_Item] = []
    heading_index = 0
    for cell in cells:
        if cell.block is not None:
            items.append(_Block(cell.number, cell.source, cell.block, runs=cell.kind == "code"))
            continue
        lines = cell.source.split("\n")
        start = 0
        for position, token in enumerate(cell.tokens):
            if not (token.type == "heading_open" and token.level == 0 and token.map):
                continue
            level = int(token.tag[1])
            is_title = heading_index == title_at
            heading_index += 1
            structural = level <= (step_level or 0) or level == sub_level
            if not (is_title or structural):
                continue
            _add_prose(items, cell.number, lines[start : token.map[0]])
            start = token.map[1]
            if is_title:
                continue
            title = _title(cell.tokens, position)
            heading_line = "#" * max(level, PROSE_HEADING_LEVEL) + " " + title
            items.append(_Heading(cell.number, level, title, heading_line))
        _add_prose(items, cell.number, lines[start:])
    return items


def _add_prose(items: list[_Item], cell: int, lines: Sequence[str]) -> None:
    text = _prose_markdown("\n".join(lines)).strip("\n")
    if text.strip():
        items.append(_Prose(cell, text))


def _prose_markdown(text: str) -> str:
    """Markdown that the lesson loader reads as a notebook shows it, inside one step.

    Headings become at least ``###`` (nested ones too: the loader would start a step
    at a ``##`` in a quote), setext headings become ``#`` headings, fences the loader
    would run are shown as Python instead, and a fence left open is closed, as the
    notebook closes it at the end of its cell.
    """
    lines = text.split("\n")
    tokens = _MARKDOWN.parse(text)
    for position, token in enumerate(tokens):
        if not token.map:
            continue
        first, end = token.map
        if token.type == "heading_open":
            level = max(int(token.tag[1]), PROSE_HEADING_LEVEL)
            if token.markup.startswith("#"):
                lines[first] = re.sub(r"#{1,6}", "#" * level, lines[first], count=1)
            else:  # setext: the text, then a line of = or -
                prefix = re.match(r"^[\s>]*", lines[first])
                cut = prefix.end() if prefix else 0
                content = tokens[position + 1].content.replace("\n", " ")
                lines[first] = lines[first][:cut] + "#" * level + " " + content
                for index in range(first + 1, end):
                    kept = re.match(r"^[\s>]*", lines[index])
                    lines[index] = kept.group().rstrip() if kept else ""
        elif token.type == "fence":
            words = token.info.strip().split()
            if words and words[0].lower() in RUN_FENCE_LANGUAGES:
                at = lines[first].find(token.markup)
                lines[first] = lines[first][: at + len(token.markup)] + SHOWN_LANGUAGE
            closing = rf"[\s>]*{re.escape(token.markup[0])}{{{len(token.markup)},}}\s*"
            if end - 1 == first or not re.fullmatch(closing, lines[end - 1]):  # never closed
                indent = lines[first][: lines[first].find(token.markup)]
                lines.append(indent + token.markup)
    return "\n".join(lines)


# -- steps -----------------------------------------------------------------------


def _structure(
    items: list[_Item], step_level: int | None, title_cell: int | None, report: _Report
) -> tuple[str, list[_Step]]:
    """The introduction and the steps."""
    first = next((i for i, item in enumerate(items) if isinstance(item, _Heading)), len(items))
    preamble, rest = items[:first], items[first:]
    intro_items, steps = _steps_per_code_cell(preamble, title_cell)
    sections: list[_Step] = []
    for item in rest:
        if isinstance(item, _Heading) and (
            not sections or step_level is None or item.level <= step_level
        ):
            sections.append(_Step(item.title, []))
        elif sections:
            sections[-1].items.append(item)
    for section in sections:
        steps.extend(_split_section(section, report))
    for number, step in enumerate(steps, start=1):
        if not step.title:
            step.title = _title_from(step.items) or f"Step {number}"
        _pair_exercise(step, report)
    return _join_prose(intro_items), steps


def _steps_per_code_cell(
    items: list[_Item], title_cell: int | None
) -> tuple[list[_Item], list[_Step]]:
    """A step per code cell, with the Markdown since the previous one as its prose
    (Markdown after the last code cell goes with it too).  A check, a hint, or the other
    half of an exercise joins the step before it.  The introduction is the Markdown up
    to the title's cell; without code, all of it."""
    steps: list[_Step] = []
    start = 0
    for index, item in enumerate(items):
        if not isinstance(item, _Block):
            continue
        if steps and _joins(item, steps[-1]):
            steps[-1].items.extend(items[start : index + 1])
        else:
            steps.append(_Step("", items[start : index + 1]))
        start = index + 1
    if not steps:
        return items, []
    steps[-1].items.extend(items[start:])
    intro: list[_Item] = []
    first = steps[0].items
    if title_cell is not None:
        intro = [item for item in first if item.cell <= title_cell and isinstance(item, _Prose)]
        steps[0].items = [item for item in first if all(item is not kept for kept in intro)]
    return intro, steps


def _joins(block: _Block, step: _Step) -> bool:
    """Whether ``block`` belongs to the step before it rather than starting one."""
    if block.kind in (BlockKind.CHECK, BlockKind.HINT):
        return True
    partner = {BlockKind.EXERCISE: BlockKind.SOLUTION, BlockKind.SOLUTION: BlockKind.EXERCISE}
    kinds = {item.kind for item in step.items if isinstance(item, _Block)}
    return block.kind in partner and partner[block.kind] in kinds and block.kind not in kinds


def _split_section(section: _Step, report: _Report) -> list[_Step]:
    """A ``##`` section as one step, or as a step per ``###`` where several of its code
    cells sit under ``###`` headings."""
    subs = [i for i, item in enumerate(section.items) if isinstance(item, _Heading)]
    under_subs = sum(
        1
        for item in section.items[subs[0] if subs else len(section.items) :]
        if isinstance(item, _Block) and item.kind is not BlockKind.HINT
    )
    if under_subs < 2:
        step = _Step(
            section.title,
            [
                _Prose(item.cell, item.markdown) if isinstance(item, _Heading) else item
                for item in section.items
            ],
        )
        if not step.has_content:
            report.skipped.append(f"heading {section.title!r}: nothing under it")
            return []
        return [step]
    parts = [_Step(section.title, section.items[: subs[0]])]
    for start, end in zip(subs, [*subs[1:], len(section.items)], strict=True):
        heading = section.items[start]
        assert isinstance(heading, _Heading)
        parts.append(_Step(heading.title, section.items[start + 1 : end]))
    steps = []
    for part in parts:
        if part.has_content:
            steps.append(part)
        elif part is parts[0]:
            report.notes.append(
                f"heading {part.title!r}: no text of its own; its '###' parts are steps"
            )
        else:
            report.skipped.append(f"heading {part.title!r}: nothing under it")
    return steps


def _pair_exercise(step: _Step, report: _Report) -> None:
    """Give a step's exercise and solution the places the lesson file had them; a step
    with only one of the two gets a copy of it as the other (named in the notes).

    In a notebook exported with its solutions, the solution is the code cell, in the
    exercise's place, and the starter code the folded cell, in the solution's: the two
    change places back.
    """
    blocks = [item for item in step.items if isinstance(item, _Block)]
    exercises = [block for block in blocks if block.kind is BlockKind.EXERCISE]
    solutions = [block for block in blocks if block.kind is BlockKind.SOLUTION]
    for found, name in ((exercises, "an exercise"), (solutions, "a solution")):
        if len(found) > 1:
            cells = ", ".join(str(block.cell) for block in found[:-1])
            raise NotebookProblem(
                f"cells {cells} and {found[-1].cell} are each {name} of step {step.title!r}, "
                "and a step has one exercise and one solution: start a step for each "
                "exercise with a '##' heading"
            )
    items = step.items

    def place(block: _Block) -> int:
        return next(index for index, item in enumerate(items) if item is block)

    if exercises and solutions:
        exercise, solution = exercises[0], solutions[0]
        if solution.runs and not exercise.runs:
            at, other = place(exercise), place(solution)
            items[at], items[other] = solution, exercise
    elif exercises:
        exercise = exercises[0]
        items.insert(place(exercise) + 1, replace(exercise, kind=BlockKind.SOLUTION))
        report.notes.append(
            f"{exercise.where}: an exercise with no solution in step {step.title!r}; its "
            "starter code is the solution too, so the step fails its checks until you write "
            "the answer in its 'python solution' block"
        )
    elif solutions:
        solution = solutions[0]
        items.insert(place(solution), replace(solution, kind=BlockKind.EXERCISE))
        report.notes.append(
            f"{solution.where}: a solution with no exercise in step {step.title!r}; it is "
            "the starter code too, so a learner starts from the answer until you write the "
            "starter code in its 'python exercise' block"
        )


def _title_from(items: Iterable[_Item]) -> str:
    """A short title from the first line of prose: its first sentence, cut at a word."""
    for item in items:
        if not isinstance(item, _Prose):
            continue
        for token in _MARKDOWN.parse(item.text):
            if token.type != "inline":
                continue
            text = "".join(
                child.content
                for child in token.children or ()
                if child.type in ("text", "code_inline")
            )
            text = " ".join(text.split("\n")[0].split())
            text = re.split(r"(?<=[.!?:])\s", text, maxsplit=1)[0].rstrip(".:")
            if not text:
                continue
            if len(text) > TITLE_MAX_CHARS:
                text = text[:TITLE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;") + "…"
            return text
    return ""


# -- text ------------------------------------------------------------------------


def _join_prose(items: Iterable[_Item]) -> str:
    return "\n\n".join(item.text for item in items if isinstance(item, _Prose)).strip()


def _step_text(step: _Step) -> str:
    parts = [f"## {step.title}"]
    for item in step.items:
        if isinstance(item, _Prose):
            parts.append(item.text)
        elif isinstance(item, _Heading):
            parts.append(item.markdown)
        else:
            parts.append(fenced(item.text, FENCE_INFO.get(item.kind, f"python {item.kind.value}")))
    return "\n\n".join(parts)


def _lesson_text(title: str, intro: str, steps: Sequence[_Step]) -> str:
    front = yaml.safe_dump(
        {"title": title, "requires": []},
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=1000,
    )
    body = [part for part in (intro, *(_step_text(step) for step in steps)) if part]
    return f"---\n{front}---\n\n" + "\n\n".join(body) + "\n"
