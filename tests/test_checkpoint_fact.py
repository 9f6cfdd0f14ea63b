"""A checkpoint keeps the journal's length that held its events when it was written: a review
reading a journal that reads whole and is at least that long skips the checkpoint unparsed.
Anything else (a journal cut or emptied, a fact changed, missing, or from another session's
file) takes the strict way, and shows exactly what it showed before."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import _add_session

from cofacil.clock import FakeClock
from cofacil.models import EventBase, Observation, Session
from cofacil.storage import Store, enable_encryption, recovery
from cofacil.storage.session_files import checkpoint_label
from cofacil.storage.tinydb_file import peek_fact

PASSPHRASE = "a long shared phrase"
FAST = 10  # scrypt 2^10 in tests


@pytest.fixture(params=["plain", "encrypted"])
def folder(request: pytest.FixtureRequest, data_dir: Path, clock: FakeClock) -> Store:
    if request.param == "encrypted":
        key = enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
        return Store(data_dir, clock=clock, codec=key)
    return Store(data_dir, clock=clock)


def _record(store: Store, session: Session, count: int) -> list[EventBase]:
    with store.open_log(session.id) as log:
        for _ in range(count):
            store.clock.advance(7)  # type: ignore[attr-defined]
            log.record(Observation, text=f"note {log.next_seq}", about=["m1"])
        return list(log.events)


def _files(store: Store, session: Session) -> tuple[Path, Path]:
    return (
        store.sessions_dir / f"{session.id}.journal",
        store.sessions_dir / f"{session.id}.json",
    )


def _fact(store: Store, session: Session) -> int | None:
    _, checkpoint = _files(store, session)
    return peek_fact(checkpoint, store.codec, checkpoint_label(session.id))


def _review(store: Store, session: Session) -> list[EventBase]:
    return Store(store.data_dir, clock=store.clock, codec=store.codec).read_events(session.id)


def test_a_closed_log_keeps_its_journals_length_in_the_checkpoint(folder: Store) -> None:
    session = _add_session(folder)
    _record(folder, session, 4)
    journal, _ = _files(folder, session)
    assert _fact(folder, session) == journal.stat().st_size
    events = _record(folder, session, 3)
    assert _fact(folder, session) == journal.stat().st_size
    assert _review(folder, session) == events


def test_a_journal_cut_at_any_line_end_still_shows_the_checkpoints_events(folder: Store) -> None:
    session = _add_session(folder)
    events = _record(folder, session, 5)
    journal, _ = _files(folder, session)
    whole = journal.read_bytes()
    ends = [m.end() for m in re.finditer(b"\n", whole)]
    for end in [0, *ends[:-1]]:  # emptied, or cut after any line but the last
        journal.write_bytes(whole[:end])
        assert _review(folder, session) == events, end
    journal.unlink()
    assert _review(folder, session) == events


def test_a_journal_cut_and_mended_still_shows_every_event(folder: Store) -> None:
    session = _add_session(folder)
    events = _record(folder, session, 5)
    journal, _ = _files(folder, session)
    whole = journal.read_bytes()
    journal.write_bytes(whole[: whole.index(b"\n") + 1])
    with Store(folder.data_dir, clock=folder.clock, codec=folder.codec).open_log(session.id):
        pass  # mended: the journal rebuilt from the checkpoint
    assert _review(folder, session) == events
    assert _fact(folder, session) is not None
    assert _fact(folder, session) <= journal.stat().st_size  # type: ignore[operator]


def test_a_changed_fact_is_not_believed(store: Store, session: Session) -> None:
    events = _record(store, session, 5)
    journal, checkpoint = _files(store, session)
    raw = checkpoint.read_bytes()
    changed = re.sub(rb'"fact": \d+', b'"fact": 1', raw)
    assert changed != raw
    checkpoint.write_bytes(changed)
    assert _fact(store, session) is None
    journal.write_bytes(journal.read_bytes().splitlines(keepends=True)[0])
    assert _review(store, session) == events


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw + b" ",  # anything after the file's end
        lambda raw: raw[:-1],  # cut
        lambda raw: raw.replace(b'"fact_crc"', b'"fact_CRC"'),
        lambda raw: re.sub(rb'"sha256": "[0-9a-f]', b'"sha256": "x', raw),
    ],
)
def test_a_fact_in_a_changed_file_end_is_not_read(store: Store, session: Session, change) -> None:
    events = _record(store, session, 3)
    journal, checkpoint = _files(store, session)
    checkpoint.write_bytes(change(checkpoint.read_bytes()))
    assert _fact(store, session) is None
    journal.write_bytes(b"")
    # As before: a checkpoint that does not read is not shown (the journal has nothing).
    assert _review(store, session) in ([], events)


def test_another_sessions_checkpoint_is_not_taken_at_its_word(store: Store) -> None:
    one, two = _add_session(store), _add_session(store)
    _record(store, one, 2)
    _record(store, two, 6)
    (_, first), (second_journal, second) = _files(store, one), _files(store, two)
    shutil.copyfile(first, second)
    assert _fact(store, two) is None
    assert second_journal.stat().st_size >= peek_fact(first, store.codec, checkpoint_label(one.id))  # type: ignore[operator]


def test_an_old_checkpoint_without_the_fact_is_read_as_before(
    store: Store, session: Session
) -> None:
    events = _record(store, session, 4)
    paths = store.session_paths(session.id)
    recovery.write_checkpoint(paths, store.codec, events)  # no length: as older versions wrote
    assert _fact(store, session) is None
    journal, _ = _files(store, session)
    journal.write_bytes(journal.read_bytes().splitlines(keepends=True)[0])
    assert _review(store, session) == events


def test_a_checkpoint_written_with_a_rebuilt_journal_keeps_the_rebuilt_length(
    store: Store, session: Session
) -> None:
    """The journal cut to one line and the checkpoint damaged: the last good copy gives three
    events back, the journal is rebuilt with them and a checkpoint written. A later cut of the
    rebuilt journal must still show all three."""
    three = _record(store, session, 3)
    _record(store, session, 2)  # the checkpoint of three is now the last good copy (.bak)
    journal, checkpoint = _files(store, session)
    journal.write_bytes(journal.read_bytes().splitlines(keepends=True)[0])
    checkpoint.write_bytes(b"")  # damaged
    log = Store(store.data_dir, clock=store.clock).open_log(session.id)
    try:  # the checkpoint as opening wrote it (closing writes it again)
        assert log.events == three
        assert _fact(store, session) == journal.stat().st_size
        journal.write_bytes(b"".join(journal.read_bytes().splitlines(keepends=True)[:2]))
        assert _review(store, session) == three
    finally:
        log.close()
