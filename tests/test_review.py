"""The lead therapist's review: the summary, flags first, and filtering the observations."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Static

from cofacil.__main__ import make_app
from cofacil.charts import interaction_circle, talk_bars, timeline_rows
from cofacil.clock import FakeClock
from cofacil.demo import DEMO_GROUP_ID, ensure_demo_group
from cofacil.display import duration
from cofacil.dynamics import session_figures
from cofacil.screens.review_screen import ReviewScreen
from cofacil.storage import Store
from cofacil.widgets.cells import TERMINAL

START = datetime(2026, 11, 19, 18, 0, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def demo(tmp_path: Path) -> FakeClock:
    clock = FakeClock(START)
    ensure_demo_group(Store(tmp_path, clock=clock))
    return clock


def rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#review-items", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_summary_shows_flags_first_and_the_charts(tmp_path: Path, demo) -> None:
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        flags = str(app.screen.query_one("#review-flags", Static).render())
        assert flags.startswith("⚑") and "Priya" in flags
        charts = str(app.screen.query_one("#review-charts", Static).render())
        for heading in ("Talk time", "Who spoke when", "Balance", "Who answered whom"):
            assert heading in charts
        facts = str(app.screen.query_one("#review-facts", Static).render())
        assert "Jonas: absent" in facts and "Kit: late (in the room 12:21–1:26:59)" in facts


async def test_an_item_is_read_whole_with_its_comments_at_80_columns(tmp_path: Path, demo):
    """A row shows what fits; the highlighted item is shown whole under the list, with the
    comments on it. The arrows work as soon as the tab is open; `?` lists every key."""
    from cofacil.screens.help_screen import HelpScreen

    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o", "down", "down")
        await pilot.pause()
        table = app.screen.query_one("#review-items")
        assert table.has_focus and table.cursor_row == 2
        item = next(e for e in app.screen.view.events if e.id == rows_keys(app)[2])
        await pilot.press("n", *"raise it next week", "enter")
        await pilot.pause()
        detail = str(app.screen.query_one("#review-detail", Static).render())
        assert item.text in detail and len(item.text) > 50  # longer than its cell
        assert detail.splitlines()[-1].endswith(": raise it next week")
        await pilot.press("down")  # after a comment the arrows go on at once
        assert table.cursor_row == 3
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_searching_from_the_summary_types_into_the_search(tmp_path: Path, demo) -> None:
    """`/` from the summary opens the observations with the search field: every letter of
    the search goes there, none runs as a review key (n, r, p, x would record or export)."""
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        before = len(app.screen.view.events)
        await pilot.press("slash", *"anxiety, tears, p x", "enter")
        await pilot.pause()
        assert app.screen.text_filter == "anxiety, tears, p x"
        assert len(app.screen.view.events) == before
        assert not list((tmp_path / "exports").glob("*"))


def rows_keys(app) -> list[str]:
    table = app.screen.query_one("#review-items", DataTable)
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


async def test_filters_by_kind_member_and_text(tmp_path: Path, demo) -> None:
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("o")
        everything = rows(app)
        assert len(everything) > 20
        await pilot.press("f")
        assert [r[2] for r in rows(app)] == ["FLAG"]
        await pilot.press("c", "m", "2")  # Theo's seat key
        assert rows(app) and all("Theo" in r[3] for r in rows(app))
        await pilot.press("c", "slash", *"quiet", "enter")
        assert rows(app) and all("quiet" in r[4].lower() for r in rows(app))
        await pilot.press("c", "slash", *"priya", "enter")  # a name finds items about them
        assert rows(app) and any("Priya" not in r[4] for r in rows(app))
        assert all("Priya" in r[3] or "priya" in r[4].lower() for r in rows(app))
        await pilot.press("c")
        assert len(rows(app)) == len(everything)


async def test_group_screen_opens_the_review(tmp_path: Path, demo) -> None:
    app = make_app(tmp_path, clock=demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#sessions", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.view.group.id == DEMO_GROUP_ID


def test_text_charts_fit_their_width(tmp_path: Path, demo) -> None:
    store = Store(tmp_path, clock=demo)
    session = store.sessions()[0]
    figures = session_figures(session, store.read_events(session.id))
    names = {m.id: m.name for m in store.group(session.group_id).members}
    for width in (40, 80, 120):
        for cells in (TERMINAL, None):  # on the screen, in a file
            bars = talk_bars(figures, names, width, cells=cells)
            rows = timeline_rows(figures, session.seats, names, width, cells=cells)
            assert all(cell_len(line) <= width for line in (*bars, *rows))
    circle = interaction_circle(figures, session.seats, names, cols=44, rows=14, cells=TERMINAL)
    assert len(circle) == 14 and all(cell_len(line) <= 44 for line in circle)
    assert any("Maya" in line for line in circle)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_review_summary_looks(snap_compare, tmp_path: Path, demo, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(tmp_path, clock=demo, review="latest"), terminal_size=size)


async def test_comment_mark_sign_off_then_only_addenda(tmp_path: Path, demo) -> None:
    from cofacil.models import Observation, Reviewed, ReviewNote, SignedOff
    from cofacil.review import SessionReview
    from cofacil.storage import SignedOffError

    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("n", *"steady group overall", "enter")  # on the session
        await pilot.press("o", "f")  # the flag
        await pilot.press("n", *"called her the next day", "enter", "r")
        await pilot.press("S")
        await pilot.pause()
        # Before signing, the dialog says what would be locked unfinished.
        undone = str(app.screen.query_one("#sign-undone").render())
        assert (
            undone.startswith("Not done yet: ") and "50 of 51 items not marked reviewed" in undone
        )  # one was marked
        assert "no member note yet for " in undone
        await pilot.press("enter")  # signed by the lead, as prefilled
        await pilot.pause()
        assert "Signed off by Dr. Rivera" in str(app.screen.query_one("#review-signed").render())
        footer = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Addendum" in footer and "Comment" not in footer  # what `n` adds now
        await pilot.press("n", *"she is safe, seen by GP", "enter")
        await pilot.pause()  # an addendum says why it is added: the line asks
        assert "why this addendum?" in app.screen.query_one("#review-comment").placeholder
        await pilot.press("enter")  # no reason: still asked
        await pilot.press(*"late entry", "enter")
        await pilot.pause()
        session_id = app.screen.view.session.id
        notes = str(app.screen.query_one("#review-notes").render())
        assert "Addendum (Dr. Rivera, " in notes and "Comment (Dr. Rivera, " in notes
        assert "17:00, late entry) on the item at 55:31: she is safe" in notes

    events = Store(tmp_path).read_events(session_id)
    comments = [e for e in events if isinstance(e, ReviewNote)]
    assert [(c.text, c.addendum, c.reason) for c in comments] == [
        ("steady group overall", False, ""),
        ("called her the next day", False, ""),
        ("she is safe, seen by GP", True, "late entry"),
    ]
    assert comments[0].target is None and comments[1].target is not None
    assert any(isinstance(e, Reviewed) for e in events)
    assert sum(isinstance(e, SignedOff) for e in events) == 1
    # The record is locked: the store refuses anything but an addendum.
    review = SessionReview(Store(tmp_path), session_id)
    with pytest.raises(SignedOffError):
        review.log.record(Observation, text="a late edit")
    review.close()


async def test_a_session_in_progress_is_read_only_and_followed(tmp_path: Path, demo) -> None:
    """Followed read-only while it is recorded; once it has ended and the room's cofacil has
    let it go, the same window is the lead's review."""
    from cofacil.demo import start_demo_session
    from cofacil.live import LiveSession

    store = Store(tmp_path, clock=demo)
    writer = LiveSession(store, start_demo_session(store).id)
    app = make_app(tmp_path, clock=demo, review=writer.session.id)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.screen.review is None
        writer.flag("left the room upset", [writer.session.seats[0]])
        app.screen.follow()  # the two-second re-read
        assert "left the room upset" in str(app.screen.query_one("#review-flags").render())
        await pilot.press("n")  # no comments on a record still being written
        assert not app.screen.query_one("#review-comment").display
        writer.end()
        app.screen.follow()
        assert app.screen.review is None  # ended, but the recording cofacil still holds it
        writer.close()  # the co-facilitator leaves the room screen
        app.screen.follow()
        assert app.screen.review is not None and app.screen.sub_title == "review"
        await pilot.press("n", *"a calm end", "enter")  # the lead's review from here on
        await pilot.pause()
        session_id = writer.session.id
    assert any(
        getattr(e, "text", "") == "a calm end" for e in Store(tmp_path).read_events(session_id)
    )


