"""The one-line input for an observation or a flag, addressed to someone.

`@name` and `#tag` complete as you type (→ accepts). Enter saves; Escape, or Backspace on an
empty line, cancels (a tablet keyboard may have no Escape). Typed letters never reach the
screen's keys while this has focus. A note holds `TEXT_MAX` (4,000) characters: a longer paste
is cut there and the line says so; a pasted control character shows as its picture (␛).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from cofacil.display import visible
from cofacil.models import TEXT_MAX
from cofacil.widgets.plain_text import PlainInput


class _Completer(Suggester):
    def __init__(self, complete: Callable[[str], str | None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        return self._complete(value)


class NoteInput(PlainInput):
    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape" or (event.key == "backspace" and not self.value):
            event.stop()
            event.prevent_default()
            self.post_message(NoteBar.Cancelled())
            return
        await super()._on_key(event)


class NoteBar(Horizontal):
    DEFAULT_CSS = """
    NoteBar { height: auto; display: none; padding: 0 1; }
    NoteBar.-open { display: block; }
    NoteBar #note-label { width: auto; padding-right: 1; text-style: bold; }
    NoteBar.-flag #note-label { color: $error; }
    NoteBar #note-input { width: 1fr; }
    NoteBar #note-limit { color: $warning; width: auto; }
    """

    class Saved(Message):
        def __init__(self, kind: str, text: str) -> None:
            super().__init__()
            self.kind = kind
            self.text = text

    class Cancelled(Message):
        pass

    def __init__(self, complete: Callable[[str], str | None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._complete = complete
        self.kind = "observation"
        self._label = "Note"
        self._about = ""

    def compose(self) -> ComposeResult:
        yield Static(id="note-label")
        yield NoteInput(
            max_length=TEXT_MAX,
            suggester=_Completer(self._complete),
            compact=True,
            id="note-input",
        )
        yield Static(id="note-limit")

    def on_mount(self) -> None:
        self.query_one(NoteInput).can_focus = False

    def open(self, kind: str, about: str) -> None:
        self.kind = kind
        self._label = {"flag": "⚑ Flag", "find": "Find card"}.get(kind, "Note")
        self._about = f" · {visible(about)}" if about else ""
        self.query_one("#note-label", Static).update(Text(self._label + self._about))
        self.query_one("#note-limit", Static).update("")
        self.set_class(kind == "flag", "-flag")
        self.add_class("-open")
        field = self.query_one(NoteInput)
        field.value = ""
        field.can_focus = True
        field.focus()

    @property
    def typing(self) -> bool:
        """The line has focus: keys reach it (and its own Enter, arrows) directly."""
        return self.query_one(NoteInput).has_focus

    async def take(self, event: events.Key) -> None:
        """A key that reached the screen while the line is open (typed before the line had
        focus): it belongs here, in order."""
        field = self.query_one(NoteInput)
        field.focus()
        if event.key == "escape" or (event.key == "backspace" and not field.value):
            self.post_message(self.Cancelled())
        elif event.key == "enter":
            await field.action_submit()
        elif event.key == "backspace":
            field.action_delete_left()
        elif event.is_printable and event.character:
            field.insert_text_at_cursor(event.character)

    def close(self) -> None:
        self.remove_class("-open")
        field = self.query_one(NoteInput)
        field.value = ""
        field.can_focus = False  # closed, it must never catch the co-facilitator's keys
        self.screen.set_focus(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        full = len(event.value) >= TEXT_MAX
        limit = f"{TEXT_MAX:,} characters at most" if full else ""
        self.query_one("#note-limit", Static).update(Text(limit))
        # Full (a long paste is cut there), the name gives way, so the message has room.
        label = self._label if full else self._label + self._about
        self.query_one("#note-label", Static).update(Text(label))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text and self.kind != "flag":
            self.post_message(self.Cancelled())
            return
        self.post_message(self.Saved(self.kind, text))
