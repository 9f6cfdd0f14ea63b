"""Group dynamics: pure functions over a session's event log. No Textual, no I/O.

Everything the live screen, the nudges and the review show about the group comes from here.
The rules that make a messy real-life log give right figures:

- **Corrections** are applied first (`effective`): undone events drop out, amendments replace
  text, subjects or tags; an undo of an undo restores the original.
- **The active clock.** Figures are in seconds of *active* session time: from the first event,
  less breaks (pause to resume) and less crash gaps (from the last sign of life an earlier run
  of the app left — or its last event — to the `reopened` event of the next run; monotonic
  readings of different runs are never compared). The session's end stops the clock.
- **Turns.** A turn starts with `turn_started` (or the interrupter's `interruption`) and ends at
  the next speaker's start, its own `turn_ended`, a break, or the session's end (after a break
  nobody is speaking until someone starts). A crash gap freezes a turn instead: the app comes
  back with the turn in progress. A turn still open at the end of the log is closed at the last
  known time (or at `now` on a live screen).
- **Overlap.** Two people talking at once is recorded as an interruption: the interrupter holds
  the floor from that instant and the interrupted turn ends there; both are counted (interrupted
  others / was interrupted), so talk time never counts two voices at once.
- **Presence.** A member absent at set-up is absent, not silent. Late arrivals count from their
  `arrived` event (or the arrival time taken at set-up), early leavers until `left`. Someone
  who leaves and comes back keeps every stretch in the room, the first one too.
- **Quiet.** A member in the room is quiet once silent for the therapist's threshold
  (`quiet_minutes` in nudges.toml): one rule, `quiet_past`, for the circle's mark, the deck's
  suggestion and the review, so the review names exactly the members the circle marked.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple, Protocol

from cofacil.collector import collector_paused
from cofacil.display import duration
from cofacil.models import (
    EVENT_TYPES,
    FACILITATORS,
    AttendanceChanged,
    CodedEvent,
    Correction,
    EventBase,
    Flag,
    Interruption,
    Observation,
    RoundStarted,
    Session,
    TechniqueUsed,
)
from cofacil.shown import member_percents

SILENCE_THRESHOLD = 3.0  # seconds: a shorter hush between two speakers is not a silence
WINDOW = 600.0  # "right now" for the live view: the last ten minutes of active time


class Moment(Protocol):
    """Anything stamped like an event: wall time, monotonic reading and its epoch."""

    at: datetime
    mono: float
    epoch: str


@dataclass(frozen=True)
class Instant:
    """A moment that is not an event: "now" on a live screen."""

    at: datetime
    mono: float
    epoch: str


def seconds_between(a: Moment, b: Moment) -> float:
    """Monotonic difference within one run of the app; wall clock across runs."""
    if a.epoch == b.epoch:
        return max(0.0, b.mono - a.mono)
    return max(0.0, (b.at - a.at).total_seconds())


def effective(events: Sequence[EventBase]) -> list[EventBase]:
    """The log as corrected: undone events dropped, amendments applied, corrections removed.

    Corrections only target earlier events, so walking backwards settles first whether each
    correction itself stands (an undo of an undo restores the original).
    """
    corrections = [e for e in events if e.type == "correction"]  # type: ignore[attr-defined]
    if not corrections:
        return list(events)
    cancelled: set[str] = set()
    for correction in reversed(corrections):
        assert isinstance(correction, Correction)
        if correction.id not in cancelled and correction.action == "undo":
            cancelled.add(correction.target)
    amendments: dict[str, dict[str, object]] = {}
    for correction in corrections:
        assert isinstance(correction, Correction)
        if correction.id not in cancelled and correction.action == "amend":
            changes = {k: getattr(correction, k) for k in ("text", "about", "tags")}
            amendments.setdefault(correction.target, {}).update(
                {k: v for k, v in changes.items() if v is not None}
            )
    cancelled.update(c.id for c in corrections)
    if not amendments:
        return [event for event in events if event.id not in cancelled]
    result: list[EventBase] = []
    for event in events:
        if event.id in cancelled:
            continue
        changes = amendments.get(event.id)
        if changes:
            fields = type(event).model_fields
            event = event.model_copy(update={k: v for k, v in changes.items() if k in fields})
        result.append(event)
    return result


# --- the active clock ----------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """The corrected log placed on the active clock."""

    events: list[EventBase]
    t: list[float]  # active seconds of each event
    end: float  # active seconds at the end of the log, or at `now`
    ended: bool
    started_at: datetime | None  # wall time of the first event
    breaks: list[tuple[float, float]]  # (active time, wall seconds) of each pause
    gaps: list[tuple[float, float]]  # (active time, wall seconds) of each crash gap
    paused: bool  # a break is under way at the end
    # The moment each event is about: when a note was begun (`o` or `f` pressed), else `t`.
    when: list[float] = field(default_factory=list)
    gap_ends: list[str] = field(default_factory=list)  # the id of the event ending each gap
    # The last go-round's start or end (or the session's end): where a round in progress is
    # found without reading the log backwards.
    round_mark: int | None = None


ROUND_MARKS = frozenset({"round_started", "round_ended", "session_ended"})
# The events that can be begun before they are saved (a note).
_BEGUN_KINDS = frozenset(
    t.model_fields["type"].default for t in EVENT_TYPES if "begun" in t.model_fields
)


def timeline(events: Sequence[EventBase], now: Moment | None = None) -> Timeline:
    log = effective(events)
    times: list[float] = []
    breaks: list[tuple[float, float]] = []
    gaps: list[tuple[float, float]] = []
    gap_ends: list[str] = []
    active = 0.0
    paused_at: EventBase | None = None
    ended = False
    round_mark: int | None = None
    prev: EventBase | None = None
    begun = False
    # Each event's stamp read once (as the previous one's next time round): this loop is hot.
    prev_epoch, prev_mono = "", 0.0
    begun_kinds, append = _BEGUN_KINDS, times.append
    for index, event in enumerate(log):
        epoch, mono = event.epoch, event.mono
        if prev is not None and not ended:
            if epoch != prev_epoch:
                # A crash gap. The earlier run went on until its last sign of life (a turn in
                # progress too); from there to this run's first event nothing is counted.
                alive = event.__dict__.get("alive")
                if alive is not None and alive.later_in_the_run_of(prev):
                    if paused_at is None:
                        active += alive.mono - prev_mono
                    gaps.append((active, seconds_between(alive, event)))
                else:
                    gaps.append((active, seconds_between(prev, event)))
                gap_ends.append(event.id)
            elif paused_at is None and mono > prev_mono:
                active += mono - prev_mono
        append(active)
        kind = event.type  # type: ignore[attr-defined]  # a string compare: this loop is hot
        if kind in begun_kinds:
            # `__dict__`, not getattr: asking a pydantic event for a field it lacks is slow.
            begun = begun or event.__dict__.get("begun") is not None
        elif kind == "paused" and paused_at is None:
            paused_at = event
        elif kind == "resumed" and paused_at is not None:
            breaks.append((active, seconds_between(paused_at, event)))
            paused_at = None
        elif kind == "session_ended":
            ended = True
        if kind in ROUND_MARKS:
            round_mark = index
        prev, prev_epoch, prev_mono = event, epoch, mono
    end = active
    if now is not None and prev is not None and not ended and paused_at is None:
        # Another process's clock (a window following the session read-only) compares by the
        # wall clock; this run's own clock by the monotonic one.
        end += seconds_between(prev, now)
    when = times
    if begun:  # a note begun before it was saved
        when = [_moment_on(log, times, end, i) for i in range(len(log))]
    return Timeline(
        events=log,
        t=times,
        when=when,
        gap_ends=gap_ends,
        round_mark=round_mark,
        end=end,
        ended=ended,
        started_at=log[0].at if log else None,
        breaks=breaks,
        gaps=gaps,
        paused=paused_at is not None,
    )


def _moment_on(log: list[EventBase], times: list[float], end: float, index: int) -> float:
    """Where the moment the event at `index` is about falls on the active clock: for a note,
    when it was begun (found among the events before it, within its run); else its own time."""
    moment = log[index].__dict__.get("begun")
    if moment is None:
        return times[index]
    for j in range(index, -1, -1):
        e = log[j]
        if e.epoch == moment.epoch and e.mono <= moment.mono:
            # Never past the next event's time: a break (or a crash) in between stops the clock.
            following = times[j + 1] if j + 1 < len(times) else end
            return min(times[j] + (moment.mono - e.mono), following)
    return times[0]


# --- turns ---------------------------------------------------------------------------------


class SpeakingTurn(NamedTuple):
    """One turn. A named tuple: a session makes thousands, and a tuple is made in a fifth of
    the time a frozen dataclass takes."""

    speaker: str
    start: float  # active seconds
    end: float
    open: bool = False  # still running at the end of the log (or at `now`)
    cut_off: bool = False  # ended by an interruption

    @property
    def seconds(self) -> float:
        return self.end - self.start


def turns_on(tl: Timeline) -> list[SpeakingTurn]:
    turns: list[SpeakingTurn] = []
    speaker: str | None = None
    since = 0.0
    for event, t in zip(tl.events, tl.t, strict=True):
        kind = event.type  # type: ignore[attr-defined]
        if kind == "turn_started":
            if event.speaker == speaker:  # type: ignore[attr-defined]
                continue  # already speaking: the log says it twice
            if speaker is not None:
                turns.append(SpeakingTurn(speaker, since, t))
            speaker, since = event.speaker, t  # type: ignore[attr-defined]
        elif kind == "interruption":
            assert isinstance(event, Interruption)
            if speaker is not None and speaker != event.by:
                turns.append(SpeakingTurn(speaker, since, t, cut_off=True))
                speaker, since = event.by, t
            elif speaker is None:
                speaker, since = event.by, t
        elif (kind == "turn_ended" and event.speaker == speaker) or (  # type: ignore[attr-defined]
            kind in ("session_ended", "paused") and speaker is not None
        ):
            turns.append(SpeakingTurn(speaker, since, t))  # type: ignore[arg-type]
            speaker = None
    if speaker is not None:
        turns.append(SpeakingTurn(speaker, since, tl.end, open=not tl.ended))
    return turns


def speaking_turns(events: Sequence[EventBase], now: Moment | None = None) -> list[SpeakingTurn]:
    return turns_on(timeline(events, now))


def talk_seconds(events: Sequence[EventBase], now: Moment | None = None) -> dict[str, float]:
    totals: dict[str, float] = {}
    for turn in speaking_turns(events, now):
        totals[turn.speaker] = totals.get(turn.speaker, 0.0) + turn.seconds
    return totals


def talk_since(turns: Sequence[SpeakingTurn], since: float) -> dict[str, float]:
    """Each speaker's talk from active second `since` on ("lately"). Turns end in order, so
    only the last few are read, newest first (then added up oldest first)."""
    lately: list[SpeakingTurn] = []
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].end <= since:
            break
        lately.append(turns[i])
    recent: dict[str, float] = {}
    for turn in reversed(lately):
        recent[turn.speaker] = recent.get(turn.speaker, 0.0) + turn.end - max(turn.start, since)
    return recent


# --- presence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    stretches: list[tuple[float, float]]  # active time in the room; absent: none
    inside: bool  # in the room at the end of the log (or `now`)


def presence(session: Session, tl: Timeline) -> dict[str, Presence]:
    """For each member on the session's list, when they were in the room."""
    moves = Moves()
    for event, t in zip(tl.events, tl.t, strict=True):
        if isinstance(event, AttendanceChanged):
            moves.add(event, t)
    return presence_from(session, tl, moves)


