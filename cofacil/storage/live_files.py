"""What a session being recorded keeps beside its log, rewritten as it changes:

    <id>.alive   its last sign of life: a clock reading, rewritten in place every second
                 while the session is recorded (`SignOfLife`). After a crash the gap starts
                 there, not at the last event, so a crash costs a turn in progress at most
                 the time since then.
    <id>.draft   the notes being written (or parked with Escape): an observation, a flag, or
                 both; rewritten as they are typed.

Both are checksummed and, in an encrypted folder, sealed like every other file. They are
written without fsync: a killed process loses nothing (the write is done when the call
returns); a power cut may take a file back to an earlier version, or tear the sign of life
(then not taken). Only the recording process (which holds the session's lock) writes them.
"""

from __future__ import annotations

import contextlib
import os

from cofacil.models import ClockReading, Draft
from cofacil.storage.errors import DamagedFile
from cofacil.storage.safefile import open_private
from cofacil.storage.schema import validate
from cofacil.storage.session_files import SessionPaths, alive_label, draft_label
from cofacil.storage.tinydb_file import AtomicJSONStorage, encode_tables
from cofacil.storage.vault import Codec

_ALIVE_TABLES = frozenset({"alive"})
_DRAFT_TABLES = frozenset({"drafts"})


def _alive_file(paths: SessionPaths, codec: Codec) -> AtomicJSONStorage:
    return AtomicJSONStorage(paths.alive, codec, alive_label(paths.session_id), _ALIVE_TABLES)


def _draft_file(paths: SessionPaths, codec: Codec) -> AtomicJSONStorage:
    return AtomicJSONStorage(paths.draft, codec, draft_label(paths.session_id), _DRAFT_TABLES)


def read_sign_of_life(paths: SessionPaths, codec: Codec) -> ClockReading | None:
    """The last sign of life of a recording of this session, None if none was left."""
    data = _alive_file(paths, codec).read()
    if data is None:
        return None
    docs = list(data.get("alive", {}).values())
    if len(docs) != 1:
        raise DamagedFile(f"{paths.alive}: expected one reading, found {len(docs)}")
    doc = docs[0]
    try:
        return ClockReading.model_validate(doc)
    except ValueError as error:
        raise DamagedFile(f"{paths.alive}: {str(error).splitlines()[0]}") from None


class SignOfLife:
    """The recording's sign of life, rewritten in place every second: one `pwrite` of a
    record of fixed size into a file kept open (no new file, no rename, no fsync), so it costs
    a few microseconds. A process killed mid-write leaves the whole record (the kernel copies
    it before the signal lands); a power cut might tear it, and a torn record fails its
    checksum and is not taken: the gap then starts at the last event, as before."""

    SIZE = 512  # the JSON padded with spaces to this: every record the same size

    def __init__(self, paths: SessionPaths, codec: Codec) -> None:
        self._paths, self._codec = paths, codec
        self._fd: int | None = None
        self._size = 0

    def write(self, reading: ClockReading) -> None:
        body = encode_tables({"alive": {"1": reading.model_dump(mode="json")}})
        data = self._codec.seal_file(body.ljust(self.SIZE), alive_label(self._paths.session_id))
        if self._fd is None:
            self._fd = open_private(self._paths.alive, os.O_RDWR)
        os.pwrite(self._fd, data, 0)
        if len(data) != self._size:  # the first write, or a record longer than SIZE
            os.ftruncate(self._fd, len(data))
            self._size = len(data)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_drafts(paths: SessionPaths, codec: Codec, people: set[str]) -> dict[str, Draft]:
    """The notes left being written, by kind (an observation and a flag may both be parked).
    `DamagedFile` if they do not read back, or name someone not on the session's roster."""
    data = _draft_file(paths, codec).read()
    if data is None:
        return {}
    drafts: dict[str, Draft] = {}
    for doc in data.get("drafts", {}).values():
        draft = validate(Draft, doc, f"{paths.draft}: draft")
        if any(p not in people for p in draft.about):
            raise DamagedFile(f"{paths.draft}: a draft names someone not on the session's roster")
        if draft.kind in drafts:
            raise DamagedFile(f"{paths.draft}: two {draft.kind} drafts")
        drafts[draft.kind] = draft
    return drafts


def write_drafts(paths: SessionPaths, codec: Codec, drafts: dict[str, Draft]) -> None:
    """Keep `drafts` (none left: every note was saved or cleared, so the file goes)."""
    if not drafts:
        with contextlib.suppress(FileNotFoundError):
            paths.draft.unlink()
        return
    docs = {str(i): d.model_dump(mode="json") for i, d in enumerate(drafts.values(), start=1)}
    _draft_file(paths, codec).write({"drafts": docs}, keep_backup=False, durable=False)
