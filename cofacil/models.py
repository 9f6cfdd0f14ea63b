"""The domain model: groups, members, sessions and the session event log.

Every stored document is validated strictly on the way in and out: a wrong type or an unknown
field is an error that names its location. Documents carry a schema version (`v`); the store
migrates older ones and refuses newer ones.

Times for the record are timezone-aware wall-clock stamps; durations come from the monotonic
reading stored beside them (`mono`, comparable only within one `epoch`, i.e. one run of the app).
"""

from __future__ import annotations

import operator
import re
import types
import typing
import unicodedata
import uuid
from datetime import date as Date
from datetime import datetime
from functools import cache, reduce
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import SchemaValidator, core_schema

# 2: a note's moment (`begun`), tags in flags, a gap's last sign of life.
# 3: the signed record and its digest in a sign-off; an addendum's reason; a member's
#    other names; the member notes' format (DAP or BIRP).
SCHEMA_VERSION = 3

# The two facilitators take part in turns like members do; they are named by role, not by id.
LEAD = "lead"
COFAC = "cofac"
FACILITATORS = (LEAD, COFAC)

NAME_MAX = 40
REASON_MAX = 200  # why an addendum was added
ALSO_CALLED_MAX = 5  # other names a member goes by
MAX_MEMBERS = 20  # members in the room at most: one key each
ROSTER_MAX = 60  # with those who have left the group, who are kept, never deleted
TEXT_MAX = 4000  # an observation or flag; the lead therapist reads long notes later
TAG_MAX = 40

NoteFormat = Literal["DAP", "BIRP"]
GroupKind = Literal[
    "discussion",
    "support",
    "family",
    "psychodrama",
    "music",
    "art",
    "movement",
    "psychodynamic",
    "gestalt",
    "skills",
    "other",
]
GROUP_KIND_LABELS: dict[str, str] = {
    "discussion": "Group discussion",
    "support": "Support group",
    "family": "Group family therapy",
    "psychodrama": "Psychodrama / drama therapy",
    "music": "Music therapy",
    "art": "Projective drawing / art (isotherapy)",
    "movement": "Psychogymnastics / dance and movement",
    "psychodynamic": "Psychodynamic group",
    "gestalt": "Gestalt group",
    "skills": "Skills training",
    "other": "Other",
}

# Seats 1-10 take the digits 1-9 and 0; seats 11-20 take the same keys shifted (US layout),
# so every member of the largest group still has a single key.
SEAT_KEYS = "1234567890!@#$%^&*()"


