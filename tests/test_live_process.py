"""The real `cofacil demo` in a pseudo-terminal: keys typed, killed with -9, resumed exactly."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from cofacil.dynamics import effective
from cofacil.live import LiveSession
from cofacil.models import Observation, Reopened, TurnStarted
from cofacil.storage import Store

COFACIL = str(Path(sys.executable).with_name("cofacil"))


class Terminal:
    """cofacil running in an 80x24 pseudo-terminal, its output drained in the background."""

    def __init__(self, data_dir: Path, args: tuple[str, ...] = ("demo",)) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COFACIL_DATA_DIR": str(data_dir)}
        self.process = subprocess.Popen(
            [COFACIL, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, text: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{text!r} never appeared")
            time.sleep(0.05)

    def type(self, keys: str, pause: float = 0.3) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            time.sleep(pause)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        os.close(self.master)


def wait_for_events(store: Store, session_id: str, count: int, timeout: float = 10) -> list:
    deadline = time.monotonic() + timeout
    while True:
        events = store.read_events(session_id)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_kill_mid_session_and_resume(tmp_path: Path) -> None:
    data = tmp_path / "data"
    term = Terminal(data)
    try:
        term.wait_for(b"Silence")
        term.type("1")
        term.type("o")
        term.type("quiet today\r", pause=0.05)
        term.type("3")
        store = Store(data)
        session = store.sessions()[-1]
        events = wait_for_events(store, session.id, 4)
    finally:
        term.kill()  # mid-turn: Priya is speaking
    kinds = [type(e) for e in effective(events)]
    assert kinds[1:] == [TurnStarted, Observation, TurnStarted]

    again = Terminal(data)  # a second run opens the same session, Priya still speaking
    try:
        again.wait_for(b"Priya")
        resumed = wait_for_events(Store(data), session.id, 5)
    finally:
        again.kill()
    assert isinstance(resumed[-1], Reopened)
    live = LiveSession(Store(data), session.id)  # the lock died with the process
    assert live.speaker() == live.session.seats[2]
    live.close()


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_a_burst_of_keys_is_saved_as_typed(tmp_path: Path) -> None:
    """A terminal delivers a fast typist's keys (or tmux's, or a paste) in one read: each note
    is saved whole, and the keys after its Enter are room keys again."""
    data = tmp_path / "data"
    term = Terminal(data)
    try:
        term.wait_for(b"Silence")
        time.sleep(0.3)
        os.write(term.master, b"2oshares about work\r3oquiet, then left\r4")
        store = Store(data)
        session = store.sessions()[-1]
        events = wait_for_events(store, session.id, 6)
    finally:
        term.kill()
    said = [(e.type, getattr(e, "text", None)) for e in effective(events)][1:]
    assert said == [
        ("turn_started", None),
        ("observation", "shares about work"),
        ("turn_started", None),
        ("observation", "quiet, then left"),
        ("turn_started", None),
    ]


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_a_pasted_note_holding_an_escape_is_saved_in_order(tmp_path: Path) -> None:
    """The terminal's own bytes for a bracketed paste: an ESC in the pasted text (a colour
    copied from a terminal) is dropped and the words stay in order; a paste past the note's
    limit is not taken, and what was typed is saved as typed."""
    data = tmp_path / "data"
    term = Terminal(data)
    try:
        term.wait_for(b"Silence")
        time.sleep(0.3)
        os.write(term.master, b"o\x1b[200~one \x1b[31mtwo\x1b[0m three\x1b[201~\r")
        term.type("okept")
        os.write(term.master, b"\x1b[200~" + b"x" * 4000 + b"\x1b[201~")
        term.wait_for(b"the paste was not taken")
        term.type("\r")
        store = Store(data)
        session = store.sessions()[-1]
        events = wait_for_events(store, session.id, 3)
    finally:
        term.kill()
    notes = [e.text for e in effective(events) if isinstance(e, Observation)]
    assert notes == ["one [31mtwo[0m three", "kept"]


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_a_kill_mid_turn_costs_at_most_two_seconds_of_it(tmp_path: Path) -> None:
    """Killed N seconds into a turn, restarted a while later: at least N - 2 seconds of the
    turn are kept (the session left a sign of life every second), and the time cofacil was
    down is a gap, counted as nobody's talk."""
    from cofacil.dynamics import speaking_turns, timeline

    data = tmp_path / "data"
    seconds = 6.0
    term = Terminal(data)
    try:
        term.wait_for(b"Silence")
        store = Store(data)
        session = store.sessions()[-1]
        before = len(store.read_events(session.id))
        term.type("4", pause=0.1)
        started = wait_for_events(store, session.id, before + 1)[-1]
        assert isinstance(started, TurnStarted)
        time.sleep(seconds)
    finally:
        term.kill()
        killed = datetime.now().astimezone()
    spoke = (killed - started.at).total_seconds()  # how long the turn had run when killed
    time.sleep(3)  # cofacil is down

    again = Terminal(data)
    try:
        again.wait_for(b"Resumed")
        events = wait_for_events(Store(data), session.id, before + 2)
    finally:
        again.kill()
    reopened = events[-1]
    assert isinstance(reopened, Reopened) and reopened.alive is not None
    turn = speaking_turns(events)[-1]
    assert turn.speaker == session.seats[3]
    assert spoke - 2 <= turn.seconds <= spoke
    (gap_at, gap) = timeline(events).gaps[-1]
    assert gap >= 3 and gap_at == pytest.approx(turn.end)
