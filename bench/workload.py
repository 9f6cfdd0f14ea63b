"""Realistic session logs, and data folders full of them, built fast.

A session is what the co-facilitator records in a 90-minute meeting: turns started and ended,
observations with a sentence of text, codes, the odd interruption, technique, pause, late
arrival, correction and (rarely) a flag.

History is written in the store's own format with the store's own pieces: session documents
through `Store.save_session`, each journal as `journal.encode_line` lines and each checkpoint
through `recovery.write_checkpoint` (the same write `SessionLog.close` does, with the journal's
mark), each file atomically and fsynced, just not one fsync per event as recording would.
`write_open_session` lays out one session still being recorded (no end yet) the same way, for
the live screen's benches.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cofacil.models import (
    COFAC,
    LEAD,
    Attendance,
    AttendanceChanged,
    CodedEvent,
    Correction,
    EventBase,
    Flag,
    Group,
    Interruption,
    Member,
    Observation,
    Paused,
    Resumed,
    Session,
    SessionEnded,
    SessionStarted,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
    default_hotkey,
)
from cofacil.storage import Store, journal
from cofacil.storage.recovery import write_checkpoint
from cofacil.storage.safefile import atomic_write
from cofacil.storage.vault import PLAIN

SESSION_EVENTS = 500  # a realistic, busy 90-minute session
TZ = timezone(timedelta(hours=1))

NAMES = ("Maya", "Theo", "Priya", "Jonas", "Lea", "Omar", "Ines", "Kit")
CODES = ("support", "self-disclosure", "challenge", "insight", "humor", "silence", "conflict")
TECHNIQUES = ("go-round", "mirroring", "empty-chair", "sculpting", "reframe")
SENTENCES = (
    "Talks about the argument with her sister and how it still keeps her awake at night.",
    "Looks at the floor while the others answer; shoulders drop when the topic changes.",
    "Says he felt heard for the first time this month and thanks the group.",
    "Brings up the new job again; the group asks what worries him most about it.",
    "Laughs it off, then goes quiet; the lead gives her room and she continues.",
    "Compares the situation at home to what Theo described last week.",
    "Asks the group directly whether anyone else has felt this way after a loss.",
    "Interrupted twice, then withdrew; check in with him at the end.",
    "Describes a small success with the breathing exercise from two sessions ago.",
    "Voice shakes when mentioning her father; the group waits and nobody rushes her.",
    "Disagrees with the lead's suggestion, calmly, and gives her reasons.",
    "Offers support to Omar, who nods but does not speak yet.",
)
TAGS = ("family", "work", "grief", "sleep", "progress", "conflict")


def make_group(created_at: datetime) -> Group:
    members = [
        Member(name=name, seat=seat, hotkey=default_hotkey(seat))
        for seat, name in enumerate(NAMES, start=1)
    ]
    return Group(
        name="Thursday evening support group",
        kind="support",
        lead="Dr. Rivera",
        cofac="Sam",
        members=members,
        created_at=created_at,
    )


def make_session(group: Group, number: int, start: datetime) -> Session:
    ids = [m.id for m in group.seated()]
    attendance = {mid: Attendance() for mid in ids}
    attendance[ids[-1]] = Attendance(present=False)
    attendance[ids[2]] = Attendance(arrived_at=start + timedelta(minutes=12))
    return Session(
        group_id=group.id,
        number=number,
        date=start.date(),
        theme="Keeping going when things get hard",
        attendance=attendance,
        seats=ids,
        created_at=start - timedelta(minutes=10),
    )


def event_specs(
    rng: random.Random, group: Group
) -> Iterator[tuple[type[EventBase], dict[str, Any]]]:
    """An endless stream of (event type, fields) as a session produces them, starting with
    `session_started`. Every spec carries an `id`, so corrections can target earlier events."""
    members = [m.id for m in group.seated()]
    people = [*members, LEAD, COFAC]
    weights = [6, 9, 4, 3, 5, 1, 4, 2, 5, 1]

    def spec(cls: type[EventBase], **fields: Any) -> tuple[type[EventBase], dict[str, Any]]:
        fields["id"] = uuid.uuid4().hex
        return cls, fields

    yield spec(SessionStarted)
    coded: list[str] = []
    turns = 0
    while True:
        speaker = rng.choices(people, weights)[0]
        yield spec(TurnStarted, speaker=speaker)
        turns += 1
        for _ in range(rng.choice((0, 1, 1, 2))):
            roll = rng.random()
            about = [speaker] if speaker in members else rng.sample(members, 1)
            if roll < 0.45:
                tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2)))
                yield spec(Observation, text=rng.choice(SENTENCES), about=about, tags=tags)
            elif roll < 0.85:
                kind, fields = spec(CodedEvent, scheme="quick", code=rng.choice(CODES), about=about)
                coded.append(fields["id"])
                yield kind, fields
            elif roll < 0.93:
                yield spec(Interruption, by=rng.choice(people), of=speaker)
            elif roll < 0.98:
                yield spec(TechniqueUsed, card=rng.choice(TECHNIQUES), towards=about)
            elif coded:
                yield spec(Correction, target=coded.pop(), action="undo")
            else:
                yield spec(Flag, text="Mentions not sleeping for days; follow up after.")
        yield spec(TurnEnded, speaker=speaker)
        if turns == 5:
            yield spec(AttendanceChanged, member=members[2], change="arrived")
        if turns % 60 == 0:
            yield spec(Paused, author="lead")
            yield spec(Resumed, author="lead")


def session_events(
    rng: random.Random, group: Group, start: datetime, count: int = SESSION_EVENTS
) -> list[EventBase]:
    """A whole, ended session of `count` events, timed across 90 minutes from `start`."""
    epoch = uuid.uuid4().hex[:12]
    specs = event_specs(rng, group)
    events: list[EventBase] = []
    step = 90 * 60 / max(count - 1, 1)
    for seq in range(count):
        cls, fields = next(specs) if seq < count - 1 or count == 1 else (SessionEnded, {})
        offset = seq * step + rng.uniform(0, step / 2)
        events.append(
            cls(
                seq=seq,
                at=start + timedelta(seconds=offset),
                mono=1000.0 + offset,
                epoch=epoch,
                **fields,
            )
        )
    return events


@dataclass
class History:
    """A data folder with one group and its past sessions, grown on demand."""

    data_dir: Path
    rng: random.Random = field(default_factory=lambda: random.Random(20240601))
    events_on_disk: int = 0
    sessions: list[str] = field(default_factory=list)
    # What was written, kept for the side-by-side baselines (bytes are cheap; events are not):
    journal_lines: list[bytes] = field(default_factory=list)  # one journal per session

    def __post_init__(self) -> None:
        self.first_day = datetime(2023, 1, 5, 18, 0, tzinfo=TZ)
        self.store = Store(self.data_dir)
        self.group = make_group(self.first_day - timedelta(days=7))
        self.store.save_group(self.group)

    def next_start(self) -> datetime:
        return self.first_day + timedelta(days=7 * len(self.sessions))

    def new_session(self) -> Session:
        session = make_session(self.group, len(self.sessions) + 1, self.next_start())
        self.store.save_session(session)
        self.sessions.append(session.id)
        return session

    def add_session(self, count: int = SESSION_EVENTS) -> None:
        """Write one past session of `count` events: set-up doc, journal, checkpoint."""
        session = self.new_session()
        events = session_events(self.rng, self.group, self.next_start(), count)
        folder = self.store.sessions_dir
        lines = b"".join(journal.encode_line(e) for e in events)
        atomic_write(folder / f"{session.id}.journal", lines, keep_backup=False)
        # The checkpoint as `SessionLog.close` writes it: with the journal's length holding it.
        mark = journal.mark_of(lines)
        write_checkpoint(self.store.session_paths(session.id), PLAIN, events, True, mark)
        self.journal_lines.append(lines)
        self.events_on_disk += count

    def grow_to(self, total: int) -> None:
        """Add past sessions (the last one shorter if need be) until `total` events are on disk."""
        while self.events_on_disk < total:
            self.add_session(min(SESSION_EVENTS, total - self.events_on_disk))

    def recorded(self, lines: bytes, count: int) -> None:
        """Account for a session recorded live (through the store) into the history."""
        self.journal_lines.append(lines)
        self.events_on_disk += count

    def check(self) -> None:
        """Untimed: the store reads a built session back whole, as written (nothing rebuilt)."""
        if not self.sessions:
            return
        sid = self.sessions[-1]
        folder = self.store.sessions_dir
        before = (folder / f"{sid}.json").stat().st_mtime_ns
        with self.store.open_log(sid) as log:
            count = len(log.events)
            rewritten = (folder / f"{sid}.json").stat().st_mtime_ns != before
        expected = self.journal_lines[-1].count(b"\n")
        if count != expected or rewritten:
            raise RuntimeError(f"built session {sid}: store read {count} of {expected} events")


def write_open_session(data_dir: Path, count: int, seed: int = 3, ended: bool = False) -> str:
    """A data folder holding one group and one session left open with `count` events (no end),
    timed across the 90 minutes up to now; written like `History.add_session` (one atomic write
    per file). Opening it for recording adds a `reopened` event, as resuming a session does.
    `ended`: the last of the `count` events ends the session (a session to review).
    Returns the session's id."""
    store = Store(data_dir)
    start = datetime.now().astimezone() - timedelta(minutes=90)
    group = make_group(start - timedelta(days=7))
    store.save_group(group)
    session = make_session(group, 1, start)
    store.save_session(session)
    rng = random.Random(seed)
    if ended:
        events = session_events(rng, group, start, count)  # the last one ends it
    else:
        events = session_events(rng, group, start, count + 1)[:-1]  # no end
    folder = store.sessions_dir
    lines = b"".join(journal.encode_line(e) for e in events)
    atomic_write(folder / f"{session.id}.journal", lines, keep_backup=False)
    write_checkpoint(store.session_paths(session.id), PLAIN, events, True, journal.mark_of(lines))
    return session.id
