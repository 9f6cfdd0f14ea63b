"""A separate process that recovers a damaged data folder until it is killed.

    python tests/recover_child.py DATA_DIR SESSION_ID

Imports everything, prints `ready`, waits for a line on stdin, then does what the app does on
start: opens the store and the session's log (recovering both), and closes the log. Used by
test_store_damage.py, which SIGKILLs it at a random moment of that; not a test itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cofacil.storage import Store


def main() -> None:
    data_dir, session_id = Path(sys.argv[1]), sys.argv[2]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    Store(data_dir).open_log(session_id).close()


if __name__ == "__main__":
    main()
