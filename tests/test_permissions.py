"""Every file cofacil creates is 0600 in 0700 folders whatever the umask — temp files while they
are written, an encrypted folder's vault, exports and their folders — and a symlink planted
where cofacil writes is never followed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import _add_session

from cofacil.clock import FakeClock
from cofacil.live import LiveSession
from cofacil.storage import Store, StoreError, safefile

COFACIL = str(Path(sys.executable).with_name("cofacil"))
PASSPHRASE = "a long shared phrase"


def modes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): oct(stat.S_IMODE(p.lstat().st_mode))
        for p in [root, *root.rglob("*")]
    }


def assert_private(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_temp_files_are_private_while_they_are_written(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    seen: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def watching(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):
            seen.append((os.readlink(f"/proc/self/fd/{fd}"), stat.S_IMODE(info.st_mode)))
        real_fsync(fd)

    monkeypatch.setattr(safefile.os, "fsync", watching)
    old = os.umask(umask)
    try:
        store = Store(tmp_path / "data", clock)
        session = _add_session(store)
        live = LiveSession(store, session.id)
        live.observe("note", about=[], tags=[])
        live.close()
        store.write_export(tmp_path / "report.md", "report")
    except FileNotFoundError:
        pytest.skip("no /proc/self/fd here")
    finally:
        os.umask(old)
    temps = [(name, mode) for name, mode in seen if name.endswith(".tmp")]
    assert len(temps) >= 4  # the index twice, a checkpoint, the export
    assert all(mode == 0o600 for _, mode in temps), temps


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_encrypted_folder_and_exports_are_private(tmp_path: Path, umask: int) -> None:
    """The real command under a lax umask: the vault, the sealed files, an export folder it
    makes (and the parents it makes) and every file exported into it."""
    data_dir, out = tmp_path / "data", tmp_path / "exports" / "march"
    env = {**os.environ, "COFACIL_DATA_DIR": str(data_dir)}

    def run(*args: str) -> None:
        done = subprocess.run(
            [COFACIL, *args],
            input=PASSPHRASE + "\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            preexec_fn=lambda: os.umask(umask),
        )
        assert done.returncode == 0, done.stderr

    old = os.umask(umask)
    try:
        store = Store(data_dir)
        session = _add_session(store)
        LiveSession(store, session.id).close()
    finally:
        os.umask(old)
    run("--encrypt", "export", "--format", "md", "-o", str(tmp_path / "one.md"))
    run("export", "--format", "csv", "--all", "--group", session.group_id, "-o", str(out))
    assert (data_dir / "cofacil.vault").exists() and any(out.iterdir())
    assert_private(data_dir)
    assert_private(tmp_path / "exports")
    assert stat.S_IMODE((tmp_path / "one.md").stat().st_mode) == 0o600


def test_a_symlink_planted_at_the_temp_name_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who guesses the temp name and plants a link there: the write is refused, the
    link's target is untouched, and the file keeps its old contents."""
    target = tmp_path / "data.json"
    target.write_bytes(b"old")
    victim = tmp_path / "victim"
    victim.write_bytes(b"victim")
    fixed = uuid.UUID(int=0xABCDEF)
    monkeypatch.setattr(safefile.uuid, "uuid4", lambda: fixed)
    (tmp_path / f".data.json.{fixed.hex[:8]}.tmp").symlink_to(victim)
    with pytest.raises(FileExistsError):
        safefile.atomic_write(target, b"new")
    assert victim.read_bytes() == b"victim" and target.read_bytes() == b"old"


def test_a_symlink_planted_at_the_journal_or_a_lock_is_not_followed(
    store: Store, tmp_path: Path
) -> None:
    session = _add_session(store)
    victim = tmp_path / "victim"
    victim.write_bytes(b"victim")
    before = modes(tmp_path)["victim"]
    for suffix in (".journal", ".lock"):
        link = store.sessions_dir / f"{session.id}{suffix}"
        link.unlink(missing_ok=True)
        link.symlink_to(victim)
        try:  # refused (the lock), or the link replaced by a file of its own (the journal)
            store.open_log(session.id).close()
            assert not link.is_symlink(), suffix
        except (StoreError, OSError):
            assert link.is_symlink(), suffix
        link.unlink()
    assert victim.read_bytes() == b"victim"
    assert modes(tmp_path)["victim"] == before  # not chmod-ed through the link either


def test_temp_files_a_crash_left_are_swept(store: Store) -> None:
    """A save killed mid-way leaves its temp file (a copy of what was being saved); the next
    open removes it once it is old, never one a running save may still need."""
    old = store.data_dir / ".cofacil.json.1a2b3c4d.tmp"
    fresh = store.sessions_dir / ".abc.json.5e6f7a8b.tmp"
    for path in (old, fresh):
        path.write_bytes(b"a copy of a note")
    os.utime(old, (0, 0))
    Store(store.data_dir)
    assert not old.exists() and fresh.exists()
