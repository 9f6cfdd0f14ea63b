"""What the room leaves on disk besides its events: a sign of life, so a crash costs a turn in
progress at most the last two seconds, and the note being written, so nothing typed is lost
(core, no UI)."""

from __future__ import annotations

import stat

import pytest
from conftest import crash

from cofacil.clock import FakeClock
from cofacil.dynamics import speaking_turns, talk_seconds, timeline
from cofacil.live import LiveSession
from cofacil.models import Draft, Flag, Observation, Reopened, Session
from cofacil.storage import Store


def restart(store: Store, session: Session, after: float, epoch: str) -> LiveSession:
    """The app started again `after` seconds later: a new run, its monotonic clock restarted."""
    clock = FakeClock(store.clock.now(), epoch=epoch)
    clock.advance(after)
    clock._mono = 5.0
    store.clock = clock
    return LiveSession(store, session.id)


def run(store: Store, session: Session) -> tuple[LiveSession, FakeClock]:
    clock = FakeClock(store.clock.now(), epoch="run-1")
    store.clock = clock
    return LiveSession(store, session.id), clock


def talk_for(live: LiveSession, seconds: float, clock: FakeClock) -> None:
    """`seconds` pass with the live screen's once-a-second sign of life."""
    for _ in range(int(seconds)):
        clock.advance(1)
        live.beat()
    clock.advance(seconds - int(seconds))


def test_a_crash_mid_turn_keeps_the_turn_up_to_the_last_sign_of_life(
    store: Store, session: Session
) -> None:
    live, clock = run(store, session)
    member = session.seats[0]
    live.speak(member)
    talk_for(live, 19.6, clock)  # the last sign of life 0.6 s before the kill
    crash(live)

    live = restart(store, session, after=20, epoch="run-2")
    reopened = live.events[-1]
    assert isinstance(reopened, Reopened) and reopened.alive is not None
    talk = talk_seconds(live.events, live.now())[member]
    assert 19.6 - 2 <= talk <= 19.6  # at most two seconds of the turn lost
    assert talk == pytest.approx(19.0)
    # The gap runs from the last sign of life to the restart: 0.6 s + 20 s, by the wall clock.
    assert timeline(live.events).gaps == [(pytest.approx(19.0), pytest.approx(20.6))]
    # The turn goes on after the restart: the app comes back with it in progress.
    live.store.clock.advance(4)  # type: ignore[attr-defined]
    assert speaking_turns(live.events, live.now())[-1].open
    assert talk_seconds(live.events, live.now())[member] == pytest.approx(23.0)
    live.close()


def test_without_a_later_sign_of_life_the_gap_starts_at_the_last_event(
    store: Store, session: Session
) -> None:
    live, clock = run(store, session)
    live.speak(session.seats[0])
    clock.advance(19)  # no sign of life since the turn began (the screen was not running)
    crash(live)
    live = restart(store, session, after=20, epoch="run-2")
    assert live.events[-1].alive is None  # type: ignore[attr-defined]
    assert talk_seconds(live.events, live.now())[session.seats[0]] == 0.0
    assert timeline(live.events).gaps == [(0.0, 39.0)]
    live.close()


def test_a_sign_of_life_from_an_older_run_is_not_taken_for_the_last_one(
    store: Store, session: Session
) -> None:
    live, clock = run(store, session)
    live.speak(session.seats[0])
    talk_for(live, 10, clock)
    crash(live)
    live = restart(store, session, after=5, epoch="run-2")  # run 2 dies before its first beat
    live.log.beat = lambda reading: None  # type: ignore[method-assign]
    crash(live)
    live = restart(store, session, after=5, epoch="run-3")
    assert live.events[-1].alive is None  # type: ignore[attr-defined]  # run 1's is stale
    assert talk_seconds(live.events)[session.seats[0]] == pytest.approx(10.0)
    live.close()


def test_a_break_stays_a_break_across_a_crash(store: Store, session: Session) -> None:
    live, clock = run(store, session)
    live.speak(session.seats[0])
    clock.advance(5)
    live.toggle_pause()
    talk_for(live, 30, clock)  # on a break: signs of life, but no session time
    crash(live)
    live = restart(store, session, after=10, epoch="run-2")
    assert timeline(live.events, live.now()).end == pytest.approx(5.0)
    assert talk_seconds(live.events, live.now())[session.seats[0]] == pytest.approx(5.0)
    live.close()


def test_a_note_being_written_survives_a_crash_and_comes_back(
    store: Store, session: Session
) -> None:
    live, _clock = run(store, session)
    member = session.seats[1]
    begun = live.reading()
    draft = Draft(kind="flag", text="talks of not 👨‍👩‍👧 going home", about=[member], begun=begun)
    assert live.keep_draft("flag", draft)
    path = store.session_paths(session.id).draft
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    crash(live)

    live = restart(store, session, after=30, epoch="run-2")
    assert live.drafts == {"flag": draft}  # as typed, whom it was about, when it was begun
    note = Draft(kind="observation", text="second draft", begun=live.reading())
    live.keep_draft("observation", note)  # a flag and an observation may both be parked
    live.keep_draft("flag", None)  # saved (or cleared): not offered again
    assert live.drafts == {"observation": note}
    live.keep_draft("observation", None)
    assert not path.exists()
    live.close()
    assert LiveSession(store, session.id).drafts == {}


