"""A session at a glance, worked out once: what the review's summary and the report (its group
note, its preview, the md export) say about a session. UI-free.

The words are made here; a view only lays them out. `escape` is the one thing a view chooses:
how a text someone typed is made safe where it is shown (`display.visible` on a terminal,
`export.md_text` in Markdown), so a name or a note is shown literally everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cofacil import charts, dynamics
from cofacil.display import duration, percent
from cofacil.models import (
    EventBase,
    Flag,
    Group,
    Session,
    SessionEnded,
    SessionStarted,
    TechniqueUsed,
)
from cofacil.record import Labels
from cofacil.shown import shown, talk_words

# The balance, named and explained once for every view that shows it.
BALANCE_NAME = "Balance of members' talk"
BALANCE_SCALE = (
    "100% = every member who came talked equally long; towards 0% = one member did almost all"
    " of the members' talking (1 − the Gini coefficient of their talk times)"
)


@dataclass(frozen=True)
class Risk:
    """A flag, at the moment it is about."""

    at: str  # the session clock, "55:31"
    about: str  # the members' names, or "the group"
    text: str


@dataclass(frozen=True)
class Summary:
    date: str
    number: int
    theme: str  # "" when none
    clock_times: str  # "18:00–19:36", "18:00–not ended"
    length: str  # "1:26:59 of 90 min planned"
    breaks: int
    talk: str  # "Talk 7:55 (members 7:00, facilitators 0:55); silence 0:35, longest 0:20"
    gaps: str  # when cofacil was not running; "none"
    attendance: list[tuple[str, str]]  # (name, "late (in the room 12:21–1:26:59)"), by seat
    techniques: list[tuple[str, int]]  # (card, times used), most used first
    go_rounds: str
    balance: str  # "70% (some members talked noticeably more than others)"
    balance_scale: str  # what the balance's ends mean (`BALANCE_SCALE`)
    not_heard: list[str]
    quiet: str  # who was quiet past the threshold, and for how long
    risks: list[Risk]
    codes: list[tuple[str, list[tuple[str, int]]]]  # per member who came: (label, times)


def clock_times(log: Sequence[EventBase], ended: bool) -> str:
    """ "18:00–19:32": the session's start and end by the clock, as recorded."""
    start = next((e for e in log if isinstance(e, SessionStarted)), None)
    end = next((e for e in log if isinstance(e, SessionEnded)), None)
    if start is None:
        return "not started"
    until = end.at.strftime("%H:%M") if end is not None and ended else "not ended"
    return f"{start.at.strftime('%H:%M')}–{until}"


def summarize(
    group: Group,
    session: Session,
    figures: dynamics.SessionFigures,
    labels: Labels,
    quiet_seconds: float,
    escape: Callable[[str], str],
) -> Summary:
    names = group.names()

    def name(person: str) -> str:
        return escape(names.get(person, person))

    tl = figures.timeline
    rounded = shown(figures)
    words = dynamics.attendance_words(session, figures)
    came = [m for m in session.seats if dynamics.came(figures, m)]  # in today's seat order
    used = Counter(labels.card(e.card) for e in tl.events if isinstance(e, TechniqueUsed))
    return Summary(
        date=session.date.isoformat(),
        number=session.number,
        theme=escape(session.theme),
        clock_times=clock_times(tl.events, tl.ended),
        length=f"{duration(rounded.active)} of {session.planned_minutes} min planned",
        breaks=len(tl.breaks),
        talk=talk_words(rounded),
        gaps=dynamics.gaps_words(figures),
        attendance=[(name(m), status) for m, status in words.items()],  # the session's list
        techniques=[(escape(card), n) for card, n in used.most_common()],
        go_rounds=dynamics.go_rounds_words(figures),
        balance=f"{percent(figures.balance)} ({charts.balance_words(figures.balance)})",
        balance_scale=BALANCE_SCALE,
        not_heard=[name(m) for m in figures.not_yet_spoken],
        quiet=dynamics.quiet_words(figures, quiet_seconds, name),
        risks=[
            Risk(duration(t), ", ".join(name(m) for m in e.about) or "the group", escape(e.text))
            for e, t in zip(tl.events, tl.when, strict=True)
            if isinstance(e, Flag)
        ],
        codes=[
            (name(m), [(escape(labels.code(c)), n) for c, n in counted.most_common()])
            for m in came
            if (counted := figures.participants[m].codes)
        ],
    )
