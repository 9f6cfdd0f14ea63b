"""The index, `cofacil.json`: groups, the sessions' set-up, member notes. It can always be
derived: every session also describes itself in its own header (session_files.py), so when the
index is damaged, missing, or older than a session file, it is rebuilt from `sessions/` plus its
last good copy (`cofacil.json.bak`), and a notice names what was rebuilt.

Groups keep their latest version from the index (or its last good copy); what only the sessions
knew (a session, a group, members added since) comes back from the sessions' headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cofacil.models import (
    MAX_MEMBERS,
    ROSTER_MAX,
    SEAT_KEYS,
    Group,
    MemberNote,
    Session,
    SessionHeader,
)
from cofacil.storage.errors import DamagedFile
from cofacil.storage.safefile import backup_path, quarantine_copy
from cofacil.storage.schema import validate
from cofacil.storage.session_files import (
    SessionPaths,
    journaled_session_ids,
    listed_session_ids,
    read_header,
    write_header,
)
from cofacil.storage.tinydb_file import AtomicJSONStorage
from cofacil.storage.vault import PLAIN, Codec

MAIN_DB = "cofacil.json"
MAIN_TABLES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("groups", Group),
    ("sessions", Session),
    ("member_notes", MemberNote),
)
INDEX_TABLES = frozenset(name for name, _ in MAIN_TABLES)


def index_storage(path: Path, codec: Codec = PLAIN) -> AtomicJSONStorage:
    return AtomicJSONStorage(path, codec, "main", INDEX_TABLES)


@dataclass
class IndexContent:
    """What an index holds, validated, each table by id."""

    groups: dict[str, Group] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    member_notes: dict[str, MemberNote] = field(default_factory=dict)

    def copy(self) -> IndexContent:
        """One to change without changing this one (the documents themselves are frozen)."""
        return IndexContent(dict(self.groups), dict(self.sessions), dict(self.member_notes))

    def tables(self) -> dict[str, dict[str, Any]]:
        """As TinyDB tables (documents under 1, 2, …), for writing."""
        return {
            name: {
                str(n): doc.model_dump(mode="json")
                for n, doc in enumerate(getattr(self, name).values(), start=1)
            }
            for name, _ in MAIN_TABLES
        }


def parse_index(data: dict[str, dict[str, Any]] | None, path: Path) -> IndexContent:
    """Every document against its model, and every cross-reference: a session's group, the
    members its seats and attendance name, a member note's session. `DamagedFile` otherwise."""
    content = IndexContent()
    for table, model in MAIN_TABLES:
        found: dict[str, Any] = getattr(content, table)
        for doc_id, doc in (data or {}).get(table, {}).items():
            item = validate(model, doc, f"{path}: {table} document {doc_id}")
            if item.id in found:  # type: ignore[attr-defined]
                raise DamagedFile(f"{path}: {table} document {doc_id}: its id appears twice")
            found[item.id] = item  # type: ignore[attr-defined]
    for session in content.sessions.values():
        group = content.groups.get(session.group_id)
        if group is None:
            raise DamagedFile(f"{path}: session {session.number} names a group it does not hold")
        roster = {m.id for m in group.members}
        if any(m not in roster for m in (*session.seats, *session.attendance)):
            raise DamagedFile(
                f"{path}: session {session.number} names a member who is not on its roster"
            )
    for note in content.member_notes.values():
        if note.session_id not in content.sessions:
            raise DamagedFile(f"{path}: a member note names a session it does not hold")
    return content


def read_index(path: Path, codec: Codec = PLAIN) -> IndexContent | None:
    """The index at `path` (or its last good copy), None if there is none."""
    data = index_storage(path, codec).read()
    return None if data is None else parse_index(data, path)


def write_index(path: Path, content: IndexContent, codec: Codec, keep_backup: bool) -> None:
    index_storage(path, codec).write(content.tables(), keep_backup)


@dataclass
class CameBack:
    """What a rebuild brought back from the sessions' own files, to be told in one line."""

    sessions: dict[str, list[int]] = field(default_factory=dict)  # group id -> numbers
    groups: dict[str, int] = field(default_factory=dict)  # group id -> the session it is from
    members: list[tuple[str, str]] = field(default_factory=list)  # (name, group id)

    def __bool__(self) -> bool:
        return bool(self.sessions)

    def words(self, content: IndexContent) -> str:
        def name(group_id: str) -> str:
            return repr(content.groups[group_id].name)

        told = []
        for group_id, numbers in self.sessions.items():
            shown = [str(n) for n in sorted(numbers)]
            listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
            plural = "s" if len(shown) > 1 else ""
            told.append(f"session{plural} {listed} of {name(group_id)}")
            if group_id in self.groups:
                told.append(f"the group itself, as its session {self.groups[group_id]} knew it")
        told += [f"{member!r} on the roster of {name(g)}" for member, g in self.members]
        return "; ".join(told)


