"""The app's keys: one table of bindings, and the three places that show it.

The footer shows the main bindings that apply now (``TutorApp.check_action`` hides
the rest, a focused text field keeps the keys it types for itself, and the keys marked
``show=False`` are left to the help, so that the footer fits 80 columns in every
state); the help screen lists every binding, then the keys that move the focus and
scroll, read from Textual's own bindings; the command palette offers one command for
each action that applies now.  All three come from ``KEYS``, so none can offer a key
the others lack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.actions import parse
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.dom import DOMNode
from textual.screen import Screen

KEYS: tuple[Binding, ...] = (
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    Binding("q", "quit", "Quit", id="quit-q", show=False),
    Binding("enter,r", "run_step", "Run", id="run"),
    # In the exercise editor enter and r are typed, so the footer shows this key there
    # instead.  (ctrl+enter would not do: most terminals send it as plain enter, and
    # tmux 3.3 drops it.)
    Binding("ctrl+r", "run_step", "Run", id="run-in-editor"),
    Binding("n,right", "next_step", "Next", id="next"),
    Binding("p,left", "previous_step", "Prev", id="previous"),
    Binding("v", "toggle_panel", "Panel", id="panel"),
    Binding("a", "run_to_here", "Run up to here", id="run-to-here", show=False),
    Binding("ctrl+c,i", "interrupt", "Interrupt", id="interrupt", priority=True),
    Binding("R", "restart", "Restart", id="restart", show=False),
    Binding("h", "hint", "Hint", id="hint"),
    Binding("s", "solution", "Solution", id="solution"),
    Binding("e", "edit", "Edit", id="edit"),
    Binding("ctrl+o", "own_editor", "Own editor", id="own-editor", show=False),
    Binding("c", "console", "Console", id="console", show=False),
    Binding("f1", "explain", "Help on name", id="explain"),
    Binding("escape", "leave_editor", "Leave editor", id="leave-editor", priority=True),
    Binding("l", "toggle_lessons", "Lessons", id="lessons", show=False),
    Binding("1", "tab('training')", "Training tab", id="tab-training", show=False),
    Binding("2", "tab('plot')", "Plot tab", id="tab-plot", show=False),
    Binding("3", "tab('tensors')", "Tensors tab", id="tab-tensors", show=False),
    Binding("question_mark", "help", "Help", id="help"),
)

KEY_HELP: dict[str, str] = {
    "quit": "Quit (progress is saved)",
    "quit-q": "Quit, when no text field has focus",
    "run": "Run this step",
    "run-in-editor": "In the exercise editor: run this step (enter types a new line there)",
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
    "lessons": "Show or hide the lessons (enter opens the one chosen, escape leaves the list)",
    "panel": "Under 110 columns: the session panel (training, plots, tensors) or the step",
    "help": "This help",
}
"""The help screen's line for a key, by binding id; the footer shows the short word."""

COMMANDS_HELP = "Commands, such as reset progress"

MOVING: tuple[tuple[type[DOMNode], tuple[str, ...], str], ...] = (
    (
        Screen,
        ("app.focus_next", "app.focus_previous"),
        "Move the focus: the step, the exercise editor, the session panel. In an editor "
        "tab indents or completes: escape leaves it",
    ),
    (ScrollableContainer, ("scroll_up", "scroll_down"), "Scroll a line (the step, this help)"),
    (ScrollableContainer, ("page_up", "page_down"), "Scroll a page"),
    (ScrollableContainer, ("scroll_home", "scroll_end"), "To the top, to the end"),
)
"""Textual's own keys that move the focus and scroll: (the class whose bindings hold
them, their actions, what they do)."""

REPLACED_SYSTEM_COMMANDS = frozenset({"Quit", "Keys"})
"""Textual's palette commands that one of ``KEYS`` already is: its Quit, and its Keys
panel (the help screen lists every key)."""


def _key_display(app: App, keys: list[Binding]) -> str:
    return ", ".join(app.get_key_display(key) for key in keys)


def help_rows(app: App) -> list[tuple[str, str]]:
    """(keys as the footer shows them, what they do) for every described binding, then the
    command palette's key."""
    rows = [
        (
            _key_display(app, list(Binding.make_bindings([binding]))),
            KEY_HELP.get(binding.id or "", binding.description),
        )
        for binding in KEYS
        if binding.description
    ]
    rows.append((app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "")), COMMANDS_HELP))
    return rows


def moving_rows(app: App) -> list[tuple[str, str]]:
    """(keys, what they do) for the keys that move the focus and scroll, as Textual binds them."""
    rows = []
    for owner, actions, description in MOVING:
        bindings = list(Binding.make_bindings(owner.BINDINGS))
        keys = [binding for action in actions for binding in bindings if binding.action == action]
        rows.append((_key_display(app, keys), description))
    return rows


def palette_commands(
    app: App, applies: Callable[[str, tuple[object, ...]], bool | None]
) -> Iterator[SystemCommand]:
    """A command for each action of ``KEYS`` that ``applies`` now (True, not None), once
    each, named by the binding's footer word, with its help line and its keys."""
    offered: set[str] = set()
    for binding in KEYS:
        if not binding.description or binding.action in offered:
            continue
        _, name, parameters = parse(binding.action)
        if applies(name, parameters) is not True:
            continue
        offered.add(binding.action)
        keys = list(Binding.make_bindings([key for key in KEYS if key.action == binding.action]))
        said = KEY_HELP.get(binding.id or "")
        keys_shown = _key_display(app, keys)
        yield SystemCommand(
            binding.description,
            f"{said} · {keys_shown}" if said else keys_shown,
            partial(app.run_action, binding.action),
        )
