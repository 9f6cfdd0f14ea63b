"""Inert input: whatever a person types (or a deck file holds) is shown as text, never obeyed.

Observation and flag text, names, pronouns and notes, themes, tags, review comments, the
sign-off name and the therapist's own deck and codes may hold Rich markup, ANSI and OSC escape
sequences (an OSC 52 clipboard write, an OSC 8 link), other control characters, text-direction
overrides, wide characters, or a megabyte pasted at once. On every screen no escape byte reaches
the terminal and no markup is interpreted; in every export no spreadsheet formula runs, no
Markdown link, image or HTML appears, and no raw escape is written.

What reaches the terminal is read off the screen's rendered strips: the text Textual would
write, style codes aside.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from conftest import painted
from markdown_it import MarkdownIt
from rich.cells import cell_len
from textual import events
from textual.widgets import DataTable, Input, MarkdownViewer, Static, TextArea

from cofacil import roster
from cofacil.__main__ import make_app
from cofacil.charts import interaction_circle, talk_bars, timeline_rows
from cofacil.clock import FakeClock
from cofacil.display import visible
from cofacil.dynamics import session_figures
from cofacil.export import from_json, render
from cofacil.library import load_library
from cofacil.live import LiveSession, SessionView
from cofacil.models import COFAC, TEXT_MAX, Flag, MemberNote, Observation, ReviewNote, Session
from cofacil.redact import redact
from cofacil.review import SessionReview
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store
from cofacil.widgets.cells import TERMINAL
from cofacil.widgets.member_circle import MemberCircle

ESCAPES = (
    "\x1b[31mred\x1b[2J"  # colour, clear the screen
    "\x1b]52;c;ZXZpbA==\x07"  # OSC 52: write "evil" to the clipboard
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"  # OSC 8 hyperlink
    "\x9b2J\x7f\x00\x08"  # a C1 CSI, DEL, NUL, backspace
)
MARKUP = "[b]bold[/b] [link=https://evil.example]here[/] [@click=app.quit]quit[/]"
MARKDOWN = (
    "<script>alert(1)</script> [x](javascript:alert(1)) ![img](http://evil.example/i.png) "
    "<https://evil.example> https://evil.example/p www.evil.example"
)
SCRIPTS = "שלום مرحبا \u202egnp.exe 日本語 😀"  # right to left, an RTL override, wide
TEXT = f"{ESCAPES} {MARKUP} {MARKDOWN} {SCRIPTS} #tag"

# Embeddings, overrides and isolates: they would show the rest of a line reordered.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
PART_MAX = MemberNote.model_fields["data"].metadata[0].max_length  # one part of a DAP note

NAMES = ("[@click=app.quit]Q[/]", "日本語の名前😀", "\u202eשלום", "=1+2")


def not_text(text: str) -> list[str]:
    """What would steer a terminal: control characters (line breaks aside) and direction
    overrides."""
    return [
        ch
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch != "\n") or ch in BIDI_CONTROLS
    ]


def shown(app, *selectors: str) -> str:
    """The whole text of some Statics (also what is scrolled out of view)."""
    return "\n".join(str(app.screen.query_one(s, Static).render()) for s in selectors)


async def paste(pilot, text: str) -> None:
    """A bracketed paste, as the terminal's driver delivers it: to the app, which hands it to
    the focused widget (posted to a TextArea itself, it would come back and be taken twice)."""
    assert pilot.app.focused is not None
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


@contextmanager
def saved_before_the_input_rules() -> Iterator[None]:
    """Text that today's forms refuse (C1 and direction controls) but that older data, or a
    hand-edited file, may still hold: it must show safely all the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roster, "has_control_chars", lambda *_, **__: False)
        patch.setattr(roster, "_refuse_direction_controls", lambda *_: None)
        yield


def nasty_group(store: Store):
    with saved_before_the_input_rules():
        return _nasty_group(store)


def _nasty_group(store: Store):
    group = roster.create_group(
        store, "[link=https://evil.example]G[/]", lead="[b]Dr[/b]", cofac="@SUM(1)"
    )
    for i, name in enumerate(NAMES):
        group = roster.add_member(
            store, group, name, pronouns="[i]x[/i]\x9b31m", note=f"=cmd|' /C calc'!A{i}\x9b2J"
        )
    return group


@pytest.fixture
def open_session(store: Store) -> Session:
    """A session of the nasty group, not yet started."""
    group = nasty_group(store)
    with saved_before_the_input_rules():
        return roster.new_session(store, group, theme="[b]theme[/b]\x9b2J\u202e")


