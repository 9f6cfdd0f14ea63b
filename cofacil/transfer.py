"""Sessions moving between machines: a json export read into another data folder. UI-free.

The co-facilitator records on the tablet; the lead therapist reviews at their own desk. The
json export holds everything (the group, the session, every event, the member notes), so it is
also the transfer file. Importing it:

- the identical session is there already: nothing to do, and that is said;
- a session with the same id but other content is there: refused, nothing changed;
- a signed session must still match its digest (`cofacil.record`), and stays signed: locked,
  only addenda may follow, its record frozen as signed;
- everything in the file is checked as the store checks its own files (ids that are never
  paths, everyone an event names on the roster, one event per place in the log) before
  anything is written.

The group is taken as the file has it when this folder does not know it; when it does, the
folder's own group stays, with any member only the file knows added.

`export --seal` writes the file sealed with a passphrase of its own (the vault's scrypt and
AES-256-GCM); `import` asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from cofacil import export, record
from cofacil.models import FACILITATORS, EventBase, Group, MemberNote, Session, ill_formed_ids
from cofacil.storage import Store, StoreError
from cofacil.storage.index import merge_roster
from cofacil.storage.schema import event_problem

# A sealed transfer file: the vault's format (scrypt and AES-256-GCM), under its own
# passphrase, so a session can travel on a USB stick or by mail without being readable.
SEALED_LABEL = "cofacil transfer"


def seal(text: str, passphrase: str) -> bytes:
    """A json export sealed with `passphrase` (at least the vault's minimum length)."""
    from cofacil.storage.vault import VaultError, new_vault

    try:
        return new_vault(passphrase).seal_file(text.encode("utf-8"), SEALED_LABEL)
    except VaultError as error:
        raise StoreError(str(error)) from None


def is_sealed(raw: bytes) -> bool:
    from cofacil.storage.vault import MAGIC

    return raw.startswith(MAGIC + b" ")


def unseal(raw: bytes, passphrase: str, where: str) -> str:
    from cofacil.storage.vault import KdfParams, Undecryptable, Vault, split_header

    try:
        params = KdfParams.parse(split_header(raw)[0])
        data = Vault(params, params.derive(passphrase)).open_file(raw, SEALED_LABEL)
        return data.decode("utf-8")
    except (Undecryptable, UnicodeDecodeError):
        raise StoreError(
            f"{where}: wrong passphrase, or the file was damaged or altered; nothing imported"
        ) from None


@dataclass(frozen=True)
class Imported:
    group: Group
    session: Session
    events: int
    already_here: bool  # the identical session was there: nothing was written


def read_transfer(
    text: str, where: str
) -> tuple[Group, Session, list[EventBase], list[MemberNote]]:
    """The parts of a json export, checked whole. `StoreError` naming `where` otherwise."""
    try:
        parsed = export.SessionExport.model_validate_json(text)
        group, session, events = parsed.group, parsed.session, parsed.parsed_events()
    except (ValidationError, ValueError) as error:
        reason = str(error).splitlines()[0]
        raise StoreError(f"{where}: not a cofacil session export ({reason})") from None
    notes = list(parsed.member_notes)
    problems = [*ill_formed_ids(group), *ill_formed_ids(session)]
    problems += [bad for note in notes for bad in ill_formed_ids(note)]
    if problems:
        raise StoreError(f"{where}: {problems[0]} is not a well-formed id; nothing imported")
    if session.group_id != group.id:
        raise StoreError(f"{where}: the session is not of the group in the file")
    people = {m.id for m in group.members} | set(FACILITATORS)
    for event in events:
        if problem := event_problem(event, people):
            raise StoreError(f"{where}: event {event.seq}: {problem}; nothing imported")
    if getattr(parsed, "private_left_out", 0):
        raise StoreError(
            f"{where}: its #private notes were left out, so it is not the whole session; "
            "export it with --include-private to move it"
        )
    if [e.seq for e in events] != list(range(len(events))):
        raise StoreError(f"{where}: the events are not one to each place of the log")
    if len({e.id for e in events}) != len(events):
        raise StoreError(f"{where}: one event appears twice; nothing imported")
    if sum(e.type == "signed_off" for e in events) > 1:  # type: ignore[attr-defined]
        raise StoreError(f"{where}: the session is signed off twice; nothing imported")
    if any(n.session_id != session.id or n.member_id not in people for n in notes):
        raise StoreError(f"{where}: a member note is not of this session's members")
    verdict = record.verify(events)
    if verdict.redacted:
        raise StoreError(f"{where}: a redacted copy cannot be imported (its names are gone)")
    if verdict.checked and not verdict.holds:
        raise StoreError(
            f"{where}: the signed record does not match its digest (changed after sign-off); "
            "nothing imported"
        )
    return group, session, events, notes


def _same(a: list[EventBase], b: list[EventBase]) -> bool:
    return [e.model_dump(mode="json") for e in a] == [e.model_dump(mode="json") for e in b]


def import_session(store: Store, text: str, where: str) -> Imported:
    group, session, events, notes = read_transfer(text, where)
    known = {s.id for s in store.sessions()}
    if session.id in known:
        here = store.read_events(session.id)
        # An empty log with the same set-up: an import cut short before its log was written.
        same = store.session(session.id) == session and (not here or _same(here, events))
        if not same:
            raise StoreError(
                f"{where}: this folder has session {session.number} with the same id and "
                "different content; nothing was changed"
            )
        if here:
            return Imported(store.group(session.group_id), session, len(events), True)
    local = next((g for g in store.groups(include_archived=True) if g.id == group.id), None)
    if local is None:
        store.save_group(group)
    else:
        merged, added = merge_roster(local, group)
        if added:
            store.save_group(merged)
    if session.id not in known:
        store.save_session(session)
    store.write_log(session.id, events)
    for note in notes:
        store.save_member_note(note)
    return Imported(store.group(group.id), session, len(events), False)
