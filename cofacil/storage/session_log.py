"""The one open, writable log of a session: append-only, each event fsynced when recorded."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from cofacil.models import ClockReading, Draft, EventBase, Session
from cofacil.storage import journal, live_files
from cofacil.storage.errors import (
    DamagedFile,
    SessionLocked,
    SignedOffError,
    StoreError,
    what_to_do,
)
from cofacil.storage.recovery import recover_log, write_checkpoint
from cofacil.storage.safefile import FileLock, LockHeld, quarantine_copy
from cofacil.storage.session_files import journal_label

if TYPE_CHECKING:
    from cofacil.storage.store import Store


def is_review(holder: str) -> bool:
    """A session's lock held by a review, not by a recording."""
    return holder.endswith(f" {REVIEW}")


REVIEW = "review"  # the purpose a review's hold on a session's log is marked with


class SessionLog:
    """Recording a session: refused while another process records it (its lock is held).
    `purpose`: what it is opened for, written in the lock ("" to record it live, `REVIEW`
    for the lead's comments and sign-off), so that whoever finds it held is told which."""

    def __init__(self, store: Store, session: Session, purpose: str = "") -> None:
        store.refuse_if_read_only(f"session {session.number} cannot be recorded")
        self.store = store
        self.session = session
        self._paths = store.session_paths(session.id)
        self._lock = FileLock(self._paths.lock, purpose)
        try:
            self._lock.acquire()
        except LockHeld as held:
            if is_review(held.holder):
                pid = held.holder.removesuffix(REVIEW).strip()
                raise SessionLocked(
                    f"session {session.number} is open in another cofacil's review ({pid}); "
                    "it can still be read here"
                ) from None
            raise SessionLocked(
                f"session {session.number} is being recorded by another cofacil ({held.holder});"
                " it can still be opened for review"
            ) from None
        self._codec, sid = store.codec, session.id
        try:
            self._people = people = store.people_of(session)
            self.events = recover_log(self._paths, self._codec, people, store.notices)
            self._journal = journal.JournalWriter(
                self._paths.journal, self._codec, journal_label(sid)
            )
        except OSError as error:
            self._lock.release()
            raise StoreError(
                f"could not open session {session.number} ({error.strerror or error}); its "
                f"files keep every saved event — {what_to_do(error)}, then try again"
            ) from None
        except BaseException:
            self._lock.release()
            raise
        self._next_seq = self.events[-1].seq + 1 if self.events else 0
        self._ids = {e.id for e in self.events}
        # Known once, kept as events come: each append asks (the whole log is never re-read).
        self._signed_off = any(e.type == "signed_off" for e in self.events)  # type: ignore[attr-defined]
        self.last_alive = self._read_sign_of_life()
        self.drafts = self._read_drafts()
        self._alive = live_files.SignOfLife(self._paths, self._codec)

    def _read_sign_of_life(self) -> ClockReading | None:
        """The earlier recording's last sign of life (None: none left, or unreadable, when the
        gap is counted from its last event as before signs of life were kept)."""
        try:
            return live_files.read_sign_of_life(self._paths, self._codec)
        except (DamagedFile, OSError):
            return None

    def _read_drafts(self) -> dict[str, Draft]:
        """The notes an earlier run left being written. A file that does not read back is
        copied aside (it is someone's writing) and said; the session opens without them."""
        try:
            return live_files.read_drafts(self._paths, self._codec, self._people)
        except (DamagedFile, OSError) as error:
            with contextlib.suppress(OSError):
                kept = quarantine_copy(self._paths.draft)
                self._paths.draft.unlink(missing_ok=True)
                self.store.notices.append(
                    f"{self._paths.draft.name}: the notes left being written do not read back"
                    f" ({error}); a copy is kept as {kept.name}"
                )
            return {}

    def beat(self, reading: ClockReading) -> None:
        """A sign of life: recording goes on at `reading`. Cheap (no fsync), and best effort:
        a disk that refuses it costs only the precision of a crash's gap."""
        with contextlib.suppress(OSError):
            self._alive.write(reading)

    def keep_drafts(self, drafts: dict[str, Draft]) -> bool:
        """Keep the notes being written on disk, by kind; False if the disk refused (they stay
        on the screen meanwhile, and are tried again with the next change)."""
        try:
            live_files.write_drafts(self._paths, self._codec, drafts)
        except OSError:
            return False
        self.drafts = dict(drafts)
        return True

    def stamp(self, event_type: type[EventBase], seq: int, **fields: Any) -> EventBase:
        """An event of `event_type` stamped now by the store's clock, at position `seq`."""
        clock = self.store.clock
        return event_type(
            seq=seq, at=clock.now(), mono=clock.monotonic(), epoch=clock.epoch, **fields
        )

    def record(self, event_type: type[EventBase], **fields: Any) -> EventBase:
        """Make an event of `event_type` now and store it; returns once it is on disk."""
        event = self.stamp(event_type, self._next_seq, **fields)
        self.append(event)
        return event

    @property
    def next_seq(self) -> int:
        return self._next_seq

    @property
    def signed_off(self) -> bool:
        return self._signed_off

    def append(self, event: EventBase) -> None:
        """Store a ready-made event (import, demo); its seq must be the next one."""
        if event.seq != self._next_seq:
            raise ValueError(f"event seq {event.seq} is not the next ({self._next_seq})")
        if event.id in self._ids:  # corrections and review notes point at events by id
            raise ValueError(f"event id {event.id} is already in the log")
        if any(p not in self._people for p in event.people()):
            raise ValueError(f"event {event.id} names someone not on the session's roster")
        if self.signed_off and not getattr(event, "addendum", False):
            raise SignedOffError(
                f"session {self.session.number} is signed off: its record is locked, "
                "only addenda can follow"
            )
        self._journal.append(event)
        self.events.append(event)
        self._ids.add(event.id)
        self._signed_off = self._signed_off or event.type == "signed_off"  # type: ignore[attr-defined]
        self._next_seq += 1

    def close(self) -> None:
        """Checkpoint the TinyDB file and let another process record the session."""
        if not self._lock.held:
            return
        self._alive.close()
        try:
            self._journal.close()
            # Every event of the log is in the journal's bytes the writer marks (each appended
            # before it joined the log, or read from there when the log was opened).
            write_checkpoint(self._paths, self._codec, self.events, journal=self._journal.mark)
        except OSError:
            pass  # a full disk: the journal holds every event; the next open checkpoints
        finally:
            self._lock.release()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
