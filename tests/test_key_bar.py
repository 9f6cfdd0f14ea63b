"""The live screen's key line: the keys the screen can take now, whole, and pressed by a click."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import painted
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.command import CommandPalette

from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.screens.session_screen import SessionScreen
from cofacil.widgets.key_bar import SEPARATOR, KeyBar, Shown, layout, pressed_at
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
    """The key line as the app draws it now (the screen's last row)."""
    return painted(app).splitlines()[-1]


async def test_the_room_sees_its_keys_and_the_palette(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=(80, 24)):
        line = bar_line(app)
        assert line.startswith(" space Silence  o Note  f Flag  u Undo  ? Keys  q Leave ")
        assert line.endswith(f"{SEPARATOR} ^p palette ")
        assert cell_len(line) == 80


async def test_a_click_lands_on_the_key_drawn_under_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=(80, 24)):
        bar = app.screen.query_one(KeyBar)
        line = bar_line(app)
        under = [pressed_at(bar._placed, x) for x in range(80)]
        for start, key in bar._placed:  # each key's cells, first to last, press that key
            drawn = f" {key.display} {key.label} "
            assert line[start : start + len(drawn)] == drawn
            assert under[start : start + len(drawn)] == [key] * len(drawn)
        separator = line.index(SEPARATOR)
        assert under[separator] is None and under[separator - 1] is None  # between: nothing
        assert pressed_at([(0, Shown("u", "u", "Undo", enabled=False))], 1) is None


async def test_a_click_on_a_key_presses_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        line = bar_line(app)
        await pilot.click(KeyBar, offset=(line.index(" o Note"), 0))  # its first cell
        await pilot.pause()
        assert app.screen.query_one(NoteBar).is_open  # as `o` does
        await pilot.press("escape", "1")
        assert app.screen.live.speaker() is not None
        await pilot.click(KeyBar, offset=(line.index("Silence") + len("Silence"), 0))  # its last
        await pilot.pause()
        assert app.screen.live.speaker() is None  # as space does
        await pilot.click(KeyBar, offset=(line.index("palette"), 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_the_line_follows_the_keys_the_screen_takes(tmp_path: Path) -> None:
    """Once the session has ended, the keys that record are gone from the line as drawn."""
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e", "y")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and app.screen.live.ended
        line = bar_line(app)
        assert line.startswith(" ? Keys  q Leave ")
        for recording in ("Silence", "Note", "Flag", "Undo"):
            assert recording not in line


@pytest.mark.parametrize("size", [(59, 23), (75, 35), (76, 36), (109, 40), (110, 24)])
async def test_the_size_classes_are_textuals_from_the_start(tmp_path: Path, size) -> None:
    """The breakpoint classes set before the screen is first styled are the ones Textual sets
    at its first resize, for sizes on either side of each breakpoint."""
    app = make_app(tmp_path, clock=FakeClock(START), demo=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        names = {name for _, name in screen.HORIZONTAL_BREAKPOINTS + screen.VERTICAL_BREAKPOINTS}
        textuals = {name for name in names if screen.has_class(name)}
        screen.remove_class(*names)
        screen._size_classes()
        assert {name for name in names if screen.has_class(name)} == textuals
        assert len(textuals) == 2  # one of each
