"""The one-line input for an observation or a flag, addressed to someone.

`@name` and `#tag` complete as you type (→ or Tab accepts). Enter saves; Escape parks a note
with text in it (the screen keeps it, on disk, to come back to) and cancels an empty one, as
Backspace does on a line nothing was typed in (a tablet keyboard may have no Escape). Typed
letters never reach the screen's keys while this has focus. A note holds `TEXT_MAX` (4,000)
characters: a paste that would pass that is not taken (the line says so and keeps what it
held), never cut; a paste's control characters are dropped, the rest kept in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.suggester import Suggester
from textual.widgets import Input, Static

from cofacil.display import pictured, visible
from cofacil.models import TEXT_MAX
from cofacil.widgets.plain_text import PlainInput


class _Completer(Suggester):
    def __init__(self, complete: Callable[[str], str | None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        return self._complete(value)


class NoteInput(PlainInput):
    """The line's field. Its keys (and pastes) are not handled in its own queue but in the
    screen's, with every other key of the room, in the order typed: a key typed right after
    Enter then waits until the note is saved and the line closed, and is a room key after it
    (in its own queue it would be typed into the note, or act before the save)."""

    def _forward_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)):
            event._set_forwarded()
            self.screen.post_message(event)
        else:
            super()._forward_event(event)

    async def type_key(self, event: events.Key) -> None:
        """The field's own handling of a key, run now: text, arrows, Home, Backspace …"""
        await self._on_key(event)
        if event._no_default_action:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            await self.run_action(binding.action)
            return


# What the empty line says (it goes once typing starts): how to finish, and what it takes.
HINTS = {
    "observation": "what you notice; @name, #tag · Enter saves · Esc parks it",
    "flag": "the concern (may stay empty); #tag · Enter saves · Esc parks it",
    "find": "a card's name · Enter shows it · Esc cancels",
}


