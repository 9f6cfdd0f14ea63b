"""The store keeps every acknowledged event, refuses what it cannot read back, survives damaged
files by moving them aside and recovering, refuses newer schemas untouched, and keeps the data
private. (Real crashes, kill -9 and a second process: test_store_crash.py.)"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import tempfile
import types
import typing
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from annotated_types import Ge, MaxLen, MinLen
from conftest import record_notes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, ValidationError

from cofacil.clock import FakeClock
from cofacil.models import (
    EVENT_TYPES,
    ID_MARK,
    SCHEMA_VERSION,
    EventBase,
    Group,
    Member,
    Paused,
    Session,
    SessionStarted,
    SignedOff,
    SignedRecord,
    TurnStarted,
)
from cofacil.storage import (
    DamagedFile,
    NewerSchema,
    SessionLocked,
    Store,
    StoreError,
    journal,
)
from cofacil.storage.tinydb_file import INTEGRITY, encode_tables

MakeSession = Callable[[Store], Session]
START = datetime(2025, 3, 14, 18, 30, tzinfo=UTC)

# --- strategies: every field of every event type, from its annotation ---------------------------

MARKUP = [
    "[bold]Ann[/]",
    "[/]",
    "[red",
    "\x1b[31mred\x1b[0m",
    "a\nb\r\n",
    "\x00",
    "\u2028",
    "é́🌱李",
]
CHARS = st.one_of(
    st.characters(codec="utf-8"), st.sampled_from("[]/\\\"'\n\r\t\x00\x07\x1b\x7f\x9b\u2028")
)


def texts(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    fits = [t for t in MARKUP if min_size <= len(t) <= max_size]
    return st.one_of(st.text(CHARS, min_size=min_size, max_size=max_size), st.sampled_from(fits))


# Whole-minute UTC offsets: JSON keeps only hours and minutes (see test_refused_events).
AWARE = st.datetimes(
    timezones=st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
)


def _signed_record() -> SignedRecord:
    """A sign-off's frozen record, of the test session's roster."""
    members = [
        Member(id=m, name=m.upper(), seat=i, hotkey=str(i)) for i, m in enumerate(PEOPLE[:3], 1)
    ]
    group = Group(id="g1", name="Tuesday group", members=members, created_at=START)
    session = Session(
        id="s1",
        group_id="g1",
        number=1,
        date=START.date(),
        seats=list(PEOPLE[:3]),
        created_at=START,
    )
    return SignedRecord(
        group=group, session=session, cards={"support": "Support"}, quiet_seconds=600
    )


def strategy_for(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """A strategy for one model field; an annotation it does not know is an error, so a new
    event type or field cannot slip past the round-trip tests."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *extra = typing.get_args(annotation)
        more = [m for e in extra for m in getattr(e, "metadata", [e])]
        return strategy_for(inner, [*metadata, *more])
    if origin is Literal:
        return st.sampled_from(typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return st.none() | strategy_for(inner, metadata)
    if origin is list:
        (inner,) = typing.get_args(annotation)
        return st.lists(strategy_for(inner, []), max_size=4)
    lows = [m.min_length for m in metadata if isinstance(m, MinLen)]
    highs = [m.max_length for m in metadata if isinstance(m, MaxLen)]
    if annotation is SignedRecord:  # a whole group and session: one valid one is enough
        return st.just(_signed_record())
    if annotation is str and (
        patterns := [m.pattern for m in metadata if getattr(m, "pattern", None)]
    ):
        return st.from_regex(patterns[0], fullmatch=True)
    if annotation is str and ID_MARK in metadata:
        return st.sampled_from(PEOPLE)  # an id: someone on the test session's roster
    if annotation is str:
        low = max(lows, default=0)
        return texts(low, max(low, min([*highs, 60])))
    if annotation is int:
        return st.integers(min_value=max([m.ge for m in metadata if isinstance(m, Ge)], default=0))
    if annotation is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if annotation is bool:
        return st.booleans()
    if annotation is AwareDatetime:
        return AWARE
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a nested reading
        fields = annotation.model_fields.items()
        return st.builds(
            annotation, **{name: strategy_for(f.annotation, f.metadata) for name, f in fields}
        )
    raise TypeError(f"no strategy for a field of type {annotation!r}: add one")


CLOCK_FIELDS = ("at", "mono", "epoch")
PEOPLE = ("m1", "m2", "m3", "lead", "cofac")  # the roster of `make_session`, and the facilitators


def _valid(cls: type[EventBase], fields: dict[str, Any]) -> bool:
    clock = {"at": START, "mono": 0.0, "epoch": "e"}
    try:
        cls(seq=0, **{**clock, **fields})
    except ValidationError:
        return False  # e.g. a Correction that amends nothing
    return True


def event_fields(cls: type[EventBase], with_clock: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for `cls`: what `record` takes, or (with_clock) all but `seq`."""
    # Ids are left to the model: the store refuses an id already in the log.
    skip = {"v", "type", "seq", "id", *(() if with_clock else CLOCK_FIELDS)}
    required, optional = {}, {}
    for name, info in cls.model_fields.items():
        if name not in skip:
            target = required if info.is_required() else optional
            target[name] = strategy_for(info.annotation, list(info.metadata))
    return st.fixed_dictionaries(required, optional=optional).filter(lambda f: _valid(cls, f))


@st.composite
def event_batches(draw: st.DrawFn, with_clock: bool) -> list[tuple[type[EventBase], dict]]:
    """Every event type at least once, a few more at random, in a random order."""
    batch = [(cls, draw(event_fields(cls, with_clock))) for cls in EVENT_TYPES]
    extra = st.sampled_from(EVENT_TYPES).flatmap(
        lambda cls: event_fields(cls, with_clock).map(lambda f: (cls, f))
    )
    batch += draw(st.lists(extra, max_size=6))
    # A sign-off locks the record (only addenda follow), so it comes last, once.
    signed = [item for item in batch if item[0] is SignedOff][:1]
    rest = [item for item in batch if item[0] is not SignedOff]
    return [*draw(st.permutations(rest)), *signed]


ROUND_TRIP = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- helpers -----------------------------------------------------------------------------------


def damaged_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.damaged-*"))


def record_some(store: Store, session: Session, count: int) -> list[EventBase]:
    return record_notes(store, session, count, text="note {seq} [bold]Ann[/]")


def checkpoint_path(store: Store, session: Session) -> Path:
    return store.sessions_dir / f"{session.id}.json"


def journal_path(store: Store, session: Session) -> Path:
    return store.sessions_dir / f"{session.id}.journal"


def checkpoint_events(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())["events"]


def reopen(store: Store) -> Store:
    return Store(store.data_dir, clock=store.clock)


# --- round trips -------------------------------------------------------------------------------


@ROUND_TRIP
@given(batch=event_batches(with_clock=False), steps=st.lists(st.floats(0, 86_400), min_size=1))
def test_recorded_events_read_back_equal(
    make_session: MakeSession, batch: list[tuple[type[EventBase], dict]], steps: list[float]
) -> None:
    """Every event type, with any text (markup, control characters, unicode), recorded and
    acknowledged, reads back equal: while the log is open (review in another window) and after
    closing and reopening it."""
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START)
        store = Store(Path(tmp) / "data", clock=clock)
        session = make_session(store)
        with store.open_log(session.id) as log:
            recorded = []
            for i, (cls, fields) in enumerate(batch):
                clock.advance(steps[i % len(steps)])
                event = log.record(cls, **fields)
                assert (type(event), event.seq) == (cls, i)
                assert {name: getattr(event, name) for name in fields} == fields
                recorded.append(event)
            assert store.read_events(session.id) == recorded
            assert Store(store.data_dir).read_events(session.id) == recorded
        again = reopen(store)
        with again.open_log(session.id) as log:
            assert log.events == recorded
        assert again.read_events(session.id) == recorded
        assert again.notices == []


@ROUND_TRIP
@given(batch=event_batches(with_clock=True))
def test_appended_events_read_back_equal(
    make_session: MakeSession, batch: list[tuple[type[EventBase], dict]]
) -> None:
    """Ready-made events (import, demo) with any clock readings read back equal, the reader
    seeing each one as soon as `append` returns."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data", clock=FakeClock(START))
        session = make_session(store)
        events = [cls(seq=i, **fields) for i, (cls, fields) in enumerate(batch)]
        with store.open_log(session.id) as log:
            for i, event in enumerate(events):
                log.append(event)
                assert store.read_events(session.id) == events[: i + 1]
        with reopen(store).open_log(session.id) as log:
            assert log.events == events


def test_events_continue_after_reopening(store: Store, session: Session) -> None:
    """Reopening a log carries on numbering after its last event."""
    first = record_some(store, session, 3)
    with reopen(store).open_log(session.id) as log:
        assert log.events == first
        assert log.record(Paused).seq == 3
    assert [e.seq for e in store.read_events(session.id)] == [0, 1, 2, 3]


def test_append_refuses_a_seq_out_of_order(store: Store, session: Session) -> None:
    with store.open_log(session.id) as log:
        log.record(SessionStarted)
        for seq in (0, 2):
            with pytest.raises(ValueError, match="not the next"):
                log.append(Paused(seq=seq, at=START, mono=1.0, epoch="e"))
    assert len(store.read_events(session.id)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"mono": math.nan},
        {"mono": math.inf},
        {"at": datetime(2025, 3, 14, 18, 30, tzinfo=timezone(timedelta(seconds=19800 + 15)))},
    ],
    ids=["NaN", "infinity", "offset with seconds"],
)
def test_refused_events(store: Store, session: Session, fields: dict[str, Any]) -> None:
    """An event that would not read back as given (JSON turns NaN into null and keeps only the
    minutes of an offset) is refused before it is written, never acknowledged and then lost."""
    with store.open_log(session.id) as log:
        log.record(SessionStarted)
        before = journal_path(store, session).read_bytes()
        with pytest.raises(ValueError, match=r"finite number|whole minutes"):
            log.append(Paused(**{"seq": 1, "at": START, "mono": 1.0, "epoch": "e", **fields}))
        assert journal_path(store, session).read_bytes() == before
        log.record(Paused)
    again = reopen(store)
    assert [type(e) for e in again.read_events(session.id)] == [SessionStarted, Paused]
    assert again.notices == []


