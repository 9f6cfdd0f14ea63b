"""The session journal: an append-only, fsynced file of events, one line each.

This is what makes an acknowledged event durable in about the time of one fsync, whatever the
history size: appending never rewrites anything. A line is `<crc32 hex> <event json>\\n`; the
checksum catches a flipped byte that would still parse as JSON. In an encrypted folder the file
starts with the vault header and each line is one sealed box instead (see vault.py): its tag
does the checksum's work. The TinyDB session file is a checkpoint of the same events, written
atomically when a session is opened and closed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from cofacil.models import SCHEMA_VERSION, EventBase, parse_event_json, parse_events_json
from cofacil.storage.safefile import fsync_dir, open_private, read_file, write_all
from cofacil.storage.schema import event_problem, sound_log
from cofacil.storage.vault import MAGIC, PLAIN, Codec, Undecryptable


def encode_line(event: EventBase, codec: Codec = PLAIN, label: str = "") -> bytes:
    body = event.model_dump_json().encode()
    if codec.encrypted:
        return codec.seal_line(body, label) + b"\n"
    return b"%08x %s\n" % (zlib.crc32(body), body)


def encode(events: list[EventBase], codec: Codec = PLAIN, label: str = "") -> bytes:
    """A whole journal holding `events` (for a rebuild)."""
    return codec.journal_header() + b"".join(encode_line(e, codec, label) for e in events)


def _open_body(line: bytes, codec: Codec, label: str) -> bytes:
    if codec.encrypted:
        return codec.open_line(line, label)
    crc, _, body = line.partition(b" ")
    if int(crc, 16) != zlib.crc32(body):
        raise ValueError("checksum mismatch")
    return body


REASON_MAX = 100  # characters of why a line does not read, in a notice


@dataclass
class JournalRead:
    events: list[EventBase] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)  # "line N: why"
    torn_tail: bool = False  # the last write never completed (a crash mid-append)
    good_length: int = 0  # bytes up to the end of the last whole line
    sealed: bool = False  # an encrypted journal read without the folder's key
    newer: list[tuple[int, int]] = field(default_factory=list)  # (line, schema) from a newer app
    data: bytes = field(default=b"", repr=False, compare=False)  # the bytes read

    def mark(self, length: int | None = None) -> tuple[int, str]:
        """The `mark_of` the journal's first `length` bytes as read (default: up to the end
        of its last whole line)."""
        return mark_of(memoryview(self.data)[: self.good_length if length is None else length])

    @property
    def damaged(self) -> bool:
        return self.torn_tail or bool(self.bad_lines)

    def problems(self, most: int = 3) -> str:
        """What does not read, for a notice: the first few lines' reasons and how many more
        (a journal of random bytes would otherwise make a notice of hundreds of lines)."""
        said = [*self.bad_lines[:most], *(["an unfinished last line"] if self.torn_tail else [])]
        if len(self.bad_lines) > most:
            said.append(f"{len(self.bad_lines) - most} more line(s) that do not read")
        return "; ".join(said)


def mark_of(data: bytes | memoryview) -> tuple[int, str]:
    """A journal's bytes as a checkpoint keeps them in mind: their length and SHA-256."""
    return len(data), hashlib.sha256(data).hexdigest()


def _schema_version(body: bytes) -> int:
    try:
        version = json.loads(body).get("v", 0)
    except (ValueError, AttributeError, RecursionError):
        return 0
    return version if isinstance(version, int) else 0


