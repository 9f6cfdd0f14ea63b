"""Schema versions: every stored document carries `v`; older ones are migrated on read, newer
ones refused. `validate` is the one way a stored document becomes a model."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cofacil.models import (
    ID_PATTERN,
    SCHEMA_VERSION,
    EventBase,
    event_adapter,
    ill_formed_ids,
    people_fields,
    well_formed_id,
)
from cofacil.storage.errors import DamagedFile, NewerSchema

M = TypeVar("M", bound=BaseModel)


def _versioned(doc: dict[str, Any], version: int) -> dict[str, Any]:
    """`doc` marked as `version`, with the members and attendance records it holds."""
    doc = {**doc, "v": version}
    if isinstance(doc.get("members"), list):
        doc["members"] = [{**m, "v": version} if isinstance(m, dict) else m for m in doc["members"]]
    if isinstance(doc.get("attendance"), dict):
        doc["attendance"] = {
            k: {**a, "v": version} if isinstance(a, dict) else a
            for k, a in doc["attendance"].items()
        }
    return doc


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Documents from before versioning had no `v`; their members neither."""
    return _versioned(doc, 1)


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 only added fields with defaults (a note's `begun`, a flag's `tags`, a gap's
    `alive`), so a version-1 document reads as it is. The number is there so that a cofacil
    that reads only version 1 says "update cofacil" instead of taking new notes for damage."""
    return _versioned(doc, 2)


def _v2_to_v3(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 3 added fields with defaults too (a sign-off's record and digest, an
    addendum's reason)."""
    return _versioned(doc, 3)


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _v0_to_v1,
    1: _v1_to_v2,
    2: _v2_to_v3,
}


def newer_schema_message(where: str, version: int) -> str:
    return (
        f"{where} was written by a newer cofacil (schema {version}; this one reads up to "
        f"{SCHEMA_VERSION}): update cofacil to open it"
    )


def migrate(doc: dict[str, Any], where: str) -> dict[str, Any]:
    version = doc.get("v", 0)
    if type(version) is not int:  # not `true` either (a bool is an int to isinstance)
        raise DamagedFile(f"{where}: field 'v': schema version is not a number")
    if version > SCHEMA_VERSION:
        raise NewerSchema(newer_schema_message(where, version))
    if version < SCHEMA_VERSION and version not in MIGRATIONS:
        raise DamagedFile(f"{where}: field 'v': unknown schema version {version}")
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["v"]
    return doc


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "document"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"field '{location}': {first['msg']}{more}"


def checked_ids(doc: M, where: str) -> M:
    """`doc`, if every id in it is well formed (ids become file names: never a path)."""
    if bad := ill_formed_ids(doc):
        raise DamagedFile(f"{where}: {bad[0]} is not a well-formed id")
    return doc


def validate(model: type[M], doc: dict[str, Any], where: str) -> M:
    try:
        return checked_ids(model.model_validate(migrate(dict(doc), where)), where)
    except ValidationError as error:
        raise DamagedFile(f"{where}: {describe(error)}") from None


def event_problem(event: EventBase, people: set[str] | None) -> str | None:
    """Why a stored event cannot be taken, or None: an id that is not well formed, or (given
    the session's roster and the facilitators) someone it names who is not on it. One pass:
    a session's log holds thousands of events and is read on every review."""
    named = event.people()
    if people is not None and not people.issuperset(named):
        return "it names someone who is not on the session's roster"
    target = event.__dict__.get("target")
    # Names on the roster were checked when the roster was read: only the rest here.
    for value in (event.id, *(named if people is None else ()), *([target] if target else ())):
        if not well_formed_id(value):
            return f"{value!r} is not a well-formed id"
    return _record_problem(event)


def _record_problem(event: EventBase) -> str | None:
    """A sign-off's frozen record holds a group, a session and notes: their ids too."""
    record = event.__dict__.get("record")
    if record is not None and (bad := ill_formed_ids(record)):
        return f"{bad[0]} is not a well-formed id"
    return None


_ID_BODY = ID_PATTERN.removeprefix("^").removesuffix("$")
_ID_LINES = re.compile(rf"(?:{_ID_BODY}\n)*{_ID_BODY}")  # well-formed ids, one per line


@cache
def _people_fields_by_shape(
    kind: type[EventBase],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """An event type's people fields: those that always hold one id (`str`), those that always
    hold a list of them, and the rest (optional, or a literal), asked value by value as
    `EventBase.people` does. A validated event's fields hold what their types say."""
    texts, lists, others = [], [], []
    for name in people_fields(kind):
        annotation = kind.model_fields[name].annotation
        if annotation is str:
            texts.append(name)
        elif typing.get_origin(annotation) is list:
            lists.append(name)
        else:
            others.append(name)
    return tuple(texts), tuple(lists), tuple(others)


def sound_log(events: Sequence[EventBase], people: set[str] | None) -> bool:
    """True when no event of a whole log has an `event_problem`: the same rules, checked for
    all events at once (one set test, one match over every id), which is what reading a
    long session pays for. False means at least one has: ask `event_problem` which."""
    # The events by type: each field that names people (or a target) fetched once per type.
    by_type: dict[type[EventBase], list[dict[str, Any]]] = {}
    for event in events:
        values = event.__dict__
        try:
            by_type[type(event)].append(values)
        except KeyError:
            by_type[type(event)] = [values]
    ids = [event.id for event in events]
    named: list[str] = []
    for kind, docs in by_type.items():
        texts, lists, others = _people_fields_by_shape(kind)
        for name in texts:
            named += [doc[name] for doc in docs]
        for name in lists:
            named += chain.from_iterable([doc[name] for doc in docs])
        for name in others:
            values = [doc[name] for doc in docs]
            named += [value for value in values if isinstance(value, str)]
            named += chain.from_iterable(value for value in values if isinstance(value, list))
        if "target" in kind.model_fields:
            ids += [target for doc in docs if (target := doc.get("target"))]
    if people is None:
        ids += named
    elif not people.issuperset(named):
        return False
    if any(_record_problem(e) for e in events if e.type == "signed_off"):  # type: ignore[attr-defined]
        return False
    if not ids:
        return True
    lines = "\n".join(ids)  # an id holding a line break would pass as two: counted below
    return lines.count("\n") == len(ids) - 1 and _ID_LINES.fullmatch(lines) is not None


def validate_event(doc: dict[str, Any], where: str, people: set[str] | None = None) -> EventBase:
    try:
        event: EventBase = event_adapter.validate_python(migrate(dict(doc), where))  # type: ignore[assignment]
    except ValidationError as error:
        raise DamagedFile(f"{where}: {describe(error)}") from None
    if problem := event_problem(event, people):
        raise DamagedFile(f"{where}: {problem}")
    return event
