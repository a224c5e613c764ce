"""Jupyter notebooks in and out: ``python -m tutor import`` and ``python -m tutor export``.

``to_lesson`` turns a notebook into the text of a lesson file (a pure function),
``to_notebook`` a lesson into a notebook that Jupyter runs on its own (it reads the
lesson's file again, only for where the prose stands between the blocks).  ``commands``
reads and writes the files and parses the two subcommands.
"""

# Exported cells carry a Jupyter tag saying what they were in the lesson.
TAG_HELPERS = "tutor-helpers"
TAG_SETUP = "tutor-setup"
TAG_CHECK = "tutor-check"
TAG_EXERCISE = "tutor-exercise"
TAG_SOLUTION = "tutor-solution"
TAG_HINT = "tutor-hint"
HINT_OPEN = "<details><summary>Hint</summary>\n\n"
HINT_CLOSE = "\n\n</details>"
"""An exported hint is a Markdown cell, folded until the learner opens it."""
METADATA_KEY = "tutor"
"""The notebook metadata key of an exported lesson: ``{"lesson": id, "solutions": bool}``."""
