"""The deck, coding schemes and nudge settings in use: shipped, plus a therapist's own files.

`deck.toml` and `coding_schemes.toml` in the data folder add cards and schemes, or replace the
shipped ones with the same id; `nudges.toml` changes when the deck speaks up. Its fields, at
their defaults (`NudgeSettings`; a test keeps this example equal to them):

    quiet_minutes = 10        # a member in the room silent this long is quiet: the circle marks
                              # them, the deck suggests a card, the review names them
    dominance_share = 0.5     # one member holds more than this of members' talk lately
    dominance_min_minutes = 3
    window_minutes = 10       # "lately"
    closing_minutes = 10      # the last minutes of the planned time
    code_recent_minutes = 3   # a strong-emotion or conflict code this recent
    snooze_minutes = 10       # a dismissed suggestion stays quiet this long

A broken file never stops the app: the shipped content (or the default settings) is used and
the problem is reported with the file, line and field. So is a file whose text holds a control
character or a text-direction override (an escape sequence in a card's name would otherwise
reach the terminal each time the card shows): its content is not used.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cofacil.deck import Deck, shipped_deck
from cofacil.display import is_control, visible
from cofacil.nudges import NudgeSettings
from cofacil.schemes import Scheme, SchemeFile, shipped_schemes
from cofacil.storage import Store, StoreError

DECK_FILE = "deck.toml"
SCHEMES_FILE = "coding_schemes.toml"
NUDGES_FILE = "nudges.toml"
_DEFAULT = NudgeSettings()


class NudgeSettingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The defaults are `NudgeSettings`'s, in minutes: one place says what they are.
    quiet_minutes: float = Field(default=_DEFAULT.quiet_seconds / 60, gt=0, le=120)
    dominance_share: float = Field(default=_DEFAULT.dominance_share, gt=0, lt=1)
    dominance_min_minutes: float = Field(default=_DEFAULT.dominance_min_seconds / 60, ge=0, le=60)
    window_minutes: float = Field(default=_DEFAULT.window_seconds / 60, gt=0, le=60)
    closing_minutes: float = Field(default=_DEFAULT.closing_seconds / 60, ge=0, le=60)
    code_recent_minutes: float = Field(default=_DEFAULT.code_recent_seconds / 60, gt=0, le=30)
    snooze_minutes: float = Field(default=_DEFAULT.snooze_seconds / 60, ge=0, le=120)

    def settings(self) -> NudgeSettings:
        return NudgeSettings(
            quiet_seconds=self.quiet_minutes * 60,
            dominance_share=self.dominance_share,
            dominance_min_seconds=self.dominance_min_minutes * 60,
            window_seconds=self.window_minutes * 60,
            closing_seconds=self.closing_minutes * 60,
            code_recent_seconds=self.code_recent_minutes * 60,
            snooze_seconds=self.snooze_minutes * 60,
        )


@dataclass(frozen=True)
class Library:
    deck: Deck
    schemes: dict[str, Scheme]
    nudges: NudgeSettings = field(default_factory=NudgeSettings)
    problems: list[str] = field(default_factory=list)  # one line each, for the user

    def scheme(self, scheme_id: str) -> Scheme:
        return self.schemes.get(scheme_id) or self.schemes["quick"]

    def card_name(self, card_id: str) -> str:
        card = self.deck.card(card_id)
        return card.name if card else card_id

    def code_label(self, scheme: str, code: str) -> str:
        return self.scheme(scheme).label(code)


def _line_of(text: str, table: str, index: int, key: str | None) -> int | None:
    """The line of `key` in the `index`-th `[[table]]` block (1-based), for error messages."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == f"[[{table}]]"]
    if index >= len(starts):
        return None
    end = starts[index + 1] if index + 1 < len(starts) else len(lines)
    if key:
        for i in range(starts[index], end):
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
                return i + 1
    return starts[index] + 1


def _problem(name: str, text: str, table: str, error: Exception) -> str:
    if isinstance(error, tomllib.TOMLDecodeError):
        return f"{name}: {error} (using the shipped content)"
    assert isinstance(error, ValidationError)
    first = error.errors()[0]
    loc = first["loc"]
    if table:
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        key = next((str(part) for part in loc[2:] if isinstance(part, str)), None)
        line = _line_of(text, table, index, key)
    else:
        key = str(loc[0]) if loc else ""
        lines = text.splitlines()
        line = next(
            (i + 1 for i, x in enumerate(lines) if re.match(rf"\s*{re.escape(key)}\s*=", x)), None
        )
    where = f" line {line}" if line else ""
    field_name = ".".join(str(p) for p in loc)
    return f"{name}{where}: field '{field_name}': {first['msg']} (using the shipped content)"


class _Unsafe(ValueError):
    """A user file holds a character that is not text; the message says where."""


def _unsafe(text: str) -> bool:
    """Holds a character that is not text: a control (tabs and line breaks aside, as in
    a multi-line TOML string) or a text-direction override."""
    return any(is_control(ch) and ch not in "\n\t" for ch in text)


def _unsafe_field(data: Any, loc: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where, in decoded TOML, the first key or string with a control character is."""
    if isinstance(data, str):
        return loc if _unsafe(data) else None
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        if isinstance(key, str) and _unsafe(key):
            return (*loc, key)
        found = _unsafe_field(value, (*loc, key))
        if found is not None:
            return found
    return None


def _decode(name: str, text: str, table: str) -> dict[str, Any]:
    """The file's TOML; raises `_Unsafe` (a problem line) if any of its text is not text."""
    data = tomllib.loads(text)
    loc = _unsafe_field(data)
    if loc is not None:
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        key = next((str(part) for part in loc[2:] if isinstance(part, str)), None)
        line = _line_of(text, table, index, key) if loc and loc[0] == table else None
        where = f" line {line}" if line else ""
        field_name = ".".join(str(p) for p in loc)
        raise _Unsafe(
            f"{name}{where}: field '{field_name}': contains a control or text-direction "
            "character (using the shipped content)"
        )
    return data


def load_library(store: Store) -> Library:
    problems: list[str] = []

    def read(name: str) -> str | None:
        try:
            return store.read_user_file(name)
        except StoreError as error:
            problems.append(f"{error} (using the shipped content)")
            return None

    deck = shipped_deck()
    text = read(DECK_FILE)
    if text is not None:
        try:
            own = Deck.model_validate(_decode(DECK_FILE, text, "cards"))
            merged = {c.id: c for c in deck.cards} | {c.id: c for c in own.cards}
            deck = Deck(cards=list(merged.values()))
        except _Unsafe as error:
            problems.append(str(error))
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            problems.append(_problem(DECK_FILE, text, "cards", error))
    schemes = dict(shipped_schemes())
    text = read(SCHEMES_FILE)
    if text is not None:
        try:
            own_schemes = SchemeFile.model_validate(_decode(SCHEMES_FILE, text, "schemes")).schemes
            schemes |= {s.id: s for s in own_schemes}
        except _Unsafe as error:
            problems.append(str(error))
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            problems.append(_problem(SCHEMES_FILE, text, "schemes", error))
    nudges = NudgeSettings()
    text = read(NUDGES_FILE)
    if text is not None:
        try:
            nudges = NudgeSettingsFile.model_validate(tomllib.loads(text)).settings()
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            problems.append(_problem(NUDGES_FILE, text, "", error))
    # A problem quotes the file (a key, a message): shown as text, never obeyed.
    return Library(deck, schemes, nudges, [visible(p) for p in problems])
