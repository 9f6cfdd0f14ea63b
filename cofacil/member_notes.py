"""Draft DAP notes per member, and a member's course across sessions. UI-free.

Data: the member's participation and what was observed about them. Assessment: each risk
flagged about them, and the codes seen (therapeutic factors among them). Plan: a follow-up for
each risk; the rest is the therapist's. Other members appear by their initials only, in the
note's text as well as in the observations quoted. Clinical text only: no interface hints.
"""

from __future__ import annotations

import re

from cofacil.display import duration, visible
from cofacil.dynamics import SessionFigures, attendance_text
from cofacil.models import (
    COFAC,
    LEAD,
    Flag,
    Group,
    Member,
    MemberNote,
    Observation,
    ReviewNote,
    TechniqueUsed,
)
from cofacil.record import Labels
from cofacil.redact import replacer
from cofacil.schemes import Scheme
from cofacil.shown import shown

WORD = re.compile(r"[^\W\d_]{2,}")


def initials(name: str) -> str:
    """ "Cy Lee" → "C.L."; "[b]Bo[/b]" → "B."."""
    words = WORD.findall(name) or [name.strip() or "?"]
    return "".join(w[0].upper() + "." for w in words)


def others_by_initials(text: str, group: Group, member: Member) -> str:
    """`text` with every other member by their initials, however their name (or another name
    they go by) was typed: the same matching as redaction (`redact.replacer`)."""
    others = [o for o in group.members if o.id != member.id]
    people = [(name, initials(o.name)) for o in others for name in (o.name, *o.also_called)]
    return replacer(people)(text)


# Each format's sections: (MemberNote field, heading). One place for both, read by the member
# screen, the drafts and every export.
SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "DAP": (("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")),
    "BIRP": (
        ("data", "Behaviour"),
        ("intervention", "Intervention"),
        ("response", "Response"),
        ("plan", "Plan"),
    ),
}


def sections(note: MemberNote) -> list[tuple[str, str]]:
    """(heading, text) of each section of a note, in its format's order."""
    return [(heading, getattr(note, field)) for field, heading in SECTIONS[note.format]]


def written(note: MemberNote | None) -> bool:
    return note is not None and any(text.strip() for _, text in sections(note))


def draft(
    group: Group,
    member: Member,
    figures: SessionFigures,
    schemes: dict[str, Scheme],
    labels: Labels | None = None,
) -> dict[str, str]:
    """A draft note for one member of one session, by field, in the group's format (DAP:
    data, assessment, plan; BIRP: behaviour, intervention, response, plan). `labels` name
    the techniques used towards them (BIRP's interventions)."""
    fmt = group.note_format
    p = figures.participants.get(member.id)
    if p is None or p.status == "absent":
        empty = dict.fromkeys((field for field, _ in SECTIONS[fmt]), "")
        return {**empty, "data": "Absent from this session."}
    figures_shown = shown(figures)  # as the review and the report show them
    data = [f"Attendance: {attendance_text(p.status, p.stretches)}."]
    if p.turns:
        data.append(
            f"Participation: {p.turns} turn{'' if p.turns == 1 else 's'}, "
            f"{duration(figures_shown.talk_of[member.id])} "
            f"({figures_shown.member_share_of.get(member.id, 0)}% of members' talk), "
            f"longest {duration(figures_shown.longest_turn_of[member.id])}"
            + (f", first spoke at {duration(p.first_spoke)}" if p.first_spoke is not None else "")
            + "."
        )
    else:
        data.append("Participation: did not speak.")
    if p.interrupted_others or p.was_interrupted:
        data.append(f"Cut in on others {p.interrupted_others}×; was cut off {p.was_interrupted}×.")
    quoted = [
        (t, e)
        for e, t in zip(figures.timeline.events, figures.timeline.when, strict=True)
        # A safety flag about them first of all belongs in their note (at its moment).
        if isinstance(e, (Observation, Flag))
        and member.id in e.about
        and "private" not in getattr(e, "tags", ())
    ]
    comments: dict[str, list[str]] = {}  # the lead therapist's, under the item they are on
    for note in figures.timeline.events:
        if isinstance(note, ReviewNote) and note.target:
            comments.setdefault(note.target, []).append(f"{note.kind}: {note.text}")
    if quoted:
        data.append("Observed:")
        # One line per observation, as typed, but never an escape sequence or a line break.
        for t, e in quoted:
            flag = "Flag: " if isinstance(e, Flag) else ""
            data.append(
                f"- {duration(t)} {flag}{visible(others_by_initials(e.text, group, member))}"
            )
            data += [
                f"  {visible(others_by_initials(text, group, member))}"
                for text in comments.get(e.id, [])
            ]
    # Each safety flag is a risk in the assessment and a follow-up in the plan.
    flags = [(t, e) for t, e in quoted if isinstance(e, Flag)]
    assessment = [
        f"- Risk noted at {duration(t)}: {visible(others_by_initials(e.text, group, member))}"
        for t, e in flags
    ]
    for scheme_code, count in p.codes.most_common():
        scheme_id, _, code = scheme_code.partition(":")
        scheme = schemes.get(scheme_id)
        label = scheme.label(code) if scheme else code
        kind = ", a therapeutic factor" if scheme_id == "yalom" else ""
        times = "once" if count == 1 else f"{count} times"
        assessment.append(f"- {visible(label)}{kind}: observed {times}.")
    plan = [
        f"- Follow up on the risk noted at {duration(t)} before the next session; record the "
        "safety assessment and who was informed."
        for t, _ in flags
    ]
    if fmt == "DAP":
        return {
            "data": "\n".join(data),
            "assessment": "\n".join(assessment),
            "plan": "\n".join(plan),
        }
    # BIRP: the facilitators' interventions towards them (the techniques used, at their
    # moment); their response is the therapist's to write, beside the risks and codes seen.
    by = {LEAD: "lead therapist", COFAC: "co-facilitator"}
    interventions = [
        f"- {duration(t)} {visible(labels.card(e.card) if labels else e.card)}"
        f" ({by.get(e.by, 'a member')})"
        for e, t in zip(figures.timeline.events, figures.timeline.when, strict=True)
        if isinstance(e, TechniqueUsed) and member.id in e.towards
    ]
    return {
        "data": "\n".join(data),
        "intervention": "\n".join(interventions),
        "response": "\n".join(assessment),
        "plan": "\n".join(plan),
    }
