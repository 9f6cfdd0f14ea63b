"""Every key's action in the command palette too, named as in the footer.

A facilitator who forgets a key (or has no key for it on a tablet) finds the action by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.app import SystemCommand
from textual.screen import Screen


def screen_commands(screen: Screen[object]) -> Iterable[SystemCommand]:
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not active.enabled or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        shown = binding.key_display or screen.app.get_key_display(binding)
        yield SystemCommand(
            binding.description,
            f"key: {shown or key}",
            partial(active.node.run_action, binding.action),
        )
