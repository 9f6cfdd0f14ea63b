"""Reading a journal whole (every line validated at once) finds exactly what reading it line by
line finds, whatever happened to the file: a damaged or crafted journal only ever takes the
slower reading, never another result."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from cofacil.models import Correction, EventBase, Observation, TurnStarted
from cofacil.storage import journal
from cofacil.storage.schema import event_problem, sound_log

PEOPLE = {"maya", "omar", "lead", "cofac"}
START = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def _events(n: int) -> list[EventBase]:
    events: list[EventBase] = []
    for seq in range(n):
        stamp = {"seq": seq, "at": START + timedelta(seconds=seq), "mono": float(seq), "epoch": "e"}
        if seq % 3 == 0:
            events.append(TurnStarted(speaker="maya" if seq % 2 else "omar", **stamp))
        elif seq % 3 == 1:
            events.append(Observation(text=f"note {seq}", about=["maya"], **stamp))
        else:
            events.append(Correction(target=events[-1].id, action="undo", **stamp))
    return events


def _line_by_line(data: bytes, people: set[str] | None) -> journal.JournalRead:
    with mock.patch.object(journal, "_read_whole", return_value=None):
        return journal.decode(data, people=people)


def _crafted(body: bytes) -> bytes:
    """A line whose checksum holds: damage a checksum cannot catch (or a hostile file)."""
    return b"%08x %s" % (zlib.crc32(body), body)


EDITS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(0, 7)),
    st.tuples(st.just("drop"), st.integers(0, 50)),
    st.tuples(st.just("twice"), st.integers(0, 50)),
    st.tuples(st.just("swap"), st.integers(0, 50)),
    st.tuples(st.just("join"), st.integers(0, 50)),  # two events on one checksummed line
    st.tuples(st.just("empty"), st.integers(0, 50)),  # a checksummed empty line
    st.tuples(st.just("stranger"), st.integers(0, 50)),  # names someone not on the roster
    st.tuples(st.just("bad id"), st.integers(0, 50), st.sampled_from(["a\nb", "../x", "", "é"])),
    st.tuples(st.just("newer"), st.integers(0, 50)),
    st.tuples(st.just("cut"), st.integers(1, 400)),
)


def _edit(lines: list[bytes], edit: tuple) -> None:
    kind, at = edit[0], edit[1] % max(len(lines), 1)
    if not lines:
        return
    body = lines[at].partition(b" ")[2]
    if kind == "flip":
        data = bytearray(b"\n".join(lines))
        if not data:
            return
        data[edit[1] % len(data)] ^= 1 << edit[2]
        lines[:] = bytes(data).split(b"\n")
    elif kind == "drop":
        del lines[at]
    elif kind == "twice":
        lines.insert(at, lines[at])
    elif kind == "swap" and at + 1 < len(lines):
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    elif kind == "join" and at + 1 < len(lines):
        lines[at : at + 2] = [_crafted(body + b"," + lines[at + 1].partition(b" ")[2])]
    elif kind == "empty":
        lines.insert(at, _crafted(b""))
    elif kind in ("stranger", "bad id", "newer"):
        try:
            doc = json.loads(body)
        except ValueError:  # a line an earlier edit damaged
            return
        if not isinstance(doc, dict):
            return
        if kind == "stranger":
            doc["about" if "about" in doc else "speaker" if "speaker" in doc else "id"] = (
                ["nobody"] if "about" in doc else "nobody"
            )
        elif kind == "bad id":
            doc["id"] = edit[2]
        else:
            doc["v"] = 99
        lines[at] = _crafted(json.dumps(doc).encode())
    elif kind == "cut":
        lines[-1] = lines[-1][: -edit[1]]


@given(st.integers(0, 40), st.lists(EDITS, max_size=4), st.booleans())
def test_a_journal_read_whole_reads_as_it_does_line_by_line(
    n: int, edits: list[tuple], with_roster: bool
) -> None:
    lines = [journal.encode_line(e).rstrip(b"\n") for e in _events(n)]
    for edit in edits:
        _edit(lines, edit)
    data = b"".join(line + b"\n" for line in lines)
    people = PEOPLE if with_roster else None
    assert journal.decode(data, people=people) == _line_by_line(data, people)


@given(st.integers(0, 30), st.booleans())
def test_a_log_is_sound_exactly_when_each_event_is(n: int, with_roster: bool) -> None:
    events = _events(n)
    people = PEOPLE if with_roster else None
    assert sound_log(events, people) is all(event_problem(e, people) is None for e in events)
    for bad in ("x\ny", "../up", "a" * 65, "-lead"):
        if events:
            odd = [*events[:-1], events[-1].model_copy(update={"id": bad})]
            assert not sound_log(odd, people)


def test_an_offset_with_seconds_does_not_read_from_json_either() -> None:
    """The whole-minute rule is checked in Python; from JSON, pydantic refuses such an offset
    itself (the reading skips the Python check, not the rule)."""
    import pytest
    from pydantic import ValidationError

    from cofacil.models import parse_events_json

    line = b'{"type":"paused","seq":0,"at":"2026-01-01T00:00:00+01:00:30","mono":0,"epoch":"e"}'
    with pytest.raises(ValidationError):
        parse_events_json(b"[" + line + b"]")
    assert journal.decode(_crafted(line) + b"\n").bad_lines


# --- a checkpoint's table, read whole ------------------------------------------------------

DOC_EDITS = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 50)),
    st.tuples(st.just("rekey"), st.integers(0, 50), st.sampled_from(["0", "01", "99", " 2"])),
    st.tuples(st.just("seq"), st.integers(0, 50), st.integers(-1, 60)),
    st.tuples(st.just("same id"), st.integers(0, 50)),
    st.tuples(st.just("stranger"), st.integers(0, 50)),
    st.tuples(st.just("bad id"), st.integers(0, 50), st.sampled_from(["a\nb", "../x", "", "é"])),
    st.tuples(st.just("version"), st.integers(0, 50), st.sampled_from([0, 1, 2, True, "3"])),
    st.tuples(st.just("field"), st.integers(0, 50), st.sampled_from(["at", "mono", "text"])),
    st.tuples(st.just("swap"), st.integers(0, 50)),
)


def _edit_table(table: dict[str, dict], edit: tuple) -> dict[str, dict]:
    items = list(table.items())
    if not items:
        return table
    kind, at = edit[0], edit[1] % len(items)
    key, doc = items[at]
    doc = dict(doc)
    if kind == "drop":
        del items[at]
    elif kind == "rekey":
        items[at] = (edit[2], doc)
    elif kind == "seq":
        items[at] = (key, {**doc, "seq": edit[2]})
    elif kind == "same id":
        items[at] = (key, {**doc, "id": items[0][1]["id"]})
    elif kind == "stranger":
        field = "about" if "about" in doc else "speaker" if "speaker" in doc else "id"
        items[at] = (key, {**doc, field: ["nobody"] if field == "about" else "nobody"})
    elif kind == "bad id":
        items[at] = (key, {**doc, "id": edit[2]})
    elif kind == "version":
        items[at] = (key, {**doc, "v": edit[2]})
    elif kind == "field":
        items[at] = (key, {**doc, edit[2]: None})
    elif kind == "swap" and at + 1 < len(items):
        items[at], items[at + 1] = items[at + 1], items[at]
    return dict(items)


@given(st.integers(0, 30), st.lists(DOC_EDITS, max_size=4), st.booleans())
def test_a_checkpoint_read_whole_reads_as_it_does_document_by_document(
    tmp_path_factory, n: int, edits: list[tuple], with_roster: bool
) -> None:
    from cofacil.storage import recovery
    from cofacil.storage.errors import StoreError
    from cofacil.storage.tinydb_file import encode_tables
    from cofacil.storage.vault import PLAIN

    table = {str(e.seq + 1): e.model_dump(mode="json") for e in _events(n)}
    for edit in edits:
        table = _edit_table(table, edit)
    path = tmp_path_factory.mktemp("ckpt") / "s1.json"
    path.write_bytes(encode_tables({"events": table}))
    people = PEOPLE if with_roster else None

    def outcome() -> object:
        try:
            return recovery.read_checkpoint(path, PLAIN, "s1", people)
        except StoreError as error:
            return type(error), str(error)

    whole = outcome()
    with mock.patch.object(recovery, "_read_whole", return_value=None):
        assert whole == outcome()


def test_a_journal_of_random_bytes_is_told_in_a_few_words() -> None:
    """Hundreds of lines that do not read, each quoting its bytes: the notice names the
    first few, each cut short, and counts the rest."""
    import random

    rng = random.Random(5)
    data = b"\n".join(bytes(rng.randrange(256) for _ in range(300)) for _ in range(200)) + b"\n"
    read = journal.decode(data)
    assert len(read.bad_lines) > 100
    said = read.problems()
    assert len(said) < 500 and said.endswith("more line(s) that do not read")
    assert all(len(line) <= journal.REASON_MAX + len("line 200: ") for line in read.bad_lines)
