"""The bundled curriculum runs headless on the CPU: all lessons together, and each alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.processes import LONGEST_RUN_S, Run, tutor
from tutor.lessons import bundled_lessons_dir, load_lessons

LESSONS = load_lessons(bundled_lessons_dir())
COURSE = ["data", "model", "loss", "loop", "inference", "save", "gpu"]


def headless(cwd: Path, *args: str) -> tuple[Run, dict]:
    report = cwd / "report.json"
    result = tutor(
        "--headless",
        "-q",
        "--device",
        "cpu",
        "--report-json",
        report,
        *args,
        cwd=cwd,
        timeout=LONGEST_RUN_S,
    )
    return result, json.loads(report.read_text())


def test_the_course_has_its_lessons_in_order() -> None:
    assert LESSONS.errors == []
    ids = [lesson.id for lesson in LESSONS.lessons]
    assert ids[: len(COURSE)] == COURSE
    assert "exercises" in ids
    exercises = LESSONS.get("exercises")
    assert exercises is not None
    assert sum(step.is_exercise for step in exercises.steps) == 5


@pytest.mark.kernel
@pytest.mark.slow
def test_every_lesson_passes_in_one_session(tmp_path: Path) -> None:
    result, report = headless(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["device"] == "cpu"
    assert [lesson["id"] for lesson in report["lessons"]] == [les.id for les in LESSONS.lessons]
    statuses = {step["status"] for lesson in report["lessons"] for step in lesson["steps"]}
    assert statuses == {"passed"}
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["models", "report.json"], "the lessons write only inside models/"
    saved = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert saved == [
        "01_pytorch_workflow_exercise_model.pth",
        "01_pytorch_workflow_model_0.pth",
        "01_pytorch_workflow_model_1.pth",
        "ddp_model.pth",
        "ddp_shuffled.pth",
        "train_ddp.py",
    ], "every save ends with its file renamed into place, no temporary file left"


@pytest.mark.parametrize(
    "lesson_id",
    [
        pytest.param(lesson.id, marks=[pytest.mark.slow] if lesson.id == "distributed" else [])
        for lesson in LESSONS.lessons
    ],
)
@pytest.mark.kernel
def test_each_lesson_passes_alone(tmp_path: Path, lesson_id: str) -> None:
    result, report = headless(tmp_path, "--lesson", lesson_id)
    assert result.returncode == 0, result.stdout + result.stderr
    [lesson] = report["lessons"]
    assert lesson["id"] == lesson_id
    assert lesson["status"] == "passed"
    assert all(step["status"] == "passed" for step in lesson["steps"])


def test_the_engine_benchmark_turns_the_lessons_into_a_plain_script() -> None:
    """The benchmark compares headless with this script: it must stay valid Python."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
    try:
        from bench_engine import lessons_as_script
    finally:
        sys.path.pop(0)
    script = lessons_as_script()
    compile(script, "lessons_script.py", "exec")
    assert "get_ipython().system('ls -l models/')" in script
    assert "train_ddp" not in script, "the distributed lesson is measured apart"


MAKE_THE_DATA_MISTAKES = {
    "lesson 1's step": (
        ("0.01).unsqueeze", "0.02).unsqueeze"),
        "ex_X should hold 100 points, got 50: torch.arange(0, 1, 0.01) steps by 0.01.",
    ),
    "no column": (
        (".unsqueeze(dim=1)", ""),
        "ex_X should be a column of shape [100, 1], got [100]: add .unsqueeze(dim=1).",
    ),
    "a row": (
        (".unsqueeze(dim=1)", ".unsqueeze(dim=0)"),
        "ex_X should be a column of shape [100, 1], got [1, 100]: add .unsqueeze(dim=1).",
    ),
}


@pytest.mark.parametrize(
    ("change", "message"), MAKE_THE_DATA_MISTAKES.values(), ids=MAKE_THE_DATA_MISTAKES.keys()
)
def test_exercise_1s_check_names_the_fix_for_each_likely_mistake(
    change: tuple[str, str], message: str
) -> None:
    """The solution with one likely mistake in it: the check says what to fix."""
    import torch

    exercises = LESSONS.get("exercises")
    assert exercises is not None
    step = next(step for step in exercises.steps if step.title.startswith("Exercise 1"))
    assert step.solution is not None
    wrong = step.solution.text.replace(*change)
    assert wrong != step.solution.text
    namespace = {"torch": torch, "plot_predictions": lambda *args, **kwargs: None}
    exec(wrong, namespace)
    with pytest.raises(AssertionError) as failed:
        for check in step.checks:
            exec(check.text, namespace)
    assert str(failed.value) == message
