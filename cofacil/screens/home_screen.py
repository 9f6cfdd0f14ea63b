"""Home: the groups, and the way into a live session."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cofacil.display import visible
from cofacil.live import LiveSession, new_session, unfinished_session
from cofacil.models import GROUP_KIND_LABELS
from cofacil.screens.session_screen import SessionScreen
from cofacil.store import Store, StoreError

FIRST_RUN = "No groups yet. Try the demo group: quit (q) and run  cofacil demo"


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open_group", "Open session", show=True),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="home-hint")
        yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#groups", DataTable)
        table.add_column("Group", width=24)
        table.add_columns("Kind", "People", "Sessions", "Last")
        self.refresh_groups()

    def on_screen_resume(self) -> None:
        self.refresh_groups()

    def refresh_groups(self) -> None:
        table = self.query_one("#groups", DataTable)
        table.clear()
        groups = self.store.groups()
        for group in groups:
            sessions = self.store.sessions(group.id)
            last = max((s.date for s in sessions), default=None)
            table.add_row(
                Text(visible(group.name), overflow="ellipsis", no_wrap=True),
                Text(GROUP_KIND_LABELS[group.kind].split(" /")[0].split(" (")[0]),
                Text(str(sum(m.active for m in group.members))),
                Text(str(len(sessions))),
                Text(last.isoformat() if last else "—"),
                key=group.id,
            )
        hint = self.query_one("#home-hint", Static)
        hint.update(Text(FIRST_RUN if not groups else "Enter: open the group's session"))

    def action_open_group(self) -> None:
        table = self.query_one("#groups", DataTable)
        if table.row_count == 0:
            return
        group_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if group_id is None:
            return
        try:
            live = LiveSession(self.store, self._open_or_new_session(group_id))
        except StoreError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        self.app.push_screen(SessionScreen(live))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_group()

    def _open_or_new_session(self, group_id: str) -> str:
        """Resume the group's session still in progress, or begin the next one today."""
        session = unfinished_session(self.store, group_id)
        return (session or new_session(self.store, self.store.group(group_id))).id
