"""``python -m tutor import`` and ``python -m tutor export``: arguments, files and messages.

Every bad input ends with ``tutor import: PATH: message`` (or ``tutor export: ...``)
on stderr and exit code 2, as the rest of tutor's usage errors do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from tutor.cli import EXIT_USAGE
from tutor.lessons import (
    LESSON_FILE,
    Lesson,
    LessonError,
    LessonSet,
    bundled_lessons_dir,
    check_command,
    load_lessons,
    parse_lesson,
)

SUBCOMMANDS = ("import", "export")
NOTEBOOK_MAJOR = 4


class CommandError(Exception):
    """A bad input: the file it is about, and what is wrong with it."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")


def main(argv: Sequence[str]) -> int:
    """Run ``import`` or ``export``; ``argv[0]`` names which."""
    command, rest = argv[0], list(argv[1:])
    parser = _import_parser() if command == "import" else _export_parser()
    args = parser.parse_args(rest)
    try:
        if command == "import":
            return import_notebook(args.notebook, args.output, force=args.force)
        return export_lesson(
            args.lesson,
            args.output,
            lessons_dir=args.lessons,
            solutions=args.solutions,
            leave_out_solutions=args.no_solutions,
            force=args.force,
        )
    except CommandError as error:
        _fail(parser, str(error))


def _fail(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.exit(EXIT_USAGE, f"{parser.prog}: {message}\n")


def _import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tutor import",
        description="Make a lesson file of a Jupyter notebook (nbformat 4).",
        epilog="Then check it with 'python -m tutor --check --lessons DIR'.",
    )
    parser.add_argument("notebook", type=Path, metavar="NOTEBOOK.ipynb")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="NN_slug.md",
        help="the lesson file to write, e.g. lessons/09_workflow.md",
    )
    parser.add_argument("--force", action="store_true", help="replace the file if it exists")
    return parser


def _export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tutor export",
        description="Make a Jupyter notebook of a lesson that runs top to bottom on its own.",
    )
    parser.add_argument(
        "lesson", metavar="LESSON", help="a lesson file, or a lesson id (of --lessons DIR)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.ipynb",
        help="the notebook to write",
    )
    parser.add_argument(
        "--lessons", type=Path, metavar="DIR", help="lesson folder (default: the bundled lessons)"
    )
    answers = parser.add_mutually_exclusive_group()
    answers.add_argument(
        "--solutions",
        action="store_true",
        help="put the exercises' solutions in, instead of their starter code",
    )
    answers.add_argument(
        "--no-solutions",
        action="store_true",
        help="leave out the folded solution after each exercise: a copy to hand out "
        "that holds no answers",
    )
    parser.add_argument("--force", action="store_true", help="replace the file if it exists")
    return parser


# -- import -------------------------------------------------------------------------


def import_notebook(source: Path, output: Path, *, force: bool = False) -> int:
    from tutor.notebooks.to_lesson import NotebookProblem, notebook_to_lesson

    _check_lesson_name(output)
    _check_target(output, force=force)
    notebook = read_notebook(source)
    try:
        conversion = notebook_to_lesson(notebook, fallback_title=_title_from_name(source))
    except NotebookProblem as problem:
        raise CommandError(source, str(problem)) from None
    lesson = _parsed(conversion.text, output)
    _check_id_is_free(lesson, output)
    write_file(output, conversion.text, force=force)
    print(f"{source} -> {output}: {conversion.title!r}, {len(conversion.steps)} steps")
    print(f"  from {conversion.code_cells} code and {conversion.markdown_cells} Markdown cells")
    for line in conversion.skipped:
        print(f"  skipped {line}")
    for line in conversion.notes:
        print(f"  note: {line}")
    print(f"Check it with: {check_command(output.parent)}")
    return 0


