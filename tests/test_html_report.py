"""The html report without a browser: what its markup holds, hostile text kept as text, the
same redaction as every format, a signed session's digest, and each figure's denominator."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from html_fixtures import HOSTILE, T0, hostile_page, hostile_session, plain_page

from cofacil.demo import ensure_demo_group
from cofacil.live import SessionView
from cofacil.review import SessionReview
from cofacil.storage import Store

ALLOWED = {
    *[
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "bdi",
        "main",
        "section",
        "footer",
        "h1",
        "h2",
        "h3",
        "p",
        "dl",
        "dt",
        "dd",
    ],
    *[
        "div",
        "span",
        "strong",
        "code",
        "ul",
        "li",
        "figure",
        "figcaption",
        "table",
        "caption",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ],
    *["svg", "g", "rect", "circle", "line", "path", "polygon", "text"],
}


class Page(HTMLParser):
    """The page as a browser's parser reads it: its elements, attributes and text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())

    def first(self, tag: str) -> dict[str, str | None]:
        return next(attrs for name, attrs in self.elements if name == tag)


def test_hostile_text_adds_no_element_and_no_attribute() -> None:
    hostile, plain = Page(hostile_page()), Page(plain_page())
    # Element for element the page of its harmless twin: no text made an element of its own.
    assert [name for name, _ in hostile.elements] == [name for name, _ in plain.elements]
    assert {name for name, _ in hostile.elements} <= ALLOWED
    for name, attrs in hostile.elements:
        assert not any(a.startswith("on") for a in attrs), name
        assert "href" not in attrs and "src" not in attrs, name
        assert all("javascript:" not in (v or "") for v in attrs.values()), name
    assert [a for _, a in hostile.elements] != [a for _, a in plain.elements]  # texts differ


def test_hostile_text_is_shown_literally() -> None:
    words = Page(hostile_page()).words
    for key, typed in HOSTILE.items():
        for line in typed.splitlines():  # a note's lines stand on lines of their own
            assert " ".join(line.split()) in words, key


