"""TopBar: where the learner is, the device, and the session's state."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

STATE_STYLE = {
    "starting": "$warning",
    "idle": "$success",
    "busy": "$accent",
    "dead": "$error",
    "stopped": "$text-muted",
}


class TopBar(Static):
    """One line: session state and device first (never cut off), then where the learner is."""

    DEFAULT_CSS = """
    TopBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    position: reactive[str] = reactive("")
    """Lesson and step, e.g. 'Lesson 2/8 Model · Step 3/5'."""
    device: reactive[str] = reactive("…")
    """The session's device, e.g. 'cpu' or 'cuda:0'."""
    state: reactive[str] = reactive("starting")
    """The session's state: starting, idle, busy, dead or stopped."""

    def render(self) -> str:
        colour = STATE_STYLE.get(self.state, "$text")
        return f"[{colour}]●[/] {self.state:<8} [b]{self.device}[/b]  │  {self.position}"
