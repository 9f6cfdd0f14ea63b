"""Redaction for supervision or research: no names, no private notes, no database ids.

Every member gets a stable pseudonym (the same in every export of the group: it is derived
from the member's id), the facilitators become their roles, the group its kind and a code.
Names and @mentions inside free text are replaced too. Observations tagged #private are
dropped, with every comment, mark or correction that points at one, and so are the roster's
facilitator notes. Ids (members, group, session, events, runs of the app) become stable
pseudonymous ids, so an export never links back to the clinic's database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from cofacil.models import (
    GROUP_KIND_LABELS,
    Correction,
    EventBase,
    Flag,
    Group,
    MemberNote,
    Nudge,
    Observation,
    Reviewed,
    ReviewNote,
    Session,
    SignedOff,
)

PRIVATE_TAG = "private"
WORD = re.compile(r"[^\W\d_]{2,}")
# Words of a name that name nobody: "Dr" of "Dr. Rivera" must not turn "Dr. Lee" into
# "Lead therapist. Lee".
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "sr", "jr"})

# Fields of the event log that name members by id.
MEMBER_FIELDS = ("speaker", "by", "of", "about", "towards", "member")
# Fields that hold free text, where names are replaced.
TEXT_FIELDS = {Observation: "text", Flag: "text", ReviewNote: "text", Nudge: "reason"}
# Events that point at another event: they go with a dropped one.
POINTERS = (ReviewNote, Reviewed, Correction)


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def pseudonym(group_id: str, member_id: str, length: int = 4) -> str:
    return f"Member {_digest(group_id, member_id)[:length].upper()}"


def pseudonyms(group: Group) -> dict[str, str]:
    """Every member's pseudonym, each different: short where that suffices, longer for the
    (rare) members whose short ones coincide, so two people are never merged into one. Ties
    go by id, never by seat, so a new seating never swaps two people's pseudonyms."""
    aliases: dict[str, str] = {}
    for member_id in sorted(m.id for m in group.members):
        length = 4
        while (alias := pseudonym(group.id, member_id, length)) in aliases.values():
            length += 2
        aliases[member_id] = alias
    return aliases


def _replacer(names: dict[str, str]) -> re.Pattern[str] | None:
    words = sorted((n for n in names if n.strip()), key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w])@?({alternatives})(?![\w])", re.IGNORECASE)


def _private(events: Sequence[EventBase]) -> set[str]:
    """Observations tagged #private, as typed or as amended later."""
    private = {e.id for e in events if isinstance(e, Observation) and PRIVATE_TAG in e.tags}
    private |= {
        e.target for e in events if isinstance(e, Correction) and PRIVATE_TAG in (e.tags or [])
    }
    return private


def _cleaner(group: Group) -> Callable[[str], str]:
    """Free text with every name of the group's people replaced by their pseudonym."""
    aliases = pseudonyms(group)
    by_name: dict[str, str] = {}
    people = [(m.name, aliases[m.id]) for m in group.members]
    people += [(group.lead, "Lead therapist"), (group.cofac, "Co-facilitator")]
    # Free text names people as they are spoken: "Cy" for "Cy Lee", "Bo" for "[b]Bo[/b]".
    # Each word of a name is replaced too; a word two people share becomes "a member".
    for name, alias in people:
        for word in WORD.findall(name):
            key = word.casefold()
            if key in TITLES:
                continue
            by_name[key] = alias if by_name.get(key, alias) == alias else "a member"
    for name, alias in people:
        by_name[name.casefold()] = alias
        by_name[name.replace(" ", "_").casefold()] = alias  # the @mention form
    pattern = _replacer(by_name)

    def clean(text: str) -> str:
        if pattern is None:
            return text
        return pattern.sub(lambda m: by_name[m.group(1).casefold()], text)

    return clean


def _pid(group: Group, kind: str, original: str) -> str:
    """A stable pseudonymous id: the same original gives the same one in every export."""
    return f"{kind}-" + _digest(group.id, kind, original)[:16]


def redact_notes(group: Group, session: Session, notes: Sequence[MemberNote]) -> list[MemberNote]:
    """Member notes for a redacted export: names replaced in every part, ids pseudonymous."""
    clean = _cleaner(group)
    safe = []
    for note in notes:
        sid, mid = _pid(group, "s", session.id), _pid(group, "m", note.member_id)
        parts = {k: clean(getattr(note, k)) for k in ("data", "assessment", "plan")}
        safe.append(
            note.model_copy(
                update={"id": f"{sid}:{mid}", "session_id": sid, "member_id": mid, **parts}
            )
        )
    return safe


def redact(
    group: Group, session: Session, events: Sequence[EventBase]
) -> tuple[Group, Session, list[EventBase]]:
    aliases = pseudonyms(group)
    clean = _cleaner(group)

    def pid(kind: str, original: str) -> str:
        return _pid(group, kind, original)

    members = {m.id: pid("m", m.id) for m in group.members}

    def person(value: str) -> str:
        return members.get(value, value)  # "lead", "cofac" and the group stay as they are

    safe_group = group.model_copy(
        update={
            "id": pid("g", group.id),
            "name": f"{GROUP_KIND_LABELS[group.kind]} {_digest(group.id)[:4].upper()}",
            "lead": "Lead therapist",
            "cofac": "Co-facilitator",
            "members": [
                m.model_copy(update={"id": members[m.id], "name": aliases[m.id], "note": ""})
                for m in group.members
            ],
        }
    )
    safe_session = session.model_copy(
        update={
            "id": pid("s", session.id),
            "group_id": safe_group.id,
            "theme": clean(session.theme),
            "attendance": {person(k): v for k, v in session.attendance.items()},
            "seats": [person(m) for m in session.seats],
        }
    )

    dropped = _private(events)
    safe_events: list[EventBase] = []
    for event in events:
        target = getattr(event, "target", None) if isinstance(event, POINTERS) else None
        if event.id in dropped or target in dropped:
            continue
        update: dict[str, object] = {"id": pid("e", event.id), "epoch": pid("r", event.epoch)}
        if target is not None:
            update["target"] = pid("e", target)
        for field in MEMBER_FIELDS:
            value = getattr(event, field, None)
            if isinstance(value, str):
                update[field] = person(value)
            elif isinstance(value, list):
                update[field] = [person(v) for v in value]
        if (field := TEXT_FIELDS.get(type(event))) is not None:
            update[field] = clean(getattr(event, field))
        if isinstance(event, Correction) and event.text is not None:
            update["text"] = clean(event.text)
        if isinstance(event, SignedOff):
            # The frozen record names everyone: left out. Its digest stays, to say which
            # signed record this was made from (a redacted copy cannot be checked against it).
            update["name"] = clean(event.name)
            update["record"] = None
        safe_events.append(event.model_copy(update=update))
    return safe_group, safe_session, safe_events
