"""Setting up today's session: number and date, theme, planned length, attendance, seats."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from cofacil import roster
from cofacil.display import visible
from cofacil.live import LiveSession
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store, StoreError
from cofacil.widgets.attendance_table import AttendanceTable
from cofacil.widgets.form import clear_errors, show_error
from cofacil.widgets.plain_text import PlainInput


class SetupScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "start", "Start session"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, store: Store, group_id: str) -> None:
        super().__init__()
        self.store = store
        self.group = store.group(group_id)
        self.plan = roster.plan_session(store, self.group)

    def compose(self) -> ComposeResult:
        plan = self.plan
        yield Header()
        with Vertical(id="setup"):
            with Horizontal(classes="setup-row"):
                yield Label(f"Session {plan.number}", id="setup-number")
                yield Label("Date", classes="setup-label")
                yield PlainInput(plan.day.isoformat(), id="field-date", max_length=10, compact=True)
                yield Label("Minutes", classes="setup-label")
                yield PlainInput(
                    str(plan.planned_minutes), id="field-planned", max_length=3, compact=True
                )
            yield Static("", classes="form-error", id="error-date")
            yield Static("", classes="form-error", id="error-planned")
            yield PlainInput(
                placeholder="Theme (optional)",
                id="field-theme",
                max_length=roster.THEME_MAX,
                compact=True,
            )
            yield Static("", classes="form-error", id="error-theme")
            yield Static(
                Text("Attendance · p present  l late  a absent  [ ] move seat"),
                classes="section-title",
            )
            yield AttendanceTable(self.group, plan.seats, plan.attendance, id="attendance")
            with Horizontal(classes="form-buttons"):
                yield Button("Start session", variant="primary", id="start", compact=True)
                yield Button("Back", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = visible(self.group.name)
        self.sub_title = "new session"
        self.query_one(AttendanceTable).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_back()

    def on_input_submitted(self) -> None:
        self.query_one(AttendanceTable).focus()

    def action_start(self) -> None:
        clear_errors(self)
        try:
            self.plan.day = _parse_day(self.query_one("#field-date", Input).value)
            self.plan.planned_minutes = roster.parse_minutes(
                self.query_one("#field-planned", Input).value
            )
            self.plan.theme = self.query_one("#field-theme", Input).value
            if all(status == "absent" for status in self.plan.attendance.values()):
                raise roster.RosterError("date", "Everyone is marked absent")
            session = roster.start_session(self.store, self.group, self.plan)
        except roster.RosterError as error:
            show_error(self, error)
            return
        except StoreError as error:
            show_error(self, roster.RosterError("date", str(error)))
            return
        try:
            live = LiveSession(self.store, session.id)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.app.switch_screen(SessionScreen(live))

    def action_back(self) -> None:
        self.app.pop_screen()


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise roster.RosterError("date", "Date is written YYYY-MM-DD") from None
