"""Attendance keeps every stretch in the room: a member who stepped out at 4:45 and came back
at 5:47 is neither late nor gone early, and every view says when they were in the room."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import _add_session
from test_dynamics import A, Log
from test_dynamics import session as listed
from textual.widgets import Static

from cofacil import dynamics
from cofacil.__main__ import make_app
from cofacil.clock import FakeClock
from cofacil.export import render
from cofacil.live import LiveSession
from cofacil.member_notes import draft
from cofacil.models import Attendance, AttendanceChanged, SessionEnded, SessionStarted
from cofacil.storage import Store
from cofacil.widgets.member_circle import MemberCircle

STEPPED_OUT = "stepped out (in the room 0:00–4:45, 5:47–10:16)"


@pytest.fixture
def stepped_out(store: Store, clock: FakeClock) -> str:
    """A 10:16 session in which Ann leaves at 4:45 and comes back at 5:47; Cé talks."""
    session = _add_session(store)
    session = session.model_copy(update={"attendance": {m: Attendance() for m in session.seats}})
    store.save_session(session)
    live = LiveSession(store, session.id)
    live.speak("m3")
    clock.advance(285)
    assert live.toggle_presence("m1") == "left"
    clock.advance(62)
    assert live.toggle_presence("m1") == "arrived"
    clock.advance(269)
    live.end()
    live.close()
    return session.id


def test_a_member_who_stepped_out_keeps_both_stretches_in_the_room(store, stepped_out) -> None:
    session = store.session(stepped_out)
    figures = dynamics.session_figures(session, store.read_events(stepped_out))
    ann = figures.participants["m1"]
    assert ann.stretches == [(0.0, 285.0), (347.0, 616.0)]
    assert ann.status == "present" and ann.present_seconds == 554  # neither late nor gone
    assert dynamics.attendance_words(session, figures)["m1"] == STEPPED_OUT


def test_stepping_out_shows_both_stretches_in_the_report_csv_and_json(store, stepped_out) -> None:
    session = store.session(stepped_out)
    group = store.group(session.group_id)
    events = store.read_events(stepped_out)

    report = render("md", group, session, events)
    assert f"- Ann: {STEPPED_OUT}" in report  # the attendance list
    assert f"- {STEPPED_OUT}; 0 turns" in report  # Ann's own section

    rows = list(csv.DictReader(io.StringIO(render("csv", group, session, events))))
    ann = [r for r in rows if r["type"] == "attendance" and r["who"] == "Ann"]
    assert [(r["code"], r["active_s"]) for r in ann] == [("left", "285.0"), ("arrived", "347.0")]
    assert all(r["text"] == STEPPED_OUT for r in ann)

    presence = json.loads(render("json", group, session, events))["presence"]
    assert presence["m1"] == {
        "status": "stepped out",
        "in_room": [{"from": 0.0, "to": 285.0}, {"from": 347.0, "to": 616.0}],
    }
    assert presence["m2"] == {"status": "present", "in_room": [{"from": 0.0, "to": 616.0}]}

    figures = dynamics.session_figures(session, events)
    assert draft(group, group.member("m1"), figures, {})["data"].startswith(
        f"Attendance: {STEPPED_OUT}."
    )


async def test_the_review_says_when_a_member_was_in_the_room(
    data_dir: Path, clock: FakeClock, stepped_out: str
) -> None:
    app = make_app(data_dir, clock=clock, review=stepped_out)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        facts = str(app.screen.query_one("#review-facts", Static).render())
        assert f"Ann: {STEPPED_OUT}" in facts
        assert "Length 10:16" in facts and "Talk 10:16 (members 10:16, facilitators 0:00)" in facts


def _log(*steps: tuple[float, type, dict]) -> list:
    """A ten-minute session with these steps in it."""
    log = Log()
    log.at(0, SessionStarted)
    for t, kind, fields in steps:
        log.at(t, kind, **fields)
    log.at(600, SessionEnded)
    return log.events


@pytest.mark.parametrize(
    ("record", "changes", "words"),
    [
        (Attendance(), [], "present"),
        (Attendance(present=False), [], "absent"),
        (Attendance(late=True), [(90, "arrived")], "late (in the room 1:30–10:00)"),
        (Attendance(), [(300, "left")], "left early (in the room 0:00–5:00)"),
        (
            Attendance(),
            [(285, "left"), (347, "arrived")],
            "stepped out (in the room 0:00–4:45, 5:47–10:00)",
        ),
        (
            Attendance(late=True),
            [(90, "arrived"), (285, "left"), (347, "arrived")],
            "late (in the room 1:30–4:45, 5:47–10:00)",
        ),
        (
            Attendance(),
            [(285, "left"), (347, "arrived"), (500, "left")],
            "left early (in the room 0:00–4:45, 5:47–8:20)",
        ),
        (Attendance(present=False), [(120, "arrived")], "late (in the room 2:00–10:00)"),
    ],
)
def test_attendance_reads_the_same_for_every_way_in_and_out(record, changes, words) -> None:
    events = _log(
        *((t, AttendanceChanged, {"member": A, "change": change}) for t, change in changes)
    )
    s = listed(**{A: record}).model_copy(update={"seats": [A]})
    figures = dynamics.session_figures(s, events)
    assert dynamics.attendance_words(s, figures)[A] == words


async def test_a_seat_says_when_its_member_left(tmp_path: Path) -> None:
    """On the live screen an empty seat says when its member left; back in the room, it shows
    their talk again, and the slip notice still says they left."""
    clock = FakeClock(datetime(2026, 11, 19, 18, 0, tzinfo=UTC))
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        clock.advance(285)
        await pilot.press("a", "8")  # Kit steps out at 4:45
        await pilot.pause()
        kit = next(s for s in app.screen.query_one(MemberCircle).seats if s.id == "demo-kit")
        assert kit.absent and kit.away == "left 4:45"
        await pilot.press("8")  # a slip: Kit is not in the room
        assert app._notifications and list(app._notifications)[-1].message.startswith(
            "Kit left the session"
        )
        clock.advance(62)
        await pilot.press("a", "8")  # back at 5:47
        await pilot.pause()
        kit = next(s for s in app.screen.query_one(MemberCircle).seats if s.id == "demo-kit")
        assert not kit.absent