@dataclass
class Moves:
    """Arrivals and departures during the session, as the log has them so far."""

    arrivals: dict[str, list[float]] = field(default_factory=dict)
    departures: dict[str, list[float]] = field(default_factory=dict)
    came_first: dict[str, bool] = field(default_factory=dict)  # first change an arrival

    def add(self, event: AttendanceChanged, t: float) -> None:
        self.came_first.setdefault(event.member, event.change == "arrived")
        (self.arrivals if event.change == "arrived" else self.departures).setdefault(
            event.member, []
        ).append(t)


def presence_from(session: Session, tl: Timeline, moves: Moves) -> dict[str, Presence]:
    """`presence` from the arrivals and departures already gathered (the live fold's)."""

    def at_wall(moment: datetime | None, default: float) -> float:
        if moment is None or tl.started_at is None:
            return default
        return min(tl.end, max(0.0, (moment - tl.started_at).total_seconds()))

    arrivals, departures, came_first = moves.arrivals, moves.departures, moves.came_first
    result: dict[str, Presence] = {}
    # In today's seat order (then anyone else the log names): every list built from this,
    # down to "Not heard" in a report, reads the same on every run.
    members = dict.fromkeys([*session.seats, *session.attendance, *arrivals])
    for member in members:
        record = session.attendance.get(member)
        marks: list[tuple[float, bool]] = []  # (time, True: in / False: out)
        if record is not None and record.present:
            expected_late = record.late and record.arrived_at is None
            # In the room from the start (or the arrival taken at set-up) unless the log's
            # first word on them is an arrival; a departure first means they were in.
            if not expected_late and not came_first.get(member, False):
                marks.append((at_wall(record.arrived_at, 0.0), True))
            if record.left_at is not None and member not in departures:
                marks.append((at_wall(record.left_at, tl.end), False))
        marks += [(t, True) for t in arrivals.get(member, [])]
        marks += [(t, False) for t in departures.get(member, [])]
        stretches: list[tuple[float, float]] = []
        inside: float | None = None
        for t, entering in sorted(marks, key=lambda m: m[0]):
            if entering and inside is None:
                inside = t
            elif not entering and inside is not None:
                stretches.append((inside, t))
                inside = None
        if inside is not None:
            stretches.append((inside, tl.end))
        result[member] = Presence(stretches, inside is not None)
    return result


