"""Jupyter notebooks in and out: ``python -m tutor import`` and ``python -m tutor export``.

``to_lesson`` turns a notebook into the text of a lesson file (a pure function),
``to_notebook`` a lesson into a notebook that Jupyter runs on its own (it reads the
lesson's file again, only for where the prose stands between the blocks).  ``commands``
reads and writes the files and parses the two subcommands.  What an exported cell
holds, and how it says so, is named here once, for both directions.
"""

from __future__ import annotations

import re

# Exported cells carry a Jupyter tag saying what they were in the lesson.
TAG_HELPERS = "tutor-helpers"
TAG_SETUP = "tutor-setup"
TAG_CHECK = "tutor-check"
TAG_EXERCISE = "tutor-exercise"
TAG_SOLUTION = "tutor-solution"
TAG_HINT = "tutor-hint"
METADATA_KEY = "tutor"
"""The notebook metadata key of an exported lesson: ``{"lesson": id, "solutions": bool}``."""

# A hint, and the half of an exercise that does not run, are Markdown cells folded
# until the learner opens them: ``<details>``, a summary, then the Markdown.
HINT_SUMMARY = "Hint"
SOLUTION_SUMMARY = "Solution"
STARTER_SUMMARY = "Starter code"
FOLD_OPEN = "<details><summary>{summary}</summary>\n\n"
FOLD_CLOSE = "\n\n</details>"
_FOLDED = re.compile(
    r"\A\s*<details>\s*<summary>.*?</summary>[ \t]*\n(?P<body>.*)\n\s*</details>\s*\Z", re.DOTALL
)


def folded(summary: str, markdown: str) -> str:
    """``markdown`` folded under ``summary``, as an exported Markdown cell holds it."""
    return FOLD_OPEN.format(summary=summary) + markdown.strip() + FOLD_CLOSE


def unfolded(source: str) -> str:
    """The Markdown inside a folded cell (any summary), or ``source`` if it is not folded."""
    match = _FOLDED.match(source)
    return match["body"] if match else source


def fenced(code: str, info: str) -> str:
    """``code`` as a fenced block, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    marks = "`" * max(3, longest + 1)
    body = code.rstrip("\n")
    return f"{marks}{info}\n{body}\n{marks}"
