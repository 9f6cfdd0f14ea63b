"""The real `cofacil` command, on bad input: every line it writes on stderr shows what it quotes
with its control characters made visible; a passphrase that is not UTF-8, or a data folder that
is not cofacil's, is one line and a non-zero exit, and nothing on disk changes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOT_COFACILS

from cofacil.demo import ensure_demo_group
from cofacil.storage import Store, enable_encryption

COFACIL = str(Path(sys.executable).with_name("cofacil"))
OSC52 = "\x1b]52;c;SGVsbG8=\x07"  # a clipboard write, as a tester typed it
OSC52_SHOWN = "␛]52;c;SGVsbG8=␇"  # as `display.visible` shows it
PASSPHRASE = "a long shared phrase"
FAST = 10  # scrypt 2^10 in tests
NOT_UTF8 = b"\xff\xfe caf\xe9 passphrase\n"
# How stdin decodes bytes that are not UTF-8: into lone surrogates, or an error.
STDIN_MODES = {
    "surrogateescape": {"PYTHONUTF8": "1"},
    "strict": {"PYTHONIOENCODING": "utf-8:strict"},
}


def run(
    *args: str,
    stdin: bytes = b"",
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """The command with bytes in and out, so no escape is lost (or added) by decoding."""
    base = {k: v for k, v in os.environ.items() if k not in ("COFACIL_DATA_DIR", "PYTHONUTF8")}
    return subprocess.run(
        [COFACIL, *args],
        input=stdin,
        capture_output=True,
        timeout=30,  # a folder wrongly taken would start the app: fail instead of hanging
        cwd=cwd,
        env={**base, **(env or {})},
        check=False,
    )


def assert_harmless(stderr: bytes) -> str:
    """No control character but the line ends reaches the terminal; the text, decoded."""
    text = stderr.decode("utf-8")
    assert not [ch for ch in text if ord(ch) < 0x20 and ch != "\n"], text
    assert not [ch for ch in text if 0x7F <= ord(ch) < 0xA0], text
    return text


def assert_one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    text = assert_harmless(result.stderr)
    assert result.returncode != 0
    assert "Traceback" not in text
    assert len(text.strip().splitlines()) == 1, text
    assert result.stdout == b""
    return text


def snapshot(path: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under `path` (and `path` itself): its mode, and a file's bytes."""
    entries = [path, *path.rglob("*")] if path.is_dir() else [path]
    return {
        str(p.relative_to(path)) if p != path else ".": (
            p.lstat().st_mode,
            p.read_bytes() if p.is_file() else None,
        )
        for p in entries
    }


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    ensure_demo_group(Store(tmp_path / "data"))
    return tmp_path / "data"


# --- what is quoted cannot steer the terminal --------------------------------------------------


def test_a_typed_session_id_is_shown_not_sent_to_the_terminal(demo_dir: Path) -> None:
    result = run("export", "--session", OSC52, "--format", "md", "--data-dir", str(demo_dir))
    assert result.returncode == 3
    assert b"\x1b" not in result.stderr and b"\x07" not in result.stderr
    assert assert_harmless(result.stderr) == f"cofacil: no session with id {OSC52_SHOWN}\n"


