"""The lead therapist's own layer over a session: comments, reviewed marks, sign-off, addenda.

UI-free. All of it is events in the session's log, so the co-facilitator's record is never
edited: a comment sits beside an item, and once the session is signed off only addenda (each
with its author and time) can follow — the store itself refuses anything else.
"""

from __future__ import annotations

import re

from cofacil import dynamics, record
from cofacil.live import SessionView
from cofacil.member_notes import written
from cofacil.models import (
    ITEM_TYPES,
    EventBase,
    Reviewed,
    ReviewNote,
    Session,
    SessionEnded,
    SignedOff,
)
from cofacil.redact import fold
from cofacil.storage import SessionLog, Store, StoreError, not_saved
from cofacil.storage.session_log import REVIEW


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def left_undone(store: Store, session: Session, events: list[EventBase]) -> list[str]:
    """What signing off now would lock unfinished: items not marked reviewed, and members who
    were in the room without a note written for them."""
    reviewed = {e.target for e in events if isinstance(e, Reviewed)}
    items = [e for e in dynamics.effective(events) if isinstance(e, ITEM_TYPES)]
    open_items = [e for e in items if e.id not in reviewed]
    figures = dynamics.session_figures(session, events)
    attended = [member for member in session.seats if dynamics.came(figures, member)]
    unwritten = [m for m in attended if not written(store.member_note(session.id, m))]
    undone = []
    if open_items:
        undone.append(f"{len(open_items)} of {plural(len(items), 'item')} not marked reviewed")
    if unwritten:
        undone.append(f"no member note yet for {len(unwritten)} of the {len(attended)} who came")
    return undone


def _folded(text: str) -> str:
    return text.lower() if text.isascii() else fold(text)[0]  # the same, for plain text


def search_hit(query: str, haystack: str) -> bool:
    """The review's search: whole words, any case, accents or not, in order. `Lea` finds
    "Lea" and "@Lea", never "unclear"; `zurich` finds "Zürich"; `@Lea` and `@Sam_P` find
    the member however written; `#tag` the tag."""
    query, haystack = _folded(query), _folded(haystack)  # as redaction matches names
    words = query.strip().lstrip("@#").replace("_", " ").split()
    if not words:
        return True
    # A word's edge is a word's edge only where the query has a letter or digit there:
    # `[bold]` finds "[bold]x", as typed.
    start = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    pattern = start + r"\s+".join(re.escape(w) for w in words) + end
    return re.search(pattern, haystack.replace("_", " ")) is not None


class SessionReview:
    """The review's writable log (taken only when nobody is recording the session live)."""

    def __init__(self, store: Store, session_id: str) -> None:
        self.log: SessionLog = store.open_log(session_id, REVIEW)

    def _record(self, event_type: type[EventBase], **fields: object) -> EventBase:
        """Recorded, or a `StoreError` saying why not (a full disk: nothing was written, and
        the screen keeps what was typed)."""
        try:
            return self.log.record(event_type, **fields)
        except OSError as error:
            raise not_saved(error) from None

    @property
    def events(self) -> list[EventBase]:
        return self.log.events

    @property
    def signed_off(self) -> SignedOff | None:
        return record.signed_off(self.events)

    def comment(self, text: str, target: str | None = None, reason: str = "") -> EventBase:
        """A comment on an item (or the session); after sign-off, an addendum, which says
        why it was added (`reason`: a late entry, a correction, a clarification …)."""
        text, reason = text.strip(), " ".join(reason.split())
        if not text:
            raise StoreError("a comment needs some text")
        addendum = self.signed_off is not None
        if addendum and not reason:
            raise StoreError("an addendum needs a reason (a late entry, a correction …)")
        if not addendum:
            reason = ""  # a comment before sign-off is part of the record being made
        return self._record(ReviewNote, text=text, target=target, addendum=addendum, reason=reason)

    def mark_reviewed(self, target: str) -> EventBase | None:
        if any(isinstance(e, Reviewed) and e.target == target for e in self.events):
            return None
        return self._record(Reviewed, target=target)

    def sign_off(self, name: str, view: SessionView) -> EventBase:
        """Signed as `name` (as typed): the record is frozen as `view` files it now, with its
        digest (`cofacil.record`)."""
        events = self.events
        if not any(isinstance(e, SessionEnded) for e in events):
            raise StoreError("the session has not ended yet: end it before signing off")
        if self.signed_off is not None:
            raise StoreError("the session is already signed off")
        view.refresh()  # the view reads what this log holds, to the last event
        view.refile()  # and the member notes as saved now
        if [e.id for e in view.events] != [e.id for e in events]:
            raise StoreError("the session changed while signing: look again, then sign")
        kept = record.freeze(view.filed)
        return self._record(
            SignedOff,
            name=name.strip() or "lead therapist",
            record=kept,
            digest=record.digest(kept, events),
        )

    def close(self) -> None:
        self.log.close()
