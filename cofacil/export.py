"""Exports of one session: json (complete, round-trips), csv (one row per event), md (summary).

Figures are shown as every view shows them (`cofacil.shown`): to the nearest second, parts
adding up to their whole. A member's attendance reads as in the review
(`dynamics.attendance_text`): "stepped out (in the room 0:00–4:45, 5:47–10:16)".

CSV columns, stable and documented (one row per event, in log order, corrections included as
rows of their own so the record is complete):

    seq          position in the session's log, from 0
    event_id     the event's id (corrections name it in `target`)
    type         session_started, paused, resumed, reopened, session_ended, turn_started,
                 turn_ended, interruption, observation, coded, technique_used, flag,
                 round_started, round_ended, nudge, attendance, correction, review_note,
                 reviewed, signed_off; after the log, one member_note row per member note
                 (`who` the member, `text` its sections, `code` DAP or BIRP, `at`
                 when it was last saved, `event_id` the note's id)
    at           wall-clock time, ISO 8601 with offset
    elapsed_s    seconds since the session started, by the wall clock (breaks included)
    active_s     the session clock as the live screen shows it: active seconds, breaks and
                 crash gaps left out (empty for undone events and corrections)
    author       who recorded it: cofac or lead
    who          the acting participant: speaker, interrupter, technique user, or the member
                 whose attendance changed (a member's display name, or Lead / Co-facilitator);
                 for signed_off the name the lead therapist signed with, as typed
    about        display names the event concerns, separated by "; " (interrupted speaker,
                 observation subjects, technique recipients)
    text         observation, flag or review-note text; for a correction the amended text;
                 for attendance the member's attendance over the session, every stretch in
                 the room: "stepped out (in the room 0:00–4:45, 5:47–10:16)"; for
                 signed_off the SHA-256 digest of the signed record (`cofacil verify`)
    tags         observation and flag tags, separated by "; "
    code         scheme:code for coded events, the card for technique_used, arrived/left for
                 attendance, undo/amend for corrections, comment/addendum for review notes
    target       for corrections, review notes and reviewed marks: the event_id they refer to
                 (empty for a review note on the whole session)
    undone       1 if a later correction undid this event, else 0
    begun_at     observations and flags: when `o` or `f` was pressed (the moment the note is
                 about; `at` is when it was saved), ISO 8601 with offset
    begun_active_s   that moment on the session clock
    gap_s        on the first event of a new run of cofacil (`reopened`): the seconds it was
                 not running before it (from the last sign of life of the run before), left
                 out of the session clock
    reason       for an addendum (a review note after sign-off): why it was added
    group        the group's name, on every row (the files of many sessions can be joined)
    session      the session's number in its group, on every row

Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab, CR or LF)
are prefixed with an apostrophe; control characters (escape sequences) show as control
pictures, C1 controls as `\\x9b` and text-direction overrides as `\\u202e`.

The json holds the group, the session, every event as recorded and the member notes, and,
for reading only (it
is worked out from those again), `presence`: for each member on the session's list their
attendance (`status`: present, late, left early, stepped out, absent) and every stretch in the
room, `in_room`: [{"from": s, "to": s}], in active seconds as `active_s` in the csv; and
`gaps`: each time cofacil was not running (a crash, a quit), [{"at_s": active seconds,
"seconds": its length by the wall clock, "ended_by": the event id of the next run's first}].

The json keeps every character as recorded, but writes controls, C1 controls, DEL, the line
separators and text-direction overrides as `\\uXXXX` escapes, so printing the file on a terminal
never runs an escape sequence.

In the md report user text is escaped (no links, images, HTML, emphasis or headings; a colon
too, so that `https://…` stays text rather than becoming a link).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cofacil import charts, dynamics
from cofacil.deck import shipped_deck
from cofacil.display import BIDI_CONTROLS, duration, visible
from cofacil.library import Library
from cofacil.member_notes import initials, others_by_initials, sections, written
from cofacil.models import (
    COFAC,
    GROUP_KIND_LABELS,
    ITEM_TYPES,
    LEAD,
    AttendanceChanged,
    CodedEvent,
    Correction,
    EventBase,
    Flag,
    Group,
    Interruption,
    MemberNote,
    Observation,
    Reviewed,
    ReviewNote,
    Session,
    SessionStarted,
    SignedOff,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
    event_adapter,
)
from cofacil.notes import tags as typed_tags
from cofacil.nudges import NudgeSettings
from cofacil.record import Labels, labels_of, signed_off
from cofacil.schemes import shipped_schemes
from cofacil.shown import shown
from cofacil.summary import BALANCE_NAME, clock_times, summarize

FORMATS = ("json", "csv", "md", "html")
CSV_COLUMNS = (
    "seq",
    "event_id",
    "type",
    "at",
    "elapsed_s",
    "active_s",
    "author",
    "who",
    "about",
    "text",
    "tags",
    "code",
    "target",
    "undone",
    "begun_at",
    "begun_active_s",
    "gap_s",
    "reason",
    "group",
    "session",
)


class SessionExport(BaseModel):
    """The json export: everything needed to read the session elsewhere or load it back."""

    model_config = ConfigDict(extra="forbid")

    format: str = "cofacil-session"
    version: int = 1
    group: Group
    session: Session
    presence: dict[str, Any] = Field(default_factory=dict)  # derived: not read back
    gaps: list[Any] = Field(default_factory=list)  # derived: not read back
    signed: dict[str, Any] | None = None  # derived: not read back
    private_left_out: int = 0  # #private notes not in this file
    events: list[Any] = Field(default_factory=list)
    member_notes: list[MemberNote] = Field(default_factory=list)

    def parsed_events(self) -> list[EventBase]:
        return [event_adapter.validate_python(e) for e in self.events]  # type: ignore[misc]


def to_json(
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    notes: Sequence[MemberNote] = (),
    private_left_out: int = 0,
) -> str:
    tl = dynamics.timeline(events)
    payload: dict[str, Any] = {
        "format": "cofacil-session",
        "version": 1,
        "group": group.model_dump(mode="json"),
        "session": session.model_dump(mode="json"),
        "presence": presence_data(session, tl),
        "gaps": [  # when cofacil was not running: left out of the session clock
            {"at_s": round(at, 3), "seconds": round(seconds, 3), "ended_by": end}
            for (at, seconds), end in zip(tl.gaps, tl.gap_ends, strict=True)
        ],
        "events": [e.model_dump(mode="json") for e in events],
        "member_notes": [n.model_dump(mode="json") for n in sorted(notes, key=lambda n: n.id)],
    }
    if private_left_out:  # the log is not whole: a digest cannot be checked against it
        payload["private_left_out"] = private_left_out
    if (signed := signed_off(events)) is not None:  # for reading: the sign-off event has it
        payload["signed"] = {
            "by": signed.name,
            "at": signed.at.isoformat(),
            "digest": signed.digest,
        }
    return json.dumps(payload, ensure_ascii=False, indent=1).translate(_JSON_ESCAPES) + "\n"


# json.dumps escapes C0 controls itself; these it would leave raw. Inside a JSON string a
# `\u` escape reads back as the same character (and they occur nowhere else).
_JSON_ESCAPES = {
    c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *map(ord, BIDI_CONTROLS))
}


def presence_data(session: Session, tl: dynamics.Timeline) -> dict[str, Any]:
    """Each listed member's attendance and stretches in the room, as data (raw seconds)."""
    data: dict[str, Any] = {}
    for member, where in dynamics.presence(session, tl).items():
        status = dynamics.status_of(session, member, where)
        data[member] = {
            "status": dynamics.attendance_name(status, where.stretches),
            "in_room": [{"from": a, "to": b} for a, b in where.stretches],
        }
    return data


