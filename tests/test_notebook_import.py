"""Notebook to lesson (``tutor.notebooks.to_lesson``): each rule on a small notebook,
without a kernel.  Every result is read back with the lesson loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat import v4

from tutor.lessons import BlockKind, Lesson, load_lessons
from tutor.notebooks.to_lesson import Conversion, NotebookProblem, notebook_to_lesson

BADGE = (
    '<a href="https://colab.research.google.com/github/x/y.ipynb" target="_parent">'
    '<img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>'
)


def md(source: str, **metadata) -> dict:
    cell = v4.new_markdown_cell(source)
    cell.metadata.update(metadata)
    return cell


def code(source: str, **metadata) -> dict:
    cell = v4.new_code_cell(source)
    cell.metadata.update(metadata)
    return cell


def notebook(*cells: dict, **metadata) -> dict:
    return v4.new_notebook(cells=list(cells), metadata=metadata)


def convert(nb: dict, folder: Path) -> tuple[Conversion, Lesson]:
    """The conversion, and the lesson the loader reads from it (which must load cleanly)."""
    conversion = notebook_to_lesson(nb, fallback_title="From the file name")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "01_imported.md").write_text(conversion.text, encoding="utf-8")
    lessons = load_lessons(folder)
    assert lessons.errors == [], (lessons.errors, conversion.text)
    return conversion, lessons.lessons[0]


def codes(step) -> list[str]:
    return [block.text for block in step.blocks]


def test_title_introduction_and_a_step_per_section(tmp_path: Path) -> None:
    nb = notebook(
        md("# Linear regression\n\nWe fit a line.\n\nIn two steps."),
        md("## Make data\n\nA straight line."),
        code("import torch\nX = torch.arange(10)"),
        md("Then the targets."),
        code("y = 2 * X"),
        md("## Fit\n\nClosed form."),
        code("w = (X * y).sum() / (X * X).sum()"),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert lesson.title == "Linear regression"
    assert lesson.intro == "We fit a line.\n\nIn two steps."
    assert lesson.requires == ()
    assert [s.title for s in lesson.steps] == ["Make data", "Fit"]
    assert codes(lesson.steps[0]) == ["import torch\nX = torch.arange(10)\n", "y = 2 * X\n"]
    assert lesson.steps[0].prose == "A straight line.\n\nThen the targets."
    assert codes(lesson.steps[1]) == ["w = (X * y).sum() / (X * X).sum()\n"]
    assert conversion.steps == ("Make data", "Fit")
    assert (conversion.code_cells, conversion.markdown_cells) == (3, 4)
    assert conversion.skipped == ()


def test_subsections_with_several_code_cells_become_steps(tmp_path: Path) -> None:
    nb = notebook(
        md("# T"),
        md("## 1. Data\n\nAbout data."),
        code("a = 1"),
        md("### Split\n\nSplit it."),
        code("b = 2"),
        md("### Why a test set\n\nOnly words here."),
        md("### Plot"),
        code("c = 3"),
    )
    _, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["1. Data", "Split", "Why a test set", "Plot"]
    assert [codes(s) for s in lesson.steps] == [["a = 1\n"], ["b = 2\n"], [], ["c = 3\n"]]
    assert lesson.steps[2].prose == "Only words here."


def test_a_section_with_one_code_cell_under_its_subsections_stays_one_step(
    tmp_path: Path,
) -> None:
    nb = notebook(
        md("# T"),
        md("## Model\n\nIntro."),
        md("### Essentials\n\nWords."),
        md("### Inspect it"),
        code("m = 1"),
    )
    _, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["Model"]
    assert lesson.steps[0].prose == "Intro.\n\n### Essentials\n\nWords.\n\n### Inspect it"
    assert codes(lesson.steps[0]) == ["m = 1\n"]


def test_a_section_whose_subsections_are_its_steps_is_named_in_the_notes(tmp_path: Path) -> None:
    nb = notebook(
        md("# T\n\n## Train"),
        md("### Loss"),
        code("loss = 1"),
        md("### Loop"),
        code("for _ in range(2):\n    loss -= 0.1"),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["Loss", "Loop"]
    assert any("'Train'" in note for note in conversion.notes)


def test_a_notebook_without_headings_gets_a_step_per_code_cell(tmp_path: Path) -> None:
    nb = notebook(
        md("# Tensors\n\nA tour."),
        md("Make a **scalar** first. It has no dimensions."),
        code("s = 7"),
        code("v = [7, 7]"),
        md("A matrix: two dimensions and a much longer sentence that goes on and on here."),
        code("m = [[1, 2], [3, 4]]"),
        md("That is all."),
    )
    _, lesson = convert(nb, tmp_path)
    assert lesson.title == "Tensors"
    assert lesson.intro == "A tour."
    assert [s.title for s in lesson.steps] == [
        "Make a scalar first",
        "Step 2",
        "A matrix",
    ]
    assert lesson.steps[0].prose == "Make a **scalar** first. It has no dimensions."
    assert lesson.steps[2].prose.endswith("That is all.")
    assert [codes(s) for s in lesson.steps] == [
        ["s = 7\n"],
        ["v = [7, 7]\n"],
        ["m = [[1, 2], [3, 4]]\n"],
    ]


def test_a_long_first_sentence_is_cut_at_a_word(tmp_path: Path) -> None:
    words = "Here we build the model that learns the weight and the bias of the line"
    _, lesson = convert(notebook(md(words), code("x = 1")), tmp_path)
    title = lesson.steps[0].title
    assert title.endswith("…") and len(title) <= 61
    assert words.startswith(title.removesuffix("…"))


def test_without_a_title_heading_the_file_name_gives_the_title(tmp_path: Path) -> None:
    conversion, lesson = convert(notebook(md("## Only a step"), code("x = 1")), tmp_path)
    assert lesson.title == "From the file name"
    assert any("file name" in note for note in conversion.notes)


def test_code_before_the_first_section_gets_steps_of_its_own(tmp_path: Path) -> None:
    nb = notebook(
        md("# T\n\nIntro words."),
        md("Import what we need."),
        code("import math"),
        md("## Use it"),
        code("math.pi"),
    )
    _, lesson = convert(nb, tmp_path)
    assert lesson.intro == "Intro words."
    assert [s.title for s in lesson.steps] == ["Import what we need", "Use it"]
    assert codes(lesson.steps[0]) == ["import math\n"]


def test_outputs_are_dropped_and_shell_and_magic_lines_kept(tmp_path: Path) -> None:
    cell = code("%%time\n!ls -l\n%timeit sum(range(10))\nfiles = !ls")
    cell.outputs = [v4.new_output("stream", name="stdout", text="OUTPUT-TEXT\n")]
    cell.execution_count = 3
    conversion, lesson = convert(notebook(md("# T\n\n## Shell"), cell), tmp_path)
    assert codes(lesson.steps[0]) == ["%%time\n!ls -l\n%timeit sum(range(10))\nfiles = !ls\n"]
    assert "OUTPUT-TEXT" not in conversion.text
    assert "outputs of 1 code cell(s) left out" in conversion.notes


def test_html_only_empty_and_raw_cells_and_metadata_are_left_out(tmp_path: Path) -> None:
    nb = notebook(
        md(BADGE, id="view-in-github", colab_type="text"),
        md("# T"),
        md("   \n"),
        code("\n\n"),
        v4.new_raw_cell("raw text"),
        md("## Step\n\nWords.", colab={"secret": "CELL-METADATA"}),
        code("x = 1", id="nGM1dEsYec0u"),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert conversion.skipped == (
        "cell 1 (markdown): HTML only (such as a Colab badge)",
        "cell 3 (markdown): empty",
        "cell 4 (code): empty",
        "cell 5 (raw): only code and Markdown cells become a lesson",
    )
    for left_out in ("colab", "CELL-METADATA", "nGM1dEsYec0u", "raw text", "<a href"):
        assert left_out not in conversion.text
    assert [s.title for s in lesson.steps] == ["Step"]


def test_html_only_lines_of_a_cell_with_text_are_left_out(tmp_path: Path) -> None:
    nb = notebook(md(f"{BADGE}\n\n[Source](https://example.org)\n\n# T"), md("## S"), code("x = 1"))
    conversion, lesson = convert(nb, tmp_path)
    assert lesson.intro == "[Source](https://example.org)"
    assert "cell 1 (markdown): its HTML-only lines are left out" in conversion.notes


def test_markdown_only_sections_become_prose_steps_and_empty_ones_are_skipped(
    tmp_path: Path,
) -> None:
    nb = notebook(
        md("# T"),
        md("## Read this\n\nOnly words."),
        md("## Nothing here"),
        md("## Code"),
        code("x = 1"),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["Read this", "Code"]
    assert lesson.steps[0].prose == "Only words." and lesson.steps[0].blocks == ()
    assert "heading 'Nothing here': nothing under it" in conversion.skipped


def test_markdown_is_rewritten_where_the_loader_would_read_it_otherwise(tmp_path: Path) -> None:
    """A python or hint fence in a Markdown cell is shown, not run; headings in a quote
    (ATX or setext) start no step; a fence the cell leaves open is closed."""
    nb = notebook(
        md("# T"),
        md(
            "## Step\n\n```python\nshown_only = 1\n```\n\n> ## Quoted\n\n"
            "> Setext\n> ------\n\n#### Deep\n\n```hint\nx\n```"
        ),
        code("ran = 1"),
        md("Open fence:\n\n```python\nstill_open = 1"),
        md("## Next"),
        code("y = 2"),
    )
    _, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["Step", "Next"]
    assert codes(lesson.steps[0]) == ["ran = 1\n"]
    prose = lesson.steps[0].prose
    assert "```py\nshown_only = 1\n```" in prose
    assert "> ### Quoted" in prose and "> ### Setext" in prose and "#### Deep" in prose
    assert "```py\nstill_open = 1\n```" in prose
    assert lesson.steps[0].hint == ""


def test_code_with_backtick_fences_inside_keeps_its_text(tmp_path: Path) -> None:
    source = 'doc = """\n```python\nnot a fence\n```\n````\n"""'
    _, lesson = convert(notebook(md("# T\n\n## S"), code(source)), tmp_path)
    assert codes(lesson.steps[0]) == [source + "\n"]


def test_hash_sections_without_second_level_headings_are_steps(tmp_path: Path) -> None:
    nb = notebook(md("# Title"), md("# Part one"), code("a = 1"), md("# Part two"), code("b = 2"))
    _, lesson = convert(nb, tmp_path)
    assert lesson.title == "Title"
    assert [s.title for s in lesson.steps] == ["Part one", "Part two"]


def test_third_level_headings_alone_are_steps(tmp_path: Path) -> None:
    nb = notebook(md("# Title\n\n### A"), code("a = 1"), md("### B"), code("b = 2"))
    _, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["A", "B"]


def test_a_notebook_with_neither_code_nor_headings_is_refused() -> None:
    with pytest.raises(NotebookProblem, match="no steps"):
        notebook_to_lesson(notebook(md("Just words.")), fallback_title="x")


HELPERS_SKIPPED = (
    "cell 1 (code): it imports tutor's session helpers, which every lesson has already"
)


def folded(summary: str, markdown: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{markdown}\n\n</details>"


def blocks(step) -> list[tuple[BlockKind, str]]:
    return [(block.kind, block.text) for block in step.blocks]


def test_cells_tagged_by_export_come_back_as_checks_and_hints(tmp_path: Path) -> None:
    nb = notebook(
        code("from tutor.kernel import *", tags=["tutor-helpers"]),
        md("# T"),
        md("## S"),
        code("x = 1"),
        code("assert x == 1", tags=["tutor-check"]),
        md(folded("Hint", "Set x."), tags=["tutor-hint"]),
        tutor={"lesson": "s", "solutions": True},
    )
    conversion, lesson = convert(nb, tmp_path)
    step = lesson.steps[0]
    assert [b.kind for b in step.blocks] == [BlockKind.CODE, BlockKind.CHECK, BlockKind.HINT]
    assert step.hint == "Set x."
    assert conversion.skipped == (HELPERS_SKIPPED,)
    assert conversion.notes == ()  # the fold around the hint is tutor's own HTML


def test_an_exercise_and_its_folded_solution_come_back_in_their_places(tmp_path: Path) -> None:
    """A learner's copy: the starter code runs, the solution is folded after it."""
    nb = notebook(
        md("# T"),
        md("## Solve"),
        code("y = 0  # TODO", tags=["tutor-exercise"]),
        md(folded("Solution", "```python\ny = 2\n```"), tags=["tutor-solution"]),
        code("assert y == 2", tags=["tutor-check"]),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert blocks(lesson.steps[0]) == [
        (BlockKind.EXERCISE, "y = 0  # TODO\n"),
        (BlockKind.SOLUTION, "y = 2\n"),
        (BlockKind.CHECK, "assert y == 2\n"),
    ]
    assert conversion.notes == ()


def test_a_solution_that_runs_gives_the_folded_starter_code_its_place(tmp_path: Path) -> None:
    """A copy with the solutions: the solution runs where the exercise stood, and the
    starter code is folded where the solution stood; they change places back."""
    nb = notebook(
        md("# T"),
        md("## Solve"),
        code("y = 2", tags=["tutor-solution"]),
        md("Between."),
        md(folded("Starter code", "```python\ny = 0  # TODO\n```"), tags=["tutor-exercise"]),
        code("assert y == 2", tags=["tutor-check"]),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert blocks(lesson.steps[0]) == [
        (BlockKind.EXERCISE, "y = 0  # TODO\n"),
        (BlockKind.SOLUTION, "y = 2\n"),
        (BlockKind.CHECK, "assert y == 2\n"),
    ]
    assert lesson.steps[0].prose == "Between."
    assert "```python exercise\ny = 0  # TODO\n```\n\nBetween." in conversion.text
    assert conversion.notes == ()


def test_an_exercise_without_a_solution_keeps_its_code_as_both_and_says_so(
    tmp_path: Path,
) -> None:
    nb = notebook(
        md("# T"),
        md("## Solve"),
        code("y = 0  # TODO", tags=["tutor-exercise"]),
        code("assert y == 2", tags=["tutor-check"]),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert blocks(lesson.steps[0]) == [
        (BlockKind.EXERCISE, "y = 0  # TODO\n"),
        (BlockKind.SOLUTION, "y = 0  # TODO\n"),
        (BlockKind.CHECK, "assert y == 2\n"),
    ]
    assert conversion.notes == (
        "cell 3 (code): an exercise with no solution in step 'Solve'; its starter code is "
        "the solution too, so the step fails its checks until you write the answer in its "
        "'python solution' block",
    )


@pytest.mark.parametrize(
    ("cell", "where"),
    [
        (code("y = 2", tags=["tutor-solution"]), "cell 3 (code)"),
        (
            md(folded("Solution", "```python\ny = 2\n```"), tags=["tutor-solution"]),
            "cell 3 (markdown)",
        ),
    ],
    ids=["code-cell", "folded"],
)
def test_a_solution_without_an_exercise_keeps_its_code_as_both_and_says_so(
    cell: dict, where: str, tmp_path: Path
) -> None:
    nb = notebook(md("# T"), md("## Solve"), cell, code("assert y == 2", tags=["tutor-check"]))
    conversion, lesson = convert(nb, tmp_path)
    assert blocks(lesson.steps[0]) == [
        (BlockKind.EXERCISE, "y = 2\n"),
        (BlockKind.SOLUTION, "y = 2\n"),
        (BlockKind.CHECK, "assert y == 2\n"),
    ]
    assert conversion.notes == (
        f"{where}: a solution with no exercise in step 'Solve'; it is the starter code too, "
        "so a learner starts from the answer until you write the starter code in its "
        "'python exercise' block",
    )


@pytest.mark.parametrize("tag", ["tutor-exercise", "tutor-solution"])
def test_two_exercises_or_solutions_in_one_step_are_refused_naming_the_cells(tag: str) -> None:
    nb = notebook(
        md("# T"),
        md("## Solve"),
        code("a = 0", tags=[tag]),
        md("Then."),
        code("b = 0", tags=[tag]),
        code("c = 0", tags=[tag]),
    )
    name = "an exercise" if tag == "tutor-exercise" else "a solution"
    with pytest.raises(NotebookProblem) as raised:
        notebook_to_lesson(nb, fallback_title="x")
    assert str(raised.value) == (
        f"cells 3, 5 and 6 are each {name} of step 'Solve', and a step has one exercise "
        "and one solution: start a step for each exercise with a '##' heading"
    )


def test_a_folded_solution_that_is_not_code_is_kept_as_prose_and_named(tmp_path: Path) -> None:
    nb = notebook(
        md("# T"),
        md("## Solve"),
        code("y = 0  # TODO", tags=["tutor-exercise"]),
        md(folded("Solution", "Set `y` to 2:\n\n```python\ny = 2\n```"), tags=["tutor-solution"]),
    )
    conversion, lesson = convert(nb, tmp_path)
    step = lesson.steps[0]
    assert step.prose == "Set `y` to 2:\n\n```py\ny = 2\n```"
    assert [kind for kind, _ in blocks(step)] == [BlockKind.EXERCISE, BlockKind.SOLUTION]
    assert conversion.notes[0] == (
        "cell 4 (markdown): its solution is not one fenced block of code, so it is kept as prose"
    )
    assert conversion.notes[1].startswith("cell 3 (code): an exercise with no solution")


def test_html_in_a_hint_is_named_and_an_empty_fold_is_skipped(tmp_path: Path) -> None:
    nb = notebook(
        md("# T"),
        md("## S"),
        code("x = 1"),
        md(folded("Hint", "<img src='x.png'>\n\nLook at the plot."), tags=["tutor-hint"]),
        md(folded("Hint", "   "), tags=["tutor-hint"]),
        md("A hint written by hand.", tags=["tutor-hint"]),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert lesson.steps[0].hint == "Look at the plot.\n\nA hint written by hand."
    assert conversion.notes == ("cell 4 (markdown): its HTML-only lines are left out",)
    assert conversion.skipped == ("cell 5 (markdown): its folded hint is empty",)


def test_tagged_cells_before_any_heading_stay_with_the_code_they_follow(tmp_path: Path) -> None:
    nb = notebook(
        md("Make y."),
        code("y = 0  # TODO", tags=["tutor-exercise"]),
        md("The answer."),
        md(folded("Solution", "```python\ny = 2\n```"), tags=["tutor-solution"]),
        code("assert y == 2", tags=["tutor-check"]),
        md(folded("Hint", "Two."), tags=["tutor-hint"]),
        md("Now z."),
        code("z = y"),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert [s.title for s in lesson.steps] == ["Make y", "Now z"]
    assert [kind for kind, _ in blocks(lesson.steps[0])] == [
        BlockKind.EXERCISE,
        BlockKind.SOLUTION,
        BlockKind.CHECK,
        BlockKind.HINT,
    ]
    assert lesson.steps[0].prose == "Make y.\n\nThe answer."
    assert blocks(lesson.steps[1]) == [(BlockKind.CODE, "z = y\n")]
    assert conversion.notes == (
        "no '#' heading: the title 'From the file name' comes from the file name",
    )


def test_a_code_cell_with_two_block_tags_is_read_as_the_first_and_named(tmp_path: Path) -> None:
    nb = notebook(
        md("# T"),
        md("## S"),
        code("x = 1"),
        code("assert x", tags=["tutor-solution", "tutor-check"]),
    )
    conversion, lesson = convert(nb, tmp_path)
    assert [kind for kind, _ in blocks(lesson.steps[0])] == [BlockKind.CODE, BlockKind.CHECK]
    assert conversion.notes == (
        "cell 4 (code): it is tagged tutor-check and tutor-solution, so it is read as a "
        "check block",
    )


MARKDOWN_PIECES = st.sampled_from(
    [
        "# Title",
        "## Section",
        "### Sub",
        "#### Deep",
        "Words.",
        "Setext\n======",
        "Setext\n------",
        "Over\ntwo lines\n---",
        "> ## Quoted",
        "```python\nx = 1\n```",
        "```python check\nassert True\n```",
        "```hint\nh\n```",
        "```\nopen",
        "<div>html</div>",
        BADGE,
        "- item\n\n  ```python\n  y = 2\n  ```",
        "",
        "---",
    ]
)
CELLS = st.lists(
    st.one_of(
        st.lists(MARKDOWN_PIECES, min_size=1, max_size=4).map(
            lambda p: ("markdown", "\n\n".join(p))
        ),
        st.sampled_from(["x = 1", "!ls", "%%time\ny = 2", "", "s = '```'"]).map(
            lambda source: ("code", source)
        ),
    ),
    max_size=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=CELLS)
def test_any_notebook_becomes_a_lesson_that_loads_with_its_code_in_order(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str]]
) -> None:
    nb = notebook(*(md(s) if kind == "markdown" else code(s) for kind, s in cells))
    try:
        conversion = notebook_to_lesson(nb, fallback_title="Fallback")
    except NotebookProblem:
        assert not any(kind == "code" and source.strip() for kind, source in cells)
        return
    folder = tmp_path_factory.mktemp("lesson")
    (folder / "01_any.md").write_text(conversion.text, encoding="utf-8")
    lessons = load_lessons(folder)
    assert lessons.errors == [], (lessons.errors, conversion.text)
    ran = [b.text for step in lessons.lessons[0].steps for b in step.blocks]
    assert ran == [
        source.strip("\n") + "\n" for kind, source in cells if kind == "code" and source.strip()
    ]


TAGGED = [
    ("markdown", "## Step", None, None),
    ("markdown", "Words.", None, None),
    ("code", "x = 1", None, "x = 1\n"),
    ("code", "assert x", "tutor-check", "assert x\n"),
    ("code", "todo = 0", "tutor-exercise", "todo = 0\n"),
    ("code", "answer = 1", "tutor-solution", "answer = 1\n"),
    (
        "markdown",
        folded("Starter code", "```python\nblank = 0\n```"),
        "tutor-exercise",
        "blank = 0\n",
    ),
    ("markdown", folded("Solution", "```python\nreply = 1\n```"), "tutor-solution", "reply = 1\n"),
    ("markdown", folded("Hint", "A hint."), "tutor-hint", "A hint.\n"),
]
"""Cells as export writes them: ``(cell type, source, tag, the text of its block)``."""


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.sampled_from(TAGGED), max_size=10))
def test_any_tagged_notebook_becomes_a_lesson_that_loads_and_keeps_every_block(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str, str | None, str | None]]
) -> None:
    """Whatever order export's cells come in, each ends up a block of the lesson, or the
    notebook is refused for a step with two exercises (or solutions), naming them."""
    nb = notebook(
        *(
            (md if kind == "markdown" else code)(source, tags=[tag] if tag else [])
            for kind, source, tag, _ in cells
        )
    )
    try:
        conversion = notebook_to_lesson(nb, fallback_title="Fallback")
    except NotebookProblem as problem:
        assert "are each" in str(problem) or "no steps" in str(problem), problem
        return
    folder = tmp_path_factory.mktemp("lesson")
    (folder / "01_any.md").write_text(conversion.text, encoding="utf-8")
    lessons = load_lessons(folder)
    assert lessons.errors == [], (lessons.errors, conversion.text)
    kept = {b.text for step in lessons.lessons[0].steps for b in step.blocks}
    assert {text for *_, text in cells if text} <= kept, conversion.text


