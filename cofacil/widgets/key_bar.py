"""The live screen's line of keys: what Textual's Footer shows, drawn by one widget.

Textual's Footer builds a widget for every key and restyles each of them twice as it mounts
(and again whenever the keys change): on the live screen that was a fifth of the work before
its first frame. Here the keys are laid out as text (`layout`, no Textual) and drawn in one
pass; a click (or a tap) on a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.screen import Screen
from textual.widget import Widget

SEPARATOR = "▏"  # before the command palette's key, as in Textual's Footer


@dataclass(frozen=True)
class Shown:
    """A key as the line shows it: `key` as Textual names it (pressed on a click), what is
    written for it, what it does, and whether it can be pressed now."""

    key: str
    display: str
    label: str
    enabled: bool = True


def layout(
    keys: list[Shown], palette: Shown | None, width: int
) -> tuple[list[tuple[int, Shown]], tuple[int, Shown] | None]:
    """Where each key starts on a line `width` cells wide: whole keys, left to right, as many as
    fit (a key is never cut); the palette's key at the right end when it fits after them."""
    placed: list[tuple[int, Shown]] = []
    x = 0
    for key in keys:
        cells = _cells(key)
        if x + cells > width:
            break
        placed.append((x, key))
        x += cells
    if palette is not None:
        start = width - _cells(palette)
        if start - cell_len(SEPARATOR) >= x:
            return placed, (start, palette)
    return placed, None


def pressed_at(placed: list[tuple[int, Shown]], x: int) -> Shown | None:
    """The key a click at column `x` presses: the one drawn there, if it can be pressed now."""
    for start, key in placed:
        if start <= x < start + _cells(key):
            return key if key.enabled else None
    return None


def _cells(key: Shown) -> int:
    """Its cells on the line: ` key ` then `label `."""
    return cell_len(key.display) + cell_len(key.label) + 3


class KeyBar(Widget):
    """The screen's bindings marked to be shown, as `key Label` pairs; a key that cannot be
    pressed now is dimmed. Redrawn when the screen's keys change (`refresh_bindings`)."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--label {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--separator {
        color: $foreground 20%;
    }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--label", "key-bar--separator"}
    # A key may be tapped twice on purpose (`u` undoes again): that must not select the line,
    # nor a third tap the whole screen and its notes.
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._placed: list[tuple[int, Shown]] = []  # as last drawn: what a click lands on

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._keys_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _keys_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def _shown(self) -> tuple[list[Shown], Shown | None]:
        """The screen's keys to show, in its order, and the command palette's key."""
        active = self.screen.active_bindings
        keys = [
            Shown(binding.key, self.app.get_key_display(binding), binding.description, enabled)
            for _node, binding, enabled, _tooltip in active.values()
            if binding.show
        ]
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is None or not self.app.ENABLE_COMMAND_PALETTE:
            return keys, None
        _node, binding, enabled, _tooltip = palette
        display = self.app.get_key_display(binding)
        return keys, Shown(binding.key, display, binding.description, enabled)

    def render(self) -> RenderResult:
        keys, palette = self._shown()
        placed, palette_at = layout(keys, palette, self.size.width)
        self._placed = placed + ([palette_at] if palette_at else [])
        key_style = self.get_component_rich_style("key-bar--key")
        label_style = self.get_component_rich_style("key-bar--label")
        line = Text(no_wrap=True, overflow="crop", end="")

        def append(key: Shown) -> None:  # as `_cells` counts it: ` key ` then `label `
            dim = Style(dim=not key.enabled)
            line.append(f" {key.display} ", key_style + dim)
            line.append(f"{key.label} ", label_style + dim)

        for _x, key in placed:
            append(key)
        if palette_at is not None:
            start, key = palette_at
            line.append(" " * (start - cell_len(SEPARATOR) - line.cell_len))
            line.append(SEPARATOR, self.get_component_rich_style("key-bar--separator"))
            append(key)
        return line

    def on_click(self, event: events.Click) -> None:
        key = pressed_at(self._placed, event.x)
        if key is not None:
            event.stop()
            self.app.simulate_key(key.key)
