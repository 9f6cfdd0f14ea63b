"""The store in an encrypted folder beside the same store in a plain one, in the same run.

Figures:

- `enc_ack_p50_10k_{plain,encrypted}` / `enc_ack_p99_...`: `SessionLog.record(...)` (fsynced)
  in a fresh session of a folder holding 10k events of history; the two folders are copies of
  one another (the encrypted one sealed by `cofacil --encrypt`'s path), and records alternate
  between them, taking turns at going first.
- `enc_ratio_p99_ack_encrypted_over_plain`.
- `enc_open_group_10k_{plain,encrypted}`: new `Store` + `read_events` of each of the 20 sessions
  (500 events each; median of a few runs): what decrypting costs when a group is opened.
- `enc_unlock`: deriving the key from the passphrase (scrypt, the app's parameters), once per
  start of an encrypted folder.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import bench, figure, note, p50, p99
from bench.workload import SESSION_EVENTS, History, event_specs, make_session
from cofacil.storage import Store, enable_encryption, open_vault
from cofacil.storage.vault import Codec

HISTORY = 10_000
RECORDS = 300
OPEN_RUNS = 5
PASSPHRASE = "bench passphrase"
_ms = 1e-6


def _open_group(data_dir: Path, codec: Codec) -> float:
    t0 = time.perf_counter_ns()
    store = Store(data_dir, codec=codec)
    read = sum(len(store.read_events(s.id)) for s in store.sessions())
    if read < HISTORY:
        raise RuntimeError(f"read {read} events")
    return (time.perf_counter_ns() - t0) * _ms


@bench("encryption")
def encryption() -> None:
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-enc-") as tmp:
        plain_dir, sealed_dir = Path(tmp) / "plain", Path(tmp) / "sealed"
        history = History(plain_dir)
        history.grow_to(HISTORY)
        history.check()
        session = make_session(history.group, len(history.sessions) + 1, history.next_start())
        history.store.save_session(session)
        shutil.copytree(plain_dir, sealed_dir)

        t0 = time.perf_counter_ns()
        enable_encryption(sealed_dir, PASSPHRASE)
        made = (time.perf_counter_ns() - t0) * _ms
        t0 = time.perf_counter_ns()
        vault = open_vault(sealed_dir, PASSPHRASE)
        figure("enc_unlock", (time.perf_counter_ns() - t0) * _ms, "ms")
        t0 = time.perf_counter_ns()
        Store(sealed_dir, codec=vault)  # seals the copied history, once
        note(
            f"encryption: {HISTORY} events of history; sealing them in place took "
            f"{(time.perf_counter_ns() - t0) * 1e-9:.1f} s (key made in {made:.0f} ms)"
        )

        logs = {
            "plain": Store(plain_dir).open_log(session.id),
            "encrypted": Store(sealed_dir, codec=vault).open_log(session.id),
        }
        times: dict[str, list[float]] = {name: [] for name in logs}
        specs = event_specs(random.Random(11), history.group)
        try:
            for i in range(RECORDS):
                kind, fields = next(specs)
                del fields["id"]
                order = list(logs) if i % 2 else list(reversed(logs))
                for name in order:
                    t0 = time.perf_counter_ns()
                    logs[name].record(kind, **fields)
                    times[name].append((time.perf_counter_ns() - t0) * _ms)
        finally:
            for log in logs.values():
                log.close()
        note(f"encryption: {RECORDS} records each, alternating between the two folders")
        for name, samples in times.items():
            figure(f"enc_ack_p50_10k_{name}", p50(samples), "ms")
            figure(f"enc_ack_p99_10k_{name}", p99(samples), "ms")
        figure(
            "enc_ratio_p99_ack_encrypted_over_plain",
            p99(times["encrypted"]) / p99(times["plain"]),
            "x",
        )

        opened: dict[str, list[float]] = {"plain": [], "encrypted": []}
        for _ in range(OPEN_RUNS):
            opened["plain"].append(_open_group(plain_dir, Codec()))
            opened["encrypted"].append(_open_group(sealed_dir, vault))
        events = len(history.sessions) * SESSION_EVENTS
        note(f"encryption: open = new Store + read_events of {len(history.sessions)} sessions")
        for name, samples in opened.items():
            figure(f"enc_open_group_{events // 1000}k_{name}", statistics.median(samples), "ms")
        figure(
            "enc_ratio_open_group_encrypted_over_plain",
            statistics.median(opened["encrypted"]) / statistics.median(opened["plain"]),
            "x",
        )
