"""Encryption at rest: nothing readable in the raw files, a wrong passphrase or a tampered byte
is a clear message that changes nothing, and the store's promises hold in an encrypted folder."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import _add_session, crash

from cofacil.clock import FakeClock
from cofacil.live import LiveSession
from cofacil.models import Draft, Observation, Session
from cofacil.storage import (
    Store,
    StoreError,
    enable_encryption,
    open_vault,
    safefile,
    vault,
)

PASSPHRASE = "a long shared phrase"
CANARY = "CANARY-zebra-7731 feels unsafe at home"
FAST = 10  # scrypt 2^10 in tests; the app uses 2^17 (the parameters are in the file header)
COFACIL = str(Path(sys.executable).with_name("cofacil"))


def raw_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def fingerprint(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in raw_files(folder).items()}


def assert_nothing_readable(folder: Path, *secrets: str) -> None:
    for name, data in raw_files(folder).items():
        for secret in secrets:
            for form in (secret.encode(), secret.encode("unicode_escape")):
                assert form not in data, f"{secret!r} readable in {name}"


@pytest.fixture
def key(data_dir: Path) -> vault.Vault:
    return enable_encryption(data_dir, PASSPHRASE, log2n=FAST)


@pytest.fixture
def estore(data_dir: Path, clock: FakeClock, key: vault.Vault) -> Store:
    return Store(data_dir, clock=clock, codec=key)


def record_canary(store: Store, session: Session) -> None:
    live = LiveSession(store, session.id)
    live.speak(session.seats[0])
    live.observe(CANARY, about=[session.seats[0]], tags=["home"])
    live.close()  # checkpoint written too
    live = LiveSession(store, session.id)  # and a journal that is appended to again
    live.flag(CANARY, about=[session.seats[1]])
    # A note left being written, and the recording's sign of life, are kept beside the log.
    live.keep_draft("flag", Draft(kind="flag", text=CANARY, about=[], begun=live.reading()))
    live.beat()
    live.close()


# --- the cipher ---------------------------------------------------------------------------


def test_a_box_opens_only_with_its_label_and_unchanged() -> None:
    box = vault.new_vault(PASSPHRASE, log2n=FAST)
    sealed = box.seal_file(b"secret", "checkpoint:a")
    assert box.open_file(sealed, "checkpoint:a") == b"secret"
    with pytest.raises(vault.Undecryptable):
        box.open_file(sealed, "checkpoint:b")  # moved into another session's file
    for i in range(len(sealed)):
        flipped = bytearray(sealed)
        flipped[i] ^= 0x01
        with pytest.raises(vault.Undecryptable):
            box.open_file(bytes(flipped), "checkpoint:a")


def test_a_passphrase_too_short_is_refused(data_dir: Path) -> None:
    with pytest.raises(StoreError, match="at least 8 characters"):
        enable_encryption(data_dir, "short", log2n=FAST)
    assert not (data_dir / vault.VAULT_FILE).exists()


@pytest.mark.parametrize(
    "header",
    [
        b"cofacil-vault 1 scrypt 40 8 1 c2FsdA==",  # 2^40: would try to allocate terabytes
        b"cofacil-vault 1 scrypt 20 16 1 c2FsdA==",  # 2 GiB
        b"cofacil-vault 1 scrypt 17 8 4 c2FsdA==",  # four times the work
        b"cofacil-vault 1 scrypt 17 99 1 c2FsdA==",
        b"cofacil-vault 2 scrypt 17 8 1 c2FsdA==",
        b"cofacil-vault 1 scrypt x 8 1 c2FsdA==",
        b"cofacil-vault 1 scrypt 17 8 1 !!",
        b"cofacil-vault 1 argon 17 8 1 c2FsdA==",
    ],
)
def test_a_tampered_header_is_refused_before_any_work(header: bytes) -> None:
    with pytest.raises(vault.VaultError, match="damaged"):
        vault.unlock(header + b"\n" + b"x" * 40, PASSPHRASE, "/d/cofacil.vault")


# --- the store in an encrypted folder ------------------------------------------------------


def test_canary_never_appears_in_the_raw_files(estore: Store, data_dir: Path) -> None:
    session = _add_session(estore)
    record_canary(estore, session)
    group = estore.group(session.group_id)
    names = [m.name for m in group.members]
    assert_nothing_readable(data_dir, CANARY, "CANARY", group.name, *names, "Tuesday")
    secret = estore.codec.params.derive(PASSPHRASE)  # type: ignore[attr-defined]
    for name, data in raw_files(data_dir).items():  # the key is never written, in any form
        for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
            assert form not in data, name
    # And all of it reads back with the key.
    texts = [getattr(e, "text", None) for e in estore.read_events(session.id)]
    assert texts.count(CANARY) == 2
    again = Store(data_dir, codec=open_vault(data_dir, PASSPHRASE))
    assert [e.id for e in again.read_events(session.id)] == [
        e.id for e in estore.read_events(session.id)
    ]
    assert again.notices == []


def test_every_file_is_private_in_an_encrypted_folder(estore: Store, data_dir: Path) -> None:
    record_canary(estore, _add_session(estore))
    for path in data_dir.rglob("*"):
        expected = safefile.DIR_MODE if path.is_dir() else safefile.FILE_MODE
        assert path.stat().st_mode & 0o777 == expected, path


def test_wrong_passphrase_is_a_clear_message_and_changes_nothing(
    estore: Store, data_dir: Path
) -> None:
    record_canary(estore, _add_session(estore))
    before = fingerprint(data_dir)
    with pytest.raises(StoreError, match="wrong passphrase") as refused:
        open_vault(data_dir, "not the passphrase")
    assert CANARY not in str(refused.value)
    assert fingerprint(data_dir) == before


def test_an_encrypted_folder_without_its_key_is_refused(estore: Store, data_dir: Path) -> None:
    _add_session(estore)
    before = fingerprint(data_dir)
    with pytest.raises(StoreError, match="is encrypted: open it with its passphrase"):
        Store(data_dir)
    assert fingerprint(data_dir) == before


def test_tampered_main_database_is_kept_aside_and_the_last_good_copy_used(
    estore: Store, data_dir: Path, key: vault.Vault
) -> None:
    _add_session(estore)  # two saves: the second leaves the first as .bak
    path = data_dir / "cofacil.json"
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x20
    path.write_bytes(bytes(raw))
    reopened = Store(data_dir, codec=key)
    assert "does not decrypt: damaged or altered" in reopened.notices[0]
    # The last good copy predates the session: the session comes back from its own files.
    assert "from its last good copy (cofacil.json.bak)" in reopened.notices[1]
    assert "session 1 of 'Tuesday group'" in reopened.notices[1]
    assert [g.name for g in reopened.groups()] == ["Tuesday group"]
    moved = [p for p in data_dir.iterdir() if ".damaged-" in p.name]
    assert [p.read_bytes() for p in moved] == [bytes(raw)]  # never overwritten, kept as it was
    assert moved[0].stat().st_mode & 0o777 == 0o600
    assert CANARY not in str(reopened.notices)


def journal_of_notes(store: Store, count: int) -> tuple[Session, Path]:
    """A session with `count` notes ("note 0" …), killed before any checkpoint holds them:
    the notes are in its journal only. Returns the session and the journal's path."""
    session = _add_session(store)
    live = LiveSession(store, session.id)
    for n in range(count):
        live.observe(f"note {n}", about=[], tags=[])
    crash(live)
    return session, store.data_dir / "sessions" / f"{session.id}.journal"


