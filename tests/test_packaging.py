"""A regular (non-editable) install still finds the bundled lessons."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.processes import LONGEST_RUN_S

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_the_lessons_and_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(tmp_path)],
        check=True,
        timeout=LONGEST_RUN_S,
        stdin=subprocess.DEVNULL,
    )
    wheel = next(tmp_path.glob("tutor-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    shipped = sorted(p.name for p in (ROOT / "lessons").glob("[0-9]*_*.md"))
    assert shipped, "the source tree has no lessons"
    assert {f"tutor/bundled_lessons/{name}" for name in shipped} <= names
    assert any(n.endswith("entry_points.txt") for n in names)
    # Import tutor from the unpacked wheel, away from the source tree.
    probe = (
        "import tutor.lessons as l; d = l.bundled_lessons_dir(); s = l.load_lessons(d); "
        "print(d); print(len(s.lessons), len(s.errors))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    directory, counts = result.stdout.splitlines()
    assert Path(directory) == tmp_path / "site" / "tutor" / "bundled_lessons"
    assert counts == f"{len(shipped)} 0"
