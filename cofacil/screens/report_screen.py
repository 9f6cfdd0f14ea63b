"""A past session's report, read-only: the md export, as the lead therapist would file it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from cofacil import export
from cofacil.library import load_library
from cofacil.storage import Store


class ReportScreen(Screen[None]):
    BINDINGS = [Binding("escape,b", "back", "Back", key_display="b")]

    def __init__(self, store: Store, session_id: str) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        session = self.store.session(self.session_id)
        group = self.store.group(session.group_id)
        events = self.store.read_events(session.id)
        report = export.to_markdown(
            group,
            session,
            events,
            quiet_seconds=load_library(self.store).nudges.quiet_seconds,
            until=self.store.left_open_at(session.id, events),
        )
        yield Header()
        yield MarkdownViewer(report, show_table_of_contents=False, open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Session {self.store.session(self.session_id).number}"
        self.sub_title = "report"

    def action_back(self) -> None:
        self.app.pop_screen()
