"""Ids are data, never paths: one strict pattern, checked where an id is read (the models) and
again wherever a path is built from one, which must also resolve inside its folder."""

from __future__ import annotations

from pathlib import Path

from cofacil.models import well_formed_id as is_safe_id
from cofacil.storage.errors import DamagedFile


def checked_id(value: str, what: str = "id") -> str:
    """`value` if it is a well-formed id; otherwise the stored data naming it is damaged."""
    if not is_safe_id(value):
        raise DamagedFile(f"{what} {value!r} is not a well-formed id")
    return value


def path_inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused unless `name` is one plain name in `folder` (no separator, no
    `.` or `..`). The file itself is never followed here: a link planted in its place is found
    where the file is read (safefile.read_file), and costs that file only."""
    path = folder / name
    if path.name != name or name in (".", "..") or "\0" in name:
        raise DamagedFile(f"{name!r} would be stored outside {folder}")
    return path
