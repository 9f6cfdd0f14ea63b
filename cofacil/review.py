"""The lead therapist's own layer over a session: comments, reviewed marks, sign-off, addenda.

UI-free. All of it is events in the session's log, so the co-facilitator's record is never
edited: a comment sits beside an item, and once the session is signed off only addenda (each
with its author and time) can follow — the store itself refuses anything else.
"""

from __future__ import annotations

from cofacil.models import EventBase, Reviewed, ReviewNote, SessionEnded, SignedOff
from cofacil.store import SessionLog, Store, StoreError


class SessionReview:
    """The review's writable log (taken only when nobody is recording the session live)."""

    def __init__(self, store: Store, session_id: str) -> None:
        self.log: SessionLog = store.open_log(session_id)

    @property
    def events(self) -> list[EventBase]:
        return self.log.events

    @property
    def signed_off(self) -> SignedOff | None:
        return next((e for e in self.events if isinstance(e, SignedOff)), None)

    def comment(self, text: str, target: str | None = None) -> EventBase:
        """A comment on an item (or the session); after sign-off, an addendum."""
        text = text.strip()
        if not text:
            raise StoreError("a comment needs some text")
        addendum = self.signed_off is not None
        return self.log.record(ReviewNote, text=text, target=target, addendum=addendum)

    def mark_reviewed(self, target: str) -> EventBase | None:
        if any(isinstance(e, Reviewed) and e.target == target for e in self.events):
            return None
        return self.log.record(Reviewed, target=target)

    def sign_off(self, name: str) -> EventBase:
        if not any(isinstance(e, SessionEnded) for e in self.events):
            raise StoreError("the session has not ended yet: end it before signing off")
        if self.signed_off is not None:
            raise StoreError("the session is already signed off")
        return self.log.record(SignedOff, name=name.strip() or "lead therapist")

    def close(self) -> None:
        self.log.close()
