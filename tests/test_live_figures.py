"""The live fold agrees with the from-scratch dynamics (the oracle) after every event of any
log: turns, interruptions, undos, pauses, reopenings after crashes (with and without a sign of
life), arrivals, go-rounds and notes begun before they were saved. So does the lean pass that
gives each member's row of a session for their course across sessions."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_review_never_crashes import actions, record

from cofacil import live_view
from cofacil.dynamics import (
    Instant,
    MemberSession,
    member_rows,
    session_figures,
    timeline,
    turns_on,
)
from cofacil.library import load_library
from cofacil.live_figures import TimelineFold
from cofacil.live_view import NotesFold
from cofacil.models import FACILITATORS
from cofacil.shown import shown


def _rows_from_figures(session, events, until=None) -> dict[str, MemberSession]:
    """Each member's row as the session's review has it: every figure, then the members'."""
    figures = session_figures(session, events, until)
    percents = shown(figures).member_share_of
    return {
        m: MemberSession(
            session_id=session.id,
            number=session.number,
            status=p.status,
            turns=p.turns,
            talk=p.talk,
            member_share=p.member_share or 0.0,
            member_percent=percents[m],
            notes=sum(p.notes.values()),
        )
        for m, p in figures.participants.items()
        if m not in FACILITATORS
    }


def _check(steps: list, end: bool, later: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, session_id = record(Path(tmp) / "data", steps, end)
        events = store.read_events(session_id)
        session = store.session(session_id)
        names = store.group(session.group_id).names()
        library = load_library(store)
    fold = TimelineFold()
    notes = NotesFold(names, library)  # the notes pane, kept up to date the same way
    for n, event in enumerate(events, start=1):
        if not fold.add(event):
            fold = TimelineFold.fold(events[:n])  # a correction: folded again from the log
        last = events[n - 1]
        now = Instant(last.at, last.mono + later, last.epoch)
        for moment in (None, now):
            expected = timeline(events[:n], moment)
            assert fold.timeline(moment) == expected
            assert fold.turns(moment) == turns_on(expected)
            current = turns_on(expected)[-1:] if expected.events else []
            running = [t for t in current if t.open]
            assert fold.current(moment) == (running[0] if running else None)
            folded = (fold.timeline(moment), fold.turns(moment), fold.totals)
            assert session_figures(session, events[:n], moment, folded=folded) == (
                session_figures(session, events[:n], moment)
            )
        for moment in (None, now):  # a recording cut short: read to its last sign of life
            rows = member_rows(session, events[:n], moment)
            expected_rows = _rows_from_figures(session, events[:n], moment)
            assert list(rows.items()) == list(expected_rows.items())
        from_scratch = live_view.notes(SimpleNamespace(timeline=expected), names, library)
        kept = notes.update(SimpleNamespace(timeline=fold.timeline()))  # type: ignore[arg-type]
        assert (kept.lines, kept.tags, kept.used) == (
            from_scratch.lines,
            from_scratch.tags,
            from_scratch.used,
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(actions, max_size=30), end=st.booleans(), later=st.floats(0, 120))
def test_the_fold_equals_the_oracle_after_every_event(steps: list, end: bool, later: float) -> None:
    _check(steps, end, later)


def test_a_correction_asks_for_a_fold_of_the_whole_log() -> None:
    _check([("speak", "m1"), ("wait", 5.0), ("undo", None), ("speak", "m2")], False, 3.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(actions, max_size=30), end=st.booleans())
def test_a_log_opened_whole_is_folded_as_the_oracle_reads_it(steps: list, end: bool) -> None:
    """Opening a session folds its whole log at once, corrections and all (once, not once per
    correction): the figures are the oracle's."""
    from cofacil.live import SessionView

    with tempfile.TemporaryDirectory() as tmp:
        store, session_id = record(Path(tmp) / "data", steps, end)
        view = SessionView(store, session_id)
        events = store.read_events(session_id)
        assert view.fold.timeline() == timeline(events)
        assert view.fold.turns() == turns_on(timeline(events))
