"""Exports: json round-trips every event type, csv columns hold, markup stays inert in md."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cofacil.export import CSV_COLUMNS, from_json, md_text, render, to_csv, to_json, to_markdown
from cofacil.models import (
    EVENT_TYPES,
    LEAD,
    Correction,
    Flag,
    Group,
    Member,
    Nudge,
    Observation,
    Reviewed,
    Session,
    SessionStarted,
    TurnStarted,
)

NOW = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
GROUP = Group(
    name="[b]Tue[/b]",
    created_at=NOW,
    members=[
        Member(id="m1", name="Ann", seat=1, hotkey="1"),
        Member(id="m2", name="*Bo*", seat=2, hotkey="2"),
    ],
)
SESSION = Session(group_id=GROUP.id, number=4, date=NOW.date(), created_at=NOW)

text = st.text(min_size=1, max_size=60)
ids = st.lists(st.sampled_from(["m1", "m2", LEAD]), max_size=3)
FIELDS = {
    "speaker": st.sampled_from(["m1", "m2", LEAD]),
    "by": st.sampled_from(["lead", "cofac"]),  # valid for interruptions and techniques
    "of": st.just("m2"),
    "text": text,
    "about": ids,
    "towards": ids,
    "tags": st.lists(st.text(min_size=1, max_size=10), max_size=3),
    "scheme": st.just("quick"),
    "code": st.sampled_from(["emotion", "conflict"]),
    "card": st.just("support"),
    "member": st.just("m1"),
    "change": st.sampled_from(["arrived", "left"]),
    "name": st.just("Dr. R"),
    "target": st.just("abc"),
    "action": st.just("undo"),
}


@st.composite
def events(draw: st.DrawFn) -> list:
    result = []
    for seq, event_type in enumerate(draw(st.lists(st.sampled_from(EVENT_TYPES), max_size=15))):
        if event_type is Correction:
            fields = {"target": draw(FIELDS["target"]), "action": "undo"}
        elif event_type in (Reviewed,):
            fields = {"target": draw(FIELDS["target"])}
        elif event_type is Nudge:
            action = draw(st.sampled_from(["shown", "dismissed", "acted"]))
            fields = {"action": action, "rule": "closing", "card": "summarizing"}
        else:
            fields = {n: draw(FIELDS[n]) for n in event_type.model_fields if n in FIELDS}
        result.append(event_type(seq=seq, at=NOW, mono=float(seq), epoch="e", **fields))
    return result


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_json_export_round_trips(log: list) -> None:
    group, session, back = from_json(to_json(GROUP, SESSION, log))
    assert (group, session, back) == (GROUP, SESSION, log)


@settings(max_examples=50)
@given(events())
def test_csv_has_one_row_per_event_under_stable_columns(log: list) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(GROUP, SESSION, log), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == [e.seq for e in log]


def test_csv_neutralises_formulas_and_marks_undone_events() -> None:
    log = [
        SessionStarted(seq=0, at=NOW, mono=0.0, epoch="e"),
        Observation(seq=1, at=NOW, mono=1.0, epoch="e", text='=HYPERLINK("x")', about=["m1"]),
        TurnStarted(seq=2, at=NOW, mono=2.0, epoch="e", speaker="m1"),
    ]
    log.append(Correction(seq=3, at=NOW, mono=3.0, epoch="e", target=log[2].id, action="undo"))
    rows = list(csv.DictReader(io.StringIO(to_csv(GROUP, SESSION, log), newline="")))
    assert rows[1]["text"] == '\'=HYPERLINK("x")'
    assert rows[1]["about"] == "Ann"
    assert rows[2]["undone"] == "1" and rows[1]["undone"] == "0"
    assert rows[3]["target"] == log[2].id


def test_markdown_keeps_user_text_inert() -> None:
    log = [
        SessionStarted(seq=0, at=NOW, mono=0.0, epoch="e"),
        Flag(
            seq=1,
            at=NOW,
            mono=1.0,
            epoch="e",
            text="[click](http://x) <b>hi</b> \x1b]52;c;x\x07",
            about=["m2"],
        ),
    ]
    report = to_markdown(GROUP, SESSION, log)
    assert "[click](http://x)" not in report
    assert "<b>" not in report
    assert "\x1b" not in report and "\x07" not in report
    assert "\\*Bo\\*" in report  # a member's name is not emphasis
    assert report.index("## Flags") < report.index("## Observations")


def test_md_text_escapes_every_markdown_special() -> None:
    assert md_text("# _a_ `b` [c](d) | e\nf") == "\\# \\_a\\_ \\`b\\` \\[c\\]\\(d\\) \\| e f"


def test_no_escape_sequence_reaches_a_terminal_from_csv_or_md() -> None:
    osc52 = "\x1b]52;c;ZXZpbA==\x07 and \x1b[31mred\x1b[0m"
    log = [
        SessionStarted(seq=0, at=NOW, mono=0.0, epoch="e"),
        Observation(seq=1, at=NOW, mono=1.0, epoch="e", text=osc52, about=["m1"]),
    ]
    for fmt in ("csv", "md"):
        out = render(fmt, GROUP, SESSION, log)
        assert "\x1b" not in out and "\x07" not in out, fmt
        assert "␛]52" in out or "␛\\]52" in out, fmt
    assert "\\u001b" in render("json", GROUP, SESSION, log)  # JSON keeps it, escaped
