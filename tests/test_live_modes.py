"""The two-key modes of the live screen, without Textual: what the key after `i`, `a`, `k`
or `g` asks for, and that a slip never records anything."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cofacil import live_modes
from cofacil.live_modes import Pending, press, start
from cofacil.models import COFAC, LEAD

SEATS = {"1": "maya", "2": "theo", "3": "priya"}
CODES = {"e": "strong-emotion", "s": "support"}


def key(pending: Pending, char: str) -> live_modes.Outcome:
    return press(pending, char, SEATS.get, CODES.get)


def test_interrupt_takes_a_seat_or_a_facilitator() -> None:
    assert key(start("interrupt"), "2").record == ("interrupt", ("theo",))
    assert key(start("interrupt"), "l").record == ("interrupt", (LEAD,))
    assert key(start("interrupt"), "c").record == ("interrupt", (COFAC,))


def test_arrival_takes_members_only() -> None:
    assert key(start("arrival"), "3").record == ("arrival", ("priya",))
    assert key(start("arrival"), "l").record is None


def test_a_digit_with_no_seat_says_so_and_records_nothing() -> None:
    outcome = key(start("interrupt"), "7")
    assert outcome.record is None and outcome.pending is None
    assert "No seat has the key 7" in outcome.notice


def test_a_code_about_the_speaker_or_a_chosen_member() -> None:
    assert key(start("code", "maya"), "e").record == ("code", ("strong-emotion", ["maya"]))
    chosen = key(start("code", "maya"), "2")
    assert chosen.record is None and chosen.pending == Pending("code", code_about="theo")
    assert chosen.pending is not None
    assert key(chosen.pending, "s").record == ("code", ("support", ["theo"]))
    assert key(start("code", None), "e").record == ("code", ("strong-emotion", []))


def test_a_go_round_takes_minutes_then_its_kind() -> None:
    outcome = key(start("round"), "2")
    assert outcome.pending == Pending("round", round_minutes=2) and outcome.record is None
    assert outcome.pending is not None
    assert key(outcome.pending, "i").record == ("start_round", ("check-in", 120))
    assert key(start("round"), "o").record == ("start_round", ("check-out", None))
    assert key(start("round"), "²").pending is None  # not a digit to this mode: cancels


def test_prompts_say_what_the_next_key_does() -> None:
    assert live_modes.prompt(None) == ""
    assert live_modes.prompt(start("interrupt")) == "Cut in: whose key?"
    assert live_modes.prompt(start("code", "m"), "Maya").startswith("Code about Maya")
    assert "3 min each" in live_modes.prompt(Pending("round", round_minutes=3))


@given(
    mode=st.sampled_from(["interrupt", "arrival", "code", "round"]),
    char=st.text(max_size=2),
)
def test_any_key_ends_or_continues_a_mode_and_records_only_known_things(
    mode: live_modes.Mode, char: str
) -> None:
    outcome = key(start(mode, "maya"), char)
    if outcome.record is not None:
        what, args = outcome.record
        assert what in ("interrupt", "arrival", "code", "start_round")
        if what in ("interrupt", "arrival"):
            assert args[0] in (*SEATS.values(), LEAD, COFAC)
    if outcome.pending is not None:  # only a seat (code) or a digit (round) keeps it waiting
        assert char in SEATS or (mode == "round" and char in live_modes.DIGITS)
