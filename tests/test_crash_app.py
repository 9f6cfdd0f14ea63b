"""kill -9 through the running app, driven by keys.

Each round starts the real `cofacil demo` in a pseudo-terminal, waits for the live screen, types
a random (seeded) run of room keys — turns, silences, notes and flags typed through `o`/`f`,
codes, cut-ins, arrivals, undo, break and resume — while a reader in this process polls the
session's log to learn which events are on disk (the app saves before it shows: whatever a
reader saw is acknowledged). Then SIGKILL, at a random moment: right after a key, a little
later, or in the middle of a note being typed. All rounds share one data folder, so each start
resumes the session the last one left.

After each kill: the files load (a new Store, `read_events`, a `LiveSession` for writing, i.e.
no stale lock; the past sessions' logs open too); every event seen on disk is still there,
unchanged; seqs run from 0 without a gap; no event id is ever used twice (across all rounds and
restarts); every journal line parses, the checkpoint agrees with the log, and the figures
compute; each restart's first new event is `reopened`; files stay 0600, folders 0700.

The same checks follow kills in the app's first moments (fresh folder, then resuming), and
while the first start makes the demo group. Last, keys typed right after Enter in a note:
they wait for the save (they once ran ahead of it, typed into the note or acting as room keys).
"""

from __future__ import annotations

import json
import os
import pty
import random
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import test_live_process
from test_live_process import Terminal

from cofacil import dynamics
from cofacil.demo import DEMO_GROUP_ID
from cofacil.live import LiveSession, unfinished_session
from cofacil.models import EventBase, Reopened, SessionEnded, SessionStarted, event_adapter
from cofacil.storage import Store, journal

pytestmark = pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")

READY = b"Silence"  # in the live screen's footer: the session is open and drawn
MEMBER_KEYS = "12345678"  # the demo group's eight seats
CODE_KEYS = "escwir"  # the quick scheme's codes
PACE = (0.0, 0.06)  # seconds between keys: a fast typist, sometimes a burst
WORDS = ["quiet", "tears", "laughs", "looks away", "nods", "#mood", "#risk", "angry", "calm"]


# --- the app in a pseudo-terminal ----------------------------------------------------------


class App(Terminal):
    """`cofacil demo`, typed into one key at a time."""

    def send(self, key: str) -> None:
        os.write(self.master, key.encode())

    def alive(self) -> bool:
        return self.process.poll() is None

    def screen_tail(self) -> str:
        return bytes(self.output[-1500:]).decode("utf-8", "replace")


class Reader(threading.Thread):
    """Polls a session's log from this process, as a reviewer would, while the app writes it.
    Every event seen is acknowledged: `seen` maps seq -> the event as first read."""

    def __init__(self, data: Path, session_id: str) -> None:
        super().__init__(daemon=True)
        self.store = Store(data)
        self.session_id = session_id
        self.seen: dict[int, dict[str, Any]] = {}
        self.problems: list[str] = []
        self._done = threading.Event()

    def run(self) -> None:
        version = None
        while True:
            last = self._done.is_set()
            try:
                now_version = self.store.log_version(self.session_id)
                if now_version == version and not last:  # nothing appended since
                    time.sleep(0.005)
                    continue
                version = now_version
                events = self.store.read_events(self.session_id)
            except Exception as error:  # a reader must never fail while the app writes
                self.problems.append(f"read_events failed while the app wrote: {error!r}")
                return
            for event in events:
                now = dump(event)
                before = self.seen.setdefault(event.seq, now)
                if before != now:
                    self.problems.append(f"seq {event.seq} changed on disk: {before} -> {now}")
            if last:
                return
            time.sleep(0.01)

    def finish(self) -> None:
        self._done.set()
        self.join(timeout=10)


def dump(event: EventBase) -> dict[str, Any]:
    return event.model_dump(mode="json")


# --- what the co-facilitator types ---------------------------------------------------------


def note_text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def room_keys(rng: random.Random, count: int) -> list[tuple[str, bool]]:
    """About `count` key presses of the room (a note's letters included), each with whether a
    note line is open once it is typed."""
    keys: list[tuple[str, bool]] = []

    def press(*typed: str, note: bool = False) -> None:
        keys.extend((key, note) for key in typed)

    while len(keys) < count:
        r = rng.random()
        if r < 0.30:
            press(rng.choice(MEMBER_KEYS))
        elif r < 0.38:
            press(rng.choice("lc"))
        elif r < 0.46:
            press(" ")
        elif r < 0.60:
            press(rng.choice("of"), *note_text(rng), note=True)  # an observation or a flag
            press("\r")  # Enter saves
        elif r < 0.62:
            press("o", "x", "\x7f", note=True)  # typed, erased,
            press("\x7f")  # then Backspace on the empty line cancels
        elif r < 0.70:
            about = [rng.choice(MEMBER_KEYS)] if rng.random() < 0.3 else []
            press("k", *about, rng.choice(CODE_KEYS + "z"))  # z: no such code, cancels
        elif r < 0.78:
            press("u")
        elif r < 0.84:
            press("p")  # a break; the next `p` resumes
        elif r < 0.88:
            press("i", rng.choice(MEMBER_KEYS + "lc"))
        elif r < 0.90:
            press("a", rng.choice(MEMBER_KEYS))
        elif r < 0.94:
            press(rng.choice("tTx"))
        else:
            press(rng.choice("[]9!"))  # the deck; an empty seat; seat 11 (nobody)
    return keys


