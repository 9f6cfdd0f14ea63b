"""The session report as one self-contained html page, with its charts drawn in SVG. UI-free.

Safe by construction: the page comes from a jinja2 template with autoescape on, and nothing in
this module writes markup. Every text a user typed (names, notes, tags, comments, a card of the
therapist's own deck) reaches the template as a plain string and is escaped there, in text,
attributes and SVG alike. Texts are also passed through `display.visible`, so a control
character or a text-direction override shows as what it is rather than acting.

The page fetches nothing and runs nothing: its Content-Security-Policy allows no script, no
remote load, no form and no base; the one inline stylesheet is allowed by its own hash.
It reads on a phone (the charts scroll sideways rather than shrink below reading size) and
prints on A4 or Letter (no chart cut across pages).

What it says is what the md report says (`summary.summarize`, `shown`), laid out for a
supervisor reading on paper: the group note and member notes first, then the charts, each
with its figures in a table beside it for screen readers and the printed page.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from cofacil import dynamics, svg_charts
from cofacil.display import duration, visible
from cofacil.export import when_text
from cofacil.member_notes import sections, written
from cofacil.models import (
    COFAC,
    GROUP_KIND_LABELS,
    ITEM_TYPES,
    LEAD,
    CodedEvent,
    EventBase,
    Flag,
    Group,
    MemberNote,
    Observation,
    Reviewed,
    ReviewNote,
    Session,
    TechniqueUsed,
)
from cofacil.notes import tags as typed_tags
from cofacil.record import Labels, signed_off
from cofacil.shown import ShownFigures, shown
from cofacil.summary import BALANCE_NAME, summarize

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class Comment:
    kind: str  # "Comment" or "Addendum"
    by: str
    at: str
    on: str  # "" or "on the item at 12:30"
    reason: str
    text: str


@dataclass(frozen=True)
class RecordedNote:
    at: str
    kind: str  # "observation", "flag", "code", "technique"
    about: str
    text: str
    tags: list[str]
    reviewed: bool
    comments: list[Comment]


@dataclass(frozen=True)
class MemberRow:
    name: str
    attendance: str
    turns: int
    talk: str
    member_share: int
    longest_turn: str
    longest_quiet: str
    cut_in: int
    cut_off: int
    codes: str


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # loaded only when an html report is made
    from markupsafe import Markup

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("cofacil", "templates"),
        autoescape=True,  # every page here is html: escape always, whatever the file's name
        undefined=jinja2.StrictUndefined,  # a misspelt name fails a test, not a report
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # A typed text isolated from the words around it (a right-to-left name must not carry
    # "2 nights" before it): escaped by `format`, like every value.
    environment.filters["bdi"] = lambda text: Markup("<bdi>{}</bdi>").format(text)
    return environment


@cache
def _style() -> tuple[str, str]:
    """The stylesheet, and its hash for the page's Content-Security-Policy."""
    from markupsafe import Markup  # jinja2's own

    css = files("cofacil").joinpath("templates/report.css").read_text(encoding="utf-8")
    # The one value the page does not escape: cofacil's own stylesheet, shipped with it, never
    # a text anybody typed. It cannot end its <style> element early.
    if "<" in css:
        raise ValueError("report.css: no < (it stands inside the page's <style> element)")
    return Markup(css), "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def to_html(
    group: Group,
    session: Session,
    events: Sequence[EventBase],
    *,
    quiet_seconds: float,
    until: dynamics.Moment | None = None,
    labels: Labels,
    notes: Mapping[str, MemberNote] | None = None,
    private_left_out: int = 0,
    course: Mapping[str, Sequence[dynamics.MemberSession]] | None = None,
) -> str:
    """The report (`export.render`'s arguments); `course`: each member's row per session of
    the group up to this one (`dynamics.member_trends`), drawn when there is more than one."""
    figures = dynamics.session_figures(session, events, until)
    rounded = shown(figures)
    tl = figures.timeline
    log = tl.events
    names = group.names()

    def name(who: str) -> str:
        return visible(names.get(who, who))

    def about(ids: Sequence[str]) -> str:
        return ", ".join(name(m) for m in ids) or "the group"

    active = {e.id: t for e, t in zip(tl.events, tl.t, strict=True)}
    moments = {e.id: t for e, t in zip(tl.events, tl.when, strict=True)}
    signed = signed_off(log)
    glance = summarize(group, session, figures, labels, quiet_seconds, visible)

    comments: dict[str | None, list[Comment]] = {}
    for note in (e for e in log if isinstance(e, ReviewNote)):
        target = note.target if note.target in active else None
        on = f"on the item at {when_text(note.target, active, moments)}" if note.target else ""
        comments.setdefault(target, []).append(
            Comment(
                note.kind,
                name(note.author),
                note.at.isoformat(timespec="minutes"),
                on,
                visible(note.reason),
                visible(note.text),
            )
        )
    marked = {e.target for e in events if isinstance(e, Reviewed)}
    items = [
        _item(e, when_text(e.id, active, moments), about, labels, e.id in marked, comments)
        for e in log
        if isinstance(e, ITEM_TYPES)
    ]
    listed = {e.id for e in log if isinstance(e, ITEM_TYPES)}
    session_comments = [
        c for target, found in comments.items() if target not in listed for c in found
    ]

    attended = [m for m in group.seated() if dynamics.came(figures, m.id)]
    member_notes = [(visible(m.name), _note_parts((notes or {}).get(m.id))) for m in attended]
    members = [_member_row(figures, rounded, m.id, visible(m.name), labels) for m in attended]
    courses = _courses(course or {}, [m.id for m in attended], names, session.number)
    css, style_hash = _style()
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=f"{visible(group.name)} — session {session.number}",
            kind=GROUP_KIND_LABELS[group.kind],
            lead=visible(group.lead),
            cofac=visible(group.cofac),
            glance=glance,
            balance_name=BALANCE_NAME,
            note_format=group.note_format,
            member_notes=member_notes,
            members=members,
            circle=svg_charts.interaction_circle(figures, session.seats, names),
            bars=svg_charts.talk_bars(figures, rounded, names),
            timeline=svg_charts.timeline(figures, session.seats, names, labels),
            courses=courses,
            flags=[i for i in items if i.kind == "flag"],
            items=items,
            reviewed=sum(i.reviewed for i in items),
            session_comments=session_comments,
            signed=signed,
            signer=visible(signed.name) if signed else "",
            private_left_out=private_left_out,
            ended=tl.ended,
            clock_end=duration(rounded.active),
            facilitators=(LEAD, COFAC),
            css=css,
            style_hash=style_hash,
            num=svg_charts.num,
        )
    )


