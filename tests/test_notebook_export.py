"""Lesson to notebook (``tutor.notebooks.to_notebook``): the cells it makes, the round trip
back through import, and (with a real kernel) Jupyter running every bundled lesson."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

from tests.builders import course, lesson_step, lesson_text
from tutor.lessons import BlockKind, Lesson, LessonSet, Step, bundled_lessons_dir, load_lessons
from tutor.notebooks.to_lesson import notebook_to_lesson
from tutor.notebooks.to_notebook import HELPERS_CELL, lesson_to_notebook

BUNDLED = load_lessons(bundled_lessons_dir())


def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


@pytest.fixture
def two_lessons(tmp_path: Path) -> LessonSet:
    second = "\n".join(
        [
            "## Use x",
            "",
            "First words.",
            "",
            "```python check",
            "assert y == 2, 'y should be 2'",
            "```",
            "",
            "Between the blocks.",
            "",
            "```python exercise",
            "y = 0  # TODO",
            "```",
            "",
            "```python solution",
            "y = x + 1",
            "```",
            "",
            "```text",
            "shown, not run",
            "```",
            "",
            "```hint",
            "Add one to `x`.",
            "```",
            "",
            "Last words.",
        ]
    )
    return course(
        tmp_path / "lessons",
        {
            "01_a.md": lesson_text("A", lesson_step("Make x", "x = 1"), requires=[]),
            "02_b.md": lesson_text("B", second, intro="B's introduction."),
        },
    )


def test_cells_in_order_helpers_title_setup_then_steps(two_lessons: LessonSet) -> None:
    lesson = two_lessons.get("b")
    assert lesson is not None
    nb = lesson_to_notebook(lesson, two_lessons.requirements(lesson))
    nbformat.validate(nb)
    summary = [(cell.cell_type, tags(cell), cell.source) for cell in nb.cells]
    assert summary[0] == ("code", ["tutor-helpers"], HELPERS_CELL)
    assert summary[1] == ("markdown", [], "# B\n\nB's introduction.")
    assert summary[2][0:2] == ("markdown", ["tutor-setup"])
    assert summary[2][2].startswith("## Setup\n\nThe code of the lessons this one builds on (*A*)")
    assert nb.cells[2].metadata["jp-MarkdownHeadingCollapsed"] is True
    assert summary[3] == ("code", ["tutor-setup"], "x = 1")
    assert nb.cells[3].metadata["jupyter"] == {"source_hidden": True}
    assert summary[4:] == [
        ("markdown", [], "## Use x\n\nFirst words."),
        ("markdown", [], "Between the blocks."),
        ("code", ["tutor-exercise"], "y = 0  # TODO"),
        (
            "code",
            ["tutor-check"],
            "assert y == 2, 'y should be 2'",
        ),  # after the code, as tutor runs it
        (
            "markdown",
            ["tutor-solution"],
            "<details><summary>Solution</summary>\n\n```python\ny = x + 1\n```\n\n</details>",
        ),
        ("markdown", [], "```text\nshown, not run\n```"),
        (
            "markdown",
            ["tutor-hint"],
            "<details><summary>Hint</summary>\n\nAdd one to `x`.\n\n</details>",
        ),
        ("markdown", [], "Last words."),
    ]
    assert nb.metadata["tutor"] == {"lesson": "b", "solutions": False}
    assert nb.metadata["kernelspec"]["language"] == "python"
    assert [cell.id for cell in nb.cells[:2]] == ["b-1", "b-2"]


def test_solutions_stand_where_the_exercise_does(two_lessons: LessonSet) -> None:
    lesson = two_lessons.get("b")
    assert lesson is not None
    nb = lesson_to_notebook(lesson, two_lessons.requirements(lesson), solutions=True)
    sources = [(tags(cell), cell.source) for cell in nb.cells if cell.cell_type == "code"]
    assert sources[-2:] == [
        (["tutor-solution"], "y = x + 1"),
        (["tutor-check"], "assert y == 2, 'y should be 2'"),
    ]
    assert all("TODO" not in source for _, source in sources)
    folded = [cell.source for cell in nb.cells if "tutor-exercise" in tags(cell)]
    assert folded == [
        "<details><summary>Starter code</summary>\n\n```python\ny = 0  # TODO\n```\n\n</details>"
    ]


def test_folded_code_gets_a_fence_longer_than_its_backticks(tmp_path: Path) -> None:
    solution = 'doc = """\n```python\nnot a fence\n```\n"""'
    step = "\n".join(
        [
            "## S",
            "",
            "```python exercise",
            "doc = ''",
            "```",
            "",
            "````python solution",
            solution,
            "````",
            "",
            "```python check",
            "assert doc",
            "```",
        ]
    )
    lessons = course(tmp_path / "lessons", {"01_t.md": lesson_text("T", step)})
    nb = lesson_to_notebook(lessons.lessons[0], [])
    (cell,) = [cell for cell in nb.cells if "tutor-solution" in tags(cell)]
    assert f"````python\n{solution}\n````" in cell.source
    back = notebook_to_lesson(nb, fallback_title="unused")
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "01_t.md").write_text(back.text, encoding="utf-8")
    again = load_lessons(tmp_path / "again")
    assert again.errors == []
    assert again.lessons[0].steps[0].solution.text == solution + "\n"


def test_a_lesson_that_requires_nothing_has_no_setup(two_lessons: LessonSet) -> None:
    lesson = two_lessons.get("a")
    assert lesson is not None
    nb = lesson_to_notebook(lesson, two_lessons.requirements(lesson))
    assert not any("tutor-setup" in tags(cell) for cell in nb.cells)


def lesson_code(lesson: Lesson) -> list[tuple[str, str]]:
    """Each block tutor runs, as ``(kind, text)``: an exercise counts as its solution."""
    return [
        ("check" if block.kind is BlockKind.CHECK else "code", block.text.strip("\n"))
        for step in lesson.steps
        for block in step.runnable_blocks()
    ]


def structure(step: Step) -> tuple[str, str, list[tuple[str, str]], list[str]]:
    """A step as tutor runs and shows it: its title, its prose, its blocks other than
    checks in file order (as ``(kind, text)``), and its checks in order.  Export puts a
    check written before some of the step's code after that code, where tutor runs it,
    so a check's place among the other blocks is not part of a step."""
    return (
        step.title,
        step.prose,
        [
            (block.kind.value, block.text)
            for block in step.blocks
            if block.kind is not BlockKind.CHECK
        ],
        [block.text for block in step.checks],
    )