def test_an_unknown_argument_is_shown_not_sent_to_the_terminal(tmp_path: Path) -> None:
    result = run("export", "--format", "md", OSC52, "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert OSC52_SHOWN in assert_one_line_error(result)


def _attendance_key(index: Path) -> None:
    """A session whose attendance names a member by a key that holds an escape; the file's
    checksum table is dropped, as a file from before checksums has none, so it is read."""
    doc = json.loads(index.read_bytes())
    doc.pop("_integrity", None)
    session = doc["sessions"]["1"]
    session["attendance"][OSC52] = next(iter(session["attendance"].values()))
    index.write_text(json.dumps(doc))


def test_a_notice_quoting_a_damaged_file_is_shown_not_sent_to_the_terminal(
    demo_dir: Path,
) -> None:
    _attendance_key(demo_dir / "cofacil.json")
    result = run("export", "--format", "md", "--data-dir", str(demo_dir))
    assert result.returncode == 0, result.stderr  # the last good copy is read instead
    assert b"\x1b" not in result.stderr and b"\x07" not in result.stderr
    notice = assert_harmless(result.stderr).splitlines()[0]
    assert notice.startswith("cofacil: recovered: ")
    # The value is quoted as an escaped Python string, or shown with ␛: never sent raw.
    assert OSC52_SHOWN in notice or "'\\x1b]52;c;SGVsbG8=\\x07'" in notice


def test_a_path_is_shown_not_sent_to_the_terminal(tmp_path: Path) -> None:
    data = tmp_path / f"data{OSC52}"
    ensure_demo_group(Store(data))
    (data / "cofacil.json").write_bytes(b"")  # damaged: its notice names the file's path
    out = tmp_path / f"report{OSC52}.md"
    result = run("export", "--format", "md", "-o", str(out), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    lines = assert_harmless(result.stderr).splitlines()
    assert lines[0].startswith(f"cofacil: recovered: {tmp_path}/data{OSC52_SHOWN}/cofacil.json")
    assert lines[-1] == f"wrote {tmp_path}/report{OSC52_SHOWN}.md"
    assert out.exists()
    missing = run("export", "--format", "md", "--data-dir", str(tmp_path / f"gone{OSC52}"))
    assert OSC52_SHOWN in assert_one_line_error(missing)


# --- a passphrase that is not UTF-8 ------------------------------------------------------------


@pytest.mark.parametrize("mode", STDIN_MODES)
def test_a_passphrase_that_is_not_utf8_is_one_line_when_unlocking(
    mode: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    ensure_demo_group(Store(data))
    Store(data, codec=enable_encryption(data, PASSPHRASE, log2n=FAST))  # sealed, as in use
    before = snapshot(data)
    result = run(
        "export", "--format", "md", "--data-dir", str(data), stdin=NOT_UTF8, env=STDIN_MODES[mode]
    )
    assert "UTF-8" in assert_one_line_error(result)
    assert snapshot(data) == before


@pytest.mark.parametrize("mode", STDIN_MODES)
def test_a_passphrase_that_is_not_utf8_is_one_line_when_encrypting(
    mode: str, demo_dir: Path
) -> None:
    before = snapshot(demo_dir)
    result = run(
        "--encrypt",
        "export",
        "--format",
        "md",
        "--data-dir",
        str(demo_dir),
        stdin=NOT_UTF8,
        env=STDIN_MODES[mode],
    )
    assert "UTF-8" in assert_one_line_error(result)
    assert snapshot(demo_dir) == before


# --- a data folder that is not cofacil's -------------------------------------------------------


FOLDERS = NOT_COFACILS
COMMANDS = {"demo": ("demo",), "export": ("export", "--format", "md"), "review": ("review",)}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_that_is_not_cofacils_is_refused_untouched(
    folder: str, command: str, tmp_path: Path
) -> None:
    target = FOLDERS[folder](tmp_path)
    before = snapshot(target)
    result = run(*COMMANDS[command], "--data-dir", str(target))
    assert_one_line_error(result)
    assert snapshot(target) == before
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(before["."][0])


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_data_dir_is_refused_not_taken_as_the_current_folder(
    command: str, tmp_path: Path
) -> None:
    here = NOT_COFACILS["a folder of other files"](tmp_path)
    before = snapshot(here)
    result = run(*COMMANDS[command], "--data-dir", "", cwd=here)
    assert "--data-dir" in assert_one_line_error(result)
    assert snapshot(here) == before


@pytest.mark.parametrize("folder", ["an empty shared sticky folder", "a plain file"])
def test_encrypt_refuses_a_folder_that_is_not_cofacils_before_asking(
    folder: str, tmp_path: Path
) -> None:
    target = FOLDERS[folder](tmp_path)
    before = snapshot(target)
    # Too short a passphrase: had it been read first, that would be the message.
    result = run("--encrypt", "demo", "--data-dir", str(target), stdin=b"x\n")
    text = assert_one_line_error(result)
    assert "passphrase" not in text.lower()  # refused before one was asked for
    assert snapshot(target) == before


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--format", "md"),
        ("review",),
        ("--encrypt", "export", "--format", "md"),
    ],
)
def test_reading_commands_never_make_a_data_folder(args: tuple[str, ...], tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    result = run(*args, "--data-dir", str(missing), stdin=PASSPHRASE.encode() + b"\n")
    assert "no cofacil data folder" in assert_one_line_error(result)
    assert not missing.exists()
    assert sorted(tmp_path.iterdir()) == []


def test_reading_an_empty_folder_leaves_it_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o755)
    before = snapshot(empty)
    for args in (("export", "--format", "md"), ("review",)):
        assert_one_line_error(run(*args, "--data-dir", str(empty)))
        assert snapshot(empty) == before


@pytest.mark.parametrize("command", ["import", "verify"])
@pytest.mark.parametrize("source", ["huge", "endless"])
def test_a_file_far_larger_than_any_export_is_refused_before_it_is_read_whole(
    demo_dir: Path, tmp_path: Path, command: str, source: str
) -> None:
    """A device or a disk image given as an export: one line, and the folder as it was (it
    used to be read whole: gigabytes of memory, then the process killed)."""
    if source == "huge":
        path = tmp_path / "huge.json"
        with open(path, "wb") as file:
            file.truncate(65 * 1024 * 1024)  # sparse: no disk used
    else:
        path = Path("/dev/zero")
    before = snapshot(demo_dir)
    text = assert_one_line_error(run(command, str(path), "--data-dir", str(demo_dir)))
    assert f"{path}: not a cofacil session export (larger than 64 MB)" in text
    assert snapshot(demo_dir) == before
