"""What the live screen shows, as pure data built from the session's figures: the seats of the
member circle, the speaking timer, the notes pane and the deck. No Textual: the widgets draw
these, and tests check them without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cofacil import dynamics
from cofacil.deck import Deck, TechniqueCard
from cofacil.display import duration, visible
from cofacil.library import Library
from cofacil.live import RoundState, SessionView
from cofacil.models import (
    COFAC,
    LEAD,
    CodedEvent,
    Draft,
    EventBase,
    Flag,
    Interruption,
    Observation,
    Paused,
    TechniqueUsed,
)
from cofacil.nudges import Suggestion

GAP_SHOWN = 120.0  # seconds of session time a crash gap stays on the timer after the restart


@dataclass(frozen=True)
class Seat:
    """What one seat shows, built from the dynamics figures."""

    id: str
    key: str
    name: str
    talk: float
    share: float
    speaking: bool = False
    absent: bool = False
    away: str = "absent"  # what an empty seat says: absent, late (not here yet), "left 4:45"
    not_spoken: bool = False
    quiet: float | None = None  # seconds silent, once past the quiet threshold; else None
    next_in_round: bool = False


@dataclass(frozen=True)
class TimerState:
    speaker: str | None  # display name, or None in a silence
    turn: float  # seconds of the current turn, the current silence, or the break so far
    elapsed: float  # active session time
    planned: float  # planned length, seconds
    paused: bool = False
    ended: bool = False
    round_line: str = ""  # "Check-in: next Maya · 3 of 8"
    over_budget: bool = False
    gap: str = ""  # the last crash gap, for a while after the restart


@dataclass(frozen=True)
class NoteLine:
    at: float  # active session seconds
    kind: str  # observation, code, flag, technique, interruption
    about: str  # names, or "" for the group
    text: str


@dataclass(frozen=True)
class DeckState:
    card: TechniqueCard
    position: int  # 1-based
    total: int
    name: str | None  # whom the phrasings address
    nudge: str = ""  # the reason, when the card is a suggestion
    phrasing: int | None = None  # the phrasing that fits the suggestion
    used: tuple[str, ...] = ()  # names of cards used this session


@dataclass(frozen=True)
class Room:
    """The circle and the timer at one moment."""

    seats: tuple[Seat, ...]
    timer: TimerState
    away: dict[str, str]  # members out of the room: "left", "late" or "absent"
    round_active: bool


def room(live: SessionView, figures: dynamics.SessionFigures, names: dict[str, str]) -> Room:
    present = set(live.present(figures))
    round_state = live.round_state(figures)
    threshold = live.library.nudges.quiet_seconds
    seats: list[Seat] = []
    away: dict[str, str] = {}
    for key, member in live.keys.items():
        p = figures.participants.get(member)
        here = member in present
        seat = _seat(key, member, names, p, figures, threshold, absent=not here)
        if not here:
            away[member] = _away(live, member, p)
            seat = replace(seat, away=away[member])
        if round_state is not None and round_state.next == member:
            seat = replace(seat, next_in_round=True)
        seats.append(seat)
    for key, who in (("l", LEAD), ("c", COFAC)):
        seats.append(_seat(key, who, names, figures.participants.get(who), figures, threshold))
    return Room(
        tuple(seats), timer(live, figures, names, round_state), away, round_state is not None
    )


def _away(live: SessionView, member: str, p: dynamics.ParticipantFigures | None) -> str:
    """What an empty seat says: late (expected, not here yet), "left 4:45", or absent."""
    if p is not None and p.status == "left early":
        return f"left {duration(p.stretches[-1][1])}" if p.stretches else "left"
    expected = live.session.attendance.get(member)
    return "late" if expected is not None and expected.status == "late" else "absent"


def _seat(
    key: str,
    who: str,
    names: dict[str, str],
    p: dynamics.ParticipantFigures | None,
    figures: dynamics.SessionFigures,
    quiet_threshold: float,
    absent: bool = False,
) -> Seat:
    speaking = figures.current is not None and figures.current.speaker == who
    is_member = who not in (LEAD, COFAC)
    return Seat(
        id=who,
        key=key,
        name=names.get(who, who),
        talk=p.talk if p else 0.0,
        share=p.share if p else 0.0,
        speaking=speaking,
        absent=absent,
        not_spoken=is_member and not absent and (p is None or p.turns == 0),
        # The therapist's threshold, the one the deck's suggestion and the review use too.
        quiet=None if p is None or absent else dynamics.quiet_past(p, quiet_threshold),
    )


def round_line(
    round_state: RoundState | None, current: dynamics.SpeakingTurn | None, names: dict[str, str]
) -> tuple[str, bool]:
    """ "Check-in 2/7 · 0:57 left · next: Theo (n)", and whether the speaker is over budget.
    The time is the speaker's, so it comes before the next person's name."""
    if round_state is None:
        return "", False
    line = f"{round_state.kind.capitalize()} {len(round_state.done)}/{len(round_state.order)}"
    over = False
    if round_state.budget:
        # A turn in the round counts down its budget; past it, the cue says by how much.
        budget = round_state.budget
        if current is None or current.speaker not in round_state.order:
            line += f" · {duration(budget)} each"
        elif current.seconds < budget:
            line += f" · {duration(budget - current.seconds)} left"
        else:
            over = True
            line += f" · {duration(current.seconds - budget)} over"
    if round_state.next:
        line += f" · next: {visible(names.get(round_state.next, ''))} (n)"
    else:
        line += " · n ends it"
    return line, over


def gap_line(figures: dynamics.SessionFigures) -> str:
    """The last crash gap, for a while after the restart: the clocks left it out."""
    gaps = figures.timeline.gaps
    if not gaps or figures.timeline.ended:
        return ""
    at, seconds = gaps[-1]
    if figures.timeline.end - at > GAP_SHOWN:
        return ""
    return f"⌁ {duration(seconds)} gap at {duration(at)}, not counted"


def timer(
    live: SessionView,
    figures: dynamics.SessionFigures,
    names: dict[str, str],
    round_state: RoundState | None,
) -> TimerState:
    current = figures.current
    line, over = round_line(round_state, current, names)
    if figures.timeline.paused:
        turn = _break_seconds(live, figures)
    elif current is not None:
        turn = current.seconds
    else:
        turn = figures.current_silence or 0.0
    return TimerState(
        speaker=names.get(current.speaker, current.speaker) if current else None,
        turn=turn,
        elapsed=figures.active,
        planned=live.session.planned_minutes * 60.0,
        paused=figures.timeline.paused,
        ended=figures.timeline.ended,
        round_line=line,
        over_budget=over,
        gap=gap_line(figures),
    )


def _break_seconds(live: SessionView, figures: dynamics.SessionFigures) -> float:
    paused = [e for e in figures.timeline.events if isinstance(e, Paused)]
    return dynamics.seconds_between(paused[-1], live.now()) if paused else 0.0


@dataclass(frozen=True)
class Notes:
    """The notes pane: its lines, the tags typed so far (to complete), the cards used."""

    lines: list[NoteLine]
    tags: list[str]
    used: tuple[str, ...]
    version: int = 0  # changes whenever the lines do


def about(ids: list[str], names: dict[str, str]) -> str:
    return ", ".join(names.get(i, i) for i in ids)


def notes(figures: dynamics.SessionFigures, names: dict[str, str], library: Library) -> Notes:
    """Each note at the moment it is about (when `o` or `f` was pressed)."""
    return NotesFold(names, library).update(figures)


class NotesFold:
    """The notes pane's lines, added as events come: a redraw after a key reads only the new
    events of the live fold (all of them again after a correction, or for another log)."""

    _NOTED = frozenset({"observation", "flag", "interruption", "coded", "technique_used"})

    def __init__(self, names: dict[str, str], library: Library) -> None:
        self.names, self.library = names, library
        self._start([])

    def _start(self, events: list[EventBase]) -> None:
        self._version = getattr(self, "_version", 0) + 1
        self._events = events
        self._seen = 0
        self.lines: list[NoteLine] = []
        self.tags: list[str] = []
        self._used: dict[str, None] = {}

    def update(self, figures: dynamics.SessionFigures) -> Notes:
        tl = figures.timeline
        if tl.events is not self._events or len(tl.events) < self._seen:
            self._start(tl.events)
        when = tl.when or tl.t
        for i in range(self._seen, len(tl.events)):
            event = tl.events[i]
            if event.type in self._NOTED:  # type: ignore[attr-defined]
                self._add(event, when[i])
                self._version += 1
        self._seen = len(tl.events)
        # A copy of the list (C speed): what the pane was given never changes under it.
        return Notes(list(self.lines), list(self.tags), tuple(self._used), self._version)

    def _add(self, event: EventBase, t: float) -> None:
        names = self.names
        if isinstance(event, (Observation, Flag)):
            kind = "flag" if isinstance(event, Flag) else "observation"
            self.lines.append(NoteLine(t, kind, about(event.about, names), event.text))
            self.tags += [tag for tag in event.tags if tag not in self.tags]
        elif isinstance(event, Interruption):  # `i` leaves its trace here too
            cut_off = f"cut in on {names.get(event.of, event.of)}"
            self.lines.append(NoteLine(t, "interruption", about([event.by], names), cut_off))
        elif isinstance(event, CodedEvent):
            label = self.library.scheme(event.scheme).label(event.code)
            self.lines.append(NoteLine(t, "code", about(event.about, names), label))
        elif isinstance(event, TechniqueUsed):
            card = self.library.deck.card(event.card)
            name = card.name if card else event.card
            self.lines.append(NoteLine(t, "technique", about(event.towards, names), name))
            self._used[name] = None


def card_towards(card_id: str, suggestion: Suggestion | None, speaker: str | None) -> list[str]:
    """Whom the card on show addresses, and is recorded as used towards: the members the
    suggestion is about when it is the suggested card; else the member speaking (nobody in
    a silence, or while a facilitator speaks)."""
    if suggestion is not None and suggestion.cards[0] == card_id:
        return list(suggestion.about)
    return [speaker] if speaker is not None and speaker not in (LEAD, COFAC) else []


def deck(
    cards: Deck,
    index: int,
    suggestion: Suggestion | None,
    figures: dynamics.SessionFigures,
    names: dict[str, str],
    used: tuple[str, ...],
) -> DeckState:
    """The card on show; with the suggestion's reason when it is the suggested card."""
    card = cards.cards[index % len(cards.cards)]
    speaker = figures.current.speaker if figures.current else None
    whom_ids = card_towards(card.id, suggestion, speaker)
    whom = whom_ids[0] if whom_ids else None
    nudge = suggestion.reason if suggestion is not None and card.id == suggestion.cards[0] else ""
    return DeckState(
        card=card,
        position=index % len(cards.cards) + 1,
        total=len(cards.cards),
        name=names.get(whom) if whom else None,
        nudge=nudge,
        phrasing=suggestion.phrasing if nudge and suggestion else None,
        used=used,
    )


