"""Text as typed: every character cluster stays whole, from the key to the store, and every
width on the screen is counted as Textual draws it.

A family emoji 👨‍👩‍👧 is three people held together by zero-width joiners; 👋🏽 is a hand and its
skin tone; the Scottish flag 🏴󠁧󠁢󠁳󠁣󠁴󠁿 a black flag and seven tag characters. Typed into a note they
were stored as three separate people (Textual's field drops a joiner: it is not
`str.isprintable()`), and a member named with a skin tone pulled the rest of the circle two
cells out of line (counted 4 cells wide by hand, drawn in 2). The controls that steer a
terminal are still dropped from a paste and shown as pictures elsewhere.
"""

from __future__ import annotations

import functools
import tempfile
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual import events

from cofacil import roster
from cofacil.__main__ import make_app
from cofacil.charts import interaction_circle, talk_bars, timeline_rows
from cofacil.clock import FakeClock
from cofacil.demo import ensure_demo_group
from cofacil.display import pictured, visible, without_controls
from cofacil.dynamics import SessionFigures, effective, session_figures
from cofacil.live import LiveSession
from cofacil.models import COFAC, LEAD, Observation
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store
from cofacil.widgets.cells import JOINER, TERMINAL, clusters, cut, fit, places
from cofacil.widgets.clamped_text import clamp
from cofacil.widgets.member_circle import MemberCircle

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
WAVE = "\U0001f44b\U0001f3fd"  # waving hand, medium skin tone
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))

# What steers a terminal, defined here on its own: C0 and C1 controls, DEL, lone surrogates,
# the direction embeddings, overrides and isolates. (Tabs and line breaks have rules of their
# own, tested with pastes.)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def is_steering(ch: str) -> bool:
    return ch in BIDI or unicodedata.category(ch) in ("Cc", "Cs")


# --- text, as clusters ----------------------------------------------------------------------

