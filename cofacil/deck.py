"""The technique prompt deck: cards shipped in data/deck.toml, validated on load.

A card says what a technique is for, when it fits, and a few things a facilitator could say;
`{name}` in a phrasing stands for the member it is about.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cofacil.models import GroupKind

Objective = Literal[
    "resolving-conflicts",
    "relieving-stress",
    "fears-anxiety",
    "correcting-behaviour",
    "adaptive-skills",
    "interpersonal-interaction",
]
OBJECTIVE_LABELS: dict[str, str] = {
    "resolving-conflicts": "resolving internal conflicts",
    "relieving-stress": "relieving emotional and mental stress",
    "fears-anxiety": "getting rid of fears and anxiety",
    "correcting-behaviour": "correcting maladaptive behaviour",
    "adaptive-skills": "developing emotional response and adaptive behaviour skills",
    "interpersonal-interaction": "establishing effective interpersonal interaction",
}


class TechniqueCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    name: str = Field(min_length=1, max_length=60)
    purpose: str = Field(min_length=1, max_length=200)
    when: str = Field(min_length=1, max_length=300)
    phrasings: list[str] = Field(min_length=3)
    objectives: list[Objective] = Field(min_length=1)
    kinds: list[GroupKind] = Field(min_length=1)

    def others(self, shown: str, name: str | None) -> list[str]:
        """The card's other phrasings that fit (named only when there is a name)."""
        fitting = [p for p in self.phrasings if name or "{name}" not in p]
        return [
            p.replace("{name}", name or "")
            for p in fitting
            if p.replace("{name}", name or "") != shown
        ]

    def phrasing(self, name: str | None, prefer: int | None = None) -> str:
        """The phrasing to show: `prefer` if it fits (it names someone only when there is a
        name), else the first one naming `name`, or with nobody to name one to the group."""
        if prefer is not None:
            text = self.phrasings[prefer % len(self.phrasings)]
            if name or "{name}" not in text:
                return text.replace("{name}", name or "")
        named = [p for p in self.phrasings if "{name}" in p]
        unnamed = [p for p in self.phrasings if "{name}" not in p]
        if name and named:
            return named[0].replace("{name}", name)
        return (unnamed or self.phrasings)[0].replace("{name}", name or "everyone")


class Deck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cards: list[TechniqueCard] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Deck:
        ids = [c.id for c in self.cards]
        if len(ids) != len(set(ids)):
            raise ValueError("two cards share an id")
        return self

    def card(self, card_id: str) -> TechniqueCard | None:
        return next((c for c in self.cards if c.id == card_id), None)

    def index(self, card_id: str) -> int:
        return next((i for i, c in enumerate(self.cards) if c.id == card_id), 0)

    def find(self, text: str) -> list[TechniqueCard]:
        """Cards whose name contains `text` (any case), names starting with it first."""
        needle = text.strip().casefold()
        if not needle:
            return []
        hits = [c for c in self.cards if needle in c.name.casefold() or needle in c.id]
        return sorted(hits, key=lambda c: not c.name.casefold().startswith(needle))

    def for_kind(self, kind: str) -> list[TechniqueCard]:
        return [c for c in self.cards if kind in c.kinds] or list(self.cards)


def load_deck(text: str) -> Deck:
    return Deck.model_validate(tomllib.loads(text))


@cache
def shipped_deck() -> Deck:
    return load_deck(resources.files("cofacil.data").joinpath("deck.toml").read_text("utf-8"))
