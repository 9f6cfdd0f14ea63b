"""Text held to its lines shows … where it was cut, and nothing when it fits."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from cofacil.widgets.clamped_text import ClampedText

LONG = "Omar, you looked as if something struck you just then; would you like to come in?"


class OneText(App[None]):
    def compose(self) -> ComposeResult:
        yield ClampedText(2, id="text")


async def test_cut_text_ends_with_an_ellipsis_and_short_text_does_not() -> None:
    app = OneText()
    async with app.run_test(size=(30, 10)) as pilot:
        text = app.query_one(ClampedText)
        text.update(Text(LONG))
        await pilot.pause()
        lines = str(text.render()).splitlines()
        assert len(lines) == 2 == text.size.height
        assert lines[-1].endswith("…") and len(lines[-1]) <= 30
        text.update(Text("Thank you."))
        await pilot.pause()
        assert str(text.render()) == "Thank you." and text.size.height == 1