@pytest.fixture
def ended_session(store: Store, clock: FakeClock, open_session: Session) -> Session:
    """The same session recorded, ended, commented on and signed off, all with nasty text."""
    live = LiveSession(store, open_session.id)
    m = open_session.seats
    live.speak(m[0])
    clock.advance(40)
    live.observe(TEXT, [m[0], m[1]], ["tag"])
    live.flag(TEXT, [m[2]])
    live.code("quick", "conflict", [m[1]])
    live.technique("support", "lead", [m[0]])
    live.speak(m[1])
    clock.advance(30)
    live.speak(m[3])
    clock.advance(20)
    live.speak(COFAC)
    clock.advance(5)
    live.end()
    live.close()
    review = SessionReview(store, open_session.id)
    review.comment(TEXT)
    review.sign_off("\x1b[2J[b]Dr[/b]", SessionView(store, open_session.id))
    review.close()
    return open_session


# --- the helpers every screen and export uses -------------------------------------------


def test_visible_and_pictured_show_every_control_as_text() -> None:
    from cofacil.display import pictured

    assert visible("a\x1b[31mb\x9bc\u202ed\x00\te\nf") == "a␛[31mb\\x9bc\\u202ed␀ e f"
    # In a field, one character for one, so the cursor stays put.
    raw = "a\x1b\x9b\u202e\tb\x7f"
    assert pictured(raw) == "a␛\ufffd\ufffd b␡" and len(pictured(raw)) == len(raw)
    assert pictured("a\tb\nc", keep_lines=True) == "a\tb\nc"
    for text in (ESCAPES, SCRIPTS, TEXT):
        assert not not_text(visible(text)) and not not_text(pictured(text))
    assert visible(SCRIPTS).count("שלום") == 1 and "日本語 😀" in visible(SCRIPTS)


def test_fit_counts_terminal_cells() -> None:
    from cofacil.widgets.cells import fit

    assert fit("日本語", 5) == "日本 "  # never half a wide character
    assert cell_len(fit("a😀b", 3)) == 3
    assert fit("ab", 4) == "ab  "


# --- the live session ---------------------------------------------------------------------


async def test_live_screen_shows_names_and_notes_as_text(
    data_dir: Path, clock: FakeClock, open_session: Session
) -> None:
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SessionScreen(LiveSession(app.store, open_session.id)))
        await pilot.pause()
        await pilot.press("2")  # 日本語の名前😀 speaks
        clock.advance(10)
        await pilot.press("o")
        await pilot.pause()
        await paste(pilot, TEXT)
        screen = painted(app)
        # A paste's control characters are dropped: the rest shows as text.
        assert not not_text(screen)
        assert "[31mred" in screen
        await pilot.press("enter", "1", "f")  # [@click=app.quit]Q[/] speaks; a flag
        await paste(pilot, ESCAPES + MARKUP)
        await pilot.press("enter", "k")
        await pilot.pause()
        screen = painted(app)
        assert not not_text(screen)
        assert "Speaking: [@click=app.quit]Q[/]" in screen  # the timer
        assert "Code about [@click=app.quit]Q[/]" in screen
        notes = str(app.screen.query_one("#notes-text", Static).render())
        assert not not_text(notes)
        assert "]52;c;ZXZpbA==]8;;https://evil.example" in notes and MARKUP in notes
        stored = [e for e in app.screen.live.events if isinstance(e, (Observation, Flag))]
        assert [type(e) for e in stored] == [Observation, Flag]
        assert "[31mred[2J]52;c" in stored[0].text and not not_text(stored[0].text)
        assert app.is_running  # [@click=app.quit] was never a link


async def test_circle_keeps_its_shape_with_wide_and_rtl_names(
    data_dir: Path, clock: FakeClock, open_session: Session
) -> None:
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SessionScreen(LiveSession(app.store, open_session.id)))
        await pilot.pause()
        circle = app.screen.query_one(MemberCircle)
        rows = circle.text_rows()
        assert len(rows) == circle.size.height
        # Every row fits the widget: a wide name never pushes the ring out of shape.
        assert all(cell_len(row) <= circle.size.width for row in rows)
        drawn = "\n".join(rows)
        assert "日本語の" in drawn and "\\u202eשלו" in drawn and not not_text(drawn)


