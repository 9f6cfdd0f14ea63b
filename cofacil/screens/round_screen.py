"""Start a go-round: check-in, check-out or a plain round, with an optional time budget."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

KINDS = {"i": "check-in", "o": "check-out", "r": "round"}


class RoundScreen(ModalScreen[tuple[str, int | None] | None]):
    """Dismisses with (kind, budget seconds or None), or None if cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self.minutes = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Static(Text("Go-round"), classes="form-title")
            yield Static(id="round-budget")
            yield Static(
                Text(
                    "i check-in · o check-out · r round\n"
                    "1–9: minutes per person · 0: no budget · Escape cancels"
                ),
                classes="form-hint",
            )

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        budget = f"{self.minutes} min each" if self.minutes else "no time budget"
        for line in self.query("#round-budget").results(Static):  # none yet: a key came early
            line.update(Text(f"Budget: {budget}"))

    def on_key(self, event: events.Key) -> None:
        event.stop()
        if event.key in ("escape", "backspace"):
            self.dismiss(None)
        elif event.character and event.character.isdigit():
            self.minutes = int(event.character)
            self._show()
        elif event.character in KINDS:
            self.dismiss((KINDS[event.character], self.minutes * 60 or None))
