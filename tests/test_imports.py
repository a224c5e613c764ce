"""tutor's command line stays light: no Textual and no torch in tutor's own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run_python(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_importing_tutor_does_not_import_textual_or_torch(tmp_path: Path) -> None:
    done = run_python(
        """
        import json, sys
        import tutor.cli, tutor.headless, tutor.runner, tutor.lessons, tutor.session
        import tutor.kernel, tutor.protocol, tutor.render, tutor.report, tutor.hints
        print(json.dumps({
            "textual": sorted(m for m in sys.modules if m.split(".")[0] == "textual"),
            "torch": sorted(m for m in sys.modules if m.split(".")[0] == "torch"),
        }))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {"textual": [], "torch": []}


KERNEL_MODULES = [
    "tutor.kernel",
    "tutor.kernel.recorder",
    "tutor.kernel.helpers",
    "tutor.kernel.models",
    "tutor.kernel.inspect",
    "tutor.kernel.guard",
    "tutor.protocol",
    "tutor.render",
]


def test_the_kernel_package_is_cheap_to_import(tmp_path: Path) -> None:
    """What the session imports on start-up: no torch (until lesson code), no UI libraries."""
    done = run_python(
        f"""
        import importlib, json, sys
        for name in {KERNEL_MODULES!r}:
            importlib.import_module(name)
        heavy = ("torch", "numpy", "rich", "textual", "plotext", "jupyter_client")
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_outside_tutor_the_kernel_package_leaves_matplotlib_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook or a script that imports tutor's helpers keeps matplotlib's own backend."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("TUTOR_KERNEL", raising=False)
    probe = """
        import json, os, sys
        {first}
        import matplotlib.pyplot as plt
        plt.plot([0, 1])
        print(json.dumps([plt.get_backend(), os.environ.get("MPLBACKEND"),
                          "tutor.kernel.mpl_backend" in sys.modules]))
        """
    results = []
    for first in ("", "from tutor.kernel import *"):
        done = run_python(probe.format(first=first), tmp_path)
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    plain, with_tutor = results
    assert with_tutor == plain
    assert plain[1:] == [None, False]


@pytest.mark.kernel
def test_headless_run_keeps_torch_in_the_kernel(
    tmp_path: Path, write_lessons, lesson_md, step_md
) -> None:
    lessons = write_lessons(
        tmp_path / "lessons",
        {
            "01_torch.md": lesson_md(
                "Torch in the kernel",
                step_md(
                    "Use torch",
                    "import torch\nt = torch.ones(3)\nprint('sum', t.sum().item())",
                    check="assert t.sum().item() == 3",
                ),
            )
        },
    )
    result = tmp_path / "result.json"
    done = run_python(
        f"""
        import json, sys
        import tutor.cli
        code = tutor.cli.main(["--headless", "--lessons", {str(lessons)!r}])
        with open({str(result)!r}, "w") as handle:
            json.dump({{
                "code": code,
                "textual": "textual" in sys.modules,
                "torch": "torch" in sys.modules,
            }}, handle)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ 1. Use torch" in done.stdout
    assert json.loads(result.read_text()) == {"code": 0, "textual": False, "torch": False}


@pytest.mark.kernel
def test_the_app_with_a_session_never_imports_torch(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01_t.md").write_text(
        "---\ntitle: T\n---\n## Make\n\nProse.\n\n```python\nimport torch\nt = torch.ones(2)\n```\n"
    )
    done = run_python(
        f"""
        import asyncio, json, sys
        from pathlib import Path
        from tutor.lessons import load_lessons
        from tutor.progress import ProgressStore
        from tutor.session import KernelState
        from tutor.tui.app import TutorApp

        async def main():
            app = TutorApp(load_lessons(Path({str(lessons)!r})), device="cpu",
                           store=ProgressStore(Path({str(tmp_path / "p.json")!r})))
            async with app.run_test(size=(100, 30)) as pilot:
                while app.session.state is not KernelState.IDLE:
                    await pilot.pause(0.05)
                await pilot.press("enter")
                while app.running or app.session.state is not KernelState.IDLE:
                    await pilot.pause(0.05)
                rows = app.query_one("TensorInspector").row_count
            return rows

        rows = asyncio.run(main())
        print(json.dumps({{"rows": rows, "torch": "torch" in sys.modules}}))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The tensor, and the Tensors tab's total for its device.
    assert result == {"rows": 2, "torch": False}
