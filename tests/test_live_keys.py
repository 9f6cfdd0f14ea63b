"""Every key of the co-facilitator's contract, pressed as in the room, checked in the store."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import painted
from textual import events
from textual.strip import Strip

from cofacil import dynamics
from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.demo import start_demo_session
from cofacil.dynamics import effective
from cofacil.live import LiveSession, SessionView
from cofacil.models import (
    COFAC,
    LEAD,
    AttendanceChanged,
    CodedEvent,
    Correction,
    Flag,
    Interruption,
    Nudge,
    Observation,
    Paused,
    Resumed,
    RoundEnded,
    RoundStarted,
    SessionEnded,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
)
from cofacil.screens.end_screen import EndScreen
from cofacil.screens.help_screen import HelpScreen
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store
from cofacil.widgets.member_circle import MemberCircle
from cofacil.widgets.observation_pane import ObservationPane

START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock):
    return make_app(tmp_path, clock=clock, demo=True)


def recorded(app) -> list:
    """What the store holds (corrections applied), after the session's start."""
    return effective(app.screen.live.events)[1:]


def last(app, kind: type):
    return [e for e in recorded(app) if isinstance(e, kind)][-1]


def member(app, seat: int) -> str:
    return app.screen.live.session.seats[seat - 1]


async def test_lead_cofac_and_members(app, clock) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")
        clock.advance(5)
        await pilot.press("c", "1", "space", "3", "3")
        kinds = [(type(e), getattr(e, "speaker", None)) for e in recorded(app)]
        assert kinds == [
            (TurnStarted, LEAD),
            (TurnStarted, COFAC),
            (TurnStarted, member(app, 1)),
            (TurnEnded, member(app, 1)),
            (TurnStarted, member(app, 3)),
            (TurnEnded, member(app, 3)),
        ]


