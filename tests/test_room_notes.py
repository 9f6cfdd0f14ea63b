"""A note being written is a record, and the room goes on while it is written (Pilot: keys
pressed as in the room, checked in the store and on the screen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_live_keys import START, app, clock, member, recorded  # noqa: F401 (fixtures)

from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.dynamics import timeline
from cofacil.models import Flag, Observation, TurnStarted
from cofacil.screens.session_screen import SessionScreen
from cofacil.widgets.member_circle import MemberCircle
from cofacil.widgets.note_bar import NoteBar


def idle_line(app) -> str:
    return str(app.screen.query_one("#note-idle").render())


async def test_escape_parks_a_note_and_o_brings_it_back(app, clock) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4", "o", *"second draft", "escape")
        assert not any(isinstance(e, Observation) for e in recorded(app))
        assert "parked" in idle_line(app) and "second draft" in idle_line(app)
        assert "o brings it back" in idle_line(app)
        await pilot.press("o")
        assert app.screen.query_one(NoteBar).value == "second draft"
        await pilot.press(*", then a third", "enter")
        note = recorded(app)[-1]
        assert isinstance(note, Observation) and note.text == "second draft, then a third"
        assert note.about == [member(app, 4)]
        assert app.screen.live.drafts == {}  # saved: not offered again


async def test_a_note_is_about_the_moment_o_was_pressed(app, clock) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        clock.advance(144)
        await pilot.press("f", *"said goodbye")
        clock.advance(3)
        await pilot.press("enter")
        flag = recorded(app)[-1]
        assert isinstance(flag, Flag) and flag.begun is not None
        assert (flag.at - flag.begun.at).total_seconds() == pytest.approx(3.0)
        tl = timeline(app.screen.live.events)
        assert tl.when[-1] == pytest.approx(144.0) and tl.t[-1] == pytest.approx(147.0)
        await pilot.pause()
        pane = str(app.screen.query_one("#notes-text").render())
        assert pane.splitlines()[0].startswith("2:24")  # shown at its moment


async def test_the_speaker_changes_while_a_note_is_written(app, clock) -> None:
    """Escape, the seat's key, `o`: the note is back as it was, its moment and whom it is
    about kept; the speaker changed in between. Twice, then it is saved."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        clock.advance(10)
        await pilot.press("o", *"Maya looks")
        await pilot.press("escape", "3", "o")  # Priya answers
        clock.advance(5)
        await pilot.press(*" away when", "escape", "5", "o", *" Priya speaks", "enter")
        speakers = [e.speaker for e in recorded(app) if isinstance(e, TurnStarted)]
        assert speakers == [member(app, 1), member(app, 3), member(app, 5)]
        note = recorded(app)[-1]
        assert isinstance(note, Observation)
        assert note.text == "Maya looks away when Priya speaks"
        assert note.about[0] == member(app, 1)  # whom it was about when begun
        assert timeline(app.screen.live.events).when[-1] == pytest.approx(10.0)


async def test_a_tap_on_a_seat_changes_the_speaker_and_the_note_stays_open(app) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "o", *"half")
        circle = app.screen.query_one(MemberCircle)
        await pilot.pause()
        box = next(b for b in circle._hitboxes if b[4] == member(app, 2))
        x, y = box[0], box[1]
        await pilot.click(MemberCircle, offset=(x, y))
        assert app.screen.live.speaker() == member(app, 2)
        bar = app.screen.query_one(NoteBar)
        assert bar.is_open
        await pilot.press(*" a thought", "enter")
        assert recorded(app)[-1].text == "half a thought"


async def test_quitting_keeps_the_note_being_written_for_next_time(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "f", *"not safe at home")
        clock.advance(20)
        await pilot.press("ctrl+q")  # no question: the note is on disk
        assert not app.is_running

    clock.advance(60)
    again = make_app(tmp_path, clock=clock, demo=True)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, SessionScreen)
        assert "Parked from before" in idle_line(again) and "not safe at home" in idle_line(again)
        await pilot.press("f")
        assert again.screen.query_one(NoteBar).value == "not safe at home"
        await pilot.press("enter")
        flag = recorded(again)[-1]
        assert isinstance(flag, Flag) and flag.text == "not safe at home"
        assert flag.begun is not None and flag.begun.at == START  # begun before the quit


async def test_the_draft_on_disk_follows_what_is_typed(app, tmp_path: Path) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o", *"every letter")
        live = app.screen.live
        assert live.log.drafts["observation"].text == "every letter"
        path = live.store.session_paths(live.session.id).draft
        assert path.exists() and (path.stat().st_mode & 0o777) == 0o600


