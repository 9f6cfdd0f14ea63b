"""The domain model refuses what it must and keeps what the user typed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from cofacil.models import (
    MAX_MEMBERS,
    NAME_MAX,
    ROSTER_MAX,
    SEAT_KEYS,
    Correction,
    Group,
    Member,
    Observation,
    Paused,
    Session,
    default_hotkey,
    parse_event,
)

NOW = datetime(2025, 3, 14, 18, 30, tzinfo=UTC)
EVENT = {"seq": 0, "at": NOW, "mono": 1.5, "epoch": "e1"}


def only_error(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, Any]:
    errors = excinfo.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


def members(*names: str) -> list[Member]:
    return [Member(name=n, seat=i, hotkey=default_hotkey(i)) for i, n in enumerate(names, 1)]


# --- strict validation -----------------------------------------------------------------------


def test_wrong_type_is_an_error_at_its_field() -> None:
    """A number given as a string is not coerced: the error names the field."""
    with pytest.raises(ValidationError) as excinfo:
        Paused(**{**EVENT, "seq": "0"})
    error = only_error(excinfo)
    assert error["loc"] == ("seq",)
    assert error["type"] == "int_type"


def test_wrong_type_in_a_stored_event_names_its_location() -> None:
    """Read through the event union, the location still leads to the field."""
    raw = {**EVENT, "at": NOW.isoformat(), "type": "observation", "text": "hi", "tags": [3]}
    with pytest.raises(ValidationError) as excinfo:
        parse_event(raw)
    assert only_error(excinfo)["loc"] == ("observation", "tags", 0)


def test_wrong_type_in_a_nested_document_names_its_location() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Group.model_validate(
            {
                "name": "G",
                "created_at": NOW.isoformat(),
                "members": [{"name": "Ann", "seat": "1", "hotkey": "1"}],
            }
        )
    assert only_error(excinfo)["loc"] == ("members", 0, "seat")


def test_unknown_field_is_an_error() -> None:
    """A field the model does not know (a typo, a newer app) is refused, not dropped."""
    with pytest.raises(ValidationError) as excinfo:
        Paused(**EVENT, speaker="x")
    error = only_error(excinfo)
    assert error["loc"] == ("speaker",)
    assert error["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (Paused, EVENT, "at"),
        (Group, {"name": "G"}, "created_at"),
        (Session, {"group_id": "g", "number": 1, "date": "2025-03-14"}, "created_at"),
    ],
)
def test_naive_datetime_is_refused(model: Any, fields: dict[str, Any], field: str) -> None:
    """A time without a timezone is ambiguous in the record: refused, naming the field."""
    with pytest.raises(ValidationError) as excinfo:
        model.model_validate({**fields, field: datetime(2025, 3, 14, 18, 30)})
    error = only_error(excinfo)
    assert error["loc"] == (field,)
    assert error["type"] == "timezone_aware"


def test_documents_are_immutable() -> None:
    event = Paused(**EVENT)
    with pytest.raises(ValidationError):
        event.seq = 3  # type: ignore[misc]


# --- display names -----------------------------------------------------------------------------

BAD_NAMES = {
    "empty": "",
    "whitespace": " \t ",
    "too long": "x" * (NAME_MAX + 1),
    "bell": "Ann\x07",
    "escape sequence": "\x1b[31mAnn",
    "newline": "Ann\nBo",
    "tab": "Ann\tBo",
    "NUL": "A\x00",
    "DEL": "Ann\x7f",
    "C1 control": "Ann\x9b",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_bad_member_name_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Member(name=name, seat=1, hotkey="1")
    assert only_error(excinfo)["loc"] == ("name",)


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
@pytest.mark.parametrize("field", ["name", "lead", "cofac"])
def test_bad_group_and_facilitator_names_are_refused(field: str, name: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Group.model_validate({"name": "G", "created_at": NOW, field: name})
    assert only_error(excinfo)["loc"] == (field,)


@pytest.mark.parametrize(
    "name", ["[bold]Ann[/]", "[red]x", "[/]", "[link=https://x]y[/link]", "Zoë 🌱", "李"]
)
def test_markup_and_unicode_names_are_kept_verbatim(name: str) -> None:
    """Square brackets are text, not markup: a name is stored exactly as typed."""
    assert Member(name=name, seat=1, hotkey="1").name == name
    assert Group(name=name, lead=name, cofac=name, created_at=NOW).lead == name


def test_names_are_trimmed_and_may_be_exactly_the_limit() -> None:
    assert Member(name="  Ann ", seat=1, hotkey="1").name == "Ann"
    assert Member(name="x" * NAME_MAX, seat=1, hotkey="1").name == "x" * NAME_MAX


# --- groups ------------------------------------------------------------------------------------


def test_duplicate_display_names_are_refused_ignoring_case() -> None:
    with pytest.raises(ValidationError, match="share a display name"):
        Group(name="G", members=members("Ann", "aNN"), created_at=NOW)


def test_duplicate_hotkeys_are_refused() -> None:
    ann, bo = members("Ann", "Bo")
    with pytest.raises(ValidationError, match="share a hotkey"):
        Group(name="G", members=[ann, bo.model_copy(update={"hotkey": ann.hotkey})], created_at=NOW)


def test_duplicate_seats_are_refused() -> None:
    ann, bo = members("Ann", "Bo")
    with pytest.raises(ValidationError, match="share a seat"):
        Group(name="G", members=[ann, bo.model_copy(update={"seat": ann.seat})], created_at=NOW)


def test_duplicate_member_ids_are_refused() -> None:
    ann, bo = members("Ann", "Bo")
    with pytest.raises(ValidationError, match="share a member id"):
        Group(name="G", members=[ann, bo.model_copy(update={"id": ann.id})], created_at=NOW)


def test_a_full_group_has_a_key_per_seat_and_one_more_member_is_refused() -> None:
    full = members(*(f"M{i}" for i in range(1, MAX_MEMBERS + 1)))
    group = Group(name="G", members=full, created_at=NOW)
    assert sorted(m.hotkey for m in group.members) == sorted(SEAT_KEYS)
    extra = Member(name="One too many", seat=MAX_MEMBERS + 1, hotkey="~")
    with pytest.raises(ValidationError, match=f"at most {MAX_MEMBERS} members"):
        Group(name="G", members=[*full, extra], created_at=NOW)
    # Someone who has left stays on the roster without a key, beside a full group.
    left = Member(name="Gone", seat=MAX_MEMBERS + 1, active=False)
    assert len(Group(name="G", members=[*full, left], created_at=NOW).members) == MAX_MEMBERS + 1


def test_hotkeys_belong_to_members_in_the_group_only() -> None:
    with pytest.raises(ValidationError, match="needs a hotkey"):
        Group(name="G", members=[Member(name="Ann", seat=1)], created_at=NOW)
    with pytest.raises(ValidationError, match="keeps no hotkey"):
        Group(
            name="G", members=[Member(name="Ann", seat=1, hotkey="1", active=False)], created_at=NOW
        )


def test_seat_beyond_the_roster_is_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Member(name="Ann", seat=ROSTER_MAX + 1, hotkey="x")
    assert only_error(excinfo)["loc"] == ("seat",)


# --- corrections -------------------------------------------------------------------------------


def test_undo_carries_no_amended_fields() -> None:
    Correction(**EVENT, target="e", action="undo")
    for amended in ({"text": "x"}, {"about": []}, {"tags": ["t"]}):
        with pytest.raises(ValidationError, match="undo carries no amended fields"):
            Correction(**EVENT, target="e", action="undo", **amended)


def test_amend_must_change_something() -> None:
    with pytest.raises(ValidationError, match="amendment changes text, about or tags"):
        Correction(**EVENT, target="e", action="amend")
    for amended in ({"text": ""}, {"about": []}, {"tags": ["t"]}):
        assert Correction(**EVENT, target="e", action="amend", **amended).action == "amend"


def test_correction_names_its_target_and_action() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Correction(**EVENT, target="", action="undo")
    assert only_error(excinfo)["loc"] == ("target",)
    with pytest.raises(ValidationError) as excinfo:
        Correction(**EVENT, target="e", action="delete")  # type: ignore[arg-type]
    assert only_error(excinfo)["loc"] == ("action",)


def test_observation_needs_text() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Observation(**EVENT, text="")
    assert only_error(excinfo)["loc"] == ("text",)
