"""Charts as plain text, for the review screen and the md report. No Textual or Rich import.

- `talk_bars`: talk time per person as bars with shares;
- `timeline_rows`: who spoke when, one row per person, silences and breaks visible;
- `interaction_circle`: members around a circle, lines between those who answered each other
  (heavier for more), drawn with braille dots.

A chart's own characters take one cell each; a name takes what its font gives it. On a screen
that is known, as Textual draws it (`cells`: Rich's measure, passed in by the screen), and the
names stand in a column in front. A file has no measure (its reader's font decides how wide
👋🏽 or 日本 is), so there each name follows its row, where it cannot push a bar out of line.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from cofacil.display import duration, visible
from cofacil.dynamics import SessionFigures, answers, talk_rows
from cofacil.shown import shown


class Cells(Protocol):
    """How wide text is where a chart is drawn (`cofacil.widgets.cells.TERMINAL`)."""

    def width(self, text: str) -> int: ...

    def fit(self, text: str, width: int) -> str:
        """Cut to at most `width` cells (never inside a cluster), padded to exactly `width`."""
        ...

    def places(self, text: str) -> list[str]:
        """One entry per cell: a cluster, then "" for each further cell it takes."""
        ...


BLOCKS = " ▏▎▍▌▋▊▉█"
# The room a name gets in front of a row or on the circle on a screen: "Lead therapist",
# "Co-facilitator" and a pseudonym ("Member 1A2B") stand whole; only a longer name typed by
# hand is cut there (a file puts each name after its row, whole).
NAME_ROOM = 16


def _bar(fraction: float, width: int) -> str:
    filled = max(0.0, min(1.0, fraction)) * width
    full = int(filled)
    part = BLOCKS[int((filled - full) * 8)] if full < width else ""
    return ("█" * full + part.strip()).ljust(width)


def _label_width(names: Iterable[str], cells: Cells | None, most: int) -> int:
    """The name column: the widest name's cells, at most `most`. Without a measure (a file),
    `most`: the room kept for names at the ends of the rows."""
    if cells is None:
        return most
    return min(most, max((cells.width(name) for name in names), default=4))


def _labelled(name: str, row: str, label: int, cells: Cells | None) -> str:
    """A chart's row with its person's name: in the name column in front, or after it."""
    return f"{cells.fit(name, label)} {row}" if cells else f"{row} {name}"


def talk_bars(
    figures: SessionFigures,
    names: dict[str, str],
    width: int = 60,
    *,
    cells: Cells | None = None,
) -> list[str]:
    """One line per person who spoke or was present, longest talk first. The times add up to
    the talk the report shows, the shares to 100% (`shown`)."""
    rounded = shown(figures)
    rows = talk_rows(figures)
    most = max((t for t, _ in rows), default=0.0) or 1.0
    shown_names = {who: visible(names.get(who, who)) for _, who in rows}
    label = _label_width(shown_names.values(), cells, NAME_ROOM)
    bar_width = max(8, width - label - 16)
    lines = []
    for talk, who in rows:
        figures_text = f"{duration(rounded.talk_of[who]):>6} {rounded.share_of[who]:>3}%"
        row = f"{_bar(talk / most, bar_width)} {figures_text}"
        lines.append(_labelled(shown_names[who], row, label, cells))
    return lines


def timeline_rows(
    figures: SessionFigures,
    order: Sequence[str],
    names: dict[str, str],
    width: int = 60,
    mark: float | None = None,
    *,
    cells: Cells | None = None,
) -> list[str]:
    """Who spoke when: a row per person over the session's active time; `│` marks a break,
    `⌁` a crash gap (cofacil was not running), `▲` under the rows the moment `mark`."""
    end = figures.active or 1.0
    shown_names = {who: visible(names.get(who, who)) for who in order}
    label = _label_width(shown_names.values(), cells, NAME_ROOM)
    columns = max(10, width - label - 1)
    indent = label + 1 if cells else 0  # where the rows begin
    per_cell = end / columns
    breaks = {max(0, min(columns - 1, int(t / per_cell))) for t, _ in figures.timeline.breaks}
    gaps = {max(0, min(columns - 1, int(t / per_cell))) for t, _ in figures.timeline.gaps}
    lines = []
    for who in order:
        row = ["·"] * columns
        for turn in figures.turns:
            if turn.speaker != who:
                continue
            # A turn that starts at the very end (the newest event of a session followed, or
            # left mid-turn) still falls in the last cell, never one past it.
            first = max(0, min(columns - 1, int(turn.start / per_cell)))
            last = max(first, min(columns - 1, int(max(turn.start, turn.end - 1e-9) / per_cell)))
            for i in range(first, last + 1):
                row[i] = "█"
        for i in breaks:
            row[i] = "│"
        for i in gaps:
            row[i] = "⌁"
        lines.append(_labelled(shown_names[who], "".join(row), label, cells))
    start = "0:00".ljust(indent)
    scale = start + duration(end).rjust(indent + columns - len(start))
    if mark is not None:
        at = min(columns - 1, max(0, int(mark / per_cell)))
        tag = f"▲ {duration(mark)}"
        if at + len(tag) > columns:  # near the end: the time before the ▲, within the width
            tag, at = f"{duration(mark)} ▲", at + 1 - len(tag)
        lines.append(" " * (indent + at) + tag)
    return [*lines, scale]


class Braille:
    """A canvas of braille dots: two columns and four rows of dots per character cell."""

    DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cells = [[0] * cols for _ in range(rows)]

    def dot(self, x: float, y: float) -> None:
        xi, yi = round(x), round(y)
        if 0 <= xi < self.cols * 2 and 0 <= yi < self.rows * 4:
            self.cells[yi // 4][xi // 2] |= self.DOTS[yi % 4][xi % 2]

    def line(self, x0: float, y0: float, x1: float, y1: float, weight: int = 1) -> None:
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for i in range(steps + 1):
            t = i / steps
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            for w in range(weight):  # heavier: neighbouring dots too
                self.dot(x + (w % 2), y + (w // 2))

    def text(self) -> list[list[str]]:
        return [[chr(0x2800 + c) if c else " " for c in row] for row in self.cells]


def interaction_circle(
    figures: SessionFigures,
    order: Sequence[str],
    names: dict[str, str],
    cols: int = 44,
    rows: int = 16,
    *,
    cells: Cells,
) -> list[str]:
    """The people in `order` around a circle (the facilitators among them); a line between
    two, heavier the more often one answered the other, either way (`answer_lines` gives
    the direction and the counts). Names stand on the circle's grid: for a screen only
    (`cells` measures them)."""
    canvas = Braille(cols, rows)
    n = max(1, len(order))
    cx, cy = cols - 1, rows * 2 - 1  # in dots
    rx, ry = cols - 8, rows * 2 - 4
    spots = {}
    for i, who in enumerate(order):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        spots[who] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
    pairs: Counter[tuple[str, str]] = Counter()
    for answerer, answered, count in answers(figures):
        pairs[min(answerer, answered), max(answerer, answered)] += count
    most = max(pairs.values(), default=1)
    for (a, b), count in pairs.items():
        if a in spots and b in spots:
            weight = 1 + round(2 * count / most)
            canvas.line(*spots[a], *spots[b], weight=weight)
    grid = canvas.text()
    for who, (x, y) in spots.items():
        # One cell per grid place: a wide character takes two, the second left empty.
        label = cells.places(cells.fit(visible(names.get(who, who)), NAME_ROOM).rstrip())
        col = max(0, min(cols - len(label), int(x / 2) - len(label) // 2))
        row = max(0, min(rows - 1, int(y / 4)))
        for i, part in enumerate(label):
            grid[row][col + i] = part
    return ["".join(row).rstrip() for row in grid]


def answer_lines(figures: SessionFigures, names: Mapping[str, str], width: int = 72) -> list[str]:
    """Who answered whom, one line per person who answered anybody (most first): "Ines →
    Dr. Rivera 7, Theo 4, Maya 3", wrapped at `width` under its arrow. Every pair is there,
    the facilitators included."""
    by: dict[str, list[tuple[str, int]]] = {}
    for answerer, answered, count in answers(figures):
        by.setdefault(answerer, []).append((answered, count))
    lines = []
    for answerer, answered in sorted(by.items(), key=lambda kv: -sum(n for _, n in kv[1])):
        head = f"{visible(names.get(answerer, answerer))} → "
        # Each "name count" held together (no-break spaces inside), broken only between pairs.
        parts = [f"{visible(names.get(who, who))} {n}".replace(" ", NBSP) for who, n in answered]
        wrapped = textwrap.wrap(
            ", ".join(parts),
            width=max(20, width - 2),
            initial_indent=head,
            subsequent_indent="    ",
            break_on_hyphens=False,
            break_long_words=False,
        )
        lines += [line.replace(NBSP, " ") for line in wrapped]
    return lines


NBSP = "\u00a0"


def balance_words(balance: float) -> str:
    """The participation balance in plain words for a clinician."""
    if balance >= 0.8:
        return "talk was shared fairly evenly among the members"
    if balance >= 0.6:
        return "some members talked noticeably more than others"
    if balance >= 0.4:
        return "talk was uneven: a few members held most of it"
    return "talk was held by one or two members"


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], top: float | None = None) -> str:
    """One character per value; a gap (None: absent) shows as a space."""
    numbers = [v for v in values if v is not None]
    highest = top if top is not None else max(numbers, default=0.0)
    if not highest:
        return "".join(" " if v is None else SPARKS[0] for v in values)
    return "".join(" " if v is None else SPARKS[min(7, int(v / highest * 7.999))] for v in values)
