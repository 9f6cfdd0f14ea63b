"""Live nudges over hand-built logs: each rule, its priority, and the snooze after a dismissal."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cofacil.dynamics import session_figures
from cofacil.models import (
    LEAD,
    Attendance,
    CodedEvent,
    Nudge,
    Observation,
    Paused,
    Session,
    SessionStarted,
    TurnEnded,
    TurnStarted,
)
from cofacil.nudges import NudgeSettings, suggest

T0 = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
A, B, C = "a", "b", "c"
NAMES = {A: "Ann", B: "Bo", C: "Cy", LEAD: "Lead"}


def session(planned: int = 90) -> Session:
    return Session(
        group_id="g",
        number=1,
        date=date(2026, 11, 19),
        planned_minutes=planned,
        attendance={m: Attendance() for m in (A, B, C)},
        created_at=T0,
    )


def log(*steps: tuple[float, type, dict]) -> list:
    events = [SessionStarted(seq=0, at=T0, mono=0.0, epoch="e")]
    for t, kind, fields in steps:
        events.append(kind(seq=len(events), at=T0, mono=float(t), epoch="e", **fields))
    return events


def nudge_for(s: Session, events: list, **settings: float):
    return suggest(s, session_figures(s, events), NAMES, NudgeSettings(**settings))


def test_a_member_silent_while_others_talk() -> None:
    events = log(
        (0, TurnStarted, {"speaker": A}),
        (300, TurnStarted, {"speaker": B}),
        (400, TurnStarted, {"speaker": A}),
        (700, TurnStarted, {"speaker": B}),
    )
    n = nudge_for(session(), events)
    assert n is not None and n.rule == "silent-member"
    assert n.cards == ("facilitation",) and n.about == (C,)
    assert n.reason == "Cy has not spoken yet"


def test_nobody_is_nudged_about_too_early() -> None:
    events = log(
        (0, TurnStarted, {"speaker": A}),
        (100, TurnStarted, {"speaker": B}),
        (200, TurnStarted, {"speaker": LEAD}),
    )
    assert nudge_for(session(), events) is None


def test_one_member_holding_the_floor() -> None:
    events = log(
        (0, TurnStarted, {"speaker": C}),
        (60, TurnStarted, {"speaker": B}),
        (100, TurnStarted, {"speaker": A}),
        (500, TurnStarted, {"speaker": LEAD}),
    )
    n = nudge_for(session(), events, quiet_seconds=10_000)
    assert n is not None and n.rule == "dominant-member" and n.about == (A,)
    assert n.cards == ("paraphrasing", "summarizing")
    assert "Ann holds 80%" in n.reason


def test_the_last_ten_minutes() -> None:
    events = log(
        (0, TurnStarted, {"speaker": A}),
        (60, TurnStarted, {"speaker": B}),
        (120, TurnStarted, {"speaker": C}),
        (1300, TurnStarted, {"speaker": LEAD}),
    )
    n = nudge_for(session(planned=30), events, quiet_seconds=10_000, dominance_share=2)
    assert n is not None and n.rule == "closing" and n.cards == ("summarizing",)
    assert n.reason == "8 min of the planned time left"


def test_codes_of_strong_emotion_and_conflict_come_first() -> None:
    base = [
        (0, TurnStarted, {"speaker": A}),
        (400, TurnStarted, {"speaker": B}),
        (700, TurnStarted, {"speaker": LEAD}),
    ]
    emotion = log(*base, (710, CodedEvent, {"scheme": "quick", "code": "emotion", "about": [B]}))
    n = nudge_for(session(), emotion)
    assert n is not None and n.rule == "strong-emotion"
    assert n.cards == ("emotion_identification", "support") and n.about == (B,)
    conflict = log(*base, (710, CodedEvent, {"scheme": "quick", "code": "conflict", "about": []}))
    n = nudge_for(session(), conflict)
    assert n is not None and n.rule == "conflict" and n.reason == "Conflict coded for the group"
    stale = log(
        base[0],
        (100, CodedEvent, {"scheme": "quick", "code": "emotion", "about": [A]}),
        *base[1:],
    )
    assert nudge_for(session(), stale).rule == "silent-member"  # an old code no longer counts


def test_dismissed_nudge_snoozes_then_returns() -> None:
    steps = [
        (0, TurnStarted, {"speaker": A}),
        (400, TurnStarted, {"speaker": B}),
        (700, TurnStarted, {"speaker": LEAD}),
    ]
    dismissed = (
        701,
        Nudge,
        {"action": "dismissed", "rule": "silent-member", "card": "facilitation", "about": [C]},
    )
    balanced = {"dominance_share": 0.6}  # A and B share the floor; only C's silence stands out
    assert nudge_for(session(), log(*steps, dismissed), **balanced) is None
    later = log(*steps, dismissed, (1400, TurnStarted, {"speaker": A}))
    assert nudge_for(session(), later, **balanced).rule == "silent-member"


def test_quiet_during_a_break_or_after_the_end() -> None:
    events = log(
        (0, TurnStarted, {"speaker": A}), (700, TurnStarted, {"speaker": B}), (710, Paused, {})
    )
    assert nudge_for(session(), events) is None


def test_only_someone_elses_talk_makes_a_silence_stand_out() -> None:
    """A silence stands out while others talk: alone in the room with the facilitators quiet,
    Cy's own words earlier do not count as others talking; the lead's do."""
    absent = Attendance(present=False)
    only_cy = session().model_copy(update={"attendance": {A: absent, B: absent, C: Attendance()}})
    steps = [(0, TurnStarted, {"speaker": C}), (30, TurnEnded, {"speaker": C})]
    noted = (200, Observation, {"text": "Cy looks out of the window", "about": [C]})
    assert nudge_for(only_cy, log(*steps, noted), quiet_seconds=60) is None
    lead_talks = log(*steps, (100, TurnStarted, {"speaker": LEAD}), noted)
    n = nudge_for(only_cy, lead_talks, quiet_seconds=60)
    assert (
        n is not None and n.about == (C,) and n.reason == "Cy silent for 3 min"
    )  # 2:50, to the nearest minute


def test_of_equal_silences_the_first_in_seat_order() -> None:
    events = log((0, TurnStarted, {"speaker": A}), (700, TurnStarted, {"speaker": LEAD}))
    n = nudge_for(session(), events)
    assert n is not None and n.about == (B,)  # B and C both silent since the start


def test_the_window_setting_is_the_window_the_deck_looks_at() -> None:
    """`window_minutes` in nudges.toml is what "lately" means to the deck: Ann held the floor
    for eight minutes, Bo for the last two."""
    events = log(
        (0, TurnStarted, {"speaker": A}),
        (500, TurnStarted, {"speaker": B}),
        (620, TurnStarted, {"speaker": LEAD}),
    )
    loose = {"quiet_seconds": 10_000, "dominance_min_seconds": 60}
    n = nudge_for(session(), events, **loose)
    assert n is not None and n.about == (A,) and n.reason.endswith("in the last 10 min")
    n = nudge_for(session(), events, window_seconds=120, **loose)
    assert (
        n is not None
        and n.about == (B,)
        and n.reason == "Bo holds 100% of members' talk in the last 2 min"
    )
