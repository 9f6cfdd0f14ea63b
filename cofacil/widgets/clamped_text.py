"""Text held to a number of lines, with … where it was cut: a card's phrasing that does not
fit must not seem to end mid-sentence."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget


class ClampedText(Widget, can_focus=False):
    DEFAULT_CSS = "ClampedText { height: auto; }"

    def __init__(self, max_lines: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max_lines
        self._text = Text()

    def update(self, text: Text) -> None:
        self._text = text
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        lines = list(self._text.wrap(self.app.console, max(1, width)))
        if len(lines) <= self.max_lines:
            return lines
        kept = lines[: self.max_lines]
        last = kept[-1]
        last.rstrip()
        if cell_len(last.plain) >= width:
            last.truncate(width - 1)
        last.append("…")
        return kept

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_size.width))
