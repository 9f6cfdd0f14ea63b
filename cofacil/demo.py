"""The demo group: made-up members and two past sessions with realistic events.

Generated deterministically (a fixed seed per session) from `data/demo_group.toml`, so every
`cofacil demo` tells the same story: turns and silences, observations, codes, techniques, a
break, a late arrival and one safety flag.
"""

from __future__ import annotations

import random
import tomllib
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

from cofacil.live import unfinished_session
from cofacil.models import (
    COFAC,
    LEAD,
    Attendance,
    AttendanceChanged,
    CodedEvent,
    EventBase,
    Flag,
    Group,
    Interruption,
    Member,
    Observation,
    Paused,
    Resumed,
    Session,
    SessionEnded,
    SessionStarted,
    TechniqueUsed,
    TurnEnded,
    TurnStarted,
    default_hotkey,
)
from cofacil.schemes import scheme_for
from cofacil.storage import SessionLog, Store

DEMO_GROUP_ID = "demo-group"
TECHNIQUES = (
    "support",
    "paraphrasing",
    "facilitation",
    "problem_discussion",
    "emotion_identification",
    "behaviour_identification",
    "rehearsal",
    "tips",
    "summarizing",
)


def demo_content() -> dict[str, Any]:
    text = resources.files("cofacil.data").joinpath("demo_group.toml").read_text("utf-8")
    return tomllib.loads(text)


def ensure_demo_group(store: Store) -> Group:
    """The demo group with its past sessions, created on first use. A past session is filed
    first, then its log written; it is whole once its last event is the end of the session: a
    first start killed half-way is finished by the next, each past session's log carried on
    from where it stops."""
    group = next((g for g in store.groups(include_archived=True) if g.id == DEMO_GROUP_ID), None)
    if group is None:
        group = _make_demo_group(store)
    content = demo_content()
    for number, past in enumerate(content["sessions"], start=1):
        if not isinstance(store.last_event(_past_id(number)), SessionEnded):
            _past_session(store, group, content, number, past)
    return group


def _past_id(number: int) -> str:
    return f"{DEMO_GROUP_ID}-past-{number}"  # the same on a second try


def _make_demo_group(store: Store) -> Group:
    content = demo_content()
    spec = content["group"]
    now = store.clock.now()
    members = [
        Member(
            id=f"demo-{m['name'].lower()}",
            name=m["name"],
            seat=seat,
            hotkey=default_hotkey(seat),
            pronouns=m.get("pronouns", ""),
            note=m.get("note", ""),
        )
        for seat, m in enumerate(content["members"], start=1)
    ]
    group = Group(
        id=DEMO_GROUP_ID,
        name=spec["name"],
        kind=spec["kind"],
        lead=spec["lead"],
        cofac=spec["cofac"],
        coding_scheme=spec["coding_scheme"],
        members=members,
        created_at=now - timedelta(days=30),
    )
    store.save_group(group)
    return group


def start_demo_session(store: Store) -> Session:
    """Today's unfinished demo session, or a new one after the past sessions."""
    group = ensure_demo_group(store)
    today = store.clock.now().date()
    if (unfinished := unfinished_session(store, group.id, on=today)) is not None:
        return unfinished
    from cofacil.roster import new_session  # a new day's session only

    return new_session(store, group, theme="Open session")


