"""Redaction for supervision or research: no names, no private notes, no database ids.

Every member gets a stable pseudonym (the same in every export of the group: it is derived
from the member's id), the facilitators become their roles, the group its kind and a code.
Names and @mentions inside free text are replaced too. Observations tagged #private are
dropped, with every comment, mark or correction that points at one, and so are the roster's
facilitator notes. Ids (members, group, session, events, runs of the app) become stable
pseudonymous ids, so an export never links back to the clinic's database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cofacil.models import (
    GROUP_KIND_LABELS,
    TAG_MAX,
    Correction,
    EventBase,
    Flag,
    Group,
    MemberNote,
    Nudge,
    Observation,
    Reviewed,
    ReviewNote,
    Session,
    SignedOff,
)
from cofacil.record import Labels

PRIVATE_TAG = "private"
WORD = re.compile(r"[^\W\d_]{2,}")
# Words of a name that name nobody: "Dr" of "Dr. Rivera" must not turn "Dr. Lee" into
# "Lead therapist. Lee".
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "sr", "jr"})

# Fields of the event log that name members by id.
MEMBER_FIELDS = ("speaker", "by", "of", "about", "towards", "member")
# Fields that hold free text, where names are replaced.
TEXT_FIELDS = {Observation: "text", Flag: "text", ReviewNote: "text", Nudge: "reason"}
# Every text part of a member note, in any format.
NOTE_TEXT_FIELDS = ("data", "assessment", "intervention", "response", "plan")
# Events that point at another event: they go with a dropped one.
POINTERS = (ReviewNote, Reviewed, Correction)


def _digest(*parts: str, key: bytes = b"") -> str:
    """Keyed (HMAC-SHA256) with the data folder's redaction key: a pseudonym cannot be worked
    out from a plain export by anyone who lacks the key. Unkeyed only where no folder is
    involved (a test's fixed data)."""
    joined = ":".join(parts).encode()
    if key:
        return hmac.new(key, joined, hashlib.sha256).hexdigest()
    return hashlib.sha256(joined).hexdigest()


def pseudonym(group_id: str, member_id: str, length: int = 4, key: bytes = b"") -> str:
    return f"Member {_digest(group_id, member_id, key=key)[:length].upper()}"


def pseudonyms(group: Group, key: bytes = b"") -> dict[str, str]:
    """Every member's pseudonym, each different: short where that suffices, longer for the
    (rare) members whose short ones coincide, so two people are never merged into one. Ties
    go by id, never by seat, so a new seating never swaps two people's pseudonyms."""
    aliases: dict[str, str] = {}
    for member_id in sorted(m.id for m in group.members):
        length = 4
        while (alias := pseudonym(group.id, member_id, length, key)) in aliases.values():
            length += 2
        aliases[member_id] = alias
    return aliases


# Names that are also ordinary words: written in lower case they are the word ("kit kat",
# "will you"), and stay; capitalised, or as a mention, they are the name.
ORDINARY_WORDS = frozenset(
    [
        "kit",
        "will",
        "rose",
        "mark",
        "bill",
        "grace",
        "hope",
        "joy",
        "faith",
        "may",
        "june",
        "april",
        "august",
        "frank",
        "pat",
        "sue",
        "rich",
        "art",
        "dawn",
        "summer",
        "sky",
        "ray",
        "sandy",
        "amber",
        "ruby",
        "jack",
        "drew",
        "sage",
        "river",
        "storm",
        "page",
        "holly",
        "ivy",
        "iris",
        "lily",
        "daisy",
        "violet",
        "heather",
        "hazel",
        "olive",
        "penny",
        "crystal",
        "robin",
        "jay",
        "wren",
        "gene",
        "guy",
        "norm",
        "sunny",
        "honey",
        "hunter",
        "mason",
        "carter",
        "taylor",
        "bishop",
        "earl",
        "duke",
        "king",
        "chance",
        "chase",
        "dean",
        "miles",
        "rocky",
        "rusty",
        "lane",
        "reed",
        "brook",
        "cliff",
        "glen",
        "forest",
    ]
)
_LETTERS = re.compile(r"[^\W\d_]+")


def fold(text: str) -> tuple[str, list[int]]:
    """`text` with accents off and case folded (NFKD, combining marks dropped, casefold) and
    invisible format characters left out, and for each folded character the index of the
    character of `text` it came from: names match however they are typed ("Zoe" for Zoë,
    "INES" for Inès)."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            continue  # unseen inside a name ("Ma\u00adya", a zero-width space): not a break
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                out.append(folded)
                where.append(i)
    return "".join(out), where


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    alias: str
    word: str = ""  # a single word of a name: kept where typed in lower case, if ordinary
    # Initials: "written" when the name itself is initials ("J.R."), else "derived" ("AN" of
    # Anna Nowak), which must be typed as initials (capitals or dots), never a word.
    initials: str = ""


def _not_initials(typed: str, kind: str) -> bool:
    """A match of an initials rule that is a word instead: "an", "is", "Mr." (a title)."""
    if kind != "derived":
        return False
    typed = typed.lstrip("@")
    dotted = len(typed) > 1 and typed[1] == "."  # "M.R.", "J. R."
    return not dotted and not typed.replace(" ", "").isupper()  # "an", "Is", "Mr."


def _initials_pattern(letters: list[str]) -> str:
    """ "J.R.", "J. R.", "JR", "jr" for J and R (on the folded text)."""
    return r"\.?\s?".join(re.escape(ch) for ch in letters) + r"\.?"


# Where a name starts and ends: at anything but a letter. A digit or an underscore ends it
# too ("maya2", "#maya_followup" name Maya).
_START = r"(?<![^\W\d_])"
_END = r"(?![^\W\d_])"


def _rules(people: list[tuple[str, str]]) -> list[_Rule]:
    """What to find for each person (name, alias): the whole name, each word of it (a word
    two people share becomes "a member"), their initials in any spelling, and a title with
    the initial of the surname ("Dr. R.")."""
    rules: list[_Rule] = []
    words: dict[str, str] = {}
    for name, alias in people:
        folded = fold(name)[0].strip()
        if folded:
            single = folded if _LETTERS.fullmatch(folded) else ""  # "Kit": an ordinary word too
            rules.append(_Rule(re.compile(rf"{_START}@?{re.escape(folded)}{_END}"), alias, single))
            underscored = folded.replace(" ", "_")
            if underscored != folded:  # the @mention form
                rules.append(_Rule(re.compile(rf"{_START}@?{re.escape(underscored)}{_END}"), alias))
        parts = _LETTERS.findall(folded)
        plain = [w for w in parts if w not in TITLES]
        for word in plain:
            if len(word) >= 2:
                words[word] = alias if words.get(word, alias) == alias else "a member"
        if len(plain) >= 2:  # "Sam P." for Sam Park; initials, of two letters at least
            first_and_initial = rf"{re.escape(plain[0])}\s+{re.escape(plain[-1][0])}\.?"
            rules.append(_Rule(re.compile(rf"{_START}{first_and_initial}{_END}"), alias))
            letters = [w[0] for w in plain]
            kind = "written" if all(len(w) == 1 for w in plain) else "derived"
            initials = re.compile(rf"(?<!\.){_START}@?{_initials_pattern(letters)}{_END}")
            rules.append(_Rule(initials, alias, initials=kind))
        titles = [w for w in parts if w in TITLES]
        if titles and plain:  # "Dr. R." for Dr. Rivera
            short = rf"{re.escape(titles[0])}\.?\s?{re.escape(plain[-1][0])}\.?"
            rules.append(_Rule(re.compile(rf"{_START}{short}{_END}"), alias))
            # "Dr Rivera", "dr. rivera": the title goes with the name (not "Dr Lead therapist")
            titled = rf"{re.escape(titles[0])}\.?\s*" + r"\s+".join(re.escape(w) for w in plain)
            rules.append(_Rule(re.compile(rf"{_START}{titled}{_END}"), alias))
    for word, alias in words.items():
        rules.append(_Rule(re.compile(rf"{_START}@?{re.escape(word)}{_END}"), alias, word))
    return rules


def _cleaner(group: Group, key: bytes = b"") -> Callable[[str], str]:
    """Free text with every name of the group's people replaced by their pseudonym."""
    aliases = pseudonyms(group, key)
    people = [(m.name, aliases[m.id]) for m in group.members]
    people += [(other, aliases[m.id]) for m in group.members for other in m.also_called]
    people += [(group.lead, "Lead therapist"), (group.cofac, "Co-facilitator")]
    return replacer(people)


def replacer(people: list[tuple[str, str]]) -> Callable[[str], str]:
    """Free text with each person's name (any case, accents or not, initials, a title and
    initial, a mention) replaced by what stands for them: `people` is (name, stand-in)."""
    rules = _rules(people)

    def clean(text: str) -> str:
        folded, where = fold(text)
        found: list[tuple[int, int, str]] = []
        for rule in rules:
            for match in rule.pattern.finditer(folded):
                start, stop = where[match.start()], where[match.end() - 1] + 1
                typed = text[start:stop]
                if rule.word in ORDINARY_WORDS and typed.islower() and not typed.startswith("@"):
                    continue  # "kit kat": the word, not the name
                if rule.initials and _not_initials(typed, rule.initials):
                    continue  # "an", "is", "Mr." are words, not Anna Nowak's or Ida S.'s
                found.append((start, stop, rule.alias))
        # The longest at each place first, then left to right, never two overlapping.
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        out, at = [], 0
        for start, stop, alias in found:
            if start < at:
                continue
            out += [text[at:start], alias]
            at = stop
        return "".join([*out, text[at:]])

    return clean


def without_private(events: Sequence[EventBase]) -> tuple[list[EventBase], int]:
    """The log with its #private notes left out, with every comment, mark or correction
    that points at one; and how many notes were left out."""
    dropped = _private(events)
    kept = [
        e
        for e in events
        if e.id not in dropped
        and not (isinstance(e, POINTERS) and getattr(e, "target", None) in dropped)
    ]
    return kept, len(dropped)


def _private(events: Sequence[EventBase]) -> set[str]:
    """Observations tagged #private, as typed or as amended later."""
    private = {e.id for e in events if isinstance(e, Observation) and PRIVATE_TAG in e.tags}
    private |= {
        e.target for e in events if isinstance(e, Correction) and PRIVATE_TAG in (e.tags or [])
    }
    return private


def _pid(group: Group, kind: str, original: str, key: bytes = b"") -> str:
    """A stable pseudonymous id: the same original gives the same one in every export."""
    return f"{kind}-" + _digest(group.id, kind, original, key=key)[:16]


def redact_labels(group: Group, labels: Labels, key: bytes = b"") -> Labels:
    """The names of the cards and codes used, with any person's name in them replaced (a
    therapist's own card may be named after somebody)."""
    clean = _cleaner(group, key)
    return Labels(
        cards={k: clean(v) for k, v in labels.cards.items()},
        codes={k: clean(v) for k, v in labels.codes.items()},
    )


def member_ids(group: Group, key: bytes = b"") -> dict[str, str]:
    """Each member's pseudonymous id, as every redacted export of the group has it."""
    return {m.id: _pid(group, "m", m.id, key) for m in group.members}


def redact_notes(
    group: Group, session: Session, notes: Sequence[MemberNote], key: bytes = b""
) -> list[MemberNote]:
    """Member notes for a redacted export: names replaced in every part, ids pseudonymous."""
    clean = _cleaner(group, key)
    safe = []
    for note in notes:
        sid, mid = _pid(group, "s", session.id, key), _pid(group, "m", note.member_id, key)
        parts = {k: clean(getattr(note, k)) for k in NOTE_TEXT_FIELDS}  # DAP's and BIRP's
        safe.append(
            note.model_copy(
                update={"id": f"{sid}:{mid}", "session_id": sid, "member_id": mid, **parts}
            )
        )
    return safe


def _tag(tag: str, clean: Callable[[str], str]) -> str:
    """A tag redacted like text, and still a tag: "#theo-conflict" → "#member-1a2b-conflict"."""
    cleaned = clean(tag)
    return cleaned if cleaned == tag else "-".join(cleaned.lower().split())[:TAG_MAX]


def redact(
    group: Group, session: Session, events: Sequence[EventBase], key: bytes = b""
) -> tuple[Group, Session, list[EventBase]]:
    """`key`: the data folder's redaction key (`Store.redaction_key`): pseudonyms and ids are
    keyed with it."""
    aliases = pseudonyms(group, key)
    clean = _cleaner(group, key)

    def pid(kind: str, original: str) -> str:
        return _pid(group, kind, original, key)

    members = member_ids(group, key)

    def person(value: str) -> str:
        return members.get(value, value)  # "lead", "cofac" and the group stay as they are

    safe_group = group.model_copy(
        update={
            "id": pid("g", group.id),
            "name": f"{GROUP_KIND_LABELS[group.kind]} {_digest(group.id, key=key)[:4].upper()}",
            "lead": "Lead therapist",
            "cofac": "Co-facilitator",
            "members": [
                m.model_copy(
                    update={
                        "id": members[m.id],
                        "name": aliases[m.id],
                        "note": "",
                        "also_called": [],
                    }
                )
                for m in group.members
            ],
        }
    )
    safe_session = session.model_copy(
        update={
            "id": pid("s", session.id),
            "group_id": safe_group.id,
            "theme": clean(session.theme),
            "attendance": {person(k): v for k, v in session.attendance.items()},
            "seats": [person(m) for m in session.seats],
        }
    )

    dropped = _private(events)
    safe_events: list[EventBase] = []
    for event in events:
        target = getattr(event, "target", None) if isinstance(event, POINTERS) else None
        if event.id in dropped or target in dropped:
            continue
        update: dict[str, object] = {"id": pid("e", event.id), "epoch": pid("r", event.epoch)}
        if target is not None:
            update["target"] = pid("e", target)
        for field in MEMBER_FIELDS:
            value = getattr(event, field, None)
            if isinstance(value, str):
                update[field] = person(value)
            elif isinstance(value, list):
                update[field] = [person(v) for v in value]
        if (field := TEXT_FIELDS.get(type(event))) is not None:
            update[field] = clean(getattr(event, field))
        if isinstance(event, Correction) and event.text is not None:
            update["text"] = clean(event.text)
        tags = getattr(event, "tags", None)
        if isinstance(tags, list):  # tags are text too: "#maya", "#Zoë"
            update["tags"] = [_tag(t, clean) for t in tags]
        if isinstance(event, ReviewNote) and event.reason:
            update["reason"] = clean(event.reason)  # "late entry: Theo phoned"
        if isinstance(event, SignedOff):
            # The signer is the lead therapist, whatever name they signed with. The frozen
            # record names everyone: left out. Its digest stays, to say which signed record
            # this was made from (a redacted copy cannot be checked against it).
            update["name"] = "Lead therapist"
            update["record"] = None
        # A note's moment and a gap's last sign of life name their run of the app too.
        for field in ("begun", "alive"):
            if (reading := event.__dict__.get(field)) is not None:
                update[field] = reading.model_copy(update={"epoch": pid("r", reading.epoch)})
        safe_events.append(event.model_copy(update=update))
    return safe_group, safe_session, safe_events


# Capitalised words that are no one's name: a redacted text's other capitalised words are
# listed for the therapist to check before the file is shared.
_COMMON_CAPITALISED = frozenset(
    [
        "i",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "ok",
        "gp",
        "er",
        "ae",
        "mr",
        "mrs",
        "ms",
        "dr",
        "member",
        "lead",
        "therapist",
        "co",
        "facilitator",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "christmas",
        "easter",
        "god",
        "mum",
        "mom",
        "dad",
        "english",
    ]
)
_CAPITALISED = re.compile(r"(?<![\w'’])([^\W\d_a-z][^\W\d_]+)")


def suspect_names(texts: Sequence[str]) -> list[str]:
    """Capitalised words in the middle of a sentence of already redacted `texts`, which are
    neither a pseudonym nor a common word: possibly a name the roster does not know
    ("Zoe" for a member not on it, a family member's "Mueller")."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _CAPITALISED.finditer(text):
            word = match.group(1)
            before = text[: match.start()].rstrip()
            if not before or before[-1] in '.!?:;"“(-–—':
                continue  # a sentence's first word
            if not word[0].isupper() or word.isupper() or word.casefold() in _COMMON_CAPITALISED:
                continue  # "élan"; an acronym or a pseudonym's code ("Member BEEF"); "Monday"
            found.setdefault(word)
    return sorted(found)