# --- figures -------------------------------------------------------------------------------


def attendance_name(status: str, stretches: Sequence[tuple[float, float]] | None) -> str:
    """A member's attendance in a word or two: present, late, left early, absent, or "stepped
    out": in the room at the start and at the end, out for a while in between (their
    `status` stays "present": they are in the room, neither late nor gone)."""
    if status == "present" and stretches is not None and len(stretches) > 1:
        return "stepped out"
    return status


def attendance_text(status: str, stretches: Sequence[tuple[float, float]] | None) -> str:
    """A member's attendance as every view says it: "present" (the whole session), "absent",
    or its name with every stretch in the room, on the session clock:
    "late (in the room 12:21–1:26:58)", "stepped out (in the room 0:00–4:45, 5:47–10:16)"."""
    name = attendance_name(status, stretches)
    if name in ("present", "absent") or not stretches:
        return name
    spans = ", ".join(f"{duration(a)}–{duration(b)}" for a, b in stretches)
    return f"{name} (in the room {spans})"


def attendance_words(session: Session, figures: SessionFigures) -> dict[str, str]:
    """Each seated member's attendance (`attendance_text`), in seat order."""
    words: dict[str, str] = {}
    for member in session.seats:
        p = figures.participants.get(member)
        words[member] = attendance_text(p.status, p.stretches) if p else "absent"
    return words