# --- the note line: what it says when no note is open -------------------------------------

NOTE_KEYS = {"observation": "o", "flag": "f"}  # the key that opens (and brings back) each kind
_KIND_WORD = {"observation": "note", "flag": "flag"}


def glimpse(text: str, width: int = 30) -> str:
    """A note, recognisable in a line: its start, one line, controls shown harmless; cut
    between words where it can (never inside a joined emoji)."""
    line = " ".join(visible(text).split())
    if len(line) <= width:
        return line
    cut = line[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip("\u200d ") + "…"


def parked_from_before(drafts: dict[str, Draft]) -> str:
    """On opening the room: the notes an earlier run left being written, each with its key
    first (on a narrow screen the end of the line is cut)."""
    parked = [
        f"{NOTE_KEYS[kind]}: {_KIND_WORD[kind]} “{glimpse(d.text)}”" for kind, d in drafts.items()
    ]
    return "Parked from before · " + " · ".join(parked) if parked else ""


def parked(kind: str, text: str) -> str:
    """Escape closed a note with text in it: kept, and how to bring it back."""
    what, key = _KIND_WORD[kind].capitalize(), NOTE_KEYS[kind]
    return f"{what} parked · {key} brings it back: “{glimpse(text)}”"


def still_parked(drafts: dict[str, Draft]) -> str:
    """A reminder of the notes still parked, after another line was closed: the line's word
    must never hide a parked flag."""
    return "".join(f" · {NOTE_KEYS[kind]}: {_KIND_WORD[kind]} parked" for kind in drafts)


def closed_empty(drafts: dict[str, Draft]) -> str:
    return "Nothing saved: the line was closed empty." + still_parked(drafts)


_ON_DISK, _KEPT = "✓ Saved", "⚠ Kept here, not yet on disk"  # where a note just saved is


def landed(said: str) -> str:
    """The line of a note kept here to retry, once the disk took it."""
    return _ON_DISK + said[len(_KEPT) :] if said.startswith(_KEPT) else said


def undone(event: EventBase, names: dict[str, str]) -> str:
    """What `u` just undid, recognisably: a note by its words, a turn by whose it was."""
    what = event.type.replace("_", " ")  # type: ignore[attr-defined]
    text = event.__dict__.get("text")
    who = event.__dict__.get("speaker") or event.__dict__.get("member")
    if isinstance(text, str) and text:
        return f"Undone: {what} “{glimpse(text)}”"
    if isinstance(who, str):
        return f"Undone: {what} ({visible(names.get(who, who))})"
    return f"Undone: {what}"


def ended(parked: int) -> str:
    """The session just ended, with the notes that were still parked saved into it."""
    if not parked:
        return "Session ended."
    return (
        f"Session ended · the {'note' if parked == 1 else f'{parked} notes'} parked saved with it."
    )


def saved(kind: str, whom: str, text: str, on_disk: bool, drafts: dict[str, Draft]) -> str:
    """A note just saved: where it is (on disk, or kept to retry), on whom, what it says."""
    state = _ON_DISK if on_disk else _KEPT
    what = "⚑ Flag" if kind == "flag" else "Note"
    return f"{state}: {what} on {visible(whom)}{still_parked(drafts)} · {visible(text)}"
