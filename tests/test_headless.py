"""``python -m tutor --headless`` (and the rest of the CLI) end to end, as a subprocess;
and, over a scripted session, what headless asks of its session."""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from tests.builders import BASICS, course, lesson_step, lesson_text, write_lesson_dir
from tests.processes import tutor
from tests.scripted import ScriptedSession
from tutor.headless import HeadlessOptions, run_headless
from tutor.lessons import load_lessons

ANSI = re.compile(r"\x1b\[")
TORCH_VERSION = importlib.metadata.version("torch")


# --------------------------------------------------------------------------- a mixed run


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, write_lessons, lesson_md, step_md):
    """One headless run over lessons that pass, fail, are skipped and time out."""
    root = tmp_path_factory.mktemp("mixed")
    lessons = write_lessons(
        root / "lessons",
        {
            "01_good.md": lesson_md(
                "Good lesson",
                step_md(
                    "Make x",
                    "import torch\nx = torch.tensor(21.0)",
                    check="assert x.item() == 21, 'x should be 21'",
                ),
                step_md(
                    "Double it",
                    exercise="y = None  # TODO: double x",
                    solution="y = x * 2\nprint('y is', y.item())",
                    check="assert y is not None and y.item() == 42, 'y should be 42'",
                ),
            ),
            "02_bad.md": lesson_md(
                "Bad lesson",
                step_md(
                    "Print then fail",
                    "print('about to fail')\nraise ValueError('boom from the step')",
                    hint="Try turning it off and on again.",
                ),
                step_md("Never runs", "never = 1"),
            ),
            "03_after.md": lesson_md("After bad", step_md("Blocked", "blocked = 1")),
            "04_spin.md": lesson_md(
                "Spin", step_md("Loop forever", "while True:\n    pass"), requires=[]
            ),
            "05_free.md": lesson_md(
                "Free lesson",
                step_md("Still runs", "free = 1", check="assert free == 1"),
                requires=[],
            ),
        },
    )
    report, junit = root / "out" / "report.json", root / "out" / "junit.xml"
    run = tutor(
        "--headless",
        "--lessons",
        lessons,
        "--timeout",
        "2",
        "--report-json",
        report,
        "--junit-xml",
        junit,
        cwd=root,
    )
    return run, report, junit, lessons


@pytest.mark.kernel
def test_mixed_run_exits_1(mixed) -> None:
    run, report, junit, _ = mixed
    assert run.returncode == 1, run.text
    assert report.exists() and junit.exists()
    assert "Traceback (most recent call last)" not in run.stderr
    # the infinite loop was stopped by --timeout 2, not by the test's own limit
    assert run.seconds < 60


@pytest.mark.kernel
def test_mixed_run_json_report(mixed) -> None:
    _, report, _, _ = mixed
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["torch_version"] == TORCH_VERSION
    assert data["device"] == "cpu"
    assert data["lesson_errors"] == []
    lessons = data["lessons"]
    assert [lesson["id"] for lesson in lessons] == ["good", "bad", "after", "spin", "free"]
    assert [lesson["status"] for lesson in lessons] == [
        "passed",
        "failed",
        "skipped",
        "failed",
        "passed",
    ]
    for lesson in lessons:
        assert set(lesson) >= {"id", "title", "status", "device", "duration_s", "steps"}
        assert lesson["device"] == "cpu"
        assert isinstance(lesson["duration_s"], (int, float))
        for step in lesson["steps"]:
            assert set(step) >= {"title", "status", "duration_s", "error"}
            assert isinstance(step["duration_s"], (int, float))
            if step["status"] == "failed":
                assert set(step["error"]) == {"type", "message", "traceback"}
            else:
                assert step["error"] is None
    by_id = {lesson["id"]: lesson for lesson in lessons}
    assert by_id["good"]["title"] == "Good lesson"
    assert [s["title"] for s in by_id["good"]["steps"]] == ["Make x", "Double it"]
    bad_steps = by_id["bad"]["steps"]
    assert [s["status"] for s in bad_steps] == ["failed", "skipped"]
    error = bad_steps[0]["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "boom from the step"
    assert "ValueError" in error["traceback"]
    assert "\x1b[" not in error["traceback"]
    assert [s["status"] for s in by_id["after"]["steps"]] == ["skipped"]
    spin = by_id["spin"]["steps"][0]
    assert spin["status"] == "failed"
    assert spin["error"]["type"] == "Timeout"
    assert 1.5 < spin["duration_s"] < 30
    assert by_id["free"]["steps"][0]["status"] == "passed"


@pytest.mark.kernel
def test_mixed_run_junit_xml(mixed) -> None:
    _, _, junit, _ = mixed
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["good", "bad", "after", "spin", "free"]
    cases = {s.get("name"): s.findall("testcase") for s in suites}
    assert len(cases["good"]) == 2
    assert all(c.find("failure") is None and c.find("skipped") is None for c in cases["good"])
    bad_fail, bad_skip = cases["bad"]
    failure = bad_fail.find("failure")
    assert failure is not None
    assert failure.get("type") == "ValueError"
    assert failure.get("message") == "boom from the step"
    assert "ValueError" in (failure.text or "")
    assert bad_skip.find("skipped") is not None
    assert cases["after"][0].find("skipped") is not None
    assert cases["spin"][0].find("failure").get("type") == "Timeout"
    assert root.get("tests") == "7"
    assert root.get("failures") == "2"
    assert root.get("skipped") == "2"
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))


