"""A group: its facilitators, the roster with seats and keys, and its past sessions."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cofacil import dynamics, roster
from cofacil.display import duration, visible
from cofacil.live import LiveSession, SessionView, unfinished_session
from cofacil.models import GROUP_KIND_LABELS, EventBase, Group, Member, Session, SessionEnded
from cofacil.record import signed_off
from cofacil.screens.group_form import group_form
from cofacil.screens.member_form import member_form
from cofacil.screens.session_screen import SessionScreen
from cofacil.screens.setup_screen import SetupScreen
from cofacil.storage import SessionLocked, Store, StoreError


class GroupScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,b", "back", "Back", key_display="b"),
        Binding("s", "setup", "New session"),
        Binding("r", "resume", "Resume"),
        Binding("a", "add_member", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("x", "toggle_left", "Left group"),
        Binding("left_square_bracket", "move(-1)", "Seat up", key_display="["),
        Binding("right_square_bracket", "move(1)", "Seat down", key_display="]"),
        Binding("g", "edit_group", "Edit group"),
    ]

    def __init__(self, store: Store, group_id: str) -> None:
        super().__init__()
        self.store = store
        self.group_id = group_id
        self.unfinished: str | None = None  # a session still open, to resume

    @property
    def group(self) -> Group:
        return self.store.group(self.group_id)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="group-facts")
        with Vertical(id="group-body"):
            yield Static(Text("Members · initials or a pseudonym will do"), classes="section-title")
            yield DataTable(id="roster", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Past sessions · Enter opens the review"), classes="section-title")
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        members = self.query_one("#roster", DataTable)
        members.add_columns("Key", "Name", "Pronouns")
        members.add_column("Note", width=24)
        members.add_column("")
        sessions = self.query_one("#sessions", DataTable)
        for label, width in (
            ("No.", 4),
            ("Date", 10),
            ("Length", 8),
            ("Attended", 8),
            ("Signed off", 10),
        ):
            sessions.add_column(label, width=width)
        self.refresh_group()  # the past sessions load when the screen shows (ScreenResume)
        members.focus()

    def on_screen_resume(self) -> None:
        self.refresh_group()
        self._load_sessions()

    def refresh_group(self, select: str | None = None) -> None:
        if not self.query("#roster"):
            return  # not composed yet (a resume before mount): on_mount fills it
        group = self.group
        self.title = visible(group.name)
        self.sub_title = GROUP_KIND_LABELS[group.kind]
        facts = f"Lead: {visible(group.lead)}   Co-facilitator: {visible(group.cofac)}"
        self.query_one("#group-facts", Static).update(Text(facts))
        table = next(self.query("#roster").results(DataTable), None)
        if table is None or not table.columns:
            return  # not composed or mounted yet: on_mount fills it
        keep = select or self._selected_key(table)
        table.clear()
        for member in group.seated():
            style = "" if member.active else "dim"
            table.add_row(
                Text(member.hotkey or "—", style=style),
                Text(visible(member.name), style=style),
                Text(visible(member.pronouns), style=style),
                Text(visible(member.note), style=style, overflow="ellipsis", no_wrap=True),
                Text("" if member.active else "left the group", style=style),
                key=member.id,
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))

    class SessionsLoaded(Message):
        def __init__(
            self, rows: list[tuple[str, list[Text]]], unfinished: str | None, problems: list[str]
        ) -> None:
            super().__init__()
            self.rows = rows
            self.unfinished = unfinished
            self.problems = problems  # sessions whose log could not be read, and why

    @work(thread=True, exclusive=True, group="sessions")
    def _load_sessions(self) -> None:
        """A year of sessions means reading a year of logs: off the UI thread. A log that
        cannot be read is one row that says so; the others are listed as ever."""
        rows: list[tuple[str, list[Text]]] = []
        problems: list[str] = []
        for session in reversed(self.store.sessions(self.group_id)):
            try:
                events: list[EventBase] | None = self.store.read_events(session.id)
            except StoreError as error:
                events = None
                problems.append(f"session {session.number}: {error}")
            rows.append((session.id, self._session_row(session, events)))
        try:
            unfinished = unfinished_session(self.store, self.group_id)
        except StoreError:
            unfinished = None  # said above, with its session
        self.post_message(
            self.SessionsLoaded(rows, unfinished.id if unfinished else None, problems)
        )

    def on_group_screen_sessions_loaded(self, message: SessionsLoaded) -> None:
        table = next(self.query("#sessions").results(DataTable), None)
        if table is None or not table.columns:
            return
        table.clear()
        for session_id, row in message.rows:
            table.add_row(*row, key=session_id)
        self.unfinished = message.unfinished
        self.refresh_bindings()
        for problem in message.problems:
            self.notify(
                visible(problem), title="Cannot read", severity="error", timeout=20, markup=False
            )

    @staticmethod
    def _session_row(session: Session, events: list[EventBase] | None) -> list[Text]:
        """A session's row; `events` None: its log cannot be read, and the row says so."""
        present = sum(a.present for a in session.attendance.values())
        if events is None:
            length, signed = Text("cannot be read", "bold red", overflow="ellipsis"), "?"
        else:
            ended = any(isinstance(e, SessionEnded) for e in events)
            shown = duration(dynamics.timeline(events).end) if events else "—"
            length = Text(shown if ended else "open")
            signed = "yes" if signed_off(events) is not None else "no"
        return [
            Text(str(session.number)),
            Text(session.date.isoformat()),
            length,
            Text(f"{present}/{len(session.attendance)}"),
            Text(signed),
        ]

    @staticmethod
    def _selected_key(table: DataTable) -> str | None:
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected_member(self) -> Member | None:
        table = next(self.query("#roster").results(DataTable), None)
        key = self._selected_key(table) if table is not None else None  # (built yet?)
        return self.group.member(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            return self.unfinished is not None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "sessions" and event.row_key.value:
            session_id = event.row_key.value
            if session_id == self.unfinished:
                self._open_live(session_id)
            else:
                from cofacil.screens.review_screen import ReviewScreen

                self.app.push_screen(ReviewScreen(SessionView(self.store, session_id)))
        elif event.data_table.id == "roster":
            self.action_edit()

    def _after_form(self, group: Group | None) -> None:
        if group is not None:
            self.refresh_group()

    def action_add_member(self) -> None:
        def added(group: Group | None) -> None:
            if group is not None:
                self.refresh_group(
                    select=group.seated()[sum(m.active for m in group.members) - 1].id
                )

        self.app.push_screen(member_form(self.store, self.group, None), added)

    def action_edit(self) -> None:
        member = self.selected_member()
        if member is not None:
            self.app.push_screen(member_form(self.store, self.group, member), self._after_form)

    def action_edit_group(self) -> None:
        self.app.push_screen(group_form(self.store, self.group), self._after_form)

    def action_toggle_left(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        try:
            roster.set_left(self.store, self.group, member.id, left=member.active)
        except (roster.RosterError, StoreError) as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        self.refresh_group(select=member.id)

    def action_move(self, steps: int) -> None:
        member = self.selected_member()
        if member is not None and member.active:
            try:
                roster.move_member(self.store, self.group, member.id, steps)
            except StoreError as error:
                self.notify(str(error), severity="warning", markup=False)
            self.refresh_group(select=member.id)

    def action_setup(self) -> None:
        if not any(m.active for m in self.group.members):
            self.notify("Add the group's members first (a)", markup=False)
            return
        self.app.push_screen(SetupScreen(self.store, self.group_id))

    def action_resume(self) -> None:
        if self.unfinished is not None:
            self._open_live(self.unfinished)

    def _open_live(self, session_id: str) -> None:
        view: SessionView
        try:
            view = LiveSession(self.store, session_id)
        except SessionLocked:
            # Recorded in another window (the co-facilitator's): follow it, read-only.
            view = SessionView(self.store, session_id)
            self.notify("Recorded in another window: following it read-only", markup=False)
        except StoreError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        self.app.push_screen(SessionScreen(view))

    def action_back(self) -> None:
        self.app.pop_screen()
