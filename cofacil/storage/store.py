"""The store: pydantic models to the rest of the code, files on disk. Layout of a data folder
(0700, every file 0600):

    cofacil.folder          the marker: this folder is cofacil's (folder.py)
    cofacil.json            the index, TinyDB: groups, sessions' set-up, member notes (index.py)
    cofacil.json.bak        its previous version, kept by every atomic write
    cofacil.lock            taken for the few milliseconds of a read-modify-write
    sessions/<id>.*         a session's own files (session_files.py)
    cofacil.vault           only in an encrypted folder: key parameters and check (vault.py)

Promises: an acknowledged event is fsynced; a crash at any instant leaves files that load with
every acknowledged event; one writer per session; a damaged file is kept as a copy before
anything replaces it, and what can be recovered is; a session whose files exist is always
listed. In an encrypted folder every stored file is sealed with the folder's key (`codec`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cofacil.clock import Clock, SystemClock
from cofacil.models import (
    FACILITATORS,
    ClockReading,
    EventBase,
    Group,
    MemberNote,
    Session,
    SessionHeader,
)
from cofacil.storage import index, journal, live_files
from cofacil.storage.encryption import (
    REDACTION_KEY_FILE,
    REDACTION_KEY_LABEL,
    SEALING_FILE,
    is_encrypted,
    seal_plain_files,
)
from cofacil.storage.errors import (
    DamagedFile,
    NotFound,
    ReadOnlyFolder,
    StoreError,
    not_saved,
    what_to_do,
)
from cofacil.storage.folder import check_folder, claim_folder, writable
from cofacil.storage.index import MAIN_DB, IndexContent
from cofacil.storage.recovery import read_events, write_checkpoint
from cofacil.storage.safefile import (
    FileLock,
    UnconfirmedWrite,
    atomic_write,
    ensure_private_dir,
    fsync_dir,
    lock_holder,
    quarantine_copy,
)
from cofacil.storage.session_files import (
    SessionPaths,
    journal_label,
    listed_session_ids,
    read_header,
    write_header,
)
from cofacil.storage.session_log import SessionLog, is_review
from cofacil.storage.vault import PLAIN, Codec, Undecryptable

DEBRIS_AGE = 600  # seconds: a temp file this old belongs to no save still running


class Store:
    def __init__(
        self,
        data_dir: Path,
        clock: Clock | None = None,
        codec: Codec = PLAIN,
        create: bool = True,
    ) -> None:
        """Open (with `create`, make) a data folder. One that cannot be written (a read-only
        copy or medium) opens for reading: review and export work, changes are refused."""
        self.data_dir = Path(data_dir)
        self.clock = clock or SystemClock()
        self.codec = codec
        self.notices: list[str] = []  # recoveries the user should hear about, once
        self._headers: dict[str, SessionHeader] = {}
        self._session_paths: dict[str, SessionPaths] = {}  # built once per session
        self._told: set[str] = set()
        check_folder(self.data_dir, create)
        self.read_only = self.data_dir.exists() and not writable(self.data_dir)
        self._refuse_a_wrong_key()
        self.db_path = self.data_dir / MAIN_DB
        self._lock = FileLock(self.data_dir / "cofacil.lock")
        self._memory: IndexContent | None = None  # the index, when the folder is read-only
        self._cached: tuple[tuple[int, int, int], IndexContent] | None = None
        if self.read_only:
            self._memory = index.mend(self.data_dir, codec, self.notices, write=False)
            return
        try:
            claim_folder(self.data_dir, self.notices)
            with self._lock:
                self._refuse_a_wrong_key()  # again: an `--encrypt` may have come in between
                if codec.encrypted and (self.data_dir / SEALING_FILE).exists():
                    seal_plain_files(
                        self.data_dir,
                        codec,
                        self._debris(),
                        self.notices,
                        self.db_path,  # type: ignore[arg-type]
                    )
                    (self.data_dir / SEALING_FILE).unlink()
                    fsync_dir(self.data_dir)
                self._sweep_debris()
                index.mend(self.data_dir, codec, self.notices, write=True)
        except OSError as error:
            raise StoreError(
                f"cannot open the data folder {self.data_dir} ({error.strerror or error}); "
                f"nothing was lost — {what_to_do(error)}, then try again"
            ) from None

    def _refuse_a_wrong_key(self) -> None:
        if is_encrypted(self.data_dir) != self.codec.encrypted:
            raise StoreError(
                f"{self.data_dir} is not an encrypted folder"
                if self.codec.encrypted
                else f"{self.data_dir} is encrypted: open it with its passphrase"
            )

    def refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyFolder(
                f"{what}: the data folder {self.data_dir} is read-only (it can be reviewed and "
                "exported, not changed)"
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

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    def session_paths(self, session_id: str) -> SessionPaths:
        paths = self._session_paths.get(session_id)
        if paths is None:
            paths = self._session_paths[session_id] = SessionPaths(self.sessions_dir, session_id)
        return paths

    # the index ----------------------------------------------------------------------------

    def _index(self) -> IndexContent:
        """The index as saved. Damage found after opening is an error naming the file (the
        next open mends it); opening is where damage is repaired and the user told."""
        if self._memory is not None:
            return self._memory
        try:
            info = self.db_path.stat()
        except FileNotFoundError:
            raise DamagedFile(
                f"{self.db_path} is missing: open cofacil again to rebuild it"
            ) from None
        # Read and checked again only when the file changed (another window may save): a
        # screen asks for groups and sessions many times between two saves.
        version = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cached is None or self._cached[0] != version:
            content = index.read_index(self.db_path, self.codec)
            if content is None:
                raise DamagedFile(f"{self.db_path} is missing: open cofacil again to rebuild it")
            self._cached = (version, content)
        return self._cached[1].copy()

    @contextmanager
    def _changing(self, what: str) -> Iterator[IndexContent]:
        """Read-modify-write of the index under the folder's lock: the file on disk is the old
        version or the new one, never a mix. An index damaged since opening is mended first (a
        save is never refused for it), and a session filed by another cofacil that did not reach
        the index (it was killed in between) is filed first, so no number is reused."""
        self.refuse_if_read_only(what)
        try:
            with self._lock:
                try:
                    content: IndexContent | None = self._index()
                except DamagedFile:
                    content = None  # damaged since opening: mended first, so the save is kept
                on_disk = listed_session_ids(self.sessions_dir)
                if content is None or any(i not in content.sessions for i in on_disk):
                    content = index.mend(self.data_dir, self.codec, self.notices, write=True)
                yield content
                index.write_index(self.db_path, content, self.codec, keep_backup=True)
        except UnconfirmedWrite as error:
            raise StoreError(
                f"saved, but the disk did not confirm it ({error.strerror}) — "
                "check the disk, then save again"
            ) from None
        except OSError as error:
            raise not_saved(error) from None

    # groups -------------------------------------------------------------------------------

    def groups(self, include_archived: bool = False) -> list[Group]:
        return [g for g in self._index().groups.values() if include_archived or not g.archived]

    def group(self, group_id: str) -> Group:
        found = self._index().groups.get(group_id)
        if found is None:
            raise NotFound(f"no group with id {group_id}")
        return found

    def save_group(self, group: Group) -> None:
        with self._changing(f"group {group.name} cannot be saved") as content:
            old = content.groups.get(group.id)
            if old is not None and {m.id for m in old.members} - {m.id for m in group.members}:
                raise StoreError("a member cannot be removed from a group (they are kept)")
            content.groups[group.id] = group

    # sessions -----------------------------------------------------------------------------

    def sessions(self, group_id: str | None = None) -> list[Session]:
        found = [s for s in self._index().sessions.values() if group_id in (None, s.group_id)]
        return sorted(found, key=lambda s: (s.date, s.number, s.created_at))

    def session(self, session_id: str) -> Session:
        found = self._index().sessions.get(session_id)
        if found is None:
            raise NotFound(f"no session with id {session_id}")
        return found

    def latest_session(self, group_id: str | None = None) -> Session:
        found = self.sessions(group_id)
        if not found:
            raise NotFound("there are no sessions yet")
        return max(found, key=lambda s: s.created_at)

    def save_session(self, session: Session) -> None:
        """File a session: the index, then its own header (a kill in between leaves a session
        the index knows, whose header the next open writes; its log comes only after both, so
        a session's files never exist without something that describes them). A number its
        group has already used is refused."""
        with self._changing(f"session {session.number} cannot be saved") as content:
            group = content.groups.get(session.group_id)
            if group is None:
                raise NotFound(f"no group with id {session.group_id}")
            twin = next(
                (
                    s
                    for s in content.sessions.values()
                    if s.group_id == session.group_id
                    and s.number == session.number
                    and s.id != session.id
                ),
                None,
            )
            if twin is not None:
                raise StoreError(
                    f"{group.name} already has a session {session.number}; nothing was saved"
                )
            content.sessions[session.id] = session
        header = self._header(session.id)
        if header is None or header.session != session:
            new = SessionHeader(session=session, group=header.group if header else group)
            try:
                write_header(self.session_paths(session.id), new, self.codec)
            except OSError as error:
                raise StoreError(
                    f"session {session.number} was saved, but its own description could not be "
                    f"({error.strerror or error}); it is written the next time cofacil opens"
                ) from None
            self._headers[session.id] = new

    def _header(self, session_id: str) -> SessionHeader | None:
        if session_id not in self._headers:
            paths = self.session_paths(session_id)
            try:
                found = read_header(paths, self.codec)
            except DamagedFile as damage:
                self._mend_header(paths, damage)
                return None
            if found is None:
                return None
            self._headers[session_id] = found
        return self._headers[session_id]

    def _mend_header(self, paths: SessionPaths, damage: DamagedFile) -> None:
        """A session's header that does not read back while the index is sound: kept aside
        and written again from the index, so the session still describes itself should the
        index be lost later."""
        if self.read_only:
            self._tell([f"{damage} (left as it is: the folder is read-only)"])
            return
        try:
            session = self._index().sessions.get(paths.session_id)
            with self._lock:
                kept = quarantine_copy(paths.header)
                if session is not None:
                    group = self._index().groups[session.group_id]
                    write_header(paths, SessionHeader(session=session, group=group), self.codec)
        except (OSError, StoreError):
            self._tell([f"{damage}; it could not be mended now (the index's copy is used)"])
            return
        self._tell([f"{damage}; a copy is kept as {kept.name}, and it was written again"])

    def people_of(self, session: Session) -> set[str]:
        """Who the session's events may name: its roster as recorded, and the facilitators.
        A header that disagrees with the index is not trusted over it: the index's group is
        what the screens name people by, so an id only the header knows must never reach them."""
        header = self._header(session.id)
        group = self._index().groups.get(session.group_id)
        indexed = {m.id for m in group.members} if group else set()
        if header is not None and header.session == session:
            return header.people() & (indexed | set(FACILITATORS))
        return indexed | set(FACILITATORS)

    # member notes -------------------------------------------------------------------------

    def member_note(self, session_id: str, member_id: str) -> MemberNote | None:
        return self._index().member_notes.get(f"{session_id}:{member_id}")

    def member_notes(self, session_id: str) -> list[MemberNote]:
        """Every member note saved for a session."""
        return [n for n in self._index().member_notes.values() if n.session_id == session_id]

    def save_member_note(self, note: MemberNote) -> None:
        with self._changing("the member note cannot be saved") as content:
            if note.session_id not in content.sessions:
                raise NotFound(f"no session with id {note.session_id}")
            content.member_notes[note.id] = note

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

    def redaction_key(self) -> bytes:
        """The folder's secret for redacted exports, made on first use: pseudonyms are keyed
        with it (HMAC), stable across this folder's exports, and cannot be worked out from a
        plain export by anyone without it. 0600, and sealed in an encrypted folder."""
        path = self.data_dir / REDACTION_KEY_FILE
        try:
            raw = self.codec.open_file(path.read_bytes(), REDACTION_KEY_LABEL)
            key = bytes.fromhex(raw.decode("ascii"))
            if len(key) != 32:
                raise ValueError("not 32 bytes")
            return key
        except FileNotFoundError:
            pass
        except (Undecryptable, ValueError, UnicodeDecodeError) as error:
            raise StoreError(
                f"{path} is damaged ({error}): redacted exports cannot be keyed; put back a "
                "copy from a backup of the folder (or remove it: pseudonyms then change)"
            ) from None
        key = os.urandom(32)
        sealed = self.codec.seal_file(key.hex().encode("ascii"), REDACTION_KEY_LABEL)
        try:
            atomic_write(path, sealed, keep_backup=False)
        except OSError as error:
            raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
        return key

    # exports ------------------------------------------------------------------------------

    def make_export_dir(self, path: Path) -> None:
        try:
            ensure_private_dir(Path(path))
        except OSError as error:
            raise StoreError(f"cannot use folder {path}: {error.strerror}") from None

    def write_export(self, path: Path, text: str | bytes) -> None:
        """An export file, 0600 like everything cofacil writes, replaced atomically. Never over
        cofacil's own files: inside the data folder only under `exports/`."""
        target, home = Path(path).resolve(), self.data_dir.resolve()
        if target.is_relative_to(home) and not target.is_relative_to(home / "exports"):
            raise StoreError(
                f"will not write {path}: it is inside the data folder (use {home / 'exports'})"
            )
        try:
            data = text.encode() if isinstance(text, str) else text
            atomic_write(Path(path), data, keep_backup=False)
        except OSError as error:
            raise StoreError(f"cannot write {path}: {error.strerror}") from None

    # event logs ---------------------------------------------------------------------------

    def write_log(self, session_id: str, events: list[EventBase]) -> None:
        """A whole log, for a filed session that has none yet (a session imported from
        another machine): its journal and checkpoint, each written atomically and fsynced.
        Refused if the session has any event already."""
        self.session(session_id)  # filed first: a log never exists without its session
        if self.read_events(session_id):
            raise StoreError("this session has a log already; nothing was written")
        paths = self.session_paths(session_id)
        try:
            data = journal.encode(events, self.codec, journal_label(session_id))
            atomic_write(paths.journal, data, keep_backup=False)
            mark = journal.mark_of(data)
            write_checkpoint(paths, self.codec, events, keep_backup=False, journal=mark)
        except OSError as error:
            raise StoreError(f"cannot write the session's log: {error.strerror or error}") from None

    def open_log(self, session_id: str, purpose: str = "") -> SessionLog:
        """Open a session's log for recording (`purpose`: see `SessionLog`). Refused while
        another process holds it."""
        return SessionLog(self, self.session(session_id), purpose)

    def being_recorded(self, session_id: str) -> bool:
        """Another cofacil is recording the session now (its lock is held, and not by a
        review)."""
        holder = lock_holder(self.session_paths(session_id).lock)
        return holder is not None and not is_review(holder)

    def log_version(self, session_id: str) -> tuple[int, int]:
        """Size and change time of a session's journal: a cheap "has anything been added?"
        for a window following the session, instead of re-reading the whole log."""
        try:
            info = self.session_paths(session_id).journal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (info.st_size, info.st_mtime_ns)

    def last_event(self, session_id: str) -> EventBase | None:
        """The last event recorded in a session, read cheaply (its journal's last line)."""
        paths = self.session_paths(session_id)
        return journal.read_last(paths.journal, self.codec, journal_label(session_id))

    def left_open_at(self, session_id: str, events: list[EventBase]) -> ClockReading | None:
        """For a session whose recording was cut short (killed, and not opened since): the
        recording's last sign of life, if later than its last event. The log reads up to it
        (a turn in progress then counts until then), as it will once the session is resumed.
        None while it is being recorded, once it has ended, or if there is no such sign."""
        last = events[-1] if events else None
        if last is None or any(e.type == "session_ended" for e in events):  # type: ignore[attr-defined]
            return None
        if self.being_recorded(session_id):
            return None
        try:
            alive = live_files.read_sign_of_life(self.session_paths(session_id), self.codec)
        except (DamagedFile, OSError):
            return None
        if alive is None or not alive.later_in_the_run_of(last):
            return None
        return alive

    def read_events(self, session_id: str) -> list[EventBase]:
        """Every event of a session, for review: works while another process records it."""
        session = self.session(session_id)
        said: list[str] = []
        try:
            events = read_events(
                self.session_paths(session_id), self.codec, self.people_of(session), said
            )
        except OSError as error:  # no permission, a folder in a file's place, the disk
            where = f" ({error.filename})" if error.filename else ""
            raise StoreError(
                f"cannot read session {session.number}'s log: {error.strerror or error}"
                f"{where}; its files are left as they are — {what_to_do(error)}"
            ) from None
        self._tell(said)
        return events

    def _tell(self, notices: list[str]) -> None:
        """Notices found while reading, each said once however often it is read again (a
        window following a session reads its log every second)."""
        for notice in notices:
            if notice not in self._told:
                self._told.add(notice)
                self.notices.append(notice)