@pytest.mark.kernel
def test_mixed_run_console_output(mixed) -> None:
    run, _, _, _ = mixed
    out = run.stdout
    assert not ANSI.search(run.text), "ANSI escape codes in piped output with NO_COLOR=1"
    assert re.search(r"^\s*✓ 1\. Make x", out, re.M), out
    assert re.search(r"^\s*✓ 2\. Double it", out, re.M), out
    assert re.search(r"^\s*✗ 1\. Print then fail", out, re.M), out
    assert re.search(r"^\s*✗ 1\. Loop forever", out, re.M), out
    assert re.search(r"^\s*✓ 1\. Still runs", out, re.M), out
    # the summary names the device and the torch version
    assert f"device cpu · torch {TORCH_VERSION}" in out
    assert "steps: 3 passed, 2 failed, 2 skipped" in out
    assert "✗ bad: step 1 (Print then fail) failed" in out
    assert "✗ spin: step 1 (Loop forever) failed" in out
    assert "- skipped: requires 'bad', which failed" in out


@pytest.mark.kernel
def test_mixed_run_summary_counts_lessons(mixed) -> None:
    """good and free passed; bad and spin failed; after was skipped, so it did not pass."""
    run, _, _, _ = mixed
    assert re.search(r"^\d+/5 lessons passed", run.stdout, re.M), run.stdout
    assert "2/5 lessons passed" in run.stdout


@pytest.mark.kernel
def test_mixed_run_failure_details(mixed) -> None:
    run, _, _, lessons = mixed
    out = run.stdout
    start = out.index("Print then fail")
    failure = out[start : out.index("Never runs") if "Never runs" in out else len(out)]
    assert "ValueError: boom from the step" in failure
    assert "raise ValueError('boom from the step')" in failure  # the code
    assert "about to fail" in failure  # what the step printed before failing
    assert "traceback:" in failure
    assert "Try turning it off and on again." in failure  # the step's hint
    assert f"{lessons / '02_bad.md'}:" in failure  # where the failing block is


# --------------------------------------------------------------------------- other runs


@pytest.mark.kernel
def test_results_and_rewritten_lines_show_as_in_a_notebook(
    tmp_path: Path, write_lessons, lesson_md, step_md
) -> None:
    lessons = write_lessons(
        tmp_path / "lessons",
        {
            "01_look.md": lesson_md(
                "Look",
                step_md(
                    "Look at the data",
                    "for epoch in range(1, 101):\n"
                    "    print(f'\\rEpoch {epoch}/100', end='')\n"
                    "print()\n"
                    "values = [0.5, 0.25]\n"
                    "plot(('loss', [0, 1], values), kind='line', title='Falling')\n"
                    "values[0], len(values)",
                ),
            )
        },
    )
    report = tmp_path / "report.json"
    run = tutor("--headless", "-v", "--lessons", lessons, "--report-json", report, cwd=tmp_path)
    assert run.returncode == 0, run.text
    assert "Epoch 100/100" in run.stdout and "Epoch 99/100" not in run.stdout
    assert "Out[1]: (0.5, 2)" in run.stdout
    [step] = json.loads(report.read_text())["lessons"][0]["steps"]
    assert step["output"] == "Epoch 100/100\nOut[1]: (0.5, 2)\n"
    assert step["plots"] == [
        {
            "title": "Falling",
            "kind": "line",
            "x_label": "",
            "y_label": "",
            "series": [{"label": "loss", "kind": "line", "points": [[0.0, 0.5], [1.0, 0.25]]}],
        }
    ]
    quiet = tutor("--headless", "--lessons", lessons, cwd=tmp_path)
    assert "Out[1]" not in quiet.stdout, "without -v a step's output is for the report"


