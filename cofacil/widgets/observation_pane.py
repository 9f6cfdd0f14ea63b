"""The session's recent observations, codes, flags and techniques, newest first; flags (safety
concerns) above everything else, so later notes never push one out of sight."""

from __future__ import annotations

from itertools import islice

from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cofacil.display import duration, visible
from cofacil.live_view import NoteLine

SHOWN = 200  # notes other than flags the live pane lists, newest first

MARKS = {
    "observation": "•",
    "code": "◇",
    "flag": "⚑ FLAG",
    "technique": "◆",
    "interruption": "↯",
}


class ObservationPane(VerticalScroll, can_focus=False):
    """One text, redrawn only when the notes change (not on every key or clock tick)."""

    COMPONENT_CLASSES = {"observation-pane--flag", "observation-pane--time"}
    DEFAULT_CSS = """
    ObservationPane { height: 1fr; padding: 0 1; }
    ObservationPane > .observation-pane--flag { background: $error 35%; text-style: bold; }
    ObservationPane > .observation-pane--time { color: $text-muted; }
    ObservationPane > #notes-text { width: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: list[NoteLine] | None = None
        self._version: int | None = None

    def compose(self):
        yield Static(id="notes-text")

    def show(self, lines: list[NoteLine], hint: bool = True, version: int | None = None) -> None:
        """Draw `lines`; with a `version` (it changes whenever the lines do), nothing is
        compared or drawn again while it stays the same."""
        if version is not None and version == self._version:
            return
        if version is None and lines == self._shown:
            return
        self._shown, self._version = lines, version
        if not lines:
            keys = " · o observation · f flag" if hint else ""
            empty = Text("Nothing noted yet" + keys, style="dim")
            self.query_one("#notes-text", Static).update(empty)
            return
        flag = self.get_component_rich_style("observation-pane--flag")
        when = self.get_component_rich_style("observation-pane--time")
        # Every flag, then the newest other notes: drawing every note of a long session again
        # for each new one would cost the room whole frames. The review lists them all.
        flags = [n for n in reversed(lines) if n.kind == "flag"]
        newest = list(islice((n for n in reversed(lines) if n.kind != "flag"), SHOWN))
        earlier = len(lines) - len(flags) - len(newest)
        text = Text()
        for line in flags + newest:
            style = flag if line.kind == "flag" else Style()
            text.append(
                f"{duration(line.at)} ", style=style + when if line.kind != "flag" else style
            )
            text.append(MARKS.get(line.kind, "•") + " ", style=style)
            if line.about:
                text.append(visible(line.about), style=style + Style(bold=True))
                text.append(": ", style=style)
            text.append(visible(line.text), style=style)
            text.append("\n")
        if earlier:
            text.append(f"… {earlier:,} earlier notes: all in the review", when)
        text.rstrip()
        self.query_one("#notes-text", Static).update(text)

    @property
    def flag_count(self) -> int:
        return sum(line.kind == "flag" for line in self._shown or [])
