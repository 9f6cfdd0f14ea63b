"""How long an acknowledged event takes to be on disk, next to TinyDB and the fsync floor; and
how long a group with a year of history takes to open.

Figures (sizes are events of history on disk before the measured session opens):

- `ack_p50_<size>_cofacil` / `ack_p99_<size>_cofacil`: `SessionLog.record(...)` in a fresh
  session opened with `Store.open_log` (returns once the event is fsynced).
- `ack_..._floor`: one `os.write` of the same encoded line plus `os.fsync` on an append-only file
  (holding the same history); interleaved with the cofacil records, alternating which goes first.
- `ack_..._tinydb`: a plain `TinyDB(path).insert(doc)` (default JSONStorage, which rewrites the
  whole file and fsyncs) on a database already holding `<size>` documents.
- `ratio_p99_<size>_cofacil_over_floor`, `ratio_p99_<size>_tinydb_over_cofacil`.
- `record_cpu_p50`: building and encoding one event without any I/O (the store's work above the
  floor).
- `open_group_50x500_*`: new `Store` + `sessions(group)` + `read_events` of each of 50 sessions of
  500 events (median of a few runs, warm page cache).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from tinydb import TinyDB

from bench import bench, figure, note, p50, p99
from bench.workload import SESSION_EVENTS, History, event_specs, make_session
from cofacil.storage import Store, journal

SIZES = (1_000, 10_000, 100_000)
RECORDS = 300  # measured records per size
# TinyDB rewrites the whole file on every insert (~0.2-0.7 s at 100k documents): fewer there.
TINYDB_INSERTS = {1_000: 300, 10_000: 100, 100_000: 20}

YEAR_SESSIONS = 50
OPEN_RUNS = 5

_ms = 1e-6  # nanoseconds to milliseconds


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _tmp(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"cofacil-bench-{prefix}-")


def _bodies(journal_bytes: bytes) -> list[bytes]:
    """The event JSON of each line of a journal (`<crc32 hex> <json>`)."""
    return [line.partition(b" ")[2] for line in journal_bytes.splitlines()]


def _measure_cofacil_and_floor(
    history: History, floor_path: Path, seed: int
) -> tuple[list[float], list[float], bytes]:
    """Record RECORDS events in a fresh session; after or before each, the floor write of the
    same kind of line. Returns (cofacil ms, floor ms, the session's journal bytes)."""
    session = make_session(history.group, len(history.sessions) + 1, history.next_start())
    history.store.save_session(session)
    history.sessions.append(session.id)

    floor_path.write_bytes(b"".join(history.journal_lines))  # the same history, untimed
    floor = os.open(floor_path, os.O_WRONLY | os.O_APPEND)
    os.fsync(floor)

    store = Store(history.data_dir)  # a fresh launch of the app
    log = store.open_log(session.id)
    clock = store.clock
    specs = event_specs(random.Random(seed), history.group)
    cofacil: list[float] = []
    floor_ms: list[float] = []
    try:
        for i in range(RECORDS):
            kind, fields = next(specs)
            del fields["id"]  # the store makes the id, as in the room
            # The floor writes a line of the same shape (its own id and stamps), made untimed.
            line = journal.encode_line(
                kind(
                    seq=i,
                    at=clock.now(),
                    mono=clock.monotonic(),
                    epoch=clock.epoch,
                    **fields,
                )
            )
            for turn in (0, 1) if i % 2 else (1, 0):
                if turn == 0:
                    t0 = time.perf_counter_ns()
                    log.record(kind, **fields)
                    cofacil.append((time.perf_counter_ns() - t0) * _ms)
                else:
                    t0 = time.perf_counter_ns()
                    os.write(floor, line)
                    os.fsync(floor)
                    floor_ms.append((time.perf_counter_ns() - t0) * _ms)
    finally:
        log.close()
        os.close(floor)
        floor_path.unlink()
    recorded = (store.sessions_dir / f"{session.id}.journal").read_bytes()
    return cofacil, floor_ms, recorded


def _measure_tinydb(history: History, path: Path, docs: list[bytes], inserts: int) -> list[float]:
    """`TinyDB(path).insert(doc)` with `path` already holding every history event as a doc."""
    bodies = (body for lines in history.journal_lines for body in _bodies(lines))
    path.write_bytes(
        b'{"_default": {'
        + b", ".join(b'"%d": %s' % (n, body) for n, body in enumerate(bodies, start=1))
        + b"}}"
    )
    times: list[float] = []
    db = TinyDB(path)
    try:
        for body in docs[:inserts]:
            doc = json.loads(body)
            t0 = time.perf_counter_ns()
            db.insert(doc)
            times.append((time.perf_counter_ns() - t0) * _ms)
        if len(db) != history.events_on_disk + inserts:
            raise RuntimeError("TinyDB baseline does not hold the expected documents")
    finally:
        db.close()
        path.unlink()
    return times


def _record_cpu_us(history: History) -> float:
    """Median time to make and encode one event with no I/O: the store's work above the floor."""
    store = Store(history.data_dir)
    clock = store.clock
    specs = event_specs(random.Random(7), history.group)
    times = []
    for seq in range(RECORDS):
        kind, fields = next(specs)
        del fields["id"]
        t0 = time.perf_counter_ns()
        event = kind(seq=seq, at=clock.now(), mono=clock.monotonic(), epoch=clock.epoch, **fields)
        journal.encode_line(event)
        times.append((time.perf_counter_ns() - t0) / 1000)
    return statistics.median(times)


@bench("ack")
def ack_latency() -> None:
    note(
        f"ack: history = earlier sessions of one group ({SESSION_EVENTS} events each) in one data"
        f" folder; {RECORDS} records measured per size in a fresh session (Store + open_log)"
    )
    note(
        "ack: tinydb inserts measured per size: "
        + ", ".join(f"{label(s)}={n}" for s, n in TINYDB_INSERTS.items())
        + " (p99 of 20 is close to the max)"
    )
    with _tmp("ack") as tmp:
        root = Path(tmp)
        history = History(root / "data")
        for size in SIZES:
            t0 = time.perf_counter()
            history.grow_to(size)
            history.check()
            built = time.perf_counter() - t0
            note(
                f"ack {label(size)}: {history.events_on_disk} events in"
                f" {len(history.sessions)} sessions on disk (built in {built:.1f} s)"
            )
            cofacil, floor, recorded = _measure_cofacil_and_floor(
                history, root / "floor.journal", seed=size
            )
            tinydb = _measure_tinydb(
                history, root / "tinydb.json", _bodies(recorded), TINYDB_INSERTS[size]
            )
            history.recorded(recorded, RECORDS)  # part of the history of the next size
            name = label(size)
            for who, samples in (("cofacil", cofacil), ("floor", floor), ("tinydb", tinydb)):
                figure(f"ack_p50_{name}_{who}", p50(samples), "ms")
                figure(f"ack_p99_{name}_{who}", p99(samples), "ms")
            figure(f"ratio_p99_{name}_cofacil_over_floor", p99(cofacil) / p99(floor), "x")
            figure(f"ratio_p99_{name}_tinydb_over_cofacil", p99(tinydb) / p99(cofacil), "x")
            note(f"ack {name}: max cofacil {max(cofacil):.2f} ms, floor {max(floor):.2f} ms")
        figure("record_cpu_p50", _record_cpu_us(history), "us")


@bench("open_group")
def open_group() -> None:
    events = YEAR_SESSIONS * SESSION_EVENTS
    name = f"open_group_{YEAR_SESSIONS}x{SESSION_EVENTS}"
    with _tmp("open") as tmp:
        history = History(Path(tmp) / "data")
        history.grow_to(events)
        history.check()
        group_id = history.group.id
        runs: list[tuple[float, float, float, float]] = []
        for _ in range(OPEN_RUNS):
            t0 = time.perf_counter_ns()
            store = Store(history.data_dir)
            t1 = time.perf_counter_ns()
            sessions = store.sessions(group_id)
            t2 = time.perf_counter_ns()
            read = sum(len(store.read_events(s.id)) for s in sessions)
            t3 = time.perf_counter_ns()
            if len(sessions) != YEAR_SESSIONS or read != events:
                raise RuntimeError(f"opened {len(sessions)} sessions, {read} events")
            runs.append(((t3 - t0) * _ms, (t1 - t0) * _ms, (t2 - t1) * _ms, (t3 - t2) * _ms))
        note(
            f"{name}: new Store + sessions(group) + read_events of each session;"
            f" median of {OPEN_RUNS} runs, warm page cache"
        )
        for i, part in enumerate(("total", "store_init", "sessions", "read_events")):
            figure(f"{name}_{part}", statistics.median(r[i] for r in runs), "ms")
