"""What a run showed, as a notebook shows it: streams, results and displays.

Pure, shared by the runner (a step's recorded output), headless and the app.

- Adjacent chunks of one stream merge into one output; ``\\r`` returns to the start
  of the line and what follows overwrites it, ``\\b`` deletes the character before it,
  so a loop printing ``\\rEpoch 5/100`` ends as one line.
- ANSI colours (SGR sequences) are kept; cursor moves, screen clears and OSC
  sequences (titles, links) are dropped.
- A cell's result is shown as ``Out[n]: …``; a display as its ``text/plain``; an
  update replaces every display with its ``display_id``; ``clear_output(wait=True)``
  clears when the next output arrives.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from tutor.session.events import ClearOutput, Display, Event, Output, Result

_CONTROL = re.compile(r"[\r\b\x1b]")
_ESCAPE = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]"  # CSI: colours (kept when they end in m), cursor, clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
)
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    """``text`` without any escape sequence."""
    return _ESCAPE.sub("", text)


def _apply_controls(line: str) -> str:
    """One line (no newline) as a terminal would leave it after ``\\r`` and ``\\b``.

    Colours stay attached to the characters they precede; other escapes are dropped.
    """
    if not _CONTROL.search(line):
        return line
    cells: list[str] = []  # one visible character each, with the colours before it
    pending = ""
    column = 0
    position = 0
    while position < len(line):
        char = line[position]
        if char == "\x1b":
            match = _ESCAPE.match(line, position)
            if match is None:  # a lone escape character: drop it
                position += 1
                continue
            if _SGR.fullmatch(match.group()):
                pending += match.group()
            position = match.end()
            continue
        if char == "\r":
            column = 0
        elif char == "\b":
            if column > 0:
                column -= 1
                del cells[column]
        else:
            cell = pending + char
            pending = ""
            if column < len(cells):
                cells[column] = cell
            else:
                cells.append(cell)
            column += 1
        position += 1
    return "".join(cells) + pending


def plain_text(data: dict[str, Any]) -> str:
    """What a notebook shows of a MIME bundle in a terminal: its text/plain."""
    text = data.get("text/plain")
    if isinstance(text, str):
        return text
    kinds = ", ".join(sorted(data)) or "nothing"
    return f"<a display of {kinds}, which a terminal cannot show>"


def result_text(count: int, data: dict[str, Any]) -> str:
    """``Out[n]: value``; a value of several lines starts on the next line, as IPython's."""
    text = plain_text(data)
    prefix = f"Out[{count}]:"
    return f"{prefix}\n{text}" if "\n" in text else f"{prefix} {text}"


@dataclass
class Line:
    """One finished line of output (without its newline)."""

    text: str
    kind: str
    """The stream's name ("stdout", "stderr"), or "result" for results and displays."""
    display_id: str = ""


class Transcript:
    """The outputs of a run (or of a step's blocks, one after the other), in order.

    ``max_chars`` keeps the first characters and counts the rest (a step's record);
    ``keep_lines`` keeps the last lines (a live view).
    """

    def __init__(self, *, max_chars: int | None = None, keep_lines: int | None = None) -> None:
        self.lines: deque[Line] = deque(maxlen=keep_lines)
        self.stream = ""
        """The stream whose line is being written, if one is."""
        self.partial = ""
        """That line so far, raw: a later ``\\r`` may still rewrite it."""
        self.finished = 0
        """How many lines were ever finished here (a view appends the newest)."""
        self.revision = 0
        """Bumped when output shown earlier changed (a clear, a display updated): a view
        that only appends must then draw again from the start."""
        self.dropped = 0
        self._max_chars = max_chars
        self._size = 0
        self._clear_pending = False

    # -- taking output in ---------------------------------------------------
    def add(self, event: Event) -> bool:
        """Take in one session event; False if it is not output."""
        if isinstance(event, ClearOutput):
            if event.wait:
                self._clear_pending = True
            else:
                self._clear()
            return True
        if isinstance(event, Display) and event.update:
            self._update(event.display_id, plain_text(event.data))
            return True
        if not isinstance(event, Output | Display | Result):
            return False
        if self._clear_pending:
            self._clear()
        if isinstance(event, Output):
            self._write(event.stream, event.text)
        elif isinstance(event, Result):
            self._rich(result_text(event.count, event.data), "")
        else:
            self._rich(plain_text(event.data), event.display_id)
        return True

    def _kept(self, text: str) -> str:
        if self._max_chars is None:
            return text
        room = max(self._max_chars - self._size, 0)
        kept = text[:room]
        self._size += len(kept)
        self.dropped += len(text) - len(kept)
        return kept

    def _write(self, stream: str, text: str) -> None:
        text = self._kept(text)
        if not text:
            return
        if stream != self.stream:
            self.end_line()
            self.stream = stream
        text = self.partial + text.replace("\r\n", "\n")
        held = ""
        if text.endswith("\r"):  # the \n of a \r\n may come in the next chunk
            text, held = text[:-1], "\r"
        *done, last = text.split("\n")
        for line in done:
            self._finish(Line(_apply_controls(line), stream))
        self.partial = last + held

    def _rich(self, text: str, display_id: str) -> None:
        text = self._kept(text)
        if not text:
            return
        self.end_line()
        for line in text.rstrip("\n").split("\n"):
            self._finish(Line(line, "result", display_id))

    def end_line(self) -> None:
        """The unfinished line is final (another output starts, or the run ended)."""
        if self.partial:
            self._finish(Line(_apply_controls(self.partial), self.stream))
        self.stream, self.partial = "", ""

    def _finish(self, line: Line) -> None:
        self.lines.append(line)
        self.finished += 1

    def _update(self, display_id: str, text: str) -> None:
        if not display_id or not any(line.display_id == display_id for line in self.lines):
            return
        kept: list[Line] = []
        replaced = False
        for line in self.lines:
            if line.display_id != display_id:
                kept.append(line)
            elif not replaced:  # the first place it stood takes the new text
                replaced = True
                kept += [Line(row, "result", display_id) for row in text.split("\n")]
        self.lines = deque(kept, maxlen=self.lines.maxlen)
        self.revision += 1

    def _clear(self) -> None:
        self.lines.clear()
        self.stream, self.partial = "", ""
        self._clear_pending = False
        self.revision += 1

    # -- showing it ----------------------------------------------------------
    @property
    def current_line(self) -> str:
        """The line being written, as it shows now."""
        return _apply_controls(self.partial)

    def text(self) -> str:
        """Everything, as one text (colours kept: ``strip_ansi`` takes them out)."""
        text = "".join(line.text + "\n" for line in self.lines) + self.current_line
        if self.dropped:
            if text and not text.endswith("\n"):
                text += "\n"
            text += f"… {self.dropped:,} more characters of output not kept\n"
        return text