async def test_interruption_then_whose_key(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2", "i", "5")
        cut = recorded(app)[-1]
        assert isinstance(cut, Interruption)
        assert (cut.by, cut.of) == (member(app, 5), member(app, 2))
        assert app.screen.live.speaker() == member(app, 5)
        await pilot.pause()
        pane = str(app.screen.query_one("#notes-text").render())
        assert pane.splitlines()[0] == "0:00 ↯ Lea: cut in on Theo"  # the key leaves a trace
        await pilot.press("i", "x")  # not a person's key: nothing happens
        assert recorded(app)[-1] is cut
        await pilot.press("i", "5")  # Lea is speaking already: told, nothing recorded
        assert recorded(app)[-1] is cut
        assert list(app._notifications)[-1].message == "Lea is speaking already."


async def test_observation_addressed_mentions_tags(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "o")
        await pilot.press(*"upset, looks at @Maya #conflict", "enter")
        note = recorded(app)[-1]
        assert isinstance(note, Observation)
        assert note.text == "upset, looks at @Maya #conflict"
        assert note.about == [member(app, 4), member(app, 1)]
        assert note.tags == ["conflict"]
        # Letters typed into the note never act as keys: no undo, break or end happened.
        assert not any(isinstance(e, (Correction, Paused, SessionEnded)) for e in recorded(app))


async def test_note_completion_and_cancel_keys(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o", *"with @Th", "right", "enter")
        assert recorded(app)[-1].text == "with @Theo"
        await pilot.press("o", *"and @Pr", "tab", "enter")  # Tab takes it as → does
        assert recorded(app)[-1].text == "and @Priya"
        assert recorded(app)[-1].about[-1] == member(app, 3)
        await pilot.press("o", *"calm", "tab", *" today", "enter")  # nothing to complete
        assert recorded(app)[-1].text == "calm today"
        before = len(app.screen.live.events)
        await pilot.press("o", *"abc", "escape")  # parked, not saved
        await pilot.press("o", *["backspace"] * 3, "escape")  # back, emptied: closed empty
        await pilot.press("o", "backspace")  # Backspace on an empty line: the tablet's Escape
        await pilot.press("1")  # keys work again once the note is closed
        assert len(app.screen.live.events) == before + 1
        assert app.screen.live.drafts == {}


async def test_flag_stands_out(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("6", "f", *"talks of ending it", "enter")
        flag = recorded(app)[-1]
        assert isinstance(flag, Flag) and flag.about == [member(app, 6)]
        await pilot.pause()
        assert app.screen.query_one(ObservationPane).flag_count == 1


async def test_a_flag_stays_on_top_of_later_notes(app) -> None:
    """Notes after a flag never push it out of sight: flags lead the pane, newest first."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6", "f", *"talks of ending it", "enter")
        for n in range(8):
            await pilot.press("o", *f"later note {n}", "enter")
        await pilot.pause()
        shown = str(app.screen.query_one("#notes-text").render()).splitlines()
        assert "⚑ FLAG" in shown[0] and "talks of ending it" in shown[0]
        assert "later note 7" in shown[1]


async def test_code_about_speaker_or_chosen_member(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2", "k")
        await pilot.pause()
        prompt = app.screen.query_one("#pending")
        shown = [line.text.strip() for line in prompt.render_lines(prompt.region.reset_offset)]
        assert shown[0].startswith("Code about Theo")
        assert "e  Strong emotion shown" in shown  # one code a line, its key first
        await pilot.press("e")
        code = last(app, CodedEvent)
        assert isinstance(code, CodedEvent)
        assert (code.scheme, code.code, code.about) == ("quick", "emotion", [member(app, 2)])
        await pilot.press("k", "7", "s")
        assert last(app, CodedEvent).about == [member(app, 7)]
        await pilot.press("k", "escape")
        assert isinstance(app.screen, SessionScreen)


async def test_undo_chain(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "2", "3", "u", "u")
        assert app.screen.live.speaker() == member(app, 1)
        assert sum(isinstance(e, Correction) for e in app.screen.live.events) == 2
        await pilot.press("u", "u")
        assert recorded(app) == []


async def test_break_stops_the_clocks(app, clock) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")
        clock.advance(10)
        await pilot.press("p")
        clock.advance(600)
        assert app.screen.live.figures().participants[member(app, 1)].talk == 10
        before = len(app.screen.live.events)
        await pilot.press("5", "i", "3")  # nobody takes the floor during a break
        assert len(app.screen.live.events) == before
        await pilot.press("p")
        clock.advance(5)
        assert [type(e) for e in recorded(app)][-2:] == [Paused, Resumed]
        # After the break nobody is speaking until someone starts.
        assert app.screen.live.speaker() is None
        assert app.screen.live.figures().participants[member(app, 1)].talk == 10


async def test_end_asks_with_the_figures_first(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "e")
        await pilot.pause()
        assert isinstance(app.screen, EndScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not app.screen.live.ended
        await pilot.press("e", "y")
        await pilot.pause()
        assert app.screen.live.ended
        await pilot.press("2")  # an ended session records nothing more
        assert isinstance(app.screen.live.events[-1], SessionEnded)


async def test_the_end_dialog_shows_the_figures_the_session_is_saved_with(app, clock) -> None:
    """The end is the moment `e` was pressed: a dialog left open a while changes nothing."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")
        clock.advance(611)
        await pilot.press("e")
        await pilot.pause()
        shown = str(app.screen.query_one(".form Static:last-of-type").render())
        clock.advance(5)  # the dialog stays open while the room settles
        await pilot.press("y")
        await pilot.pause()
        saved = app.screen.live.figures()
    assert "Active time   10:11" in shown
    assert saved.active == 611  # 10:11, as shown, not 10:16


async def test_help_shows_the_keys(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)


async def test_help_scrolls_where_it_does_not_fit(app) -> None:
    """At 60x30 the keys are taller than the screen: they scroll, the last one included."""
    from textual.containers import VerticalScroll

    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        keys = app.screen.query_one(VerticalScroll)
        assert keys.max_scroll_y > 0 and keys.region.bottom <= 30
        await pilot.press("end")
        await pilot.pause(0.5)
        assert keys.scroll_y == keys.max_scroll_y


async def test_go_round_walks_the_circle(app, clock) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")  # set up in place: no dialog over the clock and the circle
        assert isinstance(app.screen, SessionScreen)
        assert "Go-round, no time budget" in str(app.screen.query_one("#pending").render())
        await pilot.press("2", "i")  # a check-in, two minutes each
        start = recorded(app)[-1]
        assert isinstance(start, RoundStarted)
        assert (start.kind, start.budget_seconds) == ("check-in", 120)
        cue = app.screen.query_one("#timer-round")
        assert str(cue.render()) == "Check-in 0/8 · 2:00 each · next: Maya (n)"
        order = []
        for _ in range(8):
            await pilot.press("n")
            order.append(app.screen.live.speaker())
            clock.advance(130 if len(order) == 1 else 30)
            if len(order) == 1:
                app.screen.tick()
                assert app.screen.query_one("#timer").has_class("-over")
                assert str(cue.render()) == "Check-in 1/8 · 0:10 over · next: Theo (n)"
            elif len(order) == 2:
                app.screen.tick()
                assert " · 1:30 left · next: " in str(cue.render())
        assert order == app.screen.live.session.seats
        await pilot.press("n")  # after the last person: the round ends
        assert isinstance(recorded(app)[-1], RoundEnded)
        assert app.screen.live.speaker() is None
        # The review and the report say it was held, when, and with what budget.
        assert dynamics.go_rounds_words(app.screen.live.figures()) == "check-in at 0:00 (2:00 each)"


async def test_go_round_setup_is_cancelled_by_escape_and_takes_only_plain_digits(app) -> None:
    """Setting up a round in place: Escape (or any other key) records nothing; a key that
    only looks like a digit (² on an AZERTY keyboard) is not minutes and never a crash."""
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(app.screen.live.events)
        await pilot.press("g", "escape")
        await pilot.press("g")
        await app.screen.on_key(events.Key("twosuperior", "²"))  # cancels, as any other key
        await pilot.pause()
        assert len(app.screen.live.events) == before and app.screen.pending is None
        assert not app.screen.query_one("#pending").display


async def test_arrival_and_leaving(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a", "8")
        change = recorded(app)[-1]
        assert isinstance(change, AttendanceChanged) and change.change == "left"
        await pilot.press("a", "8")
        assert recorded(app)[-1].change == "arrived"


async def test_someone_not_in_the_room_does_not_take_the_floor(app, clock) -> None:
    """A key for an empty seat (left, or absent) is a slip: nothing is recorded, the speaker
    goes on, and a notice says how to mark the person in the room if they did come."""
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("1", "a", "8")  # Maya speaks; Kit leaves
        before = len(app.screen.live.events)
        await pilot.press("8", "i", "8")  # Kit's key, then Kit cutting in
        await pilot.pause()
        assert len(app.screen.live.events) == before
        assert app.screen.live.speaker() == "demo-maya"
        told = [n.message for n in app._notifications]
        assert told[-1] == "Kit left the session: a then 8 marks them in the room first."
        clock.advance(60)
        await pilot.press("a", "8", "8")  # back in the room: now Kit speaks
        assert app.screen.live.speaker() == "demo-kit"
        await pilot.press("i", "9")  # nobody sits at 9 in the demo
        assert app._notifications and list(app._notifications)[-1].message == (
            "No seat has the key 9: nothing recorded."
        )


async def test_tapping_a_seat_makes_them_speak(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        circle = app.screen.query_one(MemberCircle)
        x0, y0, _, _, who = circle._hitboxes[3]
        await pilot.click(MemberCircle, offset=(x0, y0))
        assert app.screen.live.speaker() == who


async def test_read_only_view_follows_and_records_nothing(tmp_path: Path, clock) -> None:
    store = Store(tmp_path, clock=clock)
    session = start_demo_session(store)
    writer = LiveSession(store, session.id)
    from cofacil.app import CofacilApp

    app = CofacilApp(Store(tmp_path, clock=clock))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(SessionScreen(SessionView(app.store, session.id)))
        await pilot.pause()
        key_line = painted(app).splitlines()[-1]  # offers no key that would record
        assert key_line.startswith(" ? Keys  q Leave ") and "Silence" not in key_line
        await pilot.press("1", "o", "u")
        assert len(store.read_events(session.id)) == 1
        writer.speak(writer.session.seats[1])
        app.screen.tick()  # the once-a-second refresh
        assert app.screen.live.speaker() == writer.session.seats[1]
    writer.close()


async def test_second_window_follows_read_only(tmp_path: Path, clock) -> None:
    """The lead opens the session the co-facilitator is recording: it follows, read-only."""
    store = Store(tmp_path, clock=clock)
    session = start_demo_session(store)
    writer = LiveSession(store, session.id)
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SessionScreen) and not screen.live.writable
        assert "read-only" in screen.sub_title
        writer.speak(writer.session.seats[0])
        screen.tick()
        assert screen.live.speaker() == writer.session.seats[0]
    writer.close()


async def test_deck_cards_find_and_mark_used(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.deck.cards[screen.card_index].id == "facilitation"
        await pilot.press("left_square_bracket")
        assert screen.deck.cards[screen.card_index].id == "paraphrasing"
        await pilot.press("slash", *"summ")
        await pilot.pause(0.2)
        assert screen.query_one("#note-input")._suggestion == "summarizing"  # → takes it
        await pilot.press("enter")
        assert screen.deck.cards[screen.card_index].id == "summarizing"
        await pilot.press("4", "t")  # the lead used it, towards the speaker
        used = last(app, TechniqueUsed)
        assert (used.card, used.by, used.towards) == ("summarizing", "lead", [member(app, 4)])
        await pilot.press("space", "T")  # the co-facilitator, towards the whole group
        used = last(app, TechniqueUsed)
        assert (used.by, used.towards) == ("cofac", [])


async def test_a_nudge_is_shown_dismissed_and_acted_on(app, clock) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        for key, seconds in (("1", 300), ("2", 200), ("3", 160)):
            await pilot.press(key)
            clock.advance(seconds)
        screen.tick()  # eleven minutes in, five members have not said a word
        screen.tick()  # the same situation a second later is not shown again
        nudges = [e for e in recorded(app) if isinstance(e, Nudge) and e.rule == "silent-member"]
        assert len(nudges) == 1
        shown = nudges[0]
        assert (shown.action, shown.rule, shown.card) == ("shown", "silent-member", "facilitation")
        assert screen.deck.cards[screen.card_index].id == "facilitation"
        await pilot.press("x")
        assert last(app, Nudge).action == "dismissed"
        screen.tick()
        assert screen.suggestion is None  # waved off: the deck stays quiet for a while
        for key, seconds in (("1", 250), ("2", 200), ("3", 210)):
            await pilot.press(key)
            clock.advance(seconds)
        screen.tick()  # ten minutes on, the silence is still there: offered again
        offered = screen.suggestion
        assert offered is not None and offered.rule == "silent-member"
        await pilot.press("t")
        acted = last(app, Nudge)
        assert acted.action == "acted" and acted.about == list(offered.about)
        assert last(app, TechniqueUsed).towards == list(offered.about)
        assert isinstance(screen, SessionScreen)  # nothing took the co-facilitator elsewhere


async def test_a_broken_own_deck_never_stops_the_session(tmp_path: Path, clock) -> None:
    (tmp_path / "deck.toml").write_text("[[cards]]\nid = 3\n")
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert len(app.screen.deck.cards) == 9
        (problem,) = app.screen.live.library.problems
        assert problem.startswith("deck.toml line 2: field 'cards.0.id'")
        await pilot.press("1")
        assert app.screen.live.speaker() == member(app, 1)


async def test_fast_typing_keeps_its_order(app) -> None:
    """Keys arriving in one burst (a fast typist, a tablet's buffer) act in the order typed:
    a code key right after `k` is a code, text right after `o` is text, never an action."""
    from textual import events

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for burst in ([*"2ke", *"oquiet, then left", "enter"], ["3"]):
            for key in burst:
                character = key if len(key) == 1 else None
                app.post_message(events.Key("space" if key == " " else key, character))
            await pilot.pause(0.3)
        kinds = [type(e) for e in recorded(app) if not isinstance(e, Nudge)]
        assert kinds == [TurnStarted, CodedEvent, Observation, TurnStarted]
        assert last(app, Observation).text == "quiet, then left"
        assert isinstance(app.screen, SessionScreen)


async def test_a_full_disk_loses_nothing(app, monkeypatch) -> None:
    """The disk refuses writes for a while: every key still shows, is kept in memory as
    unsaved, and lands on disk in order once the disk takes writes again."""
    import errno

    from cofacil.storage import journal

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")
        real = journal.write_all
        full = {"on": True}

        def refuse(fd: int, data: bytes) -> None:
            if full["on"]:
                raise OSError(errno.ENOSPC, "No space left on device")
            real(fd, data)

        monkeypatch.setattr(journal, "write_all", refuse)
        await pilot.press("2", "o", *"still here", "enter", "3")
        live = app.screen.live
        assert len(live.unsaved) == 3 and live.speaker() == member(app, 3)
        unsaved = app.screen.query_one("#unsaved")
        assert unsaved.display and "3 not yet saved" in str(unsaved.render())
        assert "No space left" in str(unsaved.render())
        note_line = str(app.screen.query_one("#note-idle").render())
        assert note_line.startswith("⚠ Kept here, not yet on disk: Note on")
        full["on"] = False
        app.screen.tick()  # the once-a-second retry
        assert live.unsaved == [] and not unsaved.display
        note_line = str(app.screen.query_one("#note-idle").render())
        assert note_line.startswith("✓ Saved: Note on") and "still here" in note_line
        session_id = live.session.id
    stored = Store(app.store.data_dir).read_events(session_id)
    assert [type(e) for e in stored][1:5] == [TurnStarted, TurnStarted, Observation, TurnStarted]
    assert [e.seq for e in stored] == list(range(len(stored)))


async def test_leaving_with_unsaved_events_asks_twice(app, monkeypatch) -> None:
    """`q` (or ctrl+q) while the disk refuses writes: the room stays, with a calm warning; the
    events land if the disk recovers; only a second press leaves without them."""
    import errno

    from cofacil.storage import journal

    real = journal.write_all
    full = {"on": True}

    def refuse(fd: int, data: bytes) -> None:
        if full["on"]:
            raise OSError(errno.EIO, "Input/output error")
        real(fd, data)

    for key in ("q", "ctrl+q"):
        async with app.run_test(size=(100, 30)) as pilot:
            monkeypatch.setattr(journal, "write_all", refuse)
            full["on"] = True
            await pilot.press("1", "2", key)
            live = app.screen.live
            assert isinstance(app.screen, SessionScreen) and len(live.unsaved) == 2
            (warning,) = [n.message for n in app._notifications]
            assert "2 events are not saved yet (Input/output error)" in warning
            if key == "q":
                full["on"] = False
                await pilot.press("q")  # the disk took them: leaving is free again
                assert live.unsaved == [] and not isinstance(app.screen, SessionScreen)
            else:
                await pilot.press(key)  # asked again: leaves, the two are lost
                assert not app.is_running
                monkeypatch.setattr(journal, "write_all", real)
        app = make_app(app.store.data_dir, app.store.clock, demo=True)


async def test_keys_right_after_enter_wait_for_the_save(app) -> None:
    """Notes typed back to back in one burst, each `o` straight after the Enter before it:
    every note is saved as typed, and the key after the last Enter is a room key again."""
    from textual import events

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        burst = [*"ofirst note", "enter", *"ofine", "enter", *"otears", "enter", "2"]
        for key in burst:
            app.post_message(
                events.Key("space" if key == " " else key, key if len(key) == 1 else None)
            )
        await pilot.pause(0.5)
        kinds = [
            (type(e), getattr(e, "text", None)) for e in recorded(app) if not isinstance(e, Nudge)
        ]
        assert kinds == [
            (Observation, "first note"),
            (Observation, "fine"),
            (Observation, "tears"),
            (TurnStarted, None),
        ]


async def test_editing_keys_work_in_the_note_line(app) -> None:
    """Arrows, Home/End, Backspace and Delete edit the note as in any text field."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o", *"abcdef", "left", "left", "backspace", "home", "X", "end", "Y")
        await pilot.press("ctrl+left", "delete", "enter")
        assert recorded(app)[-1].text == "abcefY"


async def test_find_a_card_in_a_read_only_view(tmp_path: Path, clock) -> None:
    """`/` works where nothing can be recorded: the letters go into the line, not to keys."""
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        session_id = app.screen.live.session.id
        await pilot.press("q")
        await app.push_screen(SessionScreen(SessionView(app.store, session_id)))
        await pilot.pause()
        screen = app.screen
        start = screen.card_index
        await pilot.press("slash", *"summ")
        assert screen.query_one("#note-input").value == "summ"
        await pilot.press("q")  # text here, not Leave
        assert app.screen is screen and screen.query_one("#note-input").value == "summq"
        await pilot.press("backspace", "enter")
        await pilot.pause()
        card = screen.deck.cards[screen.card_index]
        assert screen.card_index != start and "summ" in card.name.lower()


async def test_one_backspace_too_many_keeps_the_line_open(app) -> None:
    """Clearing a note with one Backspace too many leaves the line open: the next word is
    text, never room keys (u: undo, p: break, e: end …). An `o` by mistake still cancels."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2", "o", "x", "backspace", "backspace", *"upset", "enter")
        assert recorded(app)[-1].text == "upset"
        before = len(app.screen.live.events)
        await pilot.press("o", "backspace", "3")  # cancelled: `3` is a room key again
        assert len(app.screen.live.events) == before + 1
        assert isinstance(recorded(app)[-1], TurnStarted)


async def test_resuming_says_the_time_away_is_left_out(tmp_path: Path, clock) -> None:
    """Quit (or a crash) and open the session again: a calm notice says how long cofacil was
    away and that this time is counted neither as talk nor on the session clock."""
    from datetime import timedelta

    from cofacil.clock import FakeClock

    first = make_app(tmp_path, clock=clock, demo=True)
    async with first.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")
    later = FakeClock(clock.now() + timedelta(seconds=26), epoch="a later run")
    again = make_app(tmp_path, clock=later, demo=True)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        (notice,) = [n.message for n in again._notifications if n.title == "Resumed"]
        assert notice.startswith("Resumed after 0:26 away")


@pytest.mark.parametrize("size", [(60, 30), (80, 24), (120, 40)])
async def test_a_notice_never_covers_the_note_being_written(app, size) -> None:
    """An undo's notice (or any other) must not hide the line the co-facilitator is typing in,
    nor the circle."""
    from textual.widgets._toast import Toast

    from cofacil.widgets.note_bar import NoteBar

    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.press("1", "o", *"first", "enter", "u", "o", *"second")
        await pilot.pause(0.2)
        line = app.screen.query_one(NoteBar).region
        toasts = [t.region for t in app.screen.walk_children(Toast)]  # a system widget
        assert toasts and line.height == 1
        assert not any(t.overlaps(line) for t in toasts)
        if size[0] >= 76:  # side by side: notices keep to the side column, off the circle
            circle = app.screen.query_one(MemberCircle).region
            assert not any(t.overlaps(circle) for t in toasts)


async def test_the_room_stays_put_and_the_line_says_what_was_saved(app) -> None:
    """Opening or closing the note line never moves the circle; once closed, the line says
    what became of it."""
    from cofacil.widgets.note_bar import NoteBar

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        circle = app.screen.query_one(MemberCircle)
        where = circle.region
        await pilot.press("o", *"shares about work")
        await pilot.pause()
        assert circle.region == where
        await pilot.press("enter")
        await pilot.pause()
        assert circle.region == where
        said = str(app.screen.query_one(NoteBar).query_one("#note-idle").render())
        assert said == "✓ Saved: Note on Maya · shares about work"
        await pilot.press("u")
        await pilot.pause()
        said = str(app.screen.query_one(NoteBar).query_one("#note-idle").render())
        assert said == "Undone: observation “shares about work”"  # never a stale "✓ Saved"
        await pilot.press("f", "escape")
        await pilot.pause()
        said = str(app.screen.query_one(NoteBar).query_one("#note-idle").render())
        assert said == "Nothing saved: the line was closed empty."
        await pilot.press("u")  # Maya's turn, by whose it was
        await pilot.pause()
        said = str(app.screen.query_one(NoteBar).query_one("#note-idle").render())
        assert said == "Undone: turn started (Maya)"


@pytest.mark.parametrize("size", [(60, 30), (80, 24), (100, 30), (120, 40)])
async def test_the_note_being_written_is_in_sight_and_wide(app, size) -> None:
    """A note or a flag is read back while it is typed: its line is on the screen at every
    promised size, with room for a sentence."""
    from cofacil.widgets.note_bar import NoteBar, NoteInput

    async with app.run_test(size=size) as pilot:
        await pilot.press("1", "f")
        await pilot.pause()
        bar, field = app.screen.query_one(NoteBar), app.screen.query_one(NoteInput)
        assert app.screen.region.contains_region(bar.region) and bar.region.height == 1
        assert field.region.width >= size[0] - 20


async def test_the_circle_is_drawn_again_in_a_new_theme(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        circle = app.screen.query_one(MemberCircle)
        before = [strip._segments for strip in circle._strips()]
        app.theme = "textual-light"
        await pilot.pause()
        after = [strip._segments for strip in circle._strips()]
        assert [s.text for s in map(Strip, after)] == [s.text for s in map(Strip, before)]
        assert after != before  # the same seats, in the new theme's colours


async def test_the_circle_kept_row_by_row_is_the_circle_drawn_whole(app) -> None:
    """A key repaints only the seats it changed; what stays on screen is still the circle as
    the seats would draw it from nothing, after speaker changes, a silence and a departure."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        circle = app.screen.query_one(MemberCircle)
        for key in ("1", "2", "2", "3", "space", "1", "l", "4"):
            await pilot.press(key)
            await pilot.pause()
            kept = [strip._segments for strip in circle._strips()]
            circle._cells, circle._drawn_for = [], None  # forget every row: drawn from nothing
            assert [strip._segments for strip in circle._strips()] == kept


async def test_an_open_session_is_kept_out_of_the_collectors_passes_until_it_closes(app) -> None:
    """Frozen while the room is live (a pass never walks the log mid-key); released when the
    app ends, so what died meanwhile can still be collected."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_a_card_is_recorded_towards_whom_it_addresses(app, clock) -> None:
    """The suggested card addresses the members the suggestion is about, and is recorded
    towards them; any other card on show addresses the speaker, and is recorded towards
    the speaker: never one name on the card and another in the record."""
    from cofacil import live_view

    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        for key, seconds in (("1", 300), ("2", 200), ("3", 160)):
            await pilot.press(key)
            clock.advance(seconds)
        screen.tick()
        offered = screen.suggestion
        assert offered is not None and member(app, 3) not in offered.about

        def addressed() -> str | None:
            state = live_view.deck(
                screen.deck,
                screen.card_index,
                screen.suggestion,
                screen.live.figures(),
                screen.names,
                (),
            )
            return state.name

        assert addressed() == screen.names[offered.about[0]]
        await pilot.press("right_square_bracket")  # another card, while member 3 speaks
        assert addressed() == screen.names[member(app, 3)]
        await pilot.press("t")
        assert last(app, TechniqueUsed).towards == [member(app, 3)]
        assert not any(isinstance(e, Nudge) and e.action == "acted" for e in recorded(app))
