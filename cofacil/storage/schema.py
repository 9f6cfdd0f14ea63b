"""Schema versions: every stored document carries `v`; older ones are migrated on read, newer
ones refused. `validate` is the one way a stored document becomes a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cofacil.models import SCHEMA_VERSION, EventBase, event_adapter, ill_formed_ids
from cofacil.storage.errors import DamagedFile, NewerSchema

M = TypeVar("M", bound=BaseModel)


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Documents from before versioning had no `v`; their members neither."""
    doc = {**doc, "v": 1}
    if isinstance(doc.get("members"), list):
        doc["members"] = [{**m, "v": 1} if isinstance(m, dict) else m for m in doc["members"]]
    if isinstance(doc.get("attendance"), dict):
        doc["attendance"] = {
            k: {**a, "v": 1} if isinstance(a, dict) else a for k, a in doc["attendance"].items()
        }
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


def newer_schema_message(where: str, version: int) -> str:
    return (
        f"{where} was written by a newer cofacil (schema {version}; this one reads up to "
        f"{SCHEMA_VERSION}): update cofacil to open it"
    )


def migrate(doc: dict[str, Any], where: str) -> dict[str, Any]:
    version = doc.get("v", 0)
    if not isinstance(version, int):
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


def validate_event(doc: dict[str, Any], where: str) -> EventBase:
    try:
        event = event_adapter.validate_python(migrate(dict(doc), where))
    except ValidationError as error:
        raise DamagedFile(f"{where}: {describe(error)}") from None
    return checked_ids(event, where)  # type: ignore[return-value]
