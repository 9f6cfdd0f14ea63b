"""Benchmarks for `make bench` (`python -m bench`): one line per figure, `name: value unit`.

Importing this package is cheap: it holds only the registry. Bench modules (listed in `MODULES`)
import the app and register their functions with `@bench("name")`; `python -m bench` imports them
and runs every registered function in order (or only the ones named on the command line).

A bench function prints its figures with `figure(...)` and any context with `note(...)` (a line
starting with `#`). It works in its own temporary folder and cleans it up.

To add a figure: write a function in a module here, decorate it with `@bench("your_name")`, and
add the module to `MODULES` if it is new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

BenchFn = Callable[[], None]

# Modules whose import registers bench functions, in the order their figures are printed.
MODULES: tuple[str, ...] = (
    "bench.store_bench",
    "bench.crypto_bench",
    "bench.room_bench",
    "bench.dynamics_bench",
    "bench.live_bench",
)

BENCHES: dict[str, BenchFn] = {}


def bench(name: str) -> Callable[[BenchFn], BenchFn]:
    """Register a bench function under `name` (run by `python -m bench [name ...]`)."""

    def register(fn: BenchFn) -> BenchFn:
        if name in BENCHES:
            raise ValueError(f"bench {name!r} is registered twice")
        BENCHES[name] = fn
        return fn

    return register


def _fmt(value: float) -> str:
    size = abs(value)
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def figure(name: str, value: float, unit: str) -> None:
    """Print one figure, exactly `name: value unit`."""
    if not name or " " in name or ":" in name:
        raise ValueError(f"bad figure name {name!r}")
    print(f"{name}: {_fmt(value)} {unit}", flush=True)


def note(text: str) -> None:
    """Print context (machine, counts, caveats) as a `#` line."""
    for line in text.splitlines() or [""]:
        print(f"# {line}".rstrip(), flush=True)


def p50(samples: Sequence[float]) -> float:
    import statistics  # here: the start-up benches' children import this package

    return statistics.median(samples)


def p99(samples: Sequence[float]) -> float:
    """99th percentile (inclusive method: interpolates between the two nearest samples)."""
    if len(samples) < 2:
        return samples[0]
    import statistics

    return statistics.quantiles(samples, n=100, method="inclusive")[98]
