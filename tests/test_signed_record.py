"""Sign-off freezes the record: every export of a signed session reads the same, byte for byte,
whatever changes afterwards in the group, the roster or the library; its digest is in the
report and the json, and `cofacil verify` finds a log or an export changed after sign-off."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from conftest import _add_session

from cofacil.__main__ import main
from cofacil.clock import FakeClock
from cofacil.live import LiveSession, SessionView
from cofacil.models import COFAC, LEAD, Attendance, Member, MemberNote
from cofacil.review import SessionReview
from cofacil.storage import Store, StoreError, journal

OWN_DECK = """
[[cards]]
id = "grounding"
name = "{name}"
purpose = "Brings a member back to the room when they are overwhelmed."
when = "When someone seems flooded or far away."
phrasings = ["Let's all notice our feet on the floor.", "What do you see?", "Take your time."]
objectives = ["fears-anxiety"]
kinds = ["support", "other"]
"""
OWN_CODES = (
    '[[schemes]]\nid = "ours"\nname = "Our codes"\n\n[[schemes.codes]]\n'
    'key = "g"\nid = "grief"\nlabel = "{label}"\nsignals = ["strong-emotion"]\n'
)
FORMATS = ("md", "csv", "json")


def _library(data_dir: Path, card: str, code: str, quiet_minutes: int) -> None:
    (data_dir / "deck.toml").write_text(OWN_DECK.format(name=card))
    (data_dir / "coding_schemes.toml").write_text(OWN_CODES.format(label=code))
    (data_dir / "nudges.toml").write_text(f"quiet_minutes = {quiet_minutes}\n")


def _recorded(store: Store, clock: FakeClock) -> str:
    """An ended session using the therapist's own card and code, with a member note."""
    session = _add_session(store)
    session = session.model_copy(update={"attendance": {m: Attendance() for m in session.seats}})
    store.save_session(session)  # everyone came
    live = LiveSession(store, session.id)
    live.speak("m1")
    clock.advance(40)
    live.observe("Ann talks about her sister", about=["m1"], tags=["family"])
    live.technique("grounding", LEAD, ["m1"])
    live.code("ours", "grief", ["m1"])
    live.speak("m2")
    clock.advance(25)
    live.flag("not safe at home", about=["m2"])
    live.speak(COFAC)
    clock.advance(5)
    live.end()
    live.close()
    note = MemberNote(
        id=f"{session.id}:m1",
        session_id=session.id,
        member_id="m1",
        data="Ann spoke of her sister.",
        assessment="Grief close to the surface.",
        plan="Check in next week.",
        updated_at=clock.now(),
    )
    store.save_member_note(note)
    return session.id


def _exports(store: Store, session_id: str) -> dict[str, str]:
    view = SessionView(store, session_id)
    out = {fmt: view.rendered(fmt) for fmt in FORMATS}
    out |= {f"redacted {fmt}": view.rendered(fmt, redacted=True) for fmt in FORMATS}
    return out


@pytest.fixture
def signed(store: Store, clock: FakeClock, data_dir: Path) -> tuple[Store, str]:
    _library(data_dir, "Grounding", "Grief named", 10)
    session_id = _recorded(store, clock)
    review = SessionReview(store, session_id)
    review.sign_off("Dr. Rivera, LCSW", SessionView(store, session_id))
    review.close()
    return store, session_id


def test_exports_use_the_therapists_own_card_and_code_names(
    store: Store, clock: FakeClock, data_dir: Path
) -> None:
    _library(data_dir, "Grounding", "Grief named", 10)
    md = SessionView(store, _recorded(store, clock)).rendered("md")
    assert "technique: Grounding by" in md and "code: Grief named" in md


def test_a_signed_session_reads_the_same_whatever_changes_afterwards(
    signed: tuple[Store, str], data_dir: Path
) -> None:
    store, session_id = signed
    before = _exports(store, session_id)
    assert "Grounding" in before["md"] and "Grief named" in before["md"]

    # Everything the record is read with changes: names, roster, facilitators, the library.
    session = store.session(session_id)
    group = store.group(session.group_id)
    renamed = [m.model_copy(update={"name": f"{m.name} K."}) for m in group.members]
    newcomer = Member(id="m9", name="Zoë", seat=4, hotkey="4")
    store.save_group(
        group.model_copy(update={"members": [*renamed, newcomer], "lead": "Dr. Someone Else"})
    )
    _library(data_dir, "Grounding (renamed)", "Grief, relabelled", 25)
    note = store.member_note(session_id, "m1")
    assert note is not None
    store.save_member_note(note.model_copy(update={"plan": "changed after sign-off"}))

    after = _exports(store, session_id)
    for name, text in before.items():
        assert after[name] == text, f"the {name} export changed after sign-off"
    assert "Zoë" not in after["md"] and "not on the list" not in after["md"]
    assert "Rivera, LCSW" in after["md"] and "Ann K" not in after["md"]


