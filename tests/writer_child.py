"""A separate process recording a session through the store until it is killed.

    python tests/writer_child.py DATA_DIR SESSION_ID [PASSPHRASE]

Prints `open` once it holds the session's log, then `<seq> <id>` for each event, flushed only
after `record` has returned, i.e. once the store has acknowledged the event. Used by
test_store_crash.py; not a test itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cofacil.models import CodedEvent, Flag, Observation, TurnStarted
from cofacil.storage import Store, open_vault
from cofacil.storage.vault import PLAIN


def main() -> None:
    data_dir, session_id = Path(sys.argv[1]), sys.argv[2]
    passphrase = sys.argv[3] if len(sys.argv) > 3 else ""
    codec = open_vault(data_dir, passphrase) if passphrase else PLAIN
    log = Store(data_dir, codec=codec).open_log(session_id)
    out = sys.stdout
    out.write("open\n")
    out.flush()
    n = 0
    while True:
        kind = n % 4
        if kind == 0:
            event = log.record(TurnStarted, speaker=f"m{n % 3 + 1}")
        elif kind == 1:
            # Lines of very different lengths, so a kill can land anywhere in a write.
            text = f"[bold]note {n}[/] é\x07 " + "x" * (n * 37 % 1500)
            event = log.record(Observation, text=text, about=["m1"], tags=["t"])
        elif kind == 2:
            event = log.record(CodedEvent, scheme="quick", code="+", about=["m2"])
        else:
            event = log.record(Flag, text="check in after the session")
        out.write(f"{event.seq} {event.id}\n")
        out.flush()
        n += 1


if __name__ == "__main__":
    main()
