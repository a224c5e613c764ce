"""A lesson as a notebook that Jupyter runs top to bottom on its own (``python -m tutor export``).

The first cell imports tutor's session helpers (outside tutor they show their tables
and plots as text), then come the title and introduction, then, in one collapsed
"Setup" section, the code of every lesson this one requires, and then each step: a
Markdown cell with its heading and prose, its code, exercise and check cells where
the lesson file has them, and its hints as Markdown.  An exercise cell holds the
starter code, so that a learner's copy fails its checks until it is solved, and the
solution follows, folded, where the lesson file has it; with ``solutions=True`` the
two change places: the solution runs and the starter code is folded.  Cells carry a
``tutor-...`` tag saying what they were, which ``to_lesson`` reads back, so that a
notebook of either kind gives back the whole lesson.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

from tutor.lessons import Block, BlockKind, Lesson, Step
from tutor.notebooks import (
    HINT_SUMMARY,
    METADATA_KEY,
    SOLUTION_SUMMARY,
    STARTER_SUMMARY,
    TAG_CHECK,
    TAG_EXERCISE,
    TAG_HELPERS,
    TAG_HINT,
    TAG_SETUP,
    TAG_SOLUTION,
    fenced,
    folded,
)

HELPERS_CELL = (
    "# tutor's session helpers: track(), progress(), plot_predictions(), plot_loss_curves(),\n"
    "# tutor_device(), save_state_dict(). Outside tutor they show their tables and plots as text.\n"
    "from tutor.kernel import *"
)
SETUP_TITLE = "Setup"
CELL_ID_PREFIX_CHARS = 48
"""Cell ids are ``<lesson id>-<n>``, at most 64 characters (nbformat's limit)."""


def lesson_to_notebook(
    lesson: Lesson,
    requirements: Sequence[Lesson],
    *,
    solutions: bool = False,
    leave_out_solutions: bool = False,
) -> NotebookNode:
    """The notebook for ``lesson``; ``requirements`` are the lessons it builds on, in
    course order (``LessonSet.requirements``).  Reads the lesson's file for where its
    prose stands between the code.  ``leave_out_solutions`` writes a learner's copy with
    no folded solutions: one to hand out that holds no answers."""
    if solutions and leave_out_solutions:
        raise ValueError("solutions=True runs the solutions: they cannot be left out")
    cells: list[NotebookNode] = [_code(HELPERS_CELL, TAG_HELPERS)]
    cells.append(nbformat.v4.new_markdown_cell(_join(f"# {lesson.title}", lesson.intro)))
    if requirements:
        cells.extend(_setup(requirements))
    pieces = _step_pieces(lesson)
    for step, step_pieces in zip(lesson.steps, pieces, strict=True):
        cells.extend(
            _step_cells(
                step, step_pieces, solutions=solutions, leave_out_solutions=leave_out_solutions
            )
        )
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"{lesson.id[:CELL_ID_PREFIX_CHARS]}-{number}"
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
            METADATA_KEY: {"lesson": lesson.id, "solutions": solutions},
        },
    )
    nbformat.validate(notebook)
    return notebook


def _code(source: str, tag: str | None = None, **metadata: Any) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source.rstrip("\n"))
    if tag:
        cell.metadata["tags"] = [tag]
    cell.metadata.update(metadata)
    return cell


def _markdown(source: str, tag: str | None = None, **metadata: Any) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    if tag:
        cell.metadata["tags"] = [tag]
    cell.metadata.update(metadata)
    return cell


def _join(*parts: str) -> str:
    return "\n\n".join(part.strip() for part in parts if part.strip())


def _setup(requirements: Sequence[Lesson]) -> Iterator[NotebookNode]:
    """One collapsed section with the code of the required lessons, as tutor replays it."""
    names = ", ".join(f"*{lesson.title}*" for lesson in requirements)
    yield _markdown(
        _join(
            f"## {SETUP_TITLE}",
            f"The code of the lessons this one builds on ({names}), "
            "so that this notebook runs on its own.",
        ),
        TAG_SETUP,
        **{"jp-MarkdownHeadingCollapsed": True},
    )
    for lesson in requirements:
        for step in lesson.steps:
            for block in step.runnable_blocks():
                yield _code(block.text, TAG_SETUP, jupyter={"source_hidden": True})


