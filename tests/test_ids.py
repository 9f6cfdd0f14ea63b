"""Ids are data, never paths: every id field of every stored document, given a hostile value
(with a checksum that matches, as a faulty or hostile writer would leave it), is refused where
it is read; nothing is ever written outside the data folder, and nothing raises but a
`StoreError`."""

from __future__ import annotations

import contextlib
import json
import shutil
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import _add_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cofacil.clock import FakeClock
from cofacil.live import LiveSession
from cofacil.models import ID_PATTERN, MemberNote
from cofacil.storage import Store, StoreError
from cofacil.storage.ids import is_safe_id, path_inside
from cofacil.storage.tinydb_file import INTEGRITY, encode_tables

# Paths out of the folder, to places that exist (made by the test): what an attacker aims at.
TRAVERSALS = ["../../pwned", "../../../elsewhere/pwned", "..%2F..%2Fpwned"]
HOSTILE = [
    *TRAVERSALS,
    "..",
    ".",
    "",
    "a/b",
    "/etc/passwd",
    "sub\\dir",
    "x" * 65,
    "nul\x00byte",
    "new\nline",
    "-starts-with-dash",
    "spa ce",
    "é",
    "\x1b]52;c;SGVsbG8=\x07",
    "demo-theo.journal",
]
hostile_ids = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=70))

Doc = dict[str, Any]


def _tables(path: Path) -> Doc:
    doc = json.loads(path.read_bytes())
    doc.pop(INTEGRITY, None)
    return doc


def _first(table: Doc) -> Doc:
    return next(iter(table.values()))


def _rename(value: Any, old: str, new: str) -> Any:
    """`value` with the id `old` replaced by `new` everywhere, keys and member-note ids
    (`<session>:<member>`) included: a consistent document, as a hostile writer would make."""
    if isinstance(value, dict):
        return {_rename(k, old, new): _rename(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, old, new) for v in value]
    if isinstance(value, str) and old in value.split(":"):
        return ":".join(new if part == old else part for part in value.split(":"))
    return value


# Which id is renamed, in which file. `S` in a file name stands for the session's id; in an
# id, `G`, `S` and `E` for the group's, the session's and the first event's.
FIELDS: dict[str, tuple[str, str]] = {
    "group id in the index": ("cofacil.json", "G"),
    "member id in the index": ("cofacil.json", "m1"),
    "session id in the index": ("cofacil.json", "S"),
    "group id in the header": ("sessions/S.session", "G"),
    "member id in the header": ("sessions/S.session", "m1"),
    "session id in the header": ("sessions/S.session", "S"),
    "event id in the checkpoint": ("sessions/S.json", "E"),
    "member id in the checkpoint": ("sessions/S.json", "m1"),
}


def build(folder: Path) -> dict[str, str]:
    clock = FakeClock(datetime(2025, 3, 14, 18, 30, tzinfo=UTC))
    store = Store(folder, clock=clock)

    session = _add_session(store)
    live = LiveSession(store, session.id)
    live.speak("m1")
    live.observe("a note", about=["m2"], tags=[])
    live.close()
    store.save_member_note(
        MemberNote(
            id=f"{session.id}:m1",
            session_id=session.id,
            member_id="m1",
            data="settled",
            updated_at=clock.now(),
        )
    )
    first = store.read_events(session.id)[0]
    return {"G": session.group_id, "S": session.id, "E": first.id}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("base") / "data"
    return folder, build(folder)


def _outside(root: Path, data: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_relative_to(data)}


def _use_everything(folder: Path) -> None:
    """What the app and the command line do with a folder: list, review, record, export."""
    store = Store(folder, clock=FakeClock(datetime(2025, 3, 15, tzinfo=UTC)))
    for group in store.groups(include_archived=True):
        store.sessions(group.id)
    for session in store.sessions():
        store.read_events(session.id)
        store.member_note(session.id, "m1")
        live = LiveSession(store, session.id)
        for member in live.keys.values():
            live.speak(member)  # the room never meets an id it cannot name
            live.group.names()[member]
        live.close()


def _attack(template: Path, ids: dict[str, str], root: Path, field: str, value: str) -> None:
    """A copy of the folder deep in `root`, `value` put in `field`, used as the app would:
    nothing appears outside the folder, and the value never becomes a listed id."""
    if root.exists():
        shutil.rmtree(root)
    folder = root / "a" / "b" / "c" / "data"
    shutil.copytree(template, folder)
    (root / "a" / "b" / "elsewhere").mkdir()
    name, target = FIELDS[field]
    path = folder / name.replace("S", ids["S"], 1)
    path.write_bytes(encode_tables(_rename(_tables(path), ids.get(target, target), value)))
    before = _outside(root, folder)

    with contextlib.suppress(StoreError):  # a clear refusal is allowed; anything else fails
        _use_everything(folder)

    assert _outside(root, folder) == before
    if not is_safe_id(value):
        store = Store(folder)
        listed = {s.id for s in store.sessions()} | {g.id for g in store.groups(True)}
        assert value not in listed