def gaps_words(figures: SessionFigures) -> str:
    """The session's crash gaps as the review and the report say them: "0:21 at 0:31", or
    "none". The time is on the session clock; the length is by the wall clock."""
    gaps = [f"{duration(seconds)} at {duration(at)}" for at, seconds in figures.timeline.gaps]
    return ", ".join(gaps) or "none"


def go_rounds_words(figures: SessionFigures) -> str:
    """The session's go-rounds as the review and the report say them:
    "check-in at 0:12 (2:00 each), check-out at 1:20:05", or "none"."""
    rounds = []
    for event, t in zip(figures.timeline.events, figures.timeline.t, strict=True):
        if isinstance(event, RoundStarted):
            budget = f" ({duration(event.budget_seconds)} each)" if event.budget_seconds else ""
            rounds.append(f"{event.kind} at {duration(t)}{budget}")
    return ", ".join(rounds) or "none"


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of talk time: 0 when everyone talks equally, towards 1 when one person
    holds the floor. Chosen because it is one bounded, size-independent figure that clinicians
    and researchers already read for participation balance."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n < 2 or total <= 0:
        return 0.0
    weighted = sum((2 * i - n + 1) * x for i, x in enumerate(xs))
    return max(0.0, weighted / (n * total))


@dataclass(frozen=True)
class ParticipantFigures:
    id: str
    turns: int = 0
    talk: float = 0.0
    share: float = 0.0  # of all talk
    member_share: float | None = None  # of members' talk; None for the facilitators
    mean_turn: float = 0.0
    median_turn: float = 0.0
    longest_turn: float = 0.0
    first_spoke: float | None = None  # active seconds from the start
    since_spoke: float | None = None  # active seconds since their last turn ended (0: speaking)
    quiet_for: float | None = None  # present and silent: since they last spoke or arrived
    longest_quiet: float | None = None  # members who came: their longest `quiet_for`
    interrupted_others: int = 0
    was_interrupted: int = 0
    present_seconds: float | None = None  # members only
    stretches: list[tuple[float, float]] | None = None  # members only: each stretch in the room
    status: str = "present"  # present, late, left early, absent; "facilitator" for the two
    notes: Counter[str] = field(default_factory=Counter)  # observation, code, flag, technique
    codes: Counter[str] = field(default_factory=Counter)  # "scheme:code"


@dataclass(frozen=True)
class SessionFigures:
    active: float
    talk: float
    silence: float
    longest_silence: float
    silences: list[float]  # each hush between turns (and before the first, after the last)
    facilitator_talk: float
    member_talk: float
    not_yet_spoken: list[str]  # present members
    gini: float
    balance: float  # 1 - gini
    transitions: Counter[tuple[str, str]]  # (from, to): speaker changes
    silent_transitions: Counter[tuple[str, str]]  # the same with a silence >= threshold between
    answer_pairs: list[tuple[tuple[str, str], int]]  # member pairs, most back-and-forth first
    participants: dict[str, ParticipantFigures]
    turns: list[SpeakingTurn]
    current: SpeakingTurn | None
    current_silence: float | None  # nobody speaks: for how long
    recent_talk: dict[str, float]  # talk in the last `window` seconds
    timeline: Timeline


