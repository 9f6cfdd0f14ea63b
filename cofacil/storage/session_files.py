"""A session's own files, in `sessions/`, named by its id (checked: ids are never paths):

    <id>.session   its header: the set-up and the roster as it was at the start (`SessionHeader`),
                   written once, before the index names the session; the index can be rebuilt
                   from these
    <id>.journal   every event, appended and fsynced as it happens (journal.py)
    <id>.json      TinyDB: table `events`, a checkpoint of the log, written on open and close
    <id>.lock      held by the one process recording the session
    <id>.alive     the recording's last sign of life, and
    <id>.draft     the note being written: both rewritten as they change (live_files.py)

In an encrypted folder each is sealed under a label naming the file's part and session, so a
box moved from one session's file into another's does not open.
"""

from __future__ import annotations

from pathlib import Path

from cofacil.models import SessionHeader
from cofacil.storage.errors import DamagedFile, StoreError
from cofacil.storage.ids import checked_id, is_safe_id, path_inside
from cofacil.storage.schema import validate
from cofacil.storage.tinydb_file import AtomicJSONStorage
from cofacil.storage.vault import PLAIN, Codec

HEADER_SUFFIX = ".session"
ALIVE_SUFFIX = ".alive"
DRAFT_SUFFIX = ".draft"
HEADER_TABLES = frozenset({"header"})
CHECKPOINT_TABLES = frozenset({"events"})


def checkpoint_label(session_id: str) -> str:
    return f"checkpoint:{session_id}"


def journal_label(session_id: str) -> str:
    return f"journal:{session_id}"


def header_label(session_id: str) -> str:
    return f"header:{session_id}"


def alive_label(session_id: str) -> str:
    return f"alive:{session_id}"


def draft_label(session_id: str) -> str:
    return f"draft:{session_id}"


class SessionPaths:
    """The paths of one session's files; its id is checked before it becomes part of a path."""

    def __init__(self, folder: Path, session_id: str) -> None:
        checked_id(session_id, "session id")
        self.session_id = session_id
        self.header = path_inside(folder, f"{session_id}{HEADER_SUFFIX}")
        self.checkpoint = path_inside(folder, f"{session_id}.json")
        self.journal = path_inside(folder, f"{session_id}.journal")
        self.lock = path_inside(folder, f"{session_id}.lock")
        self.alive = path_inside(folder, f"{session_id}{ALIVE_SUFFIX}")
        self.draft = path_inside(folder, f"{session_id}{DRAFT_SUFFIX}")


def header_storage(paths: SessionPaths, codec: Codec = PLAIN) -> AtomicJSONStorage:
    return AtomicJSONStorage(paths.header, codec, header_label(paths.session_id), HEADER_TABLES)


def listed_session_ids(folder: Path) -> list[str]:
    """The ids of every session that has a header in `folder` (names that are not ids are
    somebody else's files, left alone)."""
    try:
        names = [p.name for p in folder.iterdir()]
    except FileNotFoundError:
        return []
    ids = [n.removesuffix(HEADER_SUFFIX) for n in names if n.endswith(HEADER_SUFFIX)]
    return sorted(i for i in ids if is_safe_id(i))


def journaled_session_ids(folder: Path) -> list[str]:
    """Ids of sessions with a journal or checkpoint: files that must never be orphaned."""
    try:
        names = [p.name for p in folder.iterdir()]
    except FileNotFoundError:
        return []
    ids = {n.rsplit(".", 1)[0] for n in names if n.endswith((".journal", ".json"))}
    return sorted(i for i in ids if is_safe_id(i))


def read_header(paths: SessionPaths, codec: Codec = PLAIN) -> SessionHeader | None:
    """The session's header, None if it has none; `DamagedFile` if it does not read back."""
    data = header_storage(paths, codec).read()
    if data is None:
        return None
    docs = list(data.get("header", {}).values())
    if len(docs) != 1:
        raise DamagedFile(f"{paths.header}: expected one header document, found {len(docs)}")
    header = validate(SessionHeader, docs[0], f"{paths.header}: header")
    if header.session.id != paths.session_id:
        raise DamagedFile(f"{paths.header}: it describes another session ({header.session.id})")
    return header


def write_header(paths: SessionPaths, header: SessionHeader, codec: Codec = PLAIN) -> None:
    if header.session.id != paths.session_id:
        raise StoreError(f"session {header.session.id} cannot be filed as {paths.session_id}")
    data = {"header": {"1": header.model_dump(mode="json")}}
    header_storage(paths, codec).write(data, keep_backup=False)
