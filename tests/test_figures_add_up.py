"""Every figure agrees with every other: durations to the nearest second, and the parts a view
shows beside their whole (members + facilitators = talk, talk + silence = the length, each
person's talk, shares) adding up to it, in the summary, the charts and the report."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from test_dynamics import A, B, C, Log, logs, session

from cofacil import charts
from cofacil.dynamics import session_figures
from cofacil.export import to_markdown
from cofacil.member_notes import draft
from cofacil.models import (
    COFAC,
    FACILITATORS,
    LEAD,
    EventBase,
    Group,
    Member,
    SessionEnded,
    SessionStarted,
    TurnEnded,
    TurnStarted,
)
from cofacil.shown import shown, talk_words

T0 = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
GROUP = Group(
    name="Thursday group",
    lead="Dr. Hale",
    cofac="Sam",
    created_at=T0,
    members=[
        Member(id=who, name=name, seat=i + 1, hotkey=str(i + 1))
        for i, (who, name) in enumerate([(A, "Ann"), (B, "Bo"), (C, "Cy")])
    ],
)


def seated():
    return session().model_copy(update={"seats": [A, B, C], "date": date(2026, 11, 19)})


def seconds(text: str) -> int:
    """ "1:27" → 87, "1:00:05" → 3605."""
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total


def test_a_five_second_silence_shows_as_0_05() -> None:
    log = Log()
    log.at(0, SessionStarted)
    log.at(0, TurnStarted, speaker=A)
    log.at(3.2, TurnEnded, speaker=A)
    log.at(8.2, TurnStarted, speaker=B)  # 8.2 - 3.2 is 4.999999999999999 in floating point
    log.at(20, SessionEnded)
    figures = session_figures(seated(), log.events)
    assert figures.longest_silence < 5  # the exact figure stays as measured
    assert shown(figures).longest_silence == 5
    assert "silence 0:05, longest 0:05" in to_markdown(GROUP, seated(), log.events)


def test_members_and_facilitators_add_up_to_the_talk_shown() -> None:
    """The user's case: 72.6 s of members and 14.4 s of facilitators are 87 s of talk, shown
    1:13 + 0:14 = 1:27 (floored they were 1:12 + 0:14, a second short)."""
    log = Log()
    log.at(0, SessionStarted)
    log.at(0, TurnStarted, speaker=A)
    log.at(72.6, TurnStarted, speaker=LEAD)
    log.at(87, SessionEnded)
    figures = session_figures(seated(), log.events)
    line = talk_words(shown(figures))
    assert line.startswith("Talk 1:27 (members 1:13, facilitators 0:14)")
    assert line in to_markdown(GROUP, seated(), log.events)


def test_talk_bars_and_the_member_notes_show_the_report_s_figures() -> None:
    """Three members of a third each: 34% + 33% + 33%, the same in the bars, the report and
    each member's draft note."""
    log = Log()
    log.at(0, SessionStarted)
    for i, who in enumerate((A, B, C)):
        log.at(10.0 * i, TurnStarted, speaker=who)
    log.at(30, SessionEnded)
    figures = session_figures(seated(), log.events)
    bars = charts.talk_bars(figures, GROUP.names(), 60)
    assert sum(int(line.split()[-2].rstrip("%")) for line in bars) == 100  # name last
    report = to_markdown(GROUP, seated(), log.events)
    for member in GROUP.members:
        percent = shown(figures).member_share_of[member.id]
        assert f"0:10 ({percent}% of members' talk)" in report
        data = draft(GROUP, member, figures, {})["data"]
        assert f"0:10 ({percent}% of members' talk)" in data


def _check_adds_up(events: list[EventBase]) -> None:
    figures = session_figures(seated(), events)
    s = shown(figures)
    # The summary line, read back as the lead therapist reads it.
    match = re.fullmatch(
        r"Talk ([\d:]+) \(members ([\d:]+), facilitators ([\d:]+)\); "
        r"silence ([\d:]+), longest ([\d:]+)",
        talk_words(s),
    )
    assert match, talk_words(s)
    talk, members, facilitators, silence, longest = (seconds(g) for g in match.groups())
    assert members + facilitators == talk
    assert talk + silence == s.active
    assert longest <= silence
    assert sum(s.talk_of[m] for m in s.talk_of if m not in FACILITATORS) == s.member_talk
    assert s.talk_of[LEAD] + s.talk_of[COFAC] == s.facilitator_talk
    assert sum(s.share_of.values()) == (100 if figures.talk else 0)
    assert sum(s.member_share_of.values()) == (100 if figures.member_talk else 0)
    assert all(s.longest_turn_of[who] <= s.talk_of[who] for who in s.talk_of)
    exact = [
        (s.active, figures.active),
        (s.talk, figures.talk),
        (s.silence, figures.silence),
        (s.member_talk, figures.member_talk),
        (s.longest_silence, figures.longest_silence),
        *((s.talk_of[who], p.talk) for who, p in figures.participants.items()),
        *((s.longest_turn_of[who], p.longest_turn) for who, p in figures.participants.items()),
    ]
    assert all(abs(shown_ - value) <= 1 for shown_, value in exact), "each within a second"


@settings(max_examples=150, deadline=None)
@given(logs())
def test_members_and_facilitators_add_up_to_the_talk_in_every_summary(
    events: list[EventBase],
) -> None:
    _check_adds_up(events)


@pytest.mark.parametrize("turns", [[0.5, 0.5], [2.5, 2.5, 2.5], [0.4, 0.4, 0.4, 0.4]])
def test_halves_and_small_remainders_still_add_up(turns: list[float]) -> None:
    """Turns whose halves all round up alone (or all down) would not add up."""
    log = Log()
    log.at(0, SessionStarted)
    t = 0.0
    for i, length in enumerate(turns):
        log.at(t, TurnStarted, speaker=(A, LEAD, B, COFAC)[i % 4])
        t += length
    log.at(t, TurnEnded, speaker=(A, LEAD, B, COFAC)[(len(turns) - 1) % 4])
    log.at(t + 0.5, SessionEnded)
    _check_adds_up(log.events)
