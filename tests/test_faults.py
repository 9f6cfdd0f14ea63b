"""I/O faults, injected the way storage engines test themselves: the k-th write, fsync, rename or
folder fsync fails (ENOSPC, EIO), once or until cleared. After every step the files on disk hold
the old state or the new one, never a mix; every acknowledged event is on disk; what the disk
refused waits in memory, in order, and lands once the fault clears."""

from __future__ import annotations

import errno
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import _add_session, crash

from cofacil.clock import FakeClock
from cofacil.live import LiveSession
from cofacil.models import EventBase, Group
from cofacil.storage import Store, StoreError, enable_encryption, journal, safefile
from cofacil.storage.vault import PLAIN, Codec

KINDS = ("write", "fsync", "dirfsync", "rename")


@dataclass
class Fault:
    """Stands in for the `os` module of safefile and journal, failing the chosen call."""

    kind: str = ""
    k: int = 0
    persistent: bool = False
    code: int = errno.ENOSPC
    armed: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    injected: int = 0
    _dirs: set[int] = field(default_factory=set)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def _check(self, kind: str) -> None:
        if not self.armed:
            return
        self.calls[kind] += 1
        n = self.calls[kind]
        if kind == self.kind and (n == self.k or (self.persistent and n > self.k)):
            self.injected += 1
            raise OSError(self.code, os.strerror(self.code))

    def open(self, path: Any, flags: int, *args: Any) -> int:
        fd = os.open(path, flags, *args)
        if flags & os.O_DIRECTORY:
            self._dirs.add(fd)
        return fd

    def close(self, fd: int) -> None:
        self._dirs.discard(fd)
        os.close(fd)

    def write(self, fd: int, data: Any) -> int:
        self._check("write")
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        self._check("dirfsync" if fd in self._dirs else "fsync")
        os.fsync(fd)

    def replace(self, src: Any, dst: Any) -> None:
        self._check("rename")
        os.replace(src, dst)

    def rename(self, src: Any, dst: Any) -> None:
        self._check("rename")
        os.rename(src, dst)


@pytest.fixture
def fault(monkeypatch: pytest.MonkeyPatch) -> Fault:
    fake = Fault()
    monkeypatch.setattr(safefile, "os", fake)
    monkeypatch.setattr(journal, "os", fake)
    return fake


def on_disk(data_dir: Path, codec: Codec, session_id: str) -> tuple[list[str], str]:
    """What a fresh process would read: the session's event ids and the group's name."""
    store = Store(data_dir, codec=codec)
    assert store.notices == [], store.notices  # a fault never leaves damage behind
    (group,) = store.groups()
    return [e.id for e in store.read_events(session_id)], group.name


def scenario(
    data_dir: Path, clock: FakeClock, codec: Codec, fault: Fault, check: bool = True
) -> None:
    """Notes and turns, a renamed group, a close; the fault is armed after the set-up."""
    store = Store(data_dir, clock=clock, codec=codec)
    session = _add_session(store)
    live = LiveSession(store, session.id)
    intended: list[EventBase] = list(live.events)
    group = store.group(session.group_id)
    names = [group.name]

    def assert_old_or_new() -> None:
        if not check:
            return
        fault.armed = False
        ids, name = on_disk(data_dir, codec, session.id)
        fault.armed = True
        assert ids == [e.id for e in live.log.events]  # exactly what was acknowledged
        assert name in names[-2:]

    fault.armed = True
    for n in range(3):
        intended.append(live.observe(f"note {n}", about=[session.seats[n]], tags=[]))
        clock.advance(5)
        live.speak(session.seats[n])
        intended.append(live.events[-1])
        assert live.events == intended  # the screen shows all of it, saved or not
        assert (live.disk_problem is None) == (live.unsaved == [])
        assert_old_or_new()
    renamed = group.model_copy(update={"name": "Tuesday group (renamed)"})
    names.append(renamed.name)
    try:
        store.save_group(renamed)
        saved, expected = True, {renamed.name}
    except StoreError as refused:
        saved = False
        if "nothing was changed" in str(refused):
            expected = {group.name}
        else:  # the folder's fsync failed after the rename: either, and the user is told
            assert "did not confirm" in str(refused)
            expected = {group.name, renamed.name}
    if check:
        fault.armed = False
        assert on_disk(data_dir, codec, session.id)[1] in expected
        fault.armed = True
    live.log.close()  # the checkpoint (a failure is left to the journal) and the lock
    assert_old_or_new()

    fault.armed = False  # the fault clears: a new run picks up, and the queue lands
    live.log = Store(data_dir, clock=clock, codec=codec).open_log(session.id)
    assert live.flush()
    live.close()
    ids, _ = on_disk(data_dir, codec, session.id)
    assert ids == [e.id for e in intended]
    if not saved:
        store.save_group(renamed)
    assert on_disk(data_dir, codec, session.id)[1] == renamed.name


def calls_per_kind(tmp_path: Path, clock: FakeClock, fault: Fault) -> Counter[str]:
    fault.kind = ""
    scenario(tmp_path / "count", clock, PLAIN, fault, check=False)
    counted = Counter(fault.calls)
    fault.calls.clear()
    return counted


def cases(kinds: tuple[str, ...], limit: int) -> list[tuple[str, int, bool, int]]:
    return [
        (kind, k, persistent, code)
        for kind in kinds
        for k in range(1, limit + 1)
        for persistent in (False, True)
        for code in (errno.ENOSPC, errno.EIO)
    ]


