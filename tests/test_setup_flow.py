"""A facilitator sets up a group before it meets, by keys alone, and finds it all again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.screens.group_screen import GroupScreen
from cofacil.screens.home_screen import HomeScreen
from cofacil.screens.session_screen import SessionScreen
from cofacil.screens.setup_screen import SetupScreen
from cofacil.storage import Store
from cofacil.widgets.form import FormScreen

START = datetime(2026, 11, 19, 17, 45, tzinfo=timezone(timedelta(hours=1)))
NAMES = ["A.K.", "Robin", "J", "Sam P", "M.T.", "Lee", "Ola", "[b]Vi[/b]"]


async def type_text(pilot, text: str) -> None:
    await pilot.press(*(c if c != " " else "space" for c in text))


async def test_create_group_add_members_reorder_attendance_start(tmp_path: Path) -> None:
    clock = FakeClock(START)
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "Tuesday group")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GroupScreen)
        for name in NAMES:
            await pilot.press("a")
            await type_text(pilot, name)
            await pilot.press("enter")
            await pilot.pause()
        # Ola (seat 7, selected after being added) moves up two seats.
        await pilot.press("up", "left_square_bracket", "left_square_bracket")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("down", "l")  # Robin will be late
        await pilot.press("a")  # J is away today
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)

    store = Store(tmp_path)
    (group,) = store.groups()
    assert group.name == "Tuesday group"
    assert [m.name for m in group.seated()] == [
        "A.K.",
        "Robin",
        "J",
        "Sam P",
        "Ola",
        "M.T.",
        "Lee",
        "[b]Vi[/b]",
    ]
    assert [m.hotkey for m in group.seated()] == list("12345678")
    (session,) = store.sessions(group.id)
    status = {group.member(m).name: a.status for m, a in session.attendance.items()}
    assert status["Robin"] == "late" and status["J"] == "absent" and status["A.K."] == "present"
    assert session.number == 1 and session.planned_minutes == 90
    assert session.date == START.date()

    again = make_app(tmp_path, clock=clock)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, HomeScreen)
        groups = again.screen.query_one("#groups", DataTable)
        assert str(groups.get_row_at(0)[0]) == "Tuesday group"
        assert str(groups.get_row_at(0)[3]) == "1"
        await pilot.press("enter")
        await pilot.pause()
        roster = again.screen.query_one("#roster", DataTable)
        assert [str(roster.get_row_at(i)[1]) for i in range(8)][-1] == "[b]Vi[/b]"
        sessions = again.screen.query_one("#sessions", DataTable)
        assert sessions.row_count == 1 and str(sessions.get_row_at(0)[2]) == "open"


async def test_bad_input_is_shown_next_to_the_field(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await type_text(pilot, "   ")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert str(app.screen.query_one("#error-name", Static).render()) == "Group name is empty"
        await pilot.press("escape")  # nothing was saved
        await pilot.pause()
        assert Store(tmp_path).groups() == []


async def test_set_up_rejects_a_bad_date_and_length(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = Store(tmp_path, clock=clock)
    from cofacil.roster import add_member, create_group

    add_member(store, create_group(store, "G"), "Ann")
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "s")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#field-date", Input).value = "19/11/2026"
        await pilot.press("s")
        await pilot.pause()
        assert "YYYY-MM-DD" in str(screen.query_one("#error-date", Static).render())
        assert store.sessions() == []
        screen.query_one("#field-date", Input).value = "2026-11-19"
        screen.query_one("#field-planned", Input).value = "2"
        screen.query_one("#attendance").focus()
        await pilot.press("s")
        await pilot.pause()
        assert "between 5 and 600" in str(screen.query_one("#error-planned", Static).render())
        assert store.sessions() == []


async def test_a_long_pasted_name_gets_a_message(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#field-name", Input).insert_text_at_cursor("x" * 41)
        await pilot.press("enter")
        await pilot.pause()
        message = str(app.screen.query_one("#error-name", Static).render())
        assert message == "Group name is longer than 40 characters"


async def test_a_full_disk_while_adding_a_member_is_a_calm_message(
    tmp_path: Path, monkeypatch
) -> None:
    import errno

    from cofacil.storage import safefile

    clock = FakeClock(START)
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", *"G", "enter")
        await pilot.pause()

        def full(*args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(safefile, "write_all", full)
        await pilot.press("a", *"Ann", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)  # still open: nothing typed is lost
        message = str(app.screen.query_one("#error-name", Static).render())
        assert "No space left on device" in message and "nothing was changed" in message
        assert app.screen.query_one("#field-name", Input).value == "Ann"
    (group,) = Store(tmp_path).groups()
    assert group.members == []  # the file holds the old version, whole
