"""Live nudges: the deck notices the group's dynamics and offers the card that fits, quietly.

Pure functions over the dynamics figures. A nudge never takes focus or makes a sound; the
screen shows it beside the deck and records each one shown, dismissed or acted on as an event.
A dismissed nudge stays quiet for a while (`snooze`), so the deck does not nag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from cofacil.display import minutes, percent
from cofacil.dynamics import SessionFigures, quiet_past, talk_since
from cofacil.models import FACILITATORS, CodedEvent, EventBase, Nudge, Session
from cofacil.schemes import Scheme, scheme_for


@dataclass(frozen=True)
class NudgeSettings:
    quiet_seconds: float = 600.0  # a member in the room silent this long is quiet (circle, deck)
    dominance_share: float = 0.5  # one member holds more than this of members' talk lately
    dominance_min_seconds: float = 180.0  # ...and at least this much talk in it
    window_seconds: float = 600.0  # "the last ten minutes"
    closing_seconds: float = 600.0  # the last ten minutes of the planned time
    code_recent_seconds: float = 180.0  # a strong-emotion or conflict code this recent
    snooze_seconds: float = 600.0  # a dismissed nudge stays quiet this long


# Which phrasing of the suggested card fits the moment (an index into the shipped card; an
# edited deck still works, the card falls back to its first fitting phrasing).
PHRASING = {
    "silent-member": 2,  # facilitation: "...would you like to come in, or hold on to it?"
    "dominant-member": 1,  # paraphrasing: "Let me check I've understood you, {name}..."
    "closing": 3,  # summarizing: "We have about ten minutes left..."
    "strong-emotion": 1,  # emotion identification: "...what's happening for you right now?"
    "conflict": 2,  # discussion of the problem: "...could we first understand..."
}


@dataclass(frozen=True)
class Suggestion:
    rule: str
    cards: tuple[str, ...]  # the first is shown; the others are named as alternatives
    about: tuple[str, ...]
    reason: str

    @property
    def phrasing(self) -> int | None:
        return PHRASING.get(self.rule)


def _snoozed(figures: SessionFigures, settings: NudgeSettings) -> set[str]:
    """Rules waved off or acted on lately: one dismissal quiets the rule, not just the member,
    so the deck does not offer the next quiet member a second later."""
    quiet: set[str] = set()
    tl = figures.timeline
    for event, t in _latest_first(tl.events, tl.t):
        if tl.end - t >= settings.snooze_seconds:
            break  # the clock never runs backwards: everything before is older still
        if isinstance(event, Nudge) and event.action in ("dismissed", "acted"):
            quiet.add(event.rule)
    return quiet


def _latest_first(
    events: Sequence[EventBase], times: Sequence[float]
) -> Iterator[tuple[EventBase, float]]:
    """The log from its newest event back, without copying it: the deck looks only at the
    last few minutes, however long the session."""
    for i in range(len(events) - 1, -1, -1):
        yield events[i], times[i]


def suggest(
    session: Session,
    figures: SessionFigures,
    names: dict[str, str],
    settings: NudgeSettings | None = None,
    schemes: Callable[[str], Scheme] = scheme_for,
) -> Suggestion | None:
    """The one card worth offering now, with its reason, or None."""
    settings = settings or NudgeSettings()
    if figures.timeline.ended or figures.timeline.paused:
        return None
    snoozed = _snoozed(figures, settings)
    for candidate in _candidates(session, figures, names, settings, schemes):
        if candidate.rule not in snoozed:
            return candidate
    return None


def _candidates(
    session: Session,
    figures: SessionFigures,
    names: dict[str, str],
    settings: NudgeSettings,
    schemes: Callable[[str], Scheme],
) -> list[Suggestion]:
    found: list[Suggestion] = []
    end = figures.timeline.end
    name = lambda m: names.get(m, m)  # noqa: E731

    # A code that says something strong just happened comes first.
    for event, t in _latest_first(figures.timeline.events, figures.timeline.t):
        if end - t > settings.code_recent_seconds:
            break
        if not isinstance(event, CodedEvent):
            continue
        signals = schemes(event.scheme).signals(event.code)
        about = tuple(event.about)
        who = ", ".join(name(m) for m in about) or "the group"
        if "strong-emotion" in signals:
            found.append(
                Suggestion(
                    "strong-emotion",
                    ("emotion_identification", "support"),
                    about,
                    f"Strong emotion coded for {who}",
                )
            )
            break
        if "conflict" in signals:
            found.append(
                Suggestion(
                    "conflict",
                    ("problem_discussion", "rehearsal"),
                    about,
                    f"Conflict coded for {who}",
                )
            )
            break

    # Someone in the room silent past the threshold (the circle marks them too) while others
    # talked lately: in a silence of the whole group the deck waits. Of equally long silences,
    # the first in seat order.
    recent = talk_since(figures.turns, end - settings.window_seconds)
    quiet = [
        (seconds, m)
        for m, p in figures.participants.items()
        if (seconds := quiet_past(p, settings.quiet_seconds)) is not None
        and any(s > 0 for who, s in recent.items() if who != m)
    ]
    if quiet:
        seconds, member = max(quiet, key=lambda sm: sm[0])
        never = figures.participants[member].turns == 0
        how = "has not spoken yet" if never else f"silent for {minutes(seconds)} min"
        found.append(
            Suggestion("silent-member", ("facilitation",), (member,), f"{name(member)} {how}")
        )

    # One member holding the floor lately.
    members = {m: s for m, s in recent.items() if m not in FACILITATORS}
    total = sum(members.values())
    if total:
        member, seconds = max(members.items(), key=lambda kv: kv[1])
        share = seconds / total
        if share > settings.dominance_share and seconds >= settings.dominance_min_seconds:
            found.append(
                Suggestion(
                    "dominant-member",
                    ("paraphrasing", "summarizing"),
                    (member,),
                    f"{name(member)} holds {percent(share)} of members' talk in the last "
                    f"{minutes(settings.window_seconds)} min",
                )
            )

    # The last ten minutes of the planned time.
    remaining = session.planned_minutes * 60 - end
    if remaining <= settings.closing_seconds:
        left = f"{minutes(remaining)} min of the planned time left"
        found.append(Suggestion("closing", ("summarizing",), (), left))
    return found


def shown_in_log(events: Sequence[EventBase], suggestion: Suggestion) -> bool:
    """Whether the log already says this suggestion is on show: its latest nudge event is
    this one being shown. A break or a resume then records nothing new; the same suggestion
    coming back after another one, or after it was acted on or waved off, is shown anew."""
    for event in reversed(events):
        if isinstance(event, Nudge):
            return (
                event.action == "shown"
                and event.rule == suggestion.rule
                and tuple(event.about) == suggestion.about
            )
    return False