def test_every_kth_call_of_every_kind_failing(
    tmp_path: Path, clock: FakeClock, fault: Fault
) -> None:
    counts = calls_per_kind(tmp_path, clock, fault)
    assert all(counts[kind] >= 2 for kind in KINDS), counts
    tried = 0
    for kind in KINDS:
        for k in range(1, counts[kind] + 1):
            for persistent in (False, True):
                for code in (errno.ENOSPC, errno.EIO):
                    fault.__init__(kind=kind, k=k, persistent=persistent, code=code)
                    where = tmp_path / f"{kind}-{k}-{persistent}-{code}"
                    try:
                        scenario(where, FakeClock(clock.now()), PLAIN, fault)
                    except AssertionError as failed:
                        raise AssertionError(f"{kind} #{k} {persistent=} {code=}") from failed
                    assert fault.injected, f"{kind} #{k}: the fault never fired"
                    tried += 1
    assert tried >= 4 * 2 * 2 * 3


@pytest.mark.parametrize("kind", KINDS)
def test_faults_in_an_encrypted_folder(
    tmp_path: Path, clock: FakeClock, fault: Fault, kind: str
) -> None:
    for k in range(1, 6):
        for persistent in (False, True):
            fault.__init__()
            where = tmp_path / f"{k}-{persistent}"
            key = enable_encryption(where, "passphrase for tests", log2n=10)
            fault.__init__(kind=kind, k=k, persistent=persistent, code=errno.EIO)
            scenario(where, FakeClock(clock.now()), key, fault)


def test_a_line_the_disk_would_not_cut_back_is_cut_before_the_next(
    store: Store, fault: Fault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write half-succeeds, then even the truncation fails (a dying disk): the remains
    must not glue onto the next line, which would then be lost with them."""
    session = _add_session(store)
    live = LiveSession(store, session.id)
    real_write, real_truncate = os.write, os.ftruncate
    broken = {"on": True}

    def half_write(fd: int, data: Any) -> int:
        if broken["on"]:
            real_write(fd, bytes(data)[: len(data) // 2])
            raise OSError(errno.EIO, "Input/output error")
        return real_write(fd, data)

    def no_truncate(fd: int, length: int) -> None:
        if broken["on"]:
            raise OSError(errno.EIO, "Input/output error")
        real_truncate(fd, length)

    monkeypatch.setattr(fault, "write", half_write, raising=False)
    monkeypatch.setattr(fault, "ftruncate", no_truncate, raising=False)
    kept = live.observe("first", about=[], tags=[])
    assert live.unsaved == [kept]
    broken["on"] = False
    assert live.flush()
    live.observe("second", about=[], tags=[])
    live.close()
    reopened = Store(store.data_dir)
    texts = [getattr(e, "text", None) for e in reopened.read_events(session.id)]
    assert texts[-2:] == ["first", "second"]
    assert not journal.read(store.sessions_dir / f"{session.id}.journal").damaged


def test_group_saved_under_a_full_disk_keeps_the_old_version(
    store: Store, fault: Fault, data_dir: Path
) -> None:
    group = Group(name="Thursday", created_at=store.clock.now())
    store.save_group(group)
    fault.__init__(kind="write", k=1, persistent=True, code=errno.ENOSPC, armed=True)
    with pytest.raises(StoreError, match=r"No space left on device.*nothing was changed"):
        store.save_group(group.model_copy(update={"name": "Friday"}))
    fault.armed = False
    assert [g.name for g in Store(data_dir).groups()] == ["Thursday"]
    assert not [p for p in data_dir.iterdir() if p.name.endswith(".tmp")]  # no debris


def test_opening_a_session_on_a_failing_disk_is_a_clear_error(
    store: Store, fault: Fault, data_dir: Path
) -> None:
    """Opening mends and checkpoints the log: if the disk refuses, a one-line message, the
    lock is let go, and the next try on a healthy disk opens every event."""
    session = _add_session(store)
    live = LiveSession(store, session.id)
    live.observe("before", about=[], tags=[])
    crash(live)  # the checkpoint is behind the journal
    fault.__init__(kind="write", k=1, persistent=True, code=errno.ENOSPC, armed=True)
    with pytest.raises(StoreError, match=r"could not open session 1 \(No space left on device\)"):
        store.open_log(session.id)
    fault.armed = False
    with store.open_log(session.id) as log:
        assert [getattr(e, "text", None) for e in log.events][-1] == "before"


def test_a_real_tiny_filesystem_that_fills_up(tmp_path: Path) -> None:
    """A 256 KiB tmpfs in a private mount namespace (`unshare`; no root needed where user
    namespaces are allowed), filled to the last byte while a session is recorded."""
    import shutil
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    mount = tmp_path / "tiny"
    mount.mkdir()
    child = Path(__file__).with_name("tinyfs_child.py")
    script = (
        f'mount -t tmpfs -o size=256k tmpfs "{mount}" && '
        f'exec "{sys.executable}" "{child}" "{mount}"'
    )
    if unshare is None or subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode:
        pytest.skip("this machine cannot mount a small filesystem (no user namespaces)")
    done = subprocess.run(
        [unshare, "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert '"queued": 5' in done.stdout
