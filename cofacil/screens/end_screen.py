"""End the session? The summary figures first, so the co-facilitator ends it knowingly."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cofacil import dynamics
from cofacil.display import duration, percent, visible
from cofacil.dynamics import SessionFigures
from cofacil.live_view import glimpse
from cofacil.shown import shown


class EndScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y,enter", "finish(True)", "End session"),
        Binding("escape,n", "finish(False)", "Keep going"),
    ]

    def __init__(
        self,
        figures: SessionFigures,
        names: dict[str, str],
        flags: int,
        parked: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.figures = figures
        self.names = names
        self.flags = flags
        self.parked = parked or {}  # text of the notes still parked, by kind: saved on ending

    def compose(self) -> ComposeResult:
        f = self.figures
        s = shown(f)  # rounded so that the parts add up to the figures beside them
        quiet = (
            ", ".join(visible(self.names.get(m, m)) for m in f.not_yet_spoken)
            or "— everyone has spoken"
        )
        lines = [
            f"Active time   {duration(s.active)}",
            f"Talk          {duration(s.talk)}  (members {duration(s.member_talk)}, "
            f"facilitators {duration(s.facilitator_talk)})",
            f"Silence       {duration(s.silence)}  (longest {duration(s.longest_silence)})",
            f"Balance       {percent(f.balance)} of members' talk shared evenly (100%: all equal)",
            f"Not yet heard {quiet}",
            f"Flags         {self.flags + ('flag' in self.parked)}"
            + (" (one of them parked: below)" if "flag" in self.parked else ""),
        ]
        if f.timeline.gaps:  # time cofacil was not running: not in the figures above
            lines.append(f"Gaps          {dynamics.gaps_words(f)} (not counted)")
        for kind, text in self.parked.items():
            what = "⚑ Flag" if kind == "flag" else "Note"
            lines.append(f"Parked        {what} “{glimpse(text)}”: saved as it stands")
        with Vertical(classes="form"):
            yield Static(Text("End the session?"), classes="form-title")
            yield Static(Text("\n".join(lines)))
            with Horizontal(classes="form-buttons"):
                yield Button("End session (y)", variant="error", id="end", compact=True)
                yield Button("Keep going (n)", id="keep", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "end")

    def action_finish(self, end: bool) -> None:
        self.dismiss(end)