async def test_export_key_writes_private_files(tmp_path: Path, demo) -> None:
    import stat

    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReportScreen"
    files = sorted((tmp_path / "exports").iterdir())
    assert [f.suffix for f in files] == [".csv", ".html", ".json", ".md"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE((tmp_path / "exports").stat().st_mode) == 0o700


def test_draft_note_names_others_by_initials(tmp_path: Path, demo) -> None:
    from cofacil.library import load_library
    from cofacil.member_notes import draft, initials

    assert initials("Cy Lee") == "C.L." and initials("[b]Bo[/b]") == "B."
    store = Store(tmp_path, clock=demo)
    session = store.sessions()[-1]
    group = store.group(session.group_id)
    figures = session_figures(session, store.read_events(session.id))
    priya = next(m for m in group.members if m.name == "Priya")
    parts = draft(group, priya, figures, load_library(store).schemes)
    data, assessment, plan = parts["data"], parts["assessment"], parts["plan"]
    assert data.startswith("Attendance: present.") and "turn" in data
    # Clinical text: her flag is a risk in the assessment and a follow-up in the plan; codes
    # read as what was observed; nothing of the screen ("(code)", "record a flag too").
    assert assessment.splitlines()[0].startswith("- Risk noted at 55:31: Said she has not")
    assert "- Conflict or open disagreement: observed once." in assessment.splitlines()
    assert "(code)" not in assessment and "record a flag" not in assessment
    assert plan.startswith("- Follow up on the risk noted at 55:31 before the next session")
    others = [m.name for m in group.members if m.id != priya.id]
    for line in data.splitlines()[2:]:
        assert not any(re.search(rf"\b{re.escape(n)}\b", line) for n in others), line
    jonas = next(m for m in group.members if m.name == "Jonas")
    assert draft(group, jonas, figures, {})["data"] == "Absent from this session."
    # The demo's flag about Priya (a safety concern) is in her note, marked as a flag, with
    # the lead therapist's comment on it right under it (other members by initials there too).
    from cofacil.models import Flag
    from cofacil.review import SessionReview

    flag = next(e for e in store.read_events(session.id) if isinstance(e, Flag))
    review = SessionReview(store, session.id)
    review.comment("Called her next day; Theo offered to walk her home", flag.id)
    review.close()
    figures = session_figures(session, store.read_events(session.id))
    lines = draft(group, priya, figures, load_library(store).schemes)["data"].splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("- 55:31 Flag: "))
    assert lines[at + 1] == "  Comment: Called her next day; T. offered to walk her home"