# -- steps ------------------------------------------------------------------------

_Piece = str | Block
"""Prose (Markdown) or a block, in the order of the lesson file."""


def _step_pieces(lesson: Lesson) -> list[list[_Piece]]:
    """Each step's prose and blocks in file order: the loader keeps the prose apart
    from the blocks, so the file is read again for where each block stands.  A block's
    fence spans its opening line, one line per line of its text, and the closing line."""
    text = lesson.path.read_text(encoding="utf-8").removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    bounds = [step.line for step in lesson.steps] + [len(lines) + 1]
    result = []
    for step, next_line in zip(lesson.steps, bounds[1:], strict=True):
        blocks = {block.line: block for block in step.blocks}
        pieces: list[_Piece] = []
        prose: list[str] = []
        index = step.line  # 0-based: the line after the heading
        while index < next_line - 1:
            block = blocks.get(index + 1)
            if block is None:
                prose.append(lines[index])
                index += 1
                continue
            pieces.extend((_clean("\n".join(prose)), block))
            prose = []
            index += block.text.count("\n") + 2
        pieces.append(_clean("\n".join(prose)))
        result.append([piece for piece in pieces if not isinstance(piece, str) or piece])
    return result


def _clean(prose: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", prose).strip()


def _step_cells(
    step: Step, pieces: list[_Piece], *, solutions: bool, leave_out_solutions: bool = False
) -> Iterator[NotebookNode]:
    """A step's cells: its heading with the prose before its first block, then the
    blocks and the prose between them.  Checks run after the step's code, as in tutor."""
    heading = f"## {step.title}"
    if pieces and isinstance(pieces[0], str):
        heading = _join(heading, pieces.pop(0))
    yield _markdown(heading)
    runs = [i for i, p in enumerate(pieces) if isinstance(p, Block) and _runs_before_checks(p)]
    last_code = runs[-1] if runs else -1
    deferred: list[NotebookNode] = []
    for index, piece in enumerate(pieces):
        if leave_out_solutions and _is_solution(piece):
            continue
        cell = _piece_cell(piece, step, solutions=solutions)
        if isinstance(piece, Block) and piece.kind is BlockKind.CHECK and index < last_code:
            deferred.append(cell)
            continue
        yield cell
        if index == last_code:
            yield from deferred


def _is_solution(piece: _Piece) -> bool:
    return isinstance(piece, Block) and piece.kind is BlockKind.SOLUTION


def _runs_before_checks(block: Block) -> bool:
    return block.kind in (BlockKind.CODE, BlockKind.EXERCISE)


def _piece_cell(piece: _Piece, step: Step, *, solutions: bool) -> NotebookNode:
    """The cell for one piece.  The exercise's place holds the code that runs there (the
    starter code, or with ``solutions`` the solution, as tutor runs it) and the
    solution's place the other, folded."""
    if isinstance(piece, str):
        return _markdown(piece)
    if piece.kind is BlockKind.CODE:
        return _code(piece.text)
    if piece.kind is BlockKind.CHECK:
        return _code(piece.text, TAG_CHECK)
    if piece.kind is BlockKind.HINT:
        return _markdown(folded(HINT_SUMMARY, piece.text), TAG_HINT)
    exercise, solution = step.exercise, step.solution
    assert exercise is not None and solution is not None  # the loader guarantees the pair
    if piece.kind is BlockKind.EXERCISE:
        if solutions:
            return _code(solution.text, TAG_SOLUTION)
        return _code(exercise.text, TAG_EXERCISE)
    if solutions:
        return _markdown(folded(STARTER_SUMMARY, fenced(exercise.text, "python")), TAG_EXERCISE)
    return _markdown(folded(SOLUTION_SUMMARY, fenced(solution.text, "python")), TAG_SOLUTION)
