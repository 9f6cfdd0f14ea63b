"""Encryption at rest, opt-in per data folder.

A folder is encrypted when it holds `cofacil.vault`: the key-derivation parameters and a key
check, so a wrong passphrase is told apart from a damaged file. The key is derived from the
passphrase with scrypt and lives only in this process's memory.

Every encrypted file starts with a one-line header naming the cipher, the scrypt parameters and
the salt (a file can say on its own how its key is made):

    cofacil-vault 1 scrypt <log2 n> <r> <p> <salt, base64>\\n

A database (main index, session checkpoint) follows as one AES-256-GCM box: nonce + ciphertext
with its tag. A journal follows as one box per line, base64, so an append stays one small write
and a torn last line costs only that line. Each box's associated data is the header and what
the bytes are (`main`, `checkpoint:<session>`, `journal:<session>`): a box moved from one
session's file into another's does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `cryptography` loads only in an encrypted folder: a plain start stays quick
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VAULT_FILE = "cofacil.vault"
MAGIC = b"cofacil-vault"
FORMAT = b"1"
NONCE = 12
# scrypt cost: 2^17 x 8 x 128 bytes = 128 MiB and about a quarter of a second, once per start
# (OWASP's recommendation for scrypt). A header asking for more than twice that memory, or more
# than two lanes, is refused: a tampered file must not make the app allocate gigabytes.
DEFAULT_LOG2N, DEFAULT_R, DEFAULT_P = 17, 8, 1
MAX_MEMORY = 256 * 2**20
MAX_P = 2
MIN_PASSPHRASE = 8
_CHECK = b"cofacil key check"


class VaultError(Exception):
    """A problem with the encryption; `str()` is one clear line."""


class WrongPassphrase(VaultError):
    pass


class Undecryptable(VaultError):
    """A file that does not open with this folder's key: damaged or tampered with."""


@dataclass(frozen=True)
class KdfParams:
    log2n: int
    r: int
    p: int
    salt: bytes

    def header(self) -> bytes:
        salt = base64.b64encode(self.salt)
        return b"%s %s scrypt %d %d %d %s\n" % (MAGIC, FORMAT, self.log2n, self.r, self.p, salt)

    @classmethod
    def parse(cls, line: bytes) -> KdfParams:
        parts = line.rstrip(b"\n").split(b" ")
        if len(parts) != 7 or parts[0] != MAGIC or parts[2] != b"scrypt":
            raise Undecryptable("the encryption header is not cofacil's")
        if parts[1] != FORMAT:
            raise Undecryptable(f"unknown encryption format {parts[1].decode('ascii', 'replace')}")
        try:
            log2n, r, p = (int(x) for x in parts[3:6])
            salt = base64.b64decode(parts[6], validate=True)
        except (ValueError, binascii.Error):
            raise Undecryptable("the encryption header is garbled") from None
        memory = 128 * r * 2**log2n if 10 <= log2n <= 30 and 1 <= r <= 64 else MAX_MEMORY + 1
        if not (memory <= MAX_MEMORY and 1 <= p <= MAX_P and salt):
            raise Undecryptable("the encryption header asks for parameters out of range")
        return cls(log2n, r, p, salt)

    def derive(self, passphrase: str) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        kdf = Scrypt(salt=self.salt, length=32, n=2**self.log2n, r=self.r, p=self.p)
        # NFC: the same passphrase typed on two systems may come as different code points.
        return kdf.derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header line, rest) of an encrypted file; an error if it has no cofacil header."""
    if not raw.startswith(MAGIC + b" "):
        raise Undecryptable("it is not encrypted, though this folder is")
    header, newline, rest = raw.partition(b"\n")
    if not newline:
        raise Undecryptable("its encryption header is cut off")
    return header + b"\n", rest


class Codec:
    """How file bytes are stored. This one: as they are (an unencrypted folder)."""

    encrypted = False

    def seal_file(self, data: bytes, label: str) -> bytes:
        return data

    def open_file(self, raw: bytes, label: str) -> bytes:
        return raw

    def journal_header(self) -> bytes:
        return b""

    def seal_line(self, body: bytes, label: str) -> bytes:
        return body

    def open_line(self, line: bytes, label: str) -> bytes:
        return line


PLAIN = Codec()


class Vault(Codec):
    """AES-256-GCM with a key from the folder's passphrase."""

    encrypted = True

    def __init__(self, params: KdfParams, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.params = params
        self._header = params.header()
        self._aead = {self._header: AESGCM(key)}

    def _cipher(self, header: bytes) -> AESGCM:
        try:
            return self._aead[header]
        except KeyError:
            # A file written with other parameters (should not happen in one folder): its own
            # header says how its key is made, but the passphrase is still this folder's.
            raise Undecryptable("it was encrypted with a different key") from None

    def _seal(self, header: bytes, data: bytes, label: str) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._cipher(header).encrypt(nonce, data, header + label.encode())

    def _open(self, header: bytes, box: bytes, label: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        if len(box) < NONCE + 16:
            raise Undecryptable("it is cut short")
        try:
            return self._cipher(header).decrypt(box[:NONCE], box[NONCE:], header + label.encode())
        except InvalidTag:
            raise Undecryptable("it does not decrypt: damaged or altered") from None

    def seal_file(self, data: bytes, label: str) -> bytes:
        return self._header + self._seal(self._header, data, label)

    def open_file(self, raw: bytes, label: str) -> bytes:
        header, box = split_header(raw)
        return self._open(header, box, label)

    def journal_header(self) -> bytes:
        return self._header

    def seal_line(self, body: bytes, label: str) -> bytes:
        return base64.b64encode(self._seal(self._header, body, label))

    def open_line(self, line: bytes, label: str) -> bytes:
        """A journal line, sealed with this folder's header as associated data (not the file's
        own header: a damaged header then costs that header, not every line after it)."""
        try:
            box = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise Undecryptable("not an encrypted line") from None
        return self._open(self._header, box, label)

    def key_check(self) -> bytes:
        return self._header + self._seal(self._header, _CHECK, "check")


def new_vault(passphrase: str, log2n: int = DEFAULT_LOG2N) -> Vault:
    """A vault with a fresh salt; the caller writes `key_check()` to `cofacil.vault`."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise VaultError(f"the passphrase needs at least {MIN_PASSPHRASE} characters")
    params = KdfParams(log2n, DEFAULT_R, DEFAULT_P, os.urandom(16))
    return Vault(params, params.derive(passphrase))


def unlock(check: bytes, passphrase: str, where: str) -> Vault:
    """The folder's vault from the contents of its `cofacil.vault` and the passphrase."""
    try:
        header, box = split_header(check)
        params = KdfParams.parse(header)
    except Undecryptable as error:
        raise VaultError(f"{where} is damaged: {error}") from None
    vault = Vault(params, params.derive(passphrase))
    try:
        if vault._open(header, box, "check") != _CHECK:
            raise Undecryptable("unexpected key check")
    except Undecryptable:
        raise WrongPassphrase(
            f"wrong passphrase for {Path(where).parent} (or {VAULT_FILE} was altered); "
            "nothing was opened"
        ) from None
    return vault
