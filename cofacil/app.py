"""The Textual app: app-wide keys, stylesheet, and the first screen."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from rich.console import RenderableType
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen

from cofacil import collector
from cofacil.commands import screen_commands
from cofacil.display import visible
from cofacil.live import LiveSession, SessionView
from cofacil.screens.session_screen import SessionScreen
from cofacil.storage import Store
from cofacil.widgets.plain_text import PlainInput

# Textual's own commands that have no place here: a screenshot writes the screen (notes,
# names) to an unprotected file in the working folder; a bell must never ring in the room.
UNWANTED_COMMANDS = frozenset({"Screenshot", "Bell"})


class CofacilApp(App[None]):
    TITLE = "cofacil"
    CSS_PATH = "cofacil.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self, store: Store, live: LiveSession | None = None, review: SessionView | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self._live = live
        self._review = review  # a session to open for review, read
        self._leaving = False  # the app was told to exit: see `on_event`

    def show_home(self) -> None:
        from cofacil.screens.home_screen import HomeScreen  # not needed to open a live session

        if len(self.screen_stack) > 1:
            self.switch_screen(HomeScreen(self.store))
        else:
            self.push_screen(HomeScreen(self.store))

    def _fatal_error(self) -> None:
        # Textual's crash report rings the terminal bell and lists local variables, which can
        # hold a note's text: in a therapy room, neither. The same report without them.
        from rich.segment import Segments
        from rich.traceback import Traceback

        report = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    async def action_quit(self) -> None:
        # Quitting passes the same guard as leaving the screen: in the room, unsaved events
        # are never dropped on the first press; on a member's note, what was written is saved.
        may_leave = getattr(self.screen, "may_leave", None)
        if may_leave is not None and not may_leave():
            return
        await super().action_quit()

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        self._leaving = True
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        # Keys read together with the one that quit (`q` then `n`) would start what the closing
        # app never finishes building (a form with no fields, and a crash on the way out).
        if self._leaving and isinstance(event, events.Key):
            return
        await super().on_event(event)

    def bell(self) -> None:
        """Silent. Textual rings the terminal's bell for a key clicked while disabled in a footer,
        a character a field refuses, a stylesheet that fails: in a therapy room, never a sound."""

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if sys.platform == "win32":  # Textual reads a Windows console with its own driver
            return driver
        from textual.drivers.linux_driver import LinuxDriver

        from cofacil.terminal import PasteSafeDriver

        # Textual's driver for Linux and macOS, reading a paste that holds an ESC in order.
        return PasteSafeDriver if driver is LinuxDriver else driver

    def on_plain_input_refused(self, message: PlainInput.Refused) -> None:
        # A field's limit, when the screen holding the field does not show it in place.
        self.notify(message.reason, severity="warning", markup=False)

    def on_unmount(self) -> None:
        collector.end_start()  # the app ends before its first frame
        collector.unsettle()  # another app in this process (a test run) starts afresh

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from screen_commands(screen)
        for command in super().get_system_commands(screen):
            if command.title not in UNWANTED_COMMANDS:
                yield command

    def on_load(self) -> None:
        # Building the first screen allocates much and frees little: the collector waits
        # until that screen is drawn (if the start has not paused it already: see make_app).
        collector.pause_for_start()

    def _resume_collecting(self) -> None:
        # What is alive at the first frame (the modules, the log, the screen) lives on:
        # frozen first, so the collector's first pass does not walk all of it.
        collector.settle()
        collector.end_start()

    def on_mount(self) -> None:
        self.call_after_refresh(self._resume_collecting)
        self.theme = "textual-dark"
        if self._live is not None:
            # Straight into the room: the home screen is built only when it is wanted.
            self.push_screen(SessionScreen(self._live))
        else:
            self.show_home()
            if self._review is not None:
                from cofacil.screens.review_screen import ReviewScreen

                self.push_screen(ReviewScreen(self._review))
        for notice in self.store.notices:
            # A notice may quote a damaged file's content: shown, never sent to the terminal.
            self.notify(
                visible(notice), title="Recovered", severity="warning", timeout=30, markup=False
            )
        self.store.notices.clear()