def _whole_minute_offset(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is not None and offset.seconds % 60:
        raise ValueError("timezone offset must be whole minutes (ISO 8601 keeps no seconds)")
    return value


class _WholeMinuteOffset:
    """Checks a stamp given as a Python datetime (built in code, or from a dict). JSON text
    cannot hold an offset with seconds (ISO 8601 has hours and minutes, and pydantic refuses
    "+01:00:30"), so reading JSON skips the Python call: a long log reads a fifth faster."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        checked = handler(source)
        return core_schema.json_or_python_schema(
            json_schema=checked,
            python_schema=core_schema.no_info_after_validator_function(
                _whole_minute_offset, checked
            ),
        )


# A JSON string decodes to a datetime / date; everything else stays strict. Every stamp must
# read back exactly as written, so an offset with seconds (lost by ISO 8601) is refused.
Stamp = Annotated[AwareDatetime, Field(strict=False), _WholeMinuteOffset()]
Day = Annotated[Date, Field(strict=False)]


# Every id (group, member, session, event) is data, never a path: letters, digits, `-` and `_`,
# at most 64, starting with a letter or digit (no separators, no dots, no `..`). New ids are
# uuid4 hex; the demo's are readable words.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_ID = re.compile(ID_PATTERN)


class _IdMark:
    """Marks a field (or list item, or dict key) that holds an id."""


ID_MARK = _IdMark()
# An id. Checked where stored data is read (`ill_formed_ids`; for events `event_problem`), once
# per document, rather than by pydantic per field: a validator on every id field costs tens of
# milliseconds of every start to build, for a rule that only data from disk can break (new ids
# are `new_id`).
Id = Annotated[str, Field(min_length=1), ID_MARK]


def well_formed_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _id_paths(annotation: Any) -> list[str]:
    """Where in a value of type `annotation` ids sit: "" (the value), "[]" (list items),
    "{}" (dict keys), "." (inside a nested document)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return [""] if any(a is ID_MARK for a in args[1:]) else _id_paths(args[0])
    if typing.get_origin(annotation) is list:
        return ["[]" + p for p in _id_paths(args[0])]
    if typing.get_origin(annotation) is dict:
        keys = ["{}"] if _id_paths(args[0]) == [""] else []
        return keys + ["{}." + p for p in _id_paths(args[1]) if p.startswith(".")]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [p for a in args for p in _id_paths(a)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields.values()  # a nested document holding ids
        return (
            ["."] if any(ID_MARK in f.metadata or _id_paths(f.annotation) for f in fields) else []
        )
    return []


_ID_FIELDS: dict[type[BaseModel], list[tuple[str, list[str]]]] = {}


def ill_formed_ids(doc: BaseModel) -> list[str]:
    """Every id in `doc` (nested documents included) that is not well formed. Events, the many,
    take a quicker path beside their roster check (storage.schema.event_problem)."""
    cls = type(doc)
    if cls not in _ID_FIELDS:
        _ID_FIELDS[cls] = [
            (name, paths)
            for name, info in cls.model_fields.items()
            if (paths := [""] if ID_MARK in info.metadata else _id_paths(info.annotation))
        ]
    bad: list[str] = []
    values = doc.__dict__
    for name, paths in _ID_FIELDS[cls]:
        value = values[name]
        for path in paths:
            bad += _ill_formed_at(value, path)
    return bad


def _ill_formed_at(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if path == "":
        return [] if well_formed_id(value) else [repr(value)]
    if path == ".":
        return ill_formed_ids(value)
    if path.startswith("[]"):
        return [b for item in value for b in _ill_formed_at(item, path[2:])]
    if path == "{}":
        return [repr(k) for k in value if not well_formed_id(k)]
    if path.startswith("{}"):
        return [b for item in value.values() for b in _ill_formed_at(item, path[2:])]
    return []


def new_id() -> str:
    return uuid.uuid4().hex


def has_control_chars(text: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def clean_name(value: str, what: str = "name") -> str:
    """The rules every display name obeys; raises ValueError with a message for the user."""
    value = value.strip()
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > NAME_MAX:
        raise ValueError(f"{what} is longer than {NAME_MAX} characters")
    if has_control_chars(value):
        raise ValueError(f"{what} contains control characters")
    return value


def default_hotkey(seat: int) -> str:
    return SEAT_KEYS[seat - 1]


class Doc(BaseModel):
    """A stored document: strict, closed to unknown fields, immutable, versioned."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    v: int = SCHEMA_VERSION


class Member(Doc):
    id: Id = Field(default_factory=new_id)
    name: str  # as used in the room: initials or a pseudonym are encouraged
    seat: int = Field(ge=1, le=ROSTER_MAX)  # order around the circle; those who left come last
    hotkey: str = Field(default="", max_length=1)  # by seat; "" once they have left the group
    active: bool = True  # False: has left the group (kept, never deleted)
    pronouns: str = Field(default="", max_length=NAME_MAX)
    note: str = Field(default="", max_length=200)
    # Other names the member goes by in the room ("also called"): redaction replaces them too.
    also_called: list[str] = Field(default_factory=list, max_length=ALSO_CALLED_MAX)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return clean_name(value, "display name")

    @field_validator("also_called")
    @classmethod
    def _also_called(cls, values: list[str]) -> list[str]:
        return [clean_name(v, "other name") for v in values]


class Group(Doc):
    id: Id = Field(default_factory=new_id)
    name: str
    kind: GroupKind = "discussion"
    lead: str = "Lead"  # lead therapist as shown in the room
    cofac: str = "Co-facilitator"
    members: list[Member] = Field(default_factory=list, max_length=ROSTER_MAX)
    coding_scheme: str = "quick"
    # The member notes' format: DAP (data, assessment, plan) or BIRP (behaviour,
    # intervention, response, plan), as the clinic files them.
    note_format: NoteFormat = "DAP"
    archived: bool = False
    created_at: Stamp

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return clean_name(value, "group name")

    @field_validator("lead", "cofac")
    @classmethod
    def _facilitator(cls, value: str) -> str:
        return clean_name(value, "facilitator name")

    @model_validator(mode="after")
    def _unique_members(self) -> Group:
        active = [m for m in self.members if m.active]
        if len(active) > MAX_MEMBERS:
            raise ValueError(f"a group has at most {MAX_MEMBERS} members")
        if any(not m.hotkey for m in active):
            raise ValueError("every member in the group needs a hotkey")
        if any(m.hotkey for m in self.members if not m.active):
            raise ValueError("a member who has left keeps no hotkey")
        for attr, what, who in (
            ("id", "member id", self.members),
            ("hotkey", "hotkey", active),
            ("seat", "seat", self.members),
        ):
            values = [getattr(m, attr) for m in who]
            if len(values) != len(set(values)):
                raise ValueError(f"two members share a {what}")
        names = [m.name.casefold() for m in self.members]
        if len(names) != len(set(names)):
            raise ValueError("two members share a display name")
        return self

    def member(self, member_id: str) -> Member:
        for m in self.members:
            if m.id == member_id:
                return m
        raise KeyError(member_id)

    def seated(self) -> list[Member]:
        return sorted(self.members, key=lambda m: m.seat)

    def names(self) -> dict[str, str]:
        """Display names of everyone who can take part: members and the two facilitators."""
        return {m.id: m.name for m in self.members} | {LEAD: self.lead, COFAC: self.cofac}


class Attendance(Doc):
    """Attendance as taken at set-up; arrivals and departures during the session are events."""

    present: bool = True  # False: absent
    late: bool = False  # expected late: in the room from their arrival
    arrived_at: Stamp | None = None  # when a late member came
    left_at: Stamp | None = None  # set: left early

    @property
    def status(self) -> str:
        if not self.present:
            return "absent"
        if self.left_at is not None:
            return "left early"
        if self.late or self.arrived_at is not None:
            return "late"
        return "present"


class Session(Doc):
    """One meeting of a group. Its start, pauses and end are events in its log."""

    id: Id = Field(default_factory=new_id)
    group_id: Id
    number: int = Field(ge=1)
    date: Day
    planned_minutes: int = Field(default=90, ge=5, le=600)
    theme: str = Field(default="", max_length=200)
    attendance: dict[Id, Attendance] = Field(default_factory=dict)
    seats: list[Id] = Field(default_factory=list)  # member ids in today's seat order
    created_at: Stamp


class MemberNote(Doc):
    """The lead therapist's note on one member for one session (DAP: data, assessment, plan).
    Other members appear in it by initials only."""

    id: str = Field(min_length=1)  # "<session id>:<member id>"
    session_id: Id
    member_id: Id
    format: NoteFormat = "DAP"  # its sections: `member_notes.SECTIONS`
    data: str = Field(default="", max_length=20_000)  # DAP's data, BIRP's behaviour
    assessment: str = Field(default="", max_length=20_000)  # DAP only
    intervention: str = Field(default="", max_length=20_000)  # BIRP only
    response: str = Field(default="", max_length=20_000)  # BIRP only
    plan: str = Field(default="", max_length=20_000)
    updated_at: Stamp

    @model_validator(mode="after")
    def _id_names_its_parts(self) -> MemberNote:
        if self.id != f"{self.session_id}:{self.member_id}":
            raise ValueError("a member note's id is '<session id>:<member id>'")
        return self


class SessionHeader(Doc):
    """What a session's own files say about it, enough to list and read it without the index:
    its set-up, and the group (name, facilitators, roster) as it was when the session began."""

    session: Session
    group: Group

    @model_validator(mode="after")
    def _one_roster(self) -> SessionHeader:
        if self.session.group_id != self.group.id:
            raise ValueError("the session belongs to another group than its roster's")
        roster = {m.id for m in self.group.members}
        if any(m not in roster for m in (*self.session.seats, *self.session.attendance)):
            raise ValueError("the session names a member who is not on its roster")
        return self

    def people(self) -> set[str]:
        """Everyone an event of this session may name: its roster and the two facilitators."""
        return {m.id for m in self.group.members} | set(FACILITATORS)


# --- the event log -------------------------------------------------------------------------

Author = Literal["cofac", "lead"]


class EventBase(Doc):
    id: Id = Field(default_factory=new_id)
    seq: int = Field(ge=0)  # position in the session's log, from 0
    at: Stamp  # wall clock, for the record
    mono: float = Field(allow_inf_nan=False)  # monotonic seconds, for durations in one epoch
    epoch: str = Field(min_length=1)  # one per run of the app: monotonic readings compare within it
    author: Author = "cofac"

    def people(self) -> list[str]:
        """Every member (or facilitator) this event names: each must be on its roster."""
        fields = _PEOPLE_FIELDS_OF.get(type(self)) or people_fields(type(self))
        named: list[str] = []
        values = self.__dict__
        for field in fields:
            value = values[field]
            if isinstance(value, str):
                named.append(value)
            elif isinstance(value, list):
                named.extend(value)
        return named


# The fields through which an event names people (a member id, LEAD or COFAC).
PEOPLE_FIELDS = ("speaker", "by", "of", "member", "about", "towards")
_PEOPLE_FIELDS_OF: dict[type, list[str]] = {}


def people_fields(cls: type[EventBase]) -> list[str]:
    """The fields of an event type that name people (a str, or a list of them)."""
    fields = _PEOPLE_FIELDS_OF.get(cls)
    if fields is None:  # once per event type: a missing attribute is slow to ask for
        fields = _PEOPLE_FIELDS_OF[cls] = [f for f in PEOPLE_FIELDS if f in cls.model_fields]
    return fields


class SessionStarted(EventBase):
    type: Literal["session_started"] = "session_started"


class Paused(EventBase):
    type: Literal["paused"] = "paused"


class Resumed(EventBase):
    type: Literal["resumed"] = "resumed"


class SessionEnded(EventBase):
    type: Literal["session_ended"] = "session_ended"


class ClockReading(BaseModel):
    """A moment that is not an event of its own: wall time, monotonic reading and its epoch,
    as events are stamped (when a note was begun; a run's last sign of life)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    at: Stamp
    mono: float = Field(allow_inf_nan=False)
    epoch: str = Field(min_length=1)

    def later_in_the_run_of(self, event: EventBase) -> bool:
        """Taken in the same run of the app as `event`, after it: the one rule for whether a
        sign of life extends a log that ends with `event` (an older run's, or one from before
        the event, says nothing about it)."""
        return self.epoch == event.epoch and self.mono > event.mono


class Reopened(EventBase):
    """The app opened a session that an earlier run left open (a quit or a crash).

    Between the earlier run's last sign of life (`alive`: the run wrote one every second; or
    its last event, if none was left) and this one lies a gap: the app was down, so that time
    counts neither as talk nor as silence. Up to the sign of life the session went on: a turn
    in progress counts until then."""

    type: Literal["reopened"] = "reopened"
    alive: ClockReading | None = None


class TurnStarted(EventBase):
    """`speaker` (a member id, LEAD or COFAC) starts speaking; any open turn ends."""

    type: Literal["turn_started"] = "turn_started"
    speaker: Id


class TurnEnded(EventBase):
    type: Literal["turn_ended"] = "turn_ended"
    speaker: Id


class Interruption(EventBase):
    """`by` cuts in on `of`: `by` now holds the floor."""

    type: Literal["interruption"] = "interruption"
    by: Id
    of: Id


Tags = list[Annotated[str, Field(min_length=1, max_length=TAG_MAX)]]


class Draft(Doc):
    """A note being written in the room, or parked with Escape: kept on disk as it is typed,
    so that leaving the screen, quitting or a crash never loses it. `about`: whom it was
    addressed to when begun; `begun`: when `o` or `f` was pressed, the moment it is about."""

    kind: Literal["observation", "flag"]
    text: str = Field(default="", max_length=TEXT_MAX)
    about: list[Id] = Field(default_factory=list)
    begun: ClockReading


class Observation(EventBase):
    """What the co-facilitator noticed. `begun`: when `o` was pressed (the moment it is about);
    the event itself is stamped when it was saved."""

    type: Literal["observation"] = "observation"
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    about: list[Id] = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    begun: ClockReading | None = None


class CodedEvent(EventBase):
    """A code from a coding scheme (one key in the room), about whom it was seen in."""

    type: Literal["coded"] = "coded"
    scheme: str = Field(min_length=1)
    code: str = Field(min_length=1)
    about: list[Id] = Field(default_factory=list)


class TechniqueUsed(EventBase):
    type: Literal["technique_used"] = "technique_used"
    card: str = Field(min_length=1)
    by: Author = "lead"
    towards: list[Id] = Field(default_factory=list)  # empty: the whole group


class Flag(EventBase):
    """A safety or risk concern. Always shown first, here and in review."""

    type: Literal["flag"] = "flag"
    text: str = Field(default="", max_length=TEXT_MAX)
    about: list[Id] = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    begun: ClockReading | None = None  # when `f` was pressed


class RoundStarted(EventBase):
    """A go-round: everyone present speaks in seat order (a check-in, a check-out)."""

    type: Literal["round_started"] = "round_started"
    kind: Literal["check-in", "check-out", "round"] = "round"
    budget_seconds: int | None = Field(default=None, ge=10, le=1800)  # per person, a cue only


class RoundEnded(EventBase):
    type: Literal["round_ended"] = "round_ended"


class Nudge(EventBase):
    """The deck suggested a card (`shown`), the co-facilitator waved it off (`dismissed`) or
    used it (`acted`): kept so the lead therapist can see what the deck offered and when."""

    type: Literal["nudge"] = "nudge"
    action: Literal["shown", "dismissed", "acted"]
    rule: str = Field(min_length=1, max_length=40)  # silent-member, dominant-member, closing, ...
    card: str = Field(min_length=1, max_length=40)
    about: list[Id] = Field(default_factory=list)
    reason: str = Field(default="", max_length=300)


class AttendanceChanged(EventBase):
    """Someone arrives late or leaves early during the session."""

    type: Literal["attendance"] = "attendance"
    member: Id
    change: Literal["arrived", "left"]


class Correction(EventBase):
    """Undoes or amends an earlier event; the earlier event stays in the log untouched.

    Undoing a correction restores what it corrected, so undo can be undone too.
    """

    type: Literal["correction"] = "correction"
    target: Id  # id of the corrected event
    action: Literal["undo", "amend"]
    text: str | None = Field(default=None, max_length=TEXT_MAX)
    about: list[Id] | None = None
    tags: list[str] | None = None

    @model_validator(mode="after")
    def _amends_something(self) -> Correction:
        amended = (self.text, self.about, self.tags)
        if self.action == "amend" and all(x is None for x in amended):
            raise ValueError("an amendment changes text, about or tags")
        if self.action == "undo" and any(x is not None for x in amended):
            raise ValueError("an undo carries no amended fields")
        return self


class ReviewNote(EventBase):
    """A note the lead therapist adds in review, about the session or one event. After the
    session is signed off, a note is an addendum: shown as such, never an edit, with why it
    was added (`reason`: a late entry, a correction, a clarification …)."""

    type: Literal["review_note"] = "review_note"
    author: Author = "lead"
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    target: Id | None = None
    addendum: bool = False
    reason: str = Field(default="", max_length=REASON_MAX)

    @property
    def kind(self) -> str:
        """What it is called wherever it is shown."""
        return "Addendum" if self.addendum else "Comment"


class Reviewed(EventBase):
    """The lead therapist has looked at this item."""

    type: Literal["reviewed"] = "reviewed"
    author: Author = "lead"
    target: Id


class SignedRecord(Doc):
    """What a session is read with, frozen at sign-off (`cofacil.record`): the group and its
    roster, the session's set-up and attendance, the labels of the cards and codes used, the
    quiet threshold of its report, and the member notes."""

    group: Group
    session: Session
    cards: dict[str, str] = Field(default_factory=dict)  # card id → name
    codes: dict[str, str] = Field(default_factory=dict)  # "scheme:code" → label
    quiet_seconds: float = Field(gt=0, allow_inf_nan=False)
    notes: list[MemberNote] = Field(default_factory=list)


class SignedOff(EventBase):
    """The lead therapist signs the session off: from here on the record is locked and only
    addenda may follow. `record` and `digest` (SHA-256 of the record and every event before
    this one) are kept from schema 3 on; an older sign-off has neither."""

    type: Literal["signed_off"] = "signed_off"
    author: Author = "lead"
    name: str = Field(min_length=1, max_length=NAME_MAX)  # who signed, as they sign
    record: SignedRecord | None = None
    digest: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


# The room's notes, as the review lists them and the reports show them: one row each.
ITEM_TYPES = (Observation, CodedEvent, Flag, TechniqueUsed)

EVENT_TYPES: tuple[type[EventBase], ...] = (
    SessionStarted,
    Paused,
    Resumed,
    SessionEnded,
    Reopened,
    TurnStarted,
    TurnEnded,
    Interruption,
    Observation,
    CodedEvent,
    TechniqueUsed,
    Flag,
    RoundStarted,
    RoundEnded,
    Nudge,
    AttendanceChanged,
    Correction,
    ReviewNote,
    Reviewed,
    SignedOff,
)
# The union of every event type, told apart by their `type` field.
Event = Annotated[reduce(operator.or_, EVENT_TYPES), Field(discriminator="type")]  # type: ignore[valid-type]
event_adapter: TypeAdapter[Event] = TypeAdapter(Event, config=ConfigDict(defer_build=True))


def parse_event(raw: dict[str, Any]) -> EventBase:
    return event_adapter.validate_python(raw)  # type: ignore[return-value]


def parse_event_json(raw: str | bytes) -> EventBase:
    return event_adapter.validate_json(raw)  # type: ignore[return-value]


@cache
def _event_list() -> SchemaValidator:
    # Made from the union's own schema: a second TypeAdapter would build it again (a start
    # pays for each: tens of milliseconds).
    event_adapter.rebuild()  # built when first needed (`defer_build`): now, then
    return SchemaValidator(core_schema.list_schema(event_adapter.core_schema))


def parse_events_json(raw: bytes) -> list[EventBase]:
    """A JSON array of events, validated in one call."""
    return _event_list().validate_json(raw)  # type: ignore[no-any-return]


def parse_events(raw: list[dict[str, Any]]) -> list[EventBase]:
    """A list of event documents, validated in one call (each as `parse_event` does)."""
    return _event_list().validate_python(raw)  # type: ignore[no-any-return]
