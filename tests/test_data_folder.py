"""The data folder is cofacil's alone: made or adopted only when new, empty or already
cofacil's; anything else is refused in one line with nothing changed; loose modes are
tightened once, and said; a read-only copy or medium can still be reviewed and exported."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import NOT_COFACILS, _add_session, on_a_terminal

from cofacil.live import LiveSession
from cofacil.storage import NotCofacilFolder, ReadOnlyFolder, Store
from cofacil.storage.folder import MARKER

COFACIL = str(Path(sys.executable).with_name("cofacil"))


def state(path: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under `path` (itself included): its mode and, for files, its bytes."""
    found = {}
    for p in [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]:
        info = p.lstat()
        found[str(p)] = (info.st_mode, p.read_bytes() if p.is_file() else None)
    return found


@pytest.mark.parametrize("kind", NOT_COFACILS)
def test_a_folder_that_is_not_cofacils_is_refused_and_left_as_it_was(
    tmp_path: Path, kind: str
) -> None:
    """The command line's side of this is in test_cli_messages.py."""
    target = NOT_COFACILS[kind](tmp_path)
    before = state(target)
    with pytest.raises(NotCofacilFolder) as refused:
        Store(target)
    assert "\n" not in str(refused.value) and "nothing was changed" in str(refused.value)
    assert state(target) == before


def test_a_new_or_empty_folder_is_made_cofacils(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o755)
    for folder in (empty, tmp_path / "new" / "deeper"):
        store = Store(folder)
        assert (folder / MARKER).exists()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert store.notices == []


def test_a_folder_holding_only_a_therapists_own_deck_is_adopted(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "deck.toml").write_text("")  # 0644, as an editor leaves it
    assert Store(folder).notices == []
    assert (folder / MARKER).exists()
    assert stat.S_IMODE((folder / "deck.toml").stat().st_mode) == 0o600


def test_a_folder_from_before_the_marker_is_recognised(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    session = _add_session(Store(folder))
    (folder / MARKER).unlink()
    store = Store(folder)
    assert store.session(session.id) == session
    assert (folder / MARKER).exists()


def test_loose_modes_are_tightened_once_and_said(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    session = _add_session(Store(folder))
    (folder / "cofacil.json").chmod(0o644)
    (folder / "sessions" / f"{session.id}.session").chmod(0o666)
    (folder / "sessions").chmod(0o755)

    store = Store(folder)

    (notice,) = store.notices
    assert notice.startswith("made 3 file(s) private that others could read")
    assert "cofacil.json" in notice and "sessions" in notice
    for path in [folder, *folder.rglob("*")]:
        wanted = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == wanted, path
    assert Store(folder).notices == []  # said once


@contextlib.contextmanager
def read_only_copy(source: Path, tmp_path: Path) -> Iterator[Path]:
    """`source` seen through a read-only bind mount (a read-only medium: root cannot write it
    either). Skips where mounting is not allowed."""
    target = tmp_path / "readonly"
    target.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount here: {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(target)], check=True, capture_output=True
        )
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def test_a_read_only_folder_can_be_reviewed_and_exported(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = Store(folder)
    session = _add_session(store)
    live = LiveSession(store, session.id)
    live.speak("m1")
    live.observe("a note to export", about=["m1"], tags=[])
    live.close()
    events = store.read_events(session.id)
    (folder / "cofacil.json").write_bytes(b"{")  # damaged: rebuilt in memory, not on disk
    before = state(folder)

    with read_only_copy(folder, tmp_path) as readonly:
        reader = Store(readonly)
        assert reader.read_only
        assert reader.read_events(session.id) == events
        assert any("in memory only" in n for n in reader.notices)
        with pytest.raises(ReadOnlyFolder):
            reader.open_log(session.id)
        with pytest.raises(ReadOnlyFolder):
            reader.save_group(reader.group(session.group_id))
        result = subprocess.run(
            [COFACIL, "export", "--data-dir", str(readonly), "--format", "md"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr
        assert "a note to export" in result.stdout
    assert state(folder) == before


def test_recording_in_a_read_only_folder_is_one_clear_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    Store(folder)
    with read_only_copy(folder, tmp_path) as readonly:
        # On a terminal, as the room runs it (without one, it would say that instead).
        returncode, said = on_a_terminal([COFACIL, "demo", "--data-dir", str(readonly)])
    assert returncode != 0
    assert said.count("\n") == 1 and "read-only" in said


def test_a_folder_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "planted"
    folder.mkdir()
    (folder / MARKER).write_text("")
    os.chown(folder, 65534, 65534)  # root in the tests: nobody's folder
    if folder.stat().st_uid == os.geteuid():
        pytest.skip("cannot give a folder away here")
    before = state(folder)
    with pytest.raises(NotCofacilFolder, match="belongs to another user"):
        Store(folder)
    assert state(folder) == before


def test_a_link_planted_in_place_of_the_index_is_never_followed(tmp_path: Path) -> None:
    """Neither read as ours nor chmod-ed through: the link is moved aside as damage, and the
    file it points at keeps its bytes and its mode."""
    folder = tmp_path / "data"
    session = _add_session(Store(folder))
    outside = tmp_path / "outside.json"
    outside.write_bytes((folder / "cofacil.json").read_bytes())
    outside.chmod(0o644)
    (folder / "cofacil.json").unlink()
    (folder / "cofacil.json").symlink_to(outside)
    before = state(outside)

    store = Store(folder)
    store.save_group(store.group(session.group_id).model_copy(update={"name": "Renamed"}))

    assert state(outside) == before
    assert not (folder / "cofacil.json").is_symlink()
    assert any("a link in the file's place" in n for n in store.notices)
    assert store.session(session.id) == session


def test_a_link_planted_in_place_of_one_journal_costs_that_journal_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = Store(folder)
    first, second = _add_session(store), _add_session(store)
    for session in (first, second):
        live = LiveSession(store, session.id)
        live.observe(f"a note in {session.id}", about=[], tags=[])
        live.close()
    journal = folder / "sessions" / f"{first.id}.journal"
    outside = tmp_path / "outside.journal"
    outside.write_bytes(journal.read_bytes())
    journal.unlink()
    journal.symlink_to(outside)
    before = state(outside)

    again = Store(folder)
    assert "a note in" in str(again.read_events(second.id))
    with again.open_log(first.id) as log:  # its checkpoint still holds the note
        assert f"a note in {first.id}" in str(log.events)
    assert state(outside) == before
    assert not journal.is_symlink()
