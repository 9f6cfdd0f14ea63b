"""The member circle: everyone around an ellipse in seat order, drawn to fit the widget.

The lead therapist sits at the top and the co-facilitator at the bottom (where the person holding
the tablet sees themselves); members fill the ring clockwise in today's seat order. Each seat
shows its key and name, and under it talk time and share. The speaker is drawn reversed; absent
members dim; a present member who has not spoken yet is marked `○`, the next in a go-round `›`.
A member in the room silent past the therapist's threshold is quiet: the seat turns the warning
colour and its second line says for how long instead of the talk time ("quiet 12m"; a member
who has not spoken has no talk time to lose), with `◷` beside the name if they spoke before.
Clicking (tapping) a seat chooses that person as the speaker.
"""

from __future__ import annotations

import math
from itertools import groupby

from rich.segment import Segment
from rich.style import Style
from textual.events import Click
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from cofacil.display import apportion, duration, visible
from cofacil.live_view import Seat
from cofacil.widgets import cells

LABEL_WIDTH = 12


class MemberCircle(Widget, can_focus=False):
    COMPONENT_CLASSES = {
        "member-circle--outline",
        "member-circle--speaking",
        "member-circle--absent",
        "member-circle--quiet",
        "member-circle--next",
    }
    DEFAULT_CSS = """
    MemberCircle {
        width: 1fr;
        height: 1fr;
        min-height: 9;
    }
    MemberCircle > .member-circle--outline { color: $foreground 30%; }
    MemberCircle > .member-circle--speaking { background: $accent; color: $text; text-style: bold; }
    MemberCircle > .member-circle--absent { color: $foreground 40%; }
    MemberCircle > .member-circle--quiet { color: $warning; text-style: bold; }
    MemberCircle > .member-circle--next { color: $primary; text-style: bold underline; }
    """

    # Not repainted whole: `watch_seats` marks only the rows that changed (a key moves the
    # speaker between two seats; the rest of the circle, and the screen around it, stay put).
    seats: reactive[tuple[Seat, ...]] = reactive((), layout=False, repaint=False)

    class SpeakerChosen(Message):
        def __init__(self, participant: str) -> None:
            super().__init__()
            self.participant = participant

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._hitboxes: list[tuple[int, int, int, int, str]] = []
        self._rows: list[Strip] = []
        self._drawn_for: object = None  # the size the rows were drawn at (None: draw again)
        self._cells: list[tuple[list[str], list[Style | None]]] = []  # what each row holds
        self._base: Style | None = None  # the widget's own style the rows were drawn in

    @staticmethod
    def ring(seats: tuple[Seat, ...], lead: str, cofac: str) -> list[Seat]:
        """Lead at the top, members clockwise, co-facilitator at the bottom."""
        members = [s for s in seats if s.id not in (lead, cofac)]
        head = next((s for s in seats if s.id == lead), None)
        foot = next((s for s in seats if s.id == cofac), None)
        half = (len(members) + 1) // 2
        ring = [head, *members[:half], foot, *members[half:]]
        return [s for s in ring if s is not None]

    def _drawn(self) -> tuple[list[list[str]], list[list[Style | None]]]:
        """The circle as a grid of cells and their styles (None: plain), at the widget's size;
        the seats' hitboxes are kept for taps."""
        width, height = self.size.width, self.size.height
        grid = [[" "] * width for _ in range(height)]
        styles: list[list[Style | None]] = [[None] * width for _ in range(height)]
        self._hitboxes = []
        seats = self.ring(self.seats, "lead", "cofac")
        if width < 8 or height < 5 or not seats:
            return grid, styles
        cx, cy = (width - 1) / 2, (height - 1) / 2
        rx = max(1.0, (width - LABEL_WIDTH) / 2)
        ry = max(1.0, (height - 3) / 2)
        outline = self.get_component_rich_style("member-circle--outline")
        for step in range(0, 360, 4):
            angle = math.radians(step)
            x, y = round(cx + rx * math.cos(angle)), round(cy + ry * math.sin(angle))
            if 0 <= x < width and 0 <= y < height:
                grid[y][x], styles[y][x] = "·", outline
        # The shares shown add up to 100%, however each would round alone.
        shares = apportion([100 * seat.share for seat in seats])
        for index, (seat, share) in enumerate(zip(seats, shares, strict=True)):
            angle = -math.pi / 2 + 2 * math.pi * index / len(seats)
            x = cx + rx * math.cos(angle)
            y = cy + ry * math.sin(angle)
            self._place(grid, styles, seat, share, round(x), round(y))
        return grid, styles

    def _strips(self) -> list[Strip]:
        """The circle's rows, drawn again only when the seats, the size or the theme change:
        the Line API spares Textual laying out a text of the whole circle on every key.
        (`notify_style_update` forgets them when the theme changes.)"""
        key = self.size  # the seats and the theme clear it when they change
        if key != self._drawn_for:
            base = self.rich_style
            grid, styles = self._drawn()
            # A row drawn as before keeps its strip (a key changes a seat or two).
            same_size = len(self._cells) == len(grid) and self._base == base
            rows = []
            for y, (chars, row_styles) in enumerate(zip(grid, styles, strict=True)):
                if same_size and self._cells[y] == (chars, row_styles):
                    rows.append(self._rows[y])
                    continue
                segments = []
                start = 0
                for style, run in groupby(row_styles):  # a run of like-styled cells at a time
                    end = start + sum(1 for _ in run)
                    # "" in `chars`: the second cell of a wide character
                    text = "".join(chars[start:end])
                    segments.append(Segment(text, base + style if style else base))
                    start = end
                rows.append(Strip(segments, len(chars)))
            self._rows, self._drawn_for = rows, key
            self._cells, self._base = list(zip(grid, styles, strict=True)), base
        return self._rows

    def watch_seats(self) -> None:
        before = self._rows if self._drawn_for == self.size else None
        self._drawn_for = None
        if before is None:
            self.refresh()
            return
        width = self.size.width
        changed = [y for y, (a, b) in enumerate(zip(before, self._strips(), strict=True)) if a != b]
        if changed:
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn_for = None  # the theme or the CSS changed: the styles drawn with did too

    def render_line(self, y: int) -> Strip:
        rows = self._strips()
        return rows[y] if y < len(rows) else Strip.blank(self.size.width)

    def text_rows(self) -> list[str]:
        """The circle as drawn, a string per row (for reading it back)."""
        return [strip.text for strip in self._strips()]

    def _place(
        self,
        grid: list[list[str]],
        styles: list[list[Style | None]],
        seat: Seat,
        share: int,  # whole percent
        x: int,
        y: int,
    ) -> None:
        width, height = len(grid[0]), len(grid)
        quiet = seat.quiet is not None and not seat.absent
        marker = "○" if seat.not_spoken else "◷" if quiet else " "
        if seat.next_in_round:
            marker = "›"
        name = visible(seat.name)
        room = LABEL_WIDTH - (marker != " ")  # the marker's cell, when there is one
        line1 = cells.fit(f"{seat.key} {name}", room).rstrip() + marker.strip()
        line2 = (
            seat.away
            if seat.absent
            else quiet_label(seat.quiet)
            if seat.quiet is not None
            else f"{duration(seat.talk)} {share}%"
        )
        part = (
            "speaking"
            if seat.speaking
            else "absent"
            if seat.absent
            else "next"
            if seat.next_in_round
            else "quiet"
            if quiet
            else None
        )
        style = self.get_component_rich_style(f"member-circle--{part}") if part else Style()
        # Grid places are terminal cells, as Textual counts them: a wide character (CJK, an
        # emoji, with its skin tone or joiners) fills two.
        places1, places2 = cells.places(line1), cells.places(line2)
        label_width = max(len(places1), len(places2))
        left = max(0, min(width - label_width, x - label_width // 2))
        # Labels grow outwards from the ring, so neighbours at the top and bottom stay apart.
        top = max(0, min(height - 2, y if y > (height - 1) / 2 else y - 1))
        for row, places in ((top, places1), (top + 1, places2)):
            if row >= height:
                continue
            pad = label_width - len(places)
            before = pad // 2 + (pad & label_width & 1)  # as str.center splits it
            padded = [" "] * before + places + [" "] * (pad - before)
            for i, char in enumerate(padded):
                if 0 <= left + i < width:
                    grid[row][left + i] = char
                    styles[row][left + i] = style
            _mend(grid[row], left, left + len(padded))
        self._hitboxes.append((left, top, left + label_width, top + 2, seat.id))

    def on_click(self, event: Click) -> None:
        for x0, y0, x1, y1, participant in self._hitboxes:
            if x0 <= event.x < x1 and y0 <= event.y < y1:
                self.post_message(self.SpeakerChosen(participant))
                return


def quiet_label(seconds: float) -> str:
    """A quiet seat's second line, read at a glance: whole minutes ("quiet 12m"; under a
    minute, for a threshold set that low, seconds). No wider than a talk line ("1:02:03 45%"),
    so the seat keeps its size."""
    return f"quiet {int(seconds // 60)}m" if seconds >= 60 else f"quiet {int(seconds)}s"


def _mend(row: list[str], start: int, end: int) -> None:
    """A label drawn over half of a wide character leaves the other half as a space."""
    if 0 < start < len(row) and cells.cell_len(row[start - 1]) == 2:
        row[start - 1] = " "
    if end < len(row) and row[end] == "":
        row[end] = " "