@dataclass
class Totals:
    """What the figures need of the log besides its clock and its turns, summed as it grows:
    the closed turns by speaker, the changes of speaker and the hushes before each turn (the
    running one too), the noted events and the arrivals and departures. The live fold keeps
    one up to date event by event; `totals_of` works it out from a whole log (the oracle)."""

    by_speaker: dict[str, list[SpeakingTurn]] = field(default_factory=dict)  # closed turns
    talk: dict[str, float] = field(default_factory=dict)  # closed talk, in the same order
    lengths: dict[str, list[float]] = field(default_factory=dict)  # closed turns', shortest first
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    silent_transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    silences: list[float] = field(default_factory=list)  # before each turn, when any
    interrupted_others: Counter[str] = field(default_factory=Counter)
    was_interrupted: Counter[str] = field(default_factory=Counter)
    notes: dict[str, Counter[str]] = field(default_factory=dict)
    codes: dict[str, Counter[str]] = field(default_factory=dict)
    moves: Moves = field(default_factory=Moves)
    last: SpeakingTurn | None = None  # the last turn that began
    silence_total: float = 0.0  # of `silences`, added as they come
    longest_silence: float = 0.0  # of `silences`
    # Each member's walk through their quiet stretches so far (`QuietWalk`): a cache, not a
    # figure, resumed by `session_figures` so a key does not walk the whole log again.
    quiet_walks: dict[str, QuietWalk] = field(default_factory=dict, compare=False, repr=False)

    def start_turn(self, speaker: str, start: float) -> None:
        """A turn begins: the hush before it, and a change of speaker."""
        before = self.last
        hush = start - (before.end if before is not None else 0.0)
        if hush > 0:
            self.silences.append(hush)
            self.silence_total += hush
            self.longest_silence = max(self.longest_silence, hush)
        if before is not None and before.speaker != speaker:
            pair = (before.speaker, speaker)
            self.transitions[pair] += 1
            if start - before.end >= SILENCE_THRESHOLD:
                self.silent_transitions[pair] += 1

    def close_turn(self, turn: SpeakingTurn) -> None:
        who = turn.speaker
        self.by_speaker.setdefault(who, []).append(turn)
        self.talk[who] = self.talk.get(who, 0.0) + turn.seconds
        insort(self.lengths.setdefault(who, []), turn.seconds)
        self.last = turn

    def note(self, event: EventBase, t: float) -> None:
        """An event that counts for someone: a note, a code, a cut-in, an arrival."""
        kind = event.type  # type: ignore[attr-defined]
        if kind == "attendance":
            self.moves.add(event, t)  # type: ignore[arg-type]
        elif kind == "interruption":
            self.interrupted_others[event.by] += 1  # type: ignore[attr-defined]
            self.was_interrupted[event.of] += 1  # type: ignore[attr-defined]
        elif kind in _NOTE_KINDS:
            what, subjects = _note_kind(event)
            for who in subjects:
                self.notes.setdefault(who, Counter())[what] += 1
                if isinstance(event, CodedEvent):
                    self.codes.setdefault(who, Counter())[f"{event.scheme}:{event.code}"] += 1


def totals_of(tl: Timeline, turns: list[SpeakingTurn]) -> Totals:
    """The totals of a whole log, from scratch."""
    totals = Totals()
    for event, t in zip(tl.events, tl.t, strict=True):
        totals.note(event, t)
    for turn in turns:
        totals.start_turn(turn.speaker, turn.start)
        if turn.open:
            totals.last = turn
        else:
            totals.close_turn(turn)
    return totals


