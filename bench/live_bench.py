"""The live screen: a key press from its arrival to the frame that shows it, at growing session
lengths; what the idle screen costs; the memory it holds; and the time to the first frame.

Figures:

- `live_key_p50_<n>` / `live_key_p99_<n>` for n = 500, 2000, 5000, 10000 events in the open
  session: a member's key sent through Textual's key path (the `events.Key` the terminal
  driver's input thread hands to `Driver.process_message`, as Pilot's `press` does) until the
  first frame written to the terminal after the key was handled (`Driver.flush()`, called once
  per frame; the frame is rendered to terminal text as for a real terminal, see
  `bench/live_child.py`). In between: the app's and the screen's queues, the event fsynced,
  figures, widgets, layout, compositor, terminal text. The once-a-second tick runs as in the
  room, so a key that lands on it waits for it.
- `ratio_live_key_p99_10000_over_500` (target at most 1.5: per-key work constant in the
  session's length), `ratio_live_key_p50_10000_over_500` (the same on medians, which the
  machine's noise and the tick move less) and `ratio_live_key_p99_5000_over_frame` (target
  at most 1: within one frame, 16.7 ms).
- `live_idle_cpu_5000_pct`: CPU time (user + sys) of a process showing the live screen on a
  5,000-event session and left alone, as % of one core (target under 2%).
- `live_rss_peak_10000_mb`: peak resident set (VmHWM) of a process that opens the live screen
  on a 10,000-event session and draws its first frame (target under 150 MB);
  `live_rss_peak_bare_textual_mb`: a bare Textual app drawing its first frame the same way;
  `ratio_live_rss_peak_10000_over_bare`.
- `startup_*`: process start to first frame, beside a bare Textual app and its floors.

Sessions are written by `bench.workload.write_open_session` (a session left open, timed across
the 90 minutes up to now; opening it records a `reopened` event, as resuming does).

Shorter runs while developing (defaults are what `make bench` runs):
`BENCH_KEY_SIZES=500,2000` (sizes measured), `BENCH_KEY_ROUNDS=1` (rounds per size),
`BENCH_KEY_PRESSES=10` (measured presses per round, every size), `BENCH_IDLE_SECONDS=10`
(the idle window, default 60), `BENCH_MEMORY_RUNS=1` (runs of each memory child, default 3).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import bench, figure, note, p50, p99
from bench.live_child import SETTLE_S, SIZE, Frames, frame_driver
from bench.workload import write_open_session

FRAME_MS = 1000 / 60
STARTUP_RUNS = 11
CHILD = Path(__file__).with_name("live_child.py")

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
    # ... and plus every module cofacil imports before the live screen's first frame (the
    # program's module and the app's), with nothing opened, built or drawn.
    "imports": (
        "import sys; from textual.app import App\nimport cofacil.__main__, cofacil.app\n"
        "app = App()\n"
    ),
}
# The first frames the issue compares beside the demo's: a review of an ended session, and
# resuming a session left open (argv: data folder, session id).
_FIRST_FRAME = {
    "review": (
        "import sys; from cofacil.__main__ import make_app\n"
        "app = make_app(__import__('pathlib').Path(sys.argv[1]), review=sys.argv[2])\n"
    ),
    "resume": (
        "import sys; from pathlib import Path\n"
        "import cofacil.__main__  # the program's module first, as the `cofacil` command does\n"
        "from cofacil.app import CofacilApp\nfrom cofacil.live import LiveSession\n"
        "from cofacil.storage import Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "app = CofacilApp(store, live=LiveSession(store, sys.argv[2]))\n"
    ),
}
FIRST_FRAME_RUNS = 7
# The child tells the wall-clock time of its first frame that shows the whole screen, rendered
# to terminal text as for a terminal; what follows it (closing the session, tearing the process
# down) is not counted. The same lines end every child, cofacil's and the baselines'.
_RUN = "from bench.live_child import first_frame_then_exit\nfirst_frame_then_exit(app)\n"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


KEY_SIZES = tuple(
    int(n) for n in os.environ.get("BENCH_KEY_SIZES", "500,2000,5000,10000").split(",") if n
)
# Each round opens a fresh copy of the session and presses a few keys in it, so the session
# grows by at most ~10% while measured (a key records one event, sometimes two); rounds take
# turns across the sizes, so the machine's noise falls on all of them alike.
KEY_ROUNDS = _env_int("BENCH_KEY_ROUNDS", 4)
PRESSES = {500: 30, 2_000: 25, 5_000: 25, 10_000: 25}  # measured per round: 100+ per size
WARMUP = 2  # presses per round before measuring (first use of caches, code paths)
QUIET_S = 0.05  # a key's work is over when no frame has been drawn for this long
GAP_S = (0.0, 0.05)  # then a pause before the next key (its phase against the 1 s tick varies)
PRESS_TIMEOUT_S = 60.0
IDLE_EVENTS = 5_000
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "") or 60)
MEMORY_EVENTS = 10_000
MEMORY_RUNS = _env_int("BENCH_MEMORY_RUNS", 3)


def _presses(size: int) -> int:
    return _env_int("BENCH_KEY_PRESSES", PRESSES.get(size, 20))


async def _key_round(data_dir: Path, session_id: str, presses: int, seed: int):
    """Open the live screen on the session, press member keys one at a time (the next one once
    the last one's frames have stopped, and a short pause), and time each key from its arrival
    to its frame.
    Returns (key to its frame in ms, key to the last frame of its burst in ms, frames in that
    burst, keys whose frame came after another one (the tick's), events before, events after)."""
    from textual import events

    from cofacil.app import CofacilApp
    from cofacil.live import LiveSession
    from cofacil.screens.session_screen import SessionScreen
    from cofacil.storage import Store

    store = Store(data_dir)
    live = LiveSession(store, session_id)
    if live.paused or live.ended:
        raise RuntimeError("the bench session is on a break or ended: keys would not record")
    # Members in the room today (the absent one's key only tells so, and records nothing).
    keys = [k for k, who in live.keys.items() if live.session.attendance[who].present]
    if not all(k.isalnum() and len(k) == 1 for k in keys):
        raise RuntimeError(f"member keys {keys} are not plain characters")
    app = CofacilApp(store, live=live)
    frames = Frames()
    app.driver_class = frame_driver(frames)
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    samples: list[float] = []
    settled: list[float] = []
    bursts: list[int] = []
    behind = 0
    async with app.run_test(headless=False, size=SIZE) as pilot:
        while not (frames.count and isinstance(app.screen, SessionScreen)):
            await pilot.pause()
        await asyncio.sleep(0.2)
        driver = frames.driver
        assert driver is not None
        first = len(live.log.events)
        for i in range(WARMUP + presses):
            key = keys[i % len(keys)]
            before = live.log.next_seq
            shown: asyncio.Future[tuple[float, int]] = loop.create_future()

            def on_frame(at: float, before: int = before, shown=shown) -> None:
                # The first frame written once the key has been handled (its event recorded):
                # handling is synchronous, so that frame holds what the key changed.
                if not shown.done() and live.log.next_seq > before:
                    shown.set_result((at, frames.count))

            frames.on_frame = on_frame
            sent = frames.count
            begin = time.perf_counter()
            driver.process_message(events.Key(key, key))  # as the input thread hands it on
            try:
                end, count = await asyncio.wait_for(shown, PRESS_TIMEOUT_S)
            except TimeoutError:
                raise RuntimeError(f"key {key!r}: nothing recorded and drawn") from None
            frames.on_frame = None
            # The key's later frames (a footer recomposed, a layout settling), until quiet.
            while time.perf_counter() - frames.last < QUIET_S:
                await asyncio.sleep(QUIET_S - (time.perf_counter() - frames.last))
            if i >= WARMUP:
                samples.append((end - begin) * 1000)
                settled.append((frames.last - begin) * 1000)
                bursts.append(frames.count - count + 1)
                behind += count - sent > 1  # another frame was drawn before the key's
            await asyncio.sleep(rng.uniform(*GAP_S))
        last = len(live.log.events)
    return samples, settled, bursts, behind, first, last


@bench("live_key")
def live_key() -> None:
    samples: dict[int, list[float]] = {size: [] for size in KEY_SIZES}
    settled: dict[int, list[float]] = {size: [] for size in KEY_SIZES}
    bursts: dict[int, list[int]] = {size: [] for size in KEY_SIZES}
    grown: dict[int, list[tuple[int, int]]] = {size: [] for size in KEY_SIZES}
    behind: dict[int, int] = dict.fromkeys(KEY_SIZES, 0)
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-") as tmp:
        root = Path(tmp)
        built = {}
        for size in KEY_SIZES:
            built[size] = (root / f"built-{size}", write_open_session(root / f"built-{size}", size))
        started = time.perf_counter()
        for r in range(KEY_ROUNDS):
            # Rounds take turns across sizes, each round starting at a different size.
            for size in KEY_SIZES[r % len(KEY_SIZES) :] + KEY_SIZES[: r % len(KEY_SIZES)]:
                folder, session_id = built[size]
                copy = root / f"run-{size}-{r}"
                shutil.copytree(folder, copy)
                gc.collect()
                taken, done, burst, waited, first, last = asyncio.run(
                    _key_round(copy, session_id, _presses(size), seed=size + r)
                )
                samples[size] += taken
                settled[size] += done
                bursts[size] += burst
                behind[size] += waited
                grown[size].append((first, last))
                shutil.rmtree(copy)
        wall = time.perf_counter() - started
    note(
        "live_key: a member's key (Textual's key path: Driver.process_message(events.Key)) to"
        " the first frame written after it was handled; 100x30 terminal, frames rendered to"
        " terminal text and dropped; once-a-second tick running"
    )
    note(
        f"live_key: {KEY_ROUNDS} rounds per size, taking turns across sizes, each a fresh copy"
        f" of the session; {WARMUP} warm-up presses per round; after each key, no frame for"
        f" {QUIET_S * 1000:.0f} ms, then a pause of {GAP_S[0] * 1000:.0f}-{GAP_S[1] * 1000:.0f} ms;"
        f" {wall:.0f} s"
    )
    for size in KEY_SIZES:
        runs = grown[size]
        note(
            f"live_key {size}: {len(samples[size])} presses ({_presses(size)} in each of"
            f" {len(runs)} rounds); the session held {min(f for f, _ in runs)}"
            f"-{max(last for _, last in runs)} events while measured;"
            f" max {max(samples[size]):.1f} ms; to the last frame of the key's burst"
            f" (quiet {QUIET_S * 1000:.0f} ms after) p50 {p50(settled[size]):.1f} ms,"
            f" {statistics.median(bursts[size]):.0f} frames; {behind[size]} keys' frames came"
            f" after another frame (the tick's); p99 of {len(samples[size])}:"
            f" {'close to the max' if len(samples[size]) < 100 else 'the top 1%'}"
        )
        figure(f"live_key_p50_{size}", p50(samples[size]), "ms")
        figure(f"live_key_p99_{size}", p99(samples[size]), "ms")
    if 500 in samples and 10_000 in samples:
        ratio = p99(samples[10_000]) / p99(samples[500])
        figure("ratio_live_key_p99_10000_over_500", ratio, "x")
        met = _met(ratio <= 1.5)
        note(f"target: at most 1.5 (per-key work constant in the session's length): {met}")
        figure("ratio_live_key_p50_10000_over_500", p50(samples[10_000]) / p50(samples[500]), "x")
    if 5_000 in samples:
        ratio = p99(samples[5_000]) / FRAME_MS
        figure("ratio_live_key_p99_5000_over_frame", ratio, "x")
        note(f"target: p99 at 5,000 within one frame ({FRAME_MS:.1f} ms): {_met(ratio <= 1)}")


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def _child(*args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(CHILD), *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@bench("live_idle")
def live_idle() -> None:
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-") as tmp:
        session_id = write_open_session(Path(tmp), IDLE_EVENTS)
        got = _child("idle", "cofacil", tmp, session_id, str(IDLE_SECONDS))
    pct = got["cpu_s"] / got["wall_s"] * 100
    note(
        f"live_idle: a child process shows the live screen on a {IDLE_EVENTS}-event session"
        f" (100x30, frames rendered to terminal text), left alone for {got['wall_s']:.0f} s"
        f" after {SETTLE_S:.0f} s to settle: {got['cpu_s']:.2f} s of CPU (user+sys),"
        f" {got['frames']:.0f} frames drawn"
    )
    figure(f"live_idle_cpu_{IDLE_EVENTS}_pct", pct, "%")
    note(f"target: under 2% of one core: {_met(pct < 2)}")


@bench("live_memory")
def live_memory() -> None:
    peaks: dict[str, list[float]] = {"cofacil": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-") as tmp:
        root = Path(tmp)
        session_id = write_open_session(root / "built", MEMORY_EVENTS)
        for r in range(MEMORY_RUNS):
            for kind in ("cofacil", "bare") if r % 2 == 0 else ("bare", "cofacil"):
                if kind == "bare":
                    got = _child("memory", "bare")
                else:
                    copy = root / f"run-{r}"
                    shutil.copytree(root / "built", copy)
                    got = _child("memory", "cofacil", str(copy), session_id)
                    shutil.rmtree(copy)
                peaks[kind].append(got["vm_hwm_kb"] * 1024 / 1e6)
    note(
        f"live_memory: peak resident set (VmHWM) of a child process at its first frame (100x30,"
        f" rendered to terminal text): the live screen on a {MEMORY_EVENTS}-event session, and"
        f" a bare Textual app; median of {MEMORY_RUNS} runs each, interleaved; MB = 10^6 bytes"
    )
    cofacil, bare = statistics.median(peaks["cofacil"]), statistics.median(peaks["bare"])
    figure(f"live_rss_peak_{MEMORY_EVENTS}_mb", cofacil, "MB")
    figure("live_rss_peak_bare_textual_mb", bare, "MB")
    figure(f"ratio_live_rss_peak_{MEMORY_EVENTS}_over_bare", cofacil / bare, "x")
    note(f"target: under 150 MB: {_met(cofacil < 150)}")


def _startup(kind: str, data_dir: str, *args: str, script: str | None = None) -> float:
    begin = time.time()  # the wall clock: the only clock both processes read alike
    done = subprocess.run(
        [sys.executable, "-c", (script or _STARTUP[kind]) + _RUN, data_dir, *args],
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
    note(
        "startup: process start to the first frame showing the whole screen, 80x24, rendered to"
        f" terminal text; median of {STARTUP_RUNS}, interleaved"
    )
    figure("startup_cofacil_demo", p50(runs["cofacil"]), "ms")
    figure("startup_bare_textual", p50(runs["bare"]), "ms")
    figure("startup_bare_textual_importing_pydantic", p50(runs["pydantic"]), "ms")
    figure("startup_bare_textual_importing_cofacil_models", p50(runs["models"]), "ms")
    figure("startup_bare_textual_importing_all_of_cofacil", p50(runs["imports"]), "ms")
    bare = p50(runs["bare"])
    ratio = p50(runs["cofacil"]) / bare
    figure("ratio_startup_cofacil_over_bare", ratio, "x")
    note(f"target: at most 1.8: {_met(ratio <= 1.8)}")
    figure("ratio_startup_pydantic_import_over_bare", p50(runs["pydantic"]) / bare, "x")
    figure("ratio_startup_models_import_over_bare", p50(runs["models"]) / bare, "x")
    figure("ratio_startup_all_imports_over_bare", p50(runs["imports"]) / bare, "x")


@bench("first_frame")
def first_frame() -> None:
    """Process start to the first frame of a review (500 and 5,000 events) and of resuming a
    5,000-event session, beside the demo's, runs interleaved."""
    with tempfile.TemporaryDirectory(prefix="cofacil-bench-") as tmp:
        root = Path(tmp)
        demo = root / "demo"
        _startup("cofacil", str(demo))  # the demo group exists from here on
        cases: dict[str, tuple[str, Path, str]] = {"demo": ("cofacil", demo, "")}
        for size in (500, 5_000):
            folder = root / f"review-{size}"
            cases[f"review_{size}"] = (
                "review",
                folder,
                write_open_session(folder, size, ended=True),
            )
        folder = root / "resume-5000"
        cases["resume_5000"] = ("resume", folder, write_open_session(folder, 5_000))
        runs: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(FIRST_FRAME_RUNS):
            for name, (kind, folder, session_id) in cases.items():
                if kind == "resume":  # each resume records a `reopened`: a fresh copy each time
                    copy = root / "resuming"
                    shutil.copytree(folder, copy)
                    runs[name].append(
                        _startup(kind, str(copy), session_id, script=_FIRST_FRAME[kind])
                    )
                    shutil.rmtree(copy)
                elif kind == "review":
                    runs[name].append(
                        _startup(kind, str(folder), session_id, script=_FIRST_FRAME[kind])
                    )
                else:
                    runs[name].append(_startup(kind, str(folder)))
    note(
        "first_frame: process start to the first frame showing the whole screen, 80x24, median of"
        f" {FIRST_FRAME_RUNS}, interleaved: the demo; the review of an ended session of 500 and"
        " of 5,000 events; resuming a session left open with 5,000 events"
    )
    for name in cases:
        figure(f"first_frame_{name}", p50(runs[name]), "ms")
    ratio = p50(runs["review_5000"]) / p50(runs["review_500"])
    figure("ratio_first_frame_review_5000_over_500", ratio, "x")
    note(f"target: at most 2: {_met(ratio <= 2)}")
    ratio = p50(runs["resume_5000"]) / p50(runs["demo"])
    figure("ratio_first_frame_resume_5000_over_demo", ratio, "x")
    note(f"target: at most 1.5: {_met(ratio <= 1.5)}")
