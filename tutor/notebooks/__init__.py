"""Jupyter notebooks in and out: ``python -m tutor import`` and ``python -m tutor export``.

``to_lesson`` turns a notebook into the text of a lesson file, ``to_notebook`` turns a
lesson into a notebook that Jupyter runs on its own; both are pure functions of their
input.  ``commands`` reads and writes the files and parses the two subcommands.
"""

TAG_PREFIX = "tutor-"
"""Exported cells carry a Jupyter tag saying what they were in the lesson."""
TAG_HELPERS = "tutor-helpers"
TAG_SETUP = "tutor-setup"
TAG_CHECK = "tutor-check"
TAG_EXERCISE = "tutor-exercise"
TAG_SOLUTION = "tutor-solution"
TAG_HINT = "tutor-hint"
METADATA_KEY = "tutor"
"""The notebook metadata key of an exported lesson: ``{"lesson": id, "solutions": bool}``."""
