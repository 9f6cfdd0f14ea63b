"""The live session: who speaks, for how long, recorded with one key each."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cofacil import dynamics
from cofacil.display import duration, visible
from cofacil.export import participant_name
from cofacil.live import LiveSession
from cofacil.models import COFAC, LEAD


class SessionScreen(Screen[None]):
    BINDINGS = [
        Binding("space", "silence", "Silence"),
        Binding("l", "speak('lead')", "Lead"),
        Binding("c", "speak('cofac')", "Co-fac"),
        Binding("u", "undo", "Undo"),
        Binding("q", "leave", "Leave"),
    ]

    def __init__(self, live: LiveSession) -> None:
        super().__init__()
        self.live = live
        self.hotkeys = live.keys

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="speaker")
        yield DataTable(id="participants", cursor_type="none")
        yield Footer()

    def on_mount(self) -> None:
        session, group = self.live.session, self.live.group
        self.title = f"{group.name} · session {session.number}"
        table = self.query_one("#participants", DataTable)
        table.add_columns("Key", "Who", "Talk", "Turns")
        for key, pid in self.participants():
            table.add_row(*self._row(key, pid, 0.0, 0, speaking=False), key=pid)
        self.redraw()
        self.set_interval(1.0, self.redraw)

    def participants(self) -> list[tuple[str, str]]:
        return [*self.hotkeys.items(), ("l", LEAD), ("c", COFAC)]

    def redraw(self) -> None:
        now = self.live.now()
        turns = dynamics.speaking_turns(self.live.events, now)
        talk: dict[str, float] = {}
        counts: dict[str, int] = {}
        for turn in turns:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.seconds
            counts[turn.speaker] = counts.get(turn.speaker, 0) + 1
        current = turns[-1] if turns and turns[-1].open else None
        group = self.live.group
        if current:
            who = visible(participant_name(group, current.speaker))
            line = f"Speaking: {who}  {duration(current.seconds)}"
        else:
            line = "Silence"
        self.query_one("#speaker", Static).update(Text(line))
        table = self.query_one("#participants", DataTable)
        speaking = current.speaker if current else None
        for key, pid in self.participants():
            row = self._row(key, pid, talk.get(pid, 0.0), counts.get(pid, 0), pid == speaking)
            for column, cell in enumerate(row):
                table.update_cell_at(Coordinate(table.get_row_index(pid), column), cell)

    def _row(self, key: str, pid: str, talk: float, turns: int, speaking: bool) -> list[Text]:
        style = "bold reverse" if speaking else ""
        name = visible(participant_name(self.live.group, pid))
        cells = (key, name, duration(talk), str(turns))
        return [Text(cell, style=style) for cell in cells]

    def on_key(self, event) -> None:
        member = self.hotkeys.get(event.character or "")
        if member is not None:
            event.stop()
            self.live.speak(member)
            self.redraw()

    def action_speak(self, participant: str) -> None:
        self.live.speak(participant)
        self.redraw()

    def action_silence(self) -> None:
        self.live.silence()
        self.redraw()

    def action_undo(self) -> None:
        if self.live.undo() is None:
            self.notify("Nothing left to undo")
        self.redraw()

    def action_leave(self) -> None:
        self.live.close()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.live.close()