# --- the invariants ------------------------------------------------------------------------


@dataclass
class History:
    """What the test knows of the data folder across rounds."""

    data: Path
    seed: int
    session_id: str | None = None  # today's demo session, once the app has made it
    known: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per session, by seq
    ids: dict[str, tuple[str, int]] = field(default_factory=dict)  # event id -> (session, seq)
    restarts: int = 0  # runs of the app that added to a session that had events already
    acknowledged: int = 0  # events the reader saw the app write
    kills_mid_note: int = 0
    kills_after_key: int = 0


def find_live_session(data: Path) -> str | None:
    """Today's unfinished demo session, as `cofacil demo` finds it."""
    store = Store(data)
    found = unfinished_session(store, DEMO_GROUP_ID, on=store.clock.now().date())
    return found.id if found else None


def check_files(history: History, seen: dict[int, dict[str, Any]], context: str) -> None:
    """After a kill: the invariants of the module docstring, on every session in the folder."""
    data = history.data
    store = Store(data)
    assert store.notices == [], f"{context}: the main database was damaged: {store.notices}"
    watched = history.session_id  # the session the app had open (and the reader read)
    live_id = find_live_session(data)  # the one the next `cofacil demo` resumes
    if watched is not None:  # the room keys never end it: the next start resumes it
        assert live_id == watched, f"{context}: the demo did not resume its session"
    history.session_id = live_id

    for session in store.sessions():
        sid = session.id
        where = f"{context}, session {session.number}"
        events = store.read_events(sid)
        now = [dump(e) for e in events]
        assert [e.seq for e in events] == list(range(len(events))), f"{where}: seqs have a gap"

        # Every line of the journal parses (a torn last line was never acknowledged).
        read = journal.read(store.sessions_dir / f"{sid}.journal")
        assert not read.bad_lines and not read.newer, f"{where}: {read.bad_lines}"
        checkpoint = store.sessions_dir / f"{sid}.json"
        if checkpoint.exists():
            docs = json.loads(checkpoint.read_bytes()).get("events", {}).values()
            for doc in docs:  # the checkpoint agrees with the log
                event = event_adapter.validate_python(doc)
                assert dump(event) == now[event.seq], f"{where}: checkpoint differs at {event.seq}"

        # Nothing known before is lost or changed; nothing the reader saw either.
        before = history.known.get(sid, [])
        assert now[: len(before)] == before, f"{where}: events known before the round changed"
        if sid == watched:
            lost = sorted(s for s, e in seen.items() if s >= len(now) or now[s] != e)
            assert not lost, f"{where}: acknowledged events lost or changed: seqs {lost}"

        # Ids: unique in the log, never one used before (in any session, in any run).
        for event in events[len(before) :]:
            other = history.ids.get(event.id)
            assert other is None, f"{where}: id of seq {event.seq} was used before, at {other}"
            history.ids[event.id] = (sid, event.seq)
        assert len({e.id for e in events}) == len(events), f"{where}: two events share an id"

        # A restart's first new event marks the gap it left.
        new = events[len(before) :]
        if new and sid in (watched, live_id):
            first = Reopened if before else SessionStarted
            assert isinstance(new[0], first), f"{where}: a run began with {new[0].type}"
            history.restarts += bool(before)

        # The figures compute: at the end of the log, and now.
        dynamics.session_figures(session, events)
        dynamics.session_figures(session, events, dynamics.Instant(*_now(store)))
        history.known[sid] = now
        if sid != live_id:  # no stale lock (the live session is opened for writing below)
            store.open_log(sid).close()

    # No stale lock: the live session opens for writing here, then closes again.
    if live_id is not None:
        before = history.known[live_id]
        live = LiveSession(store, live_id)
        try:
            opened = [dump(e) for e in live.events]
            assert opened[: len(before)] == before, f"{context}: opening changed the log"
            if not any(isinstance(e, SessionEnded) for e in live.events):
                assert len(opened) == len(before) + 1  # its own `reopened` (or the start)
            live.figures()
        finally:
            live.close()
        assert all("an unfinished last line" in n for n in store.notices), store.notices
        after = Store(data).read_events(live_id)
        assert [dump(e) for e in after] == opened, f"{context}: closing changed the log"
        for event in after[len(before) :]:
            assert event.id not in history.ids, f"{context}: id reused by LiveSession"
            history.ids[event.id] = (live_id, event.seq)
        history.known[live_id] = opened

    # Still private: folders 0700, files 0600, whatever the kill interrupted.
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{context}: {path} is {mode:o}"