def test_the_page_allows_no_script_no_remote_load_and_only_its_own_style() -> None:
    page = Page(plain_page())
    policy = next(
        a["content"] or ""
        for name, a in page.elements
        if name == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'none'"
    assert rules["base-uri"] == "'none'" and rules["form-action"] == "'none'"
    style = re.search(r"<style>(.*?)</style>", plain_page(), re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert rules["style-src"] == f"'sha256-{digest}'"  # the stylesheet as the browser reads it
    assert "http:" not in plain_page() and "https:" not in plain_page()  # nothing to fetch


def test_every_chart_has_its_figures_in_text() -> None:
    page = plain_page()
    for chart in ("talk", "answers", "timeline"):
        figure = re.search(
            rf'<figure id="{chart}">(.*?)</figure>(.*?)(<figure|</section>)', page, re.S
        )
        assert figure is not None, chart
        picture, after = figure.group(1), figure.group(2)
        assert "<svg" in picture and "<title" in picture and "<figcaption>" in picture
        assert "<table" in after, f"{chart}: no table of its figures"


def test_each_view_names_the_denominator_of_its_shares() -> None:
    words = Page(plain_page()).words
    assert "Shares are of all talk in the session (8:45), the facilitators' included" in words
    assert "Shares here are of the members' talk only" in words
    assert "Balance of members' talk: 90% (talk was shared fairly evenly" in words
    assert "100% = every member who came talked equally long" in words


def test_who_answered_whom_counts_the_facilitators_and_its_direction() -> None:
    page = Page(plain_page())
    words = page.words
    # Turns: lead, m1, m2, m3, (break), cofac, m1, m2, m1: the co-facilitator answered the
    # third member across the break; the first member answered the co-facilitator.
    assert "plain attr" in words  # the co-facilitator, by their name
    titles = [t for t in page.text if "→" in t]
    assert "plain quote → plain lead: 1" in titles  # the first member answered the lead
    assert "plain img → plain quote: 2" in titles
    assert "plain quote → plain img: 1" in titles
    assert "plain attr → plain svg: 1" in titles


@pytest.fixture
def demo(tmp_path: Path) -> Store:
    store = Store(tmp_path / "data")
    ensure_demo_group(store)
    return store


def test_a_member_course_is_drawn_when_the_group_has_met_before(demo: Store) -> None:
    first, second = demo.sessions("demo-group")
    assert "course across the group" not in SessionView(demo, first.id).rendered("html")
    page = SessionView(demo, second.id).rendered("html")
    # Each member who came to session 2 (all but Jonas), in seat order.
    courses = re.findall(r'<figure id="course-\d+">\s*<figcaption><strong>(.*?)</strong>', page)
    assert courses == ["Maya", "Theo", "Priya", "Lea", "Omar", "Ines", "Kit"]
    # Each drawn with its three measures, the figures in a table after it.
    assert page.count(">Talk share</text>") == page.count(">Turns</text>") == 7
    assert page.count('<div class="table-wrap course-table">') == 7


def test_a_redacted_page_names_nobody_and_cuts_no_name(demo: Store) -> None:
    session = demo.sessions("demo-group")[-1]
    view = SessionView(demo, session.id)
    page = Page(view.rendered("html", redacted=True))
    words = page.words
    group = demo.group("demo-group")
    for member in group.members:
        assert re.search(rf"\b{re.escape(member.name)}\b", words) is None, member.name
    assert group.lead not in words and group.cofac not in words
    texts = [t.strip() for t in page.text]
    assert "Lead therapist" in texts and "Co-facilitator" in texts  # whole, in the charts
    assert "course across the group" in words  # the pseudonyms' courses, not their names


def test_a_signed_page_shows_its_digest(demo: Store) -> None:
    session = demo.sessions("demo-group")[-1]
    view = SessionView(demo, session.id)
    review = SessionReview(demo, session.id)
    try:
        signed = review.sign_off("Dr. Rivera, LCSW", view)
    finally:
        review.close()
    view.refresh()
    words = Page(view.rendered("html")).words
    assert f"Signed record, SHA-256: {signed.digest}" in words  # type: ignore[attr-defined]
    assert "signed off by Dr. Rivera, LCSW" in words


def test_the_timeline_marks_breaks_and_gaps_where_they_fell() -> None:
    words = Page(plain_page()).words
    assert "1 break: break at 5:00, 5:00 long" in words
    assert "1 time cofacil was not running: cofacil not running at" in words
    assert "for 1:00" in words  # from the first run's last event (12:40) to the second's first


def test_redacted_names_stand_whole_in_the_terminal_charts(demo: Store) -> None:
    """Charts drawn at 80 columns with a redacted roster: "Lead therapist", "Co-facilitator"
    and every pseudonym whole, in front of the talk bars and the timeline's rows."""
    from cofacil import charts, dynamics
    from cofacil.models import COFAC, LEAD
    from cofacil.redact import redact
    from cofacil.widgets.cells import TERMINAL

    view = SessionView(demo, demo.sessions("demo-group")[-1].id)
    group, session, events = redact(view.group, view.session, view.events)
    figures = dynamics.session_figures(session, events)
    names = group.names()
    order = [*session.seats, LEAD, COFAC]
    drawn = [
        *charts.talk_bars(figures, names, 76, cells=TERMINAL),
        *charts.timeline_rows(figures, order, names, 76, cells=TERMINAL),
    ]
    assert {names[LEAD], names[COFAC]} == {"Lead therapist", "Co-facilitator"}
    for who in order:  # in front of its bar (if it talked) and of its row, whole
        assert any(line.startswith(names[who] + " ") for line in drawn), names[who]


def test_a_browser_is_there_where_one_is_promised() -> None:
    """The browser tests skip, saying why, where no browser can be had; where `.ci/run` has
    one (`COFACIL_BROWSER_EXPECTED`), not finding it is a failure rather than a quiet skip."""
    from browser import find_browser

    program, why = find_browser()
    if os.environ.get("COFACIL_BROWSER_EXPECTED"):
        assert program is not None, why
    assert program is None or shutil.which(program)
    assert program is not None or why


def test_a_right_to_left_name_does_not_reorder_the_words_around_it() -> None:
    page = hostile_page(lambda key, value: "דנה" if key == "svg" else f"plain {key}")
    # The flag is about the third member: their name and the flag's text each isolated.
    assert "3:50 <bdi>דנה</bdi>: <bdi>plain link plain word</bdi>" in page


def test_the_timeline_ticks_never_overlap() -> None:
    from cofacil import dynamics, svg_charts
    from cofacil.record import Labels

    _, session, events, _, _ = hostile_session()
    for end in (0.0, 59.0, 60.0, 3801.0, 3600.0, 7265.0):
        figures = dynamics.session_figures(session, events)
        figures = replace(figures, active=end)
        ticks = [x for x, _ in svg_charts.timeline(figures, session.seats, {}, Labels()).ticks]
        assert ticks == sorted(ticks) and all(b - a >= 48 for a, b in pairwise(ticks))


def test_a_member_course_counts_no_private_note(tmp_path: Path) -> None:
    """A #private note about a member, in two sessions: the report leaves it out, and its
    count in the member's course would say whom it is about, so it is left out there too."""
    from conftest import _add_session

    from cofacil.clock import FakeClock
    from cofacil.live import LiveSession
    from cofacil.models import Attendance

    clock = FakeClock(T0)
    store = Store(tmp_path / "data", clock=clock)
    came = {m: Attendance() for m in ("m1", "m2", "m3")}
    first = _add_session(store).model_copy(update={"attendance": came})
    second = first.model_copy(update={"id": "second", "number": 2})
    for session in (first, second):
        store.save_session(session)
        live = LiveSession(store, session.id)
        live.speak("m1")
        clock.advance(30)
        live.observe("sister in hospital", about=["m3"], tags=["private"])
        live.observe("spoke first", about=["m1"], tags=[])
        live.end()
        live.close()
    view = SessionView(store, second.id)
    for redacted in (False, True):
        page = view.rendered("html", redacted=redacted)
        notes = re.findall(r'<td class="n">(\d+)</td></tr>', page.split('id="course"')[1])
        assert notes.count("1") == 2 and set(notes) == {"0", "1"}  # m1's, in each session
    with_private = view.rendered("html", include_private=True).split('id="course"')[1]
    assert re.findall(r'<td class="n">(\d+)</td></tr>', with_private).count("1") == 4