def read_notebook(path: Path) -> Any:
    """The notebook at ``path`` as an nbformat node, or a ``CommandError`` saying why not."""
    import nbformat
    from nbformat import ValidationError
    from nbformat.warnings import MissingIDFieldWarning

    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise CommandError(path, "is a folder, not a notebook") from None
    except OSError as exc:
        raise CommandError(path, f"cannot read: {exc.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CommandError(path, f"not a notebook: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CommandError(
            path,
            f"not a notebook: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
        ) from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise CommandError(path, "not a Jupyter notebook: its JSON has no 'nbformat' key")
    version = data["nbformat"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise CommandError(path, f"not a Jupyter notebook: 'nbformat' is {version!r}")
    if version < NOTEBOOK_MAJOR:
        raise CommandError(
            path,
            f"nbformat {version}: tutor reads nbformat 4 notebooks; save it from Jupyter, "
            "or run 'jupyter nbconvert --to notebook --nbformat 4' on it, first",
        )
    if version > NOTEBOOK_MAJOR:
        raise CommandError(path, f"nbformat {version}: newer than the nbformat 4 tutor reads")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise CommandError(path, "not a Jupyter notebook: it has no list of 'cells'")
    for number, cell in enumerate(cells, start=1):
        if not (
            isinstance(cell, dict)
            and isinstance(cell.get("cell_type"), str)
            and isinstance(cell.get("source", ""), str | list)
        ):
            raise CommandError(path, f"not a Jupyter notebook: cell {number} is not a cell")
    data.setdefault("metadata", {})
    notebook = nbformat.from_dict(data)
    try:
        with warnings.catch_warnings():  # cell ids do not matter to a lesson
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            nbformat.validate(notebook)
    except ValidationError as exc:
        print(
            f"tutor import: {path}: warning: not a valid nbformat 4 notebook "
            f"({exc.message}); converted anyway",
            file=sys.stderr,
        )
    language = _language(notebook)
    if language and language != "python":
        raise CommandError(path, f"a {language} notebook: tutor's lessons are Python")
    return notebook


def _language(notebook: Any) -> str:
    metadata = notebook.get("metadata", {})
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(key, {})
        if isinstance(value, dict) and isinstance(value.get(field), str):
            return value[field].strip().lower()
    return ""


def _title_from_name(path: Path) -> str:
    """``01_pytorch_workflow.ipynb`` -> ``Pytorch workflow``."""
    words = path.stem.lstrip("0123456789_- ").replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or path.stem
    return text[:1].upper() + text[1:]


def _check_lesson_name(output: Path) -> None:
    if not LESSON_FILE.match(output.name):
        raise CommandError(
            output,
            "a lesson file is named NN_slug.md (such as 09_workflow.md): tutor loads no other name",
        )


def _parsed(text: str, output: Path) -> Lesson:
    """The lesson as the loader reads it: a last check before the file is written."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / output.name
        path.write_text(text, encoding="utf-8")
        try:
            return parse_lesson(path)
        except LessonError as error:
            raise CommandError(
                output,
                f"the lesson made of this notebook does not load: line {error.line}: "
                f"{error.message}",
            ) from None


def _check_id_is_free(lesson: Lesson, output: Path) -> None:
    if not output.parent.is_dir():
        return
    try:
        others = load_lessons(output.parent)
    except LessonError:
        return
    for other in others.lessons:
        if other.id == lesson.id and other.path.resolve() != output.resolve():
            raise CommandError(
                output,
                f"its id {lesson.id!r} is taken by {other.path}: choose another file name",
            )


# -- export -------------------------------------------------------------------------


def export_lesson(
    name: str,
    output: Path,
    *,
    lessons_dir: Path | None = None,
    solutions: bool = False,
    leave_out_solutions: bool = False,
    force: bool = False,
) -> int:
    import nbformat

    from tutor.notebooks.to_notebook import lesson_to_notebook

    _check_target(output, force=force)
    lessons, lesson = _find_lesson(name, lessons_dir)
    requirements = lessons.requirements(lesson)
    notebook = lesson_to_notebook(
        lesson, requirements, solutions=solutions, leave_out_solutions=leave_out_solutions
    )
    write_file(output, nbformat.writes(notebook) + "\n", force=force)
    exercises = sum(1 for step in lesson.steps if step.is_exercise)
    print(f"{lesson.path} -> {output}: {len(notebook.cells)} cells, {len(lesson.steps)} steps")
    if requirements:
        names = ", ".join(required.id for required in requirements)
        print(f"  setup: the code of {names}, in one collapsed section")
    if exercises:
        if solutions:
            holds = "their solutions, the starter code folded after each"
        elif leave_out_solutions:
            holds = "their starter code, no solutions"
        else:
            holds = (
                "their starter code, the solution folded after each "
                "(--solutions runs them, --no-solutions leaves them out)"
            )
        print(f"  {exercises} exercise(s): {holds}")
    return 0


def _find_lesson(name: str, lessons_dir: Path | None) -> tuple[LessonSet, Lesson]:
    """The lesson a file path or an id names, with the folder it loads from."""
    path = Path(name)
    by_path = lessons_dir is None and (path.suffix == ".md" or path.exists())
    directory = path.parent if by_path else (lessons_dir or bundled_lessons_dir())
    try:
        lessons = load_lessons(directory)
    except LessonError as error:
        raise CommandError(error.path, error.message) from None
    if by_path:
        if not path.is_file():
            raise CommandError(path, "no such lesson file")
        if not LESSON_FILE.match(path.name):
            raise CommandError(path, "a lesson file is named NN_slug.md: tutor loads no other")
        found = next((les for les in lessons.lessons if les.path.resolve() == path.resolve()), None)
        problems = [e for e in lessons.errors if Path(e.path).resolve() == path.resolve()]
    else:
        found = lessons.get(name)
        problems = [e for e in lessons.errors if _default_id(Path(e.path)) == name]
        if found is None and not problems:
            known = ", ".join(les.id for les in lessons.lessons) or "none"
            raise CommandError(directory, f"no lesson {name!r} here (lessons: {known})")
    if found is None:
        first = problems[0] if problems else None
        if first is None:
            raise CommandError(path, "does not load")
        raise CommandError(f"{first.path}:{first.line}", first.message)
    return lessons, found


def _default_id(path: Path) -> str:
    match = LESSON_FILE.match(path.name)
    return match["slug"] if match else path.stem


# -- files --------------------------------------------------------------------------


def _check_target(output: Path, *, force: bool) -> None:
    """Refuse a target that is a folder, exists (without ``force``) or has no folder."""
    if output.is_dir():
        raise CommandError(output, "is a folder: give the file to write")
    if output.exists() and not force:
        raise CommandError(output, "already exists: pass --force to replace it")
    if not output.parent.is_dir():
        raise CommandError(output, f"no folder {output.parent} to write it in")


def write_file(output: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``output`` whole or not at all: a temporary file, then a rename."""
    _check_target(output, force=force)
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise CommandError(output, f"cannot write here: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, output)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise CommandError(output, f"cannot write: {exc.strerror}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
