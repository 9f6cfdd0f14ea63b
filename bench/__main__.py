"""`python -m bench [name ...]`: run the registered benchmarks (all of them by default)."""

from __future__ import annotations

import argparse
import compileall
import importlib
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cofacil
from bench import BENCHES, MODULES, figure, note


def _filesystem(path: str) -> str:
    """The mount (device, type) holding `path`, from /proc/mounts where there is one."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown filesystem"
    best = ("", "unknown", "unknown")
    real = os.path.realpath(path)
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, point, kind = parts[0], parts[1].replace("\\040", " "), parts[2]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, kind, device)
    return f"{best[1]} on {best[2]} (mounted at {best[0]})"


def _reference_ms() -> float:
    """A fixed piece of pure-Python work, to tell a slow run from slow code."""
    rng = random.Random(1)
    data = [(rng.random(), str(i)) for i in range(200_000)]
    runs = []
    for _ in range(5):
        begin = time.perf_counter()
        counts: dict[str, int] = {}
        for _, key in sorted(data):
            counts[key[-1]] = counts.get(key[-1], 0) + 1
        runs.append((time.perf_counter() - begin) * 1000)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benches to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    args = parser.parse_args(argv)

    for module in MODULES:
        importlib.import_module(module)
    if args.list:
        print("\n".join(BENCHES))
        return 0
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(unknown)}; known: {', '.join(BENCHES)}")

    # Every module byte-compiled as it is now, as an installed copy is: where
    # PYTHONDONTWRITEBYTECODE is set, a module edited since the last compile would otherwise be
    # compiled again in every child process, and counted in its start-up.
    compileall.compile_dir(Path(cofacil.__file__).parent, quiet=1)
    tmp = tempfile.gettempdir()
    note(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}"
    )
    note(f"temp folder {tmp}: {_filesystem(tmp)}")
    started = time.perf_counter()
    figure("machine_reference_before", _reference_ms(), "ms")
    for name in args.names or list(BENCHES):
        BENCHES[name]()
    figure("machine_reference_after", _reference_ms(), "ms")
    note(
        "machine_reference: the same pure-Python work (sorting and counting 200,000 tuples)"
        " before and after, median of 5: these machines run at different speeds from one"
        " minute to the next, and every figure in between moves with it"
    )
    note(f"bench wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
