"""One rounding for every figure shown: to the nearest second (a half up), and parts shown
beside their whole rounded so that they add up to it (largest remainder)."""

from __future__ import annotations

import math
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from cofacil.display import apportion, duration, minutes, nearest, percent

seconds = st.floats(min_value=0, max_value=200_000, allow_nan=False, allow_infinity=False)


def test_a_duration_is_rounded_to_the_nearest_second_not_floored() -> None:
    five = 8.2 - 3.2  # 4.999999999999999: floating point's five seconds
    assert five < 5 and duration(five) == "0:05"
    assert duration(4.4) == "0:04" and duration(59.5) == "1:00" and duration(3599.6) == "1:00:00"
    assert duration(2.5) == "0:03" and duration(3.5) == "0:04"  # a half rounds up, always
    assert duration(-3) == "0:00"


def test_minutes_and_percents_round_as_durations_do() -> None:
    assert minutes(599.99) == 10 and minutes(629) == 10 and minutes(630) == 11
    assert percent(0.625) == "63%" and percent(0.574) == "57%" and percent(0) == "0%"


@given(st.lists(seconds, max_size=25))
def test_rounded_parts_add_up_to_the_rounded_whole(parts: list[float]) -> None:
    rounded = apportion(parts)
    assert len(rounded) == len(parts)
    assert sum(rounded) == nearest(sum(parts))
    assert all(abs(r - p) < 1 for r, p in zip(rounded, parts, strict=True)), "within 1 unit"


@given(st.lists(seconds, max_size=25))
def test_rounding_keeps_the_order_of_the_parts(parts: list[float]) -> None:
    """A longer talk never shows shorter than a shorter one, in the order the parts came."""
    rounded = apportion(parts)
    for i, j in combinations(range(len(parts)), 2):
        if parts[i] > parts[j]:
            assert rounded[i] >= rounded[j]
        elif parts[i] < parts[j]:
            assert rounded[i] <= rounded[j]


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=1, max_size=15))
def test_shares_shown_together_add_up_to_100_percent(weights: list[float]) -> None:
    total = sum(weights)
    if total == 0:
        assert apportion([0.0 for _ in weights]) == [0] * len(weights)
        return
    exact = [100 * w / total for w in weights]
    rounded = apportion(exact)
    assert sum(rounded) == 100
    assert all(abs(r - e) < 1 for r, e in zip(rounded, exact, strict=True))


@given(st.lists(seconds, min_size=1, max_size=25), st.booleans())
def test_parts_add_up_to_a_whole_rounded_already(parts: list[float], up: bool) -> None:
    """A part of a larger whole is apportioned first (talk, out of the length), then its own
    parts to what it shows (members and facilitators, out of the talk shown)."""
    whole = (math.ceil if up else math.floor)(sum(parts))
    rounded = apportion(parts, whole)
    assert sum(rounded) == whole
    assert all(abs(r - p) <= 1 for r, p in zip(rounded, parts, strict=True))


def test_the_units_left_go_to_the_largest_remainders() -> None:
    assert apportion([56.84, 23.16, 8.42, 7.37, 4.21]) == [57, 23, 9, 7, 4]
    assert apportion([1 / 3 * 100] * 3) == [34, 33, 33]  # a tie: the first
    assert apportion([]) == []
