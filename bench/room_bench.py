"""What the room leaves on disk besides its events, next to an fsynced event in the same run:

- `sign_of_life_p50_{plain,encrypted}` / `_p99_`: `SessionLog.beat(...)`, the live screen's
  once-a-second sign of life (a small checksummed file replaced without fsync), in a plain and
  an encrypted folder.
- `draft_keep_p50_{plain,encrypted}` / `_p99_`: keeping the note being written on disk, as on
  every keystroke (a 200-character draft).
- `fsynced_event_p50_{plain,encrypted}` / `_p99_`: `SessionLog.record(...)` of one event, what
  an fsynced journal write each second would cost instead (the fair baseline, interleaved).
- `ratio_p50_fsynced_event_over_sign_of_life_{plain,encrypted}`.
- `sign_of_life_busy_ms_per_hour_encrypted`: 3,600 signs of life at the p50, the disk and CPU
  time an hour of recording spends on them.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import bench, figure, note, p50, p99
from bench.workload import make_group, make_session
from cofacil.models import ClockReading, Draft, Paused, Resumed
from cofacil.storage import Store, enable_encryption, open_vault
from cofacil.storage.vault import PLAIN, Codec

ROUNDS = 300
PASSPHRASE = "bench passphrase"
_ms = 1e-6


def _store(data_dir: Path, codec: Codec) -> tuple[Store, str]:
    store = Store(data_dir, codec=codec)
    group = make_group(datetime(2026, 1, 5, 18, tzinfo=UTC))
    store.save_group(group)
    session = make_session(group, 1, datetime(2026, 1, 5, 18, tzinfo=UTC))
    store.save_session(session)
    return store, session.id


def _measure(data_dir: Path, codec: Codec) -> tuple[list[float], list[float], list[float]]:
    store, session_id = _store(data_dir, codec)
    log = store.open_log(session_id)
    clock = store.clock
    alive, draft, event = [], [], []
    text = "holds the cup with both hands, looks at the door when Theo speaks; " * 3
    try:
        for i in range(ROUNDS):
            reading = ClockReading(at=clock.now(), mono=clock.monotonic(), epoch=clock.epoch)
            note_draft = Draft(kind="observation", text=text[: 200 - i % 7], begun=reading)
            jobs = [
                (alive, lambda r=reading: log.beat(r)),
                (draft, lambda d=note_draft: log.keep_drafts({"observation": d})),
                (event, lambda i=i: log.record(Paused if i % 2 == 0 else Resumed)),
            ]
            if i % 2:  # taking turns at going first
                jobs.reverse()
            for samples, job in jobs:
                t0 = time.perf_counter_ns()
                job()
                samples.append((time.perf_counter_ns() - t0) * _ms)
    finally:
        log.close()
    return alive, draft, event


@bench("sign_of_life")
def sign_of_life() -> None:
    note(f"sign_of_life: {ROUNDS} rounds of beat, draft and one fsynced event, interleaved")
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-room-") as tmp:
        root = Path(tmp)
        sealed_dir = root / "sealed"
        enable_encryption(sealed_dir, PASSPHRASE)
        results = {
            "plain": _measure(root / "plain", PLAIN),
            "encrypted": _measure(sealed_dir, open_vault(sealed_dir, PASSPHRASE)),
        }
    for kind, (alive, draft, event) in results.items():
        for name, samples in (
            ("sign_of_life", alive),
            ("draft_keep", draft),
            ("fsynced_event", event),
        ):
            figure(f"{name}_p50_{kind}", p50(samples), "ms")
            figure(f"{name}_p99_{kind}", p99(samples), "ms")
        figure(f"ratio_p50_fsynced_event_over_sign_of_life_{kind}", p50(event) / p50(alive), "x")
    alive = results["encrypted"][0]
    figure("sign_of_life_busy_ms_per_hour_encrypted", p50(alive) * 3600, "ms")
