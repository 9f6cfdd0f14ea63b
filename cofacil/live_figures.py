"""The session's clock and turns folded one event at a time, for the live screen: recording an
event costs the same at minute 170 as at minute 1. No Textual, no I/O.

`dynamics` stays the oracle: `TimelineFold.timeline(now)` equals `dynamics.timeline(events,
now)` and `TimelineFold.turns(now)` equals `dynamics.turns_on(...)` after every event (a
property test checks it for random logs). The rules are the ones written at the top of
`dynamics`; they are not repeated here.

A correction (an undo, an amendment) changes what earlier events mean, so the fold starts again
from the log (`add` says so by returning False; `fold` does it). Undo is rare in the room.
"""

from __future__ import annotations

from collections.abc import Iterable

from cofacil.dynamics import (
    ROUND_MARKS,
    Moment,
    SpeakingTurn,
    Timeline,
    Totals,
    effective,
    seconds_between,
)
from cofacil.models import EventBase


class TimelineFold:
    """The corrected log on the active clock, and its speaking turns, kept up to date. The
    lists it hands out are its own, growing ones: read them, never change them."""

    def __init__(self) -> None:
        self.events: list[EventBase] = []
        self.t: list[float] = []
        self.when: list[float] = []
        self.breaks: list[tuple[float, float]] = []
        self.gaps: list[tuple[float, float]] = []
        self.gap_ends: list[str] = []
        self.closed: list[SpeakingTurn] = []  # every turn but the one still running
        self._active = 0.0
        self._paused_at: EventBase | None = None
        self._ended = False
        self._speaker: str | None = None  # holding the floor since `_since`
        self._since = 0.0
        self._round_mark: int | None = None
        self.totals = Totals()  # the closed turns, changes of speaker, notes, arrivals

    @classmethod
    def fold(cls, events: Iterable[EventBase]) -> TimelineFold:
        """A fold of a whole log (corrections applied first)."""
        fold = cls()
        for event in effective(list(events)):
            fold._place(event)
        return fold

    def add(self, event: EventBase) -> bool:
        """Fold in the log's next event; False if it is a correction, when the caller folds the
        whole log again (`fold`)."""
        if event.type == "correction":  # type: ignore[attr-defined]
            return False
        self._place(event)
        return True

    # --- the active clock --------------------------------------------------------------------

    def _place(self, event: EventBase) -> None:
        prev = self.events[-1] if self.events else None
        if prev is not None and not self._ended:
            if event.epoch != prev.epoch:
                alive = event.__dict__.get("alive")
                if alive is not None and alive.later_in_the_run_of(prev):
                    if self._paused_at is None:
                        self._active += alive.mono - prev.mono
                    self.gaps.append((self._active, seconds_between(alive, event)))
                else:
                    self.gaps.append((self._active, seconds_between(prev, event)))
                self.gap_ends.append(event.id)
            elif self._paused_at is None:
                self._active += max(0.0, event.mono - prev.mono)
        t = self._active
        self.events.append(event)
        self.t.append(t)
        self.when.append(self._moment(event))
        kind = event.type  # type: ignore[attr-defined]
        if kind == "paused" and self._paused_at is None:
            self._paused_at = event
        elif kind == "resumed" and self._paused_at is not None:
            self.breaks.append((t, seconds_between(self._paused_at, event)))
            self._paused_at = None
        elif kind == "session_ended":
            self._ended = True
        if kind in ROUND_MARKS:
            self._round_mark = len(self.events) - 1
        self.totals.note(event, t)
        self._turn(event, kind, t)

    def _moment(self, event: EventBase) -> float:
        """When a note was begun, on the active clock: found among the events before it in
        its run (a few back, as a note is written in seconds)."""
        moment = event.__dict__.get("begun")
        index = len(self.events) - 1
        if moment is None:
            return self.t[index]
        for j in range(index, -1, -1):
            e = self.events[j]
            if e.epoch == moment.epoch and e.mono <= moment.mono:
                following = self.t[j + 1] if j + 1 <= index else self._active
                return min(self.t[j] + (moment.mono - e.mono), following)
        return self.t[0]

    # --- turns ---------------------------------------------------------------------------------

    def _turn(self, event: EventBase, kind: str, t: float) -> None:
        speaker = self._speaker
        if kind == "turn_started":
            if event.speaker == speaker:  # type: ignore[attr-defined]
                return
            if speaker is not None:
                self._close(SpeakingTurn(speaker, self._since, t))
            self._start(event.speaker, t)  # type: ignore[attr-defined]
        elif kind == "interruption":
            by = event.by  # type: ignore[attr-defined]
            if speaker is not None and speaker != by:
                self._close(SpeakingTurn(speaker, self._since, t, cut_off=True))
                self._start(by, t)
            elif speaker is None:
                self._start(by, t)
        elif speaker is not None and (
            (kind == "turn_ended" and event.speaker == speaker)  # type: ignore[attr-defined]
            or kind in ("session_ended", "paused")
        ):
            self._close(SpeakingTurn(speaker, self._since, t))
            self._speaker = None

    def _start(self, speaker: str, t: float) -> None:
        self.totals.start_turn(speaker, t)
        self._speaker, self._since = speaker, t

    def _close(self, turn: SpeakingTurn) -> None:
        self.closed.append(turn)
        self.totals.close_turn(turn)

    # --- at a moment ---------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def paused(self) -> bool:
        """A break is under way."""
        return self._paused_at is not None

    def speaker(self) -> str | None:
        """Who holds the floor now (None in a silence, a break, or after the end)."""
        return self._speaker if not self._ended else None

    def last_speaker(self) -> str | None:
        """Who holds the floor, or spoke last."""
        if self._speaker is not None:
            return self._speaker
        return self.closed[-1].speaker if self.closed else None

    def end(self, now: Moment | None = None) -> float:
        """The active clock at `now` (at the last event without it)."""
        prev = self.events[-1] if self.events else None
        if now is not None and prev is not None and not self._ended and self._paused_at is None:
            return self._active + seconds_between(prev, now)
        return self._active

    def timeline(self, now: Moment | None = None) -> Timeline:
        return Timeline(
            events=self.events,
            t=self.t,
            end=self.end(now),
            ended=self._ended,
            started_at=self.events[0].at if self.events else None,
            breaks=self.breaks,
            gaps=self.gaps,
            paused=self._paused_at is not None,
            when=self.when,
            gap_ends=self.gap_ends,
            round_mark=self._round_mark,
        )

    def current(self, now: Moment | None = None) -> SpeakingTurn | None:
        """The turn still running (ending at `now`), None in a silence, a break or after the end."""
        if self._speaker is None:
            return None
        return SpeakingTurn(self._speaker, self._since, self.end(now), open=not self._ended)

    def turns(self, now: Moment | None = None) -> list[SpeakingTurn]:
        """Every turn, the one still running last: a new list (O(turns)); the live screen
        wants `closed` and `current` instead."""
        current = self.current(now)
        return [*self.closed, current] if current is not None else list(self.closed)
