"""How long an acknowledged event takes to be on disk, next to TinyDB and the fsync floor; and
how long a group with a year of history takes to open.

Figures (sizes are events of history on disk before the measured session opens):

- `ack_p50_<size>_cofacil` / `ack_p99_<size>_cofacil`: `SessionLog.record(...)` in a fresh
  session opened with `Store.open_log` (returns once the event is fsynced).
- `ack_..._floor`: one `os.write` of the same encoded line plus `os.fsync` on an append-only file
  (holding the same history).
- `ack_..._tinydb_per_session`: the fair TinyDB baseline, laid out as cofacil lays out its data:
  the same history as one TinyDB JSON file per session, and `TinyDB(path).insert(doc)` (default
  JSONStorage, which rewrites the whole file and fsyncs) into a fresh session's own file.
  Cofacil, floor and this baseline are interleaved, record by record, taking turns at going
  first.
- `ack_..._tinydb_one_file`: the same insert on a single TinyDB file holding all `<size>`
  documents of history (how a plain TinyDB app would keep it; cofacil never does); measured
  after the others, fewer inserts at the larger sizes.
- `ratio_p99_<size>_cofacil_over_floor`; `ratio_p50_<size>_tinydb_per_session_over_cofacil` and
  `ratio_p99_...`; `ratio_p50_<size>_tinydb_one_file_over_cofacil` and `ratio_p99_...`.
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

# Shorter runs while developing: BENCH_ACK_SIZES=1000,10000 BENCH_ACK_RECORDS=50.
SIZES = tuple(
    int(n) for n in os.environ.get("BENCH_ACK_SIZES", "1000,10000,100000").split(",") if n
)
RECORDS = int(os.environ.get("BENCH_ACK_RECORDS", "") or 300)  # measured records per size
# TinyDB rewrites the whole file on every insert (~0.2-0.7 s at 100k documents): fewer there.
TINYDB_INSERTS = {1_000: 300, 10_000: 100, 100_000: 20}

YEAR_SESSIONS = 50
OPEN_RUNS = 5

_ms = 1e-6  # nanoseconds to milliseconds


def _one_file_inserts(size: int) -> int:
    return min(RECORDS, TINYDB_INSERTS.get(size, 20))


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _tmp(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"cofacil-bench-{prefix}-")


def _bodies(journal_bytes: bytes) -> list[bytes]:
    """The event JSON of each line of a journal (`<crc32 hex> <json>`)."""
    return [line.partition(b" ")[2] for line in journal_bytes.splitlines()]


class TinyDBSessions:
    """The history as one TinyDB JSON file per session (in TinyDB's default JSONStorage layout),
    in a folder of its own; grown with the history, each session's file written once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        self.written = 0  # sessions of the history laid out so far

    def catch_up(self, history: History) -> None:
        for number, lines in enumerate(history.journal_lines[self.written :], self.written + 1):
            bodies = _bodies(lines)
            self.path(number).write_bytes(
                b'{"_default": {'
                + b", ".join(b'"%d": %s' % (n, body) for n, body in enumerate(bodies, start=1))
                + b"}}"
            )
        self.written = len(history.journal_lines)

    def path(self, number: int) -> Path:
        return self.folder / f"session-{number:05d}.json"


def _measure_side_by_side(
    history: History, floor_path: Path, tinydb_sessions: TinyDBSessions, seed: int
) -> tuple[dict[str, list[float]], bytes]:
    """Record RECORDS events in a fresh session; beside each, in turns, the floor write of the
    same kind of line and the TinyDB insert of the same document into a fresh session's file.
    Returns (ms by who: cofacil, floor, tinydb_per_session; the session's journal bytes)."""
    session = make_session(history.group, len(history.sessions) + 1, history.next_start())
    history.store.save_session(session)
    history.sessions.append(session.id)

    floor_path.write_bytes(b"".join(history.journal_lines))  # the same history, untimed
    floor = os.open(floor_path, os.O_WRONLY | os.O_APPEND)
    os.fsync(floor)
    tinydb_sessions.catch_up(history)  # the same history, untimed
    # The fresh session's own file: TinyDB creates it, as cofacil's store creates a journal.
    per_session = TinyDB(tinydb_sessions.path(len(history.journal_lines) + 1))

    store = Store(history.data_dir)  # a fresh launch of the app
    log = store.open_log(session.id)
    clock = store.clock
    specs = event_specs(random.Random(seed), history.group)
    times: dict[str, list[float]] = {"cofacil": [], "floor": [], "tinydb_per_session": []}
    try:
        for i in range(RECORDS):
            kind, fields = next(specs)
            del fields["id"]  # the store makes the id, as in the room
            # The floor writes a line of the same shape (its own id and stamps), made untimed;
            # TinyDB inserts the same event as a document.
            line = journal.encode_line(
                kind(
                    seq=i,
                    at=clock.now(),
                    mono=clock.monotonic(),
                    epoch=clock.epoch,
                    **fields,
                )
            )
            doc = json.loads(line.partition(b" ")[2])
            jobs = [
                ("cofacil", lambda kind=kind, fields=fields: log.record(kind, **fields)),
                ("floor", lambda line=line: (os.write(floor, line), os.fsync(floor))),
                ("tinydb_per_session", lambda doc=doc: per_session.insert(doc)),
            ]
            turn = i % len(jobs)  # taking turns at going first
            for who, job in jobs[turn:] + jobs[:turn]:
                t0 = time.perf_counter_ns()
                job()
                times[who].append((time.perf_counter_ns() - t0) * _ms)
        if len(per_session) != RECORDS:
            raise RuntimeError("TinyDB per-session baseline does not hold the expected documents")
    finally:
        log.close()
        per_session.close()
        os.close(floor)
        floor_path.unlink()
    recorded = (store.sessions_dir / f"{session.id}.journal").read_bytes()
    return times, recorded


def _measure_tinydb_one_file(
    history: History, path: Path, docs: list[bytes], inserts: int
) -> list[float]:
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
        f" folder; {RECORDS} records measured per size in a fresh session (Store + open_log),"
        " interleaved with the floor and TinyDB per session"
    )
    note(
        "ack: tinydb_one_file inserts measured per size: "
        + ", ".join(f"{label(s)}={_one_file_inserts(s)}" for s in SIZES)
        + " (p99 of 20 is close to the max)"
    )
    with _tmp("ack") as tmp:
        root = Path(tmp)
        history = History(root / "data")
        tinydb_sessions = TinyDBSessions(root / "tinydb-sessions")
        for size in SIZES:
            t0 = time.perf_counter()
            history.grow_to(size)
            history.check()
            built = time.perf_counter() - t0
            note(
                f"ack {label(size)}: {history.events_on_disk} events in"
                f" {len(history.sessions)} sessions on disk (built in {built:.1f} s)"
            )
            times, recorded = _measure_side_by_side(
                history, root / "floor.journal", tinydb_sessions, seed=size
            )
            times["tinydb_one_file"] = _measure_tinydb_one_file(
                history, root / "tinydb.json", _bodies(recorded), _one_file_inserts(size)
            )
            history.recorded(recorded, RECORDS)  # part of the history of the next size
            name = label(size)
            for who in ("cofacil", "floor", "tinydb_per_session", "tinydb_one_file"):
                figure(f"ack_p50_{name}_{who}", p50(times[who]), "ms")
                figure(f"ack_p99_{name}_{who}", p99(times[who]), "ms")
            cofacil = times["cofacil"]
            figure(f"ratio_p99_{name}_cofacil_over_floor", p99(cofacil) / p99(times["floor"]), "x")
            for who in ("tinydb_per_session", "tinydb_one_file"):
                for pick, fn in (("p50", p50), ("p99", p99)):
                    figure(
                        f"ratio_{pick}_{name}_{who}_over_cofacil", fn(times[who]) / fn(cofacil), "x"
                    )
            note(
                f"ack {name}: max cofacil {max(cofacil):.2f} ms, floor {max(times['floor']):.2f}"
                f" ms, tinydb per session {max(times['tinydb_per_session']):.2f} ms"
            )
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
