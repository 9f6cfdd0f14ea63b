"""A paste is taken whole and in order, without its control characters, or not at all.

A note over its limit is refused where it is typed, with the limit shown, and what was
written stays; it is never cut. A paste holding an ESC (a colour code copied from a
terminal) keeps its words in order, from the terminal's bytes to the saved note.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import painted
from hypothesis import given
from hypothesis import strategies as st
from textual import events
from textual._xterm_parser import XTermParser
from textual.widgets import Input, Static, TextArea

from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.demo import ensure_demo_group
from cofacil.dynamics import effective
from cofacil.models import NAME_MAX, TEXT_MAX, Flag, MemberNote, Observation, ReviewNote
from cofacil.storage import Store
from cofacil.terminal import PasteParser, PasteSafeDriver

START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))
PART_MAX = MemberNote.model_fields["data"].metadata[0].max_length  # one part of a DAP note
PASTE = "\x1b[200~{}\x1b[201~"  # a bracketed paste, as the terminal sends it


@pytest.fixture
def clock(tmp_path: Path) -> FakeClock:
    clock = FakeClock(START)
    ensure_demo_group(Store(tmp_path, clock=clock))  # with sessions held, to review
    return clock


async def paste(pilot, text: str) -> None:
    """A bracketed paste, as the terminal's driver delivers it: to the app, which hands it to
    the focused field. (Posted to a TextArea itself, it would bubble back to the app and be
    handed to the field a second time.)"""
    assert pilot.app.focused is not None
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


def toasts(app) -> list[str]:
    """The notices on show."""
    return [notice.message for notice in app._notifications]


def saved(app, kind: type) -> list:
    """What the store holds on disk of that kind, in the screen's session."""
    session_id = app.screen.live.session.id
    return [e for e in effective(app.store.read_events(session_id)) if isinstance(e, kind)]


def parsed(parser: XTermParser, *chunks: str) -> list[tuple[str, str]]:
    """What the parser makes of the terminal's bytes, read in these chunks."""
    out = [event for chunk in chunks for event in parser.feed(chunk)]
    return [
        ("paste", e.text) if isinstance(e, events.Paste) else ("key", e.key)
        for e in out
        if isinstance(e, events.Paste | events.Key)
    ]


# --- the terminal's bytes -----------------------------------------------------------------


def test_textuals_own_parser_sends_what_follows_a_pasted_escape_as_keys_first() -> None:
    """Why cofacil reads the terminal with its own parser (if this fails, Textual mended it)."""
    got = parsed(XTermParser(), PASTE.format("a\x1bb c"))
    assert got[-1] == ("paste", "a") and ("key", "b") in got[:-1]


@pytest.mark.parametrize(
    ("pasted", "text"),
    [
        ("one \x1b[31mtwo three", "one [31mtwo three"),
        ("a\x1bb c", "ab c"),
        ("a\x1b\x1bb", "ab"),  # two ESCs: Textual sent the second as the Escape key
        ("a\x1b\rb\nc", "a\rb\nc"),  # a line break after an ESC: Textual sent it as Enter
        ("\x1b[20x\x1b[201", "[20x[201"),  # begins like the paste's end, and is not
    ],
)
def test_a_paste_holding_an_escape_arrives_whole_and_in_order(pasted: str, text: str) -> None:
    data = "x" + PASTE.format(pasted) + "y"
    expected = [("key", "x"), ("paste", text), ("key", "y")]
    assert parsed(PasteParser(), data) == expected
    assert parsed(PasteParser(), *data) == expected  # one byte a read


@given(
    text=st.text(st.sampled_from("ab \x1b[201~\r\x07")).filter(lambda t: "\x1b[201~" not in t),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=6),
)
def test_any_paste_read_in_any_chunks_is_one_paste_in_order(text: str, cuts: list[int]) -> None:
    data = "q" + PASTE.format(text) + "\x1b[A"
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in pairwise(bounds)]
    assert parsed(PasteParser(), *chunks) == [
        ("key", "q"),
        ("paste", text.replace("\x1b", "")),
        ("key", "up"),
    ]


def test_keys_outside_a_paste_are_read_as_textual_reads_them() -> None:
    data = "o\x1b[1;5A\x1b[B\x1bOPz\r"
    assert parsed(PasteParser(), data) == parsed(XTermParser(), data)


@pytest.mark.skipif(sys.platform == "win32", reason="Textual's Windows driver reads otherwise")
def test_the_app_reads_the_terminal_with_the_paste_safe_driver(tmp_path: Path, clock) -> None:
    assert make_app(tmp_path, clock=clock).driver_class is PasteSafeDriver


