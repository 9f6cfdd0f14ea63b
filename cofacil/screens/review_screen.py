"""The lead therapist's review of a session: its shape at a glance, then every observation,
with their own comments, reviewed marks and sign-off (after which only addenda follow).

A session still in progress is reviewed read-only and followed (re-read every two seconds).
"""

from __future__ import annotations

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static, TabbedContent, TabPane

from cofacil import charts, dynamics
from cofacil.display import duration, visible
from cofacil.live import SessionView
from cofacil.models import (
    COFAC,
    LEAD,
    TEXT_MAX,
    CodedEvent,
    EventBase,
    Flag,
    Nudge,
    Observation,
    Reviewed,
    ReviewNote,
    TechniqueUsed,
)
from cofacil.review import ITEM_TYPES, SessionReview, left_undone, plural, search_hit
from cofacil.storage import StoreError
from cofacil.summary import BALANCE_NAME, summarize
from cofacil.widgets.cells import TERMINAL
from cofacil.widgets.plain_text import PlainInput

# The review's items (the ones sign-off counts), as their rows name them.
KINDS = dict(zip(ITEM_TYPES, ("note", "code", "FLAG", "technique"), strict=True))


def _comment_head(note: ReviewNote, names: dict[str, str]) -> str:
    """`Comment (Dr. Rivera, 2026-11-19 19:40)`: who wrote it, by name, and when; an
    addendum says why too: `Addendum (Dr. Rivera, 2026-11-19 19:40, late entry)`."""
    by = names.get(note.author, note.author)
    why = f", {note.reason}" if note.reason else ""
    return f"{note.kind} ({by}, {note.at.astimezone().strftime('%Y-%m-%d %H:%M')}{why})"


