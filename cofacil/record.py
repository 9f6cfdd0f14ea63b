"""The record a clinic files: what every view and export of a session is rendered from. UI-free.

Until the session is signed off, that is the group, the session's set-up, the member notes and
the deck and codes as they are now. At sign-off they are frozen into the `SignedOff` event
itself (`SignedRecord`): the names and roster, the attendance, the labels of the cards and codes
used, the quiet threshold, the member notes, with the lead therapist's name as they signed. From
then on the session reads the same whatever changes in the group or the library: renaming a
member, adding one, editing the deck.

The digest is a SHA-256 of the signed record: the frozen parts and every event before the
sign-off, as canonical JSON (sorted keys, ASCII). `verify` works it out again from a log, so
an edit of the journal or of the record after sign-off is found. It is a checksum, not a
signature: whoever can rewrite both the log and its digest is not stopped by it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cofacil.models import (
    CodedEvent,
    EventBase,
    Group,
    MemberNote,
    ReviewNote,
    Session,
    SignedOff,
    SignedRecord,
    TechniqueUsed,
)


@dataclass(frozen=True)
class Labels:
    """The names of the cards and codes a session used, as the therapist's library had them
    (or as they were frozen at sign-off). An id the library does not know reads as itself."""

    cards: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, str] = field(default_factory=dict)  # "scheme:code" → label

    def card(self, card_id: str) -> str:
        return self.cards.get(card_id, card_id)

    def code(self, scheme_code: str) -> str:
        return self.codes.get(scheme_code, scheme_code)

    def words(self, note: EventBase) -> str:
        """What a note of the room says: a code's label, a card's name, else its text."""
        if isinstance(note, CodedEvent):
            return self.code(f"{note.scheme}:{note.code}")
        if isinstance(note, TechniqueUsed):
            return self.card(note.card)
        return str(note.__dict__.get("text", ""))


class Namer(Protocol):
    """What a library offers for labels: the deck's card names and each scheme's code labels."""

    def card_name(self, card_id: str) -> str: ...

    def code_label(self, scheme: str, code: str) -> str: ...


def labels_of(namer: Namer, events: Sequence[EventBase]) -> Labels:
    """The labels of every card and code `events` use, from `namer` (the library in use)."""
    cards: dict[str, str] = {}
    codes: dict[str, str] = {}
    for event in events:
        if isinstance(event, TechniqueUsed) and event.card not in cards:
            cards[event.card] = namer.card_name(event.card)
        elif isinstance(event, CodedEvent):
            key = f"{event.scheme}:{event.code}"
            if key not in codes:
                codes[key] = namer.code_label(event.scheme, event.code)
    return Labels(cards, codes)


def signed_off(events: Sequence[EventBase]) -> SignedOff | None:
    """The sign-off, if the session has one (there is never more than one)."""
    return next((e for e in events if isinstance(e, SignedOff)), None)


def freeze(now: Filed) -> SignedRecord:
    """The record as it is filed now (`filed`), to be signed."""
    return SignedRecord(
        group=now.group,
        session=now.session,
        cards=dict(now.labels.cards),
        codes=dict(now.labels.codes),
        quiet_seconds=now.quiet_seconds,
        notes=sorted(now.notes.values(), key=lambda n: n.member_id),
    )


def digest(record: SignedRecord, events: Sequence[EventBase]) -> str:
    """SHA-256 (hex) of the signed record and the events before the sign-off."""
    payload = {
        "record": record.model_dump(mode="json"),
        "events": [e.model_dump(mode="json") for e in events],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """What `verify` found for one session."""

    signed: SignedOff | None
    expected: str | None  # the digest kept in the sign-off
    found: str | None  # the digest of the log as it is now
    # Events after the sign-off that are not addenda (the store never writes one: an undo of
    # a flag slipped in later would change the record without touching the digest).
    not_addenda: int = 0

    @property
    def checked(self) -> bool:
        return self.expected is not None and self.found is not None

    @property
    def holds(self) -> bool:
        return self.checked and self.expected == self.found and not self.not_addenda

    @property
    def redacted(self) -> bool:
        """A redacted copy: its digest is kept, the record it was made from is not."""
        return self.signed is not None and bool(self.signed.digest) and self.signed.record is None


def verify(events: Sequence[EventBase]) -> Verdict:
    """The signed record of a log worked out again and compared with its digest."""
    signed = signed_off(events)
    if signed is None or signed.record is None or not signed.digest:
        return Verdict(signed, None, None)  # not signed, or signed before digests were kept
    before = [e for e in events if e.seq < signed.seq]
    after = [e for e in events if e.seq > signed.seq]
    stray = sum(not (isinstance(e, ReviewNote) and e.addendum) for e in after)
    return Verdict(signed, signed.digest, digest(signed.record, before), stray)


@dataclass(frozen=True)
class Filed:
    """A session as its views and exports render it: frozen once signed off."""

    group: Group
    session: Session
    labels: Labels
    quiet_seconds: float
    notes: Mapping[str, MemberNote]  # by member id
    signed: SignedOff | None

    @property
    def frozen(self) -> bool:
        return self.signed is not None and self.signed.record is not None


def filed(
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    namer: Namer,
    quiet_seconds: float,
    notes: Sequence[MemberNote],
) -> Filed:
    """The session's parts as of now, or as signed."""
    signed = signed_off(events)
    if signed is not None and signed.record is not None:
        kept = signed.record
        return Filed(
            kept.group,
            kept.session,
            Labels(kept.cards, kept.codes),
            kept.quiet_seconds,
            {n.member_id: n for n in kept.notes},
            signed,
        )
    return Filed(
        group,
        session,
        labels_of(namer, events),
        quiet_seconds,
        {n.member_id: n for n in notes},
        signed,
    )