def session_figures(
    session: Session,
    events: Sequence[EventBase],
    now: Moment | None = None,
    *,
    silence_threshold: float = SILENCE_THRESHOLD,
    window: float = WINDOW,
    folded: tuple[Timeline, list[SpeakingTurn], Totals] | None = None,
) -> SessionFigures:
    """Every figure of the session at `now`. `folded`: its timeline, turns and totals at
    `now`, kept up to date by the live screen (live_figures) instead of worked out from the
    log again: the per-event work is then done once per event, not once per key."""
    if folded is not None and silence_threshold == SILENCE_THRESHOLD:
        tl, turns, totals = folded
    else:
        tl = timeline(events, now)
        turns = turns_on(tl)
        totals = totals_of(tl, turns)
    here = presence_from(session, tl, totals.moves)
    end = tl.end
    current = turns[-1] if turns and turns[-1].open else None

    talk = dict(totals.talk)
    if current is not None:  # the running turn, added last (as the log has it)
        talk[current.speaker] = talk.get(current.speaker, 0.0) + current.seconds
    total_talk = sum(talk.values())
    facilitator_talk = sum(talk.get(f, 0.0) for f in FACILITATORS)
    member_talk = total_talk - facilitator_talk
    interrupted_others, was_interrupted = totals.interrupted_others, totals.was_interrupted
    notes, codes = totals.notes, totals.codes

    everyone = [*here, *FACILITATORS, *(w for w in talk if w not in here and w not in FACILITATORS)]
    participants: dict[str, ParticipantFigures] = {}
    for who in everyone:
        # Their closed turns, and the running one when it is theirs: read, never copied (a
        # key must not cost the length of the log).
        closed = totals.by_speaker.get(who, [])
        lengths = totals.lengths.get(who, [])
        running = current if current is not None and current.speaker == who else None
        count = len(closed) + (running is not None)
        latest = running if running is not None else closed[-1] if closed else None
        first = closed[0] if closed else running
        where = here.get(who)
        stretches = where.stretches if where is not None else None
        is_member = who not in FACILITATORS
        present_now = where.inside if where is not None else not is_member
        last_end = latest.end if latest is not None else None
        speaking = running is not None
        since = 0.0 if speaking else (end - last_end if last_end is not None else None)
        quiet = None
        if present_now and not speaking and stretches is not None:
            came = stretches[-1][0] if stretches else 0.0
            quiet = end - max(came, last_end if last_end is not None else came)
        elif present_now and not speaking and not is_member:
            quiet = end - (last_end if last_end is not None else 0.0)
        participants[who] = ParticipantFigures(
            id=who,
            turns=count,
            talk=talk.get(who, 0.0),
            share=talk.get(who, 0.0) / total_talk if total_talk else 0.0,
            member_share=(talk.get(who, 0.0) / member_talk if member_talk else 0.0)
            if is_member
            else None,
            mean_turn=talk.get(who, 0.0) / count if count else 0.0,
            median_turn=_median(lengths, running.seconds if running else None),
            longest_turn=max(lengths[-1] if lengths else 0.0, running.seconds if running else 0.0),
            first_spoke=first.start if first is not None else None,
            since_spoke=since,
            quiet_for=quiet,
            longest_quiet=totals.quiet_walks.setdefault(who, QuietWalk()).longest_quiet(
                stretches, closed, running
            )
            if is_member and stretches
            else None,
            interrupted_others=interrupted_others.get(who, 0),
            was_interrupted=was_interrupted.get(who, 0),
            present_seconds=sum(b - a for a, b in stretches) if stretches is not None else None,
            stretches=stretches,
            status=status_of(session, who, where) if is_member else "facilitator",
            notes=Counter(notes.get(who, ())),  # copies: the fold's counters go on counting
            codes=Counter(codes.get(who, ())),
        )

    present_members = [m for m, p in here.items() if p.stretches]
    transitions = Counter(totals.transitions)
    silent_transitions = Counter(totals.silent_transitions)
    if silence_threshold != SILENCE_THRESHOLD:
        silent_transitions = Counter(
            (before.speaker, after.speaker)
            for before, after in pairwise(turns)
            if before.speaker != after.speaker and after.start - before.end >= silence_threshold
        )
    pairs: Counter[tuple[str, str]] = Counter()
    for (a, b), n in transitions.items():
        if a not in FACILITATORS and b not in FACILITATORS:
            pairs[(min(a, b), max(a, b))] += n

    trailing = end - (turns[-1].end if turns else 0.0)
    silences = [*totals.silences, *([trailing] if trailing > 0 else [])]
    g = gini(talk.get(m, 0.0) for m in present_members)
    return SessionFigures(
        active=end,
        talk=total_talk,
        silence=totals.silence_total + trailing if trailing > 0 else totals.silence_total,
        longest_silence=max(totals.longest_silence, trailing),
        silences=silences,
        facilitator_talk=facilitator_talk,
        member_talk=member_talk,
        not_yet_spoken=[m for m in present_members if m not in talk],
        gini=g,
        balance=1.0 - g,
        transitions=transitions,
        silent_transitions=silent_transitions,
        answer_pairs=pairs.most_common(),
        participants=participants,
        turns=turns,
        current=current,
        current_silence=None if current or tl.ended else end - (turns[-1].end if turns else 0.0),
        recent_talk=talk_since(turns, end - window),
        timeline=tl,
    )


def came(figures: SessionFigures, member: str) -> bool:
    """In the room at some point: they get a note, a seat on the circle, a row in the report
    (an absent member gets none)."""
    p = figures.participants.get(member)
    return p is not None and p.status != "absent"


def talk_rows(figures: SessionFigures) -> list[tuple[float, str]]:
    """(talk, who) for everyone who spoke or was in the room, longest talk first: the rows of
    every talk chart."""
    rows = [
        (p.talk, who)
        for who, p in figures.participants.items()
        if p.turns or p.status in ("present", "late", "left early")
    ]
    rows.sort(key=lambda r: -r[0])
    return rows


def answers(figures: SessionFigures) -> list[tuple[str, str, int]]:
    """Who answered whom: (answerer, answered, times), most first; the answerer spoke right
    after the one answered (a change of speaker), the facilitators included."""
    pairs = [(b, a, n) for (a, b), n in figures.transitions.items() if a != b]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def _median(ordered: list[float], extra: float | None) -> float:
    """The median of `ordered` (sorted) with `extra` among them, without sorting or copying:
    `statistics.median` of the lot."""
    n = len(ordered) + (extra is not None)
    if not n:
        return 0.0
    at = bisect_right(ordered, extra) if extra is not None else n

    def nth(k: int) -> float:
        return ordered[k] if k < at else extra if k == at else ordered[k - 1]  # type: ignore[return-value]

    mid = n // 2
    return nth(mid) if n % 2 else (nth(mid - 1) + nth(mid)) / 2


