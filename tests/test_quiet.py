"""One quiet threshold: the therapist's `quiet_minutes` marks a seat, brings the deck's suggestion
and names the member in the review and the report, all at the same second."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cofacil import dynamics, export
from cofacil.library import load_library
from cofacil.models import (
    LEAD,
    Attendance,
    EventBase,
    Group,
    Member,
    Session,
    SessionEnded,
    SessionStarted,
    TurnStarted,
)
from cofacil.nudges import suggest
from cofacil.storage import Store

T0 = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
GROUP = Group(
    id="g",
    name="Thursday group",
    members=[
        Member(id=m, name=name, seat=seat, hotkey=str(seat))
        for seat, (m, name) in enumerate([("a", "Ann"), ("b", "Bo"), ("c", "Cy")], start=1)
    ],
    created_at=T0,
)
SESSION = Session(
    id="s",
    group_id="g",
    number=1,
    date=date(2026, 11, 19),
    attendance={m: Attendance() for m in ("a", "b", "c")},
    seats=["a", "b", "c"],
    created_at=T0,
)
NAMES = GROUP.names()


def stamped(t: float, kind: type[EventBase], seq: int, **fields: object) -> EventBase:
    return kind(seq=seq, at=T0 + timedelta(seconds=t), mono=t, epoch="e", **fields)


def cy_then_the_others() -> list[EventBase]:
    """Cy speaks first, for 10 s; then Ann, Bo and the lead talk on (the lead from 50 s on),
    never Cy again."""
    steps = [(0, "c"), (10, "a"), (30, "b"), (50, LEAD)]
    return [
        stamped(0, SessionStarted, 0),
        *(stamped(t, TurnStarted, seq, speaker=s) for seq, (t, s) in enumerate(steps, start=1)),
    ]


@pytest.fixture
def threshold_one_minute(store: Store, data_dir: Path) -> Store:
    (data_dir / "nudges.toml").write_text("quiet_minutes = 1\n")
    return store


@pytest.mark.parametrize(("silent", "quiet"), [(61, True), (59, False)])
def test_the_threshold_reaches_the_mark_the_nudge_and_the_review(
    threshold_one_minute: Store, silent: float, quiet: bool
) -> None:
    settings = load_library(threshold_one_minute).nudges
    assert settings.quiet_seconds == 60
    events = cy_then_the_others()
    now = dynamics.Instant(T0 + timedelta(seconds=10 + silent), 10.0 + silent, "e")

    # Live: the seat's mark (what the screen's `_seat` asks) and the deck's suggestion.
    live = dynamics.session_figures(SESSION, events, now)
    mark = dynamics.quiet_past(live.participants["c"], settings.quiet_seconds)
    assert mark == (silent if quiet else None)
    nudge = suggest(SESSION, live, NAMES, settings)
    if quiet:
        assert nudge is not None and nudge.rule == "silent-member" and nudge.about == ("c",)
        assert nudge.reason == "Cy silent for 1 min"
    else:
        assert nudge is None

    # Afterwards: the session ended at that moment; the review and the report name Cy.
    ended = [*events, stamped(10 + silent, SessionEnded, len(events))]
    figures = dynamics.session_figures(SESSION, ended)
    line = dynamics.quiet_words(figures, settings.quiet_seconds, NAMES.__getitem__)
    report = export.to_markdown(GROUP, SESSION, ended, quiet_seconds=settings.quiet_seconds)
    if quiet:
        assert line == "Quiet 1 min or longer while in the room: Cy 1:01"
        assert f"- {line}\n" in report
        assert "- Longest quiet while in the room: 1:01 (past 1 min)\n" in report
    else:
        assert line == "Quiet 1 min or longer while in the room: nobody"
        assert f"- {line}\n" in report
        assert "- Longest quiet while in the room: 0:59\n" in report


def test_the_default_threshold_is_ten_minutes(store: Store) -> None:
    """No nudges.toml: ten minutes, for the circle, the deck and the review alike."""
    settings = load_library(store).nudges
    assert settings.quiet_seconds == 600
    events = cy_then_the_others()
    now = dynamics.Instant(T0 + timedelta(seconds=609), 609.0, "e")
    live = dynamics.session_figures(SESSION, events, now)
    assert dynamics.quiet_past(live.participants["c"], settings.quiet_seconds) is None
    later = dynamics.Instant(T0 + timedelta(seconds=610), 610.0, "e")
    live = dynamics.session_figures(SESSION, events, later)
    assert dynamics.quiet_past(live.participants["c"], settings.quiet_seconds) == 600


def test_the_lead_and_the_absent_are_never_quiet() -> None:
    session = SESSION.model_copy(
        update={"attendance": SESSION.attendance | {"b": Attendance(present=False)}}
    )
    events = [stamped(0, SessionStarted, 0), stamped(0, TurnStarted, 1, speaker="a")]
    now = dynamics.Instant(T0 + timedelta(hours=1), 3600.0, "e")
    figures = dynamics.session_figures(session, events, now)
    assert dynamics.quiet_past(figures.participants[LEAD], 60) is None  # silent, not a member
    assert dynamics.quiet_past(figures.participants["b"], 60) is None  # absent
    assert dynamics.quiet_past(figures.participants["a"], 60) is None  # speaking
    assert dynamics.quiet_past(figures.participants["c"], 60) == 3600


async def test_a_seat_says_how_long_its_member_has_been_quiet(tmp_path: Path) -> None:
    """The live screen, on the demo group with quiet_minutes = 1: Theo said a word at the start,
    then the others talk on. At 59 s of silence his seat is as it was; at 61 s it says
    "quiet 1m" (in the warning colour, `◷` by his name) and the deck suggests him."""
    from cofacil.__main__ import make_app
    from cofacil.clock import FakeClock
    from cofacil.widgets.member_circle import MemberCircle

    (tmp_path / "nudges.toml").write_text("quiet_minutes = 1\n")
    clock = FakeClock(datetime(2026, 11, 19, 18, 0, tzinfo=UTC))
    app = make_app(tmp_path, clock=clock, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        theo = screen.live.session.seats[1]

        def seat():
            return next(s for s in screen.query_one(MemberCircle).seats if s.id == theo)

        await pilot.press("2")
        clock.advance(1)
        for key in "3456781":  # one second each, Maya (1) talking on after them
            await pilot.press(key)
            clock.advance(1)
        clock.advance(59 - 7)  # Theo: silent for 59 s
        screen.tick()
        await pilot.pause()
        assert seat().quiet is None
        assert "quiet" not in "\n".join(screen.query_one(MemberCircle).text_rows())
        clock.advance(2)  # 61 s
        screen.tick()
        await pilot.pause()
        assert seat().quiet == 61
        circle = "\n".join(screen.query_one(MemberCircle).text_rows())
        assert "2 Theo◷" in circle and "quiet 1m" in circle
        assert screen.suggestion is not None and screen.suggestion.about == (theo,)


def test_a_quiet_seat_reads_in_whole_minutes_and_never_grows() -> None:
    from rich.cells import cell_len as cells

    from cofacil.widgets.member_circle import LABEL_WIDTH, quiet_label

    assert [quiet_label(s) for s in (30, 60, 61, 779, 3 * 3600)] == [
        "quiet 30s",  # a threshold set under a minute
        "quiet 1m",
        "quiet 1m",
        "quiet 12m",
        "quiet 180m",
    ]
    assert cells(quiet_label(99 * 3600)) <= LABEL_WIDTH
