"""The shipped deck and coding schemes: complete, valid, and what the room needs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cofacil.deck import OBJECTIVE_LABELS, load_deck, shipped_deck
from cofacil.schemes import shipped_schemes

SEED_TECHNIQUES = [
    "Support",
    "Paraphrasing statements",
    "Facilitation of communication",
    "Discussion of the problem",
    "Emotion identification",
    "Behaviour identification",
    "Rehearsal for adequate behaviour",
    "Tips",
    "Summarizing",
]


def test_the_nine_techniques_from_the_seeds() -> None:
    deck = shipped_deck()
    assert [c.name for c in deck.cards] == SEED_TECHNIQUES
    for card in deck.cards:
        assert len(card.phrasings) >= 3
        assert set(card.objectives) <= set(OBJECTIVE_LABELS)
        assert card.purpose and card.when and card.kinds
        assert any("{name}" not in p for p in card.phrasings), card.id  # one for the group


def test_jump_by_part_of_a_name() -> None:
    deck = shipped_deck()
    assert deck.find("summ")[0].id == "summarizing"
    assert deck.find("EMOTION")[0].id == "emotion_identification"
    assert deck.find("ident")[0].id in ("emotion_identification", "behaviour_identification")
    assert deck.find("zzz") == [] and deck.find("  ") == []


def test_phrasings_name_the_member_or_speak_to_the_group() -> None:
    card = shipped_deck().card("facilitation")
    assert card is not None
    assert "Omar" in card.phrasing("Omar")
    assert "{name}" not in card.phrasing(None)
    assert card.phrasing(None, prefer=1) == card.phrasing(None)  # a named line needs a name
    assert card.phrasing("Omar", prefer=2).startswith("Omar, you looked")


def test_a_broken_deck_file_says_where() -> None:
    with pytest.raises(ValidationError) as caught:
        load_deck(
            '[[cards]]\nid = "x"\nname = "X"\npurpose = "p"\nwhen = "w"\n'
            'phrasings = ["a", "b"]\nobjectives = ["relieving-stress"]\nkinds = ["art"]\n'
        )
    assert caught.value.errors()[0]["loc"] == ("cards", 0, "phrasings")


def test_coding_schemes() -> None:
    schemes = shipped_schemes()
    assert list(schemes) == ["quick", "yalom", "bales", "climate"]
    assert len(schemes["yalom"].codes) == 11
    bales = schemes["bales"].codes
    assert len(bales) == 12
    assert [c.area for c in bales[::3]] == [
        "Positive reactions",
        "Attempted answers",
        "Questions",
        "Negative reactions",
    ]
    assert [c.id for c in schemes["climate"].codes] == ["engaged", "avoiding", "conflict"]
    quick = schemes["quick"]
    assert quick.signals("emotion") == ["strong-emotion"]
    assert quick.signals("conflict") == ["conflict"]
    for scheme in schemes.values():
        keys = [c.key for c in scheme.codes]
        assert len(keys) == len(set(keys)) and not any(k.isdigit() for k in keys)
