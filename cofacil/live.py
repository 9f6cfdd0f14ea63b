"""The live session: what the co-facilitator's keys do, as events through the store.

UI-free. Every method records an event (fsynced) before returning; the screen then redraws
from the log. Nothing here keeps state that the log does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cofacil import dynamics, notes, record
from cofacil.library import Library, load_library
from cofacil.live_figures import TimelineFold
from cofacil.models import (
    SEAT_KEYS,
    AttendanceChanged,
    ClockReading,
    CodedEvent,
    Correction,
    Draft,
    EventBase,
    Flag,
    Group,
    Interruption,
    MemberNote,
    Nudge,
    Observation,
    Paused,
    Reopened,
    Resumed,
    RoundEnded,
    RoundStarted,
    Session,
    SessionEnded,
    SessionStarted,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
)
from cofacil.storage import SessionLog, Store, StoreError

# Undo walks back over what the co-facilitator recorded, not over the session's frame.
_NOT_UNDOABLE = (SessionStarted, SessionEnded, Reopened, Correction, Nudge)


def unfinished_session(store: Store, group_id: str, on: date | None = None) -> Session | None:
    """The group's latest session that has not ended (optionally: held on day `on`)."""
    for session in reversed(store.sessions(group_id)):
        if on not in (None, session.date):
            continue
        if not any(isinstance(e, SessionEnded) for e in store.read_events(session.id)):
            return session
    return None


@dataclass(frozen=True)
class RoundState:
    """A go-round in progress: who has had their turn, who is next, the time budget."""

    kind: str
    budget: int | None
    order: list[str]  # present members in today's seat order
    done: list[str]
    next: str | None


def _speaker_before(log: list[EventBase], index: int) -> str | None:
    """Who held the floor when the event at `index` was recorded (by the log's order: a turn
    started at the same instant, just after it, does not count)."""
    speaker: str | None = None
    for event in log[:index]:
        if isinstance(event, TurnStarted):
            speaker = event.speaker
        elif isinstance(event, Interruption):
            speaker = event.by
        elif isinstance(event, (Paused, SessionEnded)) or (
            isinstance(event, TurnEnded) and event.speaker == speaker
        ):
            speaker = None
    return speaker


