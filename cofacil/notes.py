"""Observation text typed in the room: `@name` mentions and `#tags`, recognised and completed.

A mention is `@` and a member's display name with spaces written as `_` (`@Sam_P`); a tag is
`#` and letters, digits, `-` or `_`. The text is stored exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cofacil.models import TAG_MAX, Member

MENTION = re.compile(r"(?<![\w@])@([^\s@#]+)")
TAG = re.compile(r"(?<![\w#])#([\w-]+)")


def mention_token(member: Member) -> str:
    return "@" + member.name.replace(" ", "_")


def mentioned(text: str, members: Iterable[Member]) -> list[str]:
    by_token = {mention_token(m)[1:].casefold(): m.id for m in members}
    found: list[str] = []
    for match in MENTION.finditer(text):
        token = match.group(1).casefold()
        # Initials end in a dot ("@A.K."); a sentence's full stop must not hide a name either.
        member = by_token.get(token) or by_token.get(token.rstrip(".,;:!?"))
        if member and member not in found:
            found.append(member)
    return found


def tags(text: str) -> list[str]:
    result: list[str] = []
    for match in TAG.finditer(text):
        tag = match.group(1)[:TAG_MAX].lower()
        if tag not in result:
            result.append(tag)
    return result


def complete(text: str, members: Iterable[Member], known_tags: Iterable[str]) -> str | None:
    """The text with its last word completed, if that word starts a mention or a known tag."""
    head, _, word = text.rpartition(" ")
    if len(word) < 2 or word[0] not in "@#":
        return None
    if word[0] == "@":
        options = [mention_token(m) for m in members]
    else:
        options = ["#" + t for t in known_tags]
    for option in options:
        if option.casefold().startswith(word.casefold()) and len(option) > len(word):
            return (head + " " if head else "") + option
    return None
