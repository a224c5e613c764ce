"""CodeEditor: a Python editor whose tab completes from the session.

Tab after a name (or a dot) asks the app for the kernel's completions: the editor
posts ``CompletionWanted`` and the app answers with ``show_completion``.  A single
match goes in at once; several open a ``CompletionMenu``: up and down choose, enter
or tab takes one, escape (through the app's ``close_menu`` call) or any other key
closes it.  Elsewhere tab indents, as it does in a code editor.

The editor's own keys (arrows, home, ctrl+k, backspace…) run here, in key order.
Textual's ``TextArea`` inserts a typed character as soon as the key reaches it, but
leaves a bound key to bubble up to the app, which runs the binding only once the key
arrives there, behind the rest of a burst of keys: typed fast, or over a slow link,
``home ctrl+k X`` put the X in before the cursor moved and the line was cut.
"""

from __future__ import annotations

import re

from textual import events
from textual.geometry import Offset
from textual.message import Message
from textual.widgets import TextArea

from tutor.session import Completion, CompletionItem
from tutor.tui.widgets.completion_menu import CompletionMenu


class CodeEditor(TextArea):
    """A ``TextArea`` for Python that completes names from the session."""

    class CompletionWanted(Message):
        """Complete ``code`` at ``offset`` (code points from its start)."""

        def __init__(self, editor: CodeEditor, code: str, offset: int) -> None:
            self.editor = editor
            self.code = code
            self.offset = offset
            super().__init__()

    _menu: CompletionMenu | None = None
    _completion: Completion | None = None

    @staticmethod
    def name_at(code: str, offset: int) -> str:
        """The dotted name around ``offset`` in ``code`` ("" where there is none)."""
        before = re.search(r"[\w.]*$", code[:offset])
        after = re.match(r"\w*", code[offset:])
        return (before.group() if before else "") + (after.group() if after else "")

    @property
    def cursor_offset(self) -> int:
        """The cursor as the kernel counts it: code points from the start of ``text``."""
        return self.document.get_index_from_location(self.cursor_location)

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """Enter types a new line here (a key Textual's TextArea does not count as its
        own), so the app's enter binding neither fires nor shows while this has focus."""
        return (key == "enter" and not self.read_only) or super().check_consume_key(key, character)

    def _wants_completion(self) -> bool:
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        return bool(before) and (before[-1].isalnum() or before[-1] in "_.")

    async def _on_key(self, event: events.Key) -> None:
        menu = self._menu
        if menu is not None and menu.is_open:
            if event.key in ("up", "down"):
                event.stop()
                event.prevent_default()
                (menu.action_cursor_up if event.key == "up" else menu.action_cursor_down)()
                return
            if event.key in ("enter", "tab"):
                event.stop()
                event.prevent_default()
                chosen = menu.chosen
                if chosen is not None:
                    self._accept(chosen)
                return
            self.close_menu()
        if event.key == "tab" and not self.read_only and self._wants_completion():
            event.stop()
            event.prevent_default()
            self.post_message(self.CompletionWanted(self, self.text, self.cursor_offset))
            return
        if await self._run_own_binding(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _run_own_binding(self, key: str) -> bool:
        """Run this editor's binding for ``key`` now, as the app would once the key
        reached it; False if it has none that ran (the key then goes on as before)."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            # Priority bindings ran before the key was given to the editor.
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False

    def show_completion(self, completion: Completion) -> bool:
        """Offer the kernel's completion; False when it has no match."""
        self._completion = completion
        if not completion.matches:
            return False
        if len(completion.matches) == 1:
            self._accept(completion.matches[0])
            return True
        if self._menu is None:
            self._menu = CompletionMenu()
            self.screen.mount(self._menu)
        start = self.document.get_location_from_index(completion.start)
        typed = self.cursor_location[1] - start[1] if start[0] == self.cursor_location[0] else 0
        cursor = self.cursor_screen_offset
        at = Offset(max(cursor.x - typed - 1, 0), cursor.y)
        self._menu.open(completion.matches, at, self.screen.size.height)
        return True

    def _accept(self, item: CompletionItem) -> None:
        completion = self._completion
        assert completion is not None
        start = self.document.get_location_from_index(completion.start)
        end = self.document.get_location_from_index(completion.end)
        result = self.replace(item.text, start, end, maintain_selection_offset=False)
        self.move_cursor(result.end_location)
        self.close_menu()

    def close_menu(self) -> bool:
        """Close the completion menu; False if it was not open."""
        if self._menu is None or not self._menu.is_open:
            return False
        self._menu.close()
        self._completion = None
        return True

    @property
    def menu(self) -> CompletionMenu | None:
        """The completion menu, once one was needed."""
        return self._menu

    def on_blur(self) -> None:
        self.close_menu()

    def on_unmount(self) -> None:
        if self._menu is not None:
            self._menu.remove()
