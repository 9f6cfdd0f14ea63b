"""The keys of the room, defined once: the live screen's bindings, its `?` help, the command
palette and the README's key table are all built from `ROOM` (a test checks the README).

No Textual here: a row says what the keys do; the screen turns `keys` into its bindings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One binding: `key` as Textual names it, the screen action it runs, its name in the
    footer and the palette. `records`: it records an event, so it is refused in a read-only
    view and after the end."""

    key: str
    action: str
    label: str
    footer: bool = False
    records: bool = True
    display: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of `?` and of the README: the keys as a person reads them, what they do."""

    shown: str
    does: str
    keys: tuple[Key, ...] = ()  # none: keys the screen reads itself (seats, modes)


ROOM: tuple[Row, ...] = (
    Row(
        "1–9, 0",
        "that seat's member speaks (the same key again: they stop); seats 11–20: shift + "
        "digit (! @ # …). Not someone out of the room (a + key first), nor during a break",
    ),
    Row(
        "l  c",
        "the lead therapist / the co-facilitator speaks",
        (
            Key("l", "speak('lead')", "Lead"),
            Key("c", "speak('cofac')", "Co-fac"),
        ),
    ),
    Row("space", "silence: nobody speaks", (Key("space", "silence", "Silence", footer=True),)),
    Row(
        "i + key",
        "that person cuts in on the speaker (an interruption, ↯ in the notes)",
        (Key("i", "interrupt", "Cut in"),),
    ),
    Row(
        "o",
        "an observation about the speaker, at this moment: @name and #tag complete with → "
        "or Tab; Enter saves; Escape parks it (o brings it back)",
        (Key("o", "observe", "Note", footer=True),),
    ),
    Row(
        "f",
        "a flag: a safety concern, always shown first (#tags too); Escape parks it "
        "(f brings it back)",
        (Key("f", "flag", "Flag", footer=True),),
    ),
    Row(
        "Esc key o",
        "the speaker changes while a note is written: Escape parks the note, the seat's key, "
        "o (or f) brings the note back, its moment kept. A tap on a seat changes the speaker "
        "without leaving the note",
    ),
    Row(
        "k + key",
        "a one-key code about the speaker (a member's key first: about them)",
        (Key("k", "code", "Code"),),
    ),
    Row(
        "[  ]  /",
        "the technique deck: previous / next card, find a card by name",
        (
            Key("left_square_bracket", "card(-1)", "Previous card", records=False, display="["),
            Key("right_square_bracket", "card(1)", "Next card", records=False, display="]"),
            Key("slash", "find_card", "Find card", records=False, display="/"),
        ),
    ),
    Row(
        "t  T",
        "the card on show was used, by the lead / by the co-facilitator",
        (
            Key("t", "use_card('lead')", "Used"),
            Key("T", "use_card('cofac')", "Used by co-fac"),
        ),
    ),
    Row(
        "x",
        "wave off the deck's suggestion (it stays quiet for a while)",
        (Key("x", "dismiss_nudge", "Dismiss"),),
    ),
    Row(
        "g  n",
        "start or end a go-round, set up in place (a digit: minutes each; then i check-in, "
        "o check-out, r round) / the next person in it",
        (Key("g", "round", "Go-round"), Key("n", "next_in_round", "Next")),
    ),
    Row(
        "a + key",
        "a late arrival comes in, or someone leaves (and comes back)",
        (Key("a", "arrival", "Arrive/leave"),),
    ),
    Row(
        "u",
        "undo the last thing recorded (kept in the log as a correction; repeatable)",
        (Key("u", "undo", "Undo", footer=True),),
    ),
    Row("p", "a break: the clocks stop; p again resumes", (Key("p", "pause", "Break"),)),
    Row("e", "end the session (the figures are shown first)", (Key("e", "end", "End"),)),
    Row(
        "?",
        "these keys",
        (Key("question_mark", "help", "Keys", footer=True, records=False, display="?"),),
    ),
    Row(
        "q",
        "leave the screen (the session stays open and resumes where it was; a note being "
        "written is kept)",
        (Key("q", "leave", "Leave", footer=True, records=False),),
    ),
    Row("ctrl+p", "every action by name"),
)


def all_keys(rows: tuple[Row, ...] = ROOM) -> list[Key]:
    return [key for row in rows for key in row.keys]


def recording_actions(rows: tuple[Row, ...] = ROOM) -> frozenset[str]:
    """The actions that record an event (their names, without arguments)."""
    return frozenset(k.action.partition("(")[0] for k in all_keys(rows) if k.records)


def help_text(rows: tuple[Row, ...] = ROOM) -> str:
    """The rows as `?` shows them: the keys in a 12-wide column, then what they do."""
    return "".join(f"{row.shown:<12}{row.does}\n" for row in rows)


def readme_table(rows: tuple[Row, ...] = ROOM) -> str:
    """The rows as the README's markdown table."""
    lines = ["| key | does |", "| --- | --- |"]
    for row in rows:
        lines.append(f"| `{row.shown}` | {row.does} |")
    return "\n".join(lines) + "\n"
