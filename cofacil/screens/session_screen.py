"""The live session: the co-facilitator's screen for the whole group.

Every key records an event through `LiveSession` (fsynced) before anything on screen changes;
the screen then redraws from the log through the dynamics module. A clock tick once a second
updates only the circle and the timer. Opened on a session another cofacil is recording, the
same screen follows it read-only.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from cofacil import collector, dynamics, live_modes, live_view, notes, room_keys
from cofacil.display import duration, visible
from cofacil.live import LiveSession, SessionView
from cofacil.models import COFAC, LEAD, Draft, Flag
from cofacil.nudges import Suggestion, shown_in_log, suggest
from cofacil.widgets.deck_pane import DeckPane
from cofacil.widgets.key_bar import KeyBar
from cofacil.widgets.member_circle import MemberCircle
from cofacil.widgets.note_bar import NoteBar
from cofacil.widgets.observation_pane import ObservationPane
from cofacil.widgets.speaking_timer import SpeakingTimer

RECORDING_ACTIONS = room_keys.recording_actions()


class SessionScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (76, "-wide"), (110, "-very-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    BINDINGS = [
        Binding(k.key, k.action, k.label, show=k.footer, key_display=k.display)
        for k in room_keys.all_keys()
    ]

    def __init__(self, live: SessionView) -> None:
        super().__init__()
        self.live = live
        self.pending: live_modes.Pending | None = None  # `i`, `a`, `k` or `g`: the next key's job
        self.names = live.group.names()
        self._notes = live_view.Notes([], [], ())  # from the last redraw
        self._notes_fold = live_view.NotesFold(self.names, live.library)
        self._room: live_view.Room | None = None  # from the last redraw: `check_action` is cheap
        self._left = False  # after `q`: keys already on their way must not record anything
        self._leave_asked: float | None = None  # when `q` met unsaved events
        self.deck = live.library.deck
        self.scheme = live.library.scheme(live.group.coding_scheme)
        self.card_index = 0  # the card on show: screen state, not data
        self.suggestion: Suggestion | None = None
        self.note: Draft | None = None  # the note open in the line (kept on disk as typed)
        self._draft_refused = False  # the disk refused the note's last change
        self._keys_state: tuple[bool, bool] | None = None  # what the key line was drawn for
        self._styled = False  # shown once: before that, each widget was styled as it mounted

    def compose(self) -> ComposeResult:
        self._size_classes()
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
        yield KeyBar()

    def _size_classes(self) -> None:
        """The breakpoint classes for the terminal's size, set before any widget is styled.
        (Textual sets them at the screen's first resize, and then styles the whole screen once
        more before its first frame.) Textual's rule: the largest breakpoint that fits."""
        width, height = self.app.size
        horizontal = self.HORIZONTAL_BREAKPOINTS or []
        vertical = self.VERTICAL_BREAKPOINTS or []
        classes = {name: False for _, name in horizontal + vertical}
        for dimension, breakpoints in ((width, horizontal), (height, vertical)):
            fitting = [b for b in breakpoints if b[0] <= dimension]
            if fitting:
                classes[max(fitting)[1]] = True
        self.update_classes(classes, animate=False)

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
        figures = self.live.figures()
        self._tell_gap(figures)
        self._tell_parked()
        # Drawn from the same figures, unless the deck's suggestion was just recorded.
        self.redraw(None if self._offer(figures) else figures)
        self.set_interval(1.0, self.tick)
        # The log and the screen live as long as the session is open: kept out of the
        # collector's passes (a session opened from the home screen, after the first frame).
        self.call_after_refresh(collector.settle)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The screen's first showing comes right after each of its widgets was styled as it
        mounted (and again at each change of class): Textual would style all of them once more
        before the first frame. Later showings (after the palette, a dialog or a change of
        theme) restyle as usual."""
        if not self._styled:
            event.refresh_styles = False
            self._styled = True

    def _tell_gap(self, figures: dynamics.SessionFigures) -> None:
        """Reopened after cofacil was closed or killed: say that the time away is a gap, not
        counted (nobody's talk, not the session clock), so the figures never surprise."""
        gaps = figures.timeline.gaps
        if self.live.writable and gaps and self.live.events[-1].type == "reopened":  # type: ignore[attr-defined]
            self.notify(
                f"Resumed after {duration(gaps[-1][1])} away: that time is left out of the "
                "clocks and nobody's talk.",
                title="Resumed",
                timeout=8,
                markup=False,
            )

    def _tell_parked(self) -> None:
        """Notes left being written (parked, or open when cofacil stopped) are offered back."""
        if not isinstance(self.live, LiveSession) or not self.live.drafts:
            return
        self.query_one(NoteBar).acknowledge(live_view.parked_from_before(self.live.drafts))

    @property
    def writer(self) -> LiveSession:
        """The writable session; only reached by actions `check_action` allowed."""
        assert isinstance(self.live, LiveSession)
        return self.live

    # --- drawing ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: a sign of life; the clocks move; a read-only view also picks up new
        events; events the disk refused are tried again."""
        if isinstance(self.live, LiveSession):
            self.live.beat()
            if self.live.unsaved:
                if self.live.flush():  # all on disk now: the note's line says so too
                    bar = self.query_one(NoteBar)
                    bar.acknowledge(live_view.landed(bar.acknowledged))
                self._draw_unsaved()
            if self.note is not None and self._draft_refused:
                self._keep_note()
        changed = self.live.refresh()
        figures = self.live.figures()
        self._offer(figures)
        if changed:
            self.redraw()
        else:
            self._draw_live(figures)

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

    def redraw(self, figures: dynamics.SessionFigures | None = None) -> None:
        """After the log changed: everything, the observation pane included (`figures`: the
        log's, if just worked out). Drawing records nothing: the suggestion was offered (and
        logged) before."""
        figures = figures or self.live.figures()
        self._notes = self._notes_fold.update(figures)
        self._draw_live(figures)
        self.query_one(ObservationPane).show(
            self._notes.lines, hint=self.live.writable, version=self._notes.version
        )
        # The bindings (the key line, the palette) are refreshed only when what `check_action`
        # answers can change: not on every key.
        keys_state = (self.live.ended, self._room.round_active if self._room else False)
        if keys_state != self._keys_state:
            self._keys_state = keys_state
            self.refresh_bindings()

    def _draw_live(self, figures: dynamics.SessionFigures) -> None:
        self._room = live_view.room(self.live, figures, self.names)
        self.query_one(MemberCircle).seats = self._room.seats
        self.query_one(SpeakingTimer).show(self._room.timer)
        self._draw_deck(figures)

    def _offer(self, figures: dynamics.SessionFigures) -> bool:
        """The deck's suggestion for now. When it is a new one, the deck turns to its card and
        (writable) the log says it was shown — once: the log, not the screen, remembers, so a
        break or a resume does not record it again. True if that was recorded now."""
        suggestion = suggest(
            self.live.session,
            figures,
            self.names,
            self.live.library.nudges,
            schemes=self.live.library.scheme,
        )
        if suggestion is not None and _situation(suggestion) != _situation(self.suggestion):
            self.card_index = self.deck.index(suggestion.cards[0])
        self.suggestion = suggestion
        if (
            suggestion is not None
            and self.live.writable
            and not self.live.ended
            and not shown_in_log(figures.timeline.events, suggestion)
        ):
            self.writer.nudge(
                "shown", suggestion.rule, suggestion.cards[0], list(suggestion.about),
                suggestion.reason,
            )  # fmt: skip
            return True
        return False

    def _draw_deck(self, figures: dynamics.SessionFigures) -> None:
        state = live_view.deck(
            self.deck, self.card_index, self.suggestion, figures, self.names, self._notes.used
        )
        self.query_one(DeckPane).show(state)

    def _complete(self, text: str) -> str | None:
        if self.query_one(NoteBar).kind == "find":  # a card's name, as in the deck
            typed = text.casefold()
            names = [c.name for c in self.deck.cards if c.name.casefold().startswith(typed)]
            return text + names[0][len(text) :] if names and text.strip() else None
        return notes.complete(text, self.live.group.members, self._notes.tags)

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
        if action in RECORDING_ACTIONS and (not self.live.writable or self.live.ended):
            return False
        if action == "next_in_round":
            return self._room is not None and self._room.round_active
        return True

    def _record(self) -> None:
        """After an event was stored (or kept to retry): the deck's suggestion for the new
        situation, then everything drawn again from the log."""
        self._draw_unsaved()
        figures = self.live.figures()
        self.redraw(None if self._offer(figures) else figures)

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
            if done is not None:
                self._note_closed(done)
            return
        if not self.live.writable or self.live.ended:
            if action in ("help", "leave"):
                event.stop()
                await self.run_action(action)
            return
        char = event.character or ""
        if self.pending is not None:
            event.stop()
            event.prevent_default()
            self._mode_key(char)
            return
        who = self.live.keys.get(char)
        if who is not None:
            event.stop()
            self.action_speak(who)
        elif action is not None:
            event.stop()
            event.prevent_default()
            if self.check_action(action.partition("(")[0], ()):
                await self.run_action(action)

    def _key_actions(self) -> dict[str, str]:
        """The screen's keys (from the one registry, which also feeds `?` and the palette)."""
        return {k.key: k.action for k in room_keys.all_keys()}

    def _mode_key(self, char: str) -> None:
        """The key after `i`, `a`, `k` or `g` (live_modes says what it asks for)."""
        assert self.pending is not None
        outcome = live_modes.press(
            self.pending,
            char,
            self.live.keys.get,
            lambda key: code.id if (code := self.scheme.by_key(key)) else None,
        )
        self.pending = outcome.pending
        self._show_mode()
        if outcome.notice:
            self.notify(outcome.notice, markup=False, timeout=3)
        if outcome.record is None:
            return
        what, args = outcome.record
        if what == "interrupt":
            (who,) = args
            assert isinstance(who, str)
            if not self._in_room(who):
                return
            if who == self.live.speaker():
                name = visible(self.names.get(who, who))
                self.notify(f"{name} is speaking already.", markup=False, timeout=3)
                return
            self.writer.interrupt(who)
        elif what == "arrival":
            (who,) = args
            assert isinstance(who, str)
            change = self.writer.toggle_presence(who)
            self.notify(f"{visible(self.names[who])} {change}", markup=False, timeout=2)
        elif what == "code":
            code, about = args
            self.writer.code(self.scheme.id, code, about)  # type: ignore[arg-type]
        elif what == "start_round":
            kind, budget = args
            self.writer.start_round(kind, budget)  # type: ignore[arg-type]
        self._record()

    def _show_mode(self) -> None:
        pending = self.pending
        about = pending.code_about if pending is not None else None
        text = live_modes.prompt(pending, visible(self.names[about]) if about else None)
        codes = None
        if pending is not None and pending.mode == "code":
            codes = [
                (visible(c.key), visible(f"{c.label} ({c.hint})" if c.hint else c.label))
                for c in self.scheme.codes
            ]
        self._show_pending(text, codes)

    def on_member_circle_speaker_chosen(self, message: MemberCircle.SpeakerChosen) -> None:
        """A tap on a seat: that person speaks — also while a note is being written, which
        stays open (and keeps its moment)."""
        if self.check_action("speak", ()) and self.live.writable and not self.live.ended:
            self.action_speak(message.participant)
        self.query_one(NoteBar).refocus()

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
        away = self._room.away.get(who) if self._room else None
        if away is None:
            return True
        key = next(k for k, member in self.live.keys.items() if member == who)
        state = {"left": "left the session", "late": "has not arrived yet"}.get(
            away.split()[0], "is absent today"
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
        self.pending = live_modes.start("interrupt")
        self._show_mode()

    def action_arrival(self) -> None:
        self.pending = live_modes.start("arrival")
        self._show_mode()

    def _addressee(self) -> str | None:
        return self.live.speaker() or self.live.last_speaker()

    # --- notes: a note being written is a record too -----------------------------------------

    def action_observe(self) -> None:
        self._open_note("observation")

    def action_flag(self) -> None:
        self._open_note("flag")

    def _open_note(self, kind: str) -> None:
        """`o` or `f`: the parked note of that kind comes back (its moment and whom it is
        about kept); else a new one begins now, about the speaker (or the last one)."""
        draft = self.writer.drafts.get(kind)
        if draft is None:
            about = self._addressee()
            draft = Draft(
                kind=kind,  # type: ignore[arg-type]
                about=[about] if about and about not in (LEAD, COFAC) else [],
                begun=self.writer.reading(),
            )
        self.note = draft
        whom = live_view.about(draft.about, self.names)
        self.query_one(NoteBar).open(kind, whom, draft.text)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Each change of the note is kept on disk as it is typed (no fsync: cheap)."""
        if self.note is None or not self.query_one(NoteBar).is_open:
            return
        self.note = self.note.model_copy(update={"text": event.value})
        self._keep_note()

    def _keep_note(self) -> None:
        assert self.note is not None
        self._draft_refused = not self.writer.keep_draft(self.note.kind, self.note)

    def _note_closed(self, done: NoteBar.Done) -> None:
        if done.kind == "find":
            if done.text is not None:
                self._find_card(done.text)
            return
        note, self.note = self.note, None
        bar = self.query_one(NoteBar)
        if done.parked and note is not None:
            # Parked: on disk as typed; `o` (or `f`) brings it back, its moment kept.
            bar.acknowledge(live_view.parked(done.kind, note.text))
            return
        if done.text is None:
            self.writer.keep_draft(done.kind, None)
            bar.acknowledge(live_view.closed_empty(self.writer.drafts))
            return
        self._save_note(done.kind, done.text, note)

    async def on_paste(self, event: events.Paste) -> None:
        bar = self.query_one(NoteBar)
        if bar.is_open:
            event.stop()
            await bar.take(event)

    def _save_note(self, kind: str, text: str, note: Draft | None) -> None:
        event = self.writer.save_note(kind, text, note)
        self._record()
        on_disk = not self.writer.unsaved  # else kept here, retried every second
        whom = live_view.about(event.about, self.names) or "the group"  # type: ignore[attr-defined]
        self.query_one(NoteBar).acknowledge(
            live_view.saved(kind, whom, text, on_disk, self.writer.drafts)
        )

    def _find_card(self, text: str) -> None:
        hits = self.deck.find(text)
        if hits:
            self.card_index = self.deck.index(hits[0].id)
            self._draw_deck(self.live.figures())
        else:
            self.notify(f"No card matches {visible(text)}", markup=False)

    # --- codes, go-rounds, the deck ----------------------------------------------------------

    def action_code(self) -> None:
        """`k`: the codes show in place (no dialog); the next key records one. A member's key
        first says whom it is about."""
        about = self._addressee()
        self.pending = live_modes.start("code", about if about not in (LEAD, COFAC) else None)
        self._show_mode()

    def action_round(self) -> None:
        """`g`: a go-round is set up in place (no dialog over the clock and the circle): a
        digit sets minutes per person, then i, o or r starts it. In a round, `g` ends it."""
        if self.live.round_state(self.live.figures()) is not None:
            self.writer.end_round()
            self._record()
            return
        self.pending = live_modes.start("round")
        self._show_mode()

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
        # Towards whom the card on show addresses by name (one rule: `card_towards`).
        self.writer.technique(
            card.id, by, live_view.card_towards(card.id, suggestion, self.live.speaker())
        )
        if suggestion is not None and suggestion.cards[0] == card.id:
            self.writer.nudge(
                "acted", suggestion.rule, card.id, list(suggestion.about), suggestion.reason
            )
            self.suggestion = None
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

    # --- the session's frame -----------------------------------------------------------------

    def action_undo(self) -> None:
        undone = self.writer.undo()
        if undone is None:
            self.notify("Nothing left to undo", markup=False)
        else:
            # The notice short (on a narrow screen a longer one would cover the note line);
            # the note line says which one, in full.
            self.notify(f"Undone: {undone.type.replace('_', ' ')}", markup=False, timeout=2)  # type: ignore[attr-defined]
            self.query_one(NoteBar).acknowledge(live_view.undone(undone, self.names))
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
                parked = len(self.writer.parked())
                self.writer.end(at=moment)
                self._record()
                self.query_one(NoteBar).acknowledge(live_view.ended(parked))

        from cofacil.screens.end_screen import EndScreen  # not needed before the first frame

        parked = {kind: draft.text for kind, draft in self.writer.parked().items()}
        self.app.push_screen(EndScreen(figures, self.names, flags, parked), confirmed)

    def action_help(self) -> None:
        from cofacil.screens.help_screen import HelpScreen  # not needed before the first frame

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
        """Leaving drops what the disk has refused so far (a note being written is kept on
        disk as typed, and offered again on return — unless the disk refused it too): say
        so, and leave only when asked again (within 10 seconds)."""
        writing = self.note is not None and self._draft_refused and bool(self.note.text.strip())
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
            lost.append("The note being written is not on disk yet: Enter saves it.")
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
        collector.unsettle()  # the log closed: what it held can be collected


def _situation(suggestion: Suggestion | None) -> tuple[str, tuple[str, ...]] | None:
    """What a nudge is about; its reason's figures may change without it being a new one."""
    return (suggestion.rule, suggestion.about) if suggestion else None
