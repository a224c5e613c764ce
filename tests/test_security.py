"""Models are loaded with weights_only=True: a planted pickle is refused and never runs."""

from __future__ import annotations

import ast
import json
import os
import pickle
from pathlib import Path

import pytest

from tests.processes import tutor
from tutor.lessons import bundled_lessons_dir, load_lessons


class _Planted:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_every_torch_load_in_the_lessons_uses_weights_only() -> None:
    lessons = load_lessons(bundled_lessons_dir())
    calls = 0
    for lesson in lessons.lessons:
        for step in lesson.steps:
            for block in step.blocks:
                try:
                    tree = ast.parse(block.text)
                except SyntaxError:
                    continue
                for node in ast.walk(tree):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "load"
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "torch"
                    ):
                        calls += 1
                        flags = {k.arg: k.value for k in node.keywords}
                        assert "weights_only" in flags, f"{lesson.path}:{block.line}"
                        assert isinstance(flags["weights_only"], ast.Constant)
                        assert flags["weights_only"].value is True, f"{lesson.path}:{block.line}"
    assert calls >= 3, "the lessons load models in lesson 6, lesson 7 and the exercises"


@pytest.mark.kernel
def test_a_planted_pickle_is_refused_and_does_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    models = tmp_path / "models"
    models.mkdir()
    with (models / "planted.pth").open("wb") as handle:
        pickle.dump(_Planted(marker), handle)
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01_load.md").write_text(
        "---\ntitle: Load\n---\n## Load a model file\n\nProse.\n\n```python\n"
        "import torch\nstate = torch.load('models/planted.pth', weights_only=True)\n```\n"
    )
    done = tutor(
        "--headless",
        "--lessons",
        lessons,
        "--report-json",
        tmp_path / "report.json",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert not marker.exists(), "unpickling ran the planted code"
    error = json.loads((tmp_path / "report.json").read_text())["lessons"][0]["steps"][0]["error"]
    assert error["type"] == "UnpicklingError"
    assert error["message"].startswith("Weights only load failed")
    assert "only for a file you trust" in done.stdout, "the hint explains the refusal"