@pytest.mark.parametrize("value", TRAVERSALS)
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_path_out_of_the_folder_in_any_id_field_is_refused(
    base: tuple[Path, dict[str, str]], tmp_path: Path, field: str, value: str
) -> None:
    _attack(*base, tmp_path / "root", field, value)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(sorted(FIELDS)), value=hostile_ids)
def test_any_text_in_any_id_field_is_refused_or_harmless(
    base: tuple[Path, dict[str, str]], tmp_path: Path, field: str, value: str
) -> None:
    _attack(*base, tmp_path / "root", field, value)


def test_a_hostile_id_in_a_journal_line_is_a_damaged_line(
    base: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    template, ids = base
    session_id = ids["S"]
    folder = tmp_path / "data"
    shutil.copytree(template, folder)
    journal = folder / "sessions" / f"{session_id}.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    body = json.loads(lines[1].split(b" ", 1)[1])
    body["speaker"] = "../../x"
    raw = json.dumps(body).encode()
    lines[1] = b"%08x %s\n" % (zlib.crc32(raw), raw)
    journal.write_bytes(b"".join(lines))
    store = Store(folder)
    assert "../../x" not in str([e.model_dump() for e in store.read_events(session_id)])
    with store.open_log(session_id) as log:
        assert all("../../x" not in e.people() for e in log.events)
    assert "line 2" in " ".join(store.notices)


def test_an_event_naming_someone_off_the_roster_marks_its_file_damaged(
    base: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """A well-formed id that is not on the roster the session was recorded with: the
    checkpoint holding it is damaged (kept aside), and the journal's copy is used."""
    template, ids = base
    session_id = ids["S"]
    folder = tmp_path / "data"
    shutil.copytree(template, folder)
    checkpoint = folder / "sessions" / f"{session_id}.json"
    tables = _tables(checkpoint)
    tables["events"]["2"]["speaker"] = "someone-else"
    checkpoint.write_bytes(encode_tables(tables))
    store = Store(folder)
    with store.open_log(session_id) as log:
        assert "someone-else" not in {p for e in log.events for p in e.people()}
    notice = " ".join(store.notices)
    assert "not on the session's roster" in notice
    assert any(".damaged-" in p.name for p in (folder / "sessions").iterdir())


@pytest.mark.parametrize("value", HOSTILE)
def test_a_path_is_built_from_a_well_formed_id_only(tmp_path: Path, value: str) -> None:
    from cofacil.storage import DamagedFile
    from cofacil.storage.session_files import SessionPaths

    with pytest.raises(DamagedFile):
        SessionPaths(tmp_path, value)
    if "/" in value or value in (".", ".."):
        with pytest.raises(DamagedFile):
            path_inside(tmp_path, value)


def test_the_id_pattern_allows_what_cofacil_makes() -> None:
    import re
    import uuid

    for made in (uuid.uuid4().hex, "demo-theo", "demo-group-past-3", "lead", "cofac", "m1"):
        assert re.fullmatch(ID_PATTERN, made)


def test_every_id_field_of_every_event_type_is_checked() -> None:
    """Events are checked by a quick path (their id, target and the people they name): a new
    id field on an event type must be one of those, or the quick path would miss it."""
    from cofacil.models import EVENT_TYPES, ID_MARK, PEOPLE_FIELDS, _id_paths

    for cls in EVENT_TYPES:
        fields = {
            name
            for name, info in cls.model_fields.items()
            if ID_MARK in info.metadata or _id_paths(info.annotation)
        }
        # A sign-off's frozen record (a group, a session, notes) is checked whole.
        assert fields <= {"id", "target", "record", *PEOPLE_FIELDS}, cls


def test_a_sign_off_whose_record_holds_an_ill_formed_id_does_not_read() -> None:
    from cofacil.models import Group, Session, SignedOff, SignedRecord
    from cofacil.storage.schema import event_problem, sound_log

    at = datetime(2026, 3, 5, 19, 0, tzinfo=UTC)
    group = Group(id="../../etc", name="Group", created_at=at)
    session = Session(group_id=group.id, number=1, date=at.date(), created_at=at)
    record = SignedRecord(group=group, session=session, quiet_seconds=600)
    event = SignedOff(seq=9, at=at, mono=1.0, epoch="e", name="Dr. R", record=record)
    assert event_problem(event, None) == "'../../etc' is not a well-formed id"
    assert not sound_log([event], None)
