"""The keys of a screen, at a glance: the live session's, the review's."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cofacil import room_keys

KEYS = room_keys.help_text()  # the live screen's keys, from the one registry


def key_table(keys: str) -> Table:
    """The keys beside what they do; a long line wraps under its own column."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    rows: list[tuple[str, str]] = []
    for line in keys.splitlines():
        key, does = line[:12].rstrip(), line[12:]
        if key or not rows:
            rows.append((key, does))
        else:  # a line that goes on from the one above
            rows[-1] = (rows[-1][0], f"{rows[-1][1]} {does}")
    for key, does in rows:
        table.add_row(Text(key), Text(does))
    return table


REVIEW_KEYS = """\
s  o        the summary / the observations (Tab moves between them too)
↑ ↓         the next item; the one highlighted is shown whole under the list
Enter       that item's moment on the speaking timeline
f           flags only (again: everything)
/           search: words, a #tag, or a name (items about them)
m + key     items about one member (seat keys as in the room)
c           clear the filters
n           a comment on the item (on the summary: on the session)
r           the item is reviewed (and on to the next)
S           sign the session off (it says first what is not done yet)
M + key     a member: their course and this session's DAP note
p           the report, as it will be filed
x           export md, html, csv and json into the data folder's exports/
b, Escape   back
ctrl+p      every action by name
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, title: str = "Keys in a live session", keys: str = KEYS) -> None:
        super().__init__()
        self.heading = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        # Scrolls where the screen is too small for it (60x30): nothing in it is cut off.
        with VerticalScroll(classes="form help"):
            yield Static(Text(self.heading), classes="form-title")
            yield Static(Text("Escape, ? or q closes this"), classes="form-hint")
            yield Static(key_table(self.keys))

    def action_close(self) -> None:
        self.dismiss(None)
