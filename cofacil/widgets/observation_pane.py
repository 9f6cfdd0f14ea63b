"""The session's recent observations, codes, flags and techniques, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cofacil.display import duration, visible


@dataclass(frozen=True)
class NoteLine:
    at: float  # active session seconds
    kind: str  # observation, code, flag, technique
    about: str  # names, or "" for the group
    text: str


MARKS = {"observation": "•", "code": "◇", "flag": "⚑ FLAG", "technique": "◆"}


class ObservationPane(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    ObservationPane { height: 1fr; padding: 0 1; }
    ObservationPane > Static { width: 1fr; }
    ObservationPane > .note-flag { background: $error 30%; text-style: bold; }
    ObservationPane > .note-empty { color: $text-muted; }
    """

    def show(self, lines: list[NoteLine]) -> None:
        """Redraw from the log (newest first); called when the log changes, not every second."""
        self.remove_children()
        if not lines:
            self.mount(
                Static(Text("Nothing noted yet · o observation · f flag"), classes="note-empty")
            )
            return
        widgets = []
        for line in reversed(lines):
            text = Text()
            text.append(f"{duration(line.at)} ", style="dim")
            text.append(MARKS.get(line.kind, "•") + " ")
            if line.about:
                text.append(visible(line.about), style="bold")
                text.append(": ")
            text.append(visible(line.text))
            widgets.append(Static(text, classes=f"note-{line.kind}"))
        self.mount_all(widgets)
