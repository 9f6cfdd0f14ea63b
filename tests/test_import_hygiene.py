"""The core imports nothing from Textual or Rich (DESIGN.md: a UI-free core, and a test keeps it
so).

The core is every module of the `cofacil` package but the UI: `screens/`, `widgets/`, `app.py`,
`commands.py` (the command palette's providers) and `terminal.py` (a Textual driver that reads
the terminal). `__main__.py` is core too: the command line loads Textual only when an app is
wanted (`make_app`), so `cofacil export` and `verify` never pay for it.

The check is at run time, as harlequin's `tests/unit_tests/test_import_hygiene.py` does it: a
fresh interpreter imports the modules and looks at `sys.modules`, so an import of Textual that
only happens through another module counts, and one deferred into a function does not. One
interpreter imports them all (half a second; one per module costs seconds); only when that
finds Textual or Rich is each module imported in a fresh interpreter of its own, all at once,
to name every module that pulls them in, and the chain of imports it does it through.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cofacil

PACKAGE = Path(cofacil.__file__).resolve().parent
UI = {"cofacil.screens", "cofacil.widgets", "cofacil.app", "cofacil.commands", "cofacil.terminal"}
FORBIDDEN = ("textual", "rich")

# Imports the modules named in argv; prints each forbidden package then loaded (in the order
# they came), with the chain of cofacil's modules that were being run when it was first
# imported, outermost first.
IMPORT = f"""
import importlib, json, sys

forbidden = set({FORBIDDEN!r})
chains = {{}}


class Watch:
    @staticmethod
    def find_spec(name, path=None, target=None):
        top = name.partition(".")[0]
        if top in forbidden and top not in chains:
            frame, chain = sys._getframe(1), []
            while frame is not None:
                module = frame.f_globals.get("__name__", "")
                if frame.f_code.co_name == "<module>" and module.partition(".")[0] == "cofacil":
                    chain.insert(0, module)
                frame = frame.f_back
            chains[top] = chain
        return None  # the usual finders import it


sys.meta_path.insert(0, Watch)
for name in sys.argv[1:]:
    importlib.import_module(name)
loaded = {{m.partition(".")[0] for m in sys.modules}} & forbidden
found = {{top: chain for top, chain in chains.items() if top in loaded}}
found.update({{top: [] for top in sorted(loaded - set(found))}})  # loaded before Watch was
print(json.dumps(found))
"""


def start_importing(*names: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", IMPORT, *names],
        cwd=PACKAGE.parent,  # the cofacil this test imported, not another installed one
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def loaded(importing: subprocess.Popen[str]) -> dict[str, list[str]]:
    """The forbidden packages the modules loaded, each with its chain of imports."""
    out, err = importing.communicate(timeout=120)
    assert importing.returncode == 0, err
    return json.loads(out)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_ui(name: str) -> bool:
    return any(name == ui or name.startswith(ui + ".") for ui in UI)


def core_modules() -> list[str]:
    names = {module_name(p) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    return sorted(name for name in names if not is_ui(name))


def test_the_core_holds_what_design_md_names_and_no_ui() -> None:
    core = core_modules()
    for name in ("cofacil.storage", "cofacil.models", "cofacil.dynamics", "cofacil.export"):
        assert name in core
    assert [m for m in core if m.startswith("cofacil.storage.")], "no storage module found"
    assert not [m for m in core if m.startswith(("cofacil.screens", "cofacil.widgets"))]


def test_no_core_module_imports_textual_or_rich() -> None:
    core = core_modules()
    if not loaded(start_importing(*core)):
        return
    each = {name: start_importing(name) for name in core}  # which ones: each on its own
    leaks = []
    for name, importing in each.items():
        if found := loaded(importing):
            first, chain = next(iter(found.items()))
            how = " -> ".join([*chain, first]) if chain else "loaded before any cofacil module"
            leaks.append(f"{name} imports {', '.join(found)}: {how}")
    raise AssertionError(
        "the core must not import Textual or Rich:\n"
        + ("\n".join(leaks) or "(only when all of them are imported together)")
    )
