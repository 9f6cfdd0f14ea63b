"""Groups, their members and seats, and setting up a session. UI-free.

Every change builds a new, fully validated `Group` or `Session` and saves it through the store,
or raises `RosterError` naming the field and saying what is wrong. Nothing is half-saved.

Keys follow seats: the members in the group, in seat order, take 1–9 and 0, then the shifted
digits ! @ # $ % ^ & * ( ) for seats 11–20. Members who have left keep their place on the
roster (they are never deleted once they have sessions) but no seat key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from cofacil.display import BIDI_CONTROLS
from cofacil.models import (
    ALSO_CALLED_MAX,
    MAX_MEMBERS,
    NAME_MAX,
    SEAT_KEYS,
    Attendance,
    Group,
    Member,
    Session,
    clean_name,
    has_control_chars,
)
from cofacil.storage import Store

PRONOUNS_MAX = NAME_MAX
NOTE_MAX = 200
THEME_MAX = 200
STATUSES = ("present", "late", "absent")


class RosterError(ValueError):
    """Bad input: `field` names the form field the message belongs next to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _refuse_direction_controls(value: str, field: str, what: str) -> None:
    # Checked where text is typed, not in the models: a name saved before this rule must still
    # load. An override would show the rest of a line reversed, hiding what was written.
    if any(ch in BIDI_CONTROLS for ch in value):
        raise RosterError(field, f"{what.capitalize()} contains a text-direction control")


def _name(value: str, field: str, what: str) -> str:
    try:
        value = clean_name(value, what)
    except ValueError as error:
        raise RosterError(field, str(error).capitalize()) from None
    _refuse_direction_controls(value, field, what)
    return value


def _short(value: str, field: str, limit: int, what: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise RosterError(field, f"{what.capitalize()} is longer than {limit} characters")
    if has_control_chars(value):  # C0, DEL and C1
        raise RosterError(field, f"{what.capitalize()} contains control characters")
    _refuse_direction_controls(value, field, what)
    return value


def _build(model: type[Group] | type[Session], field: str, **fields: object) -> Group | Session:
    try:
        return model(**fields)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first.get("ctx", {}).get("error", first["msg"]))
        raise RosterError(field, message[0].upper() + message[1:]) from None


def seated(members: list[Member]) -> list[Member]:
    """Seats 1..n in the given order, those who left last; keys by seat for the rest."""
    active = [m for m in members if m.active]
    left = [m for m in members if not m.active]
    return [
        m.model_copy(update={"seat": seat, "hotkey": SEAT_KEYS[seat - 1] if m.active else ""})
        for seat, m in enumerate([*active, *left], start=1)
    ]


# --- groups --------------------------------------------------------------------------------


def create_group(
    store: Store,
    name: str,
    kind: str = "discussion",
    lead: str = "Lead",
    cofac: str = "Co-facilitator",
    coding_scheme: str = "quick",
    note_format: str = "DAP",
) -> Group:
    group = _build(
        Group,
        "name",
        name=_name(name, "name", "group name"),
        kind=kind,
        coding_scheme=coding_scheme,
        note_format=note_format,
        lead=_name(lead, "lead", "lead therapist's name"),
        cofac=_name(cofac, "cofac", "co-facilitator's name"),
        created_at=store.clock.now(),
    )
    store.save_group(group)  # type: ignore[arg-type]
    return group  # type: ignore[return-value]


def update_group(
    store: Store,
    group: Group,
    *,
    name: str,
    kind: str,
    lead: str,
    cofac: str,
    coding_scheme: str | None = None,
    note_format: str | None = None,
) -> Group:
    changed = _build(
        Group,
        "name",
        **{
            **group.model_dump(),
            "name": _name(name, "name", "group name"),
            "kind": kind,
            "lead": _name(lead, "lead", "lead therapist's name"),
            "cofac": _name(cofac, "cofac", "co-facilitator's name"),
            "coding_scheme": coding_scheme or group.coding_scheme,
            "note_format": note_format or group.note_format,
            "members": group.members,
        },
    )
    store.save_group(changed)  # type: ignore[arg-type]
    return changed  # type: ignore[return-value]


def set_archived(store: Store, group: Group, archived: bool) -> Group:
    changed = group.model_copy(update={"archived": archived})
    store.save_group(changed)
    return changed


# --- members -------------------------------------------------------------------------------


def _save_members(store: Store, group: Group, members: list[Member], field: str) -> Group:
    names = [m.name.casefold() for m in members]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise RosterError(field, f"Another member is already called {members[i].name}")
    if sum(m.active for m in members) > MAX_MEMBERS:
        raise RosterError(field, f"A group has at most {MAX_MEMBERS} members")
    changed = _build(Group, field, **{**group.model_dump(), "members": seated(members)})
    store.save_group(changed)  # type: ignore[arg-type]
    return changed  # type: ignore[return-value]


