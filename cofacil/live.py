"""The live session: what the co-facilitator's keys do, as events through the store.

UI-free. Every method records an event (fsynced) before returning; the screen then redraws
from the log. Nothing here keeps state that the log does not hold.
"""

from __future__ import annotations

from datetime import date

from cofacil import dynamics
from cofacil.models import (
    SEAT_KEYS,
    Correction,
    EventBase,
    Group,
    Paused,
    Reopened,
    Resumed,
    Session,
    SessionEnded,
    SessionStarted,
    TurnEnded,
    TurnStarted,
)
from cofacil.store import SessionLog, Store

# Undo walks back over what the co-facilitator recorded, not over the session's frame.
_NOT_UNDOABLE = (SessionStarted, SessionEnded, Correction)


def unfinished_session(store: Store, group_id: str, on: date | None = None) -> Session | None:
    """The group's latest session that has not ended (optionally: held on day `on`)."""
    for session in reversed(store.sessions(group_id)):
        if on not in (None, session.date):
            continue
        if not any(isinstance(e, SessionEnded) for e in store.read_events(session.id)):
            return session
    return None


class LiveSession:
    def __init__(self, store: Store, session_id: str) -> None:
        self.store = store
        self.session: Session = store.session(session_id)
        self.group: Group = store.group(self.session.group_id)
        # Keys follow today's seats; absent members keep theirs, so a late arrival has a key.
        self.keys: dict[str, str] = {
            SEAT_KEYS[i]: member for i, member in enumerate(self.session.seats[: len(SEAT_KEYS)])
        }
        self.log: SessionLog = store.open_log(session_id)
        events = self.log.events
        if not any(isinstance(e, SessionStarted) for e in events):
            self.log.record(SessionStarted)
        elif events[-1].epoch != store.clock.epoch and not self.ended:
            # An earlier run left the session open: mark where the gap it left ends.
            self.log.record(Reopened)

    @property
    def events(self) -> list[EventBase]:
        return self.log.events

    def now(self) -> dynamics.Instant:
        clock = self.store.clock
        return dynamics.Instant(clock.now(), clock.monotonic(), clock.epoch)

    @property
    def ended(self) -> bool:
        return any(isinstance(e, SessionEnded) for e in self.events)

    @property
    def paused(self) -> bool:
        state = [e for e in dynamics.effective(self.events) if isinstance(e, (Paused, Resumed))]
        return bool(state) and isinstance(state[-1], Paused)

    def speaker(self) -> str | None:
        turns = dynamics.speaking_turns(self.events, self.now())
        return turns[-1].speaker if turns and turns[-1].open else None

    def speak(self, participant: str) -> None:
        """`participant` takes the floor; their own key again ends the turn."""
        if self.speaker() == participant:
            self.log.record(TurnEnded, speaker=participant)
        else:
            self.log.record(TurnStarted, speaker=participant)

    def silence(self) -> None:
        current = self.speaker()
        if current is not None:
            self.log.record(TurnEnded, speaker=current)

    def undo(self) -> EventBase | None:
        """Undo the latest event still standing; returns it, or None if nothing is left."""
        for event in reversed(dynamics.effective(self.events)):
            if not isinstance(event, _NOT_UNDOABLE):
                self.log.record(Correction, target=event.id, action="undo")
                return event
        return None

    def close(self) -> None:
        self.log.close()
