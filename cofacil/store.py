"""The store: pydantic models to the rest of the code, TinyDB files on disk.

The only module that touches files. Layout of a data folder (0700, every file 0600):

    cofacil.json            TinyDB: tables `groups` and `sessions` (set-up documents)
    cofacil.json.bak        the previous version, kept by every atomic write
    cofacil.lock            taken for the few milliseconds of a read-modify-write
    sessions/<id>.json      TinyDB: table `events`, a checkpoint of the session's log
    sessions/<id>.journal   every event, appended and fsynced as it happens (the durable copy)
    sessions/<id>.lock      held by the one process recording the session
    cofacil.vault           only in an encrypted folder: key parameters and check (vault.py)

Promises: an acknowledged event is fsynced; a crash at any instant leaves files that load with
every acknowledged event; one writer per session; a damaged file is kept as a copy before
anything replaces it, and what can be recovered is (journal, checkpoint, last good copy). In an
encrypted folder every database and journal is sealed with the folder's key (`codec`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
from pydantic import BaseModel, ValidationError
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from cofacil import journal, vault
from cofacil.clock import Clock, SystemClock
from cofacil.models import (
    SCHEMA_VERSION,
    EventBase,
    Group,
    MemberNote,
    Session,
    event_adapter,
)
from cofacil.safefile import (
    FileLock,
    LockHeld,
    UnconfirmedWrite,
    atomic_write,
    backup_path,
    ensure_private_dir,
    fsync_dir,
    quarantine_copy,
    quarantine_name,
)
from cofacil.vault import PLAIN, VAULT_FILE, Codec, Undecryptable, Vault

MAIN_DB = "cofacil.json"
MAIN_TABLES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("groups", Group),
    ("sessions", Session),
    ("member_notes", MemberNote),
)
M = TypeVar("M", bound=BaseModel)


class StoreError(Exception):
    """A problem the user can act on; `str()` is one clear line."""


class DamagedFile(StoreError):
    pass


class NewerSchema(StoreError):
    pass


class SessionLocked(StoreError):
    pass


class NotFound(StoreError):
    pass


class SignedOffError(StoreError):
    """A signed-off session's record is locked: only addenda may follow."""


