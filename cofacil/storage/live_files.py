"""What a session being recorded keeps beside its log, rewritten as it changes:

    <id>.alive   its last sign of life: a clock reading, rewritten every second while the
                 session is recorded. After a crash the gap starts there, not at the last
                 event, so a crash costs a turn in progress at most the time since then.
    <id>.draft   the note being written (or parked with Escape), rewritten as it is typed.

Both are checksummed and, in an encrypted folder, sealed like every other file. They are
written without fsync: a killed process loses nothing (the rename is done when the write
returns); a power cut may take a file back to an earlier version. Only the recording process
(which holds the session's lock) writes them.
"""

from __future__ import annotations

import contextlib
from typing import Any

from cofacil.models import ClockReading, Draft
from cofacil.storage.errors import DamagedFile
from cofacil.storage.schema import validate
from cofacil.storage.session_files import SessionPaths, alive_label, draft_label
from cofacil.storage.tinydb_file import AtomicJSONStorage
from cofacil.storage.vault import Codec

_ALIVE_TABLES = frozenset({"alive"})
_DRAFT_TABLES = frozenset({"draft"})


def _alive_file(paths: SessionPaths, codec: Codec) -> AtomicJSONStorage:
    return AtomicJSONStorage(paths.alive, codec, alive_label(paths.session_id), _ALIVE_TABLES)


def _draft_file(paths: SessionPaths, codec: Codec) -> AtomicJSONStorage:
    return AtomicJSONStorage(paths.draft, codec, draft_label(paths.session_id), _DRAFT_TABLES)


def _one_document(data: dict[str, dict[str, Any]] | None, table: str, where: str) -> Any:
    if data is None:
        return None
    docs = list(data.get(table, {}).values())
    if len(docs) != 1:
        raise DamagedFile(f"{where}: expected one document, found {len(docs)}")
    return docs[0]


def read_sign_of_life(paths: SessionPaths, codec: Codec) -> ClockReading | None:
    """The last sign of life of a recording of this session, None if none was left."""
    doc = _one_document(_alive_file(paths, codec).read(), "alive", str(paths.alive))
    if doc is None:
        return None
    try:
        return ClockReading.model_validate(doc)
    except ValueError as error:
        raise DamagedFile(f"{paths.alive}: {str(error).splitlines()[0]}") from None


def write_sign_of_life(paths: SessionPaths, codec: Codec, reading: ClockReading) -> None:
    data = {"alive": {"1": reading.model_dump(mode="json")}}
    _alive_file(paths, codec).write(data, keep_backup=False, durable=False)


def read_draft(paths: SessionPaths, codec: Codec, people: set[str]) -> Draft | None:
    """The note left being written, None if there is none. `DamagedFile` if it does not read
    back, or names someone who is not on the session's roster."""
    doc = _one_document(_draft_file(paths, codec).read(), "draft", str(paths.draft))
    if doc is None:
        return None
    draft = validate(Draft, doc, f"{paths.draft}: draft")
    if any(p not in people for p in draft.about):
        raise DamagedFile(f"{paths.draft}: it names someone who is not on the session's roster")
    return draft


def write_draft(paths: SessionPaths, codec: Codec, draft: Draft | None) -> None:
    """Keep `draft` (None: the note was saved or cleared, so the file goes)."""
    if draft is None:
        with contextlib.suppress(FileNotFoundError):
            paths.draft.unlink()
        return
    data = {"draft": {"1": draft.model_dump(mode="json")}}
    _draft_file(paths, codec).write(data, keep_backup=False, durable=False)