def test_the_digest_stands_in_the_report_and_the_json(signed: tuple[Store, str]) -> None:
    store, session_id = signed
    view = SessionView(store, session_id)
    exported = json.loads(view.rendered("json"))
    digest = exported["signed"]["digest"]
    assert len(digest) == 64 and exported["signed"]["by"] == "Dr. Rivera, LCSW"
    assert f"Signed record, SHA-256: `{digest}`" in view.rendered("md")
    redacted = json.loads(view.rendered("json", redacted=True))
    signed_event = next(e for e in redacted["events"] if e["type"] == "signed_off")
    assert signed_event["record"] is None and signed_event["digest"] == digest  # no names


def _tamper_journal(store: Store, session_id: str, old: bytes, new: bytes) -> None:
    """An edit a checksum cannot catch: the line's crc is written again."""
    path = store.session_paths(session_id).journal
    lines = path.read_bytes().split(b"\n")
    for i, line in enumerate(lines):
        body = line.partition(b" ")[2]
        if old in body:
            body = body.replace(old, new)
            lines[i] = b"%08x %s" % (zlib.crc32(body), body)
    path.write_bytes(b"\n".join(lines))
    store.session_paths(session_id).checkpoint.unlink()  # the journal alone tells the log


def test_verify_finds_a_log_changed_after_sign_off(
    signed: tuple[Store, str], data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, session_id = signed
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "signed off by Dr. Rivera, LCSW" in out and "as signed (SHA-256" in out

    _tamper_journal(store, session_id, b"her sister", b"her brother")
    assert main(["verify", "--data-dir", str(data_dir)]) == 1
    assert "DIFFERS from its digest" in capsys.readouterr().out


def test_a_log_changed_after_sign_off_is_never_exported_as_signed(
    signed: tuple[Store, str], data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export of the changed log would carry the signature's digest under text that was
    never signed: refused, in one line, with nothing written; the view says it too."""
    store, session_id = signed
    _tamper_journal(store, session_id, b"her sister", b"her brother")
    out = tmp_path / "report.md"
    args = ["export", "--data-dir", str(data_dir), "--session", session_id, "--format", "md"]
    args += ["-o", str(out)]
    assert main(args) == 1
    said = capsys.readouterr().err.splitlines()[-1]  # after what the store mended on opening
    assert said.startswith("cofacil: session 1 was changed after it was signed off")
    assert "nothing was exported" in said and not out.exists()
    view = SessionView(Store(data_dir), session_id)
    assert view.changed_after_signing()
    with pytest.raises(StoreError, match="no longer matches the signed record"):
        view.rendered("json", redacted=True)


def test_verify_checks_an_exported_file(
    signed: tuple[Store, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, session_id = signed
    exported = tmp_path / "session.json"
    exported.write_text(SessionView(store, session_id).rendered("json"))
    assert main(["verify", str(exported)]) == 0
    assert "as signed" in capsys.readouterr().out
    exported.write_text(exported.read_text().replace("not safe at home", "safe at home"))
    assert main(["verify", str(exported)]) == 1
    assert "DIFFERS" in capsys.readouterr().out
    exported.write_text("{not json")
    assert main(["verify", str(exported)]) == 1
    assert "not a cofacil session export" in capsys.readouterr().err


def test_member_notes_leave_the_app_in_every_format(
    store: Store, clock: FakeClock, data_dir: Path
) -> None:
    """The note the therapist saved is in the md (under the group note), the csv and the json
    (read back), and in the redacted copies with its names replaced."""
    view = SessionView(store, _recorded(store, clock))
    md, csv, exported = (view.rendered(fmt) for fmt in FORMATS)
    head = md.split("## Flags")[0]
    assert head.index("## Group note") < head.index("## Member notes (DAP)")
    assert "Grief close to the surface\\." in head and "Check in next week\\." in head
    assert "No note written." in head  # Bo came, and has no note yet
    assert "member_note" in csv and "Grief close to the surface." in csv
    notes = json.loads(exported)["member_notes"]
    assert [n["assessment"] for n in notes] == ["Grief close to the surface."]
    redacted = view.rendered("md", redacted=True)
    assert "Grief close to the surface" in redacted and "Ann spoke" not in redacted


def test_per_member_notes_name_every_other_member_by_initials(
    store: Store, clock: FakeClock, data_dir: Path, tmp_path: Path, capsys
) -> None:
    session_id = _recorded(store, clock)
    note = store.member_note(session_id, "m1")
    assert note is not None
    store.save_member_note(note.model_copy(update={"data": "Answered Cé warmly; @Cé smiled."}))
    out = tmp_path / "charts"
    number = str(store.session(session_id).number)
    args = ["export", "--per-member", "--session", session_id, "-o", str(out)]
    assert main([*args, "--data-dir", str(data_dir)]) == 0
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"2025-03-14-session-00{number}-A.md"]
    text = files[0].read_text()
    assert text.startswith("# Ann — group session")
    assert "Answered C\\. warmly; C\\. smiled\\." in text and "Cé" not in text
    assert "Grief close to the surface" in text and "Not signed off yet." in text
    err = capsys.readouterr().err
    assert "no note written for [bold]Bo[/] yet" in err and "no note written for Cé yet" in err
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"


async def test_a_birp_group_writes_birp_notes_from_the_screen_to_the_report(
    store: Store, clock: FakeClock, data_dir: Path
) -> None:
    """A group whose notes are BIRP: the member screen offers behaviour, intervention (the
    techniques used towards the member, drafted), response and plan, and the report and the
    member's own file read the same sections."""
    from cofacil.__main__ import make_app
    from cofacil.export import member_files
    from cofacil.screens.member_screen import MemberScreen

    _library(data_dir, "Grounding", "Grief named", 10)
    session_id = _recorded(store, clock)
    group = store.group(store.session(session_id).group_id)
    store.save_group(group.model_copy(update={"note_format": "BIRP"}))
    app = make_app(data_dir, clock=clock, review=session_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(MemberScreen(app.screen.view, "m2"))
        await pilot.pause()
        screen = app.screen
        assert [w.id for w in screen.query("PlainTextArea")] == [
            "note-data",
            "note-intervention",
            "note-response",
            "note-plan",
        ]
        response = screen.query_one("#note-response").text
        assert response.startswith("- Risk noted at 1:05: not safe at home")
        screen.query_one("#note-response").text = "Disclosed; agreed a safety plan."
        screen.save()
    note = store.member_note(session_id, "m2")
    assert note is not None and note.format == "BIRP" and note.response.startswith("Disclosed")
    view = SessionView(store, session_id)
    md = view.rendered("md")
    assert "## Member notes (BIRP)" in md and "**Response:**\\\nDisclosed; agreed" in md
    files, _ = member_files(view.group, view.session, view.events, view.filed.notes)
    bo = next(text for name, text in files.items() if name.endswith("-BB"))
    assert "**Behaviour:**" in bo and "**Intervention:**" in bo and "**Response:**" in bo


def test_an_event_slipped_in_after_sign_off_is_found(
    signed: tuple[Store, str], data_dir: Path, capsys
) -> None:
    """Only addenda follow a sign-off: an undo of the flag appended to the journal later would
    change the record without touching the digest, and verify says so."""
    from cofacil.models import Correction, Flag

    store, session_id = signed
    events = store.read_events(session_id)
    flag = next(e for e in events if isinstance(e, Flag))
    last = events[-1]
    undo = Correction(
        seq=last.seq + 1,
        at=last.at,
        mono=last.mono + 1,
        epoch=last.epoch,
        target=flag.id,
        action="undo",
        author="lead",
    )
    path = store.session_paths(session_id).journal
    with path.open("ab") as journal_file:
        journal_file.write(journal.encode_line(undo))
    store.session_paths(session_id).checkpoint.unlink()
    assert main(["verify", "--data-dir", str(data_dir)]) == 1
    assert "1 event(s) after it that are not addenda" in capsys.readouterr().out


async def test_the_review_says_when_the_signed_log_was_changed(
    signed: tuple[Store, str], data_dir: Path, clock: FakeClock
) -> None:
    from cofacil.__main__ import make_app

    store, session_id = signed
    _tamper_journal(store, session_id, b"her sister", b"her brother")
    app = make_app(data_dir, clock=clock, review=session_id)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        banner = str(app.screen.query_one("#review-signed").render())
        assert "but the log no longer matches the signed record" in banner
        assert "exports are refused" in banner