class ReviewScreen(Screen[None]):
    BINDINGS = [
        # The footer holds what a review is made of; `?` shows every key (at 80 columns the
        # footer cannot hold them all).
        Binding("escape,b", "back", "Back", key_display="b"),
        Binding("s", "tab('summary')", "Summary", show=False),
        Binding("o", "tab('observations')", "Observations", show=False),
        Binding("f", "flags_only", "Flags only", show=False),
        Binding("slash", "search", "Search", key_display="/", show=False),
        Binding("m", "by_member", "By member", show=False),
        Binding("c", "clear", "Clear filters", show=False),
        # One key, named for what it adds: a comment, or after sign-off an addendum.
        Binding("n", "comment", "Comment"),
        Binding("n", "comment('addendum')", "Addendum"),
        Binding("r", "mark_reviewed", "Reviewed"),
        Binding("S", "sign_off", "Sign off"),
        Binding("M", "member", "Member"),
        Binding("p", "preview", "Report"),
        Binding("x", "export", "Export", show=False),
        Binding("question_mark", "help", "Keys", key_display="?"),
    ]

    def __init__(self, view: SessionView) -> None:
        super().__init__()
        self.view = view
        self.names = view.group.names()
        self.flags_only = False
        self.text_filter = ""
        self.member_filter: str | None = None
        self.choosing_member = False
        self.review: SessionReview | None = None  # writable: an ended session nobody holds
        self.comment_target: str | None = None
        self._addendum_text: str | None = None  # an addendum typed, its reason still to come
        self.moment: float | None = None  # an item's time, marked on the timeline
        self._listed: dict[str, tuple[EventBase, float]] = {}  # the rows shown: item, its time
        self._exporting = False  # an export is being written (off the UI thread)
        self._recording: bool | None = None  # while following: another cofacil records it
        self._following: Timer | None = None  # the once-a-second reading while following

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="summary"):
            with TabPane("Summary", id="summary"), VerticalScroll(id="summary-scroll"):
                yield Static(id="review-signed")
                yield Static(id="review-facts")
                yield Static(id="review-flags")
                yield Static(id="review-notes")
                yield Static(id="review-charts")
            with TabPane("Observations", id="observations"):
                yield Static(id="review-filter")
                yield PlainInput(
                    placeholder="search: words, a #tag or a name, then Enter",
                    id="review-search",
                    max_length=TEXT_MAX,
                    compact=True,
                )
                yield DataTable(id="review-items", cursor_type="row", zebra_stripes=True)
                yield Static(id="review-detail")  # the highlighted item, whole
        yield PlainInput(
            placeholder="comment, Enter saves, Escape cancels",
            id="review-comment",
            max_length=TEXT_MAX,
            compact=True,
        )
        yield Footer(show_command_palette=False)  # room for the review's keys; ? lists ctrl+p

    def on_mount(self) -> None:
        session = self.view.session
        self.title = f"{visible(self.view.group.name)} · session {session.number}"
        self.sub_title = "review"
        self.query_one("#review-search", Input).display = False
        self.query_one("#review-comment", Input).display = False
        if self.view.ended:
            try:
                self.review = SessionReview(self.view.store, session.id)
            except StoreError as error:  # open elsewhere: read the record, change nothing
                self.notify(f"Read-only: {error}", markup=False, timeout=8)
        table = self.query_one("#review-items", DataTable)
        table.add_column("✓", width=1)
        table.add_column("Time", width=7)
        table.add_column("Kind", width=9)
        table.add_column("About", width=14)
        table.add_column("Text")
        self.redraw()
        if not self.view.ended:
            self.sub_title = "following · read-only"
            if self.view.store.being_recorded(session.id):
                self.notify(
                    f"Following session {session.number} as it is recorded (read-only)",
                    markup=False,
                    timeout=6,
                )
            self._following = self.set_interval(1.0, self.follow)

    def follow(self) -> None:
        """Once a second: what was recorded since; while it is recorded, the clocks move.
        Once it has ended and the recording cofacil has let it go, the review is the lead's:
        comments, reviewed marks and sign-off open, without leaving and coming back."""
        if self.view.refresh():
            self.redraw()
        elif self._recording or self.view.being_recorded():
            self._draw_summary(self.view.recorded_figures())
        if self.view.ended and self.review is None and not self.view.being_recorded():
            try:
                self.review = SessionReview(self.view.store, self.view.session.id)
            except StoreError:
                return  # taken meanwhile (another review): tried again in a second
            if self._following is not None:
                self._following.stop()
            self.sub_title = "review"
            self.notify(
                f"Session {self.view.session.number} has ended: comments, reviewed marks and "
                "sign-off are open.",
                markup=False,
                timeout=6,
            )
            self.redraw()

    # --- drawing ---------------------------------------------------------------------------

    def redraw(self) -> None:
        if self.review is not None:
            self.view.refresh()
        figures = self.view.recorded_figures()
        self._draw_summary(figures)
        self._draw_items(figures)
        self._draw_review_layer(figures)
        self.refresh_bindings()

    def _draw_review_layer(self, figures: dynamics.SessionFigures) -> None:
        events = self.view.events
        when_of = {
            e.id: t for e, t in zip(figures.timeline.events, figures.timeline.when, strict=True)
        }
        signed = self.view.filed.signed
        banner = self.query_one("#review-signed", Static)
        if signed is not None:
            when = signed.at.astimezone().strftime("%Y-%m-%d %H:%M")
            digest = f" (SHA-256 {signed.digest[:12]}…)" if signed.digest else ""
            if self.view.changed_after_signing():
                banner.update(
                    Text(
                        f"⚠ Signed off by {visible(signed.name)}, {when}, but the log no longer "
                        f"matches the signed record{digest}: it was changed after signing. "
                        "Shown as it is now; `cofacil verify` says more; exports are refused.",
                        style="bold red",
                    )
                )
            else:
                banner.update(
                    Text(
                        f"Signed off by {visible(signed.name)}, {when}: the record is locked"
                        f"{digest}; comments are now addenda, each with its reason"
                    )
                )
        banner.display = signed is not None
        lines = []
        for note in (e for e in events if isinstance(e, ReviewNote)):
            about = "the session"
            if note.target:
                at = when_of.get(note.target)
                about = f"the item at {duration(at)}" if at is not None else "an item"
            lines.append(f"{_comment_head(note, self.names)} on {about}: {visible(note.text)}")
        box = self.query_one("#review-notes", Static)
        box.update(Text("\n".join(["Review notes", *lines])) if lines else "")
        box.display = bool(lines)

    def _recording_state(self, figures: dynamics.SessionFigures) -> str:
        """Ended, being recorded, or left open: a follower sees when the recording stopped
        (a crash, or cofacil closed) instead of a clock that silently stands still."""
        if figures.timeline.ended:
            self._recording = None
            return "ended"
        recording = self.view.being_recorded()
        if self._recording and not recording:
            self.notify(
                f"Session {self.view.session.number} is no longer being recorded (cofacil was "
                "closed or stopped); it goes on when it is opened again.",
                severity="warning",
                markup=False,
                timeout=10,
            )
        self._recording = recording
        if recording:
            return "being recorded"
        alive = self.view.left_open_at()
        since = f" since {alive.at.astimezone():%H:%M:%S}" if alive else ""
        return f"not being recorded{since}; not ended"

    def _draw_summary(self, figures: dynamics.SessionFigures) -> None:
        session = self.view.session
        state = self._recording_state(figures)
        quiet = self.view.filed.quiet_seconds  # the circle's and the deck's threshold too
        summary = summarize(
            self.view.group, session, figures, self.view.filed.labels, quiet, visible
        )
        facts = [
            f"{summary.date} · session {summary.number} · "
            + (f"theme: {summary.theme}" if summary.theme else "no theme"),
            f"Length {summary.length} ({state}); breaks {summary.breaks}"
            + (
                ", on a break now" if figures.timeline.paused and not figures.timeline.ended else ""
            ),
            summary.talk,
            *([f"Gaps (cofacil was not running): {summary.gaps}"] if figures.timeline.gaps else []),
            "Attendance: " + "; ".join(f"{who}: {status}" for who, status in summary.attendance),
            "Go-rounds: " + summary.go_rounds,
        ]
        self.query_one("#review-facts", Static).update(Text("\n".join(facts)))
        flag_text = Text("\n".join(f"⚑ {r.at} {r.about}: {r.text}" for r in summary.risks))
        flag_box = self.query_one("#review-flags", Static)
        flag_box.update(flag_text if summary.risks else Text("No flags"))
        flag_box.set_class(bool(summary.risks), "-flags")

        width = max(40, self.size.width - 4)
        order = [*(m for m in session.seats if m in figures.participants), LEAD, COFAC]
        # Around the circle: who came, in seat order, then the facilitators.
        seated = [*(m for m in session.seats if dynamics.came(figures, m)), LEAD, COFAC]
        # Each technique with when it was used (its moment on the session's clock).
        used = [
            (e, t)
            for e, t in zip(figures.timeline.events, figures.timeline.t, strict=True)
            if isinstance(e, TechniqueUsed)
        ]
        acted = [e for e in figures.timeline.events if isinstance(e, Nudge) and e.action == "acted"]
        codes = [
            f"  {who}: " + ", ".join(f"{label} ×{n}" for label, n in counted)
            for who, counted in summary.codes
        ]
        sections = [
            "Talk time (shares of all talk, the facilitators' included)",
            *charts.talk_bars(figures, self.names, width, cells=TERMINAL),
            "",
            "Who spoke when (│ a break)",
            *charts.timeline_rows(
                figures, order, self.names, width, mark=self.moment, cells=TERMINAL
            ),
            "",
            f"{BALANCE_NAME}: {summary.balance}.",
            f"  {summary.balance_scale}.",
            f"Not heard: {', '.join(summary.not_heard) or 'nobody'}.",
            summary.quiet + ".",
            "",
            "Who answered whom (heavier: more often, either way)",
            *charts.interaction_circle(
                figures, seated, self.names, cols=min(60, width), rows=14, cells=TERMINAL
            ),
            "A → B 3: A spoke right after B, 3 times",
            *(charts.answer_lines(figures, self.names, width) or ["  nobody answered anybody"]),
            "",
            "Techniques: "
            + (
                ", ".join(
                    f"{visible(self.view.filed.labels.card(e.card))} ({duration(t)})"
                    for e, t in used
                )
                or "none"
            ),
            f"Suggestions taken up: {len(acted)}",
            "Codes per member:" if codes else "Codes: none",
            *codes,
        ]
        self.query_one("#review-charts", Static).update(Text("\n".join(sections)))

    def _draw_items(self, figures: dynamics.SessionFigures) -> None:
        table = self.query_one("#review-items", DataTable)
        keep = table.cursor_row
        table.clear()
        shown = 0
        reviewed = {e.target for e in self.view.events if isinstance(e, Reviewed)}
        commented = {e.target for e in self.view.events if isinstance(e, ReviewNote)}
        self._listed = {}
        # Each item at the moment it is about (a note: when `o` or `f` was pressed).
        for event, t in zip(figures.timeline.events, figures.timeline.when, strict=True):
            kind = KINDS.get(type(event))
            if kind is None or not self._passes(event):
                continue
            shown += 1
            self._listed[event.id] = (event, t)
            table.add_row(
                Text("✓" if event.id in reviewed else ""),
                Text(duration(t) + (" ✎" if event.id in commented else "")),
                Text(kind, style="bold reverse" if kind == "FLAG" else ""),
                Text(visible(self._about(event)), overflow="ellipsis", no_wrap=True),
                Text(visible(self._text(event))),
                key=event.id,
            )
        parts = []
        if self.flags_only:
            parts.append("flags only")
        if self.member_filter:
            parts.append(f"about {visible(self.names.get(self.member_filter, '?'))}")
        if self.text_filter:
            parts.append(f"text “{visible(self.text_filter)}”")
        label = plural(shown, "item") + (f" · {' · '.join(parts)} · c clears" if parts else "")
        self.query_one("#review-filter", Static).update(Text(label))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        else:
            self.query_one("#review-detail", Static).update("")  # no item, no detail

    def _about(self, event: EventBase) -> str:
        ids = getattr(event, "about", None) or getattr(event, "towards", None) or []
        return ", ".join(self.names.get(i, i) for i in ids) or "group"

    def _text(self, event: EventBase) -> str:
        if isinstance(event, (Observation, Flag)):
            return event.text
        if isinstance(event, CodedEvent):
            return self.view.filed.labels.code(f"{event.scheme}:{event.code}")
        if isinstance(event, TechniqueUsed):
            by = self.names.get(event.by, event.by)
            return f"{self.view.filed.labels.card(event.card)} (by {by})"
        return ""

    def _passes(self, event: EventBase) -> bool:
        if self.flags_only and not isinstance(event, Flag):
            return False
        if self.member_filter:
            ids = getattr(event, "about", None) or getattr(event, "towards", None) or []
            if self.member_filter not in ids:
                return False
        if self.text_filter:
            # The text, its tags and whom it is about: searching a name finds items about them.
            tags = " ".join(getattr(event, "tags", []))
            haystack = f"{self._text(event)} {tags} {self._about(event)}"
            if not search_hit(self.text_filter, haystack):
                return False
        return True

    # --- keys ------------------------------------------------------------------------------

    def _refilter(self) -> None:
        self.query_one(TabbedContent).active = "observations"
        self._draw_items(self.view.recorded_figures())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted item in full under the table: its whole text (a row shows only
        what fits) and the comments on it."""
        detail = self.query_one("#review-detail", Static)
        listed = self._listed.get(event.row_key.value or "")
        if listed is None:
            detail.update("")
            return
        item, at = listed
        kind = KINDS.get(type(item), "")
        lines = [f"{duration(at)} · {kind} · {self._about(item)}: {self._text(item)}"]
        lines += [
            f"{_comment_head(note, self.names)}: {note.text}"
            for note in self.view.events
            if isinstance(note, ReviewNote) and note.target == item.id
        ]
        detail.update(Text("\n".join(visible(line) for line in lines)))

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # The arrows work at once in the tab just opened, by key or by tap; but a field opened
        # with it (`/` search) keeps the focus: what is typed there must never run as keys.
        if isinstance(self.app.focused, Input):
            return
        self._focus_tab()

    def _focus_tab(self) -> None:
        """The arrows back on what the open tab shows: the items, or the summary."""
        tab = self.query_one(TabbedContent).active
        self.query_one("#review-items" if tab == "observations" else "#summary-scroll").focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an item: to that moment on the speaking timeline."""
        listed = self._listed.get(event.row_key.value or "")
        self.moment = listed[1] if listed else None
        figures = self.view.recorded_figures()
        self._draw_summary(figures)
        self.query_one(TabbedContent).active = "summary"
        charts_box = self.query_one("#review-charts", Static)
        self.query_one("#summary-scroll").scroll_to_widget(charts_box, top=True)

    def action_help(self) -> None:
        from cofacil.screens.help_screen import REVIEW_KEYS, HelpScreen

        self.app.push_screen(HelpScreen("Keys in the review", REVIEW_KEYS))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_flags_only(self) -> None:
        self.flags_only = not self.flags_only
        self._refilter()

    def action_search(self) -> None:
        search = self.query_one("#review-search", Input)
        self.query_one(TabbedContent).active = "observations"
        search.display = True
        search.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "review-comment" and self._asks_reason(event.input):
            return
        event.input.display = False
        if event.input.id == "review-comment":
            text, reason = event.value, ""
            if self._addendum_text is not None:  # the addendum's text came first
                text, reason, self._addendum_text = self._addendum_text, event.value, None
            if self._save_comment(text, reason):
                self._focus_tab()  # the arrows move on from the item just commented on
            return
        self.text_filter = event.value.strip()
        self.query_one("#review-items", DataTable).focus()
        self._refilter()

    def _asks_reason(self, field: Input) -> bool:
        """An addendum's text is in: the same line asks why it is added (kept with it, as a
        clinic's record wants). True while the reason is still to come."""
        signed = self.review is not None and self.review.signed_off is not None
        if not signed or self._addendum_text is not None or not field.value.strip():
            if self._addendum_text is not None and not field.value.strip():
                self.notify("An addendum needs a reason", severity="warning", markup=False)
                return True
            return False
        self._addendum_text = field.value
        field.value = ""
        field.placeholder = (
            "why this addendum? late entry, correction, clarification … · Enter saves"
        )
        return True

    def on_key(self, event: events.Key) -> None:
        if not self.choosing_member and self._refuse_while_following(event):
            return
        if event.key == "escape":
            field = self.query_one("#review-comment", Input)
            if field.display:
                event.stop()
                self._addendum_text = None
                field.display = False
                self._focus_tab()
                return
        if self.choosing_member:
            self.choosing_member = False
            member = self.view.keys.get(event.character or "")
            if member is not None:
                event.stop()
                if getattr(self, "member_for", "filter") == "screen":
                    from cofacil.screens.member_screen import MemberScreen

                    self.app.push_screen(MemberScreen(self.view, member))
                    return
                self.member_filter = member
                self._refilter()

    # --- the lead therapist's layer --------------------------------------------------------

    def _refuse_while_following(self, event: events.Key) -> bool:
        """A comment, a reviewed mark or a sign-off while following: said, not silently lost."""
        if self.review is not None or self.view.ended or isinstance(self.focused, Input):
            return False
        if event.key not in ("n", "r", "S"):
            return False
        event.stop()
        self.notify(
            "Read-only: following. Comments, reviewed marks and sign-off come once the "
            "session has ended.",
            markup=False,
            timeout=5,
        )
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("comment", "mark_reviewed", "sign_off"):
            if self.review is None:
                return False
            if action == "comment":
                return bool(parameters) == (self.review.signed_off is not None)
            return self.review.signed_off is None
        return True

    def _selected_item(self) -> str | None:
        if self.query_one(TabbedContent).active != "observations":
            return None
        table = self.query_one("#review-items", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_comment(self, _addendum: str = "") -> None:
        self.comment_target = self._selected_item()
        field = self.query_one("#review-comment", Input)
        what = "this item" if self.comment_target else "the session"
        addendum = self.review is not None and self.review.signed_off is not None
        kind = "addendum" if addendum else "comment"
        field.placeholder = f"{kind} on {what} · Enter saves · Escape cancels"
        field.value = ""
        field.display = True
        field.focus()

    def _save_comment(self, text: str, reason: str = "") -> bool:
        """Saved, or said why not (False): the line is then open again with what was typed
        (an addendum's reason too), for Enter to try again or Escape to drop."""
        if self.review is None or not text.strip():
            return True
        try:
            self.review.comment(text, self.comment_target, reason)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False, timeout=10)
            field = self.query_one("#review-comment", Input)
            if reason:
                self._addendum_text = text
            field.value = reason or text
            field.display = True
            field.focus()
            return False
        self.redraw()
        return True

    def action_mark_reviewed(self) -> None:
        target = self._selected_item()
        if self.review is not None and target is not None:
            try:
                self.review.mark_reviewed(target)
            except StoreError as error:
                self.notify(str(error), severity="error", markup=False, timeout=10)
                return
            self.redraw()
            table = self.query_one("#review-items", DataTable)
            if table.cursor_row < table.row_count - 1:
                table.move_cursor(row=table.cursor_row + 1)  # on to the next item

    def action_sign_off(self) -> None:
        from cofacil.screens.sign_off_screen import SignOffScreen

        def signed(name: str | None) -> None:
            if name is not None and self.review is not None:
                try:
                    self.review.sign_off(name, self.view)
                except StoreError as error:
                    self.notify(str(error), severity="error", markup=False)
                    return
                self.redraw()

        undone = left_undone(self.view.store, self.view.session, self.view.events)
        self.app.push_screen(SignOffScreen(self.view.group.lead, undone), signed)

    def action_member(self) -> None:
        self.choosing_member = True
        self.member_for = "screen"
        self.notify("Whose note? (seat keys as in the room)", markup=False, timeout=3)

    def action_by_member(self) -> None:
        self.choosing_member = True
        self.member_for = "filter"
        self.notify("Whose key? (seat keys as in the room)", markup=False, timeout=3)

    def action_clear(self) -> None:
        self.flags_only, self.text_filter, self.member_filter = False, "", None
        self._refilter()

    def action_preview(self) -> None:
        from cofacil.screens.report_screen import ReportScreen  # Markdown: loaded when asked

        self.app.push_screen(ReportScreen(self.view))

    def action_export(self) -> None:
        """The report (md and html), the csv and the json into the data folder's exports/
        (0600), off the UI thread: the html reads the group's other sessions for its course."""
        if self._exporting:  # one export at a time: two would write the same four files
            return
        self._exporting = True
        self.notify("Exporting…", markup=False, timeout=3)
        self._export()

    @work(thread=True, exclusive=True, group="export")
    def _export(self) -> None:
        from cofacil.export import file_stem

        store, session = self.view.store, self.view.session
        folder = store.data_dir / "exports"
        stem = file_stem(session)
        try:
            # A view of its own, read now: the screen's may take in new events while this
            # thread writes, and the four files must say the same.
            view = SessionView(store, session.id)
            store.make_export_dir(folder)
            for fmt in ("md", "html", "csv", "json"):
                store.write_export(folder / f"{stem}.{fmt}", view.rendered(fmt))
        except StoreError as error:
            self.app.call_from_thread(self._exported, str(error), "error")
            return
        self.app.call_from_thread(
            self._exported, f"Exported to {folder}/{stem}.md, .html, .csv, .json", "information"
        )

    def _exported(self, message: str, severity: SeverityLevel) -> None:
        self._exporting = False
        self.notify(message, severity=severity, markup=False, timeout=8)

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_unmount(self) -> None:
        if self.review is not None:
            self.review.close()
