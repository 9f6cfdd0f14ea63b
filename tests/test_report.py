"""Exports of a small hand-built session, byte for byte (golden files), and redaction.

To accept a deliberate change: `COFACIL_UPDATE_GOLDEN=1 make test`, then read the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cofacil.export import from_json, member_files, render
from cofacil.models import (
    COFAC,
    LEAD,
    Attendance,
    AttendanceChanged,
    CodedEvent,
    Flag,
    Group,
    Interruption,
    Member,
    MemberNote,
    Observation,
    Paused,
    Resumed,
    Reviewed,
    ReviewNote,
    Session,
    SessionEnded,
    SessionStarted,
    SignedOff,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
)
from cofacil.redact import redact, redact_notes

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)

GROUP = Group(
    id="g1",
    name="Tuesday *anxiety* group",
    kind="support",
    lead="Dr. Hale",
    cofac="Sam",
    created_at=T0,
    members=[
        Member(id="m1", name="Ann", seat=1, hotkey="1", note="prefers the door seat"),
        Member(id="m2", name="[b]Bo[/b]", seat=2, hotkey="2"),
        Member(id="m3", name="Cy Lee", seat=3, hotkey="3"),
        Member(id="m4", name="Dee", seat=4, hotkey="4"),
    ],
)
SESSION = Session(
    id="s1",
    group_id="g1",
    number=7,
    date=date(2026, 3, 5),
    theme="What Ann said last week",
    attendance={
        "m1": Attendance(),
        "m2": Attendance(),
        "m3": Attendance(late=True),
        "m4": Attendance(present=False),
    },
    seats=["m1", "m2", "m3", "m4"],
    created_at=T0,
)


def events() -> list:
    steps = [
        (0, SessionStarted, {}),
        (5, TurnStarted, {"speaker": LEAD}),
        (40, TurnStarted, {"speaker": "m1"}),
        (160, Interruption, {"by": "m2", "of": "m1"}),
        (
            170,
            Observation,
            {
                "text": "Bo cut in on Ann; <b>tense</b> [link](x)",
                "about": ["m2", "m1"],
                "tags": ["conflict"],
            },
        ),
        (200, TurnEnded, {"speaker": "m2"}),
        (210, AttendanceChanged, {"member": "m3", "change": "arrived"}),
        (215, CodedEvent, {"scheme": "quick", "code": "conflict", "about": ["m2"]}),
        (220, TurnStarted, {"speaker": "m3"}),
        (
            300,
            Flag,
            {"text": "@Cy_Lee spoke of self-harm urges; =cmd|' /C calc'!A0", "about": ["m3"]},
        ),
        (310, TechniqueUsed, {"card": "support", "by": "lead", "towards": ["m3"]}),
        (
            320,
            Observation,
            {"text": "Ann's sister is in hospital", "about": ["m1"], "tags": ["private"]},
        ),
        (330, Paused, {}),
        (930, Resumed, {}),
        (940, TurnStarted, {"speaker": COFAC}),
        (960, TurnStarted, {"speaker": "m1"}),
        (1100, TechniqueUsed, {"card": "summarizing", "by": "lead", "towards": []}),
        (1110, SessionEnded, {}),
        (1500, ReviewNote, {"text": "Follow up with Cy Lee before next week", "target": None}),
        (1550, ReviewNote, {"text": "Called Cy the next day", "target": "e09"}),  # the flag
        (1560, Reviewed, {"target": "e09"}),
        (1600, SignedOff, {"name": "Dr. Hale"}),
        (
            1700,
            ReviewNote,
            {"text": "Cy seen by GP; safe", "target": None, "addendum": True, "reason": "late"},
        ),
    ]
    result = []
    for seq, (t, kind, fields) in enumerate(steps):
        result.append(
            kind(
                id=f"e{seq:02d}",
                seq=seq,
                at=T0 + timedelta(seconds=t),
                mono=float(t),
                epoch="run",
                **fields,
            )
        )
    return result


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("COFACIL_UPDATE_GOLDEN"):
        path.write_bytes(text.encode())
    assert text.encode() == path.read_bytes(), f"{name} differs from its golden file"


def notes() -> list[MemberNote]:
    """The lead therapist's notes: Ann's names Bo; Cy came late and has none yet (Dee was
    absent: no note)."""
    return [
        MemberNote(
            id=f"{SESSION.id}:m1",
            session_id=SESSION.id,
            member_id="m1",
            data="Spoke first; Bo cut in on her.\nShe went quiet after.",
            assessment="Frustration held back; *not* at risk.",
            plan="Ask Ann how the interruption felt.",
            updated_at=T0 + timedelta(seconds=1650),
        )
    ]


def _notes_by_member(kept: list[MemberNote]) -> dict[str, MemberNote]:
    return {n.member_id: n for n in kept}


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_exports_match_their_golden_files(fmt: str) -> None:
    text = render(fmt, GROUP, SESSION, events(), notes=_notes_by_member(notes()))
    check_golden(f"session.{fmt}", text)


def _redacted(fmt: str) -> str:
    safe_notes = redact_notes(GROUP, SESSION, notes())
    return render(fmt, *redact(GROUP, SESSION, events()), notes=_notes_by_member(safe_notes))


def test_redacted_report_matches_its_golden_file() -> None:
    check_golden("session-redacted.md", _redacted("md"))


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_redaction_leaves_no_name_and_no_private_note(fmt: str) -> None:
    out = _redacted(fmt)
    for name in ("Ann", "Bo", "Cy", "Lee", "Cy_Lee", "Dee", "Hale", "Sam", "Tuesday", "anxiety"):
        assert not re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", out), name
    assert "sister" not in out and "door seat" not in out
    assert "harm urges" in out  # the flag itself stays


def test_redaction_leaves_no_id_that_links_back_and_keeps_the_shape() -> None:
    """A redacted json names nobody by the database's ids (a demo's ids hold names), yet who
    spoke, who was about whom and who sat where still fit together, and it loads back."""
    text = render("json", *redact(GROUP, SESSION, events()))
    originals = ["g1", "s1", "m1", "m2", "m3", "m4", "run", *(e.id for e in events())]
    for original in originals:
        assert f'"{original}"' not in text, original
    group, session, redacted = from_json(text)
    ids = {m.id for m in group.members}
    assert session.group_id == group.id and set(session.seats) == ids == set(session.attendance)
    people = {getattr(e, "speaker", None) for e in redacted} | {
        who for e in redacted for who in getattr(e, "about", None) or []
    }
    assert people - {None, "lead", "cofac"} <= ids
    assert redact(GROUP, SESSION, events())[0] == group  # stable: the same in every export


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_redaction_reaches_every_text_and_whatever_points_at_a_private_note(fmt: str) -> None:
    """The deck's recorded reasons name members, an amended text may, and a comment or mark
    on a #private note would bring it back: none of them survives redaction."""
    from cofacil.models import Correction, Nudge, Reviewed

    log = events()
    private = next(e for e in log if isinstance(e, Observation) and "private" in e.tags)
    extra = [
        (Nudge, {"action": "shown", "rule": "silent", "card": "support", "reason": "Dee quiet"}),
        (Correction, {"target": log[4].id, "action": "amend", "text": "Ann left in tears"}),
        (ReviewNote, {"text": "ask about her sister's ward", "target": private.id}),
        (Reviewed, {"target": private.id}),
    ]
    for n, (kind, fields) in enumerate(extra, start=len(log)):
        at = T0 + timedelta(seconds=2000 + n)
        log.append(kind(id=f"x{n}", seq=n, at=at, mono=2000.0 + n, epoch="run", **fields))
    out = render(fmt, *redact(GROUP, SESSION, log))
    for secret in ("Dee", "Ann", "sister", "ward"):
        assert not re.search(rf"(?<![A-Za-z]){secret}(?![A-Za-z])", out), secret
    if fmt == "json":
        kinds = [e.type for e in from_json(out)[2]]
        assert "nudge" in kinds and "correction" in kinds  # kept, only cleaned
        assert kinds.count("review_note") == len([e for e in events() if e.type == "review_note"])