@pytest.mark.kernel
def test_all_pass_exits_0(tmp_path: Path, write_lessons, lesson_md, step_md) -> None:
    lessons = write_lessons(
        tmp_path / "lessons",
        {
            "01_only.md": lesson_md(
                "Only",
                step_md(
                    "Train a bit",
                    "for epoch in progress(range(3)):\n"
                    "    track(epoch=epoch, loss=1 / (epoch + 1))",
                    check="assert len(history()) == 3",
                ),
            )
        },
    )
    run = tutor("--headless", "--lessons", lessons, cwd=tmp_path)
    assert run.returncode == 0, run.text
    assert "✓ 1. Train a bit" in run.stdout
    assert "✗" not in run.stdout
    assert "1/1 lessons passed" in run.stdout
    assert "3 rows" in run.stdout  # the metrics table
    assert not ANSI.search(run.text)
    assert "Traceback" not in run.stderr


@pytest.mark.kernel
def test_lesson_file_error_exits_2_and_good_lessons_run(
    tmp_path: Path, write_lessons, lesson_md, step_md
) -> None:
    lessons = write_lessons(
        tmp_path / "lessons",
        {
            "01_good.md": lesson_md("Good", step_md("Fine", "fine = 1")),
            "02_broken.md": "no front matter here\n\n## Step\n\ntext\n",
        },
    )
    report = tmp_path / "report.json"
    run = tutor("--headless", "--lessons", lessons, "--report-json", report, cwd=tmp_path)
    assert run.returncode == 2, run.text
    assert "02_broken.md:1:" in run.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [(lesson["id"], lesson["status"]) for lesson in data["lessons"]] == [("good", "passed")]
    assert len(data["lesson_errors"]) == 1
    assert data["lesson_errors"][0]["path"].endswith("02_broken.md")
    assert data["lesson_errors"][0]["line"] == 1


@pytest.mark.kernel
def test_matplotlib_plots_print_as_text(tmp_path: Path, write_lessons, lesson_md, step_md) -> None:
    code = (
        "import matplotlib.pyplot as plt\n"
        "plt.scatter([0, 1, 2], [0, 1, 4], label='Training data')\n"
        "plt.title('Matplotlib data')\n"
        "plt.xlabel('Feature X')\n"
        "plt.legend()"
    )
    lessons = write_lessons(
        tmp_path / "lessons",
        {"01_mpl.md": lesson_md("Plots", step_md("Scatter", code))},
    )
    report = tmp_path / "report.json"
    run = tutor("--headless", "--lessons", lessons, "--report-json", report, cwd=tmp_path)
    assert run.returncode == 0, run.text
    assert "✓ 1. Scatter" in run.stdout
    plot = run.stdout.split("✓ 1. Scatter", 1)[1]
    for text in ("Matplotlib data", "Training data", "Feature X", "┌"):
        assert text in plot
    assert "Traceback" not in run.stderr
    [step] = json.loads(report.read_text())["lessons"][0]["steps"]
    assert step["plots"] == [
        {
            "title": "Matplotlib data",
            "kind": "scatter",
            "x_label": "Feature X",
            "y_label": "",
            "series": [
                {
                    "label": "Training data",
                    "kind": "scatter",
                    "points": [[0.0, 0.0], [1.0, 1.0], [2.0, 4.0]],
                }
            ],
        }
    ]


