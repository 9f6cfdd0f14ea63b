"""What the live screen shows, as pure data (cofacil.live_view), from a session's log."""

from __future__ import annotations

import pytest
from conftest import crash

from cofacil import live_view
from cofacil.clock import FakeClock
from cofacil.live import LiveSession
from cofacil.models import Attendance, Session
from cofacil.storage import Store


@pytest.fixture
def session(store: Store, session: Session) -> Session:
    """The three members all in the room."""
    present = session.model_copy(update={"attendance": {m: Attendance() for m in session.seats}})
    store.save_session(present)
    return present


def test_seats_say_who_speaks_who_has_not_and_who_is_out(store: Store, session: Session) -> None:
    live = LiveSession(store, session.id)
    names = live.group.names()
    m1, m2, m3 = session.seats
    live.speak(m1)
    store.clock.advance(30)  # type: ignore[attr-defined]
    live.toggle_presence(m3)  # Cé leaves
    room = live_view.room(live, live.figures(), names)
    seats = {s.id: s for s in room.seats}
    assert seats[m1].speaking and seats[m1].talk == 30.0
    assert seats[m2].not_spoken and not seats[m2].absent
    assert seats[m3].absent and seats[m3].away == "left 0:30" and room.away == {m3: "left 0:30"}
    assert [s.key for s in room.seats][-2:] == ["l", "c"]
    live.close()


def test_the_timer_shows_a_crash_gap_for_a_while(store: Store, session: Session) -> None:
    clock = FakeClock(store.clock.now(), epoch="run-1")
    store.clock = clock
    live = LiveSession(store, session.id)
    live.speak(session.seats[0])
    for _ in range(31):
        clock.advance(1)
        live.beat()
    crash(live)
    again = FakeClock(clock.now(), epoch="run-2")
    again.advance(21)
    store.clock = again
    live = LiveSession(store, session.id)
    names = live.group.names()
    gap = live_view.room(live, live.figures(), names).timer.gap
    assert gap == "⌁ 0:21 gap at 0:31, not counted"
    again.advance(live_view.GAP_SHOWN + 1)
    assert live_view.room(live, live.figures(), names).timer.gap == ""
    live.close()


def test_notes_are_listed_at_the_moment_they_are_about(store: Store, session: Session) -> None:
    live = LiveSession(store, session.id)
    live.speak(session.seats[0])
    store.clock.advance(144)  # type: ignore[attr-defined]
    begun = live.reading()
    store.clock.advance(3)  # type: ignore[attr-defined]
    live.flag("said goodbye #leaving", [session.seats[0]], ["leaving"], begun=begun)
    shown = live_view.notes(live.figures(), live.group.names(), live.library)
    assert [(n.at, n.kind, n.about, n.text) for n in shown.lines] == [
        (144.0, "flag", "Ann", "said goodbye #leaving")
    ]
    live.close()


def test_the_round_line_counts_down_then_says_by_how_much(store: Store, session: Session) -> None:
    live = LiveSession(store, session.id)
    names = live.group.names()
    live.start_round("check-in", 60)
    live.next_in_round()
    store.clock.advance(45)  # type: ignore[attr-defined]
    line, over = live_view.round_line(
        live.round_state(live.figures()), live.figures().current, names
    )
    assert line == "Check-in 1/3 · 0:15 left · next: [bold]Bo[/] (n)" and not over
    store.clock.advance(30)  # type: ignore[attr-defined]
    line, over = live_view.round_line(
        live.round_state(live.figures()), live.figures().current, names
    )
    assert "0:15 over" in line and over
    live.close()


def test_the_note_line_keeps_the_key_first_and_never_hides_a_parked_flag() -> None:
    from datetime import UTC, datetime

    from cofacil.models import ClockReading, Draft

    begun = ClockReading(at=datetime(2026, 1, 1, tzinfo=UTC), mono=1.0, epoch="e")
    flag = Draft(kind="flag", text="not safe at home", begun=begun)
    note = Draft(kind="observation", text="x" * 50, begun=begun)
    assert live_view.parked_from_before({"flag": flag}).startswith(
        "Parked from before · f: flag “not safe at home”"
    )
    assert (
        live_view.parked("observation", note.text)
        == f"Note parked · o brings it back: “{'x' * 29}…”"
    )
    assert live_view.closed_empty({"flag": flag}).endswith(" · f: flag parked")
    saved = live_view.saved("observation", "Ann", "calm", True, {"flag": flag})
    assert saved == "✓ Saved: Note on Ann · f: flag parked · calm"


def test_a_glimpse_cuts_between_words_and_never_inside_a_joined_emoji() -> None:
    assert live_view.glimpse("a long note about the family and what happened") == (
        "a long note about the family…"
    )
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    cut = live_view.glimpse(family * 12)
    assert cut.endswith("…") and not cut[:-1].endswith("\u200d")
    assert live_view.glimpse("line one\nline two \x1b[31m") == "line one line two ␛[31m"
