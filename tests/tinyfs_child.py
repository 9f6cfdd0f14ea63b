"""Run inside a tiny filesystem that fills up (see test_tiny_filesystem in test_faults.py).

    python tests/tinyfs_child.py FOLDER

FOLDER is the root of a small, empty tmpfs. Prints one JSON line of what happened; any
failed expectation is an exception (non-zero exit).
"""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import _add_session

from cofacil.live import LiveSession
from cofacil.storage import Store, StoreError


def fill(folder: Path) -> Path:
    """Take every free byte of the filesystem with one file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):  # down to the last byte
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    finally:
        os.close(fd)
    return filler


def main() -> None:
    root = Path(sys.argv[1])
    data = root / "data"
    store = Store(data)
    session = _add_session(store)
    live = LiveSession(store, session.id)
    filler = fill(root)
    intended = list(live.events)
    n = 0
    while len(live.unsaved) < 5:  # the disk refuses: keep typing notes
        intended.append(live.observe(f"note {n} " + "x" * (n * 97 % 900), about=[], tags=[]))
        n += 1
        assert n < 10_000, "the disk never filled"
    assert "No space left on device" in (live.disk_problem or "")
    acknowledged = [e.id for e in live.log.events]
    reader = Store(data)
    assert reader.notices == [], reader.notices
    assert [e.id for e in reader.read_events(session.id)] == acknowledged
    group = store.group(session.group_id)
    try:
        store.save_group(group.model_copy(update={"name": "Renamed"}))
        raise AssertionError("a save on a full disk succeeded")
    except StoreError as refused:
        assert "nothing was changed" in str(refused), refused
    assert [g.name for g in Store(data).groups()] == [group.name]

    filler.unlink()  # space again: the queue lands, in order
    assert live.flush()
    live.close()
    again = Store(data)
    assert [e.id for e in again.read_events(session.id)] == [e.id for e in intended]
    with again.open_log(session.id) as log:
        assert len(log.events) == len(intended)
    assert again.notices == [], again.notices
    print(json.dumps({"saved_before_full": len(acknowledged), "queued": 5, "total": len(intended)}))


if __name__ == "__main__":
    main()