async def test_a_completed_name_shows_no_direction_override(
    data_dir: Path, clock: FakeClock, store: Store, open_session: Session
) -> None:
    group = store.group(open_session.group_id)
    with saved_before_the_input_rules():  # seated from next time
        roster.add_member(store, group, "Zed\u202eX")
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SessionScreen(LiveSession(app.store, open_session.id)))
        await pilot.pause()
        await pilot.press("o", "@", "Z", "e")
        await pilot.pause(0.1)
        field = app.screen.query_one("#note-input", Input)
        assert field._suggestion.startswith("@Zed")  # the completion is on show
        assert not not_text(painted(app))


async def test_a_megabyte_paste_is_refused_with_the_limit_shown(
    data_dir: Path, clock: FakeClock, open_session: Session
) -> None:
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SessionScreen(LiveSession(app.store, open_session.id)))
        await pilot.pause()
        await pilot.press("1", "o")
        await pilot.pause()
        await paste(pilot, "\x1b[2J" + "x" * 1_000_000)
        field = app.screen.query_one("#note-input", Input)
        assert field.value == ""  # never cut: not taken at all
        assert f"{TEXT_MAX:,} characters at most: the paste was not taken" in painted(app)
        await pilot.press("enter")
        await pilot.pause()
        assert not [e for e in app.screen.live.events if isinstance(e, Observation)]


# --- home, group, forms, set-up -----------------------------------------------------------


