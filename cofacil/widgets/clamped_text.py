"""Text held to a number of lines, with … where it was cut: a card's phrasing that does not
fit must not seem to end mid-sentence."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual.widget import Widget

from cofacil.widgets.cells import cell_len, cut


def clamp(text: Text, console: Console, width: int, max_lines: int) -> list[Text]:
    """The text wrapped to `width` cells; past `max_lines` lines, the last one kept ends in …
    (cut between two clusters, so it never shows half an emoji)."""
    lines = list(text.wrap(console, max(1, width)))
    if len(lines) <= max_lines:
        return lines
    *kept, last = lines[:max_lines]
    last.rstrip()
    if cell_len(last.plain) >= width:
        last = last[: len(cut(last.plain, width - 1))]
    last.append("…")
    return [*kept, last]


class ClampedText(Widget, can_focus=False):
    DEFAULT_CSS = "ClampedText { height: auto; }"

    def __init__(self, max_lines: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max_lines
        self._text = Text()

    def update(self, text: Text) -> None:
        """Show `text`; the same text again costs nothing, and the screen is laid out again
        only when the number of lines changes (the deck is drawn again on every key)."""
        if text == self._text:
            return
        width = self.content_size.width
        before = len(self._lines(width)) if width else None
        self._text = text
        self.refresh(layout=before is None or len(self._lines(width)) != before)

    def _lines(self, width: int) -> list[Text]:
        return clamp(self._text, self.app.console, width, self.max_lines)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_size.width))
