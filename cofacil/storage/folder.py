"""The data folder is cofacil's alone: made or adopted only when it is new, empty or already
cofacil's (its marker file), kept 0700 with every file 0600, and opened read-only when its
medium cannot be written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cofacil.storage.errors import NotCofacilFolder, StoreError
from cofacil.storage.safefile import DIR_MODE, FILE_MODE, atomic_write, ensure_private_dir

MARKER = "cofacil.folder"  # says "this folder is a cofacil data folder"
MARKER_TEXT = b"cofacil data folder: every file here belongs to cofacil (see its README)\n"
# What a folder written by an older cofacil, from before the marker, always holds.
_EARLIER_SIGNS = ("cofacil.json", "cofacil.vault")
# A therapist's own content, which may be put in a new folder before cofacil first opens it.
_OWN_CONTENT = frozenset({"deck.toml", "coding_schemes.toml", "nudges.toml"})


def default_data_dir() -> Path:
    env = os.environ.get("COFACIL_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs  # only when no folder is given: not on the way to the first frame

    return Path(platformdirs.user_data_dir("cofacil", appauthor=False))


def is_cofacil_folder(data_dir: Path) -> bool:
    return any((data_dir / name).exists() for name in (MARKER, *_EARLIER_SIGNS))


def writable(data_dir: Path) -> bool:
    """False on a read-only folder or medium: the store then only reads."""
    return os.access(data_dir, os.W_OK | os.X_OK)


def check_folder(data_dir: Path, create: bool) -> None:
    """Refuse what is not a cofacil data folder, before anything is changed: a missing one
    unless it is to be made (`create`), a file, another user's, a shared or foreign folder."""
    try:
        info = data_dir.stat()
    except FileNotFoundError:
        if create:
            return
        raise NotCofacilFolder(f"there is no cofacil data folder at {data_dir}") from None
    except OSError as error:
        raise StoreError(f"cannot use data folder {data_dir}: {error.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise NotCofacilFolder(
            f"{data_dir} is a file, not a cofacil data folder; nothing was changed"
        )
    if info.st_uid != os.geteuid() and writable(data_dir):
        # Its owner could swap, link or forge the files in it: clinical notes are kept only in
        # a folder of one's own. (A read-only copy owned by someone else can still be read.)
        raise NotCofacilFolder(
            f"{data_dir} belongs to another user (uid {info.st_uid}): cofacil keeps its data "
            "only in a folder of your own; nothing was changed"
        )
    if is_cofacil_folder(data_dir):
        return
    if info.st_mode & stat.S_ISVTX:
        raise NotCofacilFolder(
            f"{data_dir} is a shared folder, not a cofacil data folder: give a folder of its "
            "own (e.g. a new one inside it); nothing was changed"
        )
    if any(entry.name not in _OWN_CONTENT for entry in data_dir.iterdir()):
        raise NotCofacilFolder(
            f"{data_dir} holds other files and is not a cofacil data folder: give a new or "
            "empty folder; nothing was changed"
        )
    if not create:
        raise NotCofacilFolder(f"{data_dir} is empty: there is no cofacil data in it")


def claim_folder(data_dir: Path, notices: list[str]) -> None:
    """Make (or adopt, after `check_folder`) the data folder: 0700, its marker, `sessions/`,
    and files that others could read made private, said once."""
    # A folder being adopted (new or empty) is simply made private; one already cofacil's
    # whose files others could read is worth a word.
    ours = is_cofacil_folder(data_dir)
    loose = tighten(data_dir) if data_dir.exists() else []
    ensure_private_dir(data_dir)
    if not (data_dir / MARKER).exists():
        atomic_write(data_dir / MARKER, MARKER_TEXT, keep_backup=False)
    ensure_private_dir(data_dir / "sessions")
    if loose and ours:
        shown = ", ".join(loose[:3]) + (f" and {len(loose) - 3} more" if len(loose) > 3 else "")
        notices.append(f"made {len(loose)} file(s) private that others could read: {shown}")


def tighten(data_dir: Path) -> list[str]:
    """Files and folders of cofacil's with a looser mode than 0600 / 0700, made private; their
    names relative to the folder ("." for itself). Links are left alone (never followed)."""
    loose: list[str] = []
    if stat.S_IMODE(data_dir.lstat().st_mode) != DIR_MODE:
        os.chmod(data_dir, DIR_MODE)
        loose.append(".")
    for folder in (data_dir, data_dir / "sessions", data_dir / "exports"):
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                continue
            wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
            if stat.S_IMODE(info.st_mode) & ~wanted:
                os.chmod(entry.path, wanted)  # not a link: checked just above
                loose.append(str(Path(entry.path).relative_to(data_dir)))
    return loose