class _Script:
    """Builds one past session's events on its own clock."""

    def __init__(self, start: datetime, epoch: str) -> None:
        self.at = start
        self.mono = 0.0
        self.epoch = epoch
        self.events: list[EventBase] = []

    def wait(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.mono += seconds

    def add(self, event_type: type[EventBase], **fields: Any) -> EventBase:
        event = event_type(
            seq=len(self.events), at=self.at, mono=self.mono, epoch=self.epoch, **fields
        )
        self.events.append(event)
        return event


def _past_session(
    store: Store,
    group: Group,
    content: dict[str, Any],
    number: int,
    spec: dict[str, Any],
) -> None:
    rng = random.Random(number * 7919)
    by_name = {m.name: m for m in group.members}
    day: date = store.clock.now().date() - timedelta(days=spec["days_ago"])
    start = datetime.combine(day, time(18, 0)).astimezone()
    absent = {by_name[n].id for n in spec.get("absent", [])}
    late = {by_name[n].id for n in spec.get("late", [])}
    attendance = {
        m.id: Attendance(
            present=m.id not in absent,
            arrived_at=start + timedelta(minutes=12) if m.id in late else None,
        )
        for m in group.members
    }
    session = Session(
        id=_past_id(number),
        group_id=group.id,
        number=number,
        date=day,
        theme=spec["theme"],
        planned_minutes=90,
        attendance=attendance,
        seats=[m.id for m in group.seated()],
        created_at=start - timedelta(minutes=20),
    )
    weights = {by_name[m["name"]].id: m["talk"] for m in content["members"]}
    codes = [c.id for c in scheme_for("quick").codes if c.id != "risk"]
    lines = content["observations"]["lines"]
    tags = content["observations"]["tags"]
    script = _Script(start, epoch=f"demo-{number}")
    script.add(SessionStarted)
    here = [m.id for m in group.seated() if m.id not in absent and m.id not in late]
    flag = spec.get("flag")
    previous = LEAD
    minute = 0.0
    break_taken = False
    while minute < 85:
        if late and minute >= 12:
            for member_id in sorted(late):
                script.add(AttendanceChanged, member=member_id, change="arrived")
                here.append(member_id)
            late = set()
        if minute >= 40 and not break_taken:
            script.add(Paused)
            script.wait(600)
            script.add(Resumed)
            break_taken = True
        speaker = _next_speaker(rng, here, weights, previous)
        if rng.random() < 0.08 and previous not in (speaker, LEAD, COFAC):
            script.add(Interruption, by=speaker, of=previous)
        else:
            script.add(TurnStarted, speaker=speaker)
        length = min(240.0, rng.lognormvariate(3.6, 0.7)) if speaker != COFAC else 15.0
        script.wait(length)
        if rng.random() < 0.25:
            member = rng.choice(here)
            i = rng.randrange(len(lines))
            name = group.member(member).name
            script.add(Observation, text=lines[i].format(m=name), about=[member], tags=[tags[i]])
        if rng.random() < 0.2 and speaker not in (LEAD, COFAC):
            code = rng.choice(codes)
            script.add(CodedEvent, scheme="quick", code=code, about=[speaker])
        if speaker == LEAD and rng.random() < 0.5:
            towards = (
                [] if rng.random() < 0.5 else [previous] if previous not in (LEAD, COFAC) else []
            )
            script.add(TechniqueUsed, card=rng.choice(TECHNIQUES), by="lead", towards=towards)
        if flag and minute > 55:
            script.add(Flag, text=flag["text"], about=[by_name[flag["about"]].id])
            flag = None
        if rng.random() < 0.3:
            script.add(TurnEnded, speaker=speaker)
            script.wait(rng.uniform(3, 25))  # a silence
        previous = speaker
        minute = script.mono / 60 - (10 if break_taken else 0)
    script.add(TurnStarted, speaker=LEAD)
    script.wait(90)
    script.add(TechniqueUsed, card="summarizing", by="lead")
    script.add(SessionEnded)
    store.save_session(session)
    with SessionLog(store, session) as log:
        for event in script.events[log.next_seq :]:  # the script is the same every time
            log.append(event)


def _next_speaker(
    rng: random.Random, here: list[str], weights: dict[str, int], previous: str
) -> str:
    if previous not in (LEAD, COFAC) and rng.random() < 0.3:
        return LEAD if rng.random() < 0.8 else COFAC
    pool = [m for m in here if m != previous]
    return rng.choices(pool, weights=[weights[m] for m in pool])[0]