def test_tampered_journal_line_costs_that_line_only(
    estore: Store, data_dir: Path, key: vault.Vault
) -> None:
    session, path = journal_of_notes(estore, 5)
    lines = path.read_bytes().split(b"\n")
    third = bytearray(lines[3])
    third[10] = ord("A") if third[10] != ord("A") else ord("B")
    lines[3] = bytes(third)
    path.write_bytes(b"\n".join(lines))
    store = Store(data_dir, codec=key)
    with store.open_log(session.id) as log:
        texts = [e.text for e in log.events if isinstance(e, Observation)]
    assert texts == ["note 0", "note 2", "note 3", "note 4"]  # line 3 of the file: note 1
    assert f"{session.id}.journal: line 3" in store.notices[0]
    assert_nothing_readable(data_dir, "note 1", "note 2")


def test_a_journal_moved_into_another_session_does_not_open(
    estore: Store, data_dir: Path, key: vault.Vault
) -> None:
    first, second = _add_session(estore), _add_session(estore)
    record_canary(estore, first)
    folder = data_dir / "sessions"
    for suffix in (".journal", ".json"):
        (folder / f"{second.id}{suffix}").write_bytes((folder / f"{first.id}{suffix}").read_bytes())
    assert Store(data_dir, codec=key).read_events(second.id) == []