def _now(store: Store) -> tuple[Any, float, str]:
    clock = store.clock
    return clock.now(), clock.monotonic(), clock.epoch


# --- rounds --------------------------------------------------------------------------------


def typing_round(history: History, rng: random.Random, context: str) -> None:
    """Start the app, type, kill it at a random moment, check."""
    app = App(history.data)
    reader: Reader | None = None
    try:
        try:
            app.wait_for(READY)
        except AssertionError:
            pytest.fail(f"{context}: the live screen never showed:\n{app.screen_tail()}")
        if history.session_id is None:
            history.session_id = find_live_session(history.data)
            assert history.session_id is not None, f"{context}: no live demo session on disk"
        reader = Reader(history.data, history.session_id)
        reader.start()

        keys = room_keys(rng, rng.randint(2, 30))
        stop = rng.randint(0, len(keys))  # how many keys go in before the kill
        typed = "".join(key for key, _ in keys[:stop])
        for key, _ in keys[:stop]:
            app.send(key)
            time.sleep(rng.uniform(*PACE))
        if stop and keys[stop - 1][1]:
            history.kills_mid_note += 1
        if rng.random() < 0.4:
            history.kills_after_key += bool(stop)  # no pause: the app is handling the last key
        else:
            time.sleep(rng.uniform(0.0, 0.25))
        assert app.alive(), f"{context}: the app died on its own:\n{app.screen_tail()}"
    finally:
        app.kill()
        if reader is not None:
            reader.finish()
    assert reader is not None
    assert not reader.problems, f"{context}: {reader.problems}"
    history.acknowledged += len(reader.seen) - len(history.known.get(history.session_id, []))
    check_files(history, reader.seen, f"{context}: keys {typed!r}")


def startup_round(history: History, rng: random.Random, context: str) -> None:
    """Kill the app while it starts: importing, opening the store, making the demo group or
    recovering the session and recording `reopened` — some by time (it is up in ~0.4 s here,
    so mostly within that), some the moment it writes to a session's journal."""
    journal_files = {p: p.stat().st_size for p in history.data.glob("sessions/*.journal")}
    app = App(history.data)
    try:
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0.2, 1.0) if rng.random() < 0.3 else rng.uniform(0.05, 0.45))
        else:  # the moment it writes: a new journal, or one growing
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and app.alive():
                now = {p: p.stat().st_size for p in history.data.glob("sessions/*.journal")}
                if now != journal_files:
                    break
                time.sleep(0.001)
            time.sleep(rng.choice([0.0, rng.uniform(0.0, 0.03)]))
        assert app.alive(), f"{context}: the app died on its own:\n{app.screen_tail()}"
    finally:
        app.kill()
    if not history.data.exists():
        return  # killed before it made the data folder
    check_files(history, {}, context)


def kill_rounds(tmp_path: Path, rounds: int) -> History:
    seed = random.randrange(2**32)
    history = History(tmp_path / "data", seed)
    for n in range(1, rounds + 1):
        rng = random.Random(f"{seed}-{n}")  # each round replays on its own
        typing_round(history, rng, f"round {n} of {rounds} (seed {seed})")
    assert history.restarts >= rounds * 3 // 4, "the app hardly resumed a session: test too weak"
    assert history.acknowledged >= rounds, "the reader hardly saw the app write: test too weak"
    print(
        f"{rounds} rounds (seed {seed}): {history.acknowledged} events seen on disk while typing, "
        f"{history.kills_after_key} kills right after a key, {history.kills_mid_note} mid-note, "
        f"{len(history.known.get(history.session_id or '', []))} events in the session"
    )
    return history


def test_kill_9_while_typing_20_rounds(tmp_path: Path) -> None:
    kill_rounds(tmp_path, rounds=20)


@pytest.mark.slow
def test_kill_9_while_typing_200_rounds(tmp_path: Path) -> None:
    kill_rounds(tmp_path, rounds=200)


def test_kill_9_while_starting(tmp_path: Path) -> None:
    """Killed in its first moments, on a fresh folder and then on a session to resume."""
    seed = random.randrange(2**32)
    history = History(tmp_path / "data", seed)
    rng = random.Random(seed)
    for n in range(1, 4):  # the very first start: the demo group, its past sessions, today's
        startup_round(history, rng, f"first start {n} (seed {seed})")
    typing_round(history, rng, f"after the first starts (seed {seed})")
    for n in range(1, 6):  # resuming: recovering the log, recording `reopened`
        startup_round(history, rng, f"resume {n} (seed {seed})")
    typing_round(history, rng, f"after the resumes (seed {seed})")