def attendance_texts(session: Session, tl: dynamics.Timeline) -> dict[str, str]:
    """Each listed member's attendance in words (`dynamics.attendance_text`)."""
    return {
        member: dynamics.attendance_text(
            dynamics.status_of(session, member, where), where.stretches
        )
        for member, where in dynamics.presence(session, tl).items()
    }


def from_json(text: str) -> tuple[Group, Session, list[EventBase]]:
    export = SessionExport.model_validate_json(text)
    return export.group, export.session, export.parsed_events()


def participant_name(group: Group, participant: str) -> str:
    return group.names().get(participant, participant)


_CONTROLS = (
    {c: chr(0x2400 + c) for c in range(32) if chr(c) not in "\t\n\r"}
    | {0x7F: "␡"}
    | {c: f"\\x{c:02x}" for c in range(0x80, 0xA0)}
    | {ord(ch): f"\\u{ord(ch):04x}" for ch in BIDI_CONTROLS}
)


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula and a terminal will not obey: escape
    sequences (an OSC 52 clipboard write, colours) are shown as control pictures."""
    value = value.translate(_CONTROLS)
    if value and value[0] in "=+-@\t\r\n":
        return "'" + value
    return value


def _csv_row(
    group: Group,
    event: EventBase,
    started: EventBase | None,
    active: float | None,
    attendance: dict[str, str],
    moment: float | None = None,
    gap: float | None = None,
    number: int = 0,
) -> list[str]:
    names = lambda ids: "; ".join(participant_name(group, i) for i in ids)  # noqa: E731
    who = about = text = tags = code = target = ""
    if isinstance(event, (TurnStarted, TurnEnded)):
        who = participant_name(group, event.speaker)
    elif isinstance(event, Interruption):
        who, about = participant_name(group, event.by), participant_name(group, event.of)
    elif isinstance(event, Observation):
        about, text, tags = names(event.about), event.text, "; ".join(event.tags)
    elif isinstance(event, CodedEvent):
        about, code = names(event.about), f"{event.scheme}:{event.code}"
    elif isinstance(event, TechniqueUsed):
        who, about, code = participant_name(group, event.by), names(event.towards), event.card
    elif isinstance(event, Flag):
        about, text, tags = names(event.about), event.text, "; ".join(event.tags)
    elif isinstance(event, AttendanceChanged):
        who, code = participant_name(group, event.member), event.change
        text = attendance.get(event.member, "")
    elif isinstance(event, Correction):
        target, code, text = event.target, event.action, event.text or ""
        about = names(event.about) if event.about is not None else ""
        tags = "; ".join(event.tags) if event.tags is not None else ""
    elif isinstance(event, ReviewNote):
        text, target, code = event.text, event.target or "", event.kind.lower()
    elif isinstance(event, Reviewed):
        target = event.target
    elif isinstance(event, SignedOff):
        who, text = event.name, event.digest or ""
    elapsed = (event.at - started.at).total_seconds() if started else 0.0
    row = [
        str(event.seq),
        event.id,
        event.type,  # type: ignore[attr-defined]
        event.at.isoformat(),
        f"{elapsed:.1f}",
        "" if active is None else f"{active:.1f}",
        event.author,
        who,
        about,
        text,
        tags,
        code,
        target,
        "1" if active is None and not isinstance(event, Correction) else "0",
        begun.at.isoformat() if (begun := getattr(event, "begun", None)) else "",
        "" if moment is None or begun is None else f"{moment:.1f}",
        "" if gap is None else f"{gap:.1f}",
        event.reason if isinstance(event, ReviewNote) else "",
        group.name,
        str(number),
    ]
    return [_cell(v) for v in row]


def to_csv(
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    notes: Sequence[MemberNote] = (),
) -> str:
    started = next((e for e in events if isinstance(e, SessionStarted)), None)
    tl = dynamics.timeline(events)
    active = {e.id: t for e, t in zip(tl.events, tl.t, strict=True)}  # standing events only
    moments = {e.id: t for e, t in zip(tl.events, tl.when, strict=True)}
    gaps = {end: seconds for end, (_, seconds) in zip(tl.gap_ends, tl.gaps, strict=True)}
    attendance = attendance_texts(session, tl)
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF rows, any CR or LF inside a cell is quoted
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = _csv_row(
            group,
            event,
            started,
            active.get(event.id),
            attendance,
            moments.get(event.id),
            gaps.get(event.id),
            session.number,
        )
        writer.writerow(row)
    for note in sorted(notes, key=lambda n: n.id):  # after the log: not events of it
        writer.writerow(_note_row(group, session, note))
    return out.getvalue()


def _note_row(group: Group, session: Session, note: MemberNote) -> list[str]:
    """A member note as a row: `member_note`, whose it is, its parts in `text`."""
    text = "\n".join(f"{heading}: {part.strip()}" for heading, part in sections(note))
    row = dict.fromkeys(CSV_COLUMNS, "")
    row |= {
        "event_id": note.id,
        "type": "member_note",
        "at": note.updated_at.isoformat(),
        "author": "lead",
        "who": participant_name(group, note.member_id),
        "text": text,
        "code": note.format,
        "group": group.name,
        "session": str(session.number),
    }
    return [_cell(row[c]) for c in CSV_COLUMNS]


_MD_SPECIAL = set("\\`*_{}[]<>()#+-.!|~&:")  # ":" keeps `https://…` from linking


def md_text(text: str) -> str:
    """User text made inert in Markdown: no links, emphasis, HTML or headings; one line."""
    flat = " ".join(visible(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


def to_markdown(
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    *,
    quiet_seconds: float = NudgeSettings.quiet_seconds,
    until: dynamics.Moment | None = None,
    labels: Labels | None = None,
    notes: Mapping[str, MemberNote] | None = None,
    private_left_out: int = 0,
) -> str:
    """The session report to file. It leads with the group note (what an EHR group note
    holds: date, clock times, length, theme, attendance with times, techniques used, the
    group's dynamics, risk items) and the member notes (`notes`, by member id: one for each
    member who came), then the figures, the charts as text, flags, each member, every
    observation, the lead therapist's comments and addenda, and the sign-off. `quiet_seconds`:
    the therapist's threshold (nudges.toml), as the live circle and the review used it;
    `until`: the last sign of life of a recording cut short (the review reads to it too);
    `labels`: the names of the cards and codes used (the therapist's library, or as signed)."""
    labels = labels or labels_of(Library(shipped_deck(), shipped_schemes()), events)
    code_label = labels.code
    figures = dynamics.session_figures(session, events, until)
    rounded = shown(figures)
    tl = figures.timeline
    log = tl.events
    active = {e.id: t for e, t in zip(tl.events, tl.t, strict=True)}
    moments = {e.id: t for e, t in zip(tl.events, tl.when, strict=True)}
    names = group.names()
    name = lambda pid: md_text(names.get(pid, pid))  # noqa: E731

    def when(event: EventBase) -> str:
        return when_text(event.id, active, moments)

    signed = signed_off(log)
    words = dynamics.attendance_words(session, figures)
    flags = [e for e in log if isinstance(e, Flag)]
    at_a_glance = summarize(group, session, figures, labels, quiet_seconds, md_text)
    lines = [
        f"# {md_text(group.name)} — session {session.number}",
        "",
        "## Group note",
        "",
        f"- Date: {at_a_glance.date}, {at_a_glance.clock_times}",
        f"- Length: {at_a_glance.length}{'' if tl.ended else ' (not ended)'}; "
        f"breaks: {at_a_glance.breaks}",
        f"- Gaps (cofacil was not running, left out of the clocks): {at_a_glance.gaps}",
        f"- Theme: {at_a_glance.theme or '—'}",
        f"- Lead therapist: {md_text(group.lead)}; co-facilitator: {md_text(group.cofac)}",
        "- Attendance: " + "; ".join(f"{who} {how}" for who, how in at_a_glance.attendance),
        "- Techniques used: "
        + (", ".join(f"{card} ×{n}" for card, n in at_a_glance.techniques) or "none"),
        f"- Group dynamics: {at_a_glance.talk}; {BALANCE_NAME.lower()} {at_a_glance.balance};"
        " not heard: " + (", ".join(at_a_glance.not_heard) or "nobody"),
        "- Risk: "
        + ("; ".join(f"{r.at} {r.about}: {r.text}" for r in at_a_glance.risks) or "none recorded"),
        "- Signed off: "
        + (
            f"by {md_text(signed.name)}, {signed.at.isoformat(timespec='minutes')}"
            if signed
            else "no"
        ),
        "- Private notes (\\#private): "
        + (
            f"{private_left_out} left out of this report (export --include-private shows them)"
            if private_left_out
            else "none left out"
        ),
        "",
        f"## Member notes ({group.note_format})",
        "",
    ]
    attended = [m for m in group.seated() if dynamics.came(figures, m.id)]
    for member in attended:
        lines += [f"### {md_text(member.name)}", ""]
        note = (notes or {}).get(member.id)
        if note is None or not written(note):
            lines += ["No note written.", ""]
            continue
        lines += _note_lines(note, lambda line: line)
    if not attended:
        lines += ["- nobody came", ""]
    lines += ["## Flags", ""]
    # The lead therapist's comments stand under the item they are about.
    comments: dict[str, list[ReviewNote]] = {}
    for note in (e for e in log if isinstance(e, ReviewNote) and e.target):
        comments.setdefault(note.target or "", []).append(note)

    def comments_on(event: EventBase) -> list[str]:
        return [f"  - {_comment(note, names)}" for note in comments.get(event.id, [])]

    for f in flags:
        about = _about(f.about, name)
        lines += [f"- **{when(f)}** {about}: {md_text(f.text)}", *comments_on(f)]
    if not flags:
        lines.append("- none")

    lines += ["", "## Attendance", ""]
    for member in group.seated():
        lines.append(f"- {md_text(member.name)}: {words.get(member.id, 'not on the list')}")

    lines += [
        "",
        "## The session in figures",
        "",
        f"- {at_a_glance.talk}",
        f"- {BALANCE_NAME}: {at_a_glance.balance}; {at_a_glance.balance_scale}",
        "- Not heard: " + (", ".join(at_a_glance.not_heard) or "nobody"),
        "- " + at_a_glance.quiet,
        "- Go-rounds: " + at_a_glance.go_rounds,
        "",
        "Talk time (shares of all talk, the facilitators' included), and who spoke when:",
        "",
        "```text",
        # A backtick in a name must not close the fence early.
        *(line.replace("`", "'") for line in charts.talk_bars(figures, names, 72)),
        "",
        *(
            line.replace("`", "'")
            for line in charts.timeline_rows(figures, [*session.seats, LEAD, COFAC], names, 72)
        ),
        "```",
        "",
        "Who answered whom (A → B 3: A spoke right after B, 3 times):",
        "",
        "```text",
        *(
            line.replace("`", "'")
            for line in charts.answer_lines(figures, names, 72) or ["nobody answered anybody"]
        ),
        "```",
    ]

    lines += ["", "## Members", ""]
    for member in group.seated():
        p = figures.participants.get(member.id)
        if p is None or p.status == "absent":
            continue
        lines.append(f"### {md_text(member.name)}")
        lines.append("")
        lines.append(
            f"- {dynamics.attendance_text(p.status, p.stretches)}; "
            f"{p.turns} turn{'' if p.turns == 1 else 's'}, "
            f"{duration(rounded.talk_of[member.id])} "
            f"({rounded.member_share_of.get(member.id, 0)}% of members' talk); "
            f"longest {duration(rounded.longest_turn_of[member.id])}"
        )
        if p.longest_quiet is not None:
            past = dynamics.quiet_past(p, quiet_seconds, longest=True) is not None
            lines.append(
                f"- Longest quiet while in the room: {duration(p.longest_quiet)}"
                + (f" (past {quiet_seconds / 60:g} min)" if past else "")
            )
        if p.interrupted_others or p.was_interrupted:
            lines.append(
                f"- Cut in on others {p.interrupted_others}×; was cut off {p.was_interrupted}×"
            )
        codes = ", ".join(f"{md_text(code_label(c))} ×{n}" for c, n in p.codes.most_common())
        if codes:
            lines.append(f"- Codes: {codes}")
        for e in log:
            if isinstance(e, Flag) and member.id in e.about:
                lines.append(f"- {when(e)} **flag**: {md_text(e.text)}")
            elif isinstance(e, Observation) and member.id in e.about:
                lines.append(f"- {when(e)} {md_text(e.text)}")
        lines.append("")

    lines += ["## Observations, codes, techniques", ""]
    notes = [e for e in log if isinstance(e, ITEM_TYPES)]
    marked = {e.target for e in events if isinstance(e, Reviewed)}
    if notes:
        lines += [f"Marked reviewed (✓): {sum(e.id in marked for e in notes)} of {len(notes)}", ""]
    for e in notes:
        tick = " ✓" if e.id in marked else ""
        if isinstance(e, Observation):
            about = ", ".join(name(m) for m in e.about) or "group"
            # Tags typed in the text are there already: only the others are added.
            typed = set(typed_tags(e.text))
            tags = " ".join("\\#" + md_text(t) for t in e.tags if t not in typed)
            lines.append(f"- {when(e)} — {about}: {md_text(e.text)} {tags}".rstrip() + tick)
        elif isinstance(e, Flag):
            about = ", ".join(name(m) for m in e.about) or "group"
            lines.append(f"- {when(e)} — **flag**, {about}: {md_text(e.text)}{tick}")
        elif isinstance(e, CodedEvent):
            about = ", ".join(name(m) for m in e.about) or "group"
            label = code_label(f"{e.scheme}:{e.code}")
            lines.append(f"- {when(e)} — {about}: code: {md_text(label)}{tick}")
        else:
            towards = ", ".join(name(m) for m in e.towards) or "the group"
            lines.append(
                f"- {when(e)} — technique: {md_text(labels.card(e.card))} by {name(e.by)}"
                f" towards {towards}{tick}"
            )
        lines += comments_on(e)
    if not notes:
        lines.append("- none")

    # Here: comments on the session, and any on an item not listed above (one undone later).
    listed = {e.id for e in notes}
    review = [e for e in log if isinstance(e, ReviewNote) and e.target not in listed]
    lines += ["", "## Review notes", ""]
    for note in review:
        on = f"on the item at {when_of(note.target, active)}" if note.target else "on the session"
        lines.append(f"- {_comment(note, names, on)}")
    if not review:
        lines.append("- none")
    if signed is not None and signed.digest:
        lines += [
            "",
            "---",
            "",
            f"Signed record, SHA-256: `{signed.digest}` (`cofacil verify` checks it against the"
            " session's log)",
        ]
    return "\n".join(lines) + "\n"


def _about(ids: Sequence[str], name: Callable[[str], str]) -> str:
    return ", ".join(name(m) for m in ids) or "group"


def _note_lines(note: MemberNote, text: Callable[[str], str]) -> list[str]:
    """A note's sections in Markdown, each typed line its own line (a backslash: a hard
    break), `text` applied to each line before it is made inert."""
    lines = []
    for heading, part in sections(note):
        kept = [md_text(text(line)) for line in part.splitlines() if line.strip()]
        lines.append(f"**{heading}:**" + ("\\" if kept else " —"))
        lines += [*(line + "\\" for line in kept[:-1]), *kept[-1:], ""]
    return lines


def _comment(note: ReviewNote, names: dict[str, str], on: str = "") -> str:
    """`Comment by Dr. Hale, 2026-03-05T19:40+00:00[, on …]: text`; an addendum says why
    it was added: `Addendum by …, reason: late entry: text`."""
    by = md_text(names.get(note.author, note.author))
    where = f", {on}" if on else ""
    why = f", reason: {md_text(note.reason)}" if note.reason else ""
    return (
        f"{note.kind} by {by}, {note.at.isoformat(timespec='minutes')}{where}{why}: "
        f"{md_text(note.text)}"
    )


def when_text(event_id: str, active: Mapping[str, float], moments: Mapping[str, float]) -> str:
    """The session clock, as the live screen showed it (breaks left out): for a note, the
    moment it is about, and when it was saved if that was later."""
    if event_id not in active:
        return "–"
    moment, saved = moments[event_id], active[event_id]
    if duration(saved) != duration(moment):
        return f"{duration(moment)} (saved {duration(saved)})"
    return duration(moment)


def when_of(event_id: str, active: dict[str, float]) -> str:
    return duration(active[event_id]) if event_id in active else "–"


def render(
    fmt: str,
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    *,
    quiet_seconds: float = NudgeSettings.quiet_seconds,
    until: dynamics.Moment | None = None,
    labels: Labels | None = None,
    notes: Mapping[str, MemberNote] | None = None,
    include_private: bool = False,
    left_out: int = 0,
    course: Mapping[str, Sequence[dynamics.MemberSession]] | None = None,
) -> str:
    """Observations tagged #private are left out (with what points at them) unless
    `include_private`; the md and the json say how many were (`left_out`: how many a caller
    left out before, as redaction does).
    `quiet_seconds` is the therapist's quiet threshold; only the md report says who was
    quiet (the json and csv hold the log, which the threshold does not change). `until`: where
    the log ends if its recording was cut short (its last sign of life), for the figures;
    `labels`: the names of the cards and codes (`cofacil.record`); `course`: each member's
    rows across the group's sessions, for the html's charts of their course."""
    if not include_private:
        from cofacil.redact import without_private

        events, dropped = without_private(events)
        left_out += dropped
    if fmt == "html":
        from cofacil.html_report import to_html  # jinja2: loaded when a page is made

        return to_html(
            group,
            session,
            events,
            quiet_seconds=quiet_seconds,
            until=until,
            labels=labels or labels_of(Library(shipped_deck(), shipped_schemes()), events),
            notes=notes,
            private_left_out=left_out,
            course=course,
        )
    if fmt == "md":
        return to_markdown(
            group,
            session,
            events,
            quiet_seconds=quiet_seconds,
            until=until,
            labels=labels,
            notes=notes,
            private_left_out=left_out,
        )
    kept = list((notes or {}).values())
    if fmt == "json":
        return to_json(group, session, events, kept, private_left_out=left_out)
    return to_csv(group, session, events, kept)


def member_files(
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    notes: Mapping[str, MemberNote],
    *,
    until: dynamics.Moment | None = None,
) -> tuple[dict[str, str], list[str]]:
    """One md note per member who came, for pasting into that member's chart: their
    attendance and the note the therapist saved, every other member by initials (names typed
    into the note are replaced). Returns ({file stem: text}, members who came with no note
    written): an absent member gets no file, nor does a note never written."""
    figures = dynamics.session_figures(session, events, until)
    signed = signed_off(events)
    files: dict[str, str] = {}
    unwritten: list[str] = []
    stem = file_stem(session)
    for member in group.seated():
        if not dynamics.came(figures, member.id):
            continue
        p = figures.participants[member.id]
        note = notes.get(member.id)
        if note is None or not written(note):
            unwritten.append(member.name)
            continue
        lines = [
            f"# {md_text(member.name)} — group session {session.number}, {session.date}",
            "",
            f"- Group: {md_text(group.name)} ({GROUP_KIND_LABELS[group.kind]}), "
            f"{clock_times(figures.timeline.events, figures.timeline.ended)}",
            f"- Facilitated by {md_text(group.lead)} with {md_text(group.cofac)}",
            f"- Attendance: {dynamics.attendance_text(p.status, p.stretches)}",
            "- Other members are named by their initials only.",
            "",
        ]
        lines += _note_lines(note, lambda line, m=member: others_by_initials(line, group, m))
        lines.append(
            f"Signed off by {md_text(signed.name)}, {signed.at.isoformat(timespec='minutes')}"
            if signed
            else "Not signed off yet."
        )
        base = f"{stem}-{re.sub(r'[^A-Za-z0-9]', '', initials(member.name)) or 'member'}"
        name, count = base, 1
        while name in files:  # two members with the same initials
            count += 1
            name = f"{base}-{count}"
        files[name] = "\n".join(lines) + "\n"
    return files, unwritten


def file_stem(session: Session) -> str:
    """One name for a session's files, in the app and on the command line: by date first, so
    a folder of exports lists in the order the group met."""
    return f"{session.date.isoformat()}-session-{session.number:03d}"
