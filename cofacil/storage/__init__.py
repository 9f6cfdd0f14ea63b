"""Storage: everything cofacil keeps on disk, and the only code that touches files.

A small front (frogmouth's `data/__init__.py` is the model); each module has one reason to
change:

    errors         what can go wrong, as one-line messages
    schema         schema versions: migrate, validate
    ids            ids are data, never paths
    safefile       private, atomic, fsynced files; locks; damaged files kept aside
    vault          the cipher (AES-GCM, scrypt) behind an encrypted folder
    encryption     making a folder encrypted, sealing what is still plain
    folder         the data folder: cofacil's alone, private, read-only when it must be
    tinydb_file    checksummed TinyDB files (the index, checkpoints, headers)
    index          the index, and its rebuild from the sessions' own files
    session_files  a session's own files, and its header
    journal        the append-only journal of a session's events
    recovery       reading a session's log back, mending what a crash left
    session_log    recording a session
    store          the front the app uses
"""

from cofacil.storage.encryption import enable_encryption, is_encrypted, open_vault
from cofacil.storage.errors import (
    DamagedFile,
    NewerSchema,
    NotCofacilFolder,
    NotFound,
    ReadOnlyFolder,
    SessionLocked,
    SignedOffError,
    StoreError,
    not_saved,
)
from cofacil.storage.folder import check_folder, default_data_dir
from cofacil.storage.session_log import SessionLog
from cofacil.storage.store import Store

__all__ = [
    "DamagedFile",
    "NewerSchema",
    "NotCofacilFolder",
    "NotFound",
    "ReadOnlyFolder",
    "SessionLocked",
    "SessionLog",
    "SignedOffError",
    "Store",
    "StoreError",
    "check_folder",
    "default_data_dir",
    "enable_encryption",
    "is_encrypted",
    "not_saved",
    "open_vault",
]
