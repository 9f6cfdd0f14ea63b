"""A session's figures as they are shown: whole seconds and whole percents. UI-free.

The figures stay exact in `dynamics`; they are rounded here, once, and every view that shows
them together (the end dialog, the review, the charts, the report, a member's note) takes them
from here, so that what is shown side by side adds up:

- the length = talk + silence; talk = members + facilitators;
- the members' talk = each member's, the facilitators' = the lead's + the co-facilitator's;
- shares of all talk add up to 100%, and so do shares of the members' talk;
- a part never shows more than its whole: the longest silence is the largest of the
  silences apportioned to the silence shown, a longest turn the largest of that person's turns.

Each whole is rounded to the nearest second (`display.nearest`) and its parts apportioned to
it (`display.apportion`), from the length down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cofacil.display import apportion, duration, nearest
from cofacil.models import FACILITATORS

if TYPE_CHECKING:  # dynamics uses this module; a runtime import would go round in a circle
    from cofacil.dynamics import SessionFigures


@dataclass(frozen=True)
class ShownFigures:
    active: int  # whole seconds, as are the talk figures
    talk: int
    silence: int
    longest_silence: int
    member_talk: int
    facilitator_talk: int
    talk_of: dict[str, int]  # each participant's talk
    longest_turn_of: dict[str, int]
    share_of: dict[str, int]  # whole percents of all talk: 100 in all (0 with no talk)
    member_share_of: dict[str, int]  # members only: whole percents of the members' talk


def _split(people: Sequence[str], exact: dict[str, float], whole: int) -> dict[str, int]:
    return dict(zip(people, apportion([exact[p] for p in people], whole), strict=True))


def shown(figures: SessionFigures) -> ShownFigures:
    """The figures of a session, rounded so that every part adds up to its whole."""
    people = figures.participants
    members = [who for who in people if who not in FACILITATORS]
    facilitators = [who for who in people if who in FACILITATORS]
    talk_exact = {who: p.talk for who, p in people.items()}

    active = nearest(figures.active)
    talk, silence = apportion([figures.talk, figures.silence], active)
    member_talk, facilitator_talk = apportion([figures.member_talk, figures.facilitator_talk], talk)
    talk_of = _split(members, talk_exact, member_talk) | _split(
        facilitators, talk_exact, facilitator_talk
    )
    turns: dict[str, list[float]] = {}
    for turn in figures.turns:
        turns.setdefault(turn.speaker, []).append(turn.seconds)
    return ShownFigures(
        active=active,
        talk=talk,
        silence=silence,
        longest_silence=max(apportion(figures.silences, silence), default=0),
        member_talk=member_talk,
        facilitator_talk=facilitator_talk,
        talk_of=talk_of,
        longest_turn_of={
            who: max(apportion(turns.get(who, []), talk_of[who]), default=0) for who in people
        },
        share_of=dict(
            zip(people, apportion([100 * p.share for p in people.values()]), strict=True)
        ),
        member_share_of=member_percents({m: people[m].member_share or 0.0 for m in members}),
    )


def member_percents(member_share: dict[str, float]) -> dict[str, int]:
    """Each member's share of the members' talk in whole percents: 100 in all (0 with no
    talk), in the order given (which settles a tie)."""
    members = list(member_share)
    return dict(zip(members, apportion([100 * member_share[m] for m in members]), strict=True))


def talk_words(figures: ShownFigures) -> str:
    """ "Talk 7:55 (members 7:00, facilitators 0:55); silence 0:35, longest 0:20"."""
    return (
        f"Talk {duration(figures.talk)} (members {duration(figures.member_talk)}, "
        f"facilitators {duration(figures.facilitator_talk)}); "
        f"silence {duration(figures.silence)}, longest {duration(figures.longest_silence)}"
    )
