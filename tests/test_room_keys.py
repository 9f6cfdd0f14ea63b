"""The keys of the room are defined once (cofacil.room_keys): the screen's bindings, `?`, the
palette and the README's table all come from it."""

from __future__ import annotations

from pathlib import Path

from cofacil import room_keys
from cofacil.screens.help_screen import KEYS
from cofacil.screens.session_screen import SessionScreen

README = Path(__file__).parent.parent / "README.md"


def test_the_readme_key_table_is_the_registry() -> None:
    assert room_keys.readme_table() in README.read_text(encoding="utf-8")


def test_help_shows_every_row_of_the_registry() -> None:
    assert room_keys.help_text() == KEYS
    for row in room_keys.ROOM:
        assert f"{row.shown:<12}{row.does}" in KEYS


def test_the_screen_binds_exactly_the_registry_keys() -> None:
    bound = {(b.key, b.action) for b in SessionScreen.BINDINGS}  # type: ignore[union-attr]
    assert bound == {(k.key, k.action) for k in room_keys.all_keys()}


def test_every_registry_action_exists_on_the_screen() -> None:
    for key in room_keys.all_keys():
        name = key.action.partition("(")[0]
        assert callable(getattr(SessionScreen, f"action_{name}", None)), name


def test_no_key_is_bound_twice_and_none_shadows_a_seat() -> None:
    from cofacil.models import SEAT_KEYS

    keys = [k.key for k in room_keys.all_keys()]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(SEAT_KEYS)
