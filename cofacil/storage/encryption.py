"""Encryption at rest for a whole data folder (the cipher itself is vault.py).

A folder is encrypted when it holds `cofacil.vault`. `enable_encryption` writes the vault and
`cofacil.sealing`; the next `Store` opened with the key seals every file that is still plain and
then removes `cofacil.sealing`, so an interrupted run is finished the next time.
"""

from __future__ import annotations

from pathlib import Path

from cofacil.storage import journal, vault
from cofacil.storage.errors import NewerSchema, SessionLocked, StoreError
from cofacil.storage.folder import check_folder
from cofacil.storage.ids import is_safe_id
from cofacil.storage.safefile import (
    FileLock,
    LockHeld,
    atomic_write,
    backup_path,
    ensure_private_dir,
    quarantine_name,
)
from cofacil.storage.schema import newer_schema_message
from cofacil.storage.session_files import (
    ALIVE_SUFFIX,
    DRAFT_SUFFIX,
    HEADER_SUFFIX,
    SessionPaths,
    alive_label,
    checkpoint_label,
    draft_label,
    header_label,
    journal_label,
)
from cofacil.storage.vault import VAULT_FILE, Vault

SEALING_FILE = "cofacil.sealing"  # present from `enable_encryption` until every file is sealed


def is_encrypted(data_dir: Path) -> bool:
    return (Path(data_dir) / VAULT_FILE).exists()


def open_vault(data_dir: Path, passphrase: str) -> Vault:
    """The key of an encrypted folder; `WrongPassphrase` touches nothing."""
    path = Path(data_dir) / VAULT_FILE
    try:
        check = path.read_bytes()
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror}") from None
    try:
        return vault.unlock(check, passphrase, str(path))
    except vault.VaultError as error:
        raise StoreError(str(error)) from None


def plain(path: Path) -> bytes | None:
    """The bytes of a file that is not sealed; None if sealed or missing."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return None if raw.startswith(vault.MAGIC + b" ") else raw


def sealed_files(data_dir: Path) -> list[Path]:
    """Files sealed with a key: in a folder without its vault, they are why `--encrypt` must not
    make a new key (they would never open again with it)."""
    found = []
    for folder in (data_dir, data_dir / "sessions"):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.is_symlink():
                    with path.open("rb") as file:
                        if file.read(len(vault.MAGIC) + 1) == vault.MAGIC + b" ":
                            found.append(path)
    return found


def enable_encryption(data_dir: Path, passphrase: str, log2n: int = vault.DEFAULT_LOG2N) -> Vault:
    """Make a folder encrypted: write its `cofacil.vault` (and `cofacil.sealing`, which tells the
    next `Store(codec=...)` to seal what is still plain). Refused while a session is being
    recorded, in a folder that is encrypted already, and where sealed files have lost their
    vault (a new key would never open them)."""
    data_dir = Path(data_dir)
    check_folder(data_dir, create=True)
    if not is_encrypted(data_dir) and (sealed := sealed_files(data_dir)):
        raise StoreError(
            f"{data_dir} holds encrypted files ({sealed[0].name}) but no {VAULT_FILE}: "
            f"put that file back from a backup of the folder; nothing was changed"
        )
    try:
        key = vault.new_vault(passphrase, log2n)
    except vault.VaultError as error:
        raise StoreError(str(error)) from None
    try:
        ensure_private_dir(data_dir)
        ensure_private_dir(data_dir / "sessions")
        with FileLock(data_dir / "cofacil.lock"):  # one `--encrypt` at a time, no save between
            if is_encrypted(data_dir):
                raise StoreError(f"{data_dir} is encrypted already; nothing was changed")
            for lock_path in sorted((data_dir / "sessions").glob("*.lock")):
                lock = FileLock(lock_path)
                try:
                    lock.acquire()
                except LockHeld:
                    raise SessionLocked(
                        "a session in this folder is being recorded: close that cofacil first; "
                        "nothing was changed"
                    ) from None
                lock.release()
            atomic_write(data_dir / SEALING_FILE, b"", keep_backup=False)
            atomic_write(data_dir / VAULT_FILE, key.key_check(), keep_backup=False)
    except OSError as error:
        raise StoreError(f"cannot encrypt {data_dir}: {error.strerror}") from None
    return key


# The key redacted exports are keyed with (`Store.redaction_key`): sealed like the rest.
REDACTION_KEY_FILE = "redaction.key"
REDACTION_KEY_LABEL = "redaction key"


def seal_plain_files(
    data_dir: Path, key: Vault, debris: list[Path], notices: list[str], index: Path
) -> None:
    """Seal the files of a folder just made encrypted (`cofacil.sealing` says so, until this
    has finished). Each file is replaced atomically, so a crash here leaves every file plain
    or sealed, and the next open carries on. Crash debris (temp files, which may hold plain
    text) is removed. Outside this, a file that is not sealed is damage, never re-sealed."""
    sessions_dir = data_dir / "sessions"
    for path in debris:
        if plain(path):  # whatever its age: plain text must not outlive the sealing
            path.unlink()

    jobs: list[tuple[Path, str]] = [(index, "main")]
    for path in sorted(sessions_dir.iterdir()):
        session_id = path.name.split(".", 1)[0]
        if ".damaged-" in path.name:
            jobs.append((path, "kept"))
        elif path.name.endswith((".json", ".json.bak")):
            jobs.append((path, checkpoint_label(session_id)))
        elif path.name.endswith(HEADER_SUFFIX):
            jobs.append((path, header_label(session_id)))
        elif path.name.endswith(ALIVE_SUFFIX):
            jobs.append((path, alive_label(session_id)))
        elif path.name.endswith(DRAFT_SUFFIX):
            jobs.append((path, draft_label(session_id)))
    jobs.append((backup_path(index), "main"))
    jobs.append((data_dir / REDACTION_KEY_FILE, REDACTION_KEY_LABEL))
    jobs += [(p, "kept") for p in data_dir.iterdir() if ".damaged-" in p.name]
    sealed = 0
    for path, label in jobs:
        if (raw := plain(path)) is not None:
            atomic_write(path, key.seal_file(raw, label), keep_backup=False)
            sealed += 1
    for path in sorted(sessions_dir.glob("*.journal")):
        session_id = path.name.removesuffix(".journal")
        if not is_safe_id(session_id):
            continue  # not a session's file: left as it is
        lock = FileLock(SessionPaths(sessions_dir, session_id).lock)
        try:
            lock.acquire()
        except LockHeld:
            raise SessionLocked(
                f"{path.name} is being recorded by a cofacil started before this folder was "
                "encrypted: close it, then open the folder again"
            ) from None
        try:
            raw = plain(path)  # read under the lock: nobody appends meanwhile
            if not raw:
                continue
            read = journal.decode(raw)
            if read.newer:
                line, version = read.newer[0]
                raise NewerSchema(newer_schema_message(f"{path}: line {line}", version))
            if read.damaged:  # what cannot be read stays, sealed, beside the journal
                kept = quarantine_name(path)
                atomic_write(kept, key.seal_file(raw, "kept"), keep_backup=False)
                notices.append(
                    f"{path.name}: {read.problems()}; a sealed copy is kept as {kept.name}"
                )
            label = journal_label(session_id)
            atomic_write(path, journal.encode(read.events, key, label), False)
            sealed += 1
        finally:
            lock.release()
    if sealed:
        notices.append(f"encrypted {sealed} file(s) that were still plain")