async def test_member_screen_saves_the_note_and_shows_the_course(tmp_path: Path, demo) -> None:
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("M", "3")  # Priya's seat
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "MemberScreen"
        course = str(screen.query_one("#member-course").render())
        assert "Attended     ●●" in course and "Talk share" in course
        await pilot.press(*" Tired.")  # typed at once: into the note's first part, at its end
        plan = screen.query_one("#note-plan")
        plan.text = "Check in about sleep; review safety plan."
        await pilot.press("escape")  # leaving saves
        await pilot.pause()
        session_id = app.screen.view.session.id
    note = Store(tmp_path).member_note(session_id, "demo-priya")
    assert note is not None and note.plan.startswith("Check in about sleep")
    assert note.data.startswith("Attendance: present.") and note.data.endswith(" Tired.")


async def test_a_draft_only_looked_at_is_not_saved_as_a_note(tmp_path: Path, demo) -> None:
    """Opening a member's draft and leaving writes nothing (the sign-off would count it as a
    note written); the Save button keeps the draft as it stands."""
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        session_id = app.screen.view.session.id
        await pilot.press("M", "2")  # Theo's seat
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert Store(tmp_path).member_note(session_id, "demo-theo") is None
        await pilot.press("M", "2")
        await pilot.pause()
        app.screen.query_one("#save-note").press()  # as a tap on it
        await pilot.pause()
    assert Store(tmp_path).member_note(session_id, "demo-theo") is not None


