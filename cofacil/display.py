"""Text helpers shared by screens and exports (no Textual import).

Whatever a person typed (or a deck file holds) is shown through these, so it can never steer
the terminal: an escape sequence (colours, a clipboard write, a hyperlink) shows as `␛[31m`,
a C1 control as `\\x9b`, and a text-direction override (which would show the rest of a line
reversed, hiding what was written) as `\\u202e`. Letters of every script stay as typed.
"""

from __future__ import annotations

import unicodedata

# Embeddings, overrides and isolates: they reorder what follows them on the screen. The plain
# direction marks (U+200E, U+200F, U+061C) only nudge punctuation and are left alone.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\t\u2028\u2029")  # the line and paragraph separators too


def duration(seconds: float) -> str:
    """`m:ss` under an hour, `h:mm:ss` from an hour on."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


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
