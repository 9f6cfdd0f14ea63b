"""Frames as a terminal gets them, and the child processes of the live screen's benches.

`frame_driver(frames)` is a Textual driver for measuring: input as in Textual's headless driver
(what `run_test` uses), but it tells the app it is not headless, so every frame is turned into
the terminal text a real terminal would receive (Textual skips that step when headless); the
text is counted and dropped. Textual calls `Driver.flush()` once after writing each frame: that
is where `Frames` clocks it.

Run as a script (`python bench/live_child.py MODE KIND [DATA_DIR SESSION_ID]`), it is one child
process of `bench.live_bench`; it imports only Textual (and, for KIND `cofacil`, the app), so a
bare Textual app is a fair baseline beside it, and it prints one JSON line when done:

- `memory cofacil DIR SID`: open the live screen on session SID of folder DIR as `make_app`
  does (collector paused while building), draw its first frame, print the peak resident set
  (`vm_hwm_kb`, from /proc/self/status; `ru_maxrss` where there is none) at that frame.
- `memory bare`: the same with a bare `textual.app.App`.
- `idle cofacil DIR SID SECONDS`: open the live screen, let it settle, then leave it alone for
  SECONDS and print the process's CPU time (user + sys) over that window and the frames drawn.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.driver import Driver
from textual.drivers.headless_driver import HeadlessDriver

SIZE = (100, 30)  # the terminal of the key bench: a tablet's landscape terminal
SETTLE_S = 3.0  # after the first frame, before an idle window starts (gc back on, first ticks)


class Frames:
    """What a `frame_driver` saw: frames flushed, bytes of terminal text, when the last one was;
    `on_frame(at)` is called at each frame, `driver` is the driver once the app has built it."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.last = 0.0
        self.on_frame: Callable[[float], None] | None = None
        self.driver: Driver | None = None


def frame_driver(frames: Frames) -> type[Driver]:
    """A driver class (for `app.driver_class`) reporting into `frames`."""

    class FrameDriver(HeadlessDriver):
        def __init__(self, app: App[Any], **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            frames.driver = self

        @property
        def is_headless(self) -> bool:
            return False  # so the app renders each frame to terminal text, as for a terminal

        def write(self, data: str) -> None:
            frames.bytes += len(data)

        def flush(self) -> None:  # called once after each frame is written
            at = time.perf_counter()
            frames.count += 1
            frames.last = at
            if frames.on_frame is not None:
                frames.on_frame(at)

    return FrameDriver


def peak_rss_kb() -> int:
    """This process's peak resident set so far, in kB."""
    import resource  # here, as `json` in `main`: the start-up children import only the driver

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, kB elsewhere


def cofacil_app(data_dir: Path, session_id: str) -> App[Any]:
    """The app straight into the live screen of a session, built as `make_app` builds it."""
    import gc

    collecting = gc.isenabled()
    gc.disable()  # as make_app: the collector waits while the app is built
    try:
        from cofacil.app import CofacilApp
        from cofacil.live import LiveSession
        from cofacil.storage import Store

        store = Store(data_dir)
        return CofacilApp(store, live=LiveSession(store, session_id))
    finally:
        if collecting:
            gc.enable()


def is_first_screen(app: App[Any], kind: str) -> bool:
    """Whether the screen on show is the one the run is about (the live screen for cofacil)."""
    return kind == "bare" or type(app.screen).__name__ == "SessionScreen"


def shows_whole_screen(app: App[Any]) -> bool:
    """Whether the frame just written shows the whole screen. Textual may first write the few
    widgets already painted while the screen's first layout is still pending (for cofacil's
    live screen: its title and key lines on an otherwise empty screen), and the whole screen
    one frame later. Textual keeps that state in a private attribute (pinned version)."""
    return not getattr(app.screen, "_layout_required", False)


def first_frame_then_exit(app: App[Any], size: tuple[int, int] = (80, 24)) -> None:
    """Run `app` until the first frame that shows its whole screen, rendered to terminal text
    as for a terminal; print that frame's wall-clock time (`time.time()`, the clock a parent
    process reads alike), then exit. The start-up benches' children end with this."""
    frames = Frames()
    drawn: list[float] = []

    def on_frame(at: float) -> None:
        if not drawn and shows_whole_screen(app):
            drawn.append(time.time())
            app.exit()

    frames.on_frame = on_frame
    app.driver_class = frame_driver(frames)
    app.run(headless=False, size=size)
    if not drawn:
        raise SystemExit("the app ended before drawing its screen")
    print(drawn[0], flush=True)


def main(argv: list[str]) -> int:
    import json

    mode, kind, *rest = argv
    frames = Frames()
    result: dict[str, float] = {}
    if kind == "bare":
        app: App[Any] = App()
    else:
        app = cofacil_app(Path(rest[0]), rest[1])
    app.driver_class = frame_driver(frames)

    def first_frame(at: float) -> None:
        if "vm_hwm_kb" not in result and is_first_screen(app, kind) and shows_whole_screen(app):
            result["vm_hwm_kb"] = peak_rss_kb()
            result["first_frame"] = at

    frames.on_frame = first_frame

    async def run(pilot: object) -> None:
        while "first_frame" not in result:
            await asyncio.sleep(0.01)
        if mode == "idle":
            window = float(rest[2])
            await asyncio.sleep(SETTLE_S)
            cpu, wall, count = time.process_time(), time.monotonic(), frames.count
            await asyncio.sleep(window)
            result["cpu_s"] = time.process_time() - cpu
            result["wall_s"] = time.monotonic() - wall
            result["frames"] = frames.count - count
        app.exit()

    app.run(headless=False, size=SIZE, auto_pilot=run)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
