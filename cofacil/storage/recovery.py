"""Reading a session's log back, and mending what a crash or damage left in it.

The journal is the durable copy (every event fsynced as it is recorded); the checkpoint is a
TinyDB copy written on open and close. Reading takes the union of both by sequence number; the
journal wins a clash (its lines are checksummed one by one). A damaged file is copied aside
before anything replaces it, and what can be recovered is: the journal, the checkpoint, the
checkpoint's last good copy.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cofacil.collector import collector_paused
from cofacil.models import EventBase, parse_events
from cofacil.storage import journal
from cofacil.storage.errors import DamagedFile, NewerSchema, StoreError
from cofacil.storage.safefile import atomic_write, backup_path, quarantine_copy
from cofacil.storage.schema import (
    SCHEMA_VERSION,
    newer_schema_message,
    sound_log,
    validate_event,
)
from cofacil.storage.session_files import (
    CHECKPOINT_TABLES,
    SessionPaths,
    checkpoint_label,
    journal_label,
)
from cofacil.storage.tinydb_file import (
    AtomicJSONStorage,
    JournalMark,
    open_db,
    peek_journal_mark,
    peek_table,
    sealed_without_vault,
)
from cofacil.storage.vault import Codec


def read_journal(paths: SessionPaths, codec: Codec, people: set[str] | None) -> journal.JournalRead:
    read = journal.read(paths.journal, codec, journal_label(paths.session_id), people)
    if read.sealed:
        raise StoreError(sealed_without_vault(paths.journal))
    if read.newer:
        line, version = read.newer[0]
        raise NewerSchema(newer_schema_message(f"{paths.journal}: line {line}", version))
    return read


def read_checkpoint(
    path: Path,
    codec: Codec,
    session_id: str,
    people: set[str] | None,
    tolerate_damage: bool = False,
) -> list[EventBase]:
    """The events of a checkpoint (`path`: the file or its last good copy)."""
    try:
        storage = AtomicJSONStorage(path, codec, checkpoint_label(session_id), CHECKPOINT_TABLES)
        # The file's own checks (checksum, tables) as TinyDB's reading makes them; then every
        # document at once, as a journal is read whole.
        tables = storage.read()
        whole = _read_whole(tables.get("events", {}) if tables else {}, people)
        if whole is not None:
            return whole
        db = open_db(path, codec, checkpoint_label(session_id), CHECKPOINT_TABLES)
        events = []
        for doc in db.table("events").all():
            where = f"{path}: event document {doc.doc_id}"
            event = validate_event(doc, where, people)
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


def _read_whole(documents: dict[str, Any], people: set[str] | None) -> list[EventBase] | None:
    """The events of a checkpoint's table, validated in one call, when every document reads
    as `read_checkpoint` takes it one by one (at this version: nothing to migrate; each filed
    under its own seq; no id twice). None at the first doubt: the reading one by one then
    finds the document at fault and says why."""
    docs = list(documents.values())
    if not all(type(doc.get("v", 0)) is int and doc.get("v") == SCHEMA_VERSION for doc in docs):
        return None
    try:
        events = parse_events(docs)
    except (ValueError, ValidationError, RecursionError):
        return None
    if len(events) != len(docs) or not sound_log(events, people):
        return None
    # TinyDB's document ids: `int` of each key, in the table's order.
    if [event.seq + 1 for event in events] != [int(key) for key in documents]:
        return None
    if len({event.id for event in events}) != len(events):
        return None
    return events


def _in_order(events: list[EventBase]) -> list[EventBase]:
    return sorted(events, key=attrgetter("seq"))


def merge(*sources: list[EventBase]) -> list[EventBase]:
    """Union by sequence number. Later sources win a clash (the checksummed journal is last)."""
    by_seq: dict[int, EventBase] = {}
    for events in sources:
        for event in events:
            by_seq[event.seq] = event
    return [by_seq[seq] for seq in sorted(by_seq)]


def _checkpoint_adds_nothing(paths: SessionPaths, codec: Codec, read: journal.JournalRead) -> bool:
    """The journal read whole, and the checkpoint holds no event it does not (nor one from a
    newer cofacil, which is refused): the journal wins every clash, so the checkpoint would
    change nothing, and its events need not be checked one by one again (most of the time a
    review takes to open a long session)."""
    if read.damaged:
        return False
    label = checkpoint_label(paths.session_id)
    # Every event of a checkpoint was in the journal's first bytes when it was written, as
    # its mark says (`write_checkpoint`): a journal that reads whole and still starts with
    # those very bytes holds them all, and the checkpoint need not even be parsed. A journal
    # cut, rebuilt or changed since, or a mark that is missing or changed, takes the peek.
    mark = peek_journal_mark(paths.checkpoint, codec, label)
    if mark is not None and read.good_length >= mark[0] and read.mark(mark[0]) == mark:
        return True
    documents = peek_table(paths.checkpoint, codec, label, "events")
    if documents is None:
        return False
    seqs = [event.seq for event in read.events]
    # A document's id is its seq + 1; a journal's seqs are most often 0, 1, 2, … in order.
    n = len(seqs)
    have = set(map(str, range(1, n + 1) if seqs == list(range(n)) else (s + 1 for s in seqs)))
    return documents.keys() <= have and all(
        type(v := doc.get("v", 0)) is int and v <= SCHEMA_VERSION for doc in documents.values()
    )


@collector_paused()  # every event made lives on with the log
def read_events(
    paths: SessionPaths, codec: Codec, people: set[str] | None, notices: list[str]
) -> list[EventBase]:
    """Every event of a session without changing a file (review, export, a follower). Lines
    of the journal that do not read are said in `notices` (the events they held are shown
    from the checkpoint where it has them); they are mended when the session is next opened
    for recording."""
    # Journal first: a checkpoint that lands in between is then still seen in the file.
    from_journal = read_journal(paths, codec, people)
    if _checkpoint_adds_nothing(paths, codec, from_journal):
        from_file: list[EventBase] = []
    else:
        from_file = read_checkpoint(
            paths.checkpoint, codec, paths.session_id, people, tolerate_damage=True
        )
    # A journal's events each have a seq of their own (its reading keeps the first): with
    # nothing from the checkpoint, the union is those events in order.
    events = merge(from_file, from_journal.events) if from_file else _in_order(from_journal.events)
    if from_journal.bad_lines:
        have = {e.seq for e in from_file}
        unseen = len(from_journal.bad_lines) - len(have - {e.seq for e in from_journal.events})
        lost = f"; {unseen} event(s) cannot be shown" if unseen > 0 else ""
        notices.append(
            f"{paths.journal.name}: {from_journal.problems()}{lost}; it is mended "
            "(a copy kept) when the session is next opened for recording"
        )
    return events


def write_checkpoint(
    paths: SessionPaths,
    codec: Codec,
    events: list[EventBase],
    keep_backup: bool = True,
    journal: JournalMark | None = None,
) -> None:
    """`journal`: given only by a caller that knows the journal's bytes it marks (length and
    SHA-256) hold every one of `events` (it wrote or read them there); kept in the file, so
    that a review reading a journal that starts with those bytes skips the checkpoint."""
    data = {"events": {str(e.seq + 1): e.model_dump(mode="json") for e in events}}
    label = checkpoint_label(paths.session_id)
    storage = AtomicJSONStorage(paths.checkpoint, codec, label, CHECKPOINT_TABLES)
    storage.write(data, keep_backup, journal=journal)


@collector_paused()  # every event made lives on with the log
def recover_log(
    paths: SessionPaths, codec: Codec, people: set[str] | None, notices: list[str]
) -> list[EventBase]:
    """Load checkpoint and journal, mend what a crash or damage left, and checkpoint."""
    sid = paths.session_id
    read = read_journal(paths, codec, people)  # first: a newer one stays as is
    bak = backup_path(paths.checkpoint)
    checkpoint_damaged = False
    try:
        if paths.checkpoint.exists() or not bak.exists():
            checkpoint = read_checkpoint(paths.checkpoint, codec, sid, people)
        else:  # a run killed while mending (older versions moved a damaged one away)
            try:
                checkpoint = read_checkpoint(bak, codec, sid, people)
            except DamagedFile as damage:
                kept = quarantine_copy(bak)
                notices.append(f"{damage}; a copy is kept as {kept.name}")
                checkpoint = []
    except DamagedFile as damage:
        checkpoint_damaged = True
        # The last good copy first: if a newer cofacil wrote it, refuse before any change.
        try:
            checkpoint = read_checkpoint(bak, codec, sid, people) if bak.exists() else []
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
    events = merge(checkpoint, read.events)
    if read.damaged:
        kept = quarantine_copy(paths.journal)
        notices.append(
            f"{paths.journal.name}: {read.problems()}; a copy is kept as "
            f"{kept.name} and the journal was rebuilt"
        )
    # The journal's bytes holding every one of `events`: as read (whole, and none missing),
    # or as rebuilt.
    mark = read.mark()
    if read.damaged or len(read.events) != len(events):
        rebuilt = journal.encode(events, codec, journal_label(sid))
        atomic_write(paths.journal, rebuilt, keep_backup=False)
        mark = journal.mark_of(rebuilt)
    if checkpoint_damaged:
        # Not keeping a backup: it would keep the damaged file as the last good copy.
        write_checkpoint(paths, codec, events, keep_backup=False, journal=mark)
    elif [e.id for e in checkpoint] != [e.id for e in events]:
        write_checkpoint(paths, codec, events, journal=mark)
    return events
