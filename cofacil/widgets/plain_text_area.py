"""A multi-line field that never echoes a control character to the terminal (see plain_text.py).

Its own module: Textual's TextArea takes tens of milliseconds to import, and only the member
screen needs it, not the start of a session.
"""

from __future__ import annotations

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from cofacil.display import pictured


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
