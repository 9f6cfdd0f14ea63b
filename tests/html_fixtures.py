"""Sessions for the html report's tests: a hostile one, its harmless twin, and a real folder.

The hostile session puts markup, script and `javascript:` links everywhere a user types: the
group's and members' names (quotes too), the lead's name, a theme, notes, tags, comments, an
addendum's reason, a member note and a card of the therapist's own deck. Its twin is the same
session with every such text replaced by plain words: both pages must have the same elements.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cofacil import export
from cofacil.models import (
    COFAC,
    LEAD,
    Attendance,
    CodedEvent,
    Flag,
    Group,
    Member,
    MemberNote,
    Observation,
    Paused,
    Reopened,
    Resumed,
    ReviewNote,
    Session,
    SessionEnded,
    SessionStarted,
    TechniqueUsed,
    TurnStarted,
)
from cofacil.record import Labels

PWNED = "top.pw=1"  # short: a name holds 40 characters at most
HOSTILE = {
    "group": f"Group </title><script>{PWNED}</script>",
    "quote": 'Ann "the quote" O\'Brien',
    "img": f"<img src=x onerror={PWNED}>",
    "svg": f"</svg><img src=x onerror={PWNED}>",
    "lead": f"</svg><script>{PWNED}</script>",
    "theme": "<style>body{display:none}</style><base href=//evil.example/>",
    "script": f"<script>{PWNED}</script> & &amp; ]]> <!-- -->",
    "link": f"[click](javascript:{PWNED}) javascript:{PWNED} <a href=javascript:{PWNED}>a</a>",
    "attr": f'x" onmouseover="{PWNED}" y=\'',
    "card": f'<b onmouseover="{PWNED}">Own card</b>',
    "tag": f'x"><svg onload={PWNED}>',
    "note": f"<iframe src=javascript:{PWNED}></iframe>\n<object data=x></object>",
    "word": "https://clinic.example/" + "Shared%20Documents/" * 14,  # a link pasted whole
    "rtl": "דנה",
}
T0 = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)


def hostile_session(
    text: Callable[[str, str], str] = lambda key, value: value,
) -> tuple[Group, Session, list, Labels, dict[str, MemberNote]]:
    """The hostile session (`text` keeps each value), or its twin (`text` plain words)."""
    t = {key: text(key, value) for key, value in HOSTILE.items()}
    group = Group(
        id="g1",
        name=t["group"],
        kind="support",
        lead=t["lead"],
        cofac=t["attr"],
        created_at=T0,
        members=[
            Member(id="m1", name=t["quote"], seat=1, hotkey="1"),
            Member(id="m2", name=t["img"], seat=2, hotkey="2"),
            Member(id="m3", name=t["svg"], seat=3, hotkey="3"),
            Member(id="m4", name=t["rtl"], seat=4, hotkey="4"),
        ],
    )
    session = Session(
        id="s1",
        group_id="g1",
        number=3,
        date=date(2026, 3, 5),
        theme=t["theme"],
        attendance={
            "m1": Attendance(),
            "m2": Attendance(),
            "m3": Attendance(),
            "m4": Attendance(present=False),
        },
        seats=["m1", "m2", "m3", "m4"],
        created_at=T0,
    )
    steps = [
        (0, SessionStarted, {}),
        (5, TurnStarted, {"speaker": LEAD}),
        (60, TurnStarted, {"speaker": "m1"}),
        (150, TurnStarted, {"speaker": "m2"}),
        (170, Observation, {"text": t["script"], "about": ["m1", "m2"], "tags": [t["tag"]]}),
        (200, TurnStarted, {"speaker": "m3"}),
        (230, Flag, {"text": f"{t['link']} {t['word']}", "about": ["m3"]}),
        (240, TechniqueUsed, {"card": "own-card", "by": "lead", "towards": ["m3"]}),
        (250, CodedEvent, {"scheme": "quick", "code": "conflict", "about": ["m2"]}),
        (300, Paused, {}),
        (600, Resumed, {}),
        (610, TurnStarted, {"speaker": COFAC}),
        (660, TurnStarted, {"speaker": "m1"}),
        (700, TurnStarted, {"speaker": "m2"}),
        (760, TurnStarted, {"speaker": "m1"}),
        # cofacil was closed at 13:00 for 40 seconds: a gap, then the second run's events.
        (820, Reopened, {}),
        (830, TurnStarted, {"speaker": "m3"}),
        (900, SessionEnded, {}),
        (1000, ReviewNote, {"text": t["attr"], "target": "e06"}),  # on the flag
        (1010, ReviewNote, {"text": t["note"], "target": None}),
    ]
    events = [
        kind(
            id=f"e{seq:02d}",
            seq=seq,
            at=T0 + timedelta(seconds=at),
            mono=float(at),
            epoch="run" if at < 820 else "second run",
            **fields,
        )
        for seq, (at, kind, fields) in enumerate(steps)
    ]
    labels = Labels(cards={"own-card": t["card"]}, codes={"quick:conflict": t["tag"]})
    notes = {
        "m1": MemberNote(
            id="s1:m1",
            session_id="s1",
            member_id="m1",
            data=t["note"],
            assessment=t["script"],
            plan=t["link"],
            updated_at=T0 + timedelta(seconds=1100),
        )
    }
    return group, session, events, labels, notes


def hostile_page(text: Callable[[str, str], str] = lambda key, value: value) -> str:
    group, session, events, labels, notes = hostile_session(text)
    return export.render("html", group, session, events, labels=labels, notes=notes)


def plain_page() -> str:
    """The hostile session's twin: the same session, every typed text plain words."""
    return hostile_page(lambda key, _: f"plain {key}")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
