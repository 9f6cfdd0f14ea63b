"""Private, crash-safe file primitives. The store is the only caller.

- Folders are 0700 and files 0600, whatever the umask (modes are given explicitly at creation).
- `atomic_write`: temp file, fsync, keep the previous version as `.bak` (a hard link, no copy),
  `os.replace`, fsync of the folder. At every instant the path holds the old or the new bytes.
  Without `durable`, the same minus the fsyncs (for files rewritten every second).
- `quarantine_copy`: a damaged file is copied aside under a timestamped name before anything
  replaces it (copied, not moved: a kill in between still leaves it where it was).
- `FileLock`: an advisory `flock` on a separate lock file; the OS drops it when the holder dies,
  so a kill -9 leaves no stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from datetime import datetime
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def ensure_private_dir(path: Path) -> None:
    # Missing parents are made private too: `mkdir(parents=True)` would make them 0777 & ~umask,
    # i.e. world-writable under umask 0, letting anyone swap the data folder.
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
    if (path.stat().st_mode & 0o777) != DIR_MODE:
        os.chmod(path, DIR_MODE)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private(path: Path, flags: int) -> int:
    """Open (creating 0600 if needed) without following a planted symlink."""
    fd = os.open(path, flags | os.O_CREAT | _NOFOLLOW, FILE_MODE)
    try:
        if (os.fstat(fd).st_mode & 0o777) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_file(path: Path) -> bytes:
    """A stored file's bytes, never through a link planted in its place (`OSError` ELOOP): a
    link could show another file's content as ours, or lead a repair out of the folder."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class UnconfirmedWrite(OSError):
    """The new bytes replaced the old, but the folder's fsync failed: a power cut now could
    still bring back the old version. Not "nothing changed", not "saved" either."""


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def atomic_write(path: Path, data: bytes, keep_backup: bool = True, durable: bool = True) -> None:
    """`path` holds `data`, or its old bytes if this is cut short. Not `durable`: no fsync, for
    what is rewritten every second (a sign of life, a draft): the rename alone survives a
    killed process, and a power cut at worst takes the file back to an older version."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE)
    try:
        write_all(fd, data)
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    try:
        if keep_backup and path.exists() and not path.is_symlink():
            # The last good version, for recovery if the new one is ever found damaged. (A
            # link planted in the file's place is never kept, nor chmod-ed through.)
            bak_tmp = tmp.with_suffix(".baktmp")
            os.chmod(path, FILE_MODE)  # the link shares its mode, even if left by a crash
            os.link(path, bak_tmp, follow_symlinks=False)
            os.replace(bak_tmp, backup_path(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if not durable:
        return
    try:
        fsync_dir(path.parent)
    except OSError as error:
        # The new version is in place, but the disk did not confirm the rename is durable.
        raise UnconfirmedWrite(error.errno, error.strerror, str(path)) from None


def quarantine_name(path: Path, now: datetime | None = None) -> Path:
    """`<name>.damaged-<time>`, a name not yet taken."""
    stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return target


def quarantine_copy(path: Path, now: datetime | None = None) -> Path:
    """Keep a copy of a file about to be repaired (e.g. a journal with a torn tail). A link
    planted in a file's place is moved aside as the link it is, never followed."""
    target = quarantine_name(path, now)
    if path.is_symlink():
        os.rename(path, target)
        return target
    atomic_write(target, read_file(path), keep_backup=False)
    return target


def lock_holder(path: Path) -> str | None:
    """Who holds the lock at `path` now, as its holder wrote it ("pid 812 review"), or None
    when nobody does. Only reads: works in a read-only folder, and leaves no lock file
    behind."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None  # no lock file: nobody has ever recorded it here
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(fd)
    finally:
        os.close(fd)  # closing lets go of the shared lock taken just above
    return None


def _holder(fd: int) -> str:
    return os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"


class LockHeld(Exception):
    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.holder = holder


class FileLock:
    """An exclusive advisory lock on `path`, released by the OS if this process dies."""

    def __init__(self, path: Path, purpose: str = "") -> None:
        self.path = path
        self.purpose = purpose  # written beside the pid: what the lock is held for
        self._fd: int | None = None

    def acquire(self, blocking: bool = False) -> None:
        fd = open_private(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, " ".join(filter(None, [f"pid {os.getpid()}", self.purpose])).encode(), 0)
        except BaseException:
            os.close(fd)  # lets go of the lock too: a later `with lock` must not wait forever
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire(blocking=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
