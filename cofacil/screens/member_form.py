"""Add or edit a member: display name, pronouns, other names, a short facilitator note."""

from __future__ import annotations

from cofacil import roster
from cofacil.models import Group, Member
from cofacil.storage import Store
from cofacil.widgets.form import Field, FormScreen

NAME_HINT = "Initials or a pseudonym are enough: notes and reports then name nobody outright."


def member_form(store: Store, group: Group, member: Member | None) -> FormScreen[Group]:
    fields = [
        Field(
            "name",
            "Display name",
            member.name if member else "",
            "e.g. A.K. or Robin",
            0,
            hint=NAME_HINT,
        ),
        Field(
            "pronouns",
            "Pronouns (optional)",
            member.pronouns if member else "",
            "e.g. she/her",
            roster.PRONOUNS_MAX,
        ),
        Field(
            "also_called",
            "Also called (optional)",
            ", ".join(member.also_called) if member else "",
            "other names in the room, comma between: redacted too",
            roster.NAME_MAX * roster.ALSO_CALLED_MAX,
        ),
        Field(
            "note",
            "Facilitator note (optional)",
            member.note if member else "",
            "a reminder for the room, not clinical notes",
            roster.NOTE_MAX,
        ),
    ]

    def apply(values: dict[str, str]) -> Group:
        current = store.group(group.id)
        if member is None:
            return roster.add_member(store, current, **values)
        return roster.edit_member(store, current, member.id, **values)

    title = "Add a member" if member is None else "Edit member"
    return FormScreen(title, fields, apply, "Add" if member is None else "Save")