# --- the note line, live ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["o", "f"])
@pytest.mark.parametrize(
    ("pasted", "text"),
    [
        ("one \x1b[31mtwo three", "one [31mtwo three"),
        ("a\x1bb c", "ab c"),
        ("bell\x07 and\x7f C1\x9b sign", "bell and C1 sign"),
        ("first line\r\nsecond\tline\n", "first line second line"),
    ],
)
async def test_a_pasted_note_is_saved_in_order_without_its_control_characters(
    tmp_path: Path, clock, key: str, pasted: str, text: str
) -> None:
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(key, *"seen: ")
        await paste(pilot, pasted)
        await pilot.press("enter")
        await pilot.pause()
        notes = saved(app, Flag if key == "f" else Observation)
        assert [n.text for n in notes] == [f"seen: {text}"]


async def test_a_paste_past_the_limit_is_refused_and_the_note_kept(tmp_path: Path, clock) -> None:
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o", *"keep this")
        await paste(pilot, "x" * TEXT_MAX)
        field = app.screen.query_one("#note-input", Input)
        assert field.value == "keep this"
        refusal = "4,000 characters at most: the paste was not taken"
        assert refusal in painted(app)
        await pilot.press("backspace")  # the next edit clears the message
        assert refusal not in painted(app)
        await paste(pilot, " " + "x" * (TEXT_MAX - len("keep thi ")))  # fits exactly: taken
        assert len(field.value) == TEXT_MAX
        await pilot.press("enter")
        await pilot.pause()
        notes = saved(app, Observation)
        assert len(notes) == 1 and notes[0].text.startswith("keep thi xxx")
        assert len(notes[0].text) == TEXT_MAX


async def test_a_key_past_the_limit_is_refused_with_the_limit_shown_and_no_bell(
    tmp_path: Path, clock, monkeypatch
) -> None:
    app = make_app(tmp_path, clock=clock, demo=True)
    rang: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: rang.append(True))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f")
        await paste(pilot, "y" * TEXT_MAX)
        await pilot.press("z")
        field = app.screen.query_one("#note-input", Input)
        assert field.value == "y" * TEXT_MAX
        limit = str(app.screen.query_one("#note-limit", Static).render())
        assert limit == "4,000 characters at most" and not rang


# --- the lead therapist: comments, sign-off, a member's note ------------------------------


async def test_a_review_comment_past_the_limit_is_refused_and_a_pasted_escape_dropped(
    tmp_path: Path, clock
) -> None:
    app = make_app(tmp_path, clock=clock, review="latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("n", *"kept ")
        await paste(pilot, "z" * TEXT_MAX)
        field = app.screen.query_one("#review-comment", Input)
        assert field.value == "kept "
        assert toasts(app) == ["4,000 characters at most: the paste was not taken"]
        await paste(pilot, "one \x1b[1mtwo\x1b[0m three")
        await pilot.press("enter")
        await pilot.pause()
        session_id = app.screen.view.session.id
    notes = [e for e in Store(tmp_path).read_events(session_id) if isinstance(e, ReviewNote)]
    assert [n.text for n in notes][-1] == "kept one [1mtwo[0m three"


async def test_a_sign_off_name_past_the_limit_is_refused(tmp_path: Path, clock) -> None:
    app = make_app(tmp_path, clock=clock, review="latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("S")
        await pilot.pause()
        field = app.screen.query_one("#sign-name", Input)
        before = field.value  # prefilled, and selected: a paste takes its place
        await paste(pilot, "n" * (NAME_MAX + 1))
        assert field.value == before
        assert toasts(app) == [f"{NAME_MAX} characters at most: the paste was not taken"]
        await paste(pilot, "Dr. \x1b[1mRivera\x1b[0m")
        assert field.value == "Dr. [1mRivera[0m"


async def test_a_member_note_paste_past_the_limit_is_refused_and_a_pasted_escape_dropped(
    tmp_path: Path, clock
) -> None:
    app = make_app(tmp_path, clock=clock, review="latest")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await pilot.press("M", "1")
        await pilot.pause(0.3)
        session_id, member_id = app.screen.view.session.id, app.screen.member.id
        plan = app.screen.query_one("#note-plan", TextArea)
        plan.focus()
        plan.text = "review in two weeks"
        plan.move_cursor(plan.document.end)
        before = plan.text
        await paste(pilot, "p" * PART_MAX)
        assert plan.text == before
        assert "20,000 characters at most: the paste was not taken" in toasts(app)
        await paste(pilot, "\n- call \x1b[31mher\x1b[0m GP\r\n\tthen\x07 the school")
        await pilot.press("escape")  # leaving saves
        await pilot.pause()
    note = Store(tmp_path).member_note(session_id, member_id)
    assert note is not None
    assert note.plan == "review in two weeks\n- call [31mher[0m GP\n\tthen the school"