class SessionView:
    """A session's log as the screen sees it. Read-only: `refresh` follows another writer."""

    writable = False

    def __init__(self, store: Store, session_id: str, load: bool = True) -> None:
        self.store = store
        self.session: Session = store.session(session_id)
        self.group: Group = store.group(self.session.group_id)
        # Keys follow today's seats; absent members keep theirs, so a late arrival has a key.
        self.keys: dict[str, str] = {
            SEAT_KEYS[i]: member for i, member in enumerate(self.session.seats[: len(SEAT_KEYS)])
        }
        self._version = store.log_version(session_id)
        self._events: list[EventBase] = store.read_events(session_id) if load else []
        # The clock and the turns, folded as events come: a key does not read the whole log.
        self._fold = TimelineFold.fold(self._events)
        self._folded = len(self._events)  # events of the log in the fold
        # Who held the floor when the go-round on show began, by (its event, its place).
        self._round_opening: tuple[tuple[str, int], str | None] | None = None
        self.library: Library = load_library(store)  # the deck and codes in use
        self.filed: record.Filed = self._file()
        self._verdict: tuple[int, record.Verdict] | None = None  # (events checked, verdict)

    def refile(self) -> None:
        """The member notes saved since this view was read are part of what it files (a note
        written in the review, then the sign-off: the record freezes it)."""
        self.filed = self._file()

    def _file(self) -> record.Filed:
        """The session as its views and exports render it; once signed off, as signed: the
        names, the roster, the labels and the notes frozen then (`cofacil.record`)."""
        store, session_id = self.store, self.session.id
        filed = record.filed(
            store.group(self.session.group_id),
            store.session(session_id),
            self._events,
            self.library,
            self.library.nudges.quiet_seconds,
            store.member_notes(session_id),
        )
        self.group, self.session = filed.group, filed.session
        return filed

    def member_note(self, member_id: str) -> MemberNote | None:
        """A member's note as filed (as signed, once the session is signed off)."""
        if self.filed.frozen:
            return self.filed.notes.get(member_id)
        return self.store.member_note(self.session.id, member_id)

    def _redacted(self) -> tuple[Group, Session, list[EventBase], list[MemberNote], int]:
        """The filed parts redacted, with how many #private notes that left out."""
        from cofacil.redact import redact, redact_notes, without_private

        key = self.store.redaction_key()  # pseudonyms keyed with this folder's secret
        notes = redact_notes(self.group, self.session, list(self.filed.notes.values()), key)
        group, session, events = redact(self.group, self.session, self.events, key)
        return group, session, events, notes, without_private(self.events)[1]

    def redaction_suspects(self) -> list[str]:
        """Words a redacted export would still hold that look like names (`suspect_names`):
        in every text it keeps, the notes' sections and addenda's reasons included."""
        from cofacil.member_notes import sections
        from cofacil.redact import suspect_names

        _, session, events, notes, _ = self._redacted()
        texts = [
            t
            for e in events
            for field in ("text", "reason")
            if isinstance(t := e.__dict__.get(field), str)
        ]
        texts += [session.theme, *(text for n in notes for _, text in sections(n))]
        return suspect_names(texts)

    def changed_after_signing(self) -> bool:
        """Signed off, and the log no longer matches the signed record's digest: something
        was changed after the signature (`cofacil verify` says what). Worked out once for
        each length of the log."""
        if self._verdict is None or self._verdict[0] != len(self.events):
            self._verdict = (len(self.events), record.verify(self.events))
        verdict = self._verdict[1]
        return verdict.checked and not verdict.holds

    def rendered(self, fmt: str, *, redacted: bool = False, include_private: bool = False) -> str:
        """The session in an export format (`cofacil.export`), as filed; #private notes left
        out unless `include_private` (and always when `redacted`). Refused for a signed
        session changed since: an export would pass the changed log off as the signed one."""
        from cofacil import export  # loaded when something is exported

        if self.changed_after_signing():
            raise StoreError(
                f"session {self.session.number} was changed after it was signed off: its log "
                "no longer matches the signed record (`cofacil verify` says more); nothing "
                "was exported"
            )

        until = self.left_open_at()  # a recording cut short: up to its last sign of life
        if redacted:
            group, session, events, notes, left_out = self._redacted()
        else:
            group, session, events = self.group, self.session, self.events
            notes, left_out = list(self.filed.notes.values()), 0
        labels = self.filed.labels
        course = self.course(include_private and not redacted) if fmt == "html" else None
        if redacted:
            from cofacil.redact import member_ids, redact_labels

            key = self.store.redaction_key()
            labels = redact_labels(self.group, labels, key)  # a card named after someone
            if course is not None:
                ids = member_ids(self.group, key)
                course = {ids.get(m, m): rows for m, rows in course.items()}
        return export.render(
            fmt,
            group,
            session,
            events,
            quiet_seconds=self.filed.quiet_seconds,
            until=until,
            labels=labels,
            notes={n.member_id: n for n in notes},
            include_private=include_private,
            left_out=left_out,
            course=course,
        )

    def course(self, include_private: bool = False) -> dict[str, list[dynamics.MemberSession]]:
        """Each member's row in every session of the group up to this one, oldest first
        (`dynamics.member_trends`): this session as this view reads it, the others as stored.
        The notes counted leave out what a report leaves out (#private ones, unless
        `include_private`): a count must not tell whom a private note is about."""
        from cofacil.redact import without_private

        here = self.session
        history = [
            (s, self.events if s.id == here.id else self.store.read_events(s.id))
            for s in sorted(self.store.sessions(self.group.id), key=lambda s: s.number)
            if s.number <= here.number
        ]
        if not include_private:
            history = [(s, without_private(events)[0]) for s, events in history]
        # This session read as its report reads it: to its last sign of life if cut short.
        until = self.left_open_at()
        return dynamics.member_trends(history, {here.id: until} if until is not None else None)

    @property
    def events(self) -> list[EventBase]:
        return self._events

    def refresh(self) -> bool:
        """Re-read the log (another process records it); True if something new arrived.
        A stat of the journal first: the log is parsed again only when it has grown."""
        version = self.store.log_version(self.session.id)
        if version == self._version:
            return False
        self._version = version
        events = self.store.read_events(self.session.id)
        changed = len(events) != len(self._events)
        self._events = events
        self._fold, self._folded = TimelineFold.fold(events), len(events)
        self.filed = self._file()  # signed off meanwhile: frozen from here on
        return changed

    def _count(self) -> int:
        return len(self._events)

    @property
    def fold(self) -> TimelineFold:
        """The fold, caught up with whatever the log gained since (a correction: the whole
        log folded again)."""
        if self._folded != self._count():
            events = self.events
            new = events[self._folded :]
            if any(event.type == "correction" for event in new):  # type: ignore[attr-defined]
                # Folded again once, however many corrections came (a resumed log holds all
                # of its own): one per correction would cost the log's length each.
                self._fold = TimelineFold.fold(events)
            else:
                for event in new:
                    self._fold.add(event)
            self._folded = len(events)
        return self._fold

    def now(self) -> dynamics.Instant:
        clock = self.store.clock
        return dynamics.Instant(clock.now(), clock.monotonic(), clock.epoch)

    def reading(self) -> ClockReading:
        """Now, as stored beside an event (when a note was begun, a sign of life)."""
        clock = self.store.clock
        return ClockReading(at=clock.now(), mono=clock.monotonic(), epoch=clock.epoch)

    def figures(self, now: dynamics.Moment | None = None) -> dynamics.SessionFigures:
        now = now or self.now()
        fold = self.fold
        folded = (fold.timeline(now), fold.turns(now), fold.totals)
        return dynamics.session_figures(self.session, self.events, now, folded=folded)

    def recorded_figures(self) -> dynamics.SessionFigures:
        """The figures of the log as recorded (the review, a report): while another cofacil
        records it, up to now (its clocks run); else up to the recording's last sign of life
        if it was cut short and not resumed since, or its last event."""
        if self.being_recorded():
            return self.figures()
        return dynamics.session_figures(self.session, self.events, self.left_open_at())

    def being_recorded(self) -> bool:
        """Another cofacil records this session now."""
        return not self.ended and self.store.being_recorded(self.session.id)

    def left_open_at(self) -> ClockReading | None:
        """Where the log ends if its recording was cut short (see `Store.left_open_at`)."""
        return self.store.left_open_at(self.session.id, self.events)

    @property
    def ended(self) -> bool:
        return self.fold.ended

    @property
    def paused(self) -> bool:
        return self.fold.paused

    def speaker(self) -> str | None:
        return self.fold.speaker()

    def last_speaker(self) -> str | None:
        return self.fold.last_speaker()

    def present(self, figures: dynamics.SessionFigures) -> list[str]:
        """Members in the room now, in today's seat order."""
        here = {m for m, p in figures.participants.items() if p.status in ("present", "late")}
        return [m for m in self.session.seats if m in here]

    def round_state(self, figures: dynamics.SessionFigures) -> RoundState | None:
        log = figures.timeline.events
        # The end of the session ends a go-round still going: its line goes with it.
        started = figures.timeline.round_mark
        if started is None or not isinstance(log[started], RoundStarted):
            return None
        opening = log[started]
        assert isinstance(opening, RoundStarted)
        order = self.present(figures)
        done: list[str] = []
        # A round begun while a member speaks goes round the circle from them: they are the
        # first in it, and the seat after theirs is next (never back to the seats before).
        key = (opening.id, started)  # the log before it is read once per round, not per key
        if self._round_opening is None or self._round_opening[0] != key:
            self._round_opening = (key, _speaker_before(log, started))
        speaking = self._round_opening[1]
        if speaking in order:
            first = order.index(speaking)
            order = order[first:] + order[:first]
            done.append(speaking)
        for event in log[started + 1 :]:
            if (
                isinstance(event, TurnStarted)
                and event.speaker in order
                and event.speaker not in done
            ):
                done.append(event.speaker)
        waiting = [m for m in order if m not in done]
        current = figures.current.speaker if figures.current else None
        upcoming = [m for m in waiting if m != current]
        return RoundState(
            opening.kind, opening.budget_seconds, order, done, upcoming[0] if upcoming else None
        )

    def close(self) -> None:
        pass


