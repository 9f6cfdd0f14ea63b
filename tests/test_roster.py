"""Roster rules without a screen: names, seats and keys, members who leave, session set-up."""

from __future__ import annotations

import pytest

from cofacil.models import MAX_MEMBERS, SEAT_KEYS
from cofacil.roster import (
    RosterError,
    add_member,
    create_group,
    edit_member,
    move_member,
    parse_minutes,
    plan_session,
    set_left,
    start_session,
    update_group,
)
from cofacil.storage import Store


def names(group) -> list[str]:
    return [m.name for m in group.seated()]


@pytest.fixture
def group(store: Store):
    g = create_group(store, "Tuesday", "support", "Dr. R", "Sam")
    for name in ("A.K.", "Robin", "J"):
        g = add_member(store, g, name)
    return g


def test_members_get_keys_by_seat(store: Store, group) -> None:
    assert [(m.seat, m.hotkey, m.name) for m in group.seated()] == [
        (1, "1", "A.K."),
        (2, "2", "Robin"),
        (3, "3", "J"),
    ]
    assert store.group(group.id) == group


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Display name is empty"),
        ("   ", "Display name is empty"),
        ("x" * 41, "longer than 40"),
        ("A\x1bB", "control characters"),
        ("robin", "already called"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_saved(
    store: Store, group, name: str, message: str
) -> None:
    with pytest.raises(RosterError, match=message) as caught:
        add_member(store, group, name)
    assert caught.value.field == "name"
    assert store.group(group.id) == group


def test_markup_is_kept_verbatim(store: Store, group) -> None:
    group = add_member(store, group, "[bold]Ann[/]", pronouns="[i]she[/i]")
    assert names(store.group(group.id))[-1] == "[bold]Ann[/]"


def test_twenty_members_and_no_more(store: Store) -> None:
    g = create_group(store, "Big")
    for i in range(MAX_MEMBERS):
        g = add_member(store, g, f"M{i}")
    assert [m.hotkey for m in g.seated()] == list(SEAT_KEYS)
    with pytest.raises(RosterError, match="at most 20"):
        add_member(store, g, "One more")
    # Someone leaving frees a seat for a newcomer; they stay on the roster without a key.
    g = set_left(store, g, g.seated()[0].id, left=True)
    g = add_member(store, g, "Newcomer")
    assert len(g.members) == MAX_MEMBERS + 1
    assert g.seated()[-1].name == "M0" and g.seated()[-1].hotkey == ""
    with pytest.raises(RosterError, match="at most 20"):
        set_left(store, g, g.seated()[-1].id, left=False)


def test_reorder_moves_keys_with_seats(store: Store, group) -> None:
    j = group.seated()[2]
    group = move_member(store, group, j.id, -2)
    assert names(group) == ["J", "A.K.", "Robin"]
    assert group.member(j.id).hotkey == "1"
    group = move_member(store, group, j.id, 10)  # clamped at the last seat
    assert names(group) == ["A.K.", "Robin", "J"]


def test_leaving_and_coming_back(store: Store, group) -> None:
    robin = group.seated()[1]
    group = set_left(store, group, robin.id, left=True)
    assert names(group) == ["A.K.", "J", "Robin"]
    assert [m.hotkey for m in group.seated()] == ["1", "2", ""]
    group = set_left(store, group, robin.id, left=False)
    assert group.member(robin.id).active and group.member(robin.id).hotkey == "3"


def test_edit_member_and_group(store: Store, group) -> None:
    first = group.seated()[0]
    group = edit_member(store, group, first.id, "A.K", pronouns="they/them", note="new")
    assert group.member(first.id).pronouns == "they/them"
    with pytest.raises(RosterError) as caught:
        update_group(store, group, name="T", kind="support", lead=" ", cofac="Sam")
    assert caught.value.field == "lead"
    assert store.group(group.id).lead == "Dr. R"


def test_plan_and_start_a_session(store: Store, group) -> None:
    plan = plan_session(store, group)
    assert (plan.number, plan.planned_minutes, plan.day) == (1, 90, store.clock.now().date())
    assert set(plan.attendance.values()) == {"present"}
    ak, robin, j = plan.seats
    plan.attendance[robin] = "late"
    plan.attendance[j] = "absent"
    plan.seats = [j, ak, robin]
    session = start_session(store, group, plan)
    assert store.session(session.id) == session
    assert session.attendance[robin].status == "late"
    assert session.attendance[j].status == "absent"
    assert session.seats == [j, ak, robin]
    assert plan_session(store, group).number == 2


@pytest.mark.parametrize("text", ["", "abc", "4", "601", "-90"])
def test_planned_length_is_checked(text: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_minutes(text)
    assert caught.value.field == "planned"


@pytest.mark.parametrize("bad", ["Ann\u202eX", "Bo\u2066b", "Cé\x9b31m"])
def test_direction_and_c1_controls_are_refused_where_typed(store: Store, bad: str) -> None:
    from cofacil import roster

    with pytest.raises(roster.RosterError, match="control"):
        roster._name(bad, "name", "display name")
    with pytest.raises(roster.RosterError, match="control"):
        roster._short(bad, "theme", 80, "theme")


def test_other_names_are_kept_one_by_one(store: Store, group) -> None:
    changed = add_member(store, group, "Maya", also_called=" Mimi, Oka ,,")
    maya = next(m for m in changed.members if m.name == "Maya")
    assert maya.also_called == ["Mimi", "Oka"]
    with pytest.raises(RosterError) as refused:
        add_member(store, changed, "Ines", also_called="a,b,c,d,e,f")
    assert refused.value.field == "also_called"
