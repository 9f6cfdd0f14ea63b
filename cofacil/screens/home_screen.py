"""Home: the groups. Create, edit, archive, and open one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cofacil import roster
from cofacil.display import visible
from cofacil.models import GROUP_KIND_LABELS, Group
from cofacil.screens.group_form import group_form
from cofacil.screens.group_screen import GroupScreen
from cofacil.storage import Store

FIRST_RUN = "No groups yet. Press n to create one, or quit (q) and try:  cofacil demo"


def short_kind(kind: str) -> str:
    return GROUP_KIND_LABELS[kind].split(" /")[0].split(" (")[0]


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open_group", "Open", show=False),
        Binding("n", "new_group", "New group"),
        Binding("e", "edit_group", "Edit"),
        Binding("a", "archive", "Archive"),
        Binding("h", "toggle_archived", "Show archived"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.show_archived = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="home-hint")
        yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Groups"
        table = self.query_one("#groups", DataTable)
        table.add_column("Group", width=26)
        table.add_columns("Kind", "Members", "Sessions", "Last")
        self.refresh_groups()

    def on_screen_resume(self) -> None:
        self.refresh_groups()

    def refresh_groups(self, select: str | None = None) -> None:
        tables = self.query("#groups").results(DataTable)
        table = next(tables, None)
        if table is None or not table.columns:
            return  # called before the screen was ready (a resume, an early key): on_mount fills it
        table.clear()
        groups = self.store.groups(include_archived=self.show_archived)
        for group in sorted(groups, key=lambda g: (g.archived, g.name.casefold())):
            sessions = self.store.sessions(group.id)
            last = max((s.date for s in sessions), default=None)
            style = "dim" if group.archived else ""
            name = visible(group.name) + (" (archived)" if group.archived else "")
            table.add_row(
                Text(name, style=style, overflow="ellipsis", no_wrap=True),
                Text(short_kind(group.kind), style=style),
                Text(str(sum(m.active for m in group.members)), style=style),
                Text(str(len(sessions)), style=style),
                Text(last.isoformat() if last else "—", style=style),
                key=group.id,
            )
        if select is not None and select in table.rows:
            table.move_cursor(row=table.get_row_index(select))
        hint = "Enter: open a group   n: new group" if groups else FIRST_RUN
        self.query_one("#home-hint", Static).update(Text(hint))

    def selected(self) -> Group | None:
        table = next(self.query("#groups").results(DataTable), None)
        if table is None or table.row_count == 0:  # (a key typed before the screen was built)
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.store.group(key) if key else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_group()

    def action_open_group(self) -> None:
        group = self.selected()
        if group is not None:
            self.app.push_screen(GroupScreen(self.store, group.id))

    def action_new_group(self) -> None:
        def created(group: Group | None) -> None:
            if group is not None:
                self.refresh_groups(select=group.id)
                self.app.push_screen(GroupScreen(self.store, group.id))

        self.app.push_screen(group_form(self.store, None), created)

    def action_edit_group(self) -> None:
        group = self.selected()
        if group is not None:
            self.app.push_screen(
                group_form(self.store, group),
                lambda changed: changed and self.refresh_groups(select=changed.id),
            )

    def action_archive(self) -> None:
        group = self.selected()
        if group is None:
            return
        roster.set_archived(self.store, group, not group.archived)
        word = "Restored" if group.archived else "Archived"
        self.notify(Text(f"{word} {visible(group.name)}").plain, markup=False)
        self.refresh_groups(select=group.id)

    def action_toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
        self.refresh_groups()