def add_session(content: IndexContent, header: SessionHeader, came_back: CameBack) -> None:
    """File a session from its own header, noting in `came_back` what it brought back."""
    session, snapshot = header.session, header.group
    group = content.groups.get(session.group_id)
    if group is None:
        content.groups[snapshot.id] = snapshot
        came_back.groups[snapshot.id] = session.number
    else:
        merged, added = merge_roster(group, snapshot)
        content.groups[group.id] = merged
        came_back.members += [(name, group.id) for name in added]
    content.sessions[session.id] = session
    came_back.sessions.setdefault(session.group_id, []).append(session.number)


def merge_roster(group: Group, snapshot: Group) -> tuple[Group, list[str]]:
    """`group` as the index has it, with the members only `snapshot` (a session's roster) knew
    added. They keep their seat and key where those are free, else take the next ones, or join
    as having left the group when every key is taken."""
    known = {m.id for m in group.members}
    missing = [m for m in snapshot.seated() if m.id not in known]
    if not missing:
        return group, []
    members = list(group.members)
    names = {m.name.casefold() for m in members}
    for member in missing:
        seats = {m.seat for m in members}
        keys = {m.hotkey for m in members if m.active}
        active = [m for m in members if m.active]
        seat = member.seat if member.seat not in seats else max(seats, default=0) + 1
        if seat > ROSTER_MAX:
            continue  # the roster is full: the session's own header still names them
        free = [k for k in SEAT_KEYS if k not in keys]
        keep_active = member.active and len(active) < MAX_MEMBERS and bool(free)
        hotkey = (member.hotkey if member.hotkey in free else free[0]) if keep_active else ""
        name = member.name
        if name.casefold() in names:  # two display names may not clash: say which is which
            name = f"{name[:30]} ({member.id[:6]})"
        names.add(name.casefold())
        members.append(
            member.model_copy(
                update={"seat": seat, "hotkey": hotkey, "active": keep_active, "name": name}
            )
        )
    try:
        merged = Group.model_validate({**group.model_dump(), "members": members})
    except ValidationError:
        return group, []
    return merged, [m.name for m in merged.members if m.id not in known]


def mend(data_dir: Path, codec: Codec, notices: list[str], write: bool) -> IndexContent:
    """The index as it should be: read, checked, and rebuilt when it is damaged, missing or
    older than a session's own files. With `write`, damaged files are copied aside and the
    rebuilt index is saved; without (a read-only folder), the rebuild lives in memory only."""
    path = data_dir / MAIN_DB
    bak = backup_path(path)
    sessions_dir = data_dir / "sessions"

    def set_aside(damage: DamagedFile, damaged: Path, move: bool = False) -> None:
        if not write:
            notices.append(f"{damage} (left as it is: the folder is read-only)")
            return
        kept = quarantine_copy(damaged)
        if move:  # nothing replaces it: the copy is the one kept (a link was moved already)
            damaged.unlink(missing_ok=True)
        notices.append(f"{damage}; a copy is kept as {kept.name}")

    content: IndexContent | None = None
    sources: list[str] = []
    try:
        content = read_index(path, codec)
    except DamagedFile as damage:
        set_aside(damage, path)
    index_sound = content is not None
    if content is None and bak.exists():
        try:
            content = read_index(bak, codec)
            sources.append(f"its last good copy ({bak.name})")
        except DamagedFile as damage:
            set_aside(DamagedFile(f"the last good copy is damaged too ({damage})"), bak)
    content = content or IndexContent()

    headers: list[SessionHeader] = []
    for session_id in listed_session_ids(sessions_dir):
        if session_id in content.sessions:
            continue
        paths = SessionPaths(sessions_dir, session_id)
        try:
            header = read_header(paths, codec)
        except DamagedFile as damage:
            set_aside(damage, paths.header, move=True)
            continue
        if header is not None:
            headers.append(header)
    came_back = CameBack()
    # Newest first: a group that only the sessions know takes its latest roster and name.
    for header in sorted(headers, key=lambda h: h.session.created_at, reverse=True):
        add_session(content, header, came_back)
    if came_back:
        sources.append("the sessions' own files")

    if write:
        # A session the index knows but whose files do not describe it (filed before headers
        # existed): its header is written now, so it never depends on the index again.
        for session in content.sessions.values():
            paths = SessionPaths(sessions_dir, session.id)
            if not paths.header.exists():
                group = content.groups[session.group_id]
                write_header(paths, SessionHeader(session=session, group=group), codec)

    for session_id in journaled_session_ids(sessions_dir):
        if session_id not in content.sessions:
            notices.append(
                f"sessions/{session_id}: its events are kept, but no file says which group or "
                "session they belong to"
            )

    new_folder = not path.exists() and not bak.exists() and not came_back
    if index_sound and not came_back:
        return content
    saved = "" if write else " (in memory only: the folder is read-only)"
    if not came_back and sources:
        notices.append(f"restored the last good copy from {bak.name}{saved}")
    elif not new_folder:
        what = came_back.words(content) or "there was no session to bring back"
        where = " and ".join(sources) or "nothing (no last good copy, no session files)"
        notices.append(f"rebuilt {path.name} from {where}{saved}: {what}")
    if write:
        write_index(path, content, codec, keep_backup=index_sound)
    return content