# --- killed while the first start makes the demo group -------------------------------------

PAUSED = b"stopped here for the kill"

# `cofacil demo`, except that making the demo group stops for good at one moment, says so on
# the terminal and waits there to be killed. argv 1 and 2: the past session's number, and how
# many of its events are on disk at that moment, or "all" (every one, its log not yet closed).
# The test then kills it there, however fast or slow the machine.
STOPPING_COFACIL = f"""
import sys
import time

from cofacil.__main__ import main
from cofacil.demo import DEMO_GROUP_ID
from cofacil.storage import SessionLog

number, at = int(sys.argv.pop(1)), sys.argv.pop(1)


def stop():
    sys.stdout.write({PAUSED.decode()!r} + "\\n")
    sys.stdout.flush()
    while True:
        time.sleep(60)


def its(session):
    return session.group_id == DEMO_GROUP_ID and session.number == number


append, close = SessionLog.append, SessionLog.close


def stopping_append(log, event):
    if its(log.session) and str(log.next_seq) == at:
        stop()
    return append(log, event)


def stopping_close(log):
    if its(log.session) and at == "all":
        stop()
    return close(log)


SessionLog.append, SessionLog.close = stopping_append, stopping_close
sys.exit(main())
"""

DEMO_MOMENTS = {  # the past session, and how many of its events are on disk when killed
    "past session 1 part-written": (1, "some"),  # its journal just made, up to 150 events
    "past session 2 all written, its log not yet closed": (2, "all"),  # session 1 done
}


@pytest.mark.parametrize("moment", list(DEMO_MOMENTS))
def test_kill_9_while_making_the_demo_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """The first start saves the group, then writes its two past sessions event by event (one
    fsync each). Killed in between, the next start must still end up with the whole demo: two
    ended past sessions, and today's as number 3. The start is stopped at the moment (it waits
    there, so the kill is never late)."""
    seed = random.randrange(2**32)
    number, at = DEMO_MOMENTS[moment]
    if at == "some":  # (each past session has about 200 events)
        at = str(random.Random(seed).randint(0, 150))
    context = f"killed at {moment} (at {at!r}, seed {seed})"
    data = tmp_path / "data"
    with monkeypatch.context() as patch:  # this one start runs STOPPING_COFACIL
        patch.setattr(test_live_process, "COFACIL", sys.executable)
        # -P: cofacil is imported from where the `cofacil` command finds it, not from the cwd
        app = App(data, ("-P", "-c", STOPPING_COFACIL, str(number), at, "demo"))
    try:
        deadline = time.monotonic() + 20
        while PAUSED not in app.output:
            assert app.alive() and READY not in app.output and time.monotonic() < deadline, (
                f"{context}: the start never stopped there:\n{app.screen_tail()}"
            )
            time.sleep(0.005)
    finally:
        app.kill()
    history = History(data, seed)
    check_files(history, {}, context)  # the invariants hold

    typing_round(history, random.Random(0), f"{context}, then the next start")
    store = Store(data)
    sessions = store.sessions(DEMO_GROUP_ID)
    past = [s for s in sessions if s.id != history.session_id]
    today = store.session(history.session_id or "")
    ended = [any(isinstance(e, SessionEnded) for e in store.read_events(s.id)) for s in past]
    assert [s.number for s in past] == [1, 2] and all(ended), [
        (s.number, s.date.isoformat(), len(store.read_events(s.id))) for s in sessions
    ]
    assert today.number == 3


NOTES = ["first note", "fine", "tears", "okay then", "setting", "every"]


def test_a_key_right_after_enter_waits_for_the_save(tmp_path: Path) -> None:
    """Notes typed one after another, the next `o` straight after Enter: each note is saved
    as typed, and nothing else is recorded. (Keys are handled in the order typed: the session
    screen's `on_key` promises it for `o` and `k`.)"""
    data = tmp_path / "data"
    app = App(data)
    try:
        app.wait_for(READY)
        session_id = find_live_session(data)
        assert session_id is not None
        time.sleep(0.3)
        for note in NOTES:
            for key in f"o{note}":
                app.send(key)
                time.sleep(0.03)
            app.send("\r")  # and the next `o` at once
        events = Store(data).read_events(session_id)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the app is done with the keys
            time.sleep(0.5)
            again = Store(data).read_events(session_id)
            if len(again) == len(events):
                break
            events = again
    finally:
        app.kill()
    recorded = [(e.type, getattr(e, "text", None)) for e in events if e.type != "nudge"]
    assert recorded[1:] == [("observation", note) for note in NOTES]
