"""The live screen: the work one key press causes, and the time to the first frame."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import bench, figure, note, p50, p99
from bench.workload import make_group, make_session, session_events

FRAME_MS = 1000 / 60
STARTUP_RUNS = 11

_STARTUP = {
    "cofacil": (
        "import sys; from cofacil.__main__ import make_app\n"
        "app = make_app(__import__('pathlib').Path(sys.argv[1]), demo=True)\n"
    ),
    "bare": "import sys; from textual.app import App\napp = App()\n",
    # Floors under cofacil's figure: the bare app plus only the import of pydantic's BaseModel
    # (which every stored document is validated with), then plus only cofacil's models.
    "pydantic": (
        "import sys; from textual.app import App\nfrom pydantic import BaseModel\napp = App()\n"
    ),
    "models": "import sys; from textual.app import App\nimport cofacil.models\napp = App()\n",
}
# The child tells the wall-clock time of its first frame, so what follows it (closing the
# session, tearing the process down) is not counted.
_RUN = (
    "async def first_frame(pilot):\n"
    "    print(__import__('time').time())\n"
    "    pilot.app.exit()\n"
    "app.run(headless=True, size=(80, 24), auto_pilot=first_frame)\n"
)


def _session_with_history(data_dir: Path, events: int):
    from cofacil.live import LiveSession
    from cofacil.storage import Store

    store = Store(data_dir)
    start = datetime.now().astimezone()
    group = make_group(start)
    store.save_group(group)
    session = make_session(group, 1, start)
    store.save_session(session)
    with store.open_log(session.id) as log:
        for event in session_events(random.Random(3), group, start, events + 1)[:-1]:
            log.append(event)  # an open session: everything but its end
    return store, LiveSession(store, session.id)


async def _key_presses(store, live, presses: int) -> list[float]:
    from cofacil.app import CofacilApp

    app = CofacilApp(store, live=live)
    samples: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        people = list(live.keys.values())
        for i in range(presses):
            begin = time.perf_counter()
            screen.action_speak(people[i % len(people)])  # save, figures, widgets
            screen._on_timer_update()  # the render that follows: layout, compositor
            samples.append((time.perf_counter() - begin) * 1000)
            if i % 20 == 0:
                await pilot.pause()
    return samples


@bench("live_key")
def live_key() -> None:
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-") as tmp:
        store, live = _session_with_history(Path(tmp), 500)
        samples = asyncio.run(_key_presses(store, live, 300))
        live.close()
    note("live_key: a member's key on a session of 500 events: event fsynced, figures")
    note("recomputed, widgets updated and the screen rendered (in-process, 300 presses)")
    figure("live_key_p50", p50(samples), "ms")
    figure("live_key_p99", p99(samples), "ms")
    figure("ratio_live_key_p99_over_frame", p99(samples) / FRAME_MS, "x")


def _startup(kind: str, data_dir: str) -> float:
    begin = time.time()  # the wall clock: the only clock both processes read alike
    done = subprocess.run(
        [sys.executable, "-c", _STARTUP[kind] + _RUN, data_dir],
        check=True,
        capture_output=True,
        text=True,
    )
    first_frame = float(done.stdout.split()[-1])
    return (first_frame - begin) * 1000


@bench("startup")
def startup() -> None:
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-") as tmp:
        _startup("cofacil", tmp)  # the demo group exists from here on, as after `make run`
        runs: dict[str, list[float]] = {kind: [] for kind in _STARTUP}
        for _ in range(STARTUP_RUNS):
            for kind in runs:
                runs[kind].append(_startup(kind, tmp))
    note(f"startup: process start to first frame, headless 80x24, median of {STARTUP_RUNS}")
    figure("startup_cofacil_demo", p50(runs["cofacil"]), "ms")
    figure("startup_bare_textual", p50(runs["bare"]), "ms")
    figure("startup_bare_textual_importing_pydantic", p50(runs["pydantic"]), "ms")
    figure("startup_bare_textual_importing_cofacil_models", p50(runs["models"]), "ms")
    bare = p50(runs["bare"])
    figure("ratio_startup_cofacil_over_bare", p50(runs["cofacil"]) / bare, "x")
    figure("ratio_startup_pydantic_import_over_bare", p50(runs["pydantic"]) / bare, "x")
    figure("ratio_startup_models_import_over_bare", p50(runs["models"]) / bare, "x")
