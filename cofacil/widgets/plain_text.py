"""Text fields that never echo a control character to the terminal.

Textual draws a field's text as it is, so an escape sequence pasted into one (a colour, a
screen clear, an OSC 52 clipboard write) would reach the terminal on every redraw. These
fields hold a control character as its picture instead (`␛`, `␀`, `␡`; a C1 control or a
text-direction override as `�`), one character for one, so the cursor stays where it was.

A paste longer than the field's limit is cut at the limit (Textual's own field drops the
whole paste, silently).
"""

from __future__ import annotations

from textual.widgets import Input

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