def _item(
    event: EventBase,
    at: str,
    about: Callable[[Sequence[str]], str],
    labels: Labels,
    reviewed: bool,
    comments: Mapping[str | None, list[Comment]],
) -> RecordedNote:
    tags: list[str] = []
    if isinstance(event, Observation):
        typed = set(typed_tags(event.text))  # tags typed in the text are there already
        tags = [visible(t) for t in event.tags if t not in typed]
        kind, who = "observation", about(event.about)
    elif isinstance(event, Flag):
        kind, who = "flag", about(event.about)
    elif isinstance(event, CodedEvent):
        kind, who = "code", about(event.about)
    else:
        assert isinstance(event, TechniqueUsed)
        kind, who = "technique", f"by {about([event.by])} towards {about(event.towards)}"
    text = visible(labels.words(event))
    return RecordedNote(at, kind, who, text, tags, reviewed, comments.get(event.id, []))


def _note_parts(note: MemberNote | None) -> list[tuple[str, list[str]]] | None:
    """A note's sections, each typed line its own line; None when no note is written."""
    if note is None or not written(note):
        return None
    return [
        (heading, [visible(line) for line in part.splitlines() if line.strip()])
        for heading, part in sections(note)
    ]


def _member_row(
    figures: dynamics.SessionFigures,
    rounded: ShownFigures,
    member: str,
    name: str,
    labels: Labels,
) -> MemberRow:
    p = figures.participants[member]
    return MemberRow(
        name=name,
        attendance=dynamics.attendance_text(p.status, p.stretches),
        turns=p.turns,
        talk=duration(rounded.talk_of[member]),
        member_share=rounded.member_share_of.get(member, 0),
        longest_turn=duration(rounded.longest_turn_of[member]),
        longest_quiet=duration(p.longest_quiet) if p.longest_quiet is not None else "–",
        cut_in=p.interrupted_others,
        cut_off=p.was_interrupted,
        codes=", ".join(f"{visible(labels.code(c))} ×{n}" for c, n in p.codes.most_common()),
    )


def _courses(
    course: Mapping[str, Sequence[dynamics.MemberSession]],
    members: Sequence[str],
    names: Mapping[str, str],
    current: int,
) -> list[svg_charts.Course]:
    """Each member's course, when the group has met more than once: one scale for all."""
    rows = {m: course[m] for m in members if m in course}
    if not rows or max(len(r) for r in rows.values()) < 2:
        return []
    every = [r for rs in rows.values() for r in rs if r.status != "absent"]
    top = max((r.member_percent for r in every), default=10)
    scale = svg_charts.CourseScale(
        percent=min(100, max(10, -(-top // 10) * 10)),  # up to the next 10%
        turns=max((r.turns for r in every), default=1) or 1,
        notes=max((r.notes for r in every), default=1) or 1,
    )
    return [svg_charts.course(rs, m, names.get(m, m), current, scale) for m, rs in rows.items()]