def test_a_heading_over_two_lines_is_a_one_line_title(tmp_path: Path) -> None:
    _, lesson = convert(notebook(md("# T"), md("Two\nlines\n---"), code("x = 1")), tmp_path)
    assert [s.title for s in lesson.steps] == ["Two lines"]


def test_a_notebook_tutor_exported_is_split_at_its_steps_only(tmp_path: Path) -> None:
    cells = [
        md("# T"),
        md("## S\n\n### Part one"),
        code("a = 1"),
        md("### Part two"),
        code("b = 2"),
    ]
    _, plain = convert(notebook(*cells), tmp_path / "plain")
    _, exported = convert(notebook(*cells, tutor={"lesson": "t"}), tmp_path / "exported")
    assert [s.title for s in plain.steps] == ["Part one", "Part two"]
    assert [s.title for s in exported.steps] == ["S"]
    assert exported.steps[0].prose == "### Part one\n\n### Part two"


def test_a_code_cell_whose_saved_output_is_an_error_is_named(tmp_path: Path) -> None:
    cell = code("1 / 0")
    cell.outputs = [v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    conversion, _ = convert(notebook(md("# T\n\n## S"), cell), tmp_path)
    assert any(
        note.startswith("cell 2 (code): its saved output is an error (ZeroDivisionError)")
        for note in conversion.notes
    )
