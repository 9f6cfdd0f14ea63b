"""The report's charts as shapes: where each seat, arrow, bar and mark goes. UI-free.

Only numbers and the texts to write are made here; the html template draws them as SVG and
escapes every text on the way out (`cofacil.html_report`), so nothing typed by a user is ever
put into markup by this module. Coordinates are in the SVG's own units (its viewBox); the page
scales the picture to its width.

A name is never cut: a chart makes room for the longest name it shows (`text_width`, a
generous estimate, since the reader's font is not known here).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from cofacil import dynamics
from cofacil.display import duration, visible
from cofacil.dynamics import MemberSession, SessionFigures, answers, talk_rows
from cofacil.models import COFAC, LEAD, CodedEvent, Flag, TechniqueUsed
from cofacil.record import Labels
from cofacil.shown import ShownFigures

FONT = 13  # the charts' text size, in SVG units
# A character's advance, as a share of the font size, at most in the common sans fonts
# (DejaVu Sans is among the widest): capitals wider than small letters, M and W the widest.
WIDEST, UPPER, LOWER = 1.0, 0.8, 0.65


def text_width(text: str) -> float:
    """Room for `text` at the charts' size: wide enough for any common font, so a name is
    never cut. A core module has no terminal's measure: an East Asian wide character counts
    as two, a combining mark as nothing."""
    em = 0.0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        if unicodedata.east_asian_width(ch) in "WF":
            em += 2 * LOWER
        elif ch in "MWmw@%":
            em += WIDEST
        elif ch.isupper():
            em += UPPER
        else:
            em += LOWER
    return em * FONT


def num(value: float) -> str:
    """A coordinate as the SVG gets it: short, never `1e-05`."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def with_facilitators(order: Sequence[str]) -> list[str]:
    """The seats in their order, then the lead and the co-facilitator: the circle's people."""
    return [*order, *(f for f in (LEAD, COFAC) if f not in order)]


# --- who answered whom --------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    who: str
    label: str  # the name, and "(absent)" for a member who did not come
    x: float
    y: float
    r: float
    came: bool  # in the room at some point (an absent member is drawn hollow)
    label_x: float
    label_y: float
    anchor: str  # "start", "middle" or "end": the name stands outside the circle


@dataclass(frozen=True)
class Arrow:
    answerer: str  # names, as shown
    answered: str
    count: int
    path: str  # SVG path data: a curve from the answerer towards the one answered
    head: str  # SVG points of the arrowhead, at the one answered
    width: float
    opacity: float


@dataclass(frozen=True)
class Circle:
    width: float
    height: float
    seats: list[Seat]
    arrows: list[Arrow]
    # The same as a matrix, for the table beside the picture: a row per person (who answered),
    # a column per person (whom), in seat order; and each row's and column's total.
    names: list[str]
    matrix: list[list[int]]
    answered_others: list[int]
    was_answered: list[int]


def interaction_circle(
    figures: SessionFigures, order: Sequence[str], names: Mapping[str, str]
) -> Circle:
    """The seats in seat order around an ellipse (the facilitators after the last seat), an
    arrow for each answerer and answered, its width by how often."""
    people = with_facilitators(order)
    # Anyone else who spoke (a log from elsewhere may name someone off the seats) too.
    people += [w for w in figures.participants if w not in people and figures.participants[w].turns]
    shown_names = {who: visible(names.get(who, who)) for who in people}
    came = {who for who in people if dynamics.came(figures, who)}
    labels = {who: name if who in came else f"{name} (absent)" for who, name in shown_names.items()}
    widest = max((text_width(label) for label in labels.values()), default=0.0)
    n = max(1, len(people))
    # Room for every seat on the ellipse (a large group gets a larger one), names outside it.
    rx = max(200.0, 19.0 * n)
    ry = 0.75 * rx
    margin_x, margin_y = widest + 24, 40.0
    width, height = 2 * (rx + margin_x), 2 * (ry + margin_y)
    cx, cy = width / 2, height / 2
    seats: dict[str, Seat] = {}
    for i, who in enumerate(people):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        x, y = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
        dx, dy = math.cos(angle), math.sin(angle)
        # A name reads away from the circle: centred only right at its top or bottom.
        anchor = "middle" if abs(dx) < 0.12 else ("start" if dx > 0 else "end")
        seats[who] = Seat(
            who=who,
            label=labels[who],
            x=x,
            y=y,
            r=14.0,
            came=who in came,
            label_x=x + dx * 22,
            label_y=y + dy * 24 + FONT * 0.35,
            anchor=anchor,
        )
    pairs = [p for p in answers(figures) if p[0] in seats and p[1] in seats]
    most = max((count for _, _, count in pairs), default=1)
    # The most frequent drawn last, on top; a rare pair thin and faint, so the few that carry
    # the session stand out of the many that happened once.
    arrows = [
        _arrow(seats[answerer], seats[answered], count, 1.0 + 7.0 * count / most, most)
        for answerer, answered, count in reversed(pairs)
    ]
    arrows = [
        replace(a, answerer=shown_names[a.answerer], answered=shown_names[a.answered])
        for a in arrows
    ]
    counts = {(a, b): count for a, b, count in pairs}
    matrix = [[counts.get((a, b), 0) for b in people] for a in people]
    return Circle(
        width,
        height,
        list(seats.values()),
        arrows,
        names=[shown_names[who] for who in people],
        matrix=matrix,
        answered_others=[sum(row) for row in matrix],
        was_answered=[sum(column) for column in zip(*matrix, strict=True)] if matrix else [],
    )


