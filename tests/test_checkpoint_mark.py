"""A checkpoint keeps a mark of the journal that held its events when it was written (its
length and SHA-256): a review reading a journal that reads whole and still starts with those
very bytes skips the checkpoint unparsed. Anything else (a journal cut, emptied, rebuilt or
changed; a mark missing, changed, or another session's) takes the peek and the strict way, and
shows exactly what it showed before."""

from __future__ import annotations

import re
import shutil
import zlib
from pathlib import Path
from unittest import mock

import pytest
from conftest import _add_session, record_notes

from cofacil.clock import FakeClock
from cofacil.models import EventBase, Observation, Session
from cofacil.storage import Store, enable_encryption, journal, recovery
from cofacil.storage.session_files import checkpoint_label, journal_label
from cofacil.storage.tinydb_file import peek_journal_mark

PASSPHRASE = "a long shared phrase"
FAST = 10  # scrypt 2^10 in tests


@pytest.fixture(params=["plain", "encrypted"])
def folder(request: pytest.FixtureRequest, data_dir: Path, clock: FakeClock) -> Store:
    if request.param == "encrypted":
        key = enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
        return Store(data_dir, clock=clock, codec=key)
    return Store(data_dir, clock=clock)


def _files(store: Store, session: Session) -> tuple[Path, Path]:
    return (
        store.sessions_dir / f"{session.id}.journal",
        store.sessions_dir / f"{session.id}.json",
    )


def _mark(store: Store, session: Session) -> tuple[int, str] | None:
    _, checkpoint = _files(store, session)
    return peek_journal_mark(checkpoint, store.codec, checkpoint_label(session.id))


def _reopen(store: Store) -> Store:
    return Store(store.data_dir, clock=store.clock, codec=store.codec)


def _review(store: Store, session: Session) -> tuple[list[EventBase], bool]:
    """What a review shows, and whether it looked into the checkpoint to show it."""
    with mock.patch.object(recovery, "peek_table", wraps=recovery.peek_table) as peek:
        events = _reopen(store).read_events(session.id)
    return events, peek.called


def test_a_closed_log_marks_its_journal_in_the_checkpoint(folder: Store) -> None:
    session = _add_session(folder)
    record_notes(folder, session, 4)
    path, _ = _files(folder, session)
    assert _mark(folder, session) == journal.mark_of(path.read_bytes())
    events = record_notes(folder, session, 3)
    assert _mark(folder, session) == journal.mark_of(path.read_bytes())
    assert _review(folder, session) == (events, False)  # the checkpoint is not even parsed


def test_a_journal_cut_at_any_line_end_still_shows_the_checkpoints_events(folder: Store) -> None:
    session = _add_session(folder)
    events = record_notes(folder, session, 5)
    path, _ = _files(folder, session)
    whole = path.read_bytes()
    ends = [m.end() for m in re.finditer(b"\n", whole)]
    for end in [0, *ends[:-1]]:  # emptied, or cut after any line but the last
        path.write_bytes(whole[:end])
        assert _review(folder, session) == (events, True), end
    path.unlink()
    assert _review(folder, session)[0] == events


def test_a_journal_changed_but_as_long_still_shows_the_checkpoints_events(
    store: Store, session: Session
) -> None:
    """A line dropped and another lengthened, every checksum holding: whole, and no shorter
    than the mark, yet without an event the checkpoint has. Its bytes are not the marked ones."""
    events = record_notes(store, session, 4)
    path, _ = _files(store, session)
    lines = path.read_bytes().splitlines(keepends=True)
    body = lines[0].partition(b" ")[2].rstrip(b"\n")
    longer = body.replace(b'"note 0"', b'"note 0' + b"!" * (len(lines[1]) + 10) + b'"')
    assert longer != body
    lines[:2] = [b"%08x %s\n" % (zlib.crc32(longer), longer)]
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size >= _mark(store, session)[0]  # type: ignore[index]
    shown, peeked = _review(store, session)
    assert peeked
    assert [e.seq for e in shown] == [e.seq for e in events]
    assert shown[1] == events[1]  # from the checkpoint


