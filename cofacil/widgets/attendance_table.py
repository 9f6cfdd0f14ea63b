"""Today's seats and attendance, edited with one key per change while the table has focus."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from cofacil.display import visible
from cofacil.models import SEAT_KEYS, Group

STATUS_LABELS = {"present": "present", "late": "late", "absent": "absent"}


class AttendanceTable(DataTable):
    BINDINGS = [
        Binding("p", "mark('present')", "Present"),
        Binding("l", "mark('late')", "Late"),
        Binding("a", "mark('absent')", "Absent"),
        Binding("left_square_bracket", "move(-1)", "Seat up", key_display="["),
        Binding("right_square_bracket", "move(1)", "Seat down", key_display="]"),
    ]

    class Changed(Message):
        """Seats or attendance changed; the screen holds the plan."""

    def __init__(self, group: Group, seats: list[str], attendance: dict[str, str], **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.group = group
        self.seats = seats
        self.attendance = attendance

    def on_mount(self) -> None:
        self.add_columns("Key", "Member", "Today")
        self.redraw()

    def redraw(self, select: str | None = None) -> None:
        keep = select or (
            self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
            if self.row_count
            else None
        )
        self.clear()
        for i, member_id in enumerate(self.seats):
            status = self.attendance[member_id]
            style = "dim" if status == "absent" else ""
            self.add_row(
                Text(SEAT_KEYS[i], style=style),
                Text(visible(self.group.member(member_id).name), style=style),
                Text(STATUS_LABELS[status], style="bold" if status == "late" else style),
                key=member_id,
            )
        if keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep))

    def _current(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def action_mark(self, status: str) -> None:
        member = self._current()
        if member is not None:
            self.attendance[member] = status
            self.redraw(select=member)
            if self.cursor_row < self.row_count - 1:
                self.move_cursor(row=self.cursor_row + 1)  # on to the next person
            self.post_message(self.Changed())

    def action_move(self, steps: int) -> None:
        member = self._current()
        if member is None:
            return
        index = self.seats.index(member)
        target = max(0, min(len(self.seats) - 1, index + steps))
        self.seats.insert(target, self.seats.pop(index))
        self.redraw(select=member)
        self.post_message(self.Changed())
