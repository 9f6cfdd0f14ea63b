"""Text helpers shared by screens and exports (no Textual import).

Whatever a person typed (or a deck file holds) is shown through these, so it can never steer
the terminal: an escape sequence (colours, a clipboard write, a hyperlink) shows as `␛[31m`,
a C1 control as `\\x9b`, and a text-direction override (which would show the rest of a line
reversed, hiding what was written) as `\\u202e`. Letters of every script stay as typed.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

# Embeddings, overrides and isolates: they reorder what follows them on the screen. The plain
# direction marks (U+200E, U+200F, U+061C) only nudge punctuation and are left alone.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\t\u2028\u2029")  # the line and paragraph separators too


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


def visible(text: str) -> str:
    """Control characters made visible and harmless: an escape shows as ␛, never reaches the
    terminal. Line breaks and tabs become spaces (one line per item on the screen)."""
    out = []
    for ch in text:
        if ch in LINE_BREAKS:
            out.append(" ")
        elif ch in BIDI_CONTROLS:
            out.append(f"\\u{ord(ch):04x}")
        elif unicodedata.category(ch) in ("Cc", "Cs"):
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
        elif 0x80 <= code < 0xA0 or ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cs":
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
    return "".join(
        ch
        for ch in text
        if ch in "\n\t"
        or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in BIDI_CONTROLS)
    )


def graphemes(text: str) -> list[tuple[str, int]]:
    """The text as (character cluster, terminal cells) pairs: a CJK character or an emoji
    takes two cells, an accent or a joiner joins the character before it."""
    clusters: list[tuple[str, int]] = []
    join_next = False
    for ch in text:
        category = unicodedata.category(ch)
        if join_next or category in ("Mn", "Me", "Cf"):
            cluster, width = clusters.pop() if clusters else ("", 0)
            if ch == "\ufe0f":  # emoji presentation: two cells
                width = 2
            clusters.append((cluster + ch, width))
            join_next = ch == "\u200d"
            continue
        join_next = False
        if (
            clusters
            and 0x1F1E6 <= ord(ch) <= 0x1F1FF
            and len(clusters[-1][0]) == 1
            and 0x1F1E6 <= ord(clusters[-1][0]) <= 0x1F1FF
        ):  # a pair of regional indicators: one flag
            clusters[-1] = (clusters[-1][0] + ch, 2)
            continue
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        clusters.append((ch, 2 if wide else 0 if category in ("Cc", "Cs") else 1))
    return clusters


def cells(text: str) -> int:
    """How many terminal cells the text takes."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(width for _, width in graphemes(text))


def fit(text: str, width: int) -> str:
    """The text cut to at most `width` cells (never half a wide character), then padded with
    spaces to exactly `width`."""
    out, used = [], 0
    for cluster, size in graphemes(text):
        if used + size > width:
            break
        out.append(cluster)
        used += size
    return "".join(out) + " " * (width - used)
