"""The command line itself: which options go with which mode, and a Python without
tutor's dependencies.  No kernel starts here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli import REQUIRED_MODULES, build_parser, parse_arguments

ROOT = Path(__file__).resolve().parent.parent


def help_sections() -> dict[str, str]:
    """``--help`` split at its group titles: title -> the text under it."""
    sections: dict[str, str] = {}
    title = ""
    for line in build_parser().format_help().splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            sections[title] = ""
        elif title:
            sections[title] += line + "\n"
    return sections


def test_help_groups_the_options_by_the_mode_they_apply_to() -> None:
    sections = help_sections()
    assert list(sections) == [
        "options",
        "modes",
        "every mode",
        "the app and headless",
        "the app only",
        "headless only",
    ]
    assert "--headless" in sections["modes"] and "--check" in sections["modes"]
    assert "opens the app" in sections["modes"]
    assert "--lessons DIR" in sections["every mode"]
    for option in ("--lesson ID", "--device"):
        assert option in sections["the app and headless"]
    assert "--reset-progress" in sections["the app only"]
    for option in ("--timeout SECONDS", "--report-json", "--junit-xml", "--quiet", "--verbose"):
        assert option in sections["headless only"], option


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--timeout", "30"],
            "--timeout is for --headless only, not the app (add --headless to run the "
            "lessons without a screen)",
        ),
        (["-q"], "--quiet is for --headless only, not the app"),
        (["--junit-xml", "j.xml"], "--junit-xml is for --headless only, not the app"),
        (
            ["--headless", "--reset-progress"],
            "--reset-progress is for the app only, not --headless",
        ),
        (["--check", "--lesson", "data"], "--lesson is for the app and --headless, not --check"),
        (["--check", "--device", "cpu"], "--device is for the app and --headless, not --check"),
        (["--check", "--verbose"], "--verbose is for --headless only, not --check"),
    ],
)
def test_an_option_the_mode_does_not_use_is_refused_with_the_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_arguments(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: tutor ")
    assert err.splitlines()[-1].startswith(f"tutor: error: {message}")


def test_the_options_each_mode_uses_are_taken_with_their_defaults() -> None:
    headless = parse_arguments(
        ["--headless", "--lesson", "data", "--device", "cpu", "--timeout", "5", "-q"]
    )
    assert (headless.lesson, headless.device, headless.timeout, headless.quiet) == (
        ["data"],
        "cpu",
        5.0,
        True,
    )
    app = parse_arguments(["--lesson", "loop", "--reset-progress", "--lessons", "d"])
    assert (app.lesson, app.reset_progress, app.lessons) == (["loop"], True, Path("d"))
    assert (app.device, app.timeout) == ("auto", 600.0)
    assert parse_arguments(["--check", "--lessons", "d"]).lessons == Path("d")


def run_tutor(*python_args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *python_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_naming(done: subprocess.CompletedProcess, module: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"tutor: this Python ({sys.executable}) has no module {module!r}")
    assert "'make run'" in done.stderr and "'.venv/bin/python -m tutor'" in done.stderr
    assert "'pip install -e .'" in done.stderr
    assert done.stdout == ""


def test_a_python_without_any_dependency_says_how_to_start_tutor() -> None:
    # -S: no site-packages, as a system Python without tutor's dependencies has none;
    # `python -m tutor` from the source tree still finds tutor itself.
    assert_one_line_naming(run_tutor("-S", "-m", "tutor", "--check"), REQUIRED_MODULES[0])


@pytest.mark.parametrize("module", ["torch", "ipykernel", "textual", "yaml"])
def test_each_missing_dependency_is_named(module: str) -> None:
    """torch and ipykernel are only imported by the session, a child process: tutor
    looks for them before it starts anything."""
    code = (
        f"import sys; sys.modules[{module!r}] = None; sys.argv = ['tutor', '--check']; "
        "from tutor.cli import console_main; console_main()"
    )
    assert_one_line_naming(run_tutor("-c", code), module)


def test_a_missing_module_under_a_dependency_is_named_too(tmp_path: Path) -> None:
    """mdurl comes with markdown-it-py; importing the loader fails for want of it."""
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['mdurl'] = None\n")
    path = os.pathsep.join(filter(None, [str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH")]))
    done = run_tutor("-m", "tutor", "--check", env={"PYTHONPATH": path})
    assert_one_line_naming(done, "mdurl")


def test_the_required_modules_are_the_dependencies_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    from importlib.metadata import packages_distributions

    with (ROOT / "pyproject.toml").open("rb") as handle:
        declared = tomllib.load(handle)["project"]["dependencies"]

    def normal(name: str) -> str:
        return name.lower().replace("_", "-")

    names = {
        normal(requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0])
        for requirement in declared
    }
    distributions = packages_distributions()
    assert {normal(distributions[module][0]) for module in REQUIRED_MODULES} == names


def test_each_problem_of_a_lesson_file_is_its_own_junit_test_case() -> None:
    from tutor.lessons import LessonError
    from tutor.report import RunReport, to_junit

    path = Path("lessons/02_two.md")
    report = RunReport(
        lesson_errors=[LessonError(path, 3, "unknown key"), LessonError(path, 9, "SyntaxError")]
    )
    [suite] = to_junit(report).iter("testsuite")
    cases = [(case.get("name"), case[0].get("message")) for case in suite.iter("testcase")]
    assert cases == [
        (f"{path}:3", f"{path}:3: unknown key"),
        (f"{path}:9", f"{path}:9: SyntaxError"),
    ]
