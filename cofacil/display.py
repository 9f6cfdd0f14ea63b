"""Text helpers shared by screens and exports (no Textual import)."""

from __future__ import annotations

import unicodedata


def duration(seconds: float) -> str:
    """`m:ss` under an hour, `h:mm:ss` from an hour on."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def visible(text: str) -> str:
    """Control characters made visible and harmless: an escape shows as ␛, never reaches the
    terminal. Newlines and tabs become spaces (one line per item on the screen)."""
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            code = ord(ch)
            out.append(
                chr(0x2400 + code) if code < 0x20 else "␡" if code == 0x7F else f"\\x{code:02x}"
            )
        else:
            out.append(ch)
    return "".join(out)
