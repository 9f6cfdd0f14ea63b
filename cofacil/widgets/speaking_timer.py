"""Who is speaking and for how long, in large digits; the session clock; a go-round's cue."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits

from cofacil.display import duration, nearest, visible
from cofacil.live_view import TimerState
from cofacil.widgets.shown_text import ShownText


class SpeakingTimer(Vertical):
    DEFAULT_CSS = """
    SpeakingTimer { height: auto; padding: 0 1; }
    SpeakingTimer #timer-who { text-style: bold; }
    SpeakingTimer Digits { width: auto; }
    SpeakingTimer.-silence Digits { color: $text-muted; }
    SpeakingTimer.-over Digits { color: $warning; }
    SpeakingTimer.-paused Digits { color: $text-muted; }
    SpeakingTimer #timer-clock { color: $text-muted; }
    SpeakingTimer #timer-round { color: $primary; text-style: bold; }
    SpeakingTimer.-over #timer-round { color: $warning; }
    SpeakingTimer #timer-gap { color: $warning; }
    """

    def compose(self) -> ComposeResult:
        yield ShownText(id="timer-who")
        yield Digits("0:00", id="timer-digits")
        yield ShownText(id="timer-clock")
        yield ShownText(id="timer-round")
        yield ShownText(id="timer-gap")

    def show(self, state: TimerState) -> None:
        if state.ended:
            who = "Session ended"
        elif state.paused:
            who = "Break · p resumes"
        elif state.speaker is None:
            who = "Silence"
        else:
            who = f"Speaking: {visible(state.speaker)}"
        self.query_one("#timer-who", ShownText).show(Text(who))
        digits = self.query_one("#timer-digits", Digits)
        if digits.value != duration(state.turn):
            digits.update(duration(state.turn))
        # In whole seconds: the time shown as elapsed and the time left add up to the plan.
        remaining = nearest(state.planned) - nearest(state.elapsed)
        left = f"{duration(remaining)} left" if remaining >= 0 else f"{duration(-remaining)} over"
        clock = f"{duration(state.elapsed)} of {duration(state.planned)} · {left}"
        self.query_one("#timer-clock", ShownText).show(Text(clock))
        round_line = self.query_one("#timer-round", ShownText)
        round_line.show(Text(state.round_line))
        round_line.display = bool(state.round_line)
        gap = self.query_one("#timer-gap", ShownText)
        gap.show(Text(state.gap))
        gap.display = bool(state.gap)
        self.set_class(state.speaker is None and not state.paused, "-silence")
        self.set_class(state.paused, "-paused")
        self.set_class(state.over_budget, "-over")
