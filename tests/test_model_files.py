"""Model files: saved atomically, and only inside models/.

``save_state_dict`` (tutor/kernel/models.py) is called directly, in a killed child
process, and in a real session; the exercise that asks the learner to save is run
with the course's own answer and with answers that write outside models/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import torch

from tutor.kernel import save_state_dict
from tutor.lessons import bundled_lessons_dir, load_lessons
from tutor.runner import Runner, StepFinished, StepStatus
from tutor.session import Error, Finished, KernelSession, RunStatus

ALLOWED = re.escape("bare file name ending in .pth or .pt")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory inside tmp_path, as the session has one; models/ goes in it."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def weights(value: float) -> dict[str, torch.Tensor]:
    return {"weight": torch.full((1, 1), value), "bias": torch.full((1,), value)}


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


# --------------------------------------------------------------------------- saving


def test_a_save_round_trips_with_weights_only(workdir: Path) -> None:
    torch.manual_seed(42)
    model = torch.nn.Linear(in_features=1, out_features=1)
    path = save_state_dict(model.state_dict(), "model_0.pth")
    assert path == Path("models/model_0.pth")
    loaded = torch.load(path, weights_only=True)
    assert loaded.keys() == model.state_dict().keys()
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(loaded[name], tensor, atol=0, rtol=0)
    assert save_state_dict(weights(1.0), "model_1.pt") == Path("models/model_1.pt")
    assert sorted(os.listdir(workdir / "models")) == ["model_0.pth", "model_1.pt"]


def test_a_save_replaces_the_previous_file(workdir: Path) -> None:
    save_state_dict(weights(1.0), "model.pth")
    save_state_dict(weights(2.0), "model.pth")
    assert torch.load("models/model.pth", weights_only=True)["bias"].item() == 2.0
    assert os.listdir(workdir / "models") == ["model.pth"]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt(), RuntimeError("No space left")])
def test_a_save_cut_short_keeps_the_previous_file_and_no_temporary_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    save_state_dict(weights(1.0), "model.pth")

    def half_a_save(obj: object, f: object, *args: object, **kwargs: object) -> None:
        f.write(b"PK\x03\x04 half a zip")  # type: ignore[attr-defined]
        raise interruption

    monkeypatch.setattr(torch, "save", half_a_save)
    with pytest.raises(type(interruption)):
        save_state_dict(weights(2.0), "model.pth")
    assert os.listdir(workdir / "models") == ["model.pth"]
    assert torch.load("models/model.pth", weights_only=True)["bias"].item() == 1.0


def test_a_process_killed_mid_save_leaves_the_previous_file_whole(workdir: Path) -> None:
    save_state_dict(weights(1.0), "model.pth")
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import os, signal, torch
                from tutor.kernel import save_state_dict

                def half_a_save(obj, f, *args, **kwargs):
                    f.write(b"PK\\x03\\x04 half a zip")
                    f.flush()
                    os.kill(os.getpid(), signal.SIGKILL)

                torch.save = half_a_save
                save_state_dict({"bias": torch.full((1,), 2.0)}, "model.pth")
                """
            ),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert torch.load("models/model.pth", weights_only=True)["bias"].item() == 1.0
    # A killed process cannot clean up: its temporary file stays, hidden, beside the model.
    [leftover] = [name for name in os.listdir(workdir / "models") if name != "model.pth"]
    assert leftover.startswith(".model.pth.") and leftover.endswith(".tmp")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "../x.pth",
        "/tmp/x.pth",
        "a/b.pth",
        "a\\b.pth",
        "..",
        "",
        "x.txt",
        "x.pth.bak",
        ".hidden.pth",
        "C:x.pth",
        "x\0.pth",
    ],
)
def test_a_name_that_is_not_a_bare_model_file_name_is_refused(
    tmp_path: Path, workdir: Path, name: str
) -> None:
    with pytest.raises(ValueError, match=ALLOWED) as refused:
        save_state_dict(weights(1.0), name)
    assert repr(name) in str(refused.value)
    assert everything_under(tmp_path) == [workdir], "nothing is written, not even models/"


def test_a_link_inside_models_that_leads_outside_is_refused(tmp_path: Path, workdir: Path) -> None:
    outside = tmp_path / "precious.pth"
    outside.write_bytes(b"not yours")
    (workdir / "models").mkdir()
    (workdir / "models" / "link.pth").symlink_to(outside)
    with pytest.raises(ValueError, match=r"'link\.pth' is not allowed: .* outside models/"):
        save_state_dict(weights(1.0), "link.pth")
    assert outside.read_bytes() == b"not yours"
    assert (workdir / "models" / "link.pth").is_symlink()
    assert os.listdir(workdir / "models") == ["link.pth"]


def test_models_itself_may_be_a_link(tmp_path: Path, workdir: Path) -> None:
    elsewhere = tmp_path / "other-disk"
    elsewhere.mkdir()
    (workdir / "models").symlink_to(elsewhere, target_is_directory=True)
    save_state_dict(weights(1.0), "model.pth")
    assert os.listdir(elsewhere) == ["model.pth"]


