"""Real processes: a writer killed with SIGKILL at a random moment loses no acknowledged event
and leaves no stale lock; a second process cannot record a session that is being recorded, but
can review it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import _add_session

from cofacil.models import EventBase, Session
from cofacil.storage import SessionLocked, Store, enable_encryption, journal, open_vault
from cofacil.storage.vault import PLAIN

CHILD = Path(__file__).with_name("writer_child.py")
TIMEOUT = 30  # seconds: a child still alive then is killed, and the test fails


@contextmanager
def writer(
    data_dir: Path, session_id: str, passphrase: str = ""
) -> Iterator[subprocess.Popen[str]]:
    """Start tests/writer_child.py; on leaving, make sure it is dead and reaped."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), session_id, passphrase],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(TIMEOUT, proc.kill)
    watchdog.start()
    try:
        yield proc
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        stderr = proc.stderr.read() if proc.stderr else ""
        pytest.fail(f"writer exited with {proc.returncode} before printing:\n{stderr}")
    return line


def kill(proc: subprocess.Popen[str]) -> str:
    """SIGKILL the writer; return everything it printed that the test has not read yet."""
    os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL, f"the writer died on its own:\n{err}"
    return out


def acks(text: str) -> dict[int, str]:
    """`seq -> id` for every whole acknowledgement line in `text`."""
    found = {}
    for line in text.splitlines(keepends=True):
        if line.endswith("\n") and line != "open\n":
            seq, event_id = line.split()
            found[int(seq)] = event_id
    return found


def assert_complete(events: list[EventBase], acked: dict[int, str], context: str) -> None:
    """Every acknowledged event is there, as acknowledged; no duplicates, no gaps."""
    assert [e.seq for e in events] == list(range(len(events))), context
    assert len({e.id for e in events}) == len(events), context
    missing = {s: i for s, i in acked.items() if s >= len(events) or events[s].id != i}
    assert not missing, f"{context}: acknowledged events lost: {sorted(missing)}"


def assert_files_load(store: Store, session_id: str) -> None:
    codec = store.codec
    checkpoint = store.sessions_dir / f"{session_id}.json"
    saved = json.loads(codec.open_file(checkpoint.read_bytes(), f"checkpoint:{session_id}"))
    assert len(saved["events"]) == len(store.read_events(session_id))
    path = store.sessions_dir / f"{session_id}.journal"
    assert not journal.read(path, codec, f"journal:{session_id}").damaged
    assert Store(store.data_dir, codec=codec).notices == []


def kill_rounds(data_dir: Path, session: Session, rounds: int, passphrase: str = "") -> None:
    codec = open_vault(data_dir, passphrase) if passphrase else PLAIN
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acked: dict[int, str] = {}
    for n in range(1, rounds + 1):
        context = f"round {n} of {rounds} (seed {seed})"
        with writer(data_dir, session.id, passphrase) as proc:
            printed = ""
            if rng.random() < 0.2:
                # Anywhere: starting up, opening the store, recovering the log, recording.
                time.sleep(rng.uniform(0, 0.25))
            else:
                printed += read_line(proc) + read_line(proc)  # `open` and a first event
                time.sleep(rng.uniform(0, 0.03))
            printed += kill(proc)
        acked.update(acks(printed))

        # A reader after the crash sees every acknowledged event.
        store = Store(data_dir, codec=codec)
        assert store.notices == [], context  # a kill never damages the main database
        assert_complete(store.read_events(session.id), acked, context)
        if n % 3 and n != rounds:
            continue  # the next writer opens the log as the crash left it
        # A writer after the crash: the lock is free, the log mends and checkpoints.
        with store.open_log(session.id) as log:
            assert_complete(log.events, acked, context)
        # A kill can tear the last line (never acknowledged), nothing else.
        assert all("an unfinished last line" in x for x in store.notices), store.notices
        assert_files_load(store, session.id)
    assert len(acked) >= rounds // 2, "the writer hardly ever got to record: test is too weak"


def test_killed_writer_loses_no_acknowledged_event(store: Store, session: Session) -> None:
    """kill -9 at a random moment, 20 times (200 in the slow tier): every acknowledged event
    is there, no duplicates, the log opens for writing again, and the files load."""
    kill_rounds(store.data_dir, session, rounds=20)


def test_killed_writer_in_an_encrypted_folder_loses_nothing(data_dir: Path) -> None:
    """The same in an encrypted folder: a torn sealed line is the only loss, never one that
    was acknowledged."""
    enable_encryption(data_dir, "crash test passphrase", log2n=10)
    store = Store(data_dir, codec=open_vault(data_dir, "crash test passphrase"))
    kill_rounds(data_dir, _add_session(store), rounds=20, passphrase="crash test passphrase")


@pytest.mark.slow
def test_killed_writer_loses_no_acknowledged_event_200_rounds(
    store: Store, make_session: Callable[[Store], Session]
) -> None:
    for _ in range(4):  # four sessions, so each check reads a journal of modest size
        kill_rounds(store.data_dir, make_session(store), rounds=50)


def test_second_process_cannot_record_but_can_review(store: Store, session: Session) -> None:
    """While one process records a session, another is refused with a clear message naming the
    holder, can still read the events, and can record once the first is killed."""
    with writer(store.data_dir, session.id) as proc:
        printed = "".join(read_line(proc) for _ in range(4))
        with pytest.raises(SessionLocked) as excinfo:
            Store(store.data_dir).open_log(session.id)
        message = str(excinfo.value)
        assert "being recorded by another cofacil" in message
        assert f"pid {proc.pid}" in message
        assert "can still be opened for review" in message
        assert "\n" not in message
        # Review while the writer keeps writing.
        for _ in range(5):
            assert_complete(Store(store.data_dir).read_events(session.id), acks(printed), "review")
            printed += read_line(proc)
        printed += kill(proc)

    with Store(store.data_dir).open_log(session.id) as log:
        assert_complete(log.events, acks(printed), "after the kill")
        assert len(log.events) >= 8


def test_a_process_cannot_record_what_this_one_records(store: Store, session: Session) -> None:
    with store.open_log(session.id):
        child = subprocess.run(
            [sys.executable, str(CHILD), str(store.data_dir), session.id],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    assert child.returncode != 0
    assert child.stdout == ""
    assert "SessionLocked" in child.stderr
    assert f"another cofacil (pid {os.getpid()})" in child.stderr
