"""The live screen's key line: the keys the screen can take now, whole, and pressed by a click."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from cofacil.__main__ import make_app
from cofacil.app import CofacilApp
from cofacil.clock import FakeClock
from cofacil.demo import start_demo_session
from cofacil.live import LiveSession, SessionView
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store
from cofacil.widgets.key_bar import SEPARATOR, KeyBar, Shown, layout
from cofacil.widgets.note_bar import NoteBar

START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))

words = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12)
keys = st.lists(st.builds(Shown, key=words, display=words, label=words), max_size=12)


def cells(key: Shown) -> int:
    return cell_len(f" {key.display} {key.label} ")  # as drawn


@given(
    keys, st.none() | st.builds(Shown, key=words, display=words, label=words), st.integers(0, 120)
)
def test_keys_are_whole_in_order_and_inside_the_line(
    shown: list[Shown], palette: Shown | None, width: int
) -> None:
    placed, palette_at = layout(shown, palette, width)
    assert [key for _x, key in placed] == shown[: len(placed)]  # the first ones, in order
    end = 0
    for x, key in placed:
        assert x == end  # side by side, never overlapping
        end = x + cells(key)
    assert end <= width  # none cut at the edge
    if len(placed) < len(shown):
        assert end + cells(shown[len(placed)]) > width  # the next one would not have fitted
    if palette_at is not None:
        start, key = palette_at
        assert key == palette
        assert start + cells(key) == width  # at the right end
        assert start - cell_len(SEPARATOR) >= end  # after the keys and their separator


def bar_line(app) -> str:
    return app.screen.query_one(KeyBar).render().plain


async def test_the_room_sees_its_keys_and_the_palette(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=(80, 24)):
        line = bar_line(app)
        assert line.startswith(" space Silence  o Note  f Flag  u Undo  ? Keys  q Leave ")
        assert line.endswith(f"{SEPARATOR} ^p palette ")
        assert cell_len(line) == 80


async def test_a_click_on_a_key_presses_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        line = bar_line(app)
        await pilot.click(KeyBar, offset=(line.index("Note"), 0))
        await pilot.pause()
        assert app.screen.query_one(NoteBar).is_open  # as `o` does
        await pilot.press("escape", "1")
        assert app.screen.live.speaker() is not None
        await pilot.click(KeyBar, offset=(line.index("Silence") + 2, 0))
        await pilot.pause()
        assert app.screen.live.speaker() is None  # as space does


async def test_a_read_only_view_shows_no_recording_key(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = Store(tmp_path, clock=clock)
    session = start_demo_session(store)
    writer = LiveSession(store, session.id)
    app = CofacilApp(Store(tmp_path, clock=clock))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(SessionScreen(SessionView(app.store, session.id)))
        await pilot.pause()
        line = bar_line(app)
        assert "Keys" in line and "Leave" in line
        for recording in ("Silence", "Note", "Flag", "Undo"):
            assert recording not in line
    writer.close()
