"""Reading the terminal: a bracketed paste arrives whole, in order, whatever it holds.

Textual 8's parser (`textual._xterm_parser.XTermParser`) collects a bracketed paste
(`ESC[200~ … ESC[201~`) into one `Paste` event, but an ESC inside the pasted text sends it
looking for an escape sequence: what follows that ESC (up to the next ESC, or 32 characters)
is sent on as key presses, at once, while the text before the ESC waits for the end of the
paste. "one ESC[31mtwo three" reached the note line as the keys `^[31mtwo three`, then the
paste "one ": saved as "^[31mtwo threeone ". A line break after the ESC would even arrive as
Enter and save the note half-written, a second ESC as Escape and drop it.

`PasteParser` drops every ESC inside a paste before Textual's parser reads it (only the
closing `ESC[201~` passes), so the paste is one event with its text in order; the fields drop
its other control characters (see widgets/plain_text.py). Outside a paste, every byte passes
through untouched, so keys and their timing are Textual's own.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.drivers import linux_driver
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

ESC = "\x1b"


class PasteParser(XTermParser):
    def __init__(self, debug: bool = False) -> None:
        self._in_paste = False
        self._start_seen = 0  # how much of BRACKETED_PASTE_START was last read, outside a paste
        self._end_held = ""  # in a paste: what may be the start of BRACKETED_PASTE_END
        super().__init__(debug)

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # the end of input
            return super().feed(data)
        kept = self._without_pasted_escapes(data)
        # All of it may be held back (the start of a paste's end): "" would end the input.
        return super().feed(kept) if kept else ()

    def _without_pasted_escapes(self, data: str) -> str:
        out: list[str] = []
        for ch in data:
            if not self._in_paste:
                out.append(ch)
                if ch == BRACKETED_PASTE_START[self._start_seen]:
                    self._start_seen += 1
                    if self._start_seen == len(BRACKETED_PASTE_START):
                        self._in_paste, self._start_seen = True, 0
                else:
                    self._start_seen = 1 if ch == ESC else 0
                continue
            held = self._end_held + ch
            if BRACKETED_PASTE_END.startswith(held):
                self._end_held = held
                if held == BRACKETED_PASTE_END:  # the paste ends: Textual reads its end
                    out.append(held)
                    self._in_paste, self._end_held = False, ""
            elif ch == ESC:  # an ESC in the text: the one held is dropped, this one waits
                out.append(self._end_held[1:])
                self._end_held = ESC
            else:  # text that only began like the end: kept, without its ESC
                out.append(held[1:] if self._end_held else ch)
                self._end_held = ""
        return "".join(out)


class PasteSafeDriver(LinuxDriver):
    """Textual's driver for Linux and macOS, reading with `PasteParser`."""

    def run_input_thread(self) -> None:
        # Textual 8 builds its parser inside this method, by this module-level name: there is
        # no other way in short of copying the method.
        linux_driver.XTermParser = PasteParser  # type: ignore[misc]
        super().run_input_thread()
