"""@mentions and #tags in what the co-facilitator types."""

from __future__ import annotations

from cofacil.models import Member
from cofacil.notes import complete, mentioned, tags

MEMBERS = [
    Member(id="ak", name="A.K.", seat=1, hotkey="1"),
    Member(id="sp", name="Sam P", seat=2, hotkey="2"),
    Member(id="bo", name="Bo", seat=3, hotkey="3"),
]


def test_mentions_with_initials_spaces_and_punctuation() -> None:
    assert mentioned("tearful @A.K. #grief", MEMBERS) == ["ak"]
    assert mentioned("looked at @Sam_P, then @bo.", MEMBERS) == ["sp", "bo"]
    assert mentioned("email@bo.com and @nobody", MEMBERS) == []


def test_tags_are_lower_case_and_unique() -> None:
    assert tags("#Grief and #grief, #self-harm") == ["grief", "self-harm"]
    assert tags("issue#3 is not a tag") == []


def test_completion_of_the_last_word() -> None:
    assert complete("with @Sa", MEMBERS, []) == "with @Sam_P"
    assert complete("#gr", MEMBERS, ["grief"]) == "#grief"
    assert complete("plain words", MEMBERS, ["grief"]) is None