@dataclass
class QuietWalk:
    """`_longest_quiet`, walked as the session goes: the stretches in the room that are over,
    and the closed turns already taken in, are not walked again, so a key costs the same at
    minute 170 as at minute 1. A walk that does not match what it is given (a correction made
    the log anew) starts over: it always answers as `_longest_quiet` does."""

    walked: list[tuple[float, float]] = field(default_factory=list)  # stretches that are over
    came: float | None = None  # the stretch being walked began then (None: not begun)
    since: float = 0.0  # quiet since, in that stretch
    taken: int = 0  # closed turns taken in
    best: float = 0.0  # the longest quiet so far, but for the end of the stretch being walked

    def longest_quiet(
        self,
        stretches: list[tuple[float, float]],
        closed: list[SpeakingTurn],
        running: SpeakingTurn | None,
    ) -> float:
        done = len(self.walked)
        if (
            done >= len(stretches)
            or stretches[:done] != self.walked
            or (self.came is not None and stretches[done][0] != self.came)
            or self.taken > len(closed)
        ):
            self.walked, self.came, self.since, self.taken, self.best = [], None, 0.0, 0, 0.0
        while len(self.walked) < len(stretches) - 1:  # stretches over since the last call
            came, went = stretches[len(self.walked)]
            self._walk(came, went, closed)
            if running is not None and running.start < went:
                # A turn still running began in a stretch that is over: rare, walked whole.
                return _longest_quiet(stretches, [*closed, running])
            self.best = max(self.best, went - self.since)
            self.walked.append((came, went))
            self.came = None
        came, went = stretches[-1]
        self._walk(came, went, closed)
        best, since = self.best, self.since
        if running is not None and running.end > came and running.start < went:
            best, since = max(best, running.start - since), max(since, running.end)
        return max(best, went - since)

    def _walk(self, came: float, went: float, closed: list[SpeakingTurn]) -> None:
        """Take in the closed turns of the stretch (came, went) not yet taken in."""
        if self.came is None:  # a new stretch: from the first turn that ends after it began
            self.came, self.since = came, came
            while self.taken and closed[self.taken - 1].end > came:
                self.taken -= 1
            while self.taken < len(closed) and closed[self.taken].end <= came:
                self.taken += 1
        while self.taken < len(closed) and closed[self.taken].start < went:
            turn = closed[self.taken]
            self.best = max(self.best, turn.start - self.since)
            self.since = max(self.since, turn.end)
            self.taken += 1


def _longest_quiet(stretches: list[tuple[float, float]], mine: list[SpeakingTurn]) -> float:
    """The longest stretch in the room without a turn of their own: the most `quiet_for` ever
    reached (it starts again at each arrival, as it does live)."""
    longest = 0.0
    for came, went in stretches:
        since = came
        for turn in mine:
            if turn.end <= came or turn.start >= went:
                continue
            longest = max(longest, turn.start - since)
            since = max(since, turn.end)
        longest = max(longest, went - since)
    return longest


def quiet_past(p: ParticipantFigures, threshold: float, *, longest: bool = False) -> float | None:
    """How long member `p` has been silent in the room, if `threshold` seconds or more, else
    None. The one rule of "quiet": the circle marks it, the deck suggests from it and, with
    `longest` (the longest stretch of the session), the review reports it."""
    if p.status == "facilitator":
        return None
    seconds = p.longest_quiet if longest else p.quiet_for
    return seconds if seconds is not None and seconds >= threshold else None


def quiet_words(figures: SessionFigures, threshold: float, name: Callable[[str], str]) -> str:
    """Who was quiet past the threshold, longest first, as the review and the report say it:
    "Quiet 10 min or longer while in the room: Ines 16:10, Kit 12:05" (or "… nobody")."""
    quiet = [
        (seconds, member)
        for member, p in figures.participants.items()
        if (seconds := quiet_past(p, threshold, longest=True)) is not None
    ]
    quiet.sort(key=lambda sm: -sm[0])  # stable: equal stretches stay in seat order
    who = ", ".join(f"{name(m)} {duration(s)}" for s, m in quiet) or "nobody"
    return f"Quiet {threshold / 60:g} min or longer while in the room: {who}"


_NOTE_KINDS = frozenset({"interruption", "observation", "coded", "flag", "technique_used"})


def _note_kind(event: EventBase) -> tuple[str, list[str]]:
    if isinstance(event, Observation):
        return "observation", event.about
    if isinstance(event, CodedEvent):
        return "code", event.about
    if isinstance(event, Flag):
        return "flag", event.about
    if isinstance(event, TechniqueUsed):
        return "technique", event.towards
    raise TypeError(type(event).__name__)


