"""Create or edit a group: name, kind, the two facilitators, codes, member notes' format."""

from __future__ import annotations

from cofacil import roster
from cofacil.library import load_library
from cofacil.models import GROUP_KIND_LABELS, Group
from cofacil.storage import Store
from cofacil.widgets.form import Field, FormScreen

NOTE_FORMATS = (
    ("DAP: data, assessment, plan", "DAP"),
    ("BIRP: behaviour, intervention, response, plan", "BIRP"),
)


def group_form(store: Store, group: Group | None) -> FormScreen[Group]:
    kinds = tuple((label, kind) for kind, label in GROUP_KIND_LABELS.items())
    schemes = tuple((s.name, s.id) for s in load_library(store).schemes.values())
    fields = [
        Field(
            "name",
            "Group name",
            group.name if group else "",
            "e.g. Thursday support group",
            0,
        ),
        Field("kind", "Kind of group", group.kind if group else "discussion", choices=kinds),
        Field(
            "lead",
            "Lead therapist",
            group.lead if group else "Lead",
            "as named in the room",
            0,
        ),
        Field(
            "cofac",
            "Co-facilitator",
            group.cofac if group else "Co-facilitator",
            "as named in the room",
            0,
        ),
        Field(
            "coding_scheme",
            "One-key codes in the room",
            group.coding_scheme if group else "quick",
            choices=schemes,
        ),
        Field(
            "note_format",
            "Member notes",
            group.note_format if group else "DAP",
            choices=NOTE_FORMATS,
        ),
    ]

    def apply(values: dict[str, str]) -> Group:
        if group is None:
            return roster.create_group(store, **values)
        return roster.update_group(store, store.group(group.id), **values)

    title = "New group" if group is None else "Edit group"
    return FormScreen(title, fields, apply, "Create" if group is None else "Save")
