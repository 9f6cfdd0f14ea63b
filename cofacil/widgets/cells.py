"""Text measured and cut as Textual draws it: in terminal cells, by Rich's measure.

Textual lays out every line with `rich.cells`; a width counted any other way (`len`, a table
of our own) disagrees with it somewhere, and a label counted 4 cells wide that Textual draws
in 2 (👋🏽: a hand and its skin tone) pulls its row out of line. So every width the screens
and widgets compute comes from here. The clusters are Rich's (`split_graphemes`, what
`set_cell_size` and `chop_cells` cut by), with one mend: Rich counts a flag's two regional
indicators as one cell each, and would cut 🇫🇷 in half.
"""

from __future__ import annotations

from rich.cells import cell_len, split_graphemes

__all__ = ["TERMINAL", "cell_len", "clusters", "cut", "fit", "places"]


JOINER = "\u200d"


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def clusters(text: str) -> list[tuple[str, int]]:
    """The text as (grapheme cluster, cells) pairs, in order: an emoji with its joiners, skin
    tone, variation selector or tags, a letter with its accents, a flag, each one cluster."""
    out: list[tuple[str, int]] = []
    for start, end, size in split_graphemes(text)[0]:
        cluster = text[start:end]
        if out and _regional(cluster[0]) and sum(map(_regional, out[-1][0])) == 1:
            before, before_size = out.pop()  # the second half of a flag
            cluster, size = before + cluster, before_size + size
        out.append((cluster, size))
    return out


def cut(text: str, width: int) -> str:
    """The longest start of the text that takes at most `width` cells and ends between two
    clusters: never half a wide character, an emoji without its skin tone, or half a flag.
    A joiner at the end is left off: it joins nothing here, and Rich would join whatever is
    written after the text to it, and count the two as one cell."""
    if cell_len(text) <= width:
        return text.rstrip(JOINER)
    kept: list[str] = []
    used = 0
    for cluster, size in clusters(text):
        if used + size > width:
            break
        kept.append(cluster)
        used += size
    return "".join(kept).rstrip(JOINER)


def fit(text: str, width: int) -> str:
    """The text cut to at most `width` cells, then padded with spaces to exactly `width`."""
    kept = cut(text, width)
    return kept + " " * max(0, width - cell_len(kept))


def places(text: str) -> list[str]:
    """One entry per cell, for drawing on a grid: a cluster in its first cell, "" in each other
    cell it takes. A cluster of no width (only at the start of a text) joins the next."""
    out: list[str] = []
    carried = ""
    for cluster, size in clusters(text):
        if not size:
            carried += cluster
            continue
        out += [carried + cluster] + [""] * (size - 1)
        carried = ""
    return out


class _Terminal:
    """Rich's measure, as `cofacil.charts.Cells`: what the review screen lays its charts
    out with."""

    width = staticmethod(cell_len)
    fit = staticmethod(fit)
    places = staticmethod(places)


TERMINAL = _Terminal()
