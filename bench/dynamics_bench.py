"""Group dynamics: per-session figures for a live screen, and a year of trends."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from bench import bench, figure, note, p50, p99
from bench.workload import make_group, make_session, session_events
from cofacil import dynamics

FRAME_MS = 1000 / 60


def _year(sessions: int = 50, events: int = 500):
    rng = random.Random(7)
    start = datetime(2026, 1, 8, 18, 0, tzinfo=UTC)
    group = make_group(start)
    history = []
    for number in range(1, sessions + 1):
        when = start + timedelta(days=7 * (number - 1))
        history.append(
            (make_session(group, number, when), session_events(rng, group, when, events))
        )
    return history


@bench("dynamics")
def dynamics_figures() -> None:
    history = _year()
    session, events = history[0]
    last = events[-2]  # a live view: the session still running
    now = dynamics.Instant(last.at + timedelta(seconds=5), last.mono + 5, last.epoch)
    live = events[:-1]
    samples = []
    for _ in range(200):
        begin = time.perf_counter()
        dynamics.session_figures(session, live, now)
        samples.append((time.perf_counter() - begin) * 1000)
    note(f"dynamics: all figures of one session, {len(live)} events, live view at an instant")
    figure("dynamics_session_500_p50", p50(samples), "ms")
    figure("dynamics_session_500_p99", p99(samples), "ms")
    figure("ratio_dynamics_session_500_p99_over_frame", p99(samples) / FRAME_MS, "x")

    runs = []
    for _ in range(7):
        begin = time.perf_counter()
        dynamics.member_trends(history)
        runs.append((time.perf_counter() - begin) * 1000)
    total = sum(len(e) for _, e in history)
    note(f"dynamics: member trends across {len(history)} sessions, {total} events (median of 7)")
    figure("dynamics_trends_50x500", p50(runs), "ms")
