"""``python -m tutor import`` and ``export`` as commands: what they write and print, every
bad input (exit 2, a message naming the file), and the app's own flags still working."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from tests.builders import course, lesson_step, lesson_text
from tests.processes import tutor
from tutor import cli
from tutor.cli import main
from tutor.lessons import bundled_lessons_dir, load_lessons


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write_notebook(path: Path, *cells: dict, **metadata) -> Path:
    nbformat.write(v4.new_notebook(cells=list(cells), metadata=metadata), path)
    return path


@pytest.fixture
def small_notebook(tmp_path: Path) -> Path:
    return write_notebook(
        tmp_path / "demo.ipynb",
        v4.new_markdown_cell('<a href="x"><img src="badge.svg"/></a>'),
        v4.new_markdown_cell("# Demo\n\nIntro."),
        v4.new_markdown_cell("## Make x"),
        v4.new_code_cell("x = 1\n!echo hi"),
        v4.new_code_cell(""),
    )


def test_import_writes_a_lesson_that_checks_and_says_what_it_did(
    small_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    target = lessons / "01_demo.md"
    code, out, _ = run(["import", str(small_notebook), "-o", str(target)], capsys)
    assert code == 0
    assert f"{small_notebook} -> {target}: 'Demo', 1 steps" in out
    assert "from 2 code and 3 Markdown cells" in out
    assert "skipped cell 1 (markdown): HTML only (such as a Colab badge)" in out
    assert "skipped cell 5 (code): empty" in out
    loaded = load_lessons(lessons)
    assert loaded.errors == []
    assert [b.text for b in loaded.lessons[0].steps[0].blocks] == ["x = 1\n!echo hi\n"]
    assert run(["--check", "--lessons", str(lessons)], capsys)[0] == 0


def test_import_refuses_to_replace_a_file_unless_forced(
    small_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "01_demo.md"
    target.write_text("mine", encoding="utf-8")
    code, _, err = run(["import", str(small_notebook), "-o", str(target)], capsys)
    assert code == 2
    assert f"tutor import: {target}: already exists: pass --force to replace it" in err
    assert target.read_text(encoding="utf-8") == "mine"
    code, _, _ = run(["import", str(small_notebook), "-o", str(target), "--force"], capsys)
    assert code == 0
    assert target.read_text(encoding="utf-8").startswith("---\ntitle: Demo\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json at all", "not a notebook: not JSON (line 1, column 1: Expecting value)"),
        (b"\xff\xfe{}", "not a notebook: not UTF-8 text (byte 0)"),
        (b'{"cells": []}', "not a Jupyter notebook: its JSON has no 'nbformat' key"),
        (b"[1, 2]", "not a Jupyter notebook: its JSON has no 'nbformat' key"),
        (b'{"nbformat": "4", "cells": []}', "not a Jupyter notebook: 'nbformat' is '4'"),
        (
            json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}),
            "nbformat 3: tutor reads nbformat 4 notebooks",
        ),
        (b'{"nbformat": 5, "cells": []}', "nbformat 5: newer than the nbformat 4 tutor reads"),
        (b'{"nbformat": 4, "nbformat_minor": 5}', "not a Jupyter notebook: it has no list"),
        (b'{"nbformat": 4, "cells": [{"source": "x"}]}', "cell 1 is not a cell"),
        (
            json.dumps(
                {
                    "nbformat": 4,
                    "nbformat_minor": 5,
                    "metadata": {"kernelspec": {"language": "R", "name": "ir"}},
                    "cells": [],
                }
            ),
            "a r notebook: tutor's lessons are Python",
        ),
        (
            json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}),
            "no steps: the notebook has no code cells",
        ),
    ],
)
def test_import_refuses_what_is_not_a_usable_notebook(
    content: bytes | str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "bad.ipynb"
    if isinstance(content, str):
        source.write_text(content, encoding="utf-8")
    else:
        source.write_bytes(content)
    target = tmp_path / "01_bad.md"
    code, out, err = run(["import", str(source), "-o", str(target)], capsys)
    assert code == 2, out
    assert err.startswith(f"tutor import: {source}: ")
    assert message in err
    assert not target.exists()


def test_import_refuses_a_missing_notebook_and_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(tmp_path / "01_x.md")
    code, _, err = run(["import", str(tmp_path / "nope.ipynb"), "-o", target], capsys)
    assert code == 2 and "nope.ipynb: cannot read: No such file or directory" in err
    code, _, err = run(["import", str(tmp_path), "-o", target], capsys)
    assert code == 2 and f"{tmp_path}: is a folder, not a notebook" in err


def test_import_warns_of_an_invalid_notebook_it_can_still_convert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "loose.ipynb"
    source.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [{"cell_type": "code", "source": ["x = ", "1"]}],
            }
        ),
        encoding="utf-8",
    )
    code, _, err = run(["import", str(source), "-o", str(tmp_path / "01_loose.md")], capsys)
    assert code == 0
    assert "warning: not a valid nbformat 4 notebook" in err
    assert "```python\nx = 1\n```" in (tmp_path / "01_loose.md").read_text(encoding="utf-8")


def test_import_reads_a_notebook_saved_with_a_byte_order_mark(
    small_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marked = tmp_path / "marked.ipynb"
    marked.write_bytes(b"\xef\xbb\xbf" + small_notebook.read_bytes())
    code, out, err = run(["import", str(marked), "-o", str(tmp_path / "01_marked.md")], capsys)
    assert code == 0, err
    assert "'Demo', 1 steps" in out


def test_import_refuses_bad_targets(
    small_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = {
        tmp_path / "lesson.md": "a lesson file is named NN_slug.md",
        tmp_path / "missing" / "01_x.md": f"no folder {tmp_path / 'missing'} to write it in",
    }
    folder = tmp_path / "01_folder.md"
    folder.mkdir()
    cases[folder] = "is a folder: give the file to write"
    for target, message in cases.items():
        code, _, err = run(["import", str(small_notebook), "-o", str(target)], capsys)
        assert code == 2, target
        assert err == f"tutor import: {target}: {message}\n" or message in err


def test_import_refuses_an_unwritable_target(
    small_notebook: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = tmp_path / "01_demo.md"
    code, _, err = run(["import", str(small_notebook), "-o", str(target)], capsys)
    assert code == 2
    assert err == f"tutor import: {target}: cannot write here: Permission denied\n"
    assert not target.exists()


def test_import_refuses_an_id_another_lesson_of_the_folder_has(
    small_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lessons = tmp_path / "lessons"
    course(lessons, {"01_demo.md": lesson_text("Other", lesson_step("S", "x = 1"))})
    target = lessons / "02_demo.md"
    code, _, err = run(["import", str(small_notebook), "-o", str(target)], capsys)
    assert code == 2
    assert f"its id 'demo' is taken by {lessons / '01_demo.md'}" in err


def test_import_help_and_missing_output_are_usage_errors(
    small_notebook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["import", str(small_notebook)], capsys)
    assert code == 2 and "-o/--output" in err
    code, out, _ = run(["import", "--help"], capsys)
    assert code == 0 and "usage: tutor import" in out


def test_import_refuses_a_step_with_two_exercises_naming_the_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_notebook(
        tmp_path / "two.ipynb",
        v4.new_markdown_cell("# Two\n\n## Solve"),
        v4.new_code_cell("a = 0", metadata={"tags": ["tutor-exercise"]}),
        v4.new_code_cell("b = 0", metadata={"tags": ["tutor-exercise"]}),
    )
    target = tmp_path / "01_two.md"
    code, _, err = run(["import", str(source), "-o", str(target)], capsys)
    assert code == 2
    assert err == (
        f"tutor import: {source}: cells 2 and 3 are each an exercise of step 'Solve', and a "
        "step has one exercise and one solution: start a step for each exercise with a "
        "'##' heading\n"
    )
    assert not target.exists()


# -- export -------------------------------------------------------------------------


def test_export_by_file_and_by_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lessons = tmp_path / "lessons"
    course(
        lessons,
        {
            "01_a.md": lesson_text("A", lesson_step("Make x", "x = 1"), requires=[]),
            "02_b.md": lesson_text(
                "B",
                lesson_step(
                    "Use x", exercise="y = 0  # TODO", solution="y = x + 1", check="assert y == 2"
                ),
            ),
        },
    )
    by_file = tmp_path / "b.ipynb"
    code, out, _ = run(["export", str(lessons / "02_b.md"), "-o", str(by_file)], capsys)
    assert code == 0
    assert f"-> {by_file}: " in out and "setup: the code of a" in out
    assert (
        "  1 exercise(s): their starter code, the solution folded after each "
        "(--solutions runs them, --no-solutions leaves them out)\n"
    ) in out
    by_id = tmp_path / "b2.ipynb"
    code, out, _ = run(
        ["export", "b", "--lessons", str(lessons), "-o", str(by_id), "--solutions"], capsys
    )
    assert code == 0
    assert "  1 exercise(s): their solutions, the starter code folded after each\n" in out
    learner, solved = nbformat.read(by_file, 4), nbformat.read(by_id, 4)
    nbformat.validate(learner)
    sources = [cell.source for cell in learner.cells]
    assert "y = 0  # TODO" in sources and "y = x + 1" not in sources
    assert "y = x + 1" in [cell.source for cell in solved.cells]


def test_export_names_bundled_lessons_by_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(["export", "loss", "-o", str(tmp_path / "loss.ipynb")], capsys)
    assert code == 0
    assert nbformat.read(tmp_path / "loss.ipynb", 4).metadata["tutor"]["lesson"] == "loss"


def test_export_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01_ok.md").write_text(lesson_text("Ok", lesson_step("S", "x = 1")), "utf-8")
    (lessons / "02_broken.md").write_text("---\ntitle: Broken\n---\n\nno steps\n", "utf-8")
    out_file = tmp_path / "out.ipynb"
    cases = [
        (
            ["export", "nope", "--lessons", str(lessons)],
            f"{lessons}: no lesson 'nope' here (lessons: ok)",
        ),
        (
            ["export", "broken", "--lessons", str(lessons)],
            f"{lessons / '02_broken.md'}:4: no steps",
        ),
        (["export", str(lessons / "02_broken.md")], f"{lessons / '02_broken.md'}:4: no steps"),
        (["export", str(tmp_path / "03_none.md")], "03_none.md: no such lesson file"),
        (["export", "x", "--lessons", str(tmp_path / "nowhere")], "no such lessons directory"),
    ]
    for argv, message in cases:
        code, _, err = run([*argv, "-o", str(out_file)], capsys)
        assert code == 2, argv
        assert err.startswith("tutor export: ") and message in err, err
    assert not out_file.exists()
    out_file.write_text("{}", encoding="utf-8")
    code, _, err = run(["export", "ok", "--lessons", str(lessons), "-o", str(out_file)], capsys)
    assert code == 2 and "already exists: pass --force" in err
    assert out_file.read_text(encoding="utf-8") == "{}"
    code, _, _ = run(
        ["export", "ok", "--lessons", str(lessons), "-o", str(out_file), "--force"], capsys
    )
    assert code == 0
    assert nbformat.read(out_file, 4).metadata["tutor"] == {"lesson": "ok", "solutions": False}
    nowhere = tmp_path / "missing" / "out.ipynb"
    code, _, err = run(["export", "ok", "--lessons", str(lessons), "-o", str(nowhere)], capsys)
    assert code == 2
    assert err == f"tutor export: {nowhere}: no folder {nowhere.parent} to write it in\n"


@pytest.mark.parametrize("solutions", [False, True], ids=["learners-copy", "solutions"])
def test_an_exported_exercise_lesson_imports_back_with_its_exercises(
    solutions: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundled exercises, exported and imported again: every exercise and solution
    comes back as such, and the import says nothing of HTML or lost cells."""
    exported = tmp_path / "ex.ipynb"
    code, _, err = run(
        ["export", "exercises", "-o", str(exported), *(["--solutions"] if solutions else [])],
        capsys,
    )
    assert code == 0, err
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    code, out, err = run(["import", str(exported), "-o", str(lessons / "08_exercises.md")], capsys)
    assert code == 0, err
    assert out.splitlines()[2:] == [
        "  skipped cell 1 (code): it imports tutor's session helpers, which every lesson "
        "has already",
        f"Check it with: python -m tutor --check --lessons {lessons}",
    ]
    assert run(["--check", "--lessons", str(lessons)], capsys)[0] == 0
    original = load_lessons(bundled_lessons_dir()).get("exercises")
    again = load_lessons(lessons).get("exercises")
    assert original is not None and again is not None
    assert [[(b.kind, b.text) for b in step.blocks] for step in again.steps] == [
        [(b.kind, b.text) for b in step.blocks] for step in original.steps
    ]


