"""WrappingLog: a RichLog whose lines wrap to its width, again whenever that changes.

Textual's RichLog renders each write once, at the width it is given, and keeps
those lines: output written while the log was hidden, or before the terminal
was resized, would stay wrapped at the old width, cut off or in a thin column.
This log keeps what was written (its last ``max_lines`` writes) and wraps it
again to its new width.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog


class WrappingLog(RichLog):
    """Output lines wrapped to the log's width; the width reserves room for a scrollbar,
    so lines drawn before the log grew one still fit after."""

    DEFAULT_CSS = """
    WrappingLog { scrollbar-gutter: stable; }
    """

    def __init__(self, *, max_lines: int, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, wrap=True, id=id)
        self._texts: deque[Text] = deque(maxlen=max_lines)
        self._wrapped_at = 0
        """The width the lines shown were wrapped to; 0 while the log has none."""

    def add(self, text: Text) -> None:
        """Text after what the log shows (one write, however many lines it has)."""
        self._texts.append(text)
        width = self.scrollable_content_region.width
        if width > 0:
            self.write(text, width=width)
            self._wrapped_at = width
        else:
            # Not laid out (hidden): what it shows lacks this text, so on_resize wraps
            # everything once the log has a width, even the width it had before.
            self._wrapped_at = 0

    def clear(self) -> WrappingLog:
        self._texts.clear()
        self._wrapped_at = 0
        return super().clear()

    def on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._wrapped_at:
            return
        texts = list(self._texts)
        super().clear()
        self._wrapped_at = width
        if texts:
            self.write(Text("\n").join(texts), width=width)
