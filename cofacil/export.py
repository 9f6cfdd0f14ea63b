"""Exports of one session: json (complete, round-trips), csv (one row per event), md (summary).

CSV columns, stable and documented (one row per event, in log order, corrections included as
rows of their own so the record is complete):

    seq          position in the session's log, from 0
    event_id     the event's id (corrections name it in `target`)
    type         session_started, paused, resumed, session_ended, turn_started, turn_ended,
                 interruption, observation, coded, technique_used, flag, attendance,
                 correction, review_note
    at           wall-clock time, ISO 8601 with offset
    elapsed_s    seconds since the session started, by the wall clock (breaks included)
    active_s     the session clock as the live screen shows it: active seconds, breaks and
                 crash gaps left out (empty for undone events and corrections)
    author       who recorded it: cofac or lead
    who          the acting participant: speaker, interrupter, technique user, or the member
                 whose attendance changed (a member's display name, or Lead / Co-facilitator)
    about        display names the event concerns, separated by "; " (interrupted speaker,
                 observation subjects, technique recipients)
    text         observation, flag or review-note text; for a correction the amended text
    tags         observation tags, separated by "; "
    code         scheme:code for coded events, the card for technique_used, arrived/left for
                 attendance, undo/amend for corrections
    target       for corrections and review notes: the event_id they refer to
    undone       1 if a later correction undid this event, else 0

Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) are
prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cofacil import dynamics
from cofacil.deck import shipped_deck
from cofacil.display import duration, visible
from cofacil.models import (
    COFAC,
    LEAD,
    AttendanceChanged,
    CodedEvent,
    Correction,
    EventBase,
    Flag,
    Group,
    Interruption,
    Observation,
    ReviewNote,
    Session,
    SessionStarted,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
    event_adapter,
)

FORMATS = ("json", "csv", "md")
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
)


class SessionExport(BaseModel):
    """The json export: everything needed to read the session elsewhere or load it back."""

    model_config = ConfigDict(extra="forbid")

    format: str = "cofacil-session"
    version: int = 1
    group: Group
    session: Session
    events: list[Any] = Field(default_factory=list)

    def parsed_events(self) -> list[EventBase]:
        return [event_adapter.validate_python(e) for e in self.events]  # type: ignore[misc]


def to_json(group: Group, session: Session, events: Sequence[EventBase]) -> str:
    payload = {
        "format": "cofacil-session",
        "version": 1,
        "group": group.model_dump(mode="json"),
        "session": session.model_dump(mode="json"),
        "events": [e.model_dump(mode="json") for e in events],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


def from_json(text: str) -> tuple[Group, Session, list[EventBase]]:
    export = SessionExport.model_validate_json(text)
    return export.group, export.session, export.parsed_events()


def card_name(card_id: str) -> str:
    card = shipped_deck().card(card_id)
    return card.name if card else card_id


def participant_name(group: Group, participant: str) -> str:
    if participant == LEAD:
        return group.lead
    if participant == COFAC:
        return group.cofac
    try:
        return group.member(participant).name
    except KeyError:
        return participant


def _cell(value: str) -> str:
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _csv_row(
    group: Group, event: EventBase, started: EventBase | None, active: float | None
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
        about, text = names(event.about), event.text
    elif isinstance(event, AttendanceChanged):
        who, code = participant_name(group, event.member), event.change
    elif isinstance(event, Correction):
        target, code, text = event.target, event.action, event.text or ""
        about = names(event.about) if event.about is not None else ""
        tags = "; ".join(event.tags) if event.tags is not None else ""
    elif isinstance(event, ReviewNote):
        text, target = event.text, event.target or ""
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
    ]
    return [_cell(v) for v in row]


def to_csv(group: Group, session: Session, events: Sequence[EventBase]) -> str:
    started = next((e for e in events if isinstance(e, SessionStarted)), None)
    tl = dynamics.timeline(events)
    active = {e.id: t for e, t in zip(tl.events, tl.t, strict=True)}  # standing events only
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF rows, any CR or LF inside a cell is quoted
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(_csv_row(group, event, started, active.get(event.id)))
    return out.getvalue()


_MD_SPECIAL = set("\\`*_{}[]<>()#+-.!|~&")


def md_text(text: str) -> str:
    """User text made inert in Markdown: no links, emphasis, HTML or headings; one line."""
    flat = " ".join(visible(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


def to_markdown(group: Group, session: Session, events: Sequence[EventBase]) -> str:
    tl = dynamics.timeline(events)
    log = tl.events
    active = {e.id: t for e, t in zip(tl.events, tl.t, strict=True)}
    name = lambda pid: md_text(participant_name(group, pid))  # noqa: E731

    def when(event: EventBase) -> str:
        """The session clock, as the live screen showed it (breaks left out)."""
        return duration(active[event.id])

    lines = [
        f"# {md_text(group.name)} — session {session.number}",
        "",
        f"- Date: {session.date.isoformat()}",
        f"- Theme: {md_text(session.theme) or '—'}",
        f"- Planned length: {session.planned_minutes} min",
        f"- Lead therapist: {md_text(group.lead)}; co-facilitator: {md_text(group.cofac)}",
        "",
        "## Attendance",
        "",
    ]
    for member in group.seated():
        attendance = session.attendance.get(member.id)
        status = attendance.status if attendance else "not recorded"
        lines.append(f"- {md_text(member.name)}: {status}")
    flags = [e for e in log if isinstance(e, Flag)]
    lines += ["", "## Flags", ""]
    lines += [
        f"- **{when(f)}** {', '.join(name(m) for m in f.about) or 'group'}: {md_text(f.text)}"
        for f in flags
    ] or ["- none"]
    talk = dynamics.talk_seconds(events)
    total = sum(talk.values()) or 1.0
    turns = Counter(t.speaker for t in dynamics.speaking_turns(events))
    lines += ["", "## Talk time", "", "| who | turns | talk | share |", "|---|---:|---:|---:|"]
    for pid, seconds in sorted(talk.items(), key=lambda kv: -kv[1]):
        lines.append(
            f"| {name(pid)} | {turns[pid]} | {duration(seconds)} | {seconds / total:.0%} |"
        )
    lines += ["", "## Observations", ""]
    notes = [e for e in log if isinstance(e, (Observation, CodedEvent, TechniqueUsed))]
    for e in notes:
        if isinstance(e, Observation):
            about = ", ".join(name(m) for m in e.about) or "group"
            tags = " ".join("\\#" + md_text(t) for t in e.tags)
            lines.append(f"- {when(e)} — {about}: {md_text(e.text)} {tags}".rstrip())
        elif isinstance(e, CodedEvent):
            about = ", ".join(name(m) for m in e.about) or "group"
            lines.append(f"- {when(e)} — {about}: code {md_text(e.scheme)}:{md_text(e.code)}")
        else:
            towards = ", ".join(name(m) for m in e.towards) or "the group"
            lines.append(
                f"- {when(e)} — technique: {md_text(card_name(e.card))} by {name(e.by)}"
                f" towards {towards}"
            )
    if not notes:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def render(fmt: str, group: Group, session: Session, events: Sequence[EventBase]) -> str:
    return {"json": to_json, "csv": to_csv, "md": to_markdown}[fmt](group, session, events)