@pytest.mark.parametrize("solutions", [False, True], ids=["learners-copy", "solutions"])
@pytest.mark.parametrize("lesson", BUNDLED.lessons, ids=lambda lesson: lesson.id)
def test_export_then_import_gives_back_the_lesson(
    lesson: Lesson, solutions: bool, tmp_path: Path
) -> None:
    """Every step, title, prose, block kind and block text comes back, from a learner's
    copy as from one with the solutions; the only addition is the "Setup" step of a
    lesson that requires others, with the code it replays (an imported lesson requires
    nothing)."""
    requirements = BUNDLED.requirements(lesson)
    nb = lesson_to_notebook(lesson, requirements, solutions=solutions)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    conversion = notebook_to_lesson(nb, fallback_title="unused")
    assert conversion.skipped == (
        "cell 1 (code): it imports tutor's session helpers, which every lesson has already",
    )
    assert conversion.notes == ()
    (tmp_path / f"01_{lesson.id}.md").write_text(conversion.text, encoding="utf-8")
    back = load_lessons(tmp_path)
    assert back.errors == []
    again = back.lessons[0]
    assert (again.id, again.title, again.intro) == (lesson.id, lesson.title, lesson.intro)
    own = again.steps[1:] if requirements else again.steps
    assert [structure(step) for step in own] == [structure(step) for step in lesson.steps]
    if requirements:
        setup = again.steps[0]
        assert setup.title == "Setup"
        assert [(b.kind, b.text.strip("\n")) for b in setup.blocks] == [
            (BlockKind.CODE, text) for required in requirements for _, text in lesson_code(required)
        ]


# -- Jupyter runs them -------------------------------------------------------------


def execute(nb, folder: Path) -> None:
    """Run a notebook as Jupyter would, on a kernel of this interpreter, in ``folder``."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec
    from nbclient import NotebookClient

    class ThisInterpreter(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="this interpreter",
                language="python",
            )

    # Given the class, not an instance, nbclient owns the kernel and shuts it down after
    # the run; an instance's kernel would live on, idle, until the test process ends.
    client = NotebookClient(
        nb,
        kernel_manager_class=ThisInterpreter,
        timeout=300,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    kernels = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):  # ended already (a zombie has no command line)
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                kernels.append(child)
    _gone, alive = psutil.wait_procs(kernels, timeout=10)
    assert not alive, "the notebook's kernel outlived its run"


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("lesson", BUNDLED.lessons, ids=lambda lesson: lesson.id)
def test_every_bundled_lesson_runs_in_jupyter_with_its_solutions(
    lesson: Lesson, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = lesson_to_notebook(lesson, BUNDLED.requirements(lesson), solutions=True)
    execute(nb, tmp_path)
    errors = [
        out for cell in nb.cells for out in cell.get("outputs", ()) if out.output_type == "error"
    ]
    assert errors == []
    ran = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in ran)


@pytest.mark.kernel
def test_helpers_show_their_tables_as_text_in_jupyter(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    lessons = course(
        tmp_path / "lessons",
        {
            "01_t.md": lesson_text(
                "T",
                lesson_step(
                    "Track",
                    "for epoch in progress(range(3)):\n"
                    "    track(epoch=epoch, loss=1.0 / (epoch + 1))",
                    check="assert [row['epoch'] for row in history()] == [0, 1, 2]",
                ),
            )
        },
    )
    nb = lesson_to_notebook(lessons.lessons[0], [])
    execute(nb, tmp_path)
    shown = "".join(
        out.get("text", "") + out.get("data", {}).get("text/plain", "")
        for cell in nb.cells
        for out in cell.get("outputs", ())
    )
    assert "epoch" in shown and "loss" in shown and "0.33333" in shown


@pytest.mark.kernel
def test_a_learners_copy_fails_its_checks_until_solved(tmp_path: Path, monkeypatch) -> None:
    from nbclient.exceptions import CellExecutionError

    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    lessons = course(
        tmp_path / "lessons",
        {
            "01_e.md": lesson_text(
                "E",
                lesson_step(
                    "Solve",
                    exercise="y = 0  # TODO",
                    solution="y = 2",
                    check="assert y == 2, 'y should be 2'",
                ),
            )
        },
    )
    with pytest.raises(CellExecutionError, match="y should be 2"):
        execute(lesson_to_notebook(lessons.lessons[0], []), tmp_path)
