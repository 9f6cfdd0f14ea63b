"""Coding schemes: one-key codes recorded about a member, shipped in data/coding_schemes.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Signal = Literal["strong-emotion", "conflict"]


class Code(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1, max_length=1, pattern=r"^[^0-9\s]$")
    id: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=80)
    # A reminder for the room ("record a flag too"): shown when coding, never in the record.
    hint: str = Field(default="", max_length=80)
    area: str = ""  # a heading, e.g. Bales' four areas
    signals: list[Signal] = Field(default_factory=list)  # what the live nudges listen for


class Scheme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    codes: list[Code] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Scheme:
        keys = [c.key for c in self.codes]
        if len(keys) != len(set(keys)):
            raise ValueError(f"scheme {self.id}: two codes share a key")
        return self

    def by_key(self, key: str) -> Code | None:
        return next((c for c in self.codes if c.key == key), None)

    def label(self, code_id: str) -> str:
        return next((c.label for c in self.codes if c.id == code_id), code_id)

    def signals(self, code_id: str) -> list[str]:
        return next((list(c.signals) for c in self.codes if c.id == code_id), [])


class SchemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schemes: list[Scheme]


@cache
def shipped_schemes() -> dict[str, Scheme]:
    text = resources.files("cofacil.data").joinpath("coding_schemes.toml").read_text("utf-8")
    return {s.id: s for s in SchemeFile.model_validate(tomllib.loads(text)).schemes}


def scheme_for(scheme_id: str) -> Scheme:
    schemes = shipped_schemes()
    return schemes.get(scheme_id) or schemes["quick"]