def test_a_title_is_not_taken_for_a_name() -> None:
    """The lead is "Dr. Hale": a "Dr. Moss" covering for her stays a doctor, not the lead;
    whoever signed, a redacted copy says the lead therapist did."""
    from cofacil.models import SignedOff

    log = events()
    at = next(i for i, e in enumerate(log) if isinstance(e, Observation))
    log[at] = log[at].model_copy(update={"text": "Dr. Hale (covering: Dr. Moss)"})
    safe = redact(GROUP, SESSION, log)[2]
    assert safe[at].text == "Lead therapist (covering: Dr. Moss)"
    assert next(e for e in safe if isinstance(e, SignedOff)).name == "Lead therapist"


def test_pseudonyms_never_merge_two_members() -> None:
    """Short pseudonyms (4 hex digits) can coincide; the two members then get longer ones."""
    from cofacil.redact import pseudonym, pseudonyms

    seen: dict[str, str] = {}
    for n in range(100_000):  # two ids whose short pseudonyms are the same
        alias = pseudonym("g1", f"x{n}")
        if alias in seen:
            pair = [seen[alias], f"x{n}"]
            break
        seen[alias] = f"x{n}"
    members = [
        Member(id=member_id, name=f"P{i}", seat=i + 1, hotkey=str(i + 1))
        for i, member_id in enumerate(pair)
    ]
    aliases = pseudonyms(GROUP.model_copy(update={"members": members}))
    assert len(set(aliases.values())) == 2
    # Stable: seated the other way round, nobody's pseudonym changes.
    assert pseudonyms(GROUP.model_copy(update={"members": members[::-1]})) == aliases


def test_json_round_trips_and_markup_stays_inert() -> None:
    assert from_json(render("json", GROUP, SESSION, events(), include_private=True))[2] == events()
    report = render("md", GROUP, SESSION, events())
    assert "<b>" not in report and "[link](x)" not in report and "*anxiety*" not in report
    csv_text = render("csv", GROUP, SESSION, events())
    assert ",'=cmd" not in csv_text or "'=cmd" in csv_text  # formula cells are neutralised
    assert "\n=cmd" not in csv_text and ",=cmd" not in csv_text


def test_private_notes_are_left_out_unless_asked_for() -> None:
    """A #private observation (with the comments and marks on it) is in no export unless the
    therapist asks; the report says how many were left out."""
    plain = render("md", GROUP, SESSION, events())
    assert "sister" not in plain and "1 left out of this report" in plain
    kept = render("md", GROUP, SESSION, events(), include_private=True)
    assert "sister" in kept and "none left out" in kept
    for fmt in ("csv", "json"):
        assert "sister" not in render(fmt, GROUP, SESSION, events())
        assert "sister" in render(fmt, GROUP, SESSION, events(), include_private=True)


def test_per_member_notes_match_their_golden_file() -> None:
    """Ann's note for her chart: Bo (who cut in on her) by his initials; Cy came and has no
    note yet (no file); Dee was absent (no file either)."""
    files, unwritten = member_files(GROUP, SESSION, events(), _notes_by_member(notes()))
    assert list(files) == ["2026-03-05-session-007-A"] and unwritten == ["[b]Bo[/b]", "Cy Lee"]
    check_golden("session-member-A.md", files["2026-03-05-session-007-A"])