def test_a_model_or_a_path_object_is_refused_with_what_to_pass(workdir: Path) -> None:
    with pytest.raises(TypeError, match=r"pass model\.state_dict\(\), not the model"):
        save_state_dict(torch.nn.Linear(1, 1), "model.pth")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=ALLOWED):
        save_state_dict(weights(1.0), Path("model.pth"))  # type: ignore[arg-type]
    assert everything_under(workdir) == []


# --------------------------------------------------------------------------- in a session


@pytest.fixture(scope="module")
def session_cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-files") / "work"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(session_cwd: Path) -> AsyncIterator[KernelSession]:
    session_cwd.mkdir()
    kernel = KernelSession(cwd=session_cwd, device="cpu")
    await kernel.start()
    yield kernel
    await kernel.shutdown()


async def run(session: KernelSession, code: str) -> tuple[Finished, list[Error]]:
    events = [event async for event in session.run(code)]
    return events[-1], [event for event in events if isinstance(event, Error)]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.kernel
async def test_the_session_saves_under_models_and_refuses_an_escape(
    session: KernelSession, session_cwd: Path
) -> None:
    done, errors = await run(
        session,
        "import torch\n"
        "saved = save_state_dict(torch.nn.Linear(1, 1).state_dict(), 'linear.pth')\n"
        "reloaded = torch.load(saved, weights_only=True)\n",
    )
    assert done.status is RunStatus.OK, errors
    assert await session.evaluate("str(saved)") == "models/linear.pth"
    assert await session.evaluate("sorted(reloaded)") == ["bias", "weight"]

    done, errors = await run(
        session, "save_state_dict(torch.nn.Linear(1, 1).state_dict(), '../escape.pth')\n"
    )
    assert done.status is RunStatus.ERROR
    [error] = errors
    assert error.type == "ValueError"
    assert error.message.startswith("model file name '../escape.pth' is not allowed")
    assert not (session_cwd.parent / "escape.pth").exists()
    assert "linear.pth" in os.listdir(session_cwd / "models")


LESSONS = load_lessons(bundled_lessons_dir())
EXERCISES = LESSONS.get("exercises")
assert EXERCISES is not None
SAVE_EXERCISE = next(
    index for index, step in enumerate(EXERCISES.steps) if step.title.startswith("Exercise 5")
)
MODEL_NAME = "01_pytorch_workflow_exercise_model.pth"
LOAD_AND_PREDICT = """
ex_loaded_model = ExerciseModel()
ex_loaded_model.load_state_dict(torch.load(ex_model_path, weights_only=True, map_location=device))
ex_loaded_model.to(device)
ex_loaded_model.eval()
with torch.inference_mode():
    ex_loaded_preds = ex_loaded_model(ex_X_test)
"""


def saved_with_torch(path: str) -> str:
    return (
        'Path("models").mkdir(parents=True, exist_ok=True)\n'
        f"ex_model_path = {path}\n"
        "torch.save(obj=ex_model.state_dict(), f=ex_model_path)\n" + LOAD_AND_PREDICT
    )


async def run_save_exercise(session: KernelSession, code: str) -> StepFinished:
    """Exercise 5 with ``code`` as the learner's answer, the exercises before it solved."""
    runner = Runner(session, LESSONS, timeout=60)
    finished = [
        event
        for index in range(SAVE_EXERCISE + 1)
        async for event in runner.run_step(
            EXERCISES, index, code=code if index == SAVE_EXERCISE else None
        )
        if isinstance(event, StepFinished)
    ]
    for before in finished[:-1]:
        assert before.result.status is StepStatus.PASSED, before.result.error
    return finished[-1]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    "answer",
    [
        saved_with_torch(f'Path("models") / "{MODEL_NAME}"'),
        f'ex_model_path = save_state_dict(ex_model.state_dict(), "{MODEL_NAME}")\n'
        + LOAD_AND_PREDICT,
    ],
    ids=["the-course-answer", "save_state_dict"],
)
@pytest.mark.kernel
async def test_the_save_exercise_accepts_the_course_answer_and_the_helper(
    session: KernelSession, answer: str
) -> None:
    finished = await run_save_exercise(session, answer)
    assert finished.result.status is StepStatus.PASSED, finished.result.error


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    "path", [f'Path("{MODEL_NAME}")', f'Path("models") / ".." / "{MODEL_NAME}"']
)
@pytest.mark.kernel
async def test_the_save_exercise_refuses_a_file_outside_models(
    session: KernelSession, path: str
) -> None:
    finished = await run_save_exercise(session, saved_with_torch(path))
    assert finished.result.status is StepStatus.FAILED
    assert finished.result.error.type == "CheckFailed"
    assert "is outside the models folder" in finished.result.error.message