def status_of(session: Session, member: str, where: Presence | None) -> str:
    """present, late, left early or absent: in the room at the end or not, and since when.
    Someone who stepped out and came back is "present" (`attendance_name` says more)."""
    if where is None or not where.stretches:
        return "absent"
    if not where.inside:
        return "left early"
    record = session.attendance.get(member)
    if where.stretches[0][0] > 0 or (record is not None and record.status == "late"):
        return "late"
    return "present"


# --- across sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberSession:
    """One member in one session, for trends and sparklines."""

    session_id: str
    number: int
    status: str
    turns: int
    talk: float
    member_share: float
    member_percent: int  # the share as the session's review and report show it
    notes: int  # observations, codes, flags and techniques about them


# The notes a member's row counts, and the field naming whom each is about (`_note_kind`).
_NOTE_SUBJECTS = {
    Observation.model_fields["type"].default: "about",
    CodedEvent.model_fields["type"].default: "about",
    Flag.model_fields["type"].default: "about",
    TechniqueUsed.model_fields["type"].default: "towards",
}


def member_rows(
    session: Session, events: Sequence[EventBase], until: Moment | None = None
) -> dict[str, MemberSession]:
    """Each member's row of one session: their figures as `session_figures` has them (a test
    holds the two equal), from one lean pass: turns, talk, notes and presence only, since a
    member's course reads every session of the group. `until`: where a recording cut short
    ends (its last sign of life), as the session's own figures read it."""
    tl = timeline(events, until)
    # `turns_on`, folded into the same pass as the notes and moves: each turn's talk added as
    # it closes (in the order of the turns, as the figures add it up), no turn made.
    talk: dict[str, float] = {}
    turns: dict[str, int] = {}
    moves = Moves()
    notes: dict[str, int] = {}
    speaker: str | None = None
    since = 0.0
    for event, t in zip(tl.events, tl.t, strict=True):
        kind = event.type  # type: ignore[attr-defined]
        if kind == "turn_started":
            if event.speaker == speaker:  # type: ignore[attr-defined]
                continue  # already speaking: the log says it twice
            if speaker is not None:
                talk[speaker] = talk.get(speaker, 0.0) + (t - since)
                turns[speaker] = turns.get(speaker, 0) + 1
            speaker, since = event.speaker, t  # type: ignore[attr-defined]
        elif kind == "interruption":
            by = event.by  # type: ignore[attr-defined]
            if speaker is not None and speaker != by:
                talk[speaker] = talk.get(speaker, 0.0) + (t - since)
                turns[speaker] = turns.get(speaker, 0) + 1
                speaker, since = by, t
            elif speaker is None:
                speaker, since = by, t
        elif (kind == "turn_ended" and event.speaker == speaker) or (  # type: ignore[attr-defined]
            kind in ("session_ended", "paused") and speaker is not None
        ):
            talk[speaker] = talk.get(speaker, 0.0) + (t - since)  # type: ignore[index]
            turns[speaker] = turns.get(speaker, 0) + 1  # type: ignore[index]
            speaker = None
        elif kind == "attendance":
            moves.add(event, t)  # type: ignore[arg-type]
        elif (subjects := _NOTE_SUBJECTS.get(kind)) is not None:
            for who in event.__dict__[subjects]:  # `_note_kind`'s subjects
                notes[who] = notes.get(who, 0) + 1
    if speaker is not None:  # still speaking at the end of the log
        talk[speaker] = talk.get(speaker, 0.0) + (tl.end - since)
        turns[speaker] = turns.get(speaker, 0) + 1
    here = presence_from(session, tl, moves)
    total_talk = sum(talk.values())
    member_talk = total_talk - sum(talk.get(f, 0.0) for f in FACILITATORS)
    members = [
        *(m for m in here if m not in FACILITATORS),
        *(w for w in talk if w not in here and w not in FACILITATORS),
    ]
    share = {m: talk.get(m, 0.0) / member_talk if member_talk else 0.0 for m in members}
    percents = member_percents(share)
    return {
        m: MemberSession(
            session_id=session.id,
            number=session.number,
            status=status_of(session, m, here.get(m)),
            turns=turns.get(m, 0),
            talk=talk.get(m, 0.0),
            member_share=share[m],
            member_percent=percents[m],
            notes=notes.get(m, 0),
        )
        for m in members
    }


@collector_paused()  # a pass would walk every session's events, and find nothing to free
def member_trends(
    history: Iterable[tuple[Session, Sequence[EventBase]]],
    until: Mapping[str, Moment] | None = None,
) -> dict[str, list[MemberSession]]:
    """Per member, one row per session in the order given (oldest first); `until`: by
    session id, where a recording cut short ends (`member_rows`)."""
    trends: dict[str, list[MemberSession]] = {}
    for session, events in history:
        for member, row in member_rows(session, events, (until or {}).get(session.id)).items():
            trends.setdefault(member, []).append(row)
    return trends
