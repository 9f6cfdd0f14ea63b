"""Text fields that never echo a control character to the terminal.

Textual draws a field's text as it is, so an escape sequence pasted into one (a colour, a
screen clear, an OSC 52 clipboard write) would reach the terminal on every redraw. A paste
here loses its control characters (the rest stays in order); a value set by the app holds
a control character as its picture instead (`␛`, `␀`, `␡`; a C1 control or a text-direction
override as `�`), one character for one, so the cursor stays where it was.

Every character that is not a control is text, and typed as it comes: Textual's own fields
type only what `str.isprintable()` passes, which loses the zero-width joiners of 👨‍👩‍👧 (typed,
or pasted by a terminal that does not mark a paste), ZWNJ, a flag's tag characters, a no-break
or an ideographic space, and any emoji newer than Python's Unicode tables.

A field's limit is never met by cutting: a paste (or a key) that would pass it is not taken,
the text stays as it was, and the field says why with `PlainInput.Refused`.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from cofacil.display import LINE_BREAKS, is_control, pictured, without_controls


def typed_text(event: events.Key) -> str | None:
    """The text a key types that Textual's fields would drop (see above), else None."""
    ch = event.character
    if event.is_printable or not ch or len(ch) != 1 or is_control(ch) or ch in LINE_BREAKS:
        return None
    return ch


class PlainInput(Input):
    """A one-line field: its value never holds a control character."""

    class Refused(Message):
        """Text that would pass the field's limit was not taken; `reason` says so, the limit
        first. Whoever holds the field shows it (the app shows it otherwise)."""

        def __init__(self, field: PlainInput, reason: str) -> None:
            super().__init__()
            self.field = field
            self.reason = reason

        @property
        def control(self) -> PlainInput:
            return self.field

    def validate_value(self, value: str) -> str:
        return pictured(value)

    def validate__suggestion(self, value: str) -> str:
        """A completion is drawn after the cursor: a name's direction override too."""
        return pictured(value)

    async def _on_key(self, event: events.Key) -> None:
        text = typed_text(event)
        if text is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        start, end = sorted(self.selection)
        self.replace(text, start, end)  # as Textual types a key: within the limit, or refused

    def _on_paste(self, event: events.Paste) -> None:
        # Textual's own field keeps a paste's first line only: here its lines join with spaces.
        # Its handler, next in line, must not take the paste again.
        event.stop()
        event.prevent_default()
        self.take_paste(event.text)

    def action_paste(self) -> None:
        self.take_paste(self.app.clipboard)

    def take_paste(self, text: str) -> None:
        """The pasted text, without its control characters, in place of the selection; or,
        if the field cannot hold it all, none of it."""
        text = without_controls(text)
        if not text:
            return
        start, end = sorted(self.selection)
        if self.max_length and len(self.value) - (end - start) + len(text) > self.max_length:
            self.refuse(f"{self.max_length:,} characters at most: the paste was not taken")
            return
        self.replace(text, start, end)

    def restricted(self) -> None:
        # Textual calls this for a key past `max_length`, and rings the terminal bell: never
        # in the room. The field says instead what it holds.
        if self.max_length:
            self.refuse(f"{self.max_length:,} characters at most")

    def refuse(self, reason: str) -> None:
        self.post_message(self.Refused(self, reason))
