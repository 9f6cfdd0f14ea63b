"""What can go wrong with stored data, as exceptions whose `str()` is one line for the user."""

from __future__ import annotations

import errno


class StoreError(Exception):
    """A problem the user can act on; `str()` is one clear line."""


class DamagedFile(StoreError):
    """A stored file that does not read back as what was written (kept aside, recovered)."""


class NewerSchema(StoreError):
    """Written by a newer cofacil: refused untouched."""


class SessionLocked(StoreError):
    """Another cofacil is recording the session."""


class NotFound(StoreError):
    pass


class SignedOffError(StoreError):
    """A signed-off session's record is locked: only addenda may follow."""


class ReadOnlyFolder(StoreError):
    """The data folder (or its medium) cannot be written: it opens for reading only."""


class NotCofacilFolder(StoreError):
    """`--data-dir` points at a file, or at a folder that holds something else."""


def what_to_do(error: OSError) -> str:
    """The advice for a file the system refused, fitting its reason (a full disk is not a
    permission problem)."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free some space"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "check the data folder's permissions"
    return "check the disk and the data folder"


def not_saved(error: OSError) -> StoreError:
    """A write the system refused, with nothing changed: what happened and what to do."""
    return StoreError(
        f"could not save ({error.strerror or error}); nothing was changed — "
        f"{what_to_do(error)}, then try again"
    )