def test_a_plain_folder_is_encrypted_in_place(data_dir: Path, clock: FakeClock) -> None:
    plain = Store(data_dir, clock=clock)
    session = _add_session(plain)
    record_canary(plain, session)
    (data_dir / "sessions" / f"{session.id}.journal.damaged-20250314T183000").write_bytes(
        CANARY.encode()
    )
    ids = [e.id for e in plain.read_events(session.id)]
    key = enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
    store = Store(data_dir, clock=clock, codec=key)
    assert any(n.startswith("encrypted") for n in store.notices)
    assert_nothing_readable(data_dir, CANARY, "Tuesday group")
    assert [e.id for e in store.read_events(session.id)] == ids
    with store.open_log(session.id) as log:
        assert [e.id for e in log.events] == ids
    assert Store(data_dir, codec=key).notices == []  # nothing left to do


def test_a_crash_while_encrypting_in_place_is_finished_by_the_next_open(
    data_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = Store(data_dir, clock=clock)
    sessions = [_add_session(plain) for _ in range(3)]
    for session in sessions:
        record_canary(plain, session)
    ids = {s.id: [e.id for e in plain.read_events(s.id)] for s in sessions}
    key = enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
    real = os.replace
    for k in range(1, 40):
        calls = 0

        def dying(src: object, dst: object, k: int = k) -> None:
            nonlocal calls
            calls += 1
            if calls == k:
                raise KeyboardInterrupt  # the process dies here, mid-way
            real(src, dst)  # type: ignore[arg-type]

        monkeypatch.setattr(safefile.os, "replace", dying)
        try:
            Store(data_dir, clock=clock, codec=key)
        except KeyboardInterrupt:
            continue
        finally:
            monkeypatch.setattr(safefile.os, "replace", real)
        break
    else:
        pytest.fail("encrypting never finished")
    store = Store(data_dir, clock=clock, codec=key)
    assert_nothing_readable(data_dir, CANARY, "Tuesday group")
    for session in sessions:
        assert [e.id for e in store.read_events(session.id)] == ids[session.id]


# --- the command -----------------------------------------------------------------------------


def run(data_dir: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COFACIL_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [COFACIL, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def test_command_encrypts_asks_for_the_passphrase_and_refuses_a_wrong_one(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    plain = Store(data_dir)
    session = _add_session(plain)
    record_canary(plain, session)

    done = run(data_dir, "--encrypt", "export", "--format", "md", stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    assert "feels unsafe at home" in done.stdout
    assert "encrypted from now on" in done.stderr
    assert_nothing_readable(data_dir, CANARY)
    header = (data_dir / vault.VAULT_FILE).read_bytes().split(b"\n")[0]
    assert header.startswith(b"cofacil-vault 1 scrypt 17 8 1 ")  # the app's cost, not the tests'

    before = fingerprint(data_dir)
    wrong = run(data_dir, "export", "--format", "csv", stdin="guess guess\n")
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    assert wrong.stderr.strip().splitlines() == [
        f"cofacil: wrong passphrase for {data_dir} (or cofacil.vault was altered); "
        "nothing was opened"
    ]
    assert fingerprint(data_dir) == before

    again = run(data_dir, "export", "--format", "csv", stdin=PASSPHRASE + "\n")
    assert again.returncode == 0, again.stderr
    assert "CANARY-zebra-7731" in again.stdout


def test_a_damaged_vault_file_is_a_clear_message(estore: Store, data_dir: Path) -> None:
    (data_dir / vault.VAULT_FILE).write_bytes(b"garbage")
    done = run(data_dir, "export", "--format", "md", stdin=PASSPHRASE + "\n")
    assert done.returncode == 1
    assert done.stderr == f"cofacil: {data_dir / vault.VAULT_FILE} is damaged: it is not " + (
        "encrypted, though this folder is\n"
    )


def test_damaged_file_error_in_an_encrypted_folder_names_the_file(
    estore: Store, data_dir: Path, key: vault.Vault
) -> None:
    session = _add_session(estore)
    record_canary(estore, session)
    checkpoint = data_dir / "sessions" / f"{session.id}.json"
    checkpoint.write_bytes(checkpoint.read_bytes()[:-3])
    store = Store(data_dir, codec=key)
    with store.open_log(session.id) as log:
        assert sum(getattr(e, "text", "") == CANARY for e in log.events) == 2  # from the journal
    assert f"{session.id}.json: it does not decrypt" in store.notices[0]


def test_the_live_app_in_an_encrypted_folder_killed_and_reopened(tmp_path: Path) -> None:
    """`cofacil --encrypt demo` in a terminal: the passphrase asked twice without echo, a note
    typed in the room, the app killed with -9: the note is on disk, sealed, and opens with the
    passphrase."""
    from test_live_process import Terminal

    data_dir = tmp_path / "data"
    term = Terminal(data_dir, ("--encrypt", "demo"))
    try:
        term.wait_for(b"New passphrase")
        term.type(PASSPHRASE + "\r", pause=0.01)
        term.wait_for(b"again")
        term.type(PASSPHRASE + "\r", pause=0.01)
        term.wait_for(b"Silence")
        term.type("1o")
        term.type(CANARY + "\r", pause=0.02)
        term.wait_for(b"Saved")  # the note line says so once the note is on disk
    finally:
        term.kill()
    assert PASSPHRASE.encode() not in term.output  # never echoed
    assert_nothing_readable(data_dir, CANARY, "CANARY", PASSPHRASE)
    store = Store(data_dir, codec=open_vault(data_dir, PASSPHRASE))
    session = store.latest_session()
    assert [e.text for e in store.read_events(session.id) if isinstance(e, Observation)] == [CANARY]


def test_a_folder_whose_vault_went_missing_is_refused_not_overwritten(
    estore: Store, data_dir: Path
) -> None:
    """A backup or sync tool left out `cofacil.vault`: the sealed files must not be taken for
    damaged plain ones (moved aside, an empty index written in plain text from then on)."""
    session = _add_session(estore)
    record_canary(estore, session)
    (data_dir / vault.VAULT_FILE).unlink()
    before = fingerprint(data_dir)
    with pytest.raises(StoreError, match=r"is encrypted, but its folder has no cofacil\.vault"):
        Store(data_dir)
    assert fingerprint(data_dir) == before


def test_encrypting_a_folder_whose_vault_went_missing_is_refused_with_nothing_changed(
    estore: Store, data_dir: Path
) -> None:
    """A new key would never open the sealed files: `--encrypt` says to put the vault back."""
    record_canary(estore, _add_session(estore))
    (data_dir / vault.VAULT_FILE).unlink()
    before = fingerprint(data_dir)
    with pytest.raises(StoreError, match=r"holds encrypted files .* but no cofacil\.vault"):
        enable_encryption(data_dir, "a brand new passphrase", log2n=FAST)
    assert fingerprint(data_dir) == before
    result = subprocess.run(
        [COFACIL, "--encrypt", "export", "--format", "md", "--data-dir", str(data_dir)],
        input="a brand new passphrase\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "put that file back" in result.stderr and result.stderr.count("\n") == 1
    assert fingerprint(data_dir) == before


def test_encrypting_is_refused_while_a_session_is_recorded(
    data_dir: Path, clock: FakeClock
) -> None:
    plain = Store(data_dir, clock=clock)
    live = LiveSession(plain, _add_session(plain).id)
    with pytest.raises(StoreError, match="being recorded"):
        enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
    assert not (data_dir / vault.VAULT_FILE).exists()
    live.observe("still plain, still saved", about=[], tags=[])
    live.close()
    enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
    with pytest.raises(StoreError, match="encrypted already"):
        enable_encryption(data_dir, "another passphrase", log2n=FAST)
    assert open_vault(data_dir, PASSPHRASE)  # the first key still opens it


def test_a_flipped_header_byte_in_a_sealed_journal_costs_only_the_header(
    estore: Store, data_dir: Path, key: vault.Vault
) -> None:
    session, path = journal_of_notes(estore, 3)
    for where in (0, 20):  # the magic word, then the salt
        raw = bytearray(path.read_bytes())
        raw[where] ^= 0x01
        path.write_bytes(bytes(raw))
        store = Store(data_dir, codec=key)
        with store.open_log(session.id) as log:
            texts = [e.text for e in log.events if isinstance(e, Observation)]
        assert texts == ["note 0", "note 1", "note 2"]
        assert "the header: damaged" in " ".join(store.notices)


def test_sealing_in_place_refuses_a_newer_journal_untouched(data_dir: Path, clock) -> None:
    import json
    import zlib

    plain = Store(data_dir, clock=clock)
    session = _add_session(plain)
    LiveSession(plain, session.id).close()
    path = data_dir / "sessions" / f"{session.id}.journal"
    body = json.dumps({"v": 99, "seq": 1, "type": "from_the_future"}).encode()
    with path.open("ab") as journal_file:
        journal_file.write(b"%08x %s\n" % (zlib.crc32(body), body))
    before = path.read_bytes()
    key = enable_encryption(data_dir, PASSPHRASE, log2n=FAST)
    with pytest.raises(StoreError, match="newer cofacil"):
        Store(data_dir, codec=key)
    assert path.read_bytes() == before


def test_an_empty_passphrase_is_told_as_such(estore: Store, data_dir: Path) -> None:
    done = run(data_dir, "export", "--format", "md", stdin="\n")
    assert done.returncode == 1
    assert done.stderr == "cofacil: no passphrase given; nothing was opened\n"