def _member_fields(name: str, pronouns: str, note: str, also_called: str) -> dict[str, object]:
    others = [_name(o, "also_called", "other name") for o in also_called.split(",") if o.strip()]
    if len(others) > ALSO_CALLED_MAX:
        raise RosterError("also_called", f"At most {ALSO_CALLED_MAX} other names")
    return {
        "name": _name(name, "name", "display name"),
        "pronouns": _short(pronouns, "pronouns", PRONOUNS_MAX, "pronouns"),
        "note": _short(note, "note", NOTE_MAX, "note"),
        "also_called": others,
    }


def add_member(
    store: Store, group: Group, name: str, pronouns: str = "", note: str = "", also_called: str = ""
) -> Group:
    fields = _member_fields(name, pronouns, note, also_called)
    if sum(m.active for m in group.members) >= MAX_MEMBERS:
        raise RosterError("name", f"A group has at most {MAX_MEMBERS} members")
    active = [m for m in group.seated() if m.active]
    left = [m for m in group.seated() if not m.active]
    new = Member(seat=len(group.members) + 1, hotkey="", active=True, **fields)  # renumbered
    return _save_members(store, group, [*active, new, *left], "name")


def edit_member(
    store: Store,
    group: Group,
    member_id: str,
    name: str,
    pronouns: str = "",
    note: str = "",
    also_called: str = "",
) -> Group:
    fields = _member_fields(name, pronouns, note, also_called)
    members = [m.model_copy(update=fields) if m.id == member_id else m for m in group.seated()]
    return _save_members(store, group, members, "name")


def set_left(store: Store, group: Group, member_id: str, left: bool) -> Group:
    """Mark a member as having left the group (kept on the roster), or back in it."""
    members = [
        m.model_copy(update={"active": not left}) if m.id == member_id else m
        for m in group.seated()
    ]
    if not left:  # back in the group: take the last seat
        back = next(m for m in members if m.id == member_id)
        members = [m for m in members if m.id != member_id]
        active = [m for m in members if m.active]
        members = [*active, back, *(m for m in members if not m.active)]
    return _save_members(store, group, members, "name")


def move_member(store: Store, group: Group, member_id: str, steps: int) -> Group:
    """Move a member `steps` seats along the circle (negative: towards seat 1)."""
    active = [m for m in group.seated() if m.active]
    index = next((i for i, m in enumerate(active) if m.id == member_id), None)
    if index is None:
        return group
    target = max(0, min(len(active) - 1, index + steps))
    active.insert(target, active.pop(index))
    return _save_members(
        store, group, [*active, *(m for m in group.seated() if not m.active)], "name"
    )


def has_sessions(store: Store, group: Group) -> bool:
    return bool(store.sessions(group.id))


# --- session set-up ------------------------------------------------------------------------


@dataclass
class SessionPlan:
    """A session as the set-up screen edits it, before it exists."""

    number: int
    day: date
    theme: str
    planned_minutes: int
    seats: list[str]  # member ids, today's order
    attendance: dict[str, str]  # member id -> present / late / absent


def plan_session(store: Store, group: Group) -> SessionPlan:
    sessions = store.sessions(group.id)
    active = [m.id for m in group.seated() if m.active]
    return SessionPlan(
        number=max((s.number for s in sessions), default=0) + 1,
        day=store.clock.now().date(),
        theme="",
        planned_minutes=90,
        seats=active,
        attendance=dict.fromkeys(active, "present"),
    )


def parse_minutes(text: str) -> int:
    try:
        minutes = int(text.strip())
    except ValueError:
        raise RosterError("planned", "Planned length is a number of minutes") from None
    if not 5 <= minutes <= 600:
        raise RosterError("planned", "Planned length is between 5 and 600 minutes")
    return minutes


def new_session(store: Store, group: Group, theme: str = "") -> Session:
    """The group's next session as planned by default: today, everyone present."""
    plan = plan_session(store, group)
    plan.theme = theme
    return start_session(store, group, plan)


def start_session(store: Store, group: Group, plan: SessionPlan) -> Session:
    attendance = {
        member: Attendance(present=status != "absent", late=status == "late")
        for member, status in plan.attendance.items()
    }
    session = _build(
        Session,
        "theme",
        group_id=group.id,
        number=plan.number,
        date=plan.day,
        theme=_short(plan.theme, "theme", THEME_MAX, "theme"),
        planned_minutes=plan.planned_minutes,
        attendance=attendance,
        seats=plan.seats,
        created_at=store.clock.now(),
    )
    store.save_session(session)  # type: ignore[arg-type]
    return session  # type: ignore[return-value]
