"""The real `cofacil` command: exit codes and one-line messages, never a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import on_a_terminal

from cofacil.demo import ensure_demo_group, start_demo_session
from cofacil.export import CSV_COLUMNS, from_json
from cofacil.live import LiveSession
from cofacil.storage import Store

COFACIL = str(Path(sys.executable).with_name("cofacil"))


def run(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COFACIL_DATA_DIR"}
    if data_dir is not None:
        env["COFACIL_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [COFACIL, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    ensure_demo_group(Store(tmp_path / "data"))
    return tmp_path / "data"


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("cofacil ")
    helped = run("--help")
    assert helped.returncode == 0
    for command in ("demo", "export", "--data-dir"):
        assert command in helped.stdout


def test_python_dash_m_works_too() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cofacil", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("cofacil ")


@pytest.mark.parametrize(
    "args",
    [
        ("--bogus",),
        ("export",),  # --format (or --per-member) is required
        ("export", "--format", "pdf"),
        ("frobnicate",),
    ],
)
def test_bad_arguments_are_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    result = run(*args, "--data-dir", str(tmp_path))
    assert_one_line_error(result)
    assert result.returncode == 2


def test_export_with_no_sessions(tmp_path: Path) -> None:
    Store(tmp_path / "d")  # a cofacil folder, nothing in it yet
    result = run("export", "--format", "md", "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result)
    assert "no sessions" in result.stderr


def test_export_makes_no_data_folder(tmp_path: Path) -> None:
    result = run("export", "--format", "md", "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result)
    assert result.stderr == f"cofacil: there is no cofacil data folder at {tmp_path / 'd'}\n"
    assert not (tmp_path / "d").exists()


def test_unknown_session(demo_dir: Path) -> None:
    result = run("export", "--session", "nope", "--format", "json", data_dir=demo_dir)
    assert_one_line_error(result)
    assert "nope" in result.stderr


def test_unwritable_data_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("export", "--format", "md", "--data-dir", str(blocker / "data"))
    assert_one_line_error(result)
    assert "data folder" in result.stderr


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir(mode=0o700)
    db = data / "cofacil.json"
    db.write_text(json.dumps({"groups": {"1": {"v": 99, "name": "x"}}}))
    before = db.read_bytes()
    result = run("export", "--format", "md", "--data-dir", str(data))
    assert_one_line_error(result)
    assert "newer cofacil" in result.stderr
    assert db.read_bytes() == before


def test_json_export_round_trips(demo_dir: Path, tmp_path: Path) -> None:
    store = Store(demo_dir)
    first = store.sessions()[0]
    out = tmp_path / "out" / "s.json"
    out.parent.mkdir()
    result = run(
        "export", "--session", first.id, "--format", "json", "-o", str(out), data_dir=demo_dir
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    group, session, events = from_json(out.read_text())
    assert session == first
    assert group == store.group(first.group_id)
    assert events == store.read_events(first.id)


def test_csv_and_md_exports(demo_dir: Path) -> None:
    csv_out = run("export", "--format", "csv", data_dir=demo_dir)
    assert csv_out.returncode == 0, csv_out.stderr
    header, *rows = csv_out.stdout.splitlines()
    assert header.split(",") == list(CSV_COLUMNS)
    assert len(rows) > 100
    md_out = run("export", "--format", "md", data_dir=demo_dir)
    assert md_out.returncode == 0
    assert "## Flags" in md_out.stdout and "Priya" in md_out.stdout
    assert "- Quiet 10 min or longer while in the room: Omar 49:58, " in md_out.stdout
    (demo_dir / "nudges.toml").write_text("quiet_minutes = 20\n")  # the therapist's own
    md_out = run("export", "--format", "md", data_dir=demo_dir)
    assert "- Quiet 20 min or longer while in the room: Omar 49:58, Kit 20:00\n" in md_out.stdout


def test_demo_refused_while_another_cofacil_records_it(tmp_path: Path) -> None:
    from cofacil.demo import start_demo_session

    store = Store(tmp_path / "d")
    session = start_demo_session(store)
    with store.open_log(session.id):
        returncode, said = on_a_terminal([COFACIL, "demo", "--data-dir", str(tmp_path / "d")])
    assert returncode != 0 and said.count("\n") == 1 and "Traceback" not in said
    assert "another cofacil" in said


def test_damaged_index_is_reported_and_moved_aside(demo_dir: Path) -> None:
    (demo_dir / "cofacil.json").write_bytes(b"")
    result = run("export", "--format", "md", data_dir=demo_dir)
    assert "recovered" in result.stderr and "0 bytes" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(demo_dir.glob("cofacil.json.damaged-*"))
    assert result.returncode == 0  # the last good copy had the sessions


def test_a_planted_symlink_is_replaced_not_followed(demo_dir: Path, tmp_path: Path) -> None:
    """An export written where someone planted a symlink replaces the link; the file it
    pointed to is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("do not overwrite")
    out = tmp_path / "report.md"
    out.symlink_to(victim)
    result = run("export", "--format", "md", "-o", str(out), data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "do not overwrite"
    assert not out.is_symlink() and stat.S_IMODE(out.stat().st_mode) == 0o600


def test_the_command_offers_exactly_the_export_formats() -> None:
    from cofacil import export
    from cofacil.__main__ import EXPORT_FORMATS

    assert EXPORT_FORMATS == export.FORMATS


def test_an_export_never_writes_over_the_data_folder(demo_dir: Path) -> None:
    index = demo_dir / "cofacil.json"
    before = index.read_bytes()
    result = run("export", "--format", "md", "-o", str(index), data_dir=demo_dir)
    assert result.returncode == 1
    assert result.stderr.startswith("cofacil: will not write") and "exports" in result.stderr
    assert index.read_bytes() == before


def test_a_session_can_be_named_by_its_number(demo_dir: Path) -> None:
    result = run("export", "--format", "md", "--session", "2", data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Thursday evening support group — session 2")
    missing = run("export", "--format", "md", "--session", "9", data_dir=demo_dir)
    assert missing.returncode == 3 and missing.stderr == "cofacil: no session with id 9\n"


def test_latest_is_the_newest_session_held_not_one_just_opened(demo_dir: Path) -> None:
    """Opening the demo (or a new session) and leaving it, at once or after a few turns, must
    not hide the session that was held and ended from `review` and `export`."""
    from cofacil.demo import start_demo_session
    from cofacil.live import LiveSession

    store = Store(demo_dir)
    held = max(store.sessions(), key=lambda s: s.number)
    opened = start_demo_session(store)  # a new session, nothing recorded in it yet
    assert opened.number == held.number + 1
    result = run("export", "--format", "md", data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# Thursday evening support group — session {held.number}\n")
    live = LiveSession(store, opened.id)  # ten seconds of it, then left open (q)
    live.speak(opened.seats[0])
    live.close()
    result = run("export", "--format", "md", data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# Thursday evening support group — session {held.number}\n")
    assert result.stderr == (  # the one passed over is not passed over unnoticed
        f"cofacil: session {opened.number} has not been ended; this is session {held.number} "
        f"(--session {opened.number} for the other)\n"
    )


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_an_export_reads_the_same_on_every_run(demo_dir: Path, fmt: str) -> None:
    """Two runs of the same export give the same bytes (the order of members who did not
    speak once followed Python's hash seed)."""
    store = Store(demo_dir)
    live = LiveSession(store, start_demo_session(store).id)
    live.speak(live.keys["1"])  # the seven others are not heard
    live.end()
    live.close()
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "COFACIL_DATA_DIR": str(demo_dir), "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [COFACIL, "export", "--session", "3", "--format", fmt],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_groups_and_sessions_are_listed_and_a_group_is_found_by_its_name(
    demo_dir: Path, tmp_path: Path
) -> None:
    groups = run("groups", data_dir=demo_dir)
    assert groups.returncode == 0, groups.stderr
    assert "Thursday evening support group" in groups.stdout and "sessions" in groups.stdout
    sessions = run("sessions", "--group", "thursday evening support group", data_dir=demo_dir)
    assert sessions.returncode == 0, sessions.stderr
    lines = sessions.stdout.splitlines()
    assert lines and all("Thursday evening support group  #" in line for line in lines)
    assert any(line.endswith("  ended") for line in lines)
    unknown = run("sessions", "--group", "Monday", data_dir=demo_dir)
    assert unknown.returncode == 3 and "no group called or with id 'Monday'" in unknown.stderr
    # --all by the group's name, several formats at once, one file-name pattern.
    out = tmp_path / "out"
    result = run(
        "export",
        "--all",
        "--group",
        "Thursday evening support group",
        "--format",
        "md,csv",
        "-o",
        str(out),
        data_dir=demo_dir,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names and all(n.split("-session-")[0].count("-") == 2 for n in names)  # date first
    assert {n.rsplit(".", 1)[1] for n in names} == {"md", "csv"}
    one = run("export", "--format", "md,csv", data_dir=demo_dir)
    assert one.returncode == 1 and "one format at a time" in one.stderr


def test_export_html_for_a_supervisor(demo_dir: Path, tmp_path: Path) -> None:
    """`--format html --redact`: one private file, no member's or facilitator's name; several
    formats at once with `--all`; an unknown format named in one line."""
    out = tmp_path / "report.html"
    result = run("export", "--format", "html", "--redact", "-o", str(out), data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    group = Store(demo_dir).group("demo-group")
    for name in (*(m.name for m in group.members), group.lead, group.cofac):
        assert f">{name}<" not in page and f" {name} " not in page, name
    folder = tmp_path / "all"
    result = run(
        "export",
        "--all",
        "--group",
        "demo-group",
        "--format",
        "md,html",
        "-o",
        str(folder),
        data_dir=demo_dir,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.suffix for p in folder.iterdir()) == [".html", ".html", ".md", ".md"]
    wrong = run("export", "--format", "pdf", data_dir=demo_dir)
    assert_one_line_error(wrong)
    assert "json, csv, md or html" in wrong.stderr


def test_the_app_without_a_terminal_says_so_and_opens_nothing(demo_dir: Path) -> None:
    """Started with no terminal (a script, a service, a pipe, a closed input), the app would
    wait for keys it can never read: one line and an exit instead, before any session is
    opened (one opened and let go would record a gap that never was)."""
    before = {p: p.read_bytes() for p in demo_dir.rglob("*") if p.is_file()}
    for args in (("demo",), ("review",), ()):
        result = run(*args, data_dir=demo_dir)
        assert_one_line_error(result)
        assert result.returncode == 2 and "needs a terminal" in result.stderr
    closed = subprocess.run(  # standard input closed altogether
        [COFACIL, "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COFACIL_DATA_DIR": str(demo_dir)},
        check=False,
        preexec_fn=lambda: os.close(0),
    )
    assert_one_line_error(closed)
    assert "needs a terminal" in closed.stderr
    after = {p: p.read_bytes() for p in demo_dir.rglob("*") if p.is_file()}
    assert after == before  # no session made or opened, nothing written
