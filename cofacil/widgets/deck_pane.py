"""The technique deck on the live screen: the current card, a suggestion when one fits."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical

from cofacil.display import visible
from cofacil.live_view import DeckState
from cofacil.widgets.clamped_text import ClampedText
from cofacil.widgets.shown_text import ShownText


class DeckPane(Vertical, can_focus=False):
    DEFAULT_CSS = """
    DeckPane { height: auto; max-height: 8; padding: 0 1; border-top: hkey $foreground 20%; }
    DeckPane #deck-purpose { display: none; }
    DeckPane #deck-more { display: none; color: $text-muted; }
    DeckPane #deck-used { max-height: 1; }
    DeckPane #deck-nudge { color: $warning; text-style: bold; }
    DeckPane #deck-title { text-style: bold; }
    DeckPane #deck-purpose { color: $text-muted; }
    DeckPane #deck-used { color: $text-muted; }
    """

    def compose(self):
        yield ShownText(id="deck-nudge")
        yield ShownText(id="deck-title")
        yield ClampedText(2, id="deck-purpose")
        yield ClampedText(3, id="deck-phrasing")
        yield ClampedText(3, id="deck-more")
        yield ShownText(id="deck-used")

    def show(self, state: DeckState) -> None:
        card = state.card
        nudge = self.query_one("#deck-nudge", ShownText)
        nudge.show(Text(f"➜ {visible(state.nudge)} · t use · x dismiss") if state.nudge else "")
        nudge.display = bool(state.nudge)
        title = f"{visible(card.name)}  [{state.position}/{state.total}]"
        self.query_one("#deck-title", ShownText).show(Text(title))
        self.query_one("#deck-purpose", ClampedText).update(Text(visible(card.purpose)))
        shown = card.phrasing(state.name, state.phrasing)
        self.query_one("#deck-phrasing", ClampedText).update(Text(f"“{visible(shown)}”"))
        more = card.others(shown, state.name)[:2]
        self.query_one("#deck-more", ClampedText).update(
            Text("\n".join(f"“{visible(p)}”" for p in more))
        )
        used = self.query_one("#deck-used", ShownText)
        used.show(Text("Used: " + visible(", ".join(state.used))) if state.used else "")
        used.display = bool(state.used)