async def test_home_group_and_forms_show_names_as_text(
    data_dir: Path, clock: FakeClock, open_session: Session
) -> None:
    app = make_app(data_dir, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        home = painted(app)
        assert "[link=https://evil.exam" in home and not not_text(home)
        await pilot.press("enter")  # the group
        await pilot.pause()
        group = painted(app)
        assert not not_text(group)
        assert "[@click=app.quit]Q[/]" in group and "[b]Dr[/b]" in group
        assert "\\u202eשלום" in group and "[i]x[/i]\\x9b31m" in group
        await pilot.press("e")  # edit the first member: the stored pronouns in a field
        await pilot.pause()
        form = painted(app)
        assert not not_text(form) and "[i]x[/i]\ufffd31m" in form
        app.screen.query_one("#field-name", Input).focus()
        await paste(pilot, "\x1b]52;c;ZXZpbA==\x07")
        assert not not_text(painted(app))
        await pilot.press("escape", "s")  # set-up: the theme field
        await pilot.pause()
        app.screen.query_one("#field-theme", Input).focus()
        await paste(pilot, ESCAPES + MARKUP)
        setup = painted(app)
        assert not not_text(setup) and "[b]bold[/b]" in setup
        assert "日本語の名前😀" in setup


# --- review, report, member -------------------------------------------------------------


async def test_review_shows_everything_as_text(
    data_dir: Path, clock: FakeClock, ended_session: Session
) -> None:
    app = make_app(data_dir, clock, review=ended_session.id)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        summary = shown(app, "#review-signed", "#review-facts", "#review-flags")
        summary += shown(app, "#review-notes", "#review-charts")
        for text in (summary, painted(app)):
            assert not not_text(text)
        assert "Signed off by ␛[2J[b]Dr[/b]" in summary and "[b]theme[/b]\\x9b2J" in summary
        assert MARKUP in summary and "\\u202egnp.exe" in summary
        assert "Not heard: " in summary
        await pilot.press("o", "slash")
        await paste(pilot, "\x1b]52;c;ZXZpbA==\x07")
        await pilot.press("enter")
        await pilot.pause()
        screen = painted(app)
        assert not not_text(screen) and "␛]52;c;ZXZpbA==␇" in screen
        await pilot.press("c")
        table = app.screen.query_one("#review-items", DataTable)
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        assert not not_text(" ".join(cells)) and not not_text(painted(app))


async def test_review_comment_and_sign_off_are_limited_and_inert(
    data_dir: Path, clock: FakeClock, store: Store, open_session: Session
) -> None:
    live = LiveSession(store, open_session.id)
    live.speak(open_session.seats[0])
    clock.advance(5)
    live.end()
    live.close()
    app = make_app(data_dir, clock, review=open_session.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await paste(pilot, "\x1b[2J" + "y" * 1_000_000)  # past the limit: not taken
        assert app.screen.query_one("#review-comment", Input).value == ""
        await paste(pilot, "\x1b[2J" + "y" * 100)
        assert not not_text(painted(app))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("S")
        await pilot.pause()
        field = app.screen.query_one("#sign-name", Input)
        field.value = ""
        await paste(pilot, "\x1b]52;c;ZXZpbA==\x07" + "z" * 100)  # past the limit
        assert field.value == ""
        await paste(pilot, "\x1b]52;c;ZXZpbA==\x07" + "z" * 10)
        assert not not_text(painted(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        notes = [e for e in app.screen.view.events if isinstance(e, ReviewNote)]
        assert [n.text for n in notes] == ["[2J" + "y" * 100]
        assert app.screen.review.signed_off.name == "]52;c;ZXZpbA==" + "z" * 10


async def test_report_preview_has_no_links_images_or_html(
    data_dir: Path, clock: FakeClock, ended_session: Session
) -> None:
    app = make_app(data_dir, clock, review=ended_session.id)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause(0.3)
        viewer = app.screen.query_one(MarkdownViewer)
        screen = painted(app)
        assert not not_text(screen)
        for literal in ("<script>alert(1)</script>", "[x](javascript:alert(1))", "[b]bold[/b]"):
            assert literal in screen
        assert "https://evil.example/p" in screen and "![img](http://evil.example/i.png)" in screen
        # Nothing in the report is a link: no segment carries a click action.
        region = viewer.document.region
        for y, strip in enumerate(app.screen._compositor.render_strips()):
            if region.y <= y < region.bottom:
                for segment in strip:
                    meta = segment.style.meta if segment.style else {}
                    assert "@click" not in meta, (y, segment.text)


async def test_member_note_draft_and_paste_are_inert(
    data_dir: Path, clock: FakeClock, store: Store, open_session: Session
) -> None:
    live = LiveSession(store, open_session.id)
    m = open_session.seats
    live.speak(m[0])
    clock.advance(5)
    live.observe("\x1b[2J\x1b]52;c;ZXZpbA==\x07 [b]x[/b]\nsecond line", [m[0]], [])
    live.end()
    live.close()
    app = make_app(data_dir, clock, review=open_session.id)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("M", "1")
        await pilot.pause(0.3)
        data = app.screen.query_one("#note-data", TextArea)
        assert "- 0:05 ␛[2J␛]52;c;ZXZpbA==␇ [b]x[/b] second line" in data.text
        data.scroll_end(animate=False)
        await pilot.pause()
        assert not not_text(painted(app))
        plan = app.screen.query_one("#note-plan", TextArea)
        plan.focus()
        before = plan.text
        await paste(pilot, "\x1b]52;c;ZXZpbA==\x07\n\tnext\n" + "p" * 1_000_000)
        assert plan.text == before  # past the limit: not taken, never cut
        assert "characters at most" in painted(app)
        await paste(pilot, "\x1b]52;c;ZXZpbA==\x07\n\tnext\n" + "p" * 100)
        assert plan.text == before + "]52;c;ZXZpbA==\n\tnext\n" + "p" * 100
        await pilot.press("escape")  # saves
        await pilot.pause()
        assert app.is_running
        note = app.store.member_note(open_session.id, m[0])
        assert note is not None and note.plan == before + "]52;c;ZXZpbA==\n\tnext\n" + "p" * 100


# --- the therapist's own deck and codes -------------------------------------------------


def test_own_deck_or_codes_with_escapes_are_not_used(data_dir: Path, store: Store) -> None:
    (data_dir / "deck.toml").write_text(
        '[[cards]]\nid = "zap"\nname = "Zap\\u001b]52;c;ZXZpbA==\\u0007"\npurpose = "p"\n'
        'when = "w"\nphrasings = ["a", "b", "c"]\nobjectives = ["relieving-stress"]\n'
        'kinds = ["discussion"]\n',
        encoding="utf-8",
    )
    (data_dir / "coding_schemes.toml").write_text(
        '[[schemes]]\nid = "own"\nname = "Own"\n[[schemes.codes]]\nkey = "z"\nid = "z"\n'
        'label = "Zap\\u202e"\n',
        encoding="utf-8",
    )
    library = load_library(store)
    assert library.deck.card("zap") is None and "own" not in library.schemes
    assert len(library.problems) == 2
    assert (
        "deck.toml line 3: field 'cards.0.name': contains a control or text-direction character"
        in (library.problems[0])
    )
    assert "coding_schemes.toml" in library.problems[1]
    assert not not_text(" ".join(library.problems))


async def test_own_deck_and_codes_with_markup_show_as_text(
    data_dir: Path, clock: FakeClock, store: Store, open_session: Session
) -> None:
    (data_dir / "deck.toml").write_text(
        '[[cards]]\nid = "support"\nname = "[@click=app.quit]Zap[/] 日本語"\n'
        'purpose = "[b]p[/b]"\nwhen = "w"\n'
        'phrasings = ["[link=https://evil.example]a[/]", "b", "c"]\n'
        'objectives = ["relieving-stress"]\nkinds = ["discussion"]\n',
        encoding="utf-8",
    )
    (data_dir / "coding_schemes.toml").write_text(
        '[[schemes]]\nid = "quick"\nname = "Own"\n[[schemes.codes]]\nkey = "z"\nid = "z"\n'
        'label = "[@click=app.quit]Zip[/]"\n',
        encoding="utf-8",
    )
    app = make_app(data_dir, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(SessionScreen(LiveSession(app.store, open_session.id)))
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        screen = painted(app)
        assert "[@click=app.quit]Zap[/] 日本語" in screen  # the deck's card
        assert "[@click=app.quit]Zip[/]" in screen  # the code prompt
        assert "[link=https://evil.example]a[/]" in screen and not not_text(screen)
        await pilot.press("z", "t")
        await pilot.pause()
        assert app.is_running and not not_text(painted(app))


# --- exports ------------------------------------------------------------------------------


def _exports(store: Store, session: Session) -> dict[str, str]:
    group, events = store.group(session.group_id), store.read_events(session.id)
    out = {fmt: render(fmt, group, session, events) for fmt in ("json", "csv", "md")}
    safe = redact(group, session, events)
    out["md-redacted"] = render("md", *safe)
    out["csv-redacted"] = render("csv", *safe)
    return out


def test_no_export_writes_a_raw_escape(store: Store, ended_session: Session) -> None:
    for fmt, text in _exports(store, ended_session).items():
        assert not not_text(text.replace("\r\n", "\n")), fmt


def test_json_escapes_controls_and_still_round_trips(store: Store, ended_session: Session) -> None:
    text = _exports(store, ended_session)["json"]
    assert "\\u001b]52;c;ZXZpbA==\\u0007" in text and "\\u009b2J" in text
    assert "\\u202egnp.exe" in text and "שלום" in text and "日本語" in text
    group, session, events = from_json(text)
    assert group == store.group(ended_session.group_id)
    assert session == store.session(ended_session.id)
    assert events == store.read_events(ended_session.id)
    assert json.loads(text)["session"]["theme"] == "[b]theme[/b]\x9b2J\u202e"


def test_csv_cells_never_run_as_formulas(store: Store, ended_session: Session) -> None:
    for fmt in ("csv", "csv-redacted"):
        rows = list(csv.reader(io.StringIO(_exports(store, ended_session)[fmt])))
        for row in rows:
            for cell in row:
                assert not cell or cell[0] not in "=+-@\t\r\n", (fmt, cell)
    text = _exports(store, ended_session)["csv"]
    assert "'=1+2" in text and "'@SUM(1)" in text  # a member's, the co-facilitator's name
    assert "\\x9b2J" in text and "\\u202egnp.exe" in text


def test_markdown_report_has_no_links_images_or_html(store: Store, ended_session: Session) -> None:
    for fmt in ("md", "md-redacted"):
        report = _exports(store, ended_session)[fmt]
        tokens = MarkdownIt("gfm-like").parse(report)
        kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
        assert not kinds & {"link_open", "image", "html_inline", "html_block"}, fmt
    report = _exports(store, ended_session)["md"]
    assert "https\\://evil\\.example/p" in report and "\\<script\\>" in report


def test_charts_keep_columns_with_wide_names(store: Store, ended_session: Session) -> None:
    group = store.group(ended_session.group_id)
    figures = session_figures(ended_session, store.read_events(ended_session.id))
    names = group.names()
    bars = talk_bars(figures, names, 60, cells=TERMINAL)
    assert len({cell_len(line) for line in bars}) == 1
    rows = timeline_rows(figures, ended_session.seats, names, 60, cells=TERMINAL)[:-1]
    assert len({cell_len(line) for line in rows}) == 1
    circle = interaction_circle(figures, ended_session.seats, names, 40, 12, cells=TERMINAL)
    assert all(cell_len(line) <= 40 for line in circle)
    for line in (*bars, *rows, *circle):
        assert not not_text(line)


def test_session_theme_and_names_in_markdown_are_one_line(
    store: Store, ended_session: Session
) -> None:
    report = _exports(store, ended_session)["md"]
    theme = next(line for line in report.splitlines() if line.startswith("- Theme:"))
    assert theme == "- Theme: \\[b\\]theme\\[/b\\]\\\\x9b2J\\\\u202e"
    assert date(2025, 3, 14).isoformat() in report