def _arrow(start: Seat, end: Seat, count: int, width: float, most: int) -> Arrow:
    """A curve bowed to its right, so that the answer back runs beside it, not over it."""
    dx, dy = end.x - start.x, end.y - start.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bow = 0.14 * length
    mx, my = (start.x + end.x) / 2 - uy * bow, (start.y + end.y) / 2 + ux * bow
    # Leave the seats' circles clear; the head ends at the edge of the one answered.
    sx, sy = _towards(start.x, start.y, mx, my, start.r + 3)
    tip_x, tip_y = _towards(end.x, end.y, mx, my, end.r + 2)
    head = 6 + width * 1.1
    tx, ty = tip_x - mx, tip_y - my
    t_len = math.hypot(tx, ty) or 1.0
    tx, ty = tx / t_len, ty / t_len
    base_x, base_y = tip_x - tx * head, tip_y - ty * head
    spread = head * 0.55
    points = [
        (tip_x, tip_y),
        (base_x - ty * spread, base_y + tx * spread),
        (base_x + ty * spread, base_y - tx * spread),
    ]
    return Arrow(
        answerer=start.who,
        answered=end.who,
        count=count,
        path=f"M {num(sx)} {num(sy)} Q {num(mx)} {num(my)} {num(base_x)} {num(base_y)}",
        head=" ".join(f"{num(x)},{num(y)}" for x, y in points),
        width=width,
        opacity=0.3 + 0.6 * count / most,
    )


def _towards(x: float, y: float, to_x: float, to_y: float, distance: float) -> tuple[float, float]:
    dx, dy = to_x - x, to_y - y
    length = math.hypot(dx, dy) or 1.0
    return x + dx / length * distance, y + dy / length * distance


# --- talk -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    who: str
    name: str
    y: float
    length: float
    talk: str  # "7:55"
    share: int  # whole percent of the chart's denominator
    turns: int
    figures_x: float


@dataclass(frozen=True)
class TalkBars:
    width: float
    height: float
    label_width: float
    bars: list[Bar]
    total: str  # the denominator: all talk, as shown


def talk_bars(figures: SessionFigures, rounded: ShownFigures, names: Mapping[str, str]) -> TalkBars:
    """Talk per person, longest first: shares of all talk (members and facilitators), the one
    denominator the chart names."""
    rows = talk_rows(figures)
    shown_names = {who: visible(names.get(who, who)) for _, who in rows}
    label = max((text_width(n) for n in shown_names.values()), default=40.0) + 12
    room = 420.0
    most = max((t for t, _ in rows), default=0.0) or 1.0
    bars = [
        Bar(
            who=who,
            name=shown_names[who],
            y=10 + i * 26,
            length=room * talk / most,
            talk=duration(rounded.talk_of[who]),
            share=rounded.share_of[who],
            turns=figures.participants[who].turns,
            figures_x=label + room * talk / most + 8,
        )
        for i, (talk, who) in enumerate(rows)
    ]
    return TalkBars(label + room + 120, 20 + 26 * len(rows), label, bars, duration(rounded.talk))


# --- the timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    kind: str  # "flag", "technique", "code"
    x: float
    y: float
    at: str  # the session clock
    who: str  # names
    text: str


@dataclass(frozen=True)
class Row:
    who: str
    name: str
    y: float
    turns: list[tuple[float, float]]  # (x, width)


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    left: float  # where the time axis begins
    span: float  # its length in SVG units
    rows: list[Row]
    breaks: list[tuple[float, str]]  # (x, "break at 40:00, 5:00 long")
    gaps: list[tuple[float, str]]
    marks: list[Mark]
    ticks: list[tuple[float, str]]
    group_y: float  # the lane of marks about the whole group


ROW = 22.0


