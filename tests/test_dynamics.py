"""Group dynamics on hand-built logs with known answers, and properties over random logs."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cofacil.dynamics import (
    QuietWalk,
    SpeakingTurn,
    _longest_quiet,
    _median,
    effective,
    gini,
    member_trends,
    quiet_past,
    session_figures,
    timeline,
)
from cofacil.models import (
    COFAC,
    LEAD,
    Attendance,
    AttendanceChanged,
    CodedEvent,
    Correction,
    EventBase,
    Flag,
    Interruption,
    Observation,
    Paused,
    Reopened,
    Resumed,
    Session,
    SessionEnded,
    SessionStarted,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
)

T0 = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
A, B, C, D, E = "a", "b", "c", "d", "e"


class Log:
    """Builds a log on a fake clock: `log.at(seconds, Type, **fields)`."""

    def __init__(self, epoch: str = "run1") -> None:
        self.events: list[EventBase] = []
        self.epoch = epoch
        self.mono = 0.0
        self.wall = T0

    def at(self, mono: float, event_type: type[EventBase], **fields: Any) -> EventBase:
        self.wall += timedelta(seconds=mono - self.mono)
        self.mono = mono
        event = event_type(
            seq=len(self.events), at=self.wall, mono=mono, epoch=self.epoch, **fields
        )
        self.events.append(event)
        return event

    def crash(self, down: float, new_epoch: str) -> None:
        """The app dies; it comes back `down` seconds later with a fresh monotonic clock."""
        self.wall += timedelta(seconds=down)
        self.epoch, self.mono = new_epoch, 50_000.0


def session(**attendance: Attendance) -> Session:
    record = {m: Attendance() for m in (A, B, C)} | attendance
    return Session(
        group_id="g", number=1, date=date(2026, 11, 19), attendance=record, created_at=T0
    )


@pytest.fixture
def known() -> tuple[Session, list[EventBase]]:
    s = session(**{D: Attendance(present=False), E: Attendance(present=False)})
    log = Log()
    log.at(0, SessionStarted)
    log.at(5, TurnStarted, speaker=A)
    log.at(65, Interruption, by=B, of=A)
    log.at(70, Observation, text="B cut in", about=[B, A], tags=["conflict"])
    log.at(95, TurnEnded, speaker=B)
    log.at(100, AttendanceChanged, member=E, change="arrived")
    log.at(110, TurnStarted, speaker=LEAD)
    log.at(120, TechniqueUsed, card="support", by="lead", towards=[A])
    log.at(130, TurnStarted, speaker=A)
    log.at(140, CodedEvent, scheme="quick", code="emotion", about=[A])
    log.at(150, Paused)
    log.at(750, Resumed)  # a ten-minute break: it ended A's turn
    log.at(750, TurnStarted, speaker=A)  # A picks up again
    log.at(770, TurnEnded, speaker=A)
    log.at(780, TurnStarted, speaker=C)
    log.at(790, Flag, text="talked of not coping", about=[C])
    log.at(800, SessionEnded)
    return s, log.events


def test_group_figures_on_a_known_log(known) -> None:
    f = session_figures(*known)
    assert f.active == 200  # 800 s on the clock less the 600 s break
    assert f.talk == 170 and f.silence == 30 and f.longest_silence == 15
    assert (f.member_talk, f.facilitator_talk) == (150, 20)
    assert f.not_yet_spoken == [E]
    assert f.gini == pytest.approx(310 / 600)
    assert f.balance == pytest.approx(1 - 310 / 600)
    assert f.transitions == {(A, B): 1, (B, LEAD): 1, (LEAD, A): 1, (A, C): 1}
    assert f.silent_transitions == {(B, LEAD): 1, (A, C): 1}
    assert dict(f.answer_pairs) == {(A, B): 1, (A, C): 1}
    assert f.timeline.breaks == [(150, 600)]
    assert f.current is None


def test_participant_figures_on_a_known_log(known) -> None:
    p = session_figures(*known).participants
    a = p[A]
    assert (a.turns, a.talk, a.median_turn, a.longest_turn) == (3, 100, 20, 60)
    assert a.mean_turn == pytest.approx(100 / 3)
    assert a.first_spoke == 5 and a.since_spoke == 30
    assert a.share == pytest.approx(100 / 170) and a.member_share == pytest.approx(100 / 150)
    assert (a.was_interrupted, p[B].interrupted_others) == (1, 1)
    assert a.notes == {"observation": 1, "technique": 1, "code": 1}
    assert a.codes == {"quick:emotion": 1}
    assert p[C].notes == {"flag": 1}
    assert p[LEAD].member_share is None and p[LEAD].status == "facilitator"
    assert p[COFAC].turns == 0 and p[COFAC].talk == 0
    assert p[D].status == "absent" and p[D].quiet_for is None  # absent is not silent
    assert p[E].status == "late" and p[E].present_seconds == 100
    assert p[E].quiet_for == 100 and p[E].first_spoke is None


def test_longest_quiet_while_in_the_room(known) -> None:
    """The longest stretch in the room without a turn: the break is left out (A's 65 s runs
    from B's cut-in to A's next turn), a late arrival counts from arriving, the absent and the
    facilitators have none."""
    p = session_figures(*known).participants
    assert (p[A].longest_quiet, p[B].longest_quiet, p[C].longest_quiet) == (65, 105, 180)
    assert p[E].longest_quiet == 100  # arrived at 100, never spoke, ended at 200
    assert p[D].longest_quiet is None and p[LEAD].longest_quiet is None
    assert quiet_past(p[B], 105, longest=True) == 105  # the threshold itself counts
    assert quiet_past(p[B], 106, longest=True) is None
    assert quiet_past(p[LEAD], 0) is None  # the facilitators are never "quiet"


def test_live_view_counts_the_turn_in_progress_and_the_window() -> None:
    log = Log()
    log.at(0, SessionStarted)
    log.at(0, TurnStarted, speaker=A)
    log.at(900, TurnStarted, speaker=B)
    now = log.at(1200, Observation, text="B on a roll", about=[B])  # any stamped moment
    f = session_figures(session(), log.events[:-1], now, window=600)
    assert f.current is not None and f.current.speaker == B and f.current.seconds == 300
    assert f.recent_talk == {A: 300, B: 300}
    assert f.participants[C].quiet_for == 1200
    assert f.participants[A].since_spoke == 300


def test_current_silence_and_a_paused_clock() -> None:
    log = Log()
    log.at(0, SessionStarted)
    log.at(10, TurnStarted, speaker=A)
    log.at(40, TurnEnded, speaker=A)
    log.at(60, Paused)
    now = log.at(500, Observation, text="x")
    f = session_figures(session(), log.events[:-1], now)
    assert f.active == 60 and f.current_silence == 20  # the break stopped the clock


def test_open_turn_after_a_crash_is_closed_at_the_last_known_time() -> None:
    log = Log()
    log.at(0, SessionStarted)
    log.at(10, TurnStarted, speaker=A)
    log.at(70, Observation, text="last thing before the crash", about=[A])
    f = session_figures(session(), log.events)  # reviewed without ever being reopened
    assert f.participants[A].talk == 60 and f.active == 70


def test_crash_gap_is_neither_talk_nor_silence() -> None:
    log = Log()
    log.at(0, SessionStarted)
    log.at(10, TurnStarted, speaker=A)
    log.at(40, Observation, text="x")
    log.crash(down=300, new_epoch="run2")
    log.at(50_000, Reopened)
    log.at(50_020, TurnStarted, speaker=B)
    log.at(50_030, SessionEnded)
    f = session_figures(session(), log.events)
    assert f.timeline.gaps == [(40, 300)]
    assert f.active == 70
    assert f.participants[A].talk == 50  # 30 before the crash, 20 after the reopening
    assert f.talk + f.silence == f.active


def test_corrections_undo_and_amend() -> None:
    log = Log()
    log.at(0, SessionStarted)
    wrong = log.at(10, TurnStarted, speaker=B)
    log.at(11, Correction, target=wrong.id, action="undo")
    log.at(12, TurnStarted, speaker=A)
    note = log.at(20, Observation, text="A sad", about=[A])
    log.at(21, Correction, target=note.id, action="amend", about=[A, C])
    log.at(30, SessionEnded)
    f = session_figures(session(), log.events)
    assert f.participants[B].turns == 0
    assert f.participants[A].talk == 18
    assert f.participants[C].notes == {"observation": 1}


def test_gini_edges() -> None:
    assert gini([]) == 0 and gini([5]) == 0 and gini([0, 0, 0]) == 0
    assert gini([10, 10, 10]) == 0
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)  # (n-1)/n: one holds the floor


def test_member_trends_in_session_order(known) -> None:
    s1, events = known
    s2 = s1.model_copy(update={"id": "s2", "number": 2})
    trends = member_trends([(s1, events), (s2, events[:3])])
    assert [r.number for r in trends[A]] == [1, 2]
    assert trends[A][0].turns == 3 and trends[A][0].notes == 3
    assert trends[D][0].status == "absent"
    assert LEAD not in trends


# --- properties over generated logs --------------------------------------------------------

PEOPLE = [A, B, C, LEAD, COFAC]
action = st.one_of(
    st.tuples(st.just("speak"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("interrupt"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("end"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("pause"), st.none()),
    st.tuples(st.just("resume"), st.none()),
    st.tuples(st.just("note"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("undo"), st.integers(min_value=0)),
    st.tuples(st.just("crash"), st.none()),
    st.tuples(st.just("arrive"), st.sampled_from([D, E])),
    st.tuples(st.just("leave"), st.sampled_from([A, B, C])),
)


@st.composite
def logs(draw: st.DrawFn) -> list[EventBase]:
    log = Log()
    log.at(0, SessionStarted)
    t = 0.0
    speaker = None
    for kind, arg in draw(st.lists(action, max_size=40)):
        t += draw(st.floats(min_value=0, max_value=120, allow_nan=False))
        if kind == "crash":
            log.crash(draw(st.floats(min_value=1, max_value=900)), f"run{len(log.events)}")
            t = log.mono
            log.at(t, Reopened)
        elif kind == "speak":
            log.at(t, TurnStarted, speaker=arg)
        elif kind == "interrupt" and speaker not in (None, arg):
            log.at(t, Interruption, by=arg, of=speaker)
        elif kind == "end":
            log.at(t, TurnEnded, speaker=arg)
        elif kind == "pause":
            log.at(t, Paused)
        elif kind == "resume":
            log.at(t, Resumed)
        elif kind == "note":
            log.at(t, Observation, text="seen", about=[arg])
        elif kind == "undo":
            target = log.events[arg % len(log.events)]
            log.at(t, Correction, target=target.id, action="undo")
        elif kind in ("arrive", "leave"):
            log.at(
                t, AttendanceChanged, member=arg, change="arrived" if kind == "arrive" else "left"
            )
        speaker = arg if kind in ("speak", "interrupt") else speaker
    if draw(st.booleans()):
        log.at(t + 1, SessionEnded)
    return log.events


def _numbers(f) -> list[float]:
    values = [f.active, f.talk, f.silence, f.longest_silence, f.member_talk, f.gini]
    for p in f.participants.values():
        values += [p.talk, p.share, p.mean_turn, p.longest_turn]
        values += [
            v
            for v in (p.since_spoke, p.quiet_for, p.longest_quiet, p.present_seconds)
            if v is not None
        ]
    return values + [t.seconds for t in f.turns]


@settings(max_examples=60, deadline=None)
@given(logs())
def test_the_longest_quiet_is_the_most_the_live_screen_ever_showed(
    events: list[EventBase],
) -> None:
    """At every moment of a log, a member's `quiet_for` (the circle's mark) is at most their
    longest quiet of the whole session (the review's): the review names everyone the circle
    marked. (Without corrections: an undo rewrites the past the live screen saw.)"""
    events = [e for e in events if not isinstance(e, Correction)]
    whole = session_figures(session(), events).participants
    for k in range(1, len(events) + 1):
        for member, p in session_figures(session(), events[:k]).participants.items():
            if p.quiet_for is None or member in (LEAD, COFAC):
                continue
            assert p.longest_quiet is not None and p.quiet_for <= p.longest_quiet + 1e-9
            longest = whole[member].longest_quiet
            assert longest is not None and p.quiet_for <= longest + 1e-9


@settings(max_examples=150, deadline=None)
@given(logs())
def test_properties_of_every_log(events: list[EventBase]) -> None:
    f = session_figures(session(), events)
    assert f.talk + f.silence == pytest.approx(f.active)
    assert all(v >= 0 for v in _numbers(f)), "no figure is negative"
    if f.talk > 0:
        assert sum(p.share for p in f.participants.values()) == pytest.approx(1)
    if f.member_talk > 0:
        shares = [p.member_share for p in f.participants.values() if p.member_share is not None]
        assert sum(shares) == pytest.approx(1)
    changes = sum(a.speaker != b.speaker for a, b in zip(f.turns, f.turns[1:], strict=False))
    assert sum(f.transitions.values()) == changes
    assert 0 <= f.balance <= 1


@settings(max_examples=100, deadline=None)
@given(logs(), st.integers(min_value=0))
def test_a_correction_and_its_undo_give_the_original_figures(
    events: list[EventBase], pick: int
) -> None:
    target = events[pick % len(events)]
    last = events[-1]
    undo = Correction(
        seq=len(events),
        at=last.at,
        mono=last.mono,
        epoch=last.epoch,
        target=target.id,
        action="undo",
    )
    redo = Correction(
        seq=len(events) + 1,
        at=last.at,
        mono=last.mono,
        epoch=last.epoch,
        target=undo.id,
        action="undo",
    )
    before = session_figures(session(), events)
    after = session_figures(session(), [*events, undo, redo])
    assert effective([*events, undo, redo]) == effective(events)
    assert (after.active, after.talk, after.transitions) == (
        before.active,
        before.talk,
        before.transitions,
    )
    assert after.participants == before.participants


def test_timeline_of_an_empty_log() -> None:
    tl = timeline([])
    assert tl.end == 0 and tl.events == []


# A member's session as it goes: wait, start or stop speaking, leave or come back.
MOVES = st.lists(
    st.tuples(st.sampled_from(["wait", "speak", "stop", "leave", "come"]), st.floats(0, 50)),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(MOVES)
def test_the_quiet_walk_answers_as_the_whole_walk_at_every_moment(moves) -> None:
    """The live screen's walk through a member's quiet stretches, kept from one key to the
    next, answers what walking the whole session again answers, at every moment."""
    walk = QuietWalk()
    now, inside, speaking = 0.0, True, None
    stretches: list[tuple[float, float]] = [(0.0, 0.0)]
    closed: list[SpeakingTurn] = []
    for move, dt in moves:
        now += dt
        if move == "speak" and speaking is None:
            speaking = now
        elif move == "stop" and speaking is not None:
            closed.append(SpeakingTurn("m", speaking, now))
            speaking = None
        elif move == "leave" and inside:
            inside = False
            stretches[-1] = (stretches[-1][0], now)
        elif move == "come" and not inside:
            inside = True
            stretches.append((now, now))
        if inside:
            stretches[-1] = (stretches[-1][0], now)
        running = SpeakingTurn("m", speaking, now, open=True) if speaking is not None else None
        whole = _longest_quiet(stretches, [*closed, *([running] if running else [])])
        assert walk.longest_quiet(list(stretches), closed, running) == whole


@given(st.lists(st.floats(0, 1e4)), st.none() | st.floats(0, 1e4))
def test_the_median_with_the_running_turn_is_the_median_of_all(lengths, extra) -> None:
    everything = [*lengths, *([extra] if extra is not None else [])]
    expected = statistics.median(everything) if everything else 0.0
    assert _median(sorted(lengths), extra) == expected
