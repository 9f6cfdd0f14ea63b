"""A past session's report, read-only: the md export, as the lead therapist would file it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from cofacil.live import SessionView


class ReportScreen(Screen[None]):
    BINDINGS = [Binding("escape,b", "back", "Back", key_display="b")]

    def __init__(self, view: SessionView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield Header()
        # As filed: the same text as the md export (frozen once signed off).
        yield MarkdownViewer(
            self.view.rendered("md"), show_table_of_contents=False, open_links=False
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Session {self.view.session.number}"
        self.sub_title = "report"

    def action_back(self) -> None:
        self.app.pop_screen()