def timeline(
    figures: SessionFigures,
    order: Sequence[str],
    names: Mapping[str, str],
    labels: Labels,
) -> Timeline:
    """Each person's turns on the session clock (breaks and crash gaps left out of it, marked
    where they fell), with flags, techniques and codes at their moments: on the row of the
    person they are about (a technique on the row of who used it), the group's in a lane above."""
    people = with_facilitators(order)
    shown_names = {who: visible(names.get(who, who)) for who in people}
    left = max((text_width(n) for n in shown_names.values()), default=40.0) + 14
    span = 640.0
    end = figures.active or 1.0

    def x_of(t: float) -> float:
        return left + span * max(0.0, min(t, end)) / end

    top = 34.0  # the group's lane, then a row each
    y_of = {who: top + ROW * (i + 1) for i, who in enumerate(people)}
    rows = [
        Row(
            who=who,
            name=shown_names[who],
            y=y_of[who],
            turns=[
                (x_of(turn.start), max(1.0, x_of(turn.end) - x_of(turn.start)))
                for turn in figures.turns
                if turn.speaker == who
            ],
        )
        for who in people
    ]
    tl = figures.timeline
    marks: list[Mark] = []
    for event, t in zip(tl.events, tl.when, strict=True):
        if isinstance(event, Flag):
            kind, about = "flag", list(event.about)
        elif isinstance(event, TechniqueUsed):
            kind, about = "technique", [event.by]
        elif isinstance(event, CodedEvent):
            kind, about = "code", list(event.about)
        else:
            continue
        who = ", ".join(visible(names.get(m, m)) for m in about) or "the group"
        text = visible(labels.words(event))
        lanes = [y_of[m] for m in about if m in y_of] or [top]
        for y in lanes:
            marks.append(Mark(kind, x_of(t), y, duration(t), who, text))
    step = _tick_step(end)
    ticks = [(x_of(s), duration(s)) for s in _frange(0.0, end, step)]
    # The end is marked too; a tick too close before it (labels are some 48 units wide) gives
    # way to it.
    while ticks and x_of(end) - ticks[-1][0] < 48:
        ticks.pop()
    ticks.append((x_of(end), duration(figures.active)))  # "0:00" for a session of no length
    return Timeline(
        width=left + span + 24,
        height=top + ROW * (len(people) + 1) + 26,
        left=left,
        span=span,
        rows=rows,
        breaks=[(x_of(t), f"break at {duration(t)}, {duration(s)} long") for t, s in tl.breaks],
        gaps=[
            (x_of(t), f"cofacil not running at {duration(t)} for {duration(s)}") for t, s in tl.gaps
        ],
        marks=marks,
        ticks=ticks,
        group_y=top,
    )


def _tick_step(end: float) -> float:
    for step in (60, 120, 300, 600, 900, 1200, 1800, 3600):
        if end / step <= 8:
            return float(step)
    return 3600.0 * math.ceil(end / 3600 / 8)


def _frange(start: float, stop: float, step: float) -> list[float]:
    return [start + i * step for i in range(int((stop - start) / step) + 1)]


# --- a member's course --------------------------------------------------------------------


@dataclass(frozen=True)
class CourseScale:
    """The tops of the three series, shared by every member's chart so that two members'
    bars compare: share of the members' talk (percent), turns, notes."""

    percent: int
    turns: int
    notes: int


@dataclass(frozen=True)
class CourseBar:
    x: float
    height: float  # 0 for a session missed (drawn as an empty slot)
    value: str  # written above the bar: "24%", "19"
    present: bool
    here: bool  # the session this report is about


@dataclass(frozen=True)
class CourseSeries:
    label: str  # "Talk share", "Turns", "Notes"
    base: float  # the bars' baseline
    bars: list[CourseBar]


@dataclass(frozen=True)
class CourseRow:
    """A session in a member's course, for the table beside the chart."""

    number: int
    x: float  # where its bars stand
    status: str
    percent: int
    turns: int
    notes: int


@dataclass(frozen=True)
class Course:
    who: str
    name: str
    width: float
    height: float
    left: float  # where the bars begin (the series' labels stand before)
    series: list[CourseSeries]
    rows: list[CourseRow]
    scale: CourseScale


COURSE_SLOT, COURSE_TALL, COURSE_GAP = 34.0, 34.0, 30.0


def course(
    rows: Sequence[MemberSession], who: str, name: str, current: int, scale: CourseScale
) -> Course:
    """One member's course session by session (oldest first): their share of the members'
    talk, their turns and the notes about them, each a row of bars on the group's scale."""
    left = 78.0
    table = [
        CourseRow(
            number=row.number,
            x=left + i * COURSE_SLOT,
            status=row.status,
            percent=row.member_percent,
            turns=row.turns,
            notes=row.notes,
        )
        for i, row in enumerate(rows)
    ]
    measures = (
        ("Talk share", scale.percent, lambda r: r.percent, lambda r: f"{r.percent}%"),
        ("Turns", scale.turns, lambda r: r.turns, lambda r: str(r.turns)),
        ("Notes", scale.notes, lambda r: r.notes, lambda r: str(r.notes)),
    )
    series = []
    for i, (label, top, value, text) in enumerate(measures):
        base = 14 + (i + 1) * (COURSE_TALL + COURSE_GAP) - COURSE_GAP + 12
        series.append(
            CourseSeries(
                label=label,
                base=base,
                bars=[
                    CourseBar(
                        x=r.x,
                        height=COURSE_TALL * value(r) / (top or 1) if r.status != "absent" else 0.0,
                        value=text(r) if r.status != "absent" else "",
                        present=r.status != "absent",
                        here=r.number == current,
                    )
                    for r in table
                ],
            )
        )
    height = series[-1].base + 22
    width = left + COURSE_SLOT * len(rows) + 8
    return Course(who, visible(name), width, height, left, series, table, scale)
