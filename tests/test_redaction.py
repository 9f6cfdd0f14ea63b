"""Redaction that holds: a corpus of the ways a name is typed in a group's notes (without its
accent, in capitals, as initials in any spelling, as a tag, a facilitator's short form) leaves
none of them in md, csv or json; ordinary words that equal a name stay; pseudonyms are keyed
with the data folder's secret."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cofacil.export import render
from cofacil.models import Attendance, Group, Member, Observation, Session, SessionStarted
from cofacil.redact import fold, pseudonym, redact
from cofacil.storage import Store

T0 = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
KEY = bytes(range(32))
NAMES = ["Zoë", "Ines", "J.R.", "Kit", "Theo", "Maya Okafor"]
GROUP = Group(
    id="g1",
    name="Thursday group",
    lead="Dr. Rivera",
    cofac="Sam Park",
    members=[Member(id=f"m{i}", name=n, seat=i, hotkey=str(i)) for i, n in enumerate(NAMES, 1)],
    created_at=T0,
)
SESSION = Session(
    id="s1",
    group_id="g1",
    number=1,
    date=date(2026, 3, 5),
    attendance={f"m{i}": Attendance() for i in range(1, 7)},
    seats=[f"m{i}" for i in range(1, 7)],
    created_at=T0,
)
# (typed, what must not survive it)
CORPUS = [
    ("Zoe said she felt left out", ["Zoe"]),
    ("ZOË and zoë both", ["ZOË", "zoë"]),
    ("Inès arrived late; INES apologised", ["Inès", "INES"]),
    ("JR, jr, J. R. and J.R. agreed", ["JR", "jr", "J. R.", "J.R."]),
    ("Dr. R. asked the group, Dr R nodded", ["Dr. R.", "Dr R"]),
    ("Kit spoke about the kit kat she shared", ["Kit spoke"]),
    ("@Maya_Okafor and Okafor and maya", ["Maya", "Okafor", "maya"]),
    ("Sam P. and Sam Park took notes; @Sam_Park too", ["Sam", "Park"]),
    ("Theo's brother; theo-like", ["Theo", "theo"]),
]
TAGS = ["theo-conflict", "maya", "Zoë", "family"]


def events() -> list:
    out = [SessionStarted(id="e00", seq=0, at=T0, mono=0.0, epoch="r")]
    for i, (text, _) in enumerate(CORPUS, start=1):
        out.append(
            Observation(
                id=f"e{i:02d}",
                seq=i,
                at=T0 + timedelta(seconds=10 * i),
                mono=10.0 * i,
                epoch="r",
                text=text,
                about=["m1"],
                tags=TAGS,
            )
        )
    return out


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_no_way_of_typing_a_name_survives(fmt: str) -> None:
    out = render(fmt, *redact(GROUP, SESSION, events(), KEY))
    for text, gone in CORPUS:
        for name in gone:
            assert not re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", out), (name, text)
    for tag in ("theo-conflict", "#maya", "Zoë"):
        assert tag not in out
    assert "kit kat" in out  # the word, not the name
    assert "family" in out and "brother" in out and "felt left out" in out


def test_pseudonyms_are_keyed_and_stable() -> None:
    keyed = pseudonym("g1", "m1", key=KEY)
    assert keyed == pseudonym("g1", "m1", key=KEY) != pseudonym("g1", "m1")
    assert keyed != pseudonym("g1", "m1", key=bytes(32))


def test_a_folder_keeps_one_redaction_key(tmp_path) -> None:
    store = Store(tmp_path / "data")
    key = store.redaction_key()
    assert len(key) == 32 and Store(tmp_path / "data").redaction_key() == key
    assert oct((tmp_path / "data" / "redaction.key").stat().st_mode & 0o777) == "0o600"


@given(st.text(max_size=40))
def test_folding_maps_every_character_back(text: str) -> None:
    folded, where = fold(text)
    assert len(folded) == len(where)
    assert all(0 <= i < len(text) for i in where) and where == sorted(where)


def test_names_the_roster_does_not_know_are_listed_to_check() -> None:
    from cofacil.redact import suspect_names

    texts = [
        "Member 1A2B said Zoe and her aunt Mueller came on Monday. Then I left.",
        "Spoke to the GP; Lead therapist asked Member 2B30 about Mueller",
    ]
    assert suspect_names(texts) == ["Mueller", "Zoe"]  # not Monday, I, GP, Then, Member
    assert suspect_names(["asked Member BEEF about élan and NHS"]) == []


def test_other_names_on_the_roster_are_redacted_too() -> None:
    maya = GROUP.members[5].model_copy(update={"also_called": ["Mimi", "Oka"]})
    group = GROUP.model_copy(update={"members": [*GROUP.members[:5], maya]})
    event = events()[1].model_copy(update={"text": "Mimi, also Oka, spoke"})
    out = render("md", *redact(group, SESSION, [events()[0], event], KEY))
    assert "Mimi" not in out and "Oka" not in out and "spoke" in out


def test_every_part_of_a_note_and_of_an_addendum_is_redacted() -> None:
    from cofacil.models import MemberNote, ReviewNote, SignedOff
    from cofacil.redact import redact_notes

    note = MemberNote(
        id="s1:m2",
        session_id="s1",
        member_id="m2",
        format="BIRP",
        intervention="Grounding with Zoe",
        response="Theo cried; INES too",
        updated_at=T0,
    )
    (safe,) = redact_notes(GROUP, SESSION, [note], KEY)
    assert "Zoe" not in safe.intervention and "Theo" not in safe.response
    assert "INES" not in safe.response
    stamp = {"at": T0, "mono": 99.0, "epoch": "r"}
    later = [
        SignedOff(id="e20", seq=20, name="Jane Doe, LCSW", **stamp),
        ReviewNote(
            id="e21", seq=21, text="Seen by GP", addendum=True, reason="Theo phoned", **stamp
        ),
    ]
    signed, addendum = redact(GROUP, SESSION, later, KEY)[2]
    assert signed.name == "Lead therapist" and "Theo" not in addendum.reason


def test_a_redacted_note_keeps_its_moment() -> None:
    """The moment a note is about names its run of the app too: pseudonymised alike, so a
    redacted report places the note where the plain one does."""
    from cofacil.models import ClockReading

    log = events()
    begun = ClockReading(at=T0 + timedelta(seconds=5), mono=5.0, epoch="r")
    log[1] = log[1].model_copy(update={"begun": begun})
    plain, safe = render("md", GROUP, SESSION, log), render("md", *redact(GROUP, SESSION, log, KEY))
    assert "0:05 (saved 0:10)" in plain and "0:05 (saved 0:10)" in safe


def test_a_card_named_after_a_member_is_redacted_too() -> None:
    from cofacil.record import Labels
    from cofacil.redact import redact_labels

    group = Group(
        name="g",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        members=[Member(id="m1", name="Maya", seat=1, hotkey="1")],
        lead="Dr. Rivera",
    )
    labels = redact_labels(
        group, Labels(cards={"own": "Maya's empty chair"}, codes={"s:c": "Dr. Rivera's aside"})
    )
    assert "Maya" not in labels.card("own") and "Rivera" not in labels.code("s:c")
    assert labels.card("own").endswith("'s empty chair")


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_a_name_run_into_digits_underscores_or_invisible_characters_is_redacted(fmt: str):
    """A name ends where its letters end: "maya2", "#maya_followup" and "#maya_theo" name
    Maya (and Theo); a soft hyphen or a zero-width space typed inside a name hides nothing."""
    text = "talk to maya2 and theo1 about #maya_followup; Ma\u00adya and The\u200bo came"
    note = Observation(
        id="e1",
        seq=1,
        at=T0,
        mono=1.0,
        epoch="r",
        text=text,
        about=["m6"],
        tags=["maya_followup", "maya_theo", "family"],
    )
    log = [SessionStarted(id="e0", seq=0, at=T0, mono=0.0, epoch="r"), note]
    out = render(fmt, *redact(GROUP, SESSION, log, KEY))
    folded = fold(out)[0]
    assert "maya" not in folded and "theo" not in folded, out
    assert "followup" in out and "family" in out and "came" in out


def test_a_title_goes_with_the_name_it_belongs_to() -> None:
    from cofacil.redact import replacer

    clean = replacer([("Dr. Rivera", "Lead therapist"), ("Sam Park", "Co-facilitator")])
    assert clean("Dr Rivera and dr. rivera agreed") == "Lead therapist and Lead therapist agreed"
    assert clean("Dr. R. asked; Rivera too") == "Lead therapist asked; Lead therapist too"
    assert clean("Dr Lee came") == "Dr Lee came"  # another doctor, not the lead
