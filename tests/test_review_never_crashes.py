"""Review and report never crash: random valid logs — turns, interruptions, undos, pauses,
reopenings after a crash (with and without a sign of life), go-rounds, arrivals and departures,
notes begun before they were saved, codes and techniques — are recorded through the live
session, and the figures, every chart, the report (md, csv, json, html), every member's
course and draft note and what a window following the session shows are built for every prefix
of each log, as that window sees it grow."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import _add_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cofacil import charts, dynamics, export, live_view, svg_charts
from cofacil.clock import FakeClock
from cofacil.dynamics import session_figures
from cofacil.library import load_library
from cofacil.live import LiveSession, SessionView
from cofacil.member_notes import draft
from cofacil.models import COFAC, LEAD
from cofacil.record import Labels
from cofacil.shown import shown
from cofacil.storage import Store
from cofacil.widgets.cells import TERMINAL

START = datetime(2025, 3, 14, 18, 30, tzinfo=UTC)
PEOPLE = ["m1", "m2", "m3", LEAD, COFAC]

actions = st.one_of(
    st.tuples(st.just("speak"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("interrupt"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("silence"), st.none()),
    st.tuples(st.just("observe"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("flag"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("code"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("technique"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("pause"), st.none()),
    st.tuples(st.just("undo"), st.none()),
    st.tuples(st.just("presence"), st.sampled_from(["m1", "m2", "m3"])),
    st.tuples(st.just("round"), st.sampled_from(["check-in", "round"])),
    st.tuples(st.just("next"), st.none()),
    st.tuples(st.just("crash"), st.booleans()),  # killed (after a sign of life?), reopened
    st.tuples(st.just("beat"), st.none()),  # the live screen's sign of life
    st.tuples(st.just("wait"), st.floats(0, 400)),
)


def record(data: Path, steps: list[tuple[str, object]], end: bool) -> tuple[Store, str]:
    clock = FakeClock(START)
    store = Store(data, clock=clock)
    session = _add_session(store)
    live = LiveSession(store, session.id)
    for kind, arg in steps:
        clock.advance(1.5)
        if kind == "speak":
            live.speak(str(arg))
        elif kind == "interrupt":
            live.interrupt(str(arg))
        elif kind == "silence":
            live.silence()
        elif kind == "observe":
            begun = live.reading()
            clock.advance(4)  # typed for a while: the note is about when `o` was pressed
            live.observe("a note", about=[str(arg)], tags=["t"], begun=begun)
        elif kind == "flag":
            live.flag("a concern #t", about=[str(arg)], tags=["t"], begun=live.reading())
        elif kind == "code":
            live.code("quick", "conflict", about=[str(arg)])
        elif kind == "technique":
            live.technique("support", by=LEAD, towards=[str(arg)])
        elif kind == "beat":
            live.beat()
        elif kind == "pause":
            live.toggle_pause()
        elif kind == "undo":
            live.undo()
        elif kind == "presence":
            live.toggle_presence(str(arg))
        elif kind == "round":
            live.start_round(str(arg), 60)
        elif kind == "next":
            live.next_in_round()
        elif kind == "crash":
            if arg:
                clock.advance(1.5)
                live.beat()
            live.close()
            clock.advance(90)
            clock.epoch += "+"  # a new run of the app: its monotonic readings start anew
            live = LiveSession(store, session.id)
        elif kind == "wait":
            clock.advance(float(arg))  # type: ignore[arg-type]
    if end:
        live.end()
    live.close()
    return store, session.id


def render_every_prefix(store: Store, session_id: str) -> None:
    session = store.session(session_id)
    group = store.group(session.group_id)
    names = group.names()
    schemes = load_library(store).schemes
    events = store.read_events(session_id)
    order = [*session.seats, LEAD, COFAC]
    follower = SessionView(store, session_id)
    for n in range(1, len(events) + 1):
        prefix = events[:n]
        figures = session_figures(session, prefix)
        follower._events = prefix  # what a window following the session has read so far
        live_view.room(follower, follower.figures(), names)
        live_view.notes(figures, names, follower.library)
        dynamics.member_trends([(session, prefix)])
        export.render("md", group, session, prefix)  # the report's summary
        for width in (40, 60, 100):
            for cells in (TERMINAL, None):  # on the screen, in a file
                charts.talk_bars(figures, names, width, cells=cells)
                charts.timeline_rows(figures, order, names, width, mark=figures.active, cells=cells)
                charts.timeline_rows(figures, order, names, width, mark=0.0, cells=cells)
            charts.interaction_circle(figures, session.seats, names, min(60, width), cells=TERMINAL)
        charts.answer_lines(figures, names)
        svg_charts.interaction_circle(figures, session.seats, names)  # the html's charts
        svg_charts.talk_bars(figures, shown(figures), names)
        svg_charts.timeline(figures, session.seats, names, Labels())
        for member in group.members:
            draft(group, member, figures, schemes)
        if n == len(events) or n % 7 == 0:  # the reports read the whole log: sampled
            for fmt in ("csv", "json", "html"):
                export.render(fmt, group, session, prefix)


def _check(steps: list[tuple[str, object]], end: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, session_id = record(Path(tmp) / "data", steps, end)
        render_every_prefix(store, session_id)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=st.lists(actions, max_size=25), end=st.booleans())
def test_the_review_of_any_log_at_any_moment_renders(steps: list, end: bool) -> None:
    _check(steps, end)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(actions, max_size=40), end=st.booleans())
def test_the_review_of_any_log_at_any_moment_renders_long(steps: list, end: bool) -> None:
    _check(steps, end)


@pytest.mark.parametrize("left", ["with q", "killed"])
def test_a_session_left_mid_turn_can_be_reviewed(left: str) -> None:
    """The newest event a turn that starts at the very end of the log: its first cell on the
    timeline is the last one, not one past it."""
    _check([("speak", "m1"), ("wait", 30.0), ("speak", "m2")], end=False)
    _check([("speak", "m1"), ("crash", None), ("speak", "m3")], end=False)
