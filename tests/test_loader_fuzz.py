"""Fuzzing the lesson loader: any input loads, or names each of its problems at path:line, fast."""

from __future__ import annotations

import ast
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.lessons import bundled_lessons_dir, cell_syntax_error, read_lesson

FRAGMENTS = [
    "---",
    "...",
    "title: A lesson",
    "title:",
    "title: [unclosed",
    "id: data",
    "id: bad id!",
    "requires: [data, model]",
    "requires: {a: b}",
    "require: x",
    "## A step",
    "##",
    "# Heading",
    "### Sub",
    "Step\n----",
    "Some *prose* with `code`.",
    "```python",
    "```python check",
    "```python exercise",
    "```python solution",
    "```python chekc",
    "```hint",
    "```text",
    "````",
    "```",
    "~~~python",
    "~~~",
    "    ```",
    "> ```python",
    "- ```",
    "x = 1",
    "assert x == 1, 'x'",
    "",
    "\t",
    "\ufeff",
    "\r",
    "\x0c",
    "\u2028",
    "é ü 漢字 🚀",
]

lines = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)),
    max_size=60,
)

REAL = sorted(bundled_lessons_dir().glob("[0-9]*_*.md"))
real_texts = st.sampled_from([p.read_text(encoding="utf-8") for p in REAL])


def mutate(text: str, data: st.DataObject) -> str:
    """Delete, duplicate or replace lines, or cut the text short."""
    rows = text.split("\n")
    for _ in range(data.draw(st.integers(1, 6))):
        if not rows:
            break
        i = data.draw(st.integers(0, len(rows) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "replace", "truncate"]))
        if action == "delete":
            del rows[i]
        elif action == "duplicate":
            rows.insert(i, rows[i])
        elif action == "replace":
            rows[i] = data.draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)))
        else:
            rows = rows[:i]
    return "\n".join(rows)


def assert_loads_or_names_a_line(path: Path, raw: bytes, budget_s: float = 1.0) -> None:
    path.write_bytes(raw)
    # The loader's own CPU time, on this thread: with tests side by side on two cores,
    # the wall clock also counts the time other processes held the CPU, and the
    # process's CPU time that of threads earlier tests in this worker left running.
    started = time.thread_time()
    read = read_lesson(path)
    lesson = read.lesson
    if lesson is None:
        assert read.problems
        for error in read.problems:
            assert error.path == path
            assert 0 <= error.line <= raw.count(b"\n") + 2, error
            assert error.message
        assert [e.line for e in read.problems] == sorted(e.line for e in read.problems)
    else:
        assert read.problems == ()
        assert lesson.steps
        assert lesson.title.strip()
        for step in lesson.steps:
            assert 1 <= step.line <= raw.count(b"\n") + 1
            for block in step.blocks:
                assert step.line < block.line <= raw.count(b"\n") + 1
    assert time.thread_time() - started < budget_s


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(rows=lines)
def test_random_markdown(tmp_path: Path, rows: list[str]) -> None:
    assert_loads_or_names_a_line(tmp_path / "01_fuzz.md", "\n".join(rows).encode("utf-8"))


@FUZZ
@given(text=real_texts, data=st.data())
def test_mutated_real_lessons(tmp_path: Path, text: str, data: st.DataObject) -> None:
    assert_loads_or_names_a_line(tmp_path / "01_fuzz.md", mutate(text, data).encode("utf-8"))


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, raw: bytes) -> None:
    assert_loads_or_names_a_line(tmp_path / "01_fuzz.md", raw)


def loader_cpu_s(path: Path, text: str) -> float:
    """The loader's CPU time on ``text``, the least of three reads."""
    path.write_text(text)
    times = []
    for _ in range(3):
        started = time.thread_time()
        read_lesson(path)
        times.append(time.thread_time() - started)
    return min(times)


def assert_grows_linearly(path: Path, text_of: Callable[[int], str], n: int) -> None:
    """The loader takes time in proportion to the size: four times the text, under
    eight times the time (twice the four that linear growth gives, where quadratic
    growth gives sixteen).  A ratio measured side by side holds on a slow or busy
    machine, where a figure in seconds does not."""
    small = loader_cpu_s(path, text_of(n // 4))
    large = loader_cpu_s(path, text_of(n))
    assert large < 8 * small, f"{n // 4} took {small:.3f} s of CPU and {n} took {large:.3f} s"


def test_a_huge_lesson_loads_quickly(tmp_path: Path) -> None:
    step = "## Step\n\nProse.\n\n```python\nx = 1\n```\n\n```python check\nassert x\n```\n\n"

    def text_of(steps: int) -> str:
        return "---\ntitle: Big\n---\n" + step * steps

    # Some 0.4 s here; the bound in seconds is loose, the growth check is the close one.
    assert_loads_or_names_a_line(tmp_path / "01_big.md", text_of(2000).encode(), budget_s=5)
    assert_grows_linearly(tmp_path / "01_big.md", text_of, 2000)


def test_a_long_unclosed_fence_is_reported_quickly(tmp_path: Path) -> None:
    def text_of(lines: int) -> str:
        return "---\ntitle: Big\n---\n## Step\n```python\n" + "x = 1\n" * lines

    assert_loads_or_names_a_line(tmp_path / "01_big.md", text_of(50_000).encode(), budget_s=5)
    assert_grows_linearly(tmp_path / "01_big.md", text_of, 50_000)


CELL_LINES = [
    "!ls -l models/",
    "%timeit x",
    "  !echo hi",
    "    !ls",
    "%%time",
    "!",
    "%",
    "!= 3",
    "%= 2",
    "!!ls",
    "x = 1",
    "x = !ls",
    "if x:",
    "    y = 2",
    "else:",
    "def f():",
    "    return 1",
    "for i in range(3):",
    "(",
    ")",
    "[1,",
    "2]",
    '"""',
    "s = '''",
    "'''",
    "# !ls",
    "!echo # comment",
    "pass",
    "",
    "x = 1 + \\",
    "if x: \\",
    "%pip install torch",
    "?",
    "x?",
]


@FUZZ
@given(rows=st.lists(st.sampled_from(CELL_LINES), max_size=8))
def test_a_cell_is_judged_as_ipython_judges_it(rows: list[str]) -> None:
    """``cell_syntax_error`` asks IPython only when it must; its verdict is IPython's."""
    from IPython.core.inputtransformer2 import TransformerManager

    code = "\n".join(rows) + "\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            transformed = TransformerManager().transform_cell(code)
        except SyntaxError:
            transformed = code
        try:
            compile(
                transformed, "<cell>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
            )
        except SyntaxError:
            ipython_runs_it = False
        else:
            ipython_runs_it = True
    assert (cell_syntax_error(code) is None) == ipython_runs_it, (code, transformed)
