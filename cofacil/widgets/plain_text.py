"""Text fields that never echo a control character to the terminal.

Textual draws a field's text as it is, so an escape sequence pasted into one (a colour, a
screen clear, an OSC 52 clipboard write) would reach the terminal on every redraw. These
fields hold a control character as its picture instead (`␛`, `␀`, `␡`; a C1 control or a
text-direction override as `�`), one character for one, so the cursor stays where it was.

A paste longer than the field's limit is cut at the limit (Textual's own field drops the
whole paste, silently).
"""

from __future__ import annotations

from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from cofacil.display import pictured


class PlainInput(Input):
    """A one-line field: its value never holds a control character."""

    def validate_value(self, value: str) -> str:
        return pictured(value)

    def validate__suggestion(self, value: str) -> str:
        """A completion is drawn after the cursor: a name's direction override too."""
        return pictured(value)

    def replace(self, text: str, start: int, end: int) -> None:
        if self.max_length:
            start, end = sorted((max(0, start), min(len(self.value), end)))
            room = self.max_length - (len(self.value) - (end - start))
            if text and room <= 0:
                self.restricted()
                return
            text = text[:room]
        super().replace(text, start, end)


class PlainTextArea(TextArea):
    """A multi-line field: tabs and line breaks kept, every other control pictured; at most
    `max_length` characters (0: no limit), a paste cut there with a message."""

    def __init__(self, text: str = "", *, max_length: int = 0, **kwargs: object) -> None:
        self.max_length = max_length
        text = self._clip(pictured(text, keep_lines=True))
        super().__init__(text, **kwargs)  # type: ignore[arg-type]

    def _clip(self, text: str) -> str:
        return text[: self.max_length] if self.max_length else text

    def load_text(self, text: str) -> None:
        super().load_text(self._clip(pictured(text, keep_lines=True)))

    def edit(self, edit: Edit) -> EditResult:
        edit.text = pictured(edit.text, keep_lines=True)
        if self.max_length and edit.text:
            removed = len(self.get_text_range(edit.from_location, edit.to_location))
            room = max(0, self.max_length - (len(self.text) - removed))
            if len(edit.text) > room:
                edit.text = edit.text[:room]
                self.notify(
                    f"A note holds {self.max_length:,} characters at most: the rest was left out",
                    severity="warning",
                    markup=False,
                )
        return super().edit(edit)
