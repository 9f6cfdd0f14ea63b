"""Time, injected: wall time for the record, monotonic time for durations.

Tests and snapshots use `FakeClock`, so a running timer renders the same every time.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    epoch: str  # monotonic readings are comparable only within one epoch

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def __init__(self) -> None:
        self.epoch = uuid.uuid4().hex[:12]

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime, epoch: str = "fake") -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._wall = start
        self._mono = 1000.0
        self.epoch = epoch

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds
