"""The app driven by keys as a co-facilitator would: what lands in the store."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from textual.widgets import DataTable, Static

from cofacil import collector
from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.demo import DEMO_GROUP_ID, start_demo_session
from cofacil.dynamics import effective, talk_seconds
from cofacil.models import Correction, Group, Member, SessionStarted, TurnEnded, TurnStarted
from cofacil.screens.group_screen import GroupScreen
from cofacil.screens.home_screen import FIRST_RUN, HomeScreen
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store
from cofacil.widgets.member_circle import MemberCircle

START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))


def fake_clock() -> FakeClock:
    return FakeClock(START)


async def test_first_run_says_how_to_start(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=fake_clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        hint = app.screen.query_one("#home-hint", Static)
        assert str(hint.render()) == FIRST_RUN


async def test_demo_records_turns_and_undo(tmp_path: Path) -> None:
    clock = fake_clock()
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        maya, priya = (screen.live.group.seated()[i].id for i in (0, 2))
        await pilot.press("1")
        clock.advance(30)
        await pilot.press("3")  # Priya takes over; Maya's turn ends
        clock.advance(20)
        await pilot.press("space")
        clock.advance(5)
        await pilot.press("l")
        await pilot.press("u")  # the lead's turn was a mistake
        session_id = screen.live.session.id

    events = Store(tmp_path).read_events(session_id)
    assert isinstance(events[0], SessionStarted)
    kinds = [type(e) for e in events[1:]]
    assert kinds == [TurnStarted, TurnStarted, TurnEnded, TurnStarted, Correction]
    assert [e.speaker for e in effective(events) if isinstance(e, TurnStarted)] == [maya, priya]
    assert talk_seconds(events) == {maya: 30.0, priya: 20.0}


async def test_same_key_again_ends_the_turn(tmp_path: Path) -> None:
    clock = fake_clock()
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        clock.advance(12)
        await pilot.press("2")
        live = app.screen.live
        assert live.speaker() is None
        theo = live.group.seated()[1].id
        seat = next(s for s in app.screen.query_one(MemberCircle).seats if s.id == theo)
        assert seat.talk == 12 and not seat.speaking


async def test_session_resumes_after_quitting(tmp_path: Path) -> None:
    clock = fake_clock()
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        first_id = app.screen.live.session.id
        clock.advance(40)
    # The app quit with Jonas still speaking: a new run resumes the same session, turn open.
    again = make_app(tmp_path, clock=clock, demo=True)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        live = again.screen.live
        assert live.session.id == first_id
        assert live.speaker() == live.group.seated()[3].id


async def test_home_opens_the_group_session(tmp_path: Path) -> None:
    clock = fake_clock()
    start_demo_session(Store(tmp_path, clock=clock))  # planned, not yet recorded
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#groups", DataTable)
        assert table.row_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GroupScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")  # the demo's session of today is still open: resume it
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.live.group.id == DEMO_GROUP_ID
        await pilot.press("q")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_markup_in_names_is_shown_literally(tmp_path: Path) -> None:
    clock = fake_clock()
    store = Store(tmp_path, clock=clock)
    store.save_group(
        Group(
            name="[bold]Tue[/] [link=x]y[/link]",
            created_at=clock.now(),
            members=[Member(name="[red]Ann[/]", seat=1, hotkey="1")],
        )
    )
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#groups", DataTable)
        assert str(table.get_row_at(0)[0]) == "[bold]Tue[/] [link=x]y[/link]"
        await pilot.press("enter")
        await pilot.pause()
        rows = app.screen.query_one("#roster", DataTable)
        assert str(rows.get_row_at(0)[1]) == "[red]Ann[/]"


async def test_every_key_is_also_in_the_command_palette(tmp_path: Path) -> None:
    clock = fake_clock()
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Silence", "Lead", "Co-fac", "Undo", "Leave"} <= titles
        assert "Screenshot" not in titles  # it would write notes to an unprotected file
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"lead")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen.live.speaker() == "lead"


def test_a_crash_report_rings_no_bell_and_shows_no_note_text(tmp_path, clock) -> None:
    """Should the app ever fail, its report stays silent and leaves out local variables (a
    note's text could be one)."""
    from cofacil.__main__ import make_app

    app = make_app(tmp_path, clock=clock)
    rang: list[int] = []
    app.bell = lambda: rang.append(1)  # type: ignore[method-assign]
    app._close_messages_no_wait = lambda: None  # type: ignore[method-assign]
    try:
        note = "-".join(["CANARY", "note"])  # a local the report must not show
        raise RuntimeError(f"failed after {len(note)} characters")
    except RuntimeError:
        app._fatal_error()  # what Textual calls on an unhandled error
    report = "".join(s.text for r in app._exit_renderables for s in r.segments)
    assert "RuntimeError" in report and "CANARY-note" not in report
    assert rang == []


async def test_the_app_never_rings_the_terminal_bell(tmp_path: Path, monkeypatch) -> None:
    """Whatever asks for the bell (Textual does for a disabled key clicked in a footer, a
    refused character, a broken stylesheet), nothing reaches the terminal."""
    from textual.drivers.headless_driver import HeadlessDriver

    written: list[str] = []
    # A driver that takes the app's output as a terminal would, so the bell is not skipped
    # as it is for a headless app.
    monkeypatch.setattr(HeadlessDriver, "is_headless", property(lambda self: False))
    monkeypatch.setattr(HeadlessDriver, "write", lambda self, data: written.append(data))
    app = make_app(tmp_path, clock=fake_clock(), demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = len(written)
        app.bell()
        assert written[before:] == []


async def test_the_collector_pauses_only_while_starting_up(tmp_path: Path) -> None:
    """Start-up runs with the garbage collector paused (its passes only slow the first frame):
    from making the app until its first frame is drawn, and then what the start made is kept
    out of its passes. An app made but never run (a start that failed) leaves it to be ended."""
    import gc

    app = make_app(tmp_path, clock=fake_clock(), demo=True)
    assert not gc.isenabled()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    make_app(tmp_path, clock=fake_clock())  # an app that is made but never run
    assert not gc.isenabled()
    collector.end_start()
    assert gc.isenabled()


def test_the_program_pauses_the_collector_from_its_first_import(tmp_path: Path) -> None:
    """Importing the program pauses the collector before anything heavy is imported; a
    command that draws no screen then does its work with the collector on."""
    script = (
        "import gc, sys\n"
        "import cofacil.__main__ as program\n"
        "print(gc.isenabled())\n"
        "program.main(['groups', '--data-dir', sys.argv[1]])\n"
        "print(gc.isenabled())\n"
    )
    Store(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split("\n")[0] == "False"
    assert done.stdout.split("\n")[-2] == "True"
