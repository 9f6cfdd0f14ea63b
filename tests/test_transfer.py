"""A session moves between machines: its json export imported into another data folder reads
back the same (export → import → export is identical), once; the same id with other content is
refused with nothing changed; a signed session keeps its digest and stays locked."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_review_never_crashes import actions, record

from cofacil.__main__ import main
from cofacil.live import SessionView
from cofacil.models import Correction, MemberNote, Observation
from cofacil.review import SessionReview
from cofacil.storage import SignedOffError, Store, StoreError
from cofacil.transfer import import_session


def _folder_bytes(data: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()
    }


def _with_note(store: Store, session_id: str) -> None:
    store.save_member_note(
        MemberNote(
            id=f"{session_id}:m1",
            session_id=session_id,
            member_id="m1",
            data="Spoke of her week.",
            plan="Check in.",
            updated_at=store.clock.now(),
        )
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(actions, max_size=20), end=st.booleans())
def test_export_import_export_is_identical(steps: list, end: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, session_id = record(Path(tmp) / "tablet", steps, end)
        _with_note(store, session_id)
        sent = SessionView(store, session_id).rendered("json")
        desk = Store(Path(tmp) / "desk")
        done = import_session(desk, sent, "transfer.json")
        assert not done.already_here
        assert SessionView(desk, session_id).rendered("json") == sent
        assert import_session(desk, sent, "transfer.json").already_here  # once only


def test_the_same_id_with_other_content_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    store, session_id = record(tmp_path / "tablet", [("speak", "m1"), ("wait", 30.0)], True)
    sent = SessionView(store, session_id).rendered("json")
    desk_dir = tmp_path / "desk"
    import_session(Store(desk_dir), sent, "a.json")
    before = _folder_bytes(desk_dir)
    other = json.loads(sent)
    other["events"][1]["mono"] += 5  # the same session, recorded differently
    with pytest.raises(StoreError, match="same id and different content; nothing was changed"):
        import_session(Store(desk_dir), json.dumps(other), "b.json")
    assert _folder_bytes(desk_dir) == before


def test_a_signed_session_keeps_its_digest_and_stays_locked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, session_id = record(tmp_path / "tablet", [("speak", "m1"), ("observe", "m2")], True)
    review = SessionReview(store, session_id)
    review.sign_off("Dr. Rivera", SessionView(store, session_id))
    review.close()
    sent = SessionView(store, session_id).rendered("json")
    transfer = tmp_path / "session.json"
    transfer.write_text(sent)
    desk = tmp_path / "desk"
    assert main(["import", str(transfer), "--data-dir", str(desk)]) == 0
    assert capsys.readouterr().out.startswith("imported session 1 of Tuesday group")
    assert main(["import", str(transfer), "--data-dir", str(desk)]) == 0
    assert "is here already, identical: nothing to do" in capsys.readouterr().out
    assert main(["verify", "--data-dir", str(desk)]) == 0
    assert "as signed" in capsys.readouterr().out
    assert SessionView(Store(desk), session_id).rendered("json") == sent
    locked = SessionReview(Store(desk), session_id)
    with pytest.raises(SignedOffError):
        locked.log.record(Observation, text="a late edit")
    locked.close()
    # A signed export changed on the way is refused before anything is written.
    transfer.write_text(sent.replace('"Tuesday group"', '"Wednesday group"'))
    assert main(["import", str(transfer), "--data-dir", str(tmp_path / "other")]) == 1
    assert "does not match its digest" in capsys.readouterr().err
    assert not (tmp_path / "other" / "sessions").exists() or not any(
        (tmp_path / "other" / "sessions").iterdir()
    )


@pytest.mark.parametrize(
    "text, said",
    [
        ("{not json", "not a cofacil session export"),
        ('{"format": "cofacil-session"}', "not a cofacil session export"),
    ],
)
def test_a_file_that_is_not_an_export_is_one_line(
    text: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    assert main(["import", str(bad), "--data-dir", str(tmp_path / "desk")]) == 1
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1


def test_a_sealed_transfer_file_opens_only_with_its_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    store, session_id = record(tmp_path / "tablet", [("speak", "m1"), ("observe", "m2")], True)
    sealed = tmp_path / "usb" / "session.cofacil"
    sealed.parent.mkdir()
    args = ["--data-dir", str(tmp_path / "tablet")]
    monkeypatch.setattr("sys.stdin", io.StringIO("carried by hand\n"))
    export = ["export", "--session", session_id, "--format", "json", "--seal", "-o", str(sealed)]
    assert main([*export, *args]) == 0
    raw = sealed.read_bytes()
    assert b"a note" not in raw and b"Tuesday" not in raw  # nothing readable on the way
    monkeypatch.setattr("sys.stdin", io.StringIO("a wrong passphrase\n"))
    assert main(["import", str(sealed), "--data-dir", str(tmp_path / "desk")]) == 1
    assert "wrong passphrase" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("carried by hand\n"))
    assert main(["import", str(sealed), "--data-dir", str(tmp_path / "desk")]) == 0
    assert SessionView(Store(tmp_path / "desk"), session_id).rendered("json") == (
        SessionView(store, session_id).rendered("json")
    )


def test_an_export_without_its_private_notes_is_not_taken_for_the_session(tmp_path: Path) -> None:
    steps = [("speak", "m1"), ("observe", "m2")]
    store, session_id = record(tmp_path / "tablet", steps, True)
    note = next(e for e in store.read_events(session_id) if isinstance(e, Observation))
    review = SessionReview(store, session_id)  # tagged #private later, as a therapist may
    review.log.record(Correction, target=note.id, action="amend", tags=["private"])
    review.close()
    partial = SessionView(store, session_id).rendered("json")
    assert json.loads(partial)["private_left_out"] == 1
    redacted = SessionView(store, session_id).rendered("md", redacted=True)
    assert "1 left out of this report" in redacted  # redaction leaves it out, and says so
    with pytest.raises(StoreError, match="#private notes were left out"):
        import_session(Store(tmp_path / "desk"), partial, "partial.json")
    whole = SessionView(store, session_id).rendered("json", include_private=True)
    assert not import_session(Store(tmp_path / "desk"), whole, "whole.json").already_here
