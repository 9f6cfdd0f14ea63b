"""A line of text on the live screen that costs a frame only when what it says changes.

The live screen draws its timer and deck again on every key and every second, most of it
unchanged. Textual's `Static.update` redraws, and lays the whole screen out again, even for the
same words; a layout is the better part of a frame. `ShownText.show` skips what is already on
screen and asks for a layout only when the text's height at its width changes.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ShownText(Static):
    def __init__(self, content: Text | str = "", **kwargs: object) -> None:
        super().__init__(content, **kwargs)  # type: ignore[arg-type]
        self._said: Text | str = content

    def show(self, content: Text | str) -> None:
        if type(content) is type(self._said) and content == self._said:
            return  # Text compares its characters and styles
        width = self.content_region.width
        before = self.visual.get_height(self.styles, width) if width else None
        self._said = content
        self.update(content, layout=False)
        if before is None or self.visual.get_height(self.styles, width) != before:
            self.refresh(layout=True)
