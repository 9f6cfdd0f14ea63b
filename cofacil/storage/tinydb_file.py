"""TinyDB files that never lose or misread a byte: the index and the session checkpoints.

Writes are atomic and fsynced (`safefile.atomic_write`). An empty or garbled file is an error,
never an empty database. Every file carries a SHA-256 of its tables in a table of its own
(`_integrity`), so a flipped bit that still parses as JSON is found as damage instead of being
read as another valid value. Files written before the checksum existed have no such table;
they are read as they are and get one with their next write.
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from tinydb import TinyDB
from tinydb.storages import Storage

from cofacil.storage import vault
from cofacil.storage.errors import DamagedFile, StoreError
from cofacil.storage.safefile import atomic_write, read_file
from cofacil.storage.vault import PLAIN, VAULT_FILE, Codec, Undecryptable

INTEGRITY = "_integrity"  # the checksum's table: never shown to TinyDB

JournalMark = tuple[int, str]  # a journal's length, and the SHA-256 (hex) of those bytes

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # cheap: only then the costly check


def sealed_without_vault(path: Path) -> str:
    return (
        f"{path} is encrypted, but its folder has no {VAULT_FILE}: put that file back (from a "
        "backup of the folder) to open it; nothing was changed"
    )


def _is_table(table: object) -> bool:
    """A TinyDB table: documents (objects) under integer ids; anything else crashes TinyDB."""
    if not isinstance(table, dict):
        return False
    for doc_id, doc in table.items():
        if not isinstance(doc, dict):
            return False
        try:
            int(doc_id)
        except ValueError:
            return False
    return True


def _has_lone_surrogate(data: object) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def _dump(tables: dict[str, Any]) -> bytes:
    return json.dumps(tables, ensure_ascii=False).encode()


def _digest(tables: dict[str, Any]) -> str:
    return hashlib.sha256(_dump(tables)).hexdigest()


def encode_tables(tables: dict[str, Any], journal: JournalMark | None = None) -> bytes:
    """The file's JSON: its tables, then their checksum. A checkpoint keeps beside it the
    `journal` mark: the length and SHA-256 of the session journal's bytes that held every one
    of its events when it was written, read back without parsing the file (`peek_journal_mark`;
    older readers ask only for `sha256`)."""
    integrity: dict[str, Any] = {"sha256": _digest(tables)}
    if journal is not None:
        integrity["journal_length"], integrity["journal_sha256"] = journal
    return _dump({**tables, INTEGRITY: {"1": integrity}})


# The end of a file `encode_tables` wrote with a journal mark. A quote after `{` or a space is
# never inside a JSON string, and the three braces after the mark close the document, the
# checksum's table and the file: the match is the file's own last table, whatever comes before.
_JOURNAL_MARK = re.compile(
    rb'[{ ]"_integrity": \{"1": \{"sha256": "[0-9a-f]{64}", '
    rb'"journal_length": (0|[1-9][0-9]{0,17}), "journal_sha256": "([0-9a-f]{64})"\}\}\}\Z'
)


class AtomicJSONStorage(Storage):
    """TinyDB storage: atomic, fsynced, checksummed writes. `tables` names the tables the file
    may hold (another name is damage: a flipped bit in a table's name). `label` says what the
    file is, so that in an encrypted folder its box opens only as that."""

    def __init__(
        self,
        path: Path,
        codec: Codec = PLAIN,
        label: str = "main",
        tables: frozenset[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.codec, self.label, self.tables = codec, label, tables

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = read_file(self.path)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise DamagedFile(f"{self.path}: a link in the file's place") from None
            raise
        return self.decode(raw)

    def decode(self, raw: bytes) -> dict[str, dict[str, Any]]:
        if not raw:
            raise DamagedFile(f"{self.path}: the file is empty (0 bytes)")
        if not self.codec.encrypted and raw.startswith(vault.MAGIC + b" "):
            raise StoreError(sealed_without_vault(self.path))
        try:
            raw = self.codec.open_file(raw, self.label)
        except Undecryptable as error:
            raise DamagedFile(f"{self.path}: {error}") from None
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise DamagedFile(f"{self.path}: not valid JSON ({error})") from None
        except RecursionError:
            raise DamagedFile(f"{self.path}: not valid JSON (nested too deeply)") from None
        if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(data):
            # Text that can never be written back: every later save of this file would fail.
            raise DamagedFile(f"{self.path}: a lone surrogate escape (\\udXXX) in the text")
        if not isinstance(data, dict) or not all(_is_table(t) for t in data.values()):
            raise DamagedFile(f"{self.path}: not a TinyDB database (expected tables of documents)")
        integrity = data.pop(INTEGRITY, None)
        if integrity is not None:
            expected = integrity.get("1", {}).get("sha256")
            if expected != _digest(data):
                raise DamagedFile(f"{self.path}: the checksum does not match (a changed byte)")
        if self.tables is not None and (unknown := sorted(set(data) - self.tables)):
            raise DamagedFile(f"{self.path}: an unknown table {unknown[0]!r}")
        return data

    def write(
        self,
        data: dict[str, dict[str, Any]],
        keep_backup: bool = True,
        durable: bool = True,
        journal: JournalMark | None = None,
    ) -> None:
        sealed = self.codec.seal_file(encode_tables(data, journal), self.label)
        atomic_write(self.path, sealed, keep_backup, durable)

    def close(self) -> None:
        pass


def peek_table(path: Path, codec: Codec, label: str, table: str) -> dict[str, Any] | None:
    """One table of the file as its JSON says (its checksum and documents not checked): for
    a caller that holds those documents from elsewhere, checked, and needs the file only if
    it has more. None if the file does not read."""
    try:
        # pydantic's parser: about twice as fast as `json` here, and only a glance (no
        # checksum, no model): a file it refuses is read the strict way instead.
        documents = from_json(codec.open_file(read_file(path), label)).get(table, {})
    except (OSError, ValueError, AttributeError, RecursionError, Undecryptable):
        return None
    return documents if _is_table(documents) else None


def peek_journal_mark(path: Path, codec: Codec, label: str) -> JournalMark | None:
    """The journal mark written with the file (`AtomicJSONStorage.write(..., journal=)`), read
    from its last bytes, without parsing the file or checking its tables: None if it has none
    there, or the file does not read. Only a hint: the caller checks it against the journal."""
    try:
        raw = codec.open_file(read_file(path), label)
    except (OSError, ValueError, Undecryptable):
        return None
    found = _JOURNAL_MARK.search(raw, max(0, len(raw) - 300))
    return None if found is None else (int(found[1]), found[2].decode())


def open_db(
    path: Path, codec: Codec = PLAIN, label: str = "main", tables: frozenset[str] | None = None
) -> TinyDB:
    return TinyDB(path, codec, label, tables, storage=AtomicJSONStorage)  # type: ignore[arg-type]
