"""One member: their course across the group's sessions, and this session's DAP note.

The note opens as a draft from what was recorded (other members by initials only) or as last
saved; it is saved with the Save button and when leaving, and locked once the session is
signed off.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, Static, TextArea

from cofacil import charts, dynamics
from cofacil.display import duration, visible
from cofacil.live import SessionView
from cofacil.member_notes import SECTIONS, draft
from cofacil.models import Flag, MemberNote, Observation
from cofacil.storage import StoreError
from cofacil.widgets.plain_text_area import PlainTextArea

# What one part of the note (data, assessment, plan) may hold, as the store checks it.
PART_MAX = next(
    m.max_length for m in MemberNote.model_fields["data"].metadata if hasattr(m, "max_length")
)


class MemberScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back (saves changes)")]

    class CourseLoaded(Message):
        def __init__(self, text: Text) -> None:
            super().__init__()
            self.text = text

    def __init__(self, view: SessionView, member_id: str) -> None:
        super().__init__()
        self.view = view
        self.member = view.group.member(member_id)
        self.locked = view.filed.signed is not None
        self._saved: dict[str, str] | None = None  # the note as on disk
        self._opened: dict[str, str] | None = None  # as shown on opening (maybe a draft)
        self._note = view.member_note(member_id)  # as signed, once signed off
        # A saved note keeps its own format; a new one takes the group's (DAP or BIRP).
        self.format = self._note.format if self._note is not None else view.group.note_format

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="member-body"):
            yield Static(Text("Across the group's sessions…"), id="member-course")
            yield Static(id="member-note-title", classes="section-title")
            for part, heading in SECTIONS[self.format]:
                yield Label(heading, classes="form-label")
                yield PlainTextArea(
                    id=f"note-{part}",
                    max_length=PART_MAX,
                    read_only=self.locked,
                    soft_wrap=True,
                )
            with Horizontal(classes="form-buttons"):
                yield Button(
                    "Save note",
                    variant="primary",
                    id="save-note",
                    compact=True,
                    disabled=self.locked,
                )
        yield Footer()

    def on_mount(self) -> None:
        session = self.view.session
        self.title = visible(self.member.name)
        self.sub_title = f"{visible(self.view.group.name)} · session {session.number}"
        lock = " (signed off: read-only)" if self.locked else ""
        self.query_one("#member-note-title", Static).update(
            Text(f"Note for session {session.number} ({self.format}){lock}")
        )
        if self._note is not None:
            parts = {field: getattr(self._note, field) for field, _ in SECTIONS[self.format]}
            self._saved = parts
        else:
            figures = self.view.recorded_figures()
            group = self.view.group.model_copy(update={"note_format": self.format})
            schemes, labels = self.view.library.schemes, self.view.filed.labels
            parts = draft(group, self.member, figures, schemes, labels)
        for name, text in parts.items():
            self.query_one(f"#note-{name}", TextArea).text = text
        self._opened = self._parts()
        if not self.locked:  # typing goes into the note at once, after what is there
            first = self.query(TextArea).first()
            first.focus()
            first.move_cursor(first.document.end)
        self._load_course()

    @work(thread=True, exclusive=True, group="member-course")
    def _load_course(self) -> None:
        """Every session of the group, read off the UI thread."""
        store, group = self.view.store, self.view.group
        history = [(s, store.read_events(s.id)) for s in store.sessions(group.id)]
        rows = dynamics.member_trends(history).get(self.member.id, [])
        text = Text()
        numbers = " ".join(str(r.number) for r in rows)
        here = ["●" if r.status != "absent" else "○" for r in rows]
        text.append(f"Sessions     {numbers}\n")
        text.append(f"Attended     {''.join(here)}\n")
        turns = [None if r.status == "absent" else float(r.turns) for r in rows]
        share = [None if r.status == "absent" else r.member_share for r in rows]
        notes = [None if r.status == "absent" else float(r.notes) for r in rows]
        text.append(f"Turns        {charts.sparkline(turns)}\n")
        # The session under review, wherever it falls in the group's course.
        here = next((r for r in rows if r.session_id == self.view.session.id), None)
        percent = here.member_percent if here is not None and here.status != "absent" else 0
        text.append(
            f"Talk share   {charts.sparkline(share)}  "
            f"(of members' talk; session {self.view.session.number}: {percent}%)\n"
        )
        text.append(f"Noted        {charts.sparkline(notes)}\n\n")
        text.append("Observations over time\n", style="bold")
        for session, events in history:
            tl = dynamics.timeline(events)
            for event, t in zip(tl.events, tl.when, strict=True):  # a note at its moment
                if isinstance(event, Flag) and self.member.id in event.about:
                    text.append(f"  #{session.number} {duration(t)}  ", style="bold")
                    text.append(f"⚑ FLAG {visible(event.text)}\n", style="bold red")
                elif isinstance(event, Observation) and self.member.id in event.about:
                    text.append(f"  #{session.number} {duration(t)}  {visible(event.text)}\n")
        self.post_message(self.CourseLoaded(text))

    def on_member_screen_course_loaded(self, message: CourseLoaded) -> None:
        self.query_one("#member-course", Static).update(message.text)

    def _parts(self) -> dict[str, str]:
        return {
            name: self.query_one(f"#note-{name}", TextArea).text
            for name, _ in SECTIONS[self.format]
        }

    def save(self, asked: bool = True) -> bool:
        """Saved when asked (the button), and on leaving if anything was changed: a draft only
        looked at is not a note written (the sign-off counts notes written). False when the
        store refused it (a full disk): said, and the note stays on the screen as typed."""
        if self.locked or self._parts() == self._saved:
            return True
        if not asked and self._saved is None and self._parts() == self._opened:
            return True  # a draft only looked at
        session = self.view.session
        try:
            self.view.store.save_member_note(
                MemberNote(
                    id=f"{session.id}:{self.member.id}",
                    session_id=session.id,
                    member_id=self.member.id,
                    format=self.format,
                    updated_at=self.view.store.clock.now(),
                    **self._parts(),
                )
            )
        except StoreError as error:
            self.notify(
                f"{error}. The note is still here: leaving tries to save it again.",
                title="Note not saved",
                severity="error",
                markup=False,
                timeout=15,
            )
            return False
        self._saved = self._parts()
        self.view.refile()  # the report and the sign-off file it from now on
        self.notify("Note saved", markup=False, timeout=2)
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save-note":
            self.save()

    def may_leave(self) -> bool:
        """Quitting the app from here keeps what was written, as leaving the screen does: not
        while the store refuses it."""
        return self.save(asked=False)

    def action_back(self) -> None:
        if self.save(asked=False):
            self.app.pop_screen()
