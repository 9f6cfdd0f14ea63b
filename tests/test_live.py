"""The live session service: keys become events; undo is a correction, never a deletion."""

from __future__ import annotations

from cofacil.clock import FakeClock
from cofacil.dynamics import effective, speaking_turns, talk_seconds, timeline
from cofacil.live import LiveSession, unfinished_session
from cofacil.models import (
    LEAD,
    Correction,
    Reopened,
    SessionEnded,
    SessionStarted,
    TurnStarted,
)
from cofacil.roster import new_session
from cofacil.storage import Store


def test_opening_starts_the_session_once(store: Store, session) -> None:
    live = LiveSession(store, session.id)
    live.close()
    live = LiveSession(store, session.id)
    assert [type(e) for e in live.events] == [SessionStarted]
    live.close()


def test_turns_and_silence(store: Store, session, clock: FakeClock) -> None:
    live = LiveSession(store, session.id)
    ann, bo, _ = session.seats
    live.speak(ann)
    clock.advance(10)
    live.speak(bo)
    clock.advance(4)
    assert live.speaker() == bo
    live.silence()
    assert live.speaker() is None
    live.silence()  # silence twice records nothing more
    clock.advance(3)
    assert talk_seconds(live.events) == {ann: 10.0, bo: 4.0}
    assert len(live.events) == 4
    live.close()


def test_undo_chain_walks_back_and_keeps_everything(store: Store, session, clock) -> None:
    live = LiveSession(store, session.id)
    ann, bo, cé = session.seats
    for who in (ann, bo, cé):
        live.speak(who)
        clock.advance(5)
    assert live.undo().speaker == cé  # type: ignore[union-attr]
    assert live.undo().speaker == bo  # type: ignore[union-attr]
    assert live.speaker() == ann
    assert live.undo().speaker == ann  # type: ignore[union-attr]
    assert live.undo() is None  # the session's start is not undone
    assert sum(isinstance(e, TurnStarted) for e in live.events) == 3  # nothing deleted
    assert sum(isinstance(e, Correction) for e in live.events) == 3
    assert [e for e in effective(live.events)] == [live.events[0]]
    live.close()


def test_undoing_a_correction_restores_the_event(store: Store, session, clock) -> None:
    live = LiveSession(store, session.id)
    ann = session.seats[0]
    live.speak(ann)
    undo = live.log.record(Correction, target=live.events[-1].id, action="undo")
    assert live.speaker() is None
    live.log.record(Correction, target=undo.id, action="undo")
    assert live.speaker() == ann
    live.close()


def test_amendment_changes_what_is_read_not_what_is_stored(store: Store, session) -> None:
    from cofacil.models import Observation

    live = LiveSession(store, session.id)
    note = live.log.record(Observation, text="Ann quiet", about=[session.seats[0]])
    live.log.record(Correction, target=note.id, action="amend", text="Ann quiet, tearful")
    shown = [e for e in effective(live.events) if isinstance(e, Observation)]
    assert shown[0].text == "Ann quiet, tearful"
    assert live.events[1].text == "Ann quiet"  # type: ignore[attr-defined]
    live.close()


def test_turn_open_across_a_crash_counts_by_wall_clock(store: Store, session) -> None:
    """A turn open when the app died resumes with the app, the time it was down left out."""
    first = FakeClock(store.clock.now(), epoch="run-1")
    store.clock = first
    live = LiveSession(store, session.id)
    live.speak(LEAD)
    first.advance(30)
    live.log.close()  # as if the app died here
    second = FakeClock(first.now(), epoch="run-2")  # monotonic readings restart
    second._mono = 3.0
    store.clock = second
    live = LiveSession(store, session.id)
    second.advance(15)
    assert isinstance(live.events[-1], Reopened)
    # The 30 s the app was down are a gap, not talk: only what follows the reopening counts.
    assert speaking_turns(live.events, live.now())[-1].seconds == 15.0
    assert timeline(live.events).gaps == [(0.0, 30.0)]
    live.close()


def test_unfinished_and_new_sessions(store: Store, session, clock) -> None:
    group = store.group(session.group_id)
    assert unfinished_session(store, group.id) == session
    with store.open_log(session.id) as log:
        log.record(SessionEnded)
    assert unfinished_session(store, group.id) is None
    nxt = new_session(store, group)
    assert nxt.number == session.number + 1
    assert nxt.date == clock.now().date()
    assert set(nxt.attendance) == {m.id for m in group.members}


def test_the_end_of_the_session_ends_a_go_round_still_going(
    store: Store, session, clock: FakeClock
) -> None:
    live = LiveSession(store, session.id)
    live.start_round("check-out", 60)
    clock.advance(20)
    assert live.round_state(live.figures()) is not None
    live.end()
    assert live.round_state(live.figures()) is None  # the go-round line goes with the end
    live.close()


def test_a_go_round_begun_while_a_member_speaks_goes_round_from_them(
    store: Store, session, clock: FakeClock
) -> None:
    from cofacil.models import Attendance

    session = session.model_copy(update={"attendance": {m: Attendance() for m in session.seats}})
    store.save_session(session)
    m1, m2, m3 = session.seats
    live = LiveSession(store, session.id)
    live.speak(m2)
    clock.advance(5)
    live.start_round("check-in", None)
    state = live.round_state(live.figures())
    assert state is not None and state.order == [m2, m3, m1] and state.next == m3
    assert live.next_in_round() == m3
    clock.advance(5)
    assert live.next_in_round() == m1  # round the circle, not back to the seat before
    assert live.next_in_round() is None  # everyone has spoken: the round ends
    assert live.round_state(live.figures()) is None
    live.close()