EMOJI = st.sampled_from("👨👩👧👦🧑👋🤝🏃🙂😀🧠❤🔥🌈🎉🫶")
SKIN = st.sampled_from("\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
ACCENTS = st.text(st.characters(min_codepoint=0x300, max_codepoint=0x36F), min_size=1, max_size=3)
# One character of its own: a letter, digit, sign or space of any script (a flag's letters
# come in pairs only, as a flag).
SINGLE = st.characters(categories=("L", "N", "P", "S", "Zs")).filter(
    lambda ch: not "\U0001f1e6" <= ch <= "\U0001f1ff"
)
# Format characters that are text (see display.py): ZWNJ, zero-width space, word joiner …
# (a joiner only ever joins, inside an emoji).
FORMAT = st.characters(categories=("Cf",)).filter(lambda ch: ch not in BIDI and ch != "\u200d")
CLUSTER = st.one_of(
    SINGLE,
    st.tuples(st.characters(categories=("L",)), ACCENTS).map("".join),  # é, ệ
    st.tuples(EMOJI, SKIN).map("".join),  # 👋🏽
    st.lists(st.tuples(EMOJI, st.sampled_from(["", "\U0001f3fd"])).map("".join), min_size=2)
    .map("\u200d".join)
    .map(lambda s: s[:40]),  # 👨‍👩‍👧, 🧑🏽‍🤝‍🧑
    st.tuples(st.sampled_from("❤☺✌中"), st.sampled_from("\ufe0e\ufe0f\U000e0100")).map("".join),
    st.sampled_from("gbsctwlsusca").map(  # a flag of tags: 🏴 + letters + cancel tag
        lambda s: "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in s) + "\U000e007f"
    ),
    st.sampled_from(["🇫🇷", "🇯🇵", "🇺🇦", "🇧🇷"]),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK, two cells
    FORMAT,
)
CONTROL = st.one_of(
    st.characters(categories=("Cc",)).filter(lambda ch: ch not in "\t\n\r"),
    st.sampled_from(BIDI),
    st.characters(categories=("Cs",)),
)
# Text as a list of pieces: (is it a control, the piece).
PIECES = st.lists(
    st.one_of(CLUSTER.map(lambda c: (False, c)), CONTROL.map(lambda c: (True, c))), max_size=30
)
NAME = st.lists(CLUSTER, min_size=1, max_size=12).map("".join)


def joined(pieces: list[tuple[bool, str]]) -> str:
    return "".join(piece for _, piece in pieces)


@given(PIECES, st.booleans())
def test_a_paste_keeps_every_cluster_whole_and_loses_only_controls(
    pieces: list[tuple[bool, str]], keep_lines: bool
) -> None:
    text = joined(pieces)
    kept = "".join(piece for control, piece in pieces if not control)
    assert without_controls(text, keep_lines=keep_lines) == kept


@given(PIECES, st.booleans())
def test_a_field_keeps_every_cluster_in_place_and_pictures_each_control(
    pieces: list[tuple[bool, str]], keep_lines: bool
) -> None:
    text = joined(pieces)
    shown = pictured(text, keep_lines=keep_lines)
    assert len(shown) == len(text)  # one for one: a cursor stays where it was
    at = 0
    for control, piece in pieces:
        if control:
            assert not is_steering(shown[at])
        else:
            assert shown[at : at + len(piece)] == piece
        at += len(piece)


@given(PIECES)
def test_shown_text_keeps_every_cluster_and_no_control(pieces: list[tuple[bool, str]]) -> None:
    text = joined(pieces)
    shown = visible(text)
    # Piece by piece: a cluster as it is, a control as its picture, whatever stands around it.
    assert shown == "".join(visible(p) if control else p for control, p in pieces)
    assert not [ch for ch in shown if is_steering(ch)]


def test_the_family_the_wave_and_the_flag_pass_every_filter_unchanged() -> None:
    for text in (FAMILY, WAVE, SCOTLAND, "می\u200cخواهم", "ภาษา\u200bไทย"):
        assert without_controls(text) == pictured(text) == visible(text) == text


# --- widths, as Textual draws them ----------------------------------------------------------


def test_an_emoji_with_a_skin_tone_or_joiners_is_as_wide_as_textual_draws_it() -> None:
    assert [size for _, size in clusters(f"{WAVE}{FAMILY}{SCOTLAND}🇫🇷日")] == [2, 2, 2, 2, 2]
    assert places(f"a{WAVE}b") == ["a", WAVE, "", "b"]
    assert fit(f"{WAVE}{WAVE}", 3) == f"{WAVE} "  # never half an emoji


@given(NAME, st.integers(min_value=0, max_value=16))
@example("👨\u200d👨🏽\u200d", 2)  # one cluster that ends in a joiner
def test_a_name_fitted_to_a_seat_takes_exactly_its_cells_in_whole_clusters(
    name: str, width: int
) -> None:
    fitted = fit(name, width)
    assert cell_len(fitted) == width
    kept = cut(name, width)
    assert fitted.startswith(kept) and name.startswith(kept)
    whole = [c for c, _ in clusters(name)]
    # Whole clusters, less a joiner left at the end (it would join what is written next).
    assert kept in ("".join(whole[:n]).rstrip(JOINER) for n in range(len(whole) + 1))


@given(NAME)
def test_a_name_on_the_circle_takes_one_grid_place_per_cell(name: str) -> None:
    assert len(places(name)) == cell_len(name)
    assert "".join(places(name)) == name or cell_len(name) == 0


@given(
    st.lists(st.one_of(NAME, st.just(" ")), max_size=30).map("".join),
    st.integers(min_value=2, max_value=40),
    st.integers(min_value=1, max_value=4),
)
def test_a_clamped_text_never_passes_its_width(text: str, width: int, max_lines: int) -> None:
    lines = clamp(Text(text), Console(width=80), width, max_lines)
    assert len(lines) <= max_lines
    assert all(cell_len(line.plain) <= width for line in lines)


@functools.cache
def demo_figures() -> tuple[SessionFigures, list[str]]:
    """A past session of the demo group (made once), and who sat in it."""
    store = Store(Path(tempfile.mkdtemp()), clock=FakeClock(START))
    ensure_demo_group(store)
    session = store.sessions()[0]
    return session_figures(session, store.read_events(session.id)), [*session.seats, LEAD, COFAC]


@settings(deadline=None)  # the first example makes the demo session
@given(st.lists(NAME, min_size=12, max_size=12), st.integers(min_value=40, max_value=120))
@example(["0"] * 9 + ["👨\u200d👨🏽\u200d"] + ["0"] * 2, 40)  # a name that ends in a joiner
def test_the_review_charts_keep_their_columns_for_any_names(names: list[str], width: int) -> None:
    figures, order = demo_figures()
    named = dict(zip(order, names, strict=False))
    bars = talk_bars(figures, named, width, cells=TERMINAL)
    timeline = timeline_rows(figures, order, named, width, mark=figures.active, cells=TERMINAL)
    # Every bar and every row starts in the same column, so each line is as wide as the others.
    assert len({cell_len(line) for line in bars}) == 1
    assert len({cell_len(line) for line in timeline[:-2]}) == 1
    assert all(cell_len(line) <= width for line in (*bars, *timeline))
    circle = interaction_circle(figures, order, named, 44, 14, cells=TERMINAL)
    assert all(cell_len(line) <= 44 for line in circle)


# --- in the room ----------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def typed(app, text: str) -> None:
    """Keys as the terminal sends them, one character each (an emoji picker, a phone's
    keyboard): a joiner arrives as a key of its own."""
    for ch in text:
        app.post_message(events.Key("space" if ch == " " else ch, ch))


@pytest.mark.parametrize("how", ["typed", "pasted"])
async def test_a_family_emoji_in_a_note_is_stored_byte_for_byte(
    tmp_path: Path, clock: FakeClock, how: str
) -> None:
    app = make_app(tmp_path, clock=clock, demo=True)
    note = f"{FAMILY} came with {WAVE} and {SCOTLAND}, می\u200cخواهم"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o")
        if how == "typed":
            typed(app, note)
        else:
            app.post_message(events.Paste(note))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        session_id = app.screen.live.session.id
    saved = effective(Store(tmp_path).read_events(session_id))
    stored = [e.text.encode() for e in saved if isinstance(e, Observation)]
    assert stored == [note.encode()]


async def circle_rows(tmp_path: Path, clock: FakeClock, name: str) -> tuple[list[str], int]:
    """The member circle's rows, with the first member named `name`."""
    store = Store(tmp_path, clock=clock)
    group = roster.create_group(store, "Tuesday", lead="Dr. Hale", cofac="Sam")
    for member in (name, "Ben", "日本語の名前", f"Cy {FAMILY}", f"Jo{SCOTLAND}", "Zoë"):
        group = roster.add_member(store, group, member)
    session = roster.new_session(store, group)
    app = make_app(tmp_path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SessionScreen(LiveSession(store, session.id)))
        await pilot.pause()
        circle = app.screen.query_one(MemberCircle)
        return circle.text_rows(), circle.size.width


async def test_a_name_with_a_skin_tone_does_not_shift_the_circle(
    tmp_path: Path, clock: FakeClock
) -> None:
    toned, width = await circle_rows(tmp_path / "toned", clock, f"Ana {WAVE}")
    plain, _ = await circle_rows(tmp_path / "plain", clock, "Ana \U0001f44b")
    assert all(cell_len(row) == width for row in toned)  # every row as wide as the circle
    assert toned == [row.replace("\U0001f44b", WAVE) for row in plain]  # and drawn alike
    drawn = "\n".join(toned)
    assert f"Ana {WAVE}" in drawn and FAMILY in drawn and SCOTLAND in drawn