async def test_a_member_note_written_is_kept_however_the_lead_leaves(tmp_path: Path, demo):
    """Saved, then changed back, then left: the disk has the last version. Typed, then the app
    quit with ctrl+q: the note is saved, as leaving the screen would."""
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        session_id = app.screen.view.session.id
        await pilot.press("M", "2")
        await pilot.pause()
        plan = app.screen.query_one("#note-plan")
        plan.text = "EXTRA"
        app.screen.query_one("#save-note").press()
        await pilot.pause()
        plan.text = ""
        await pilot.press("escape")
        await pilot.pause()
        assert Store(tmp_path).member_note(session_id, "demo-theo").plan == ""
        await pilot.press("M", "3")
        await pilot.pause()
        app.screen.query_one("#note-plan").text = "Check in about sleep."
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert Store(tmp_path).member_note(session_id, "demo-priya").plan == "Check in about sleep."


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_member_screen_looks(snap_compare, tmp_path: Path, demo, size: tuple[int, int]) -> None:
    app = make_app(tmp_path, clock=demo, review="latest")

    async def run_before(pilot) -> None:
        await pilot.press("M", "3")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_enter_on_an_item_marks_its_moment_on_the_timeline(tmp_path: Path, demo) -> None:
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("o", "f")
        app.screen.query_one("#review-items", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        charts = str(app.screen.query_one("#review-charts", Static).render())
        assert "▲ 55:31" in charts  # 3330.8 s: to the nearest second
        assert app.screen.query_one("TabbedContent").active == "summary"


def test_left_undone_counts_open_items_and_missing_member_notes(tmp_path: Path, demo) -> None:
    """What the sign-off dialog warns of: items not marked reviewed and members who came with
    no note written; once all is done, nothing."""
    from datetime import datetime

    from cofacil.dynamics import effective
    from cofacil.models import CodedEvent, Flag, MemberNote, Observation, TechniqueUsed
    from cofacil.review import SessionReview, left_undone

    store = Store(tmp_path, clock=demo)
    session = store.latest_session()
    items = [
        e
        for e in effective(store.read_events(session.id))
        if isinstance(e, (Observation, CodedEvent, Flag, TechniqueUsed))
    ]
    came = [m for m, a in session.attendance.items() if a.present]
    undone = left_undone(store, session, store.read_events(session.id))
    assert undone == [
        f"{len(items)} of {len(items)} items not marked reviewed",
        f"no member note yet for {len(came)} of the {len(came)} who came",
    ]
    review = SessionReview(store, session.id)
    for item in items:
        review.mark_reviewed(item.id)
    review.close()
    for member in came:
        store.save_member_note(
            MemberNote(
                id=f"{session.id}:{member}",
                session_id=session.id,
                member_id=member,
                plan="see next week",
                updated_at=datetime.now().astimezone(),
            )
        )
    assert left_undone(store, session, store.read_events(session.id)) == []


async def test_review_without_a_session_follows_the_one_being_recorded(
    tmp_path: Path, demo
) -> None:
    """`cofacil review` beside the room: the session being recorded, not the last ended one;
    a write key says why it does nothing."""
    from cofacil.demo import start_demo_session
    from cofacil.live import LiveSession

    store = Store(tmp_path, clock=demo)
    writer = LiveSession(store, start_demo_session(store).id)
    writer.speak(writer.keys["1"])
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.screen.view.session.id == writer.session.id
        assert "following" in app.screen.sub_title
        notices = [n.message for n in app._notifications]
        assert any("Following session 3 as it is recorded" in n for n in notices)
        writer.speak(writer.keys["2"])  # a turn starting at the very end: drawn, no crash
        app.screen.follow()
        await pilot.press("n")
        await pilot.pause()
        assert any("Read-only: following" in n.message for n in app._notifications)
        assert not app.screen.query_one("#review-comment").display
    writer.close()
    app = make_app(tmp_path, clock=demo, review="latest")  # nobody records it now
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.screen.view.session.number == 2  # the last one that ended


async def test_the_summary_names_who_was_quiet_past_the_threshold(tmp_path: Path, demo) -> None:
    """The therapist's own quiet_minutes, as the live circle used it: each member quiet that
    long or longer, with their longest silence in the room, longest first."""
    (tmp_path / "nudges.toml").write_text("quiet_minutes = 20\n")
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        charts = str(app.screen.query_one("#review-charts", Static).render())
        assert "Quiet 20 min or longer while in the room: Omar 49:58, Kit 20:00." in charts


async def test_the_summary_lists_every_technique_used_at_its_moment(tmp_path: Path, demo) -> None:
    """Each technique the log holds, in the order used, with its moment on the session's
    clock."""
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        view = app.screen.view
        figures = session_figures(view.session, view.events)
        used = [
            (view.filed.labels.card(e.card), duration(t))
            for e, t in zip(figures.timeline.events, figures.timeline.t, strict=True)
            if e.type == "technique_used"
        ]
        assert len(used) > 1
        charts = str(app.screen.query_one("#review-charts", Static).render()).splitlines()
        line = next(row for row in charts if row.startswith("Techniques: "))
        assert line == "Techniques: " + ", ".join(f"{card} ({at})" for card, at in used)


async def test_a_follow_window_keeps_time_and_says_when_the_recording_stops(
    tmp_path: Path, demo
) -> None:
    """Beside the room, the follower's clock moves every second, not only when a key is
    pressed; when the recording stops (a crash, a quit) it says so instead of standing still."""
    from cofacil.demo import start_demo_session
    from cofacil.live import LiveSession

    store = Store(tmp_path, clock=demo)
    writer = LiveSession(store, start_demo_session(store).id)
    writer.speak(writer.keys["1"])
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()

        def facts() -> str:
            return str(app.screen.query_one("#review-facts").render())

        assert "Length 0:00 of 90 min planned (being recorded)" in facts()
        demo.advance(17)
        app.screen.follow()  # once a second: nothing new recorded, the clock moves all the same
        assert "Length 0:17 of 90 min planned (being recorded)" in facts()
        writer.beat()
        writer.close()  # cofacil closed (or killed) in the room
        demo.advance(30)
        app.screen.follow()
        await pilot.pause()
        assert "Length 0:17 of 90 min planned (not being recorded since" in facts()
        notices = [n.message for n in app._notifications]
        assert any("is no longer being recorded" in n for n in notices)


def test_search_finds_whole_words_and_mentions() -> None:
    from cofacil.review import search_hit

    assert not search_hit("Lea", "the answer was unclear")
    assert search_hit("lea", "Lea spoke first") and search_hit("@Lea", "Lea spoke first")
    assert search_hit("Lea", "asked @Lea directly") and search_hit("@Sam_P", "Sam P nodded")
    assert search_hit("#family", "sister family") and not search_hit("fam", "family")
    assert search_hit("her sister", "Ann talks about her   sister") and search_hit("  ", "x")
    typed = "Priya: [bold]x[/bold] and [red]alarm[/red]"  # found as typed, brackets and all
    assert search_hit("[bold]", typed) and search_hit("[red]", typed)
    assert search_hit("alarm[/red]", typed) and not search_hit("[bold]", "bold as brass")
    assert search_hit("zurich", "moved to Zürich") and search_hit("INÈS", "ines came late")


async def test_the_member_view_gives_the_share_of_the_session_under_review(
    tmp_path: Path, demo
) -> None:
    """Opened from session 1 while session 2 exists: the share shown is session 1's."""
    from cofacil.dynamics import member_trends

    store = Store(tmp_path, clock=demo)
    first, second = store.sessions()[:2]
    app = make_app(tmp_path, clock=demo, review=first.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("M", "3")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        member = app.screen.member
        course = str(app.screen.query_one("#member-course", Static).render())
    history = [(s, store.read_events(s.id)) for s in (first, second)]
    rows = member_trends(history)[member.id]
    assert rows[0].member_percent != rows[1].member_percent  # the two sessions differ
    assert f"(of members' talk; session 1: {rows[0].member_percent}%)" in course


async def test_the_review_and_the_report_say_one_summary(tmp_path: Path, demo) -> None:
    """The review's summary and the report's group note come from one summary: the same
    talk, attendance, balance and risks, each escaped for where it is shown."""
    from cofacil.display import visible
    from cofacil.export import md_text
    from cofacil.live import SessionView
    from cofacil.summary import summarize

    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view: SessionView = app.screen.view
        facts = str(app.screen.query_one("#review-facts", Static).render())
        flags = str(app.screen.query_one("#review-flags", Static).render())
        charts = str(app.screen.query_one("#review-charts", Static).render())
    figures = view.recorded_figures()
    args = (view.group, view.session, figures, view.filed.labels, view.filed.quiet_seconds)
    on_screen, in_md = summarize(*args, visible), summarize(*args, md_text)
    assert on_screen.talk in facts and f"Balance of members' talk: {on_screen.balance}." in charts
    assert on_screen.balance_scale in charts  # what its ends mean, beside it
    assert all(f"{who}: {how}" in facts for who, how in on_screen.attendance)
    assert [line.split(" ", 2)[1] for line in flags.splitlines()] == [r.at for r in on_screen.risks]
    report = view.rendered("md")
    assert f"- Group dynamics: {in_md.talk}; balance of members' talk {in_md.balance}" in report
    assert f"; {in_md.balance_scale}" in report
    html = view.rendered("html")  # the page says it too, escaped its own way
    assert f"Balance of members&#39; talk: {on_screen.balance}" in html
    assert all(f"{r.at} {r.about}: {r.text}" in report for r in in_md.risks)


@pytest.fixture
def full_disk(monkeypatch):
    """While `full["on"]`, the disk refuses every write (the journal's and every file's)."""
    import errno

    from cofacil.storage import journal, safefile

    real = safefile.write_all
    full = {"on": False}

    def refuse(fd: int, data: bytes) -> None:
        if full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(journal, "write_all", refuse)
    monkeypatch.setattr(safefile, "write_all", refuse)
    return full


async def test_a_comment_the_disk_refuses_stays_typed_until_it_is_saved(
    tmp_path: Path, demo, full_disk
) -> None:
    """A full disk: the comment is not lost with the line. It is said, the line opens again
    with the text, and Enter saves it once there is room. Reviewed marks and the sign-off
    are refused with the same words, and the review goes on."""
    from cofacil.models import ReviewNote

    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        session_id = app.screen.view.session.id
        full_disk["on"] = True
        await pilot.press("n", *"steady group overall", "enter")
        await pilot.pause()
        field = app.screen.query_one("#review-comment")
        assert field.display and field.value == "steady group overall"
        said = [n.message for n in app._notifications]
        assert any("could not save (No space left on device)" in m for m in said)
        assert any("free some space" in m for m in said)
        await pilot.press("o", "r", "S", "enter")  # typed into the open line, not keys
        await pilot.press("escape", "o", "r")  # a reviewed mark: refused, said
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("n", *"steady group overall", "enter")
        full_disk["on"] = False
        await pilot.press("enter")
        await pilot.pause()
        assert not app.screen.query_one("#review-comment").display
    comments = [e for e in Store(tmp_path).read_events(session_id) if isinstance(e, ReviewNote)]
    assert [c.text for c in comments] == ["steady group overall"]


async def test_a_member_note_the_disk_refuses_keeps_the_lead_on_it(
    tmp_path: Path, demo, full_disk
) -> None:
    """Leaving the member's note while the disk is full: said, and the screen stays with the
    note as typed (quitting too); once there is room, leaving saves it."""
    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        session_id = app.screen.view.session.id
        await pilot.press("M", "3")
        await pilot.pause()
        app.screen.query_one("#note-plan").text = "Check in about sleep."
        full_disk["on"] = True
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MemberScreen"
        assert app.screen.query_one("#note-plan").text == "Check in about sleep."
        said = [n.message for n in app._notifications]
        assert any("No space left on device" in m and "still here" in m for m in said)
        await pilot.press("ctrl+q")  # quitting keeps it too
        await pilot.pause()
        assert app.is_running and type(app.screen).__name__ == "MemberScreen"
        full_disk["on"] = False
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
    assert Store(tmp_path).member_note(session_id, "demo-priya").plan == "Check in about sleep."


async def test_a_journal_that_cannot_be_read_is_said_and_left_as_it_is(
    tmp_path: Path, demo
) -> None:
    """A folder (or a file without permission) in a session journal's place: reading the
    session is refused with the reason and the file, and nothing is moved or rewritten; the
    group's list shows the others and says which one cannot be read; `cofacil review` of it
    is refused before the app starts (one line on stderr)."""
    from cofacil.screens.group_screen import GroupScreen
    from cofacil.storage import StoreError

    store = Store(tmp_path, clock=demo)
    session = store.sessions(DEMO_GROUP_ID)[-1]
    journal = store.session_paths(session.id).journal
    journal.unlink()
    journal.mkdir()

    again = Store(tmp_path, clock=demo)
    with pytest.raises(StoreError, match=r"cannot read session \d+'s log: Is a directory"):
        again.read_events(session.id)
    with pytest.raises(StoreError, match="could not open session"):
        again.open_log(session.id)
    assert journal.is_dir() and not any(journal.iterdir())

    app = make_app(tmp_path, clock=demo)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        app.push_screen(GroupScreen(app.store, DEMO_GROUP_ID))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#sessions", DataTable)
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        assert "cannot be read" in cells and cells.count("cannot be read") == 1
        assert table.row_count == len(store.sessions(DEMO_GROUP_ID))
        said = [n.message for n in app._notifications]
        assert any(f"session {session.number}: cannot read" in m for m in said)

    with pytest.raises(StoreError, match="Is a directory"):  # before the app runs: one line
        make_app(tmp_path, clock=demo, review=session.id)


async def test_a_member_note_written_in_the_review_is_in_what_is_signed_next(
    tmp_path: Path, demo
) -> None:
    """Written in the review, then signed in the same visit: the report shows the note at
    once, and the signed record (every export of it) holds it."""
    from cofacil.live import SessionView

    app = make_app(tmp_path, clock=demo, review="latest")
    async with app.run_test(size=(100, 40)) as pilot:
        session_id = app.screen.view.session.id
        await pilot.press("M", "3")  # Priya's seat
        await pilot.pause()
        app.screen.query_one("#note-plan").text = "Check in about sleep."
        await pilot.press("escape")  # leaving saves
        await pilot.pause()
        assert "Check in about sleep\\." in app.screen.view.rendered("md")
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    signed = SessionView(Store(tmp_path), session_id)
    assert signed.filed.frozen
    assert signed.filed.notes["demo-priya"].plan == "Check in about sleep."
    assert "Check in about sleep\\." in signed.rendered("md")


def test_a_session_held_by_a_review_is_not_said_to_be_recorded(tmp_path: Path, demo) -> None:
    """While the lead's review holds an ended session, it is not "live" for `cofacil
    sessions`, and a second review (or the room) is told it is open in a review."""
    from cofacil.__main__ import session_state
    from cofacil.review import SessionReview
    from cofacil.storage import SessionLocked

    store = Store(tmp_path, clock=demo)
    session = store.sessions(DEMO_GROUP_ID)[-1]
    review = SessionReview(store, session.id)
    try:
        assert not store.being_recorded(session.id)
        assert session_state(store, session, review.events) == "ended"
        with pytest.raises(SessionLocked, match=r"open in another cofacil's review \(pid \d+\)"):
            SessionReview(Store(tmp_path, clock=demo), session.id)
    finally:
        review.close()
