"""Redaction for supervision or research: no names, no private notes.

Every member gets a stable pseudonym (the same in every export of the group: it is derived
from the member's id), the facilitators become their roles, the group its kind and a code.
Names and @mentions inside free text are replaced too. Observations tagged #private are
dropped, and so are the roster's facilitator notes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from cofacil.models import (
    GROUP_KIND_LABELS,
    EventBase,
    Flag,
    Group,
    Observation,
    ReviewNote,
    Session,
    SignedOff,
)

PRIVATE_TAG = "private"
WORD = re.compile(r"[^\W\d_]{2,}")


# Fields of the event log that name members by id; ids become pseudonymous ids too (a demo's
# ids hold names, and a real one would link the export back to the clinic's database).
ID_FIELDS = ("speaker", "by", "of", "about", "towards", "member")


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def pseudonym(group_id: str, member_id: str, length: int = 4) -> str:
    return f"Member {_digest(group_id, member_id)[:length].upper()}"


def pseudonyms(group: Group) -> dict[str, str]:
    """Every member's pseudonym, each different: short where that suffices, longer for the
    (rare) members whose short ones coincide, so two people are never merged into one."""
    aliases: dict[str, str] = {}
    for member in group.members:
        length = 4
        while (alias := pseudonym(group.id, member.id, length)) in aliases.values():
            length += 2
        aliases[member.id] = alias
    return aliases


def _pseudonymous_id(group_id: str, member_id: str) -> str:
    return "m-" + _digest(group_id, member_id, "id")[:16]


def _replacer(names: dict[str, str]) -> re.Pattern[str] | None:
    words = sorted((n for n in names if n.strip()), key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w])@?({alternatives})(?![\w])", re.IGNORECASE)


def redact(
    group: Group, session: Session, events: Sequence[EventBase]
) -> tuple[Group, Session, list[EventBase]]:
    aliases = pseudonyms(group)
    ids = {m.id: _pseudonymous_id(group.id, m.id) for m in group.members}
    by_name: dict[str, str] = {}
    people = [(m.name, aliases[m.id]) for m in group.members]
    people += [(group.lead, "Lead therapist"), (group.cofac, "Co-facilitator")]
    # Free text names people as they are spoken: "Cy" for "Cy Lee", "Bo" for "[b]Bo[/b]".
    # Each word of a name is replaced too; a word two people share becomes "a member".
    for name, alias in people:
        for word in WORD.findall(name):
            key = word.casefold()
            by_name[key] = alias if by_name.get(key, alias) == alias else "a member"
    for name, alias in people:
        by_name[name.casefold()] = alias
        by_name[name.replace(" ", "_").casefold()] = alias  # the @mention form
    pattern = _replacer(by_name)

    def clean(text: str) -> str:
        if pattern is None:
            return text
        return pattern.sub(lambda m: by_name[m.group(1).casefold()], text)

    def same_people(event: EventBase) -> EventBase:
        update: dict[str, object] = {}
        for field in ID_FIELDS:
            value = getattr(event, field, None)
            if isinstance(value, str):
                update[field] = ids.get(value, value)
            elif isinstance(value, list):
                update[field] = [ids.get(v, v) for v in value]
        return event.model_copy(update=update) if update else event

    code = hashlib.sha256(group.id.encode()).hexdigest()[:4].upper()
    group_id = "g-" + _digest(group.id, "id")[:16]
    members = [
        m.model_copy(update={"id": ids[m.id], "name": aliases[m.id], "note": ""})
        for m in group.members
    ]
    safe_group = group.model_copy(
        update={
            "id": group_id,
            "name": f"{GROUP_KIND_LABELS[group.kind]} {code}",
            "lead": "Lead therapist",
            "cofac": "Co-facilitator",
            "members": members,
        }
    )
    safe_session = session.model_copy(
        update={
            "id": "s-" + _digest(session.id, "id")[:16],
            "group_id": group_id,
            "theme": clean(session.theme),
            "attendance": {ids.get(k, k): v for k, v in session.attendance.items()},
            "seats": [ids.get(m, m) for m in session.seats],
        }
    )
    safe_events: list[EventBase] = []
    for event in events:
        if isinstance(event, Observation) and PRIVATE_TAG in event.tags:
            continue
        if isinstance(event, (Observation, Flag, ReviewNote)):
            event = event.model_copy(update={"text": clean(event.text)})
        elif isinstance(event, SignedOff):
            event = event.model_copy(update={"name": clean(event.name)})
        safe_events.append(same_people(event))
    return safe_group, safe_session, safe_events