def decode(
    data: bytes, codec: Codec = PLAIN, label: str = "", people: set[str] | None = None
) -> JournalRead:
    """Every event of a journal. With `people` (the session's roster and the facilitators), an
    event naming anyone else is a damaged line: it never reaches the screen as an unknown id."""
    result = JournalRead()
    header = b""
    if not codec.encrypted and data.startswith(MAGIC + b" "):
        result.sealed = True  # the store refuses it: never "repaired" as plain text
        return result
    if codec.encrypted and data:
        first = data.partition(b"\n")[0]
        if b" " in first:  # a header line (event lines are base64, without spaces)
            header = first + b"\n"
            if header != codec.journal_header():
                result.bad_lines.append("the header: damaged, or not this folder's")
    result.data = data
    lines = data[len(header) :].split(b"\n")
    tail = lines.pop()  # whatever follows the last newline
    result.torn_tail = bool(tail)
    result.good_length = len(data) - len(tail)
    if (whole := _read_whole(lines, codec, label, people)) is not None:
        result.events = whole
        return result
    seen: dict[int, EventBase] = {}
    for number, line in enumerate(lines, start=1):
        try:
            body = _open_body(line, codec, label)
            try:
                event = parse_event_json(body)
            except ValidationError:
                # A newer app's event is not damage: the store refuses the journal untouched.
                if (version := _schema_version(body)) > SCHEMA_VERSION:
                    result.newer.append((number, version))
                    continue
                raise
            if event.v > SCHEMA_VERSION:
                result.newer.append((number, event.v))
                continue
            if event.v < 0:  # 0: written before versions were kept; 1 reads as it is
                raise ValueError(f"unknown schema version {event.v}")
            if problem := event_problem(event, people):
                raise ValueError(problem)
            if event.seq in seen:
                if seen[event.seq] != event:
                    # Two events at one place: keep the first, the other goes to the copy.
                    raise ValueError(f"seq {event.seq} is taken by another event")
                continue  # the same line twice (a retried append) is harmless
            seen[event.seq] = event
            result.events.append(event)
        except (ValueError, ValidationError, Undecryptable, RecursionError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            if len(reason) > REASON_MAX:  # it may quote the line's bytes
                reason = reason[: REASON_MAX - 1] + "…"
            result.bad_lines.append(f"line {number}: {reason}")
    return result


def _read_whole(
    lines: list[bytes], codec: Codec, label: str, people: set[str] | None
) -> list[EventBase] | None:
    """Every line at once, when each one reads: checksums first, then one validation of the
    whole log as a JSON array (a third less time than line by line, on the reading of every
    session a review or a member's course opens). None at the first doubt: the line-by-line
    reading then finds each damaged line and says why."""
    try:
        if codec.encrypted:
            bodies = [_open_body(line, codec, label) for line in lines]
        else:  # `_open_body`'s checks, for every line at once
            parts = [line.partition(b" ") for line in lines]
            bodies = [body for _, _, body in parts]
            if list(map(zlib.crc32, bodies)) != [int(crc, 16) for crc, _, _ in parts]:
                return None
        events = parse_events_json(b"[" + b",".join(bodies) + b"]")
    except (ValueError, ValidationError, Undecryptable, RecursionError):
        return None
    if len(events) != len(bodies):  # a line holding two events
        return None
    seqs = {event.seq for event in events}
    if len(seqs) != len(events) or not sound_log(events, people):
        return None
    if not all(0 <= event.v <= SCHEMA_VERSION for event in events):
        return None
    return events


def read_last(path: Path, codec: Codec = PLAIN, label: str = "") -> EventBase | None:
    """The last whole event of a journal, or None (empty, missing, or that line does not read):
    how a log ends, at the cost of one line rather than the whole log."""
    try:
        data = read_file(path)
    except OSError:  # missing, or a link in its place
        return None
    whole = data[: data.rfind(b"\n") + 1]  # a torn last line was never acknowledged
    line = whole[:-1].rpartition(b"\n")[2]
    if not line or (codec.encrypted and b" " in line):  # nothing, or only the header
        return None
    try:
        return parse_event_json(_open_body(line, codec, label))
    except (ValueError, ValidationError, Undecryptable, RecursionError):
        return None


def read(
    path: Path, codec: Codec = PLAIN, label: str = "", people: set[str] | None = None
) -> JournalRead:
    try:
        return decode(read_file(path), codec, label, people)
    except FileNotFoundError:
        return JournalRead()
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        return JournalRead(bad_lines=["a link in the journal's place"])


def _read_up_to(path: Path, length: int) -> bytes:
    data = read_file(path)
    if len(data) < length:
        raise OSError(errno.EIO, "the journal is shorter than it was a moment ago")
    return data[:length]


class JournalWriter:
    """Appends events; `append` returns only once the line is on disk."""

    def __init__(self, path: Path, codec: Codec = PLAIN, label: str = "") -> None:
        self.path = path
        self.codec, self.label = codec, label
        existed = path.exists()
        self._fd: int | None = open_private(path, os.O_WRONLY | os.O_APPEND)
        try:
            # Where the last whole line ends: a failed append cuts the file back to it.
            self._end = os.lseek(self._fd, 0, os.SEEK_END)
            # Everything up to there, and each line as it is written: the journal as this
            # writer knows it, for the checkpoint's mark.
            self._hash = hashlib.sha256(_read_up_to(path, self._end))
            if not existed:
                fsync_dir(path.parent)  # the new name must survive a crash too
        except BaseException:
            self.close()
            raise
        self._header = codec.journal_header() if self._end == 0 else b""

    def append(self, event: EventBase) -> None:
        if self._fd is None:
            raise ValueError("journal is closed")
        data = self._header + encode_line(event, self.codec, self.label)
        try:
            size = os.lseek(self._fd, 0, os.SEEK_END)
            if size < self._end:
                # Cut by someone else: truncating "back" would pad it with zeros and spoil
                # the next line. Refuse; the events wait in memory, the next open mends it.
                raise OSError(errno.EIO, "the journal is shorter than what was saved")
            if size != self._end:
                # An earlier failed append could not be cut back (the disk refused that too):
                # cut it now, or this line would be glued to its remains and lost with them.
                os.ftruncate(self._fd, self._end)
            write_all(self._fd, data)
            # After a failed fsync the kernel may have dropped the dirty pages: the line is
            # cut and written again on the retry, never trusted to a second fsync.
            os.fsync(self._fd)
        except BaseException:
            # A half-written line (disk full) would be glued to the next event's line and spoil
            # it too: cut the file back to the last whole line before reporting the failure.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._end)
            raise
        self._end += len(data)
        self._hash.update(data)
        self._header = b""

    @property
    def mark(self) -> tuple[int, str]:
        """The journal's length as this writer left it (every line it holds, each whole), and
        the SHA-256 of those bytes as it read and wrote them."""
        return self._end, self._hash.hexdigest()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
