"""The built wheel carries the shipped content: data files, the stylesheet, the report's
template."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_data_and_styles(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("cofacil-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"cofacil/data/{p.name}" for p in (ROOT / "data").glob("*.toml")}
    assert shipped and shipped <= names
    assert "cofacil/cofacil.tcss" in names
    # The html report's template and stylesheet: `export --format html` needs both.
    assert {"cofacil/templates/report.html.j2", "cofacil/templates/report.css"} <= names
    assert any(n.endswith("entry_points.txt") for n in names)
