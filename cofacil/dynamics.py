"""Group dynamics: pure functions over a session's event log. No Textual, no I/O.

The log is append-only, so everything here first resolves corrections (`effective`) and then
derives turns and figures from what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cofacil.models import (
    Correction,
    EventBase,
    Interruption,
    Paused,
    SessionEnded,
    TurnEnded,
    TurnStarted,
)


class Moment(Protocol):
    """Anything stamped like an event: wall time, monotonic reading and its epoch."""

    at: datetime
    mono: float
    epoch: str


@dataclass(frozen=True)
class Instant:
    """A moment that is not an event: "now" on a live screen."""

    at: datetime
    mono: float
    epoch: str


def seconds_between(a: Moment, b: Moment) -> float:
    """Monotonic difference within one run of the app; wall clock across runs (a crash gap)."""
    if a.epoch == b.epoch:
        return max(0.0, b.mono - a.mono)
    return max(0.0, (b.at - a.at).total_seconds())


def effective(events: Sequence[EventBase]) -> list[EventBase]:
    """The log as corrected: undone events dropped, amendments applied, corrections removed.

    Corrections only target earlier events, so walking backwards settles first whether each
    correction itself stands (an undo of an undo restores the original).
    """
    cancelled: set[str] = set()
    for event in reversed(events):
        if isinstance(event, Correction) and event.id not in cancelled and event.action == "undo":
            cancelled.add(event.target)
    amendments: dict[str, dict[str, object]] = {}
    for event in events:
        if isinstance(event, Correction) and event.id not in cancelled and event.action == "amend":
            changes = {k: getattr(event, k) for k in ("text", "about", "tags")}
            amendments.setdefault(event.target, {}).update(
                {k: v for k, v in changes.items() if v is not None}
            )
    result: list[EventBase] = []
    for event in events:
        if isinstance(event, Correction) or event.id in cancelled:
            continue
        changes = amendments.get(event.id)
        if changes:
            fields = type(event).model_fields
            event = event.model_copy(update={k: v for k, v in changes.items() if k in fields})
        result.append(event)
    return result


@dataclass(frozen=True)
class SpeakingTurn:
    speaker: str
    start: EventBase
    seconds: float
    open: bool  # still running at the end of the log (or at `now`)
    interrupted: bool = False


def speaking_turns(events: Sequence[EventBase], now: Moment | None = None) -> list[SpeakingTurn]:
    """Turns from the corrected log. A turn ends at the next turn, its own end, a pause or the
    session's end; one still open is closed at `now` (a live screen) or the last event."""
    turns: list[SpeakingTurn] = []
    current: TurnStarted | Interruption | None = None
    speaker = ""

    def close(at: Moment, still_open: bool = False, interrupted: bool = False) -> None:
        nonlocal current
        if current is not None:
            turns.append(
                SpeakingTurn(
                    speaker, current, seconds_between(current, at), still_open, interrupted
                )
            )
        current = None

    log = effective(events)
    for event in log:
        if isinstance(event, TurnStarted):
            close(event)
            current, speaker = event, event.speaker
        elif isinstance(event, Interruption):
            close(event, interrupted=True)
            current, speaker = event, event.by
        elif (isinstance(event, TurnEnded) and event.speaker == speaker) or isinstance(
            event, (Paused, SessionEnded)
        ):
            close(event)
    if current is not None:
        close(now or log[-1], still_open=True)
    return turns


def talk_seconds(events: Sequence[EventBase], now: Moment | None = None) -> dict[str, float]:
    totals: dict[str, float] = {}
    for turn in speaking_turns(events, now):
        totals[turn.speaker] = totals.get(turn.speaker, 0.0) + turn.seconds
    return totals