class NoteBar(Horizontal):
    # Always one row, open or not: the room above never moves when a note is begun or ended.
    # Closed, the row says what became of the last line (saved, or not).
    DEFAULT_CSS = """
    NoteBar { height: 1; padding: 0 1; }
    NoteBar #note-label, NoteBar #note-input, NoteBar #note-limit { display: none; }
    NoteBar.-open #note-label, NoteBar.-open #note-input, NoteBar.-open #note-limit {
        display: block;
    }
    NoteBar.-open #note-idle { display: none; }
    NoteBar #note-idle { width: 1fr; color: $text-muted; }
    NoteBar #note-label { width: auto; padding-right: 1; text-style: bold; }
    NoteBar.-flag #note-label { color: $error; }
    NoteBar #note-input { width: 1fr; }
    NoteBar #note-limit { color: $warning; width: auto; }
    """

    @dataclass(frozen=True)
    class Done:
        """The line was closed by a key: `text` to save (None: nothing to save); `parked`:
        Escape closed it with text in it, which is kept to come back to."""

        kind: str
        text: str | None
        parked: bool = False

    def __init__(self, complete: Callable[[str], str | None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._complete = complete
        self.kind = "observation"
        self._typed = False  # something was typed since the line opened
        self._label = "Note"
        self._about = ""
        self.acknowledged = ""  # what the idle line says of the line last closed

    def compose(self) -> ComposeResult:
        yield Static(id="note-label")
        yield NoteInput(
            max_length=TEXT_MAX,  # a paste or key past it is refused (PlainInput), not cut
            # Keys typed before the line has focus are already in it: selecting them all on
            # focus would let the next key replace them ("oshares about work" saved as "rk").
            select_on_focus=False,
            suggester=_Completer(self._complete),
            compact=True,
            id="note-input",
        )
        yield Static(id="note-limit")
        yield Static(id="note-idle")

    def on_mount(self) -> None:
        self.query_one(NoteInput).can_focus = False

    def open(self, kind: str, about: str, text: str = "") -> None:
        """Open the line for a note of `kind` about `about`; `text`: a parked note, back."""
        self.kind = kind
        self._label = {"flag": "⚑ Flag", "find": "Find card"}.get(kind, "Note")
        self._about = f" · {visible(about)}" if about else ""
        self.query_one("#note-label", Static).update(Text(self._label + self._about))
        self.query_one("#note-limit", Static).update("")
        self.query_one(NoteInput).placeholder = HINTS.get(kind, HINTS["observation"])
        self.set_class(kind == "flag", "-flag")
        self.add_class("-open")
        field = self.query_one(NoteInput)
        field.value = text
        field.cursor_position = len(text)
        self._typed = bool(text)
        field.can_focus = True
        field.focus()

    def refocus(self) -> None:
        """After a tap elsewhere (a seat): typing goes on into the open line."""
        if self.is_open:
            self.query_one(NoteInput).focus()

    @property
    def value(self) -> str:
        return self.query_one(NoteInput).value

    def acknowledge(self, message: str) -> None:
        """What became of the line just closed, shown in its place until the next one."""
        self.acknowledged = message
        self.query_one("#note-idle", Static).update(
            Text(message, no_wrap=True, overflow="ellipsis")
        )

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def holds_text(self) -> bool:
        """Open with something written in it (leaving now would drop it)."""
        return self.is_open and bool(self.query_one(NoteInput).value.strip())

    async def take(self, event: events.Key | events.Paste) -> NoteBar.Done | None:
        """A key (or paste) for the open line, in the order typed. Enter and Escape close it
        here and now, and say what to save; the screen saves it before the next key."""
        field = self.query_one(NoteInput)
        self._typed = self._typed or bool(field.value)
        if isinstance(event, events.Paste):
            field._on_paste(event)
            return None
        # Backspace cancels only a line nothing was typed in (an `o` pressed by mistake): one
        # Backspace too many while clearing a note must not send the next word to the room.
        if event.key == "escape" or (event.key == "backspace" and not self._typed):
            # Escape never throws away what was written: the note is parked, to come back to.
            parked = event.key == "escape" and bool(field.value.strip()) and self.kind != "find"
            self.close()
            return self.Done(self.kind, None, parked=parked)
        if event.key == "enter":
            text = field.value.strip()
            self.close()
            empty = not text and self.kind != "flag"  # an empty flag still marks the moment
            return self.Done(self.kind, None if empty else text)
        if event.key == "tab" and not field.cursor_at_end:
            return None  # Tab never leaves the line (nor types a tab into a note)
        if event.key in ("right", "tab") and field.cursor_at_end:
            # → or Tab takes the completion now; the field's own suggestion may not have
            # arrived yet. A Tab with nothing to complete does nothing.
            completed = self._complete(field.value)
            if completed and len(completed) > TEXT_MAX:
                field.refuse(f"{TEXT_MAX:,} characters at most: the name does not fit")
                return None
            if completed:
                field.value = pictured(completed)
                field.cursor_position = len(field.value)
                return None
            if event.key == "tab":
                return None
        await field.type_key(event)
        return None

    def close(self) -> None:
        self.remove_class("-open")
        field = self.query_one(NoteInput)
        field.value = ""
        field.can_focus = False  # closed, it must never catch the co-facilitator's keys
        self.screen.set_focus(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        full = len(event.value) >= TEXT_MAX
        self._show_limit(f"{TEXT_MAX:,} characters at most" if full else "")

    def on_plain_input_refused(self, event: PlainInput.Refused) -> None:
        # Shown in the line itself, not as a toast over the room; it goes with the next edit.
        event.stop()
        self._show_limit(event.reason)

    def _show_limit(self, message: str) -> None:
        self.query_one("#note-limit", Static).update(Text(message))
        # With a message, the name gives way, so the message has room.
        label = self._label if message else self._label + self._about
        self.query_one("#note-label", Static).update(Text(label))
