"""The live screen's two-key modes, as pure state: what the key after `i`, `a`, `k` or `g`
means. No Textual: `press` takes a typed character and says what it asks for; the screen
records it and shows the prompt.

- `i` then a seat's key (or `l`, `c`): that person cuts in on the speaker.
- `a` then a seat's key: a late arrival comes in, or someone leaves.
- `k` then a code's key: a one-key code about the speaker; a seat's key first makes it about
  that member instead.
- `g` then a digit (minutes each, optional) then `i` check-in, `o` check-out or `r` round.

Any other key cancels (a digit with no seat says so): a slip never records anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from cofacil.models import COFAC, LEAD

Mode = Literal["interrupt", "arrival", "code", "round"]
ROUND_KINDS = {"i": "check-in", "o": "check-out", "r": "round"}
DIGITS = "0123456789"
FACILITATOR_KEYS = {"l": LEAD, "c": COFAC}


@dataclass(frozen=True)
class Pending:
    """A mode waiting for its next key."""

    mode: Mode
    round_minutes: int = 0  # while a go-round is set up
    code_about: str | None = None  # while a code is chosen: the member it is about


@dataclass(frozen=True)
class Outcome:
    """What one key in a mode asks for. `pending`: the mode still waiting (None: it is over).
    `record`: what to record, as (what, arguments); `notice`: a short word to show."""

    pending: Pending | None
    record: tuple[str, tuple[object, ...]] | None = None
    notice: str = ""


def start(mode: Mode, about: str | None = None) -> Pending:
    """`i`, `a`, `k` or `g` pressed; `about`: whom a code is about (the speaker)."""
    return Pending(mode, code_about=about if mode == "code" else None)


def press(
    pending: Pending,
    char: str,
    seat_of: Callable[[str], str | None],
    code_of: Callable[[str], str | None],
) -> Outcome:
    """The key `char` typed while `pending` waits. `seat_of(char)`: the member with that seat
    key, or None; `code_of(char)`: the code with that key in the group's scheme, or None."""
    member = seat_of(char)
    if pending.mode == "round":
        if len(char) == 1 and char in DIGITS:  # not "²" or "٣": isdigit() takes those too
            return Outcome(replace(pending, round_minutes=int(char)))
        kind = ROUND_KINDS.get(char)
        if kind is None:
            return Outcome(None)
        return Outcome(None, ("start_round", (kind, pending.round_minutes * 60 or None)))
    if pending.mode == "code":
        if member is not None:
            return Outcome(replace(pending, code_about=member))
        code = code_of(char)
        if code is None:
            return Outcome(None)
        return Outcome(None, ("code", (code, [pending.code_about] if pending.code_about else [])))
    who = member or FACILITATOR_KEYS.get(char)
    if who is None:
        notice = f"No seat has the key {char}: nothing recorded." if char and char in DIGITS else ""
        return Outcome(None, notice=notice)
    if pending.mode == "interrupt":
        return Outcome(None, ("interrupt", (who,)))
    if who in FACILITATOR_KEYS.values():
        return Outcome(None)  # the facilitators do not arrive or leave
    return Outcome(None, ("arrival", (who,)))


def prompt(pending: Pending | None, about_name: str | None = None) -> str:
    """What the next key will do, said in place of a dialog (empty: no mode)."""
    if pending is None:
        return ""
    if pending.mode == "interrupt":
        return "Cut in: whose key?"
    if pending.mode == "arrival":
        return "Arrives or leaves: whose key?"
    if pending.mode == "code":
        return f"Code about {about_name or 'the group'} (a member's key: about them)"
    budget = f"{pending.round_minutes} min each" if pending.round_minutes else "no time budget"
    return (
        f"Go-round, {budget}: i check-in · o check-out · r round · 1–9 minutes each · Esc cancels"
    )
