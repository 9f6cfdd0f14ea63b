"""Text helpers shared by screens and exports (no Textual or Rich import).

Whatever a person typed (or a deck file holds) is shown through these, so it can never steer
the terminal: an escape sequence (colours, a clipboard write, a hyperlink) shows as `␛[31m`,
a C1 control as `\\x9b`, and a text-direction override (which would show the rest of a line
reversed, hiding what was written) as `\\u202e`. Those are the controls (`is_control`): C0
and C1 controls, DEL, lone surrogates and the bidi embeddings, overrides and isolates.

Everything else stays as typed, character for character, so a grapheme cluster stays whole:
an emoji's zero-width joiners (U+200D) and skin tone, a flag's tag characters (U+E0020–E007F),
variation selectors, combining accents. That includes the other format characters (Unicode
category Cf): ZWNJ (U+200C), the zero-width space (U+200B), the word joiner (U+2060), U+FEFF,
the soft hyphen, the direction marks (U+200E, U+200F, U+061C). None of them moves the cursor,
clears or reorders a line (a terminal draws them as nothing, or a hyphen), and several are how
a language is spelled: ZWNJ in Persian or Hindi, the zero-width space between Thai or Khmer
words. Dropping them would change what was written; their only harm is that text holding
one looks like text that does not (a search for "Anna" misses "An\\u200bna").

How wide text is on the screen is not measured here: that is Rich's measure, the one Textual
draws with (`cofacil.widgets.cells`), and the core imports no Rich.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence

# Embeddings, overrides and isolates: they reorder what follows them on the screen. The plain
# direction marks (U+200E, U+200F, U+061C) only nudge punctuation and are left alone.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\t\u2028\u2029")  # the line and paragraph separators too


def is_control(ch: str) -> bool:
    """A character that would steer the terminal rather than show: C0, DEL, C1, a lone
    surrogate, or a direction embedding, override or isolate."""
    return ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs")


def nearest(value: float) -> int:
    """The one rounding of a figure shown (seconds, minutes, percents): to the nearest whole
    number, a half up (2.5 → 3), never below 0. Not floored: floating point makes a 5-second
    silence 4.9999… s, which must show 0:05, not 0:04."""
    return max(0, math.floor(value + 0.5))


def apportion(parts: Sequence[float], whole: float | None = None) -> list[int]:
    """Whole numbers for non-negative `parts`, in their order, that add up to `whole` as
    `nearest` rounds it (to the sum of the parts when `whole` is None): the largest remainder
    method. Each part is its exact value rounded down or up, so never a unit or more off, and a
    larger part never gets less than a smaller one. This is how parts shown beside their whole
    add up to it (members + facilitators = talk, shares = 100%), however each rounds alone.

    `whole` may be a figure rounded already (a part of a larger whole, apportioned first): it
    must be within 1 of the sum of the parts, as such a figure always is."""
    floors = [math.floor(max(0.0, part)) for part in parts]
    target = nearest(sum(parts) if whole is None else whole)
    extra = max(0, min(len(parts), target - sum(floors)))
    # The units left go to the largest remainders; a tie to the larger part, then the first.
    order = sorted(range(len(parts)), key=lambda i: (floors[i] - parts[i], -parts[i], i))
    for i in order[:extra]:
        floors[i] += 1
    return floors


def duration(seconds: float) -> str:
    """`m:ss` under an hour, `h:mm:ss` from an hour on; to the nearest second (`nearest`)."""
    hours, rest = divmod(nearest(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def minutes(seconds: float) -> int:
    """Whole minutes for "silent for 16 min": to the nearest minute, as `duration` rounds."""
    return nearest(seconds / 60)


def percent(fraction: float) -> str:
    """`0.625` → "63%": a single share, rounded as every figure is (`nearest`). Shares shown
    together come from `apportion`, so that they add up to 100%."""
    return f"{nearest(fraction * 100)}%"


@functools.lru_cache(maxsize=4096)  # the live screen shows the same names and cards on every key
def visible(text: str) -> str:
    """Control characters made visible and harmless: an escape shows as ␛, never reaches the
    terminal. Line breaks and tabs become spaces (one line per item on the screen)."""
    out = []
    for ch in text:
        if ch in LINE_BREAKS:
            out.append(" ")
        elif ch in BIDI_CONTROLS:
            out.append(f"\\u{ord(ch):04x}")
        elif is_control(ch):
            code = ord(ch)
            out.append(
                chr(0x2400 + code)
                if code < 0x20
                else "␡"
                if code == 0x7F
                else f"\\x{code:02x}"
                if code < 0x100
                else "\ufffd"
            )
        else:
            out.append(ch)
    return "".join(out)


def pictured(text: str, keep_lines: bool = False) -> str:
    """One character for one: what an input field may hold. C0 controls become their control
    pictures (␛), DEL ␡, C1 controls and direction overrides U+FFFD; tabs and line breaks
    stay with `keep_lines` (a multi-line note), else become spaces. The same length, so a
    cursor placed by the field stays where it was."""
    if text.isprintable():  # the common case: nothing to do
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\r\t":
            out.append(ch if keep_lines else " ")
        elif code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("␡")
        elif is_control(ch):  # C1, a direction control, a lone surrogate
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def without_controls(text: str, keep_lines: bool = False) -> str:
    """What a paste puts in a field: control characters (an escape sequence's ESC, C1, DEL)
    and direction overrides dropped, everything else kept in order. Line breaks become one
    space each (a one-line field), or with `keep_lines` stay, as `\\n`, with tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not keep_lines:
        text = text.replace("\n", " ").replace("\t", " ")
    if text.isprintable():  # the common case: nothing to drop
        return text
    return "".join(ch for ch in text if ch in "\n\t" or not is_control(ch))
