"""A multi-line field that never echoes a control character to the terminal (see plain_text.py).

Its own module: Textual's TextArea takes tens of milliseconds to import, and only the member
screen needs it, not the start of a session.
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult, Location

from cofacil.display import pictured, without_controls
from cofacil.widgets.plain_text import typed_text


class PlainTextArea(TextArea):
    """A multi-line field: tabs and line breaks kept, every other control dropped from what is
    typed or pasted (pictured in text the app loads); at most `max_length` characters (0: no
    limit): a paste or key past it is not taken, with a message, never cut."""

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
        return super().edit(edit)

    async def _on_key(self, event: events.Key) -> None:
        text = typed_text(event)  # a joiner, a tag character … that Textual would drop
        if text is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        self._replace_via_keyboard(text, *self.selection)

    def _replace_via_keyboard(
        self, insert: str, start: Location, end: Location
    ) -> EditResult | None:
        """Every key and paste (the terminal's, or ctrl+v) comes this way."""
        if self.read_only:
            return None
        insert = without_controls(insert, keep_lines=True)
        if not insert:  # a paste of control characters only: the selection stays
            return None
        if self.max_length:
            replaced = len(self.get_text_range(start, end))
            if len(self.text) - replaced + len(insert) > self.max_length:
                what = "the paste was not taken" if len(insert) > 1 else "nothing more fits"
                self.notify(
                    f"{self.max_length:,} characters at most: {what}",
                    severity="warning",
                    markup=False,
                )
                return None
        return super()._replace_via_keyboard(insert, start, end)
