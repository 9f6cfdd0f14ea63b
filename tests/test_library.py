"""A therapist's own deck and codes in the data folder; a broken file falls back and says where."""

from __future__ import annotations

import tomllib
from pathlib import Path

from cofacil import library
from cofacil.library import NudgeSettingsFile, load_library
from cofacil.nudges import NudgeSettings
from cofacil.storage import Store

OWN_CARD = """
[[cards]]
id = "grounding"
name = "Grounding"
purpose = "Brings a member back to the room when they are overwhelmed."
when = "When someone seems flooded or far away."
phrasings = ["Let's all notice our feet on the floor.", "What can you see around you, {name}?",
             "Take your time; we're here."]
objectives = ["fears-anxiety"]
kinds = ["support", "other"]

[[cards]]
id = "tips"
name = "Tips (our way)"
purpose = "Sparingly."
when = "Rarely."
phrasings = ["One.", "Two.", "Three."]
objectives = ["adaptive-skills"]
kinds = ["skills"]
"""


def test_shipped_content_without_own_files(store: Store) -> None:
    library = load_library(store)
    assert len(library.deck.cards) == 9 and "bales" in library.schemes
    assert library.problems == []


def test_own_cards_are_added_or_replace_shipped_ones(store: Store, data_dir: Path) -> None:
    (data_dir / "deck.toml").write_text(OWN_CARD)
    library = load_library(store)
    assert library.deck.card("grounding") is not None
    assert library.deck.card("tips").name == "Tips (our way)"
    assert len(library.deck.cards) == 10 and library.problems == []


def test_own_scheme(store: Store, data_dir: Path) -> None:
    (data_dir / "coding_schemes.toml").write_text(
        '[[schemes]]\nid = "ours"\nname = "Our codes"\n\n[[schemes.codes]]\n'
        'key = "g"\nid = "grief"\nlabel = "Grief named"\nsignals = ["strong-emotion"]\n'
    )
    library = load_library(store)
    assert library.scheme("ours").signals("grief") == ["strong-emotion"]
    assert library.scheme("nonexistent").id == "quick"


def test_broken_deck_falls_back_and_names_file_line_field(store: Store, data_dir: Path) -> None:
    broken = OWN_CARD.replace('phrasings = ["One.", "Two.", "Three."]', 'phrasings = ["One."]')
    (data_dir / "deck.toml").write_text(broken)
    library = load_library(store)
    assert len(library.deck.cards) == 9  # the shipped deck, untouched
    (problem,) = library.problems
    line = broken.splitlines().index('phrasings = ["One."]') + 1
    assert problem.startswith(f"deck.toml line {line}: field 'cards.1.phrasings'")


def test_unparsable_and_undecodable_files(store: Store, data_dir: Path) -> None:
    (data_dir / "deck.toml").write_text("[[cards]\nid = ")
    (data_dir / "coding_schemes.toml").write_bytes(b"\xff\xfe\x00bad")
    library = load_library(store)
    assert len(library.problems) == 2
    assert library.problems[0].startswith("deck.toml: ")
    assert "coding_schemes.toml" in library.problems[1]
    assert library.scheme("quick").codes


def test_nudge_thresholds_are_settings(store: Store, data_dir: Path) -> None:
    assert load_library(store).nudges.quiet_seconds == 600  # the default: ten minutes
    (data_dir / "nudges.toml").write_text("quiet_minutes = 12\nsnooze_minutes = 5\n")
    nudges = load_library(store).nudges
    assert (nudges.quiet_seconds, nudges.snooze_seconds) == (720, 300)
    (data_dir / "nudges.toml").write_text("quiet_minutes = 12\ndominance_share = 7\n")
    library = load_library(store)
    assert library.nudges.quiet_seconds == 600  # a broken file: the defaults, and a message
    assert library.problems[0].startswith("nudges.toml line 2: field 'dominance_share'")


def test_the_nudges_example_shows_the_defaults() -> None:
    """The example nudges.toml in library.py's docstring is the defaults, every field: a
    therapist who copies it changes nothing until they change a number."""
    doc = library.__doc__ or ""
    example = [line.strip() for line in doc.splitlines() if line.startswith("    ")]
    fields = tomllib.loads("\n".join(example))
    assert fields.keys() == NudgeSettingsFile.model_fields.keys()
    assert NudgeSettingsFile.model_validate(fields).settings() == NudgeSettings()
    assert NudgeSettingsFile().settings() == NudgeSettings()