@pytest.mark.kernel
def test_single_lesson_replays_what_it_requires(
    tmp_path: Path, write_lessons, lesson_md, step_md
) -> None:
    lessons = write_lessons(
        tmp_path / "lessons",
        {
            "01_a.md": lesson_md("A", step_md("Define base", "base = 5\nprint('A ran')")),
            "02_b.md": lesson_md(
                "B", step_md("Use base", "result = base * 3", check="assert result == 15")
            ),
            "03_c.md": lesson_md("C", step_md("Not selected", "print('C ran')")),
        },
    )
    report = tmp_path / "report.json"
    run = tutor(
        "--headless", "--lessons", lessons, "--lesson", "b", "--report-json", report, cwd=tmp_path
    )
    assert run.returncode == 0, run.text
    assert "↻ a 1. Define base (replayed)" in run.stdout
    assert "✓ 1. Use base" in run.stdout
    assert "Not selected" not in run.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [lesson["id"] for lesson in data["lessons"]] == ["b"]
    assert [s["title"] for s in data["lessons"][0]["steps"]] == ["Use base"]


@pytest.mark.kernel
def test_device_cuda_without_cuda_exits_2(tmp_path: Path, write_lessons, lesson_md, step_md):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the test is about one without")
    lessons = write_lessons(
        tmp_path / "lessons", {"01_a.md": lesson_md("A", step_md("Step", "a = 1"))}
    )
    run = tutor("--headless", "--lessons", lessons, "--device", "cuda", cwd=tmp_path)
    assert run.returncode == 2, run.text
    assert "'cuda' is not available" in run.text
    assert "--device cpu" in run.text
    assert "Traceback" not in run.stderr
    assert "✓" not in run.stdout


# --------------------------------------------------------------------------- usage errors


@pytest.fixture
def small_dir(tmp_path: Path, write_lessons, lesson_md, step_md) -> Path:
    return write_lessons(
        tmp_path / "lessons",
        {
            "01_a.md": lesson_md("A", step_md("Step", "a = 1")),
            "02_b.md": lesson_md("B", step_md("Step", "b = a")),
        },
    )


