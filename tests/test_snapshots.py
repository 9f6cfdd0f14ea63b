"""How the screens look at the promised sizes, on the demo group with a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.demo import ensure_demo_group
from cofacil.storage import Store

SIZES = [(80, 24), (120, 40), (60, 30)]
START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    clock = FakeClock(START)
    ensure_demo_group(Store(tmp_path, clock=clock))
    assert snap_compare(make_app(tmp_path, clock=clock), terminal_size=size)


LIVE_SIZES = [(80, 24), (120, 40), (60, 30), (100, 30)]


@pytest.mark.parametrize("size", LIVE_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_session_mid_turn(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """Seventeen minutes in: Theo speaking, Ines quiet for too long, a flag in the pane."""
    clock = FakeClock(START)
    app = make_app(tmp_path, clock=clock, demo=True)

    async def run_before(pilot) -> None:
        for key, seconds in (("7", 60), ("2", 95), ("l", 20), ("5", 300), ("3", 200)):
            await pilot.press(key)
            clock.advance(seconds)
        await pilot.press("o", *"tearful about work #emotion", "enter")
        await pilot.press("f", *"not sleeping, no point", "enter")
        await pilot.press("c")
        clock.advance(15)
        await pilot.press("2")
        clock.advance(340)
        app.screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (60, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_quiet_seats(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """Thirteen minutes in, at the default ten-minute threshold: Maya, Theo and Priya quiet
    (12, 11 and 10 minutes: `◷`, "quiet 12m"), Kit never heard (`○`, "quiet 13m"), Jonas
    silent for nine minutes, not yet quiet; Lea speaking."""
    clock = FakeClock(START)
    app = make_app(tmp_path, clock=clock, demo=True)

    async def run_before(pilot) -> None:
        for key, seconds in (*((k, 60) for k in "1234567"), ("l", 120), ("5", 240)):
            await pilot.press(key)
            clock.advance(seconds)
        app.screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def _demo_store(tmp_path: Path) -> FakeClock:
    clock = FakeClock(START)
    ensure_demo_group(Store(tmp_path, clock=clock))
    return clock


SCREENS = {
    "group": ("enter",),
    "member_form": ("enter", "e"),
    "group_form": ("enter", "g"),
    "setup": ("enter", "s", "down", "l", "a"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", SCREENS)
def test_roster_screens(snap_compare, tmp_path: Path, screen: str, size: tuple[int, int]) -> None:
    app = make_app(tmp_path, clock=_demo_store(tmp_path))

    async def run_before(pilot) -> None:
        for key in SCREENS[screen]:
            await pilot.press(key)
            await app.workers.wait_for_complete()  # the group's sessions load in a worker
            await pilot.pause()
        for widget in app.screen.query("Input"):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (60, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_after_a_crash(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """Back after a crash: Theo spoke 31 s until the last sign of life, cofacil was down 21 s
    (the gap on the timer), and the flag being written then is offered back (the parked line)."""
    from cofacil.demo import start_demo_session
    from cofacil.live import LiveSession
    from cofacil.models import Draft

    first = FakeClock(START, epoch="run-1")
    store = Store(tmp_path, clock=first)
    session = start_demo_session(store)
    live = LiveSession(store, session.id)
    live.speak(session.seats[1])
    for _ in range(31):
        first.advance(1)
        live.beat()
    flag = Draft(
        kind="flag", text="not safe at home", about=[session.seats[1]], begun=live.reading()
    )
    live.keep_draft("flag", flag)
    live.log._journal.close()  # killed: no checkpoint, the lock goes with the process
    live.log._lock.release()

    again = FakeClock(first.now() + timedelta(seconds=21), epoch="run-2")
    app = make_app(tmp_path, clock=again, demo=True)

    async def run_before(pilot) -> None:
        again.advance(4)
        app.screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (60, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_a_parked_note(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """A note parked with Escape while the speaker changes: the line says how to bring it back."""
    clock = FakeClock(START)
    app = make_app(tmp_path, clock=clock, demo=True)

    async def run_before(pilot) -> None:
        await pilot.press("1")
        clock.advance(20)
        await pilot.press("o", *"Maya looks away when Priya", "escape", "3")
        clock.advance(5)
        app.screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