def test_a_damaged_draft_is_kept_aside_and_said(store: Store, session: Session) -> None:
    live, _ = run(store, session)
    live.keep_draft(
        "observation", Draft(kind="observation", text="half a thought", begun=live.reading())
    )
    live.close()
    path = store.session_paths(session.id).draft
    path.write_bytes(path.read_bytes().replace(b"half", b"hale"))  # the checksum no longer holds

    live = LiveSession(store, session.id)
    assert live.drafts == {}  # the session opens all the same
    kept = [p for p in path.parent.iterdir() if ".draft.damaged-" in p.name]
    assert len(kept) == 1 and b"hale a thought" in kept[0].read_bytes()
    assert any("do not read back" in n and kept[0].name in n for n in store.notices)
    live.close()


def test_a_note_keeps_the_moment_it_was_begun(store: Store, session: Session) -> None:
    live, clock = run(store, session)
    live.speak(session.seats[0])
    clock.advance(144)
    begun = live.reading()  # `f` pressed at 2:24
    clock.advance(3)
    live.toggle_pause()  # a break while the flag is typed: the session clock stops
    clock.advance(60)
    live.toggle_pause()
    live.flag("said goodbye twice", [session.seats[0]], ["leaving"], begun=begun)
    live.observe("a quiet nod", [], [], begun=None)
    tl = timeline(live.events)
    flag = next(i for i, e in enumerate(tl.events) if isinstance(e, Flag))
    note = next(i for i, e in enumerate(tl.events) if isinstance(e, Observation))
    assert tl.when[flag] == pytest.approx(144.0)  # the moment it is about
    assert tl.t[flag] == pytest.approx(147.0)  # when it was saved, the break left out
    assert tl.when[note] == tl.t[note]  # no moment kept: when it was saved
    assert tl.events[flag].tags == ["leaving"]  # type: ignore[attr-defined]
    live.close()


def test_a_note_begun_before_a_crash_keeps_its_moment(store: Store, session: Session) -> None:
    live, clock = run(store, session)
    live.speak(session.seats[0])
    clock.advance(30)
    live.beat()
    begun = live.reading()
    clock.advance(1)
    live.beat()
    crash(live)
    live = restart(store, session, after=20, epoch="run-2")
    live.observe("picked up where we were", [], [], begun=begun)
    tl = timeline(live.events)
    assert tl.when[-1] == pytest.approx(30.0)
    assert tl.t[-1] == pytest.approx(31.0)
    live.close()


def test_a_recording_cut_short_reads_to_its_last_sign_of_life(
    store: Store, session: Session
) -> None:
    """Killed mid-turn and not opened since: the review and the report already count the
    turn up to the last sign of life, as they will once the session is resumed."""
    from cofacil import export
    from cofacil.live import SessionView

    live, clock = run(store, session)
    live.speak(session.seats[0])
    talk_for(live, 40, clock)
    crash(live)
    view = SessionView(store, session.id)
    assert view.left_open_at() is not None
    assert view.recorded_figures().participants[session.seats[0]].talk == pytest.approx(40.0)
    group = store.group(session.group_id)
    report = export.render("md", group, session, view.events, until=view.left_open_at())
    assert "- Length: 0:40 of" in report
    # While it is being recorded again, the log is read as it stands.
    live = LiveSession(store, session.id)
    assert SessionView(store, session.id).left_open_at() is None
    live.close()


def test_every_report_shows_the_gap_and_each_note_at_its_moment(
    store: Store, session: Session
) -> None:
    import csv
    import io
    import json

    from cofacil import export

    live, clock = run(store, session)
    live.speak(session.seats[0])
    talk_for(live, 40, clock)
    begun = live.reading()
    crash(live)
    live = restart(store, session, after=20, epoch="run-2")
    live.observe("back to where we were", [session.seats[0]], [], begun=begun)
    live.close()
    group, events = store.group(session.group_id), store.read_events(session.id)

    md = export.render("md", group, session, events)
    assert "- Gaps (cofacil was not running, left out of the clocks): 0:20 at 0:40" in md
    assert "- 0:40 — Ann: back to where we were" in md  # its moment
    rows = list(csv.DictReader(io.StringIO(export.render("csv", group, session, events))))
    reopened = next(r for r in rows if r["type"] == "reopened")
    assert float(reopened["gap_s"]) == pytest.approx(20.0)
    note = next(r for r in rows if r["type"] == "observation")
    assert note["begun_at"] == begun.at.isoformat() and float(note["begun_active_s"]) == 40.0
    data = json.loads(export.render("json", group, session, events))
    assert data["gaps"] == [{"at_s": 40.0, "seconds": 20.0, "ended_by": reopened["event_id"]}]
    assert export.from_json(export.render("json", group, session, events))[2] == events


def test_a_torn_sign_of_life_is_not_taken(store: Store, session: Session) -> None:
    """A power cut mid-write may tear the record: its checksum fails, and the gap starts at
    the last event (as before signs of life were kept), never at a made-up moment."""
    live, clock = run(store, session)
    live.speak(session.seats[0])
    talk_for(live, 12, clock)
    crash(live)
    path = store.session_paths(session.id).alive
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0x20  # one flipped byte in the reading
    path.write_bytes(bytes(raw))
    live = restart(store, session, after=5, epoch="run-2")
    assert live.events[-1].alive is None  # type: ignore[attr-defined]
    assert talk_seconds(live.events)[session.seats[0]] == 0.0
    live.close()


def test_the_sign_of_life_is_rewritten_in_place(store: Store, session: Session) -> None:
    live, clock = run(store, session)
    path = store.session_paths(session.id).alive
    before = path.stat()
    for _ in range(3):
        clock.advance(1)
        live.beat()
    after = path.stat()
    assert after.st_ino == before.st_ino and after.st_size == before.st_size  # no new file
    assert stat.S_IMODE(after.st_mode) == 0o600
    live.close()