def default_data_dir() -> Path:
    env = os.environ.get("COFACIL_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("cofacil", appauthor=False))


# --- schema versions -----------------------------------------------------------------------


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Documents from before versioning had no `v`; their members neither."""
    doc = {**doc, "v": 1}
    if isinstance(doc.get("members"), list):
        doc["members"] = [{**m, "v": 1} if isinstance(m, dict) else m for m in doc["members"]]
    if isinstance(doc.get("attendance"), dict):
        doc["attendance"] = {
            k: {**a, "v": 1} if isinstance(a, dict) else a for k, a in doc["attendance"].items()
        }
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


def newer_schema_message(where: str, version: int) -> str:
    return (
        f"{where} was written by a newer cofacil (schema {version}; this one reads up to "
        f"{SCHEMA_VERSION}): update cofacil to open it"
    )


def migrate(doc: dict[str, Any], where: str) -> dict[str, Any]:
    version = doc.get("v", 0)
    if not isinstance(version, int):
        raise DamagedFile(f"{where}: field 'v': schema version is not a number")
    if version > SCHEMA_VERSION:
        raise NewerSchema(newer_schema_message(where, version))
    if version < SCHEMA_VERSION and version not in MIGRATIONS:
        raise DamagedFile(f"{where}: field 'v': unknown schema version {version}")
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["v"]
    return doc


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "document"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"field '{location}': {first['msg']}{more}"


def validate(model: type[M], doc: dict[str, Any], where: str) -> M:
    try:
        return model.model_validate(migrate(dict(doc), where))
    except ValidationError as error:
        raise DamagedFile(f"{where}: {describe(error)}") from None


def validate_event(doc: dict[str, Any], where: str) -> EventBase:
    try:
        return event_adapter.validate_python(migrate(dict(doc), where))  # type: ignore[return-value]
    except ValidationError as error:
        raise DamagedFile(f"{where}: {describe(error)}") from None


# --- TinyDB storage that never loses or misreads a file ------------------------------------


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


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # cheap: only then the costly check


def _has_lone_surrogate(data: object) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


class AtomicJSONStorage(Storage):
    """TinyDB storage: atomic, fsynced writes; an empty or garbled file is an error, not `{}`.
    `label` says what the file is, so that in an encrypted folder its box opens only as that."""

    def __init__(self, path: Path, codec: Codec = PLAIN, label: str = "main") -> None:
        self.path = Path(path)
        self.codec, self.label = codec, label

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw:
            raise DamagedFile(f"{self.path}: the file is empty (0 bytes)")
        if not self.codec.encrypted and raw.startswith(vault.MAGIC + b" "):
            raise StoreError(_sealed_without_vault(self.path))
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
        return data

    def write(self, data: dict[str, dict[str, Any]], keep_backup: bool = True) -> None:
        raw = json.dumps(data, ensure_ascii=False).encode()
        atomic_write(self.path, self.codec.seal_file(raw, self.label), keep_backup)

    def close(self) -> None:
        pass


def _open_db(path: Path, codec: Codec = PLAIN, label: str = "main") -> TinyDB:
    return TinyDB(path, codec, label, storage=AtomicJSONStorage)  # type: ignore[arg-type]


# --- encryption at rest --------------------------------------------------------------------


def is_encrypted(data_dir: Path) -> bool:
    return (Path(data_dir) / VAULT_FILE).exists()


def open_vault(data_dir: Path, passphrase: str) -> Vault:
    """The key of an encrypted folder; `WrongPassphrase` touches nothing."""
    path = Path(data_dir) / VAULT_FILE
    try:
        check = path.read_bytes()
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror}") from None
    try:
        return vault.unlock(check, passphrase, str(path))
    except vault.VaultError as error:
        raise StoreError(str(error)) from None


DEBRIS_AGE = 600  # seconds: a temp file this old belongs to no save still running
SEALING_FILE = "cofacil.sealing"  # present from `enable_encryption` until every file is sealed


def enable_encryption(data_dir: Path, passphrase: str, log2n: int = vault.DEFAULT_LOG2N) -> Vault:
    """Make a folder encrypted: write its `cofacil.vault` (and `cofacil.sealing`, which tells the
    next `Store(codec=...)` to seal what is still plain). Refused while a session is being
    recorded, and in a folder that is encrypted already."""
    data_dir = Path(data_dir)
    try:
        key = vault.new_vault(passphrase, log2n)
    except vault.VaultError as error:
        raise StoreError(str(error)) from None
    try:
        ensure_private_dir(data_dir)
        ensure_private_dir(data_dir / "sessions")
        with FileLock(data_dir / "cofacil.lock"):  # one `--encrypt` at a time, no save between
            if is_encrypted(data_dir):
                raise StoreError(f"{data_dir} is encrypted already; nothing was changed")
            for lock_path in sorted((data_dir / "sessions").glob("*.lock")):
                lock = FileLock(lock_path)
                try:
                    lock.acquire()
                except LockHeld:
                    raise SessionLocked(
                        "a session in this folder is being recorded: close that cofacil first; "
                        "nothing was changed"
                    ) from None
                lock.release()
            atomic_write(data_dir / SEALING_FILE, b"", keep_backup=False)
            atomic_write(data_dir / VAULT_FILE, key.key_check(), keep_backup=False)
    except OSError as error:
        raise StoreError(f"cannot encrypt {data_dir}: {error.strerror}") from None
    return key


def plain(path: Path) -> bytes | None:
    """The bytes of a file that is not sealed; None if sealed or missing."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return None if raw.startswith(vault.MAGIC + b" ") else raw


def _checkpoint_label(session_id: str) -> str:
    return f"checkpoint:{session_id}"


def _journal_label(session_id: str) -> str:
    return f"journal:{session_id}"


# --- the store -----------------------------------------------------------------------------


class Store:
    def __init__(self, data_dir: Path, clock: Clock | None = None, codec: Codec = PLAIN) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock or SystemClock()
        self.codec = codec
        self.notices: list[str] = []  # recoveries the user should hear about, once
        self._refuse_a_wrong_key()
        try:
            ensure_private_dir(self.data_dir)
            ensure_private_dir(self.sessions_dir)
        except OSError as error:
            raise StoreError(f"cannot use data folder {self.data_dir}: {error.strerror}") from None
        self.db_path = self.data_dir / MAIN_DB
        self._db = _open_db(self.db_path, codec)
        self._lock = FileLock(self.data_dir / "cofacil.lock")
        try:
            with self._lock:
                self._refuse_a_wrong_key()  # again: an `--encrypt` may have come in between
                if codec.encrypted and (self.data_dir / SEALING_FILE).exists():
                    self._seal_plain_files()
                    (self.data_dir / SEALING_FILE).unlink()
                    fsync_dir(self.data_dir)
                self._sweep_debris()
                self._check_main_db()
        except OSError as error:
            raise StoreError(
                f"cannot open the data folder {self.data_dir} ({error.strerror or error}); "
                "nothing was lost — free some space or check the disk, then try again"
            ) from None

    def _refuse_a_wrong_key(self) -> None:
        if is_encrypted(self.data_dir) != self.codec.encrypted:
            raise StoreError(
                f"{self.data_dir} is not an encrypted folder"
                if self.codec.encrypted
                else f"{self.data_dir} is encrypted: open it with its passphrase"
            )

    def _debris(self) -> list[Path]:
        """Temp files a crash left mid-save, each a copy of what was being saved."""
        return [
            path
            for folder in (self.data_dir, self.sessions_dir)
            for pattern in (".*.tmp", ".*.baktmp")
            for path in folder.glob(pattern)
        ]

    def _sweep_debris(self) -> None:
        """Crash debris goes once it is older than any save in progress could be."""
        cutoff = time.time() - DEBRIS_AGE
        for debris in self._debris():
            with contextlib.suppress(OSError):  # another process may sweep it first
                if debris.lstat().st_mtime < cutoff:
                    debris.unlink()

    def _seal_plain_files(self) -> None:
        """Seal the files of a folder just made encrypted (`cofacil.sealing` says so, until this
        has finished). Each file is replaced atomically, so a crash here leaves every file plain
        or sealed, and the next open carries on. Crash debris (temp files, which may hold plain
        text) is removed. Outside this, a file that is not sealed is damage, never re-sealed."""
        assert isinstance(self.codec, Vault)
        for debris in self._debris():
            if plain(debris):  # whatever its age: plain text must not outlive the sealing
                debris.unlink()

        jobs: list[tuple[Path, str]] = [(self.db_path, "main")]
        for path in sorted(self.sessions_dir.iterdir()):
            session_id = path.name.split(".", 1)[0]
            if path.name.endswith((".json", ".json.bak")):
                jobs.append((path, _checkpoint_label(session_id)))
            elif ".damaged-" in path.name:
                jobs.append((path, "kept"))
        jobs.append((backup_path(self.db_path), "main"))
        jobs += [(p, "kept") for p in self.data_dir.iterdir() if ".damaged-" in p.name]
        sealed = 0
        for path, label in jobs:
            if (raw := plain(path)) is not None:
                atomic_write(path, self.codec.seal_file(raw, label), keep_backup=False)
                sealed += 1
        for path in sorted(self.sessions_dir.glob("*.journal")):
            session_id = path.name.removesuffix(".journal")
            lock = FileLock(_LogPaths(self.sessions_dir, session_id).lock)
            try:
                lock.acquire()
            except LockHeld:
                raise SessionLocked(
                    f"{path.name} is being recorded by a cofacil started before this folder was "
                    "encrypted: close it, then open the folder again"
                ) from None
            try:
                raw = plain(path)  # read under the lock: nobody appends meanwhile
                if not raw:
                    continue
                read = journal.decode(raw)
                if read.newer:
                    line, version = read.newer[0]
                    raise NewerSchema(newer_schema_message(f"{path}: line {line}", version))
                if read.damaged:  # what cannot be read stays, sealed, beside the journal
                    kept = quarantine_name(path)
                    atomic_write(kept, self.codec.seal_file(raw, "kept"), keep_backup=False)
                    self.notices.append(
                        f"{path.name}: {'; '.join(read.bad_lines) or 'an unfinished last line'}"
                        f"; a sealed copy is kept as {kept.name}"
                    )
                label = _journal_label(session_id)
                atomic_write(path, journal.encode(read.events, self.codec, label), False)
                sealed += 1
            finally:
                lock.release()
        if sealed:
            self.notices.append(f"encrypted {sealed} file(s) that were still plain")

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    # main database ------------------------------------------------------------------------

    def _check_main_db(self) -> None:
        """Validate every set-up document; a damaged file is kept aside as a copy and replaced
        by the last good copy. A newer schema is refused, untouched. Each step leaves a file
        that the next open mends on its own if this one is killed half-way."""
        bak = backup_path(self.db_path)
        if not self.db_path.exists() and bak.exists():
            # Only a run killed while mending leaves this (older versions moved the damaged
            # file away before restoring): the last good copy is the index.
            atomic_write(self.db_path, bak.read_bytes(), keep_backup=False)
            self.notices.append(f"{self.db_path.name} was missing: restored {bak.name}")
        try:
            self._validate_all()
            return
        except DamagedFile as damage:
            kept = quarantine_copy(self.db_path)
            self.notices.append(f"{damage}; a copy is kept as {kept.name}")
        if bak.exists():
            try:
                self._validate(_open_db(bak, self.codec), bak)
                atomic_write(self.db_path, bak.read_bytes(), keep_backup=False)
                self.notices.append(f"restored the last good copy from {bak.name}")
                return
            except DamagedFile as damage:
                kept = quarantine_copy(bak)
                self.notices.append(
                    f"the last good copy is damaged too ({damage}); kept as {kept.name}"
                )
        AtomicJSONStorage(self.db_path, self.codec).write({}, keep_backup=False)
        self.notices.append(
            "started an empty index; the sessions' own files in sessions/ are untouched"
        )

    def _validate_all(self) -> None:
        self._validate(self._db, self.db_path)

    @staticmethod
    def _validate(db: TinyDB, path: Path) -> None:
        """Every set-up document of `db` (the index or its last good copy) against its model."""
        for table, model in MAIN_TABLES:
            for doc in db.table(table).all():
                validate(model, doc, f"{path}: {table} document {doc.doc_id}")

    @contextmanager
    def _writing(self) -> Iterator[TinyDB]:
        with self._lock:
            # Fresh tables: TinyDB caches the next document id, which is stale once another
            # process (or Store) has inserted, and the insert would then fail on a taken id.
            yield _open_db(self.db_path, self.codec)

    def _all(self, table: str, model: type[M]) -> list[M]:
        return [
            validate(model, doc, f"{self.db_path}: {table} document {doc.doc_id}")
            for doc in self._db.table(table).all()
        ]

    def _upsert(self, table: str, doc: BaseModel) -> None:
        """Save one document; the file on disk is the old version or the new one, never a mix."""
        try:
            with self._writing() as db:
                db.table(table).upsert(doc.model_dump(mode="json"), Query().id == doc.id)  # type: ignore[attr-defined]
        except UnconfirmedWrite as error:
            raise StoreError(
                f"saved, but the disk did not confirm it ({error.strerror}) — "
                "check the disk, then save again"
            ) from None
        except OSError as error:
            raise StoreError(
                f"could not save ({error.strerror or error}); nothing was changed — "
                "free some space or check the data folder, then try again"
            ) from None

    # groups -------------------------------------------------------------------------------

    def groups(self, include_archived: bool = False) -> list[Group]:
        groups = self._all("groups", Group)
        return [g for g in groups if include_archived or not g.archived]

    def group(self, group_id: str) -> Group:
        for g in self._all("groups", Group):
            if g.id == group_id:
                return g
        raise NotFound(f"no group with id {group_id}")

    def save_group(self, group: Group) -> None:
        self._upsert("groups", group)

    # sessions -----------------------------------------------------------------------------

    def sessions(self, group_id: str | None = None) -> list[Session]:
        found = [s for s in self._all("sessions", Session) if group_id in (None, s.group_id)]
        return sorted(found, key=lambda s: (s.date, s.number, s.created_at))

    def session(self, session_id: str) -> Session:
        for s in self._all("sessions", Session):
            if s.id == session_id:
                return s
        raise NotFound(f"no session with id {session_id}")

    def latest_session(self, group_id: str | None = None) -> Session:
        found = self.sessions(group_id)
        if not found:
            raise NotFound("there are no sessions yet")
        return max(found, key=lambda s: s.created_at)

    def save_session(self, session: Session) -> None:
        self._upsert("sessions", session)

    # member notes -------------------------------------------------------------------------

    def member_note(self, session_id: str, member_id: str) -> MemberNote | None:
        wanted = f"{session_id}:{member_id}"
        return next((n for n in self._all("member_notes", MemberNote) if n.id == wanted), None)

    def save_member_note(self, note: MemberNote) -> None:
        self._upsert("member_notes", note)

    # a therapist's own content ----------------------------------------------------------

    def read_user_file(self, name: str) -> str | None:
        """A file the therapist put in the data folder (own deck or codes), or None."""
        path = self.data_dir / name
        try:
            return path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise StoreError(f"cannot read {path}: {error}") from None

    # exports ------------------------------------------------------------------------------

    def make_export_dir(self, path: Path) -> None:
        try:
            ensure_private_dir(Path(path))
        except OSError as error:
            raise StoreError(f"cannot use folder {path}: {error.strerror}") from None

    def write_export(self, path: Path, text: str) -> None:
        """An export file, 0600 like everything cofacil writes, replaced atomically. Never over
        cofacil's own files: inside the data folder only under `exports/`."""
        target, home = Path(path).resolve(), self.data_dir.resolve()
        if target.is_relative_to(home) and not target.is_relative_to(home / "exports"):
            raise StoreError(
                f"will not write {path}: it is inside the data folder (use {home / 'exports'})"
            )
        try:
            atomic_write(Path(path), text.encode(), keep_backup=False)
        except OSError as error:
            raise StoreError(f"cannot write {path}: {error.strerror}") from None

    # event logs ---------------------------------------------------------------------------

    def open_log(self, session_id: str) -> SessionLog:
        """Open a session's log for recording. Refused while another process records it."""
        session = self.session(session_id)
        return SessionLog(self, session)

    def log_version(self, session_id: str) -> tuple[int, int]:
        """Size and change time of a session's journal: a cheap "has anything been added?"
        for a window following the session, instead of re-reading the whole log."""
        try:
            info = _LogPaths(self.sessions_dir, session_id).journal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (info.st_size, info.st_mtime_ns)

    def read_events(self, session_id: str) -> list[EventBase]:
        """Every event of a session, for review: works while another process records it."""
        paths = _LogPaths(self.sessions_dir, session_id)
        # Journal first: a checkpoint that lands in between is then still seen in the file.
        from_journal = _read_journal(paths.journal, self.codec, session_id)
        from_file = _read_checkpoint(paths.checkpoint, self.codec, session_id, tolerate_damage=True)
        return _merge(from_file, from_journal.events)


class _LogPaths:
    def __init__(self, folder: Path, session_id: str) -> None:
        self.checkpoint = folder / f"{session_id}.json"
        self.journal = folder / f"{session_id}.journal"
        self.lock = folder / f"{session_id}.lock"


def _sealed_without_vault(path: Path) -> str:
    return (
        f"{path} is encrypted, but its folder has no {VAULT_FILE}: put that file back (from a "
        "backup of the folder) to open it; nothing was changed"
    )


def _read_journal(path: Path, codec: Codec, session_id: str) -> journal.JournalRead:
    read = journal.read(path, codec, _journal_label(session_id))
    if read.sealed:
        raise StoreError(_sealed_without_vault(path))
    if read.newer:
        line, version = read.newer[0]
        raise NewerSchema(newer_schema_message(f"{path}: line {line}", version))
    return read


def _read_checkpoint(
    path: Path, codec: Codec, session_id: str, tolerate_damage: bool = False
) -> list[EventBase]:
    try:
        table = _open_db(path, codec, _checkpoint_label(session_id)).table("events")
        events = []
        for doc in table.all():
            where = f"{path}: event document {doc.doc_id}"
            event = validate_event(doc, where)
            # A flipped digit can make a valid event of another place in the log: each event is
            # filed under its own seq, so a document elsewhere is damage, not a new event.
            if event.seq + 1 != doc.doc_id:
                raise DamagedFile(f"{where}: field 'seq': {event.seq} is not this document's")
            events.append(event)
        if len({e.id for e in events}) != len(events):
            raise DamagedFile(f"{path}: field 'id': one event appears twice")
        return events
    except DamagedFile:
        if tolerate_damage:
            return []
        raise


def _merge(*sources: list[EventBase]) -> list[EventBase]:
    """Union by sequence number. Later sources win a clash (the checksummed journal is last)."""
    by_seq: dict[int, EventBase] = {}
    for events in sources:
        for event in events:
            by_seq[event.seq] = event
    return [by_seq[seq] for seq in sorted(by_seq)]


class SessionLog:
    """The one open, writable log of a session: append-only, each event fsynced when recorded."""

    def __init__(self, store: Store, session: Session) -> None:
        self.store = store
        self.session = session
        self._paths = _LogPaths(store.sessions_dir, session.id)
        self._lock = FileLock(self._paths.lock)
        try:
            self._lock.acquire()
        except LockHeld as held:
            raise SessionLocked(
                f"session {session.number} is being recorded by another cofacil ({held.holder});"
                " it can still be opened for review"
            ) from None
        self._codec, sid = store.codec, session.id
        try:
            self.events = self._recover()
            self._journal = journal.JournalWriter(
                self._paths.journal, self._codec, _journal_label(sid)
            )
        except OSError as error:
            self._lock.release()
            raise StoreError(
                f"could not open session {session.number} ({error.strerror or error}); its "
                "files keep every saved event — free some space or check the disk, then try again"
            ) from None
        except BaseException:
            self._lock.release()
            raise
        self._next_seq = self.events[-1].seq + 1 if self.events else 0
        self._ids = {e.id for e in self.events}

    def _recover(self) -> list[EventBase]:
        """Load checkpoint and journal, mend what a crash or damage left, and checkpoint."""
        notices = self.store.notices
        codec, sid = self._codec, self.session.id
        paths = self._paths
        read = _read_journal(paths.journal, codec, sid)  # first: a newer one stays as is
        bak = backup_path(paths.checkpoint)
        checkpoint_damaged = False
        try:
            if paths.checkpoint.exists() or not bak.exists():
                checkpoint = _read_checkpoint(paths.checkpoint, codec, sid)
            else:  # a run killed while mending (older versions moved a damaged one away)
                try:
                    checkpoint = _read_checkpoint(bak, codec, sid)
                except DamagedFile as damage:
                    kept = quarantine_copy(bak)
                    notices.append(f"{damage}; a copy is kept as {kept.name}")
                    checkpoint = []
        except DamagedFile as damage:
            checkpoint_damaged = True
            # The last good copy first: if a newer cofacil wrote it, refuse before any change.
            try:
                checkpoint = _read_checkpoint(bak, codec, sid) if bak.exists() else []
                bak_damage = None
            except DamagedFile as error:
                checkpoint, bak_damage = [], error
            kept = quarantine_copy(paths.checkpoint)
            notices.append(f"{damage}; a copy is kept as {kept.name}")
            if bak_damage is not None:
                kept = quarantine_copy(bak)
                notices.append(f"{bak_damage}; a copy is kept as {kept.name}")
        journaled = {e.seq for e in read.events}
        lost = [e.seq for e in checkpoint if e.seq not in journaled]
        if lost and not read.damaged and paths.journal.exists():
            # Every event goes to the journal before any checkpoint: it was cut or emptied.
            notices.append(
                f"{paths.journal.name}: {len(lost)} event(s) missing, recovered from the "
                f"checkpoint; the journal was rebuilt"
            )
        events = _merge(checkpoint, read.events)
        if read.damaged:
            kept = quarantine_copy(self._paths.journal)
            problems = [*read.bad_lines, *(["an unfinished last line"] if read.torn_tail else [])]
            notices.append(
                f"{self._paths.journal.name}: {'; '.join(problems)}; a copy is kept as "
                f"{kept.name} and the journal was rebuilt"
            )
        if read.damaged or len(read.events) != len(events):
            atomic_write(
                self._paths.journal,
                journal.encode(events, codec, _journal_label(sid)),
                keep_backup=False,
            )
        if checkpoint_damaged:
            # Not `_write_checkpoint`: it would keep the damaged file as the last good copy.
            self._write_checkpoint(events, keep_backup=False)
        elif [e.id for e in checkpoint] != [e.id for e in events]:
            self._write_checkpoint(events)
        return events

    def _write_checkpoint(self, events: list[EventBase], keep_backup: bool = True) -> None:
        data = {"events": {str(e.seq + 1): e.model_dump(mode="json") for e in events}}
        label = _checkpoint_label(self.session.id)
        AtomicJSONStorage(self._paths.checkpoint, self._codec, label).write(data, keep_backup)

    def stamp(self, event_type: type[EventBase], seq: int, **fields: Any) -> EventBase:
        """An event of `event_type` stamped now by the store's clock, at position `seq`."""
        clock = self.store.clock
        return event_type(
            seq=seq, at=clock.now(), mono=clock.monotonic(), epoch=clock.epoch, **fields
        )

    def record(self, event_type: type[EventBase], **fields: Any) -> EventBase:
        """Make an event of `event_type` now and store it; returns once it is on disk."""
        event = self.stamp(event_type, self._next_seq, **fields)
        self.append(event)
        return event

    @property
    def next_seq(self) -> int:
        return self._next_seq

    @property
    def signed_off(self) -> bool:
        return any(e.type == "signed_off" for e in self.events)  # type: ignore[attr-defined]

    def append(self, event: EventBase) -> None:
        """Store a ready-made event (import, demo); its seq must be the next one."""
        if event.seq != self._next_seq:
            raise ValueError(f"event seq {event.seq} is not the next ({self._next_seq})")
        if event.id in self._ids:  # corrections and review notes point at events by id
            raise ValueError(f"event id {event.id} is already in the log")
        if self.signed_off and not getattr(event, "addendum", False):
            raise SignedOffError(
                f"session {self.session.number} is signed off: its record is locked, "
                "only addenda can follow"
            )
        self._journal.append(event)
        self.events.append(event)
        self._ids.add(event.id)
        self._next_seq += 1

    def close(self) -> None:
        """Checkpoint the TinyDB file and let another process record the session."""
        if not self._lock.held:
            return
        try:
            self._journal.close()
            self._write_checkpoint(self.events)
        except OSError:
            pass  # a full disk: the journal holds every event; the next open checkpoints
        finally:
            self._lock.release()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
