"""TopBar: where the learner is, the device, the session's state and its GPU memory."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from tutor.render import format_bytes
from tutor.session import Memory

STATE_STYLE = {
    "starting": "$warning",
    "restarting": "$warning",
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
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    position: reactive[str] = reactive("")
    """Lesson and step, e.g. 'Lesson 2/8 Model · Step 3/5'."""
    device: reactive[str] = reactive("…")
    """The session's device, e.g. 'cpu' or 'cuda:0'."""
    state: reactive[str] = reactive("starting")
    """The session's state: starting, idle, busy, dead or stopped."""
    memory: reactive[str] = reactive("")
    """The session's CUDA memory after the last run (``memory_text``); "" before it used CUDA."""
    restarting: reactive[bool] = reactive(False)
    """The app has asked for a fresh session: shown over ``state``, which stays what it
    was while the old kernel is stopped."""

    def show_memory(self, memory: Memory) -> None:
        self.memory = memory_text(memory)

    def render(self) -> str:
        state = "restarting" if self.restarting else self.state
        colour = STATE_STYLE.get(state, "$text")
        memory = f" {self.memory}" if self.memory else ""
        return f"[{colour}]●[/] {state:<8} [b]{self.device}[/b]{memory}  │  {self.position}"


def memory_text(memory: Memory) -> str:
    """``1.5 MB in use, peak 3.0 MB``: what the session holds on its GPU after a run."""
    return f"{format_bytes(memory.allocated)} in use, peak {format_bytes(memory.peak)}"