class LiveSession(SessionView):
    """The one writable view of a session: each method records an event, fsynced."""

    writable = True

    def __init__(self, store: Store, session_id: str) -> None:
        super().__init__(store, session_id, load=False)
        self.log: SessionLog = store.open_log(session_id)
        self.unsaved: list[EventBase] = []  # refused by the disk, kept in order, retried
        self.disk_problem: str | None = None
        events = self.log.events
        if not any(isinstance(e, SessionStarted) for e in events):
            self._record(SessionStarted)
        elif events[-1].epoch != store.clock.epoch and not self.ended:
            # An earlier run left the session open: mark where the gap it left ends, and where
            # it began: that run's last sign of life, if it left one after its last event.
            alive = self.log.last_alive
            last = events[-1]
            if alive is not None and not alive.later_in_the_run_of(last):
                alive = None
            self._record(Reopened, alive=alive)
        self.beat()

    def beat(self) -> None:
        """A sign of life, at least every two seconds while the session is open: after a
        crash, the session (and a turn in progress) went on until the last one."""
        if not self.ended:
            self.log.beat(self.reading())

    @property
    def drafts(self) -> dict[str, Draft]:
        """The notes being written (or parked), by kind, as kept on disk."""
        return self.log.drafts

    def keep_draft(self, kind: str, draft: Draft | None) -> bool:
        """Keep the note of `kind` being written (None: saved or cleared); False if the disk
        refused it."""
        drafts = {k: d for k, d in self.log.drafts.items() if k != kind}
        if draft is not None:
            drafts[kind] = draft
        if drafts == self.log.drafts:
            return True
        return self.log.keep_drafts(drafts)

    @property
    def events(self) -> list[EventBase]:
        return [*self.log.events, *self.unsaved]

    def _count(self) -> int:
        return len(self.log.events) + len(self.unsaved)

    def refresh(self) -> bool:
        return False  # this process writes the log: it is always current

    def _record(
        self, event_type: type[EventBase], at: dynamics.Instant | None = None, **fields: Any
    ) -> EventBase:
        """Record an event (stamped now, or at `at`); if the disk refuses it (full, failing),
        keep it in memory, in order, shown as unsaved, and retry on every `flush` until the
        disk takes it."""
        seq = self.log.next_seq + len(self.unsaved)
        if at is None:
            event = self.log.stamp(event_type, seq, **fields)
        else:
            event = event_type(seq=seq, at=at.at, mono=at.mono, epoch=at.epoch, **fields)
        self.unsaved.append(event)
        self.flush()
        return event

    def flush(self) -> bool:
        """Write what is waiting, oldest first; True when nothing is left unsaved."""
        while self.unsaved:
            try:
                self.log.append(self.unsaved[0])
            except OSError as error:
                self.disk_problem = error.strerror or str(error)
                return False
            self.unsaved.pop(0)
        self.disk_problem = None
        return True

    def speak(self, participant: str) -> None:
        """`participant` takes the floor; their own key again ends the turn."""
        if self.speaker() == participant:
            self._record(TurnEnded, speaker=participant)
        else:
            self._record(TurnStarted, speaker=participant)

    def silence(self) -> None:
        current = self.speaker()
        if current is not None:
            self._record(TurnEnded, speaker=current)

    def interrupt(self, by: str) -> None:
        """`by` cuts in on whoever is speaking (or simply starts, in a silence)."""
        current = self.speaker()
        if current is None:
            self._record(TurnStarted, speaker=by)
        elif current != by:
            self._record(Interruption, by=by, of=current)

    def observe(
        self,
        text: str,
        about: list[str],
        tags: list[str],
        begun: ClockReading | None = None,
        at: dynamics.Instant | None = None,
    ) -> EventBase:
        """An observation, stamped when saved (or at `at`); `begun`: when `o` was pressed."""
        return self._record(Observation, at=at, text=text, about=about, tags=tags, begun=begun)

    def flag(
        self,
        text: str,
        about: list[str],
        tags: Sequence[str] = (),
        begun: ClockReading | None = None,
        at: dynamics.Instant | None = None,
    ) -> EventBase:
        """A flag, stamped when saved (or at `at`); `begun`: when `f` was pressed."""
        return self._record(Flag, at=at, text=text, about=about, tags=list(tags), begun=begun)

    def save_note(
        self, kind: str, text: str, draft: Draft | None = None, at: dynamics.Instant | None = None
    ) -> EventBase:
        """A note as typed (`kind`: observation or flag): about whom its draft says and whoever
        the text mentions, with its #tags, placed where it was begun. Its draft is done with."""
        about = list(draft.about) if draft else []
        about += [m for m in notes.mentioned(text, self.group.members) if m not in about]
        begun = draft.begun if draft else None
        save = self.flag if kind == "flag" else self.observe
        event = save(text, about, notes.tags(text), begun=begun, at=at)
        self.keep_draft(kind, None)
        return event

    def parked(self) -> dict[str, Draft]:
        """Notes put aside with something written in them (`o` and `f` bring them back)."""
        return {kind: d for kind, d in sorted(self.drafts.items()) if d.text.strip()}

    def code(self, scheme: str, code: str, about: list[str]) -> EventBase:
        return self._record(CodedEvent, scheme=scheme, code=code, about=about)

    def toggle_pause(self) -> None:
        self._record(Resumed if self.paused else Paused)

    def end(self, at: dynamics.Instant | None = None) -> None:
        """End the session now, or at `at` (when the co-facilitator asked to end it: nothing
        can be recorded in between, the end dialog is open). Notes still parked are saved
        first, as they stand, at the same moment (the dialog said so): a flag put aside is
        never left out of the record."""
        for kind, draft in self.parked().items():
            self.save_note(kind, draft.text, draft, at=at)
        self._record(SessionEnded, at=at)

    def toggle_presence(self, member: str) -> str:
        """A late arrival comes in, or someone leaves early; returns which."""
        figures = self.figures()
        here = member in self.present(figures)
        change = "left" if here else "arrived"
        if here and self.speaker() == member:
            self._record(TurnEnded, speaker=member)
        self._record(AttendanceChanged, member=member, change=change)
        return change

    def start_round(self, kind: str, budget: int | None) -> None:
        self._record(RoundStarted, kind=kind, budget_seconds=budget)

    def end_round(self) -> None:
        self._record(RoundEnded)

    def next_in_round(self) -> str | None:
        """The next person in the go-round takes the floor; the round ends after the last."""
        state = self.round_state(self.figures())
        if state is None:
            return None
        if state.next is None:
            self.silence()
            self.end_round()
            return None
        self._record(TurnStarted, speaker=state.next)
        return state.next

    def technique(self, card: str, by: str, towards: list[str]) -> EventBase:
        return self._record(TechniqueUsed, card=card, by=by, towards=towards)

    def nudge(self, action: str, rule: str, card: str, about: list[str], reason: str) -> None:
        self._record(Nudge, action=action, rule=rule, card=card, about=about, reason=reason)

    def undo(self) -> EventBase | None:
        """Undo the latest event still standing; returns it, or None if nothing is left."""
        for event in reversed(dynamics.effective(self.events)):
            if not isinstance(event, _NOT_UNDOABLE):
                self._record(Correction, target=event.id, action="undo")
                return event
        return None

    def close(self) -> None:
        self.flush()
        self.log.close()
