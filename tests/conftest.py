"""Shared fixtures, and the `--run-slow` switch for tests marked `slow`."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import settings

from cofacil import collector
from cofacil.clock import FakeClock
from cofacil.live import LiveSession
from cofacil.models import EventBase, Group, Member, Observation, Session
from cofacil.storage import Store

# In CI (CI=true) every property test replays the same examples, so a landing never depends on
# a lucky draw; on a developer's machine they explore new ones each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: give --run-slow (make test-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _collector_runs() -> Iterator[None]:
    """Tests run with the collector on, as the app has it after its first frame: importing
    the program (`cofacil.__main__`) pauses it for the start, and an app made by a test but
    never run would leave it paused for the tests after."""
    collector.end_start()
    yield
    collector.end_start()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 14, 18, 30, tzinfo=UTC))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path, clock: FakeClock) -> Store:
    return Store(data_dir, clock=clock)


def record_notes(
    store: Store, session: Session, count: int, text: str = "note {seq}"
) -> list[EventBase]:
    """`count` observations about m1, 7 s apart, recorded in the session's log (`text` with
    each one's `seq`); all the log's events after."""
    with store.open_log(session.id) as log:
        for _ in range(count):
            store.clock.advance(7)  # type: ignore[attr-defined]
            log.record(Observation, text=text.format(seq=log.next_seq), about=["m1"])
        return list(log.events)


def _add_session(store: Store) -> Session:
    """Save a small group and its first session; return the session."""
    now = store.clock.now()
    members = [
        Member(id=f"m{seat}", name=name, seat=seat, hotkey=str(seat))
        for seat, name in enumerate(["Ann", "[bold]Bo[/]", "Cé"], start=1)
    ]
    group = Group(name="Tuesday group", members=members, created_at=now)
    store.save_group(group)
    session = Session(
        group_id=group.id,
        number=len(store.sessions(group.id)) + 1,
        date=date(2025, 3, 14),
        seats=[m.id for m in members],
        created_at=now,
    )
    store.save_session(session)
    return session


@pytest.fixture
def make_session() -> Callable[[Store], Session]:
    """`make_session(store)` saves a group with three members (ids m1, m2, m3) and a session
    in it."""
    return _add_session


@pytest.fixture
def session(store: Store) -> Session:
    return _add_session(store)


def crash(live: LiveSession) -> None:
    """Stop recording as a killed process would: the journal holds every event, the
    checkpoint is left behind (no close), and the OS lets go of the lock."""
    live.log._journal.close()
    live.log._lock.release()


# --- places that are not a cofacil data folder (refused untouched) ------------------------------


def _plain_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("someone's notes\n")
    return path


def _foreign_folder(tmp_path: Path) -> Path:
    path = tmp_path / "photos"
    path.mkdir()
    (path / "holiday.jpg").write_bytes(b"\xff\xd8 not cofacil's")
    os.chmod(path, 0o755)
    return path


def _shared_folder(tmp_path: Path) -> Path:
    path = tmp_path / "shared"
    path.mkdir()
    os.chmod(path, 0o1777)  # like /tmp: everyone writes, sticky
    return path


def _shared_folder_in_use(tmp_path: Path) -> Path:
    path = _shared_folder(tmp_path)
    (path / "someone-else.sock").write_text("")
    return path


NOT_COFACILS: dict[str, Callable[[Path], Path]] = {
    "a plain file": _plain_file,
    "a folder of other files": _foreign_folder,
    "an empty shared sticky folder": _shared_folder,
    "a shared sticky folder in use": _shared_folder_in_use,
}


def on_a_terminal(command: list[str]) -> tuple[int, str]:
    """`command` run with a pseudo-terminal for its input and its screen; its exit code and
    all it wrote there."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": "dumb"},
        start_new_session=True,
    )
    os.close(slave)
    written = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed: all is read
            break
        if not chunk:
            break
        written += chunk
    os.close(master)
    return process.wait(timeout=60), written.decode(errors="replace").replace("\r\n", "\n")


def painted(app) -> str:
    """The text of what the app would draw now, line by line."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