def test_a_copy_to_hand_out_holds_no_answers_and_says_so_when_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--no-solutions``: no solution's code anywhere in the notebook; imported again,
    each exercise is named as one whose solution is missing."""
    handout = tmp_path / "handout.ipynb"
    code, out, err = run(["export", "exercises", "--no-solutions", "-o", str(handout)], capsys)
    assert code == 0, err
    assert "  5 exercise(s): their starter code, no solutions" in out.splitlines()
    notebook = nbformat.read(handout, 4)
    text = "\n".join(cell.source for cell in notebook.cells)
    original = load_lessons(bundled_lessons_dir()).get("exercises")
    assert original is not None
    solutions = [step.solution.text for step in original.steps if step.solution is not None]
    assert len(solutions) == 5
    for solution in solutions:
        assert solution.strip() not in text
    assert not any("tutor-solution" in cell.metadata.get("tags", []) for cell in notebook.cells)
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    code, out, err = run(["import", str(handout), "-o", str(lessons / "08_exercises.md")], capsys)
    assert code == 0, err
    missing = [line for line in out.splitlines() if "no solution" in line]
    assert len(missing) == 5, out
    both = ["export", "exercises", "--solutions", "--no-solutions", "-o", str(tmp_path / "x")]
    code, _, err = run(both, capsys)
    assert code == 2 and "not allowed with argument" in err


# -- the app's own command line -----------------------------------------------------


def test_flags_without_a_subcommand_still_reach_check_and_headless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lessons = tmp_path / "lessons"
    course(lessons, {"01_import.md": lesson_text("Import", lesson_step("S", "x = 1"))})
    code, out, _ = run(["--check", "--lessons", str(lessons)], capsys)
    assert code == 0 and "1 lessons, 1 steps" in out
    seen = {}

    def headless(args, lesson_set, selected):
        seen["lessons"] = [lesson.id for lesson in selected]
        return 0

    monkeypatch.setattr(cli, "_headless", headless)
    code, _, _ = run(["--headless", "--lessons", str(lessons), "--lesson", "import"], capsys)
    assert code == 0 and seen == {"lessons": ["import"]}


def test_no_arguments_still_means_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([], capsys)  # no terminal under pytest: the app's own refusal
    assert code == 2 and "the app needs a terminal" in err


# -- a course-shaped notebook, imported and run ------------------------------------


@pytest.mark.kernel
@pytest.mark.slow
def test_an_imported_course_notebook_runs_headless_with_its_figures_as_plots(
    tmp_path: Path,
) -> None:
    source = write_notebook(
        tmp_path / "workflow.ipynb",
        v4.new_markdown_cell('<a href="x" target="_parent"><img src="badge.svg"/></a>'),
        v4.new_markdown_cell("# Workflow\n\nA straight line."),
        v4.new_markdown_cell("## 1. Data"),
        v4.new_code_cell(
            "import torch\nX = torch.arange(0, 1, 0.02).unsqueeze(1)\ny = 0.7 * X + 0.3"
        ),
        v4.new_markdown_cell("### Split"),
        v4.new_code_cell("split = int(0.8 * len(X))\nX_train, y_train = X[:split], y[:split]"),
        v4.new_markdown_cell("### Plot"),
        v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "plt.figure(figsize=(10, 7))\n"
            "plt.scatter(X_train, y_train, c='b', s=4, label='Training data')\n"
            "plt.legend(prop={'size': 14});"
        ),
        v4.new_markdown_cell("## 2. Files"),
        v4.new_code_cell("!ls -l\n%time total = sum(range(10))\ntotal"),
        v4.new_markdown_cell("## Exercises\n\nOnly words."),
        kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
    )
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    imported = tutor("import", source, "-o", lessons / "01_workflow.md", cwd=tmp_path)
    assert imported.returncode == 0, imported.text
    report = tmp_path / "report.json"
    run_ = tutor("--headless", "--lessons", lessons, "--report-json", report, cwd=tmp_path)
    assert run_.returncode == 0, run_.text
    steps = json.loads(report.read_text(encoding="utf-8"))["lessons"][0]["steps"]
    assert [(s["title"], s["status"]) for s in steps] == [
        ("1. Data", "passed"),
        ("Split", "passed"),
        ("Plot", "passed"),
        ("2. Files", "passed"),
        ("Exercises", "passed"),
    ]
    plot = steps[2]["plots"][0]
    assert plot["kind"] == "scatter"
    assert plot["series"][0]["label"] == "Training data"
    assert len(plot["series"][0]["points"]) == 40
    assert "workflow.ipynb" in steps[3]["output"] and "Out[" in steps[3]["output"]