def test_a_failed_append_does_not_spoil_the_next_event(
    store: Store, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disk full halfway through a line: that event is not acknowledged, and the next one,
    recorded once there is space again, is kept whole."""

    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    with store.open_log(session.id) as log:
        first = log.record(SessionStarted)
        monkeypatch.setattr(journal, "write_all", half_then_full)
        with pytest.raises(OSError):
            log.record(TurnStarted, speaker="m2")
        monkeypatch.undo()
        second = log.record(TurnStarted, speaker="m3")
        assert store.read_events(session.id) == [first, second]
        assert not journal.read(journal_path(store, session)).damaged
    again = reopen(store)
    with again.open_log(session.id) as log:
        assert log.events == [first, second]
    assert again.notices == []


def test_two_stores_on_one_folder_both_save(data_dir: Path, clock: FakeClock) -> None:
    """Two windows (or processes) on one data folder: saves from both are kept."""
    one, two = Store(data_dir, clock), Store(data_dir, clock)
    for store, name in ((one, "A"), (two, "B"), (one, "C"), (two, "D")):
        store.save_group(Group(name=name, created_at=START))
    assert sorted(g.name for g in Store(data_dir).groups()) == ["A", "B", "C", "D"]


# --- one writer (in this process; across processes: test_store_crash.py) --------------------------


def test_second_writer_is_refused_until_the_first_closes(store: Store, session: Session) -> None:
    with store.open_log(session.id) as log:
        log.record(SessionStarted)
        for other in (store, reopen(store)):
            with pytest.raises(SessionLocked, match="being recorded by another cofacil"):
                other.open_log(session.id)
        assert len(reopen(store).read_events(session.id)) == 1
    with reopen(store).open_log(session.id) as log:
        assert len(log.events) == 1


# --- the main database, damaged ----------------------------------------------------------------


def rewritten(raw: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """`raw` (a plain TinyDB file) changed by `change` and written back with a checksum that
    matches: what a faulty writer, not a flipped bit, would leave."""
    doc = json.loads(raw)
    doc.pop(INTEGRITY, None)
    change(doc)
    return encode_tables(doc)


def _invalid_member(raw: bytes) -> bytes:
    return rewritten(raw, lambda doc: doc["groups"]["1"]["members"][0].update(seat="1"))


def _not_a_document(raw: bytes) -> bytes:
    return rewritten(raw, lambda doc: doc["groups"].update({"1": ["not", "a", "document"]}))


def _unknown_version(raw: bytes) -> bytes:
    return rewritten(raw, lambda doc: doc["groups"]["1"].update(v=-1))


def _one_changed_byte(raw: bytes) -> bytes:
    """A bit flipped inside a name: still valid JSON, and a valid group."""
    at = raw.index(b'"Tuesday group"') + 1
    return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "zero bytes": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "trailing garbage": lambda raw: raw + b"\x00garbage",
    "not JSON": lambda raw: b"\xff\xfe" + raw,
    "not a table": lambda raw: b"[1, 2, 3]",
    "invalid member": _invalid_member,
    "not a document": _not_a_document,
    "unknown schema version": _unknown_version,
    "one changed byte": _one_changed_byte,
}
EXPECTED = {
    "zero bytes": ["empty (0 bytes)"],
    "truncated": ["not valid JSON"],
    "trailing garbage": ["not valid JSON"],
    "not JSON": ["not valid JSON"],
    "not a table": ["not a TinyDB database"],
    "invalid member": ["groups document 1", "field 'members.0.seat'"],
    "not a document": ["not a TinyDB database"],
    "unknown schema version": ["groups document 1", "field 'v'"],
    "one changed byte": ["the checksum does not match"],
}


def _two_saves(store: Store, make_session: MakeSession) -> Session:
    """The first save (group, session) becomes the `.bak` of the second (a second group)."""
    session = make_session(store)
    store.save_group(Group(name="Second group", created_at=START))
    return session


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_main_db_is_moved_aside_and_last_good_copy_restored(
    store: Store, make_session: MakeSession, kind: str
) -> None:
    """The damaged file is kept byte for byte under a `.damaged-` name, the user is told which
    file, document and field, and the last good copy is back in place."""
    session = _two_saves(store, make_session)
    damaged = DAMAGE[kind](store.db_path.read_bytes())
    store.db_path.write_bytes(damaged)

    again = reopen(store)

    (moved,) = damaged_copies(store.db_path)
    assert moved.read_bytes() == damaged
    notice = " ".join(again.notices)
    for expected in [str(store.db_path), *EXPECTED[kind], moved.name, "restored the last good"]:
        assert expected in notice
    assert [g.name for g in again.groups()] == ["Tuesday group"]
    assert again.session(session.id) == session
    assert reopen(again).notices == []  # mended for good


@pytest.mark.parametrize("kind", ["zero bytes", "invalid member", "one changed byte"])
def test_damaged_main_db_without_a_good_copy_is_rebuilt_from_the_sessions(
    store: Store, make_session: MakeSession, kind: str
) -> None:
    session = make_session(store)
    group = store.group(session.group_id)
    events = record_some(store, session, 2)
    store.db_path.with_name(store.db_path.name + ".bak").unlink()
    original = store.db_path.read_bytes()
    store.db_path.write_bytes(DAMAGE[kind](original))

    again = reopen(store)

    assert [p.read_bytes() for p in damaged_copies(store.db_path)] == [DAMAGE[kind](original)]
    notice = " ".join(again.notices)
    assert "rebuilt cofacil.json from the sessions' own files" in notice
    assert "session 1 of 'Tuesday group'" in notice
    assert again.groups() == [group]
    assert again.session(session.id) == session
    assert again.read_events(session.id) == events
    assert reopen(again).notices == []  # mended for good


def test_damaged_main_db_with_a_damaged_good_copy_keeps_both(
    store: Store, make_session: MakeSession
) -> None:
    session = _two_saves(store, make_session)
    bak = store.db_path.with_name(store.db_path.name + ".bak")
    store.db_path.write_bytes(b"{")
    bak.write_bytes(b"")

    again = reopen(store)

    copies = [*damaged_copies(store.db_path), *damaged_copies(bak)]
    assert sorted(p.read_bytes() for p in copies) == [b"", b"{"]
    assert "the last good copy is damaged too" in " ".join(again.notices)
    assert [g.name for g in again.groups()] == ["Tuesday group"]  # from its session's roster
    assert again.session(session.id) == session


def test_damage_found_after_opening_is_a_clear_error(store: Store, session: Session) -> None:
    """A file damaged behind the app's back is a `StoreError` naming file, document, field."""
    store.db_path.write_bytes(_invalid_member(store.db_path.read_bytes()))
    with pytest.raises(DamagedFile) as excinfo:
        store.groups()
    message = str(excinfo.value)
    assert str(store.db_path) in message
    assert "groups document 1" in message
    assert "field 'members.0.seat'" in message
    assert "\n" not in message


# --- a session's checkpoint and journal, damaged -------------------------------------------


def _invalid_event(raw: bytes) -> bytes:
    return rewritten(raw, lambda doc: doc["events"]["2"].update(seq="1"))


CHECKPOINT_DAMAGE = {
    **{k: DAMAGE[k] for k in ("zero bytes", "truncated", "trailing garbage", "not a table")},
    "invalid event": _invalid_event,
}


@pytest.mark.parametrize("kind", CHECKPOINT_DAMAGE)
def test_damaged_checkpoint_is_moved_aside_and_events_recovered_from_journal(
    store: Store, session: Session, kind: str
) -> None:
    events = record_some(store, session, 5)
    path = checkpoint_path(store, session)
    damaged = CHECKPOINT_DAMAGE[kind](path.read_bytes())
    path.write_bytes(damaged)

    assert reopen(store).read_events(session.id) == events  # review works meanwhile
    again = reopen(store)
    with again.open_log(session.id) as log:
        assert log.events == events

    (moved,) = damaged_copies(path)
    assert moved.read_bytes() == damaged
    notice = " ".join(again.notices)
    assert str(path) in notice
    assert moved.name in notice
    if kind == "invalid event":
        assert "event document 2" in notice
        assert "seq" in notice
    assert len(checkpoint_events(path)) == 5
    assert reopen(store).read_events(session.id) == events


def test_torn_last_journal_line_is_kept_aside_and_the_rest_recovered(
    store: Store, session: Session
) -> None:
    """A crash in the middle of an append leaves half a line: it was never acknowledged, so it
    is dropped (kept in a `.damaged-` copy) and every acknowledged event is there."""
    events = record_some(store, session, 4)
    path = journal_path(store, session)
    half = journal.encode_line(Paused(seq=4, at=START, mono=1.0, epoch="e"))[:40]
    with path.open("ab") as f:
        f.write(half)
    torn = path.read_bytes()

    assert reopen(store).read_events(session.id) == events
    again = reopen(store)
    with again.open_log(session.id) as log:
        assert log.events == events
        assert log.record(Paused).seq == 4

    (kept,) = damaged_copies(path)
    assert kept.read_bytes() == torn
    assert "an unfinished last line" in " ".join(again.notices)
    assert not journal.read(path).damaged
    assert [e.seq for e in reopen(store).read_events(session.id)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("line", "lost"), [(5, None), (15, 14)])
def test_flipped_byte_in_journal_keeps_a_copy_and_recovers_the_rest(
    store: Store, session: Session, line: int, lost: int | None
) -> None:
    """A flipped byte in the middle of the journal is caught by its checksum; the event comes
    back from the checkpoint if it has it (line 5), else only that one event is missing."""
    record_some(store, session, 10)
    stale = checkpoint_path(store, session).read_bytes()  # checkpoint of events 0-9
    events = record_some(store, session, 10)
    checkpoint_path(store, session).write_bytes(stale)  # as if killed before checkpointing
    path = journal_path(store, session)
    lines = path.read_bytes().splitlines(keepends=True)
    target = bytearray(lines[line - 1])
    target[len(target) // 2] ^= 0x01
    lines[line - 1] = bytes(target)
    path.write_bytes(b"".join(lines))
    flipped = path.read_bytes()

    again = reopen(store)
    with again.open_log(session.id) as log:
        assert log.events == [e for e in events if e.seq != lost]

    (kept,) = damaged_copies(path)
    assert kept.read_bytes() == flipped
    assert f"line {line}: checksum mismatch" in " ".join(again.notices)
    assert not journal.read(path).damaged


# --- schema versions ---------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_newer_main_db_is_refused_untouched(store: Store, make_session: MakeSession) -> None:
    _two_saves(store, make_session)
    newer = rewritten(store.db_path.read_bytes(), lambda doc: doc["groups"]["1"].update(v=99))
    store.db_path.write_bytes(newer)
    before = _files(store.data_dir)

    with pytest.raises(NewerSchema) as excinfo:
        reopen(store)

    message = str(excinfo.value)
    assert str(store.db_path) in message
    assert "newer cofacil (schema 99" in message
    assert "update cofacil" in message
    assert _files(store.data_dir) == before


def test_newer_checkpoint_is_refused_untouched(store: Store, session: Session) -> None:
    record_some(store, session, 3)
    path = checkpoint_path(store, session)
    path.write_bytes(rewritten(path.read_bytes(), lambda doc: doc["events"]["2"].update(v=99)))
    before = _files(store.data_dir)

    for _ in range(2):  # refused again: the failed attempt leaves no lock behind
        with pytest.raises(NewerSchema, match="newer cofacil"):
            reopen(store).open_log(session.id)
    with pytest.raises(NewerSchema):
        store.read_events(session.id)
    assert {k: v for k, v in _files(store.data_dir).items() if not k.endswith(".lock")} == {
        k: v for k, v in before.items() if not k.endswith(".lock")
    }


@pytest.mark.parametrize("unknown_field", [False, True])
def test_newer_journal_line_is_refused_untouched(
    store: Store, session: Session, unknown_field: bool
) -> None:
    """A newer app's events in the journal are not damage to repair away: refused as newer."""
    record_some(store, session, 3)
    newer = Paused(seq=3, at=START, mono=1.0, epoch="e").model_dump(mode="json")
    newer["v"] = 99
    if unknown_field:
        newer["mood"] = "calm"
    body = json.dumps(newer).encode()
    with journal_path(store, session).open("ab") as f:
        f.write(b"%08x %s\n" % (zlib.crc32(body), body))
    before = _files(store.data_dir)

    with pytest.raises(NewerSchema, match=r"journal: line 4 was written by a newer cofacil"):
        reopen(store).open_log(session.id)
    with pytest.raises(NewerSchema):
        store.read_events(session.id)
    after = _files(store.data_dir)
    assert {k: v for k, v in after.items() if not k.endswith(".lock")} == {
        k: v for k, v in before.items() if not k.endswith(".lock")
    }


def test_documents_from_before_versioning_are_migrated(data_dir: Path, clock: FakeClock) -> None:
    """Old files without `v` (in documents, members, attendance, events) load as the current
    schema."""
    data_dir.mkdir(mode=0o700)
    (data_dir / "sessions").mkdir(mode=0o700)
    stamp = START.isoformat()
    member = {"id": "m1", "name": "Ann", "seat": 1, "hotkey": "1"}
    group = {"id": "g1", "name": "Old group", "members": [member], "created_at": stamp}
    session = {
        "id": "s1",
        "group_id": "g1",
        "number": 1,
        "date": "2024-01-09",
        "attendance": {"m1": {"present": True}},
        "created_at": stamp,
    }
    db = {"groups": {"1": group}, "sessions": {"1": session}}
    (data_dir / "cofacil.json").write_text(json.dumps(db))
    event = {"id": "e1", "seq": 0, "at": stamp, "mono": 5.0, "epoch": "x", "type": "paused"}
    (data_dir / "sessions" / "s1.json").write_text(json.dumps({"events": {"1": event}}))
    for path in (data_dir / "cofacil.json", data_dir / "sessions" / "s1.json"):
        path.chmod(0o600)  # private, as cofacil always kept them: no notice about modes

    store = Store(data_dir, clock)

    (loaded,) = store.groups()
    assert (loaded.v, loaded.members[0].v, loaded.members[0].name) == (
        SCHEMA_VERSION,
        SCHEMA_VERSION,
        "Ann",
    )
    assert store.session("s1").attendance["m1"].status == "present"
    with store.open_log("s1") as log:
        assert [(e.v, e.id, type(e)) for e in log.events] == [(SCHEMA_VERSION, "e1", Paused)]
        log.record(Paused)
    assert store.notices == []


# --- privacy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_every_folder_is_0700_and_every_file_0600(
    tmp_path: Path, clock: FakeClock, make_session: MakeSession, umask: int
) -> None:
    """Whatever the umask: the data folder (and any folder made for it), the sessions folder and
    every file (database, backups, journal, checkpoint, locks, quarantined copies) are private."""
    old = os.umask(umask)
    try:
        data_dir = tmp_path / "home" / "share" / "cofacil"
        store = Store(data_dir, clock)
        session = _two_saves(store, make_session)
        record_some(store, session, 2)
        record_some(store, session, 2)  # a second checkpoint: a `.bak` of the first
        # Damage of every kind, in files a user copied in with a lax mode.
        with journal_path(store, session).open("ab") as f:
            f.write(b"0badc0de {")
        checkpoint_path(store, session).write_bytes(b"")
        store.db_path.write_bytes(b"{")
        for path in (journal_path(store, session), checkpoint_path(store, session), store.db_path):
            os.chmod(path, 0o644)
        again = Store(data_dir, clock)
        record_some(again, session, 1)
    finally:
        os.umask(old)

    names = {str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file()}
    sid = session.id
    for expected in [
        "cofacil.json",
        "cofacil.json.bak",
        "cofacil.lock",
        f"sessions/{sid}.json",
        f"sessions/{sid}.json.bak",
        f"sessions/{sid}.journal",
        f"sessions/{sid}.lock",
    ]:
        assert expected in names
    for damaged in ("cofacil.json", f"sessions/{sid}.json", f"sessions/{sid}.journal"):
        assert any(n.startswith(f"{damaged}.damaged-") for n in names), damaged
    assert not [n for n in names if n.endswith("tmp")]

    for path in [tmp_path / "home", *(tmp_path / "home").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"


def test_unusable_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot use data folder"):
        Store(blocker / "data")


def test_the_last_event_is_read_from_the_journals_last_whole_line(
    store: Store, session: Session
) -> None:
    assert store.last_event(session.id) is None
    events = record_some(store, session, 3)
    assert store.last_event(session.id) == events[-1]
    with journal_path(store, session).open("ab") as f:
        f.write(b"0000 {torn")  # a crash mid-append: never acknowledged
    assert store.last_event(session.id) == events[-1]