def test_unknown_lesson_exits_2(tmp_path: Path, small_dir: Path) -> None:
    run = tutor("--headless", "--lessons", small_dir, "--lesson", "nope", cwd=tmp_path)
    assert run.returncode == 2
    assert "unknown lesson 'nope'" in run.stderr
    assert "a, b" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_lesson_whose_file_does_not_load_is_named_with_its_problem(
    tmp_path: Path, small_dir: Path
) -> None:
    """``--lesson b`` for a lesson that is in the folder but broken: not "unknown"."""
    broken = small_dir / "02_b.md"
    broken.write_text("---\ntitle: [B\n---\n## Step\nx\n", encoding="utf-8")
    run = tutor("--headless", "--lessons", small_dir, "--lesson", "b", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == "tutor: lesson 'b' does not load:"
    assert f"{broken}:2: bad front matter" in run.stderr
    assert "unknown" not in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_lessons_dir_exits_2(tmp_path: Path) -> None:
    run = tutor("--headless", "--lessons", tmp_path / "missing", cwd=tmp_path)
    assert run.returncode == 2
    assert "missing" in run.stderr
    assert "no such lessons directory" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--headless", "--timeout", "abc"], "'abc' is not a number of seconds"),
        (["--headless", "--timeout", "0"], "more than 0 seconds"),
        (["--headless", "--device", "tpu"], "'tpu' is not one of"),
        (["--headless", "--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["--headless", "--check"], "not allowed with"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, small_dir: Path, args, message) -> None:
    run = tutor("--lessons", small_dir, *args, cwd=tmp_path)
    assert run.returncode == 2, run.text
    assert message in run.stderr
    assert "usage: tutor" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--headless", "--lesson", "nope"],
        ["--headless", "--device", "tpu"],
        ["--check"],
    ],
    ids=["unknown-lesson", "bad-device", "check"],
)
def test_usage_errors_and_check_start_no_kernel(
    small_dir: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from tutor import cli
    from tutor.session import KernelSession

    launched: list[KernelSession] = []
    monkeypatch.setattr(KernelSession, "launch", lambda self: launched.append(self))
    monkeypatch.setattr(KernelSession, "start", lambda self: launched.append(self))
    try:
        cli.main(["--lessons", str(small_dir), *args])
    except SystemExit as exit_:
        assert exit_.code == 2
    assert launched == []


def test_check_good_dir(tmp_path: Path, small_dir: Path) -> None:
    run = tutor("--check", "--lessons", small_dir, cwd=tmp_path)
    assert run.returncode == 0, run.text
    assert "2 lessons, 2 steps: no problems" in run.stdout


def test_check_bad_dir(tmp_path: Path, write_lessons, lesson_md, step_md) -> None:
    bad = write_lessons(
        tmp_path / "bad",
        {
            "01_ok.md": lesson_md("Ok", step_md("Step", "ok = 1")),
            "02_tag.md": "---\ntitle: Tag\n---\n\n## Step\n\n```python chekc\nx = 1\n```\n",
            "03_key.md": "---\ntitle: Key\nrequire: [ok]\n---\n\n## Step\n\ntext\n",
        },
    )
    run = tutor("--check", "--lessons", bad, cwd=tmp_path)
    assert run.returncode == 2, run.text
    lines = run.stdout.splitlines()
    assert f"{bad / '02_tag.md'}:7: unknown python block tag 'chekc'" in "\n".join(lines)
    assert any(
        line.startswith(f"{bad / '03_key.md'}:3: unknown front matter key") for line in lines
    )
    assert all(re.match(r"^.+:\d+: .+$", line) for line in lines), lines
    assert "2 problem(s); 1 lesson(s) load cleanly" in run.stderr


def test_check_names_every_problem_of_every_file_in_order(tmp_path: Path, write_lessons) -> None:
    bad = write_lessons(
        tmp_path / "bad",
        {
            "01_ok.md": "---\ntitle: Ok\n---\n\n## Step\n\n```python\n!ls\nok = 1\n```\n",
            "02_two.md": (
                "---\ntitle: Two\nrequire: [ok]\n---\n\n## Empty\n\n## Code\n\n"
                "```python\nx = 1\nprint(x\n```\n"
            ),
            "03_three.md": (
                "---\ntitle: Three\nrequires: [ok]\n---\n\n## Step\n\n"
                "```python check\nfor i in range(3)\n    assert i\n```\n\n"
                "```python chekc\ny = 2\n```\n"
            ),
        },
    )
    run = tutor("--check", "--lessons", bad, cwd=tmp_path)
    assert run.returncode == 2, run.text
    assert run.stdout.splitlines() == [
        f"{bad / '02_two.md'}:3: unknown front matter key 'require' (known: id, requires, title)",
        f"{bad / '02_two.md'}:6: empty step 'Empty': add prose or code",
        f"{bad / '02_two.md'}:12: SyntaxError in a python block, column 6: '(' was never closed",
        f"{bad / '03_three.md'}:9: SyntaxError in a python check block, column 18: expected ':'",
        f"{bad / '03_three.md'}:13: unknown python block tag 'chekc' "
        "(known: 'check', 'exercise', 'solution')",
    ]
    assert run.stderr == "5 problem(s); 1 lesson(s) load cleanly, 2 file(s) do not\n"


def test_app_without_a_terminal_exits_2(tmp_path: Path) -> None:
    run = tutor(cwd=tmp_path, timeout=60)
    assert run.returncode == 2, run.text
    assert "--headless" in run.stderr
    assert "Traceback" not in run.stderr


# --------------------------------------------------------------------------- the metrics table


def table_lines(rows: list[dict[str, float]]) -> list[str]:
    from rich.console import Console

    from tutor.headless import metrics_table

    console = Console(width=80, record=True, color_system=None)
    console.print(metrics_table(rows))
    return console.export_text().splitlines()


def first_cells(lines: list[str]) -> list[str]:
    """The first cell of each body row: epochs, or … for a gap."""
    return [line.split()[0] for line in lines if "│" in line]


def test_metrics_table_with_the_best_row_in_the_middle_keeps_the_newest() -> None:
    rows = [{"epoch": i, "loss": abs(i - 500) + 1} for i in range(1000)]
    lines = table_lines(rows)
    assert first_cells(lines) == [
        *"012345",
        "…",
        "500",
        "…",
        "995",
        "996",
        "997",
        "998",
        "999",
    ]
    assert [line.split()[0] for line in lines if "│ ★" in line] == ["500"]
    assert "1000 rows, best loss marked ★" in lines[-1]


def test_metrics_table_for_a_short_history_shows_every_row() -> None:
    rows = [{"epoch": i, "loss": 1 / (i + 1)} for i in range(3)]
    lines = table_lines(rows)
    assert first_cells(lines) == ["0", "1", "2"]
    assert [line.split()[0] for line in lines if "│ ★" in line] == ["2"]


def test_the_app_asks_about_a_device_named_on_the_command_line(monkeypatch) -> None:
    import subprocess as subprocess_module

    from tutor.cli import device_problem

    def no_child(*args, **kwargs):
        raise AssertionError("auto and cpu need no check")

    with monkeypatch.context() as patch:
        patch.setattr(subprocess_module, "run", no_child)
        assert device_problem("auto") is None
        assert device_problem("cpu") is None
    problem = device_problem("mps")  # no Linux machine has Apple's GPU
    assert problem is not None
    assert "device 'mps' is not available" in problem and "--device cpu" in problem

    def broken_child(*args, **kwargs):
        return subprocess_module.CompletedProcess(args, 1, "", "Traceback…\nImportError: no torch")

    monkeypatch.setattr(subprocess_module, "run", broken_child)
    assert device_problem("cuda") == "could not check device 'cuda': ImportError: no torch"


@pytest.mark.parametrize(
    ("selected", "warm_up"),
    [(["basics"], False), (["training"], True), (["uses"], True)],
    ids=["no-optimizer", "optimizer", "optimizer-in-a-replayed-lesson"],
)
def test_headless_warms_up_for_the_first_optimizer_only_if_a_lesson_run_makes_one(
    tmp_path: Path, selected: list[str], warm_up: bool
) -> None:
    lessons = course(
        tmp_path / "lessons",
        {
            "01_basics.md": BASICS,
            "02_training.md": lesson_text(
                "Training",
                lesson_step("Optimizer", "opt = torch.optim.SGD(model.parameters(), lr=0.01)"),
                lesson_id="training",
                requires=[],
            ),
            "03_uses.md": lesson_text(
                "Uses", lesson_step("Step", "opt.step()"), lesson_id="uses", requires=["training"]
            ),
        },
    )
    session = ScriptedSession()
    options = HeadlessOptions(
        lessons=lessons, selected=[lessons.get(name) for name in selected], quiet=True
    )
    run_headless(options, console=Console(file=io.StringIO()), session=session)
    assert session.warm_ups == [warm_up]


# --------------------------------------------------------------------------- on a terminal


def test_a_steps_bar_shows_for_a_long_step_or_a_loop_that_reports_and_never_none() -> None:
    """On a terminal the running step gets a bar: not for a step of a few milliseconds,
    and its count only once the step's loop has said how far it is."""
    from tutor.headless import LONG_STEP_S, _ConsoleView

    terminal = Console(file=io.StringIO(), force_terminal=True, width=80)
    view = _ConsoleView(terminal, quiet=False)
    now = [100.0]
    view.progress.get_time = lambda: now[0]

    def bar() -> str:
        screen = Console(file=io.StringIO(), width=80, color_system=None)
        screen.print(*view.progress.get_renderables())
        return screen.file.getvalue()  # type: ignore[attr-defined]

    short = view.progress.add_task("Quick step", total=None)
    assert bar().strip() == "", "a step just started shows no bar"
    now[0] += LONG_STEP_S
    assert "Quick step" in bar()
    assert "None" not in bar()
    view.progress.remove_task(short)
    looping = view.progress.add_task("Train", total=None)
    view.progress.update(looping, completed=30, total=100)
    assert "30/100" in bar(), "a loop that reports shows at once, with its count"
    view.progress.remove_task(looping)
    unknown = view.progress.add_task("Stream", total=None)
    view.progress.update(unknown, completed=7, total=None)
    shown = bar()
    assert " 7 " in shown and "None" not in shown, "a loop of unknown length: its count"


def test_a_long_line_stays_one_line_in_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Out of a terminal the width is 80: a lesson problem's ``path:line: message`` and
    the summary must still come out whole, one line each, for grep and editors."""
    folder = tmp_path / ("a-long-folder-name-" * 4)
    files = {
        "01_fine.md": lesson_text("Fine", lesson_step("Step", "x = 1")),
        "02_broken.md": "---\ntitle: [B\n---\n## S\nx\n",
    }
    lessons = load_lessons(write_lesson_dir(folder, files))
    [problem] = lessons.errors
    assert len(str(problem)) > 100
    options = HeadlessOptions(lessons=lessons, selected=lessons.lessons, quiet=True)
    code = run_headless(options, session=ScriptedSession())
    out = capsys.readouterr().out
    assert code == 2
    assert str(problem) in out.splitlines()
    assert any(
        line.startswith("1/1 lessons passed") and line.endswith("1 lesson file error(s)")
        for line in out.splitlines()
    ), out
