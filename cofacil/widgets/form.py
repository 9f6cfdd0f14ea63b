"""A small form modal: labelled fields, a message under each, Save and Cancel.

The form does not know the domain: it hands the values to `apply`, which saves them or raises
`RosterError(field, message)`; the message then shows under that field and nothing is saved.
Escape or the Cancel button closes it (a tablet may have no Escape key: the button is tappable
and Tab reaches it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Select, Static

from cofacil.display import visible
from cofacil.roster import RosterError
from cofacil.storage import StoreError
from cofacil.widgets.plain_text import PlainInput

T = TypeVar("T")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    max_length: int = 0  # 0: none; names are checked on save so a long paste gets a message
    choices: tuple[tuple[str, str], ...] = ()  # (label, value): a Select instead of an Input
    hint: str = ""


def clear_errors(screen: Screen[object]) -> None:
    for error in screen.query(".form-error").results(Static):
        error.update("")
        error.remove_class("-shown")


def show_error(screen: Screen[object], error: RosterError) -> None:
    """The message under its field, and the cursor in that field."""
    message = screen.query_one(f"#error-{error.field}", Static)
    message.update(Text(visible(error.message)))
    message.add_class("-shown")
    screen.query_one(f"#field-{error.field}").focus()


class FormScreen(ModalScreen[T | None], Generic[T]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        fields: list[Field],
        apply: Callable[[dict[str, str]], T],
        save_label: str = "Save",
    ) -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.apply = apply
        self.save_label = save_label

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Static(Text(self.form_title), classes="form-title")
            for field in self.fields:
                yield Label(field.label, classes="form-label")
                if field.choices:
                    yield Select(
                        [(Text(visible(label)), value) for label, value in field.choices],
                        value=field.value,
                        allow_blank=False,
                        compact=True,
                        id=f"field-{field.name}",
                    )
                else:
                    yield PlainInput(
                        field.value,
                        placeholder=field.placeholder,
                        max_length=field.max_length,
                        compact=True,
                        id=f"field-{field.name}",
                    )
                if field.hint:
                    yield Static(Text(field.hint), classes="form-hint")
                yield Static("", classes="form-error", id=f"error-{field.name}")
            with Horizontal(classes="form-buttons"):
                yield Button(self.save_label, variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].name}").focus()

    def values(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#field-{field.name}")
            result[field.name] = str(widget.value)  # type: ignore[attr-defined]
        return result

    def on_input_submitted(self) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        clear_errors(self)
        try:
            result = self.apply(self.values())
        except RosterError as error:
            show_error(self, error)
            return
        except StoreError as error:  # the disk, not the input: say so under the first field
            show_error(self, RosterError(self.fields[0].name, str(error)))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