async def test_tags_in_a_flag_are_tags(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "f", *"mentions #self-harm again", "enter")
        flag = recorded(app)[-1]
        assert isinstance(flag, Flag) and flag.tags == ["self-harm"]


async def test_a_suggestion_is_recorded_as_shown_once_across_a_break_and_a_resume(
    tmp_path: Path, clock: FakeClock
) -> None:
    from cofacil.models import Nudge

    def shown(app) -> list:
        return [e for e in app.screen.live.events if isinstance(e, Nudge) and e.action == "shown"]

    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "k", "e")  # a strong emotion coded: the deck suggests a card
        assert len(shown(app)) == 1
        await pilot.press("p")
        clock.advance(30)
        app.screen.tick()
        await pilot.press("p")  # after the break the same suggestion is back: not new
        app.screen.tick()
        await pilot.pause()
        assert app.screen.suggestion is not None and len(shown(app)) == 1
        await pilot.press("q")
    again = make_app(tmp_path, clock=clock, demo=True)
    async with again.run_test(size=(80, 24)) as pilot:
        again.screen.tick()
        await pilot.pause()
        assert again.screen.suggestion is not None  # on show again after the resume
        assert len(shown(again)) == 1  # and the log already says so


async def test_the_sign_of_life_goes_on_while_a_dialog_is_open(app, monkeypatch) -> None:
    """The help or the end dialog over the room must not stop the sign of life: a crash while
    it is open would cost more than two seconds."""
    from cofacil.live import LiveSession
    from cofacil.screens.help_screen import HelpScreen

    beats: list[float] = []
    original = LiveSession.beat
    monkeypatch.setattr(LiveSession, "beat", lambda self: (beats.append(1), original(self)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        before = len(beats)
        await pilot.pause(2.3)
        assert len(beats) - before >= 2


async def test_a_long_session_lists_every_flag_and_the_newest_notes() -> None:
    """However many notes a session holds, the live pane keeps every flag in sight, then the
    newest notes, and says how many earlier ones are left to the review."""
    from textual.app import App
    from textual.widgets import Static

    from cofacil.live_view import NoteLine
    from cofacil.widgets.observation_pane import SHOWN, ObservationPane

    lines = [NoteLine(0.0, "flag", "Kit", "not safe at home")]
    lines += [NoteLine(float(i), "observation", "", f"note {i}") for i in range(1, SHOWN + 51)]

    class Pane(App):
        def compose(self):
            yield ObservationPane()

    app = Pane()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(ObservationPane)
        pane.show(lines)
        await pilot.pause()
        shown = str(pane.query_one("#notes-text", Static).content).splitlines()
    assert "not safe at home" in shown[0]
    assert f"note {SHOWN + 50}" in shown[1]  # the newest next
    assert not any(line.endswith("note 50") for line in shown)  # older than the newest SHOWN
    assert shown[-1] == "… 50 earlier notes: all in the review"
    assert pane.flag_count == 1


async def test_notes_still_parked_are_saved_when_the_session_ends(app, clock) -> None:
    """A flag and a note put aside, then `e`: the dialog lists them (saved as they stand); on
    ending, both are in the record, about whom and from when they were begun, and the
    figures are those the dialog showed."""
    from cofacil.screens.end_screen import EndScreen

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "f", *"not safe at home #risk", "escape")
        clock.advance(20)
        await pilot.press("2", "o", *"quiet today", "escape")
        clock.advance(5)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EndScreen)
        said = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "⚑ Flag “not safe at home #risk”: saved as it stands" in said
        assert "Flags         1 (one of them parked: below)" in said
        assert "Note “quiet today”: saved as it stands" in said
        clock.advance(30)  # the dialog stays open a while
        await pilot.press("y")
        await pilot.pause()
        events = recorded(app)
        assert app.screen.live.drafts == {}
        assert idle_line(app) == "Session ended · the 2 notes parked saved with it."
        first, second = member(app, 1), member(app, 2)
    flag = next(e for e in events if isinstance(e, Flag))
    note = next(e for e in events if isinstance(e, Observation))
    assert flag.text == "not safe at home #risk" and flag.about == [first]
    assert flag.tags == ["risk"] and note.about == [second]
    assert events[-1].type == "session_ended" and events[-3:-1] == [flag, note]
    assert flag.mono == note.mono == events[-1].mono  # at the moment `e` was pressed
    when = timeline(events).when
    assert when[events.index(flag)] < when[events.index(note)] < when[-1]  # where begun
