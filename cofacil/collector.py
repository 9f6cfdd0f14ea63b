"""Pausing Python's cycle collector while a large structure is built.

Reading a long log, or working out a group's course from every session, makes tens of
thousands of objects that either live on together or die by reference counting. The
collector's passes in the middle find nothing to free, yet each full pass walks everything
alive (a year of sessions): paused, the same work takes the same time at every size.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside (as a `with` or as a decorator), as it was after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_starting = False  # the collector is paused for the start-up (`pause_for_start`)


def pause_for_start() -> None:
    """From the program's first import to its first frame the collector waits: starting
    allocates hundreds of thousands of objects (modules, styles, the log, the screen) that
    live on, and each of its passes in the middle walks them all and finds little to free.
    Ended by `end_start`: at the first frame, after `settle`, so that what the start made is
    never walked again; when the app stops; or when a command that is not the app begins."""
    global _starting
    if gc.isenabled():
        gc.disable()
        _starting = True


def end_start() -> None:
    """The collector runs again, if `pause_for_start` paused it."""
    global _starting
    if _starting:
        _starting = False
        gc.enable()


def settle() -> None:
    """Everything alive now lives on (the modules, an open session's log, the screen drawn):
    frozen, the collector's passes never walk it again, so a pass in the middle of a key costs
    the same at minute 170 as at minute 1."""
    gc.freeze()


def unsettle() -> None:
    """What was frozen can be collected again (a live screen closed, an app ended): cycles
    among what died since are freed by the collector's next passes, not kept for good."""
    gc.unfreeze()
