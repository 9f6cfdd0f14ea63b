"""Sign the session off: the record is locked afterwards; only addenda can follow."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cofacil.models import NAME_MAX
from cofacil.widgets.plain_text import PlainInput


class SignOffScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, lead: str, undone: list[str] | None = None) -> None:
        super().__init__()
        self.lead = lead
        self.undone = undone or []  # what would be locked unfinished, said before signing

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Static(Text("Sign the session off?"), classes="form-title")
            yield Static(
                Text(
                    "The record is then locked: later remarks are addenda, each with "
                    "its author and time, never edits. Member notes lock with it."
                )
            )
            if self.undone:
                yield Static(
                    Text("Not done yet: " + "; ".join(self.undone) + "."),
                    id="sign-undone",
                    classes="form-warning",
                )
            yield Static(Text("Signed by"), classes="form-label")
            yield PlainInput(self.lead, id="sign-name", max_length=NAME_MAX, compact=True)
            with Horizontal(classes="form-buttons"):
                yield Button("Sign off", variant="primary", id="sign", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self) -> None:
        self._sign()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sign":
            self._sign()
        else:
            self.dismiss(None)

    def _sign(self) -> None:
        name = self.query_one(Input).value.strip()
        if name:
            self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
