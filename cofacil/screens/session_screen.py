"""The live session: the co-facilitator's screen for the whole group.

Every key records an event through `LiveSession` (fsynced) before anything on screen changes;
the screen then redraws from the log through the dynamics module. A clock tick once a second
updates only the circle and the timer. Opened on a session another cofacil is recording, the
same screen follows it read-only.
"""

from __future__ import annotations

from dataclasses import replace

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cofacil import dynamics, notes
from cofacil.display import duration, visible
from cofacil.live import LiveSession, SessionView
from cofacil.models import (
    COFAC,
    LEAD,
    CodedEvent,
    Flag,
    Interruption,
    Observation,
    Paused,
    Reopened,
    TechniqueUsed,
)
from cofacil.nudges import Suggestion, suggest
from cofacil.screens.end_screen import EndScreen
from cofacil.screens.help_screen import HelpScreen
from cofacil.widgets.deck_pane import DeckPane, DeckState
from cofacil.widgets.member_circle import MemberCircle, Seat
from cofacil.widgets.note_bar import NoteBar
from cofacil.widgets.observation_pane import NoteLine, ObservationPane
from cofacil.widgets.speaking_timer import SpeakingTimer, TimerState

WRITING_ACTIONS = {
    "silence", "speak", "interrupt", "observe", "flag", "code", "round", "next_in_round",
    "arrival", "undo", "pause", "end", "use_card", "dismiss_nudge",
}  # fmt: skip


ROUND_KINDS = {"i": "check-in", "o": "check-out", "r": "round"}
DIGITS = "0123456789"


class SessionScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (76, "-wide"), (110, "-very-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    BINDINGS = [
        Binding("o", "observe", "Note"),
        Binding("f", "flag", "Flag"),
        Binding("space", "silence", "Silence"),
        Binding("l", "speak('lead')", "Lead", show=False),
        Binding("c", "speak('cofac')", "Co-fac", show=False),
        Binding("i", "interrupt", "Cut in", show=False),
        Binding("k", "code", "Code", show=False),
        Binding("g", "round", "Go-round", show=False),
        Binding("n", "next_in_round", "Next", show=False),
        Binding("a", "arrival", "Arrive/leave", show=False),
        Binding("t", "use_card('lead')", "Used", show=False),
        Binding("T", "use_card('cofac')", "Used by co-fac", show=False),
        Binding("x", "dismiss_nudge", "Dismiss", show=False),
        Binding("left_square_bracket", "card(-1)", "Previous card", key_display="[", show=False),
        Binding("right_square_bracket", "card(1)", "Next card", key_display="]", show=False),
        Binding("slash", "find_card", "Find card", key_display="/", show=False),
        Binding("u", "undo", "Undo"),
        Binding("p", "pause", "Break", show=False),
        Binding("e", "end", "End", show=False),
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("q", "leave", "Leave"),
    ]

    def __init__(self, live: SessionView) -> None:
        super().__init__()
        self.live = live
        # "interrupt", "arrival", "code" or "round": the next key's job
        self.pending: str | None = None
        self.round_minutes = 0  # while a go-round is set up
        self.code_about: str | None = None
        self.names = live.group.names()
        self._known_tags: list[str] = []
        self._round_active = False  # from the last redraw: `check_action` must stay cheap
        self._away_now: dict[str, str] = {}  # from the last redraw: members not in the room
        self._left = False  # after `q`: keys already on their way must not record anything
        self._leave_asked: float | None = None  # when `q` met unsaved events
        self.deck = live.library.deck
        self.scheme = live.library.scheme(live.group.coding_scheme)
        self.card_index = 0  # the card on show: screen state, not data
        self.suggestion: Suggestion | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="live-main"):
            yield MemberCircle(id="circle")
            with Vertical(id="live-side"):
                yield SpeakingTimer(id="timer")
                yield Static(id="unsaved")
                yield Static(id="pending")
                yield DeckPane(id="deck")
                yield ObservationPane(id="observations")
        # The whole width, under everything: a note is read back while typed, at any size.
        yield NoteBar(self._complete, id="note-bar")
        yield Footer()

    def on_mount(self) -> None:
        session, group = self.live.session, self.live.group
        self.title = f"{visible(group.name)} · session {session.number}"
        self.sub_title = "" if self.live.writable else "read-only: recorded elsewhere"
        self.query_one("#pending", Static).display = False
        self.query_one("#unsaved", Static).display = False
        for problem in self.live.library.problems:  # at opening, never mid-session
            self.notify(
                visible(problem),
                title="Own deck or codes",
                severity="warning",
                timeout=15,
                markup=False,
            )
        self._tell_gap()
        self.redraw()
        self.set_interval(1.0, self.tick)

    def _tell_gap(self) -> None:
        """Reopened after cofacil was closed or killed: say that the time away is a gap, not
        counted (nobody's talk, not the session clock), so the figures never surprise."""
        events = self.live.events
        if self.live.writable and len(events) > 1 and isinstance(events[-1], Reopened):
            away = (events[-1].at - events[-2].at).total_seconds()
            self.notify(
                f"Resumed after {duration(away)} away: that time is left out of the clocks "
                "and nobody's talk.",
                title="Resumed",
                timeout=8,
                markup=False,
            )

    @property
    def writer(self) -> LiveSession:
        """The writable session; only reached by actions `check_action` allowed."""
        assert isinstance(self.live, LiveSession)
        return self.live

    # --- drawing ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: the clocks move; a read-only view also picks up new events; events
        the disk refused are tried again."""
        if isinstance(self.live, LiveSession) and self.live.unsaved:
            self.live.flush()
            self._draw_unsaved()
        if self.live.refresh():
            self.redraw()
        else:
            self._draw_live(self.live.figures())

    def _draw_unsaved(self) -> None:
        box = self.query_one("#unsaved", Static)
        waiting = self.live.unsaved if isinstance(self.live, LiveSession) else []
        if waiting:
            problem = self.live.disk_problem or "the disk refused the write"  # type: ignore[union-attr]
            box.update(
                Text(
                    f"⚠ {len(waiting)} not yet saved ({problem}); kept here and "
                    "retried every second. Keep going."
                )
            )
        box.display = bool(waiting)

    def redraw(self) -> None:
        """After the log changed: everything, the observation pane included."""
        figures = self.live.figures()
        self._draw_live(figures)
        self._draw_notes(figures)
        self.refresh_bindings()

    def _draw_live(self, figures: dynamics.SessionFigures) -> None:
        live = self.live
        present = set(live.present(figures))
        round_state = live.round_state(figures)
        self._round_active = round_state is not None
        seats: list[Seat] = []
        self._away_now = {}
        for key, member in live.keys.items():
            p = figures.participants.get(member)
            seat = self._seat(
                key,
                member,
                p,
                figures,
                absent=member not in present,
                next_up=round_state is not None and round_state.next == member,
            )
            if seat.absent:
                seat = replace(seat, away=self._away(member, p))
                self._away_now[member] = seat.away
            seats.append(seat)
        for key, who in (("l", LEAD), ("c", COFAC)):
            seats.append(self._seat(key, who, figures.participants.get(who), figures))
        self.query_one(MemberCircle).seats = tuple(seats)

        current = figures.current
        round_line, over = "", False
        if round_state is not None:
            # "Check-in 2/7 · 0:57 left · next: Theo (n)": the time is the speaker's, so it
            # comes before the next person's name.
            round_line = f"{round_state.kind.capitalize()} {len(round_state.done)}/" + str(
                len(round_state.order)
            )
            if round_state.budget:
                # A turn in the round counts down its budget; past it, the cue says by how much.
                budget = round_state.budget
                if current is None or current.speaker not in round_state.order:
                    round_line += f" · {duration(budget)} each"
                elif current.seconds < budget:
                    round_line += f" · {duration(budget - current.seconds)} left"
                else:
                    over = True
                    round_line += f" · {duration(current.seconds - budget)} over"
            if round_state.next:
                round_line += f" · next: {visible(self.names.get(round_state.next, ''))} (n)"
            else:
                round_line += " · n ends it"
        self._draw_deck(figures)
        self.query_one(SpeakingTimer).show(
            TimerState(
                speaker=self.names.get(current.speaker, current.speaker) if current else None,
                turn=self._break_seconds(figures)
                if figures.timeline.paused
                else current.seconds
                if current
                else (figures.current_silence or 0.0),
                elapsed=figures.active,
                planned=live.session.planned_minutes * 60.0,
                paused=figures.timeline.paused,
                ended=figures.timeline.ended,
                round_line=round_line,
                over_budget=over,
            )
        )

    def _away(self, member: str, p: dynamics.ParticipantFigures | None) -> str:
        """What an empty seat says: late (expected, not here yet), left, or absent."""
        if p is not None and p.status == "left early":
            return "left"
        expected = self.live.session.attendance.get(member)
        return "late" if expected is not None and expected.status == "late" else "absent"

    def _break_seconds(self, figures: dynamics.SessionFigures) -> float:
        paused = [e for e in figures.timeline.events if isinstance(e, Paused)]
        return dynamics.seconds_between(paused[-1], self.live.now()) if paused else 0.0

    def _seat(
        self,
        key: str,
        who: str,
        p: dynamics.ParticipantFigures | None,
        figures: dynamics.SessionFigures,
        absent: bool = False,
        next_up: bool = False,
    ) -> Seat:
        speaking = figures.current is not None and figures.current.speaker == who
        is_member = who not in (LEAD, COFAC)
        # The therapist's threshold, the one the deck's suggestion and the review use too.
        threshold = self.live.library.nudges.quiet_seconds
        return Seat(
            id=who,
            key=key,
            name=self.names.get(who, who),
            talk=p.talk if p else 0.0,
            share=p.share if p else 0.0,
            speaking=speaking,
            absent=absent,
            not_spoken=is_member and not absent and (p is None or p.turns == 0),
            quiet=None if p is None or absent else dynamics.quiet_past(p, threshold),
            next_in_round=next_up,
        )

    def _draw_notes(self, figures: dynamics.SessionFigures) -> None:
        lines: list[NoteLine] = []
        used: list[str] = []
        tags: list[str] = []
        for event, t in zip(figures.timeline.events, figures.timeline.t, strict=True):
            if isinstance(event, Observation):
                lines.append(NoteLine(t, "observation", self._about(event.about), event.text))
                tags += [tag for tag in event.tags if tag not in tags]
            elif isinstance(event, Flag):
                lines.append(NoteLine(t, "flag", self._about(event.about), event.text))
            elif isinstance(event, Interruption):  # `i` leaves its trace here too
                cut_off = f"cut in on {self.names.get(event.of, event.of)}"
                lines.append(NoteLine(t, "interruption", self._about([event.by]), cut_off))
            elif isinstance(event, CodedEvent):
                label = self.live.library.scheme(event.scheme).label(event.code)
                lines.append(NoteLine(t, "code", self._about(event.about), label))
            elif isinstance(event, TechniqueUsed):
                card = self.deck.card(event.card)
                name = card.name if card else event.card
                lines.append(NoteLine(t, "technique", self._about(event.towards), name))
                used.append(name)
        self._known_tags = tags
        self._used = tuple(dict.fromkeys(used))
        self.query_one(ObservationPane).show(lines, hint=self.live.writable)

    def _draw_deck(self, figures: dynamics.SessionFigures) -> None:
        """The deck, and a suggestion when the group's dynamics call for one."""
        suggestion = suggest(
            self.live.session,
            figures,
            self.names,
            self.live.library.nudges,
            schemes=self.live.library.scheme,
        )
        if _situation(suggestion) != _situation(self.suggestion) and suggestion is not None:
            self.card_index = self.deck.index(suggestion.cards[0])
            if self.live.writable:
                self.writer.nudge(
                    "shown",
                    suggestion.rule,
                    suggestion.cards[0],
                    list(suggestion.about),
                    suggestion.reason,
                )
        self.suggestion = suggestion  # the same situation keeps its event, its figures move on
        card = self.deck.cards[self.card_index % len(self.deck.cards)]
        about = list(suggestion.about) if suggestion else []
        speaker = figures.current.speaker if figures.current else None
        whom = about[0] if about else speaker if speaker not in (None, LEAD, COFAC) else None
        nudge = ""
        if suggestion is not None and card.id == suggestion.cards[0]:
            nudge = suggestion.reason
        self.query_one(DeckPane).show(
            DeckState(
                card=card,
                position=self.card_index % len(self.deck.cards) + 1,
                total=len(self.deck.cards),
                name=self.names.get(whom) if whom else None,
                nudge=nudge,
                phrasing=suggestion.phrasing if nudge and suggestion else None,
                used=getattr(self, "_used", ()),
            )
        )

    def _about(self, ids: list[str]) -> str:
        return ", ".join(self.names.get(i, i) for i in ids)

    def _complete(self, text: str) -> str | None:
        if self.query_one(NoteBar).kind == "find":  # a card's name, as in the deck
            typed = text.casefold()
            names = [c.name for c in self.deck.cards if c.name.casefold().startswith(typed)]
            return text + names[0][len(text) :] if names and text.strip() else None
        return notes.complete(text, self.live.group.members, self._known_tags)

    def _show_pending(self, text: str, choices: list[tuple[str, str]] | None = None) -> None:
        """What the next key will do; `choices` (key, meaning) one a line, to scan at a glance."""
        pending = self.query_one("#pending", Static)
        if choices:
            table = Table.grid(padding=(0, 1))
            table.add_column(no_wrap=True)
            table.add_column()
            for key, meaning in choices:
                table.add_row(Text(f" {key} ", style="reverse"), Text(meaning))
            pending.update(Group(Text(text), table))
        else:
            pending.update(Text(text))
        pending.display = bool(text)

    # --- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._left:
            return False
        if action in WRITING_ACTIONS and (not self.live.writable or self.live.ended):
            return False
        if action == "next_in_round":
            return self._round_active
        return True

    def _record(self) -> None:
        """After an event was stored (or kept to retry): redraw from the log."""
        self._draw_unsaved()
        self.redraw()

    async def on_key(self, event: events.Key) -> None:
        """Every key of the room is handled here, in the order typed. (Left to the bindings,
        a key typed right after `k` or `o` could overtake it and act on its own: the bindings
        run only after the event has bubbled through the app's queue.)"""
        action = self._key_actions().get(event.key)
        if self._left:
            event.stop()
            event.prevent_default()
            return
        bar = self.query_one(NoteBar)
        if bar.is_open:
            # Every key while the line is open is for it (text, arrows, Backspace …), in order
            # — also one typed straight after `o`, before the line had focus (a fast "oquiet"
            # must not become "leave") — and Enter saves before the next key is read. Also in
            # a read-only view: `/` finds a card there too.
            event.stop()
            done = await bar.take(event)
            event.prevent_default()
            if done is not None and done.text is not None:
                self._save_note(done.kind, done.text)
            elif done is not None and done.kind != "find":
                bar.acknowledge("Nothing saved: the line was closed empty.")
            return
        if not self.live.writable or self.live.ended:
            if action in ("help", "leave"):
                event.stop()
                await self.run_action(action)
            return
        who = self.live.keys.get(event.character or "")
        if self.pending == "round":  # digits are minutes here, not members
            event.stop()
            event.prevent_default()
            self._round_key(event)
            return
        if self.pending == "code":
            event.stop()
            event.prevent_default()
            self._code_key(event, who)
            return
        if self.pending is not None:
            event.stop()
            event.prevent_default()
            pending, self.pending = self.pending, None
            self._show_pending("")
            who = who or {"l": LEAD, "c": COFAC}.get(event.character or "")
            if who is None:  # any other key cancels; a digit with no seat says so
                if event.character and event.character in DIGITS:
                    self.notify(
                        f"No seat has the key {event.character}: nothing recorded.",
                        markup=False,
                        timeout=3,
                    )
                return
            if pending == "interrupt":
                if not self._in_room(who):
                    return
                if who == self.live.speaker():
                    name = visible(self.names.get(who, who))
                    self.notify(f"{name} is speaking already.", markup=False, timeout=3)
                    return
                self.writer.interrupt(who)
            elif who not in (LEAD, COFAC):
                change = self.writer.toggle_presence(who)
                self.notify(f"{visible(self.names[who])} {change}", markup=False, timeout=2)
            self._record()
            return
        if who is not None:
            event.stop()
            self.action_speak(who)
        elif action is not None:
            event.stop()
            event.prevent_default()
            if self.check_action(action.partition("(")[0], ()):
                await self.run_action(action)

    def _key_actions(self) -> dict[str, str]:
        """The screen's keys (from BINDINGS, which also feed the footer and the palette)."""
        actions: dict[str, str] = {}
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            for key in binding.key.split(","):
                actions[key.strip()] = binding.action
        return actions

    def on_member_circle_speaker_chosen(self, message: MemberCircle.SpeakerChosen) -> None:
        if self.check_action("speak", ()):
            self.action_speak(message.participant)

    def action_speak(self, participant: str) -> None:
        if not self._in_room(participant):
            return
        self.writer.speak(participant)
        self._record()

    def _on_break(self) -> bool:
        """During a break nobody takes the floor; a key that would is told so."""
        if self.live.paused:
            self.notify("On a break: p ends it first.", markup=False, timeout=4)
        return self.live.paused

    def _in_room(self, who: str) -> bool:
        """Only someone in the room takes the floor, and not during a break. A key for an
        empty seat is most likely a slip; if the person did come (back), the notice says how
        to mark it."""
        if self._on_break():
            return False
        away = self._away_now.get(who)
        if away is None:
            return True
        key = next(k for k, member in self.live.keys.items() if member == who)
        state = {"left": "left the session", "late": "has not arrived yet"}.get(
            away, "is absent today"
        )
        self.notify(
            f"{visible(self.names[who])} {state}: a then {key} marks them in the room first.",
            markup=False,
            timeout=4,
        )
        return False

    def action_silence(self) -> None:
        self.writer.silence()
        self._record()

    def action_interrupt(self) -> None:
        self.pending = "interrupt"
        self._show_pending("Cut in: whose key?")

    def action_arrival(self) -> None:
        self.pending = "arrival"
        self._show_pending("Arrives or leaves: whose key?")

    def _addressee(self) -> str | None:
        return self.live.speaker() or self.live.last_speaker()

    def action_observe(self) -> None:
        about = self._addressee()
        self.query_one(NoteBar).open("observation", self.names.get(about, "") if about else "")

    def action_flag(self) -> None:
        about = self._addressee()
        self.query_one(NoteBar).open("flag", self.names.get(about, "") if about else "")

    async def on_paste(self, event: events.Paste) -> None:
        bar = self.query_one(NoteBar)
        if bar.is_open:
            event.stop()
            await bar.take(event)

    def _save_note(self, kind: str, text: str) -> None:
        if kind == "find":
            hits = self.deck.find(text)
            if hits:
                self.card_index = self.deck.index(hits[0].id)
                self._draw_deck(self.live.figures())
            else:
                self.notify(f"No card matches {visible(text)}", markup=False)
            return
        about = self._addressee()
        subjects = [about] if about and about not in (LEAD, COFAC) else []
        subjects += [m for m in notes.mentioned(text, self.live.group.members) if m not in subjects]
        if kind == "flag":
            self.writer.flag(text, subjects)
        else:
            self.writer.observe(text, subjects, notes.tags(text))
        self._record()
        kept = self.writer.unsaved  # the disk refused it: kept here, retried every second
        state = "⚠ Kept here, not yet on disk" if kept else "✓ Saved"
        what = "⚑ Flag" if kind == "flag" else "Note"
        whom = self._about(subjects) or "the group"
        self.query_one(NoteBar).acknowledge(f"{state}: {what} on {visible(whom)} · {visible(text)}")

    def action_code(self) -> None:
        """`k`: the codes show in place (no dialog); the next key records one. A member's key
        first says whom it is about."""
        about = self._addressee()
        self.code_about = about if about not in (LEAD, COFAC) else None
        self.pending = "code"
        self._show_code_prompt()

    def _show_code_prompt(self) -> None:
        who = visible(self.names[self.code_about]) if self.code_about else "the group"
        codes = [(visible(c.key), visible(c.label)) for c in self.scheme.codes]
        self._show_pending(f"Code about {who} (a member's key: about them)", codes)

    def _code_key(self, event: events.Key, member: str | None) -> None:
        if member is not None:
            self.code_about = member
            self._show_code_prompt()
            return
        self.pending = None
        self._show_pending("")
        code = self.scheme.by_key(event.character or "")
        if code is None:
            return  # any other key cancels
        self.writer.code(self.scheme.id, code.id, [self.code_about] if self.code_about else [])
        self._record()

    def action_round(self) -> None:
        """`g`: a go-round is set up in place (no dialog over the clock and the circle): a
        digit sets minutes per person, then i, o or r starts it. In a round, `g` ends it."""
        if self.live.round_state(self.live.figures()) is not None:
            self.writer.end_round()
            self._record()
            return
        self.pending = "round"
        self.round_minutes = 0
        self._show_round_prompt()

    def _show_round_prompt(self) -> None:
        budget = f"{self.round_minutes} min each" if self.round_minutes else "no time budget"
        self._show_pending(
            f"Go-round, {budget}: i check-in · o check-out · r round · "
            "1–9 minutes each · Esc cancels"
        )

    def _round_key(self, event: events.Key) -> None:
        key = event.character or ""
        if len(key) == 1 and key in DIGITS:  # not "²" or "٣": isdigit() takes those too
            self.round_minutes = int(key)
            self._show_round_prompt()
            return
        self.pending = None
        self._show_pending("")
        kind = ROUND_KINDS.get(key)
        if kind is None:
            return  # any other key cancels
        self.writer.start_round(kind, self.round_minutes * 60 or None)
        self._record()

    def action_next_in_round(self) -> None:
        if self._on_break():
            return
        self.writer.next_in_round()
        self._record()

    def action_card(self, step: int) -> None:
        self.card_index = (self.card_index + step) % len(self.deck.cards)
        self._draw_deck(self.live.figures())

    def action_find_card(self) -> None:
        self.query_one(NoteBar).open("find", "")

    def action_use_card(self, by: str) -> None:
        """The card on show was used, towards whom the suggestion named or the speaker."""
        card = self.deck.cards[self.card_index % len(self.deck.cards)]
        suggestion = self.suggestion
        if suggestion is not None and suggestion.cards[0] == card.id:
            self.writer.technique(card.id, by, list(suggestion.about))
            self.writer.nudge(
                "acted", suggestion.rule, card.id, list(suggestion.about), suggestion.reason
            )
            self.suggestion = None
        else:
            speaker = self.live.speaker()
            towards = [speaker] if speaker and speaker not in (LEAD, COFAC) else []
            self.writer.technique(card.id, by, towards)
        self.notify(f"Used: {visible(card.name)}", markup=False, timeout=2)
        self._record()

    def action_dismiss_nudge(self) -> None:
        suggestion = self.suggestion
        if suggestion is None:
            return
        self.writer.nudge(
            "dismissed",
            suggestion.rule,
            suggestion.cards[0],
            list(suggestion.about),
            suggestion.reason,
        )
        self.suggestion = None
        self._record()

    def action_undo(self) -> None:
        undone = self.writer.undo()
        if undone is None:
            self.notify("Nothing left to undo", markup=False)
        else:
            what = undone.type.replace("_", " ")
            self.notify(f"Undone: {what}", markup=False, timeout=2)
            self.query_one(NoteBar).acknowledge(f"Undone: {what}")  # no stale "✓ Saved" left
        self._record()

    def action_pause(self) -> None:
        self.writer.toggle_pause()
        self._record()

    def action_end(self) -> None:
        # One rule for when the end is: the moment `e` was pressed. The dialog's figures are
        # the ones the session is saved with, however long it stays open.
        moment = self.live.now()
        figures = self.live.figures(moment)
        flags = sum(isinstance(e, Flag) for e in figures.timeline.events)

        def confirmed(end: bool | None) -> None:
            if end:
                self.writer.end(at=moment)
                self._record()

        self.app.push_screen(EndScreen(figures, self.names, flags), confirmed)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_leave(self) -> None:
        if self._left or not self.may_leave():
            return
        self._left = True
        self.live.close()
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:  # opened straight from `cofacil demo`: on to the home screen
            self.app.show_home()  # type: ignore[attr-defined]

    def may_leave(self) -> bool:
        """Leaving drops a note being written and what the disk has refused so far: say so,
        and leave only when asked again (within 10 seconds)."""
        writing = self.query_one(NoteBar).holds_text
        unsaved = isinstance(self.live, LiveSession) and not self.live.flush()
        if not writing and not unsaved:
            return True
        now = self.live.store.clock.monotonic()
        if self._leave_asked is not None and now - self._leave_asked < 10:
            return True
        self._leave_asked = now
        lost = []
        if unsaved:
            self._draw_unsaved()
            lost.append(
                f"{len(self.writer.unsaved)} events are not saved yet ({self.writer.disk_problem}):"
                " cofacil keeps trying."
            )
        if writing:
            lost.append("A note is being written: Enter saves it.")
        self.notify(
            " ".join(lost)
            + " Press again within 10 seconds to leave anyway; "
            + ("they" if unsaved else "it")
            + " would be lost.",
            title="Not saved yet",
            severity="warning",
            timeout=10,
            markup=False,
        )
        return False

    def on_unmount(self) -> None:
        self.live.close()


def _situation(suggestion: Suggestion | None) -> tuple[str, tuple[str, ...]] | None:
    """What a nudge is about; its reason's figures may change without it being a new one."""
    return (suggestion.rule, suggestion.about) if suggestion else None
