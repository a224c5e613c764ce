"""The app's keys: each binding with its id and footer word, and its line on the help screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

KEYS: tuple[Binding, ...] = (
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    Binding("q", "quit", "Quit", id="quit-q", show=False),
    Binding("enter,r", "run_step", "Run", id="run"),
    Binding("n,right", "next_step", "Next", id="next"),
    Binding("p,left", "previous_step", "Prev", id="previous"),
    Binding("v", "toggle_panel", "Panel", id="panel"),
    Binding("a", "run_to_here", "Run up to here", id="run-to-here", show=False),
    Binding("ctrl+c,i", "interrupt", "Interrupt", id="interrupt", priority=True),
    Binding("R", "restart", "Restart", id="restart", show=False),
    Binding("h", "hint", "Hint", id="hint"),
    Binding("s", "solution", "Solution", id="solution"),
    Binding("e", "edit", "Edit", id="edit"),
    Binding("ctrl+o", "own_editor", "Own editor", id="own-editor"),
    Binding("c", "console", "Console", id="console"),
    Binding("f1", "explain", "Help on name", id="explain"),
    Binding("escape", "leave_editor", "Leave editor", id="leave-editor", priority=True),
    Binding("l", "toggle_lessons", "Lessons", id="lessons"),
    Binding("1", "tab('training')", "Training tab", show=False),
    Binding("2", "tab('plot')", "Plot tab", show=False),
    Binding("3", "tab('tensors')", "Tensors tab", show=False),
    Binding("question_mark", "help", "Help", id="help"),
)

KEY_HELP: dict[str, str] = {
    "quit": "Quit (progress is saved)",
    "quit-q": "Quit, when no text field has focus",
    "run": "Run this step",
    "next": "Next step",
    "previous": "Previous step",
    "run-to-here": "Run the lesson's steps up to this one",
    "interrupt": "Interrupt the running step; the session keeps its variables",
    "restart": "Restart the session and replay the steps up to this one",
    "hint": "Show the step's hint",
    "solution": "Reveal the solution (exercises)",
    "edit": "Edit the exercise code, from its first TODO",
    "own-editor": "Edit the exercise code in $VISUAL or $EDITOR (else vi)",
    "console": "Open the console: Python in the lesson's session, outside the steps",
    "explain": "In an editor: the signature and docstring of the name at the cursor",
    "leave-editor": "Leave the editor or the console (your code is kept)",
    "lessons": "Show or hide the lessons",
    "panel": "Under 110 columns: the session panel (training, plots, tensors) or the step",
    "help": "This help",
}
"""The help screen's line for a key, by binding id; the footer shows the short word."""

COMMANDS_HELP = "Commands, such as reset progress"


def help_rows(app: App) -> list[tuple[str, str]]:
    """(keys as the footer shows them, what they do) for every described binding, then the
    command palette's key."""
    rows = [
        (
            ", ".join(app.get_key_display(key) for key in Binding.make_bindings([binding])),
            KEY_HELP.get(binding.id or "", binding.description),
        )
        for binding in KEYS
        if binding.description
    ]
    rows.append((app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "")), COMMANDS_HELP))
    return rows