def test_a_journal_cut_and_mended_still_shows_every_event(folder: Store) -> None:
    session = _add_session(folder)
    events = record_notes(folder, session, 5)
    path, _ = _files(folder, session)
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.index(b"\n") + 1])
    with _reopen(folder).open_log(session.id):
        pass  # mended: the journal rebuilt from the checkpoint
    assert _review(folder, session) == (events, False)
    assert _mark(folder, session) == journal.mark_of(path.read_bytes())


def test_a_changed_mark_is_not_believed(store: Store, session: Session) -> None:
    events = record_notes(store, session, 5)
    path, checkpoint = _files(store, session)
    raw = checkpoint.read_bytes()
    for old, new in [
        (rb'"journal_length": \d+', b'"journal_length": 1'),
        (rb'_sha256": "0', b'_sha256": "1'),
        (rb'_sha256": "[1-9a-f]', b'_sha256": "0'),
    ]:
        changed = re.sub(old, new, raw)
        if changed == raw:
            continue
        checkpoint.write_bytes(changed)
        assert _review(store, session) == (events, True)
    checkpoint.write_bytes(raw)
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    assert _review(store, session) == (events, True)


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw + b" ",  # anything after the file's end
        lambda raw: raw[:-1],  # cut
        lambda raw: raw.replace(b'"journal_sha256"', b'"journal_SHA256"'),
        lambda raw: re.sub(rb'"sha256": "[0-9a-f]', b'"sha256": "x', raw),
    ],
)
def test_a_mark_in_a_changed_file_end_is_not_read(store: Store, session: Session, change) -> None:
    record_notes(store, session, 3)
    _, checkpoint = _files(store, session)
    checkpoint.write_bytes(change(checkpoint.read_bytes()))
    assert _mark(store, session) is None


def test_another_sessions_checkpoint_is_not_taken_at_its_word(store: Store) -> None:
    one, two = _add_session(store), _add_session(store)
    record_notes(store, one, 2)
    events = record_notes(store, two, 6)
    (_, first), (_, second) = _files(store, one), _files(store, two)
    shutil.copyfile(first, second)
    assert _review(store, two) == (events, True)


def test_an_old_checkpoint_without_the_mark_is_read_as_before(
    store: Store, session: Session
) -> None:
    events = record_notes(store, session, 4)
    paths = store.session_paths(session.id)
    recovery.write_checkpoint(paths, store.codec, events)  # no mark: as older versions wrote
    assert _mark(store, session) is None
    assert _review(store, session) == (events, True)
    path, _ = _files(store, session)
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    assert _review(store, session) == (events, True)


def test_a_checkpoint_written_with_a_rebuilt_journal_marks_the_rebuilt_one(
    store: Store, session: Session
) -> None:
    """The journal cut to one line and the checkpoint damaged: the last good copy gives three
    events back, the journal is rebuilt with them and a checkpoint written. A later cut of the
    rebuilt journal must still show all three."""
    three = record_notes(store, session, 3)
    record_notes(store, session, 2)  # the checkpoint of three is now the last good copy (.bak)
    path, checkpoint = _files(store, session)
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    checkpoint.write_bytes(b"")  # damaged
    log = _reopen(store).open_log(session.id)
    try:  # the checkpoint as opening wrote it (closing writes it again)
        assert log.events == three
        assert _mark(store, session) == journal.mark_of(path.read_bytes())
        path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:2]))
        assert _review(store, session)[0] == three
    finally:
        log.close()


def test_a_writer_marks_what_it_read_and_wrote(store: Store, session: Session) -> None:
    record_notes(store, session, 2)
    path, _ = _files(store, session)
    writer = journal.JournalWriter(path, store.codec, journal_label(session.id))
    try:
        assert writer.mark == journal.mark_of(path.read_bytes())
        with store.open_log(session.id) as log:
            stamp = log.stamp(Observation, 2, text="x", about=["m1"])
        writer.append(stamp)
        assert writer.mark == journal.mark_of(path.read_bytes())
    finally:
        writer.close()
