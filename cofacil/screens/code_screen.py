"""A one-key code: the scheme's codes, one key each; a member's key first chooses whom."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from cofacil.display import visible
from cofacil.schemes import Scheme


class CodeScreen(ModalScreen[tuple[str, str | None] | None]):
    """Dismisses with (code id, member id or None for the speaker), or None if cancelled."""

    def __init__(
        self, scheme: Scheme, about: str | None, keys: dict[str, str], names: dict[str, str]
    ) -> None:
        super().__init__()
        self.scheme = scheme
        self.about = about
        self.keys = keys
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Static(id="code-title", classes="form-title")
            lines = [f"{c.key}  {c.label}" for c in self.scheme.codes]
            yield Static(Text("\n".join(lines)))
            yield Static(
                Text("a member's key first: about them · Escape cancels"), classes="form-hint"
            )

    def on_mount(self) -> None:
        self._title()

    def _title(self) -> None:
        who = visible(self.names.get(self.about, "")) if self.about else "the group"
        self.query_one("#code-title", Static).update(Text(f"{self.scheme.name} · about {who}"))

    def on_key(self, event: events.Key) -> None:
        event.stop()
        if event.key in ("escape", "backspace"):
            self.dismiss(None)
        elif event.character in self.keys:
            self.about = self.keys[event.character]
            self._title()
        elif event.character and (code := self.scheme.by_key(event.character)):
            self.dismiss((code.id, self.about))
