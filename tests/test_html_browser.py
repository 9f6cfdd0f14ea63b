"""The html report in a real browser (headless Chromium): each chart drawn at its size and not
blank, the names and figures in the rendered text, the expected pages on A4 and Letter, no
chart split by a page break, and a hostile session that adds no element and runs nothing.

Skipped, with the reason, only where no browser can be had (`.ci/run` installs chromium). To
look at the pictures: `COFACIL_SCREENSHOTS=DIR` keeps every screenshot taken here in DIR.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import Browser, Page, find_browser
from html_fixtures import HOSTILE, hostile_page, plain_page, write
from PIL import Image

from cofacil.demo import ensure_demo_group
from cofacil.live import SessionView
from cofacil.storage import Store

PROGRAM, WHY = find_browser()
pytestmark = pytest.mark.skipif(PROGRAM is None, reason=WHY)

DESKTOP, PHONE = 1280, 390
MEMBER_BLUE, FLAG_RED = (0x2F, 0x6D, 0xB5), (0xC0, 0x39, 0x2B)
# The demo's second session printed, as measured here (Debian's fonts) and looked at. Another
# machine's fonts may move a break by a page; more than that is a change in the layout.
PAGES = {"A4": (8.27, 11.69, 9), "Letter": (8.5, 11.0, 10)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert PROGRAM is not None
    started = Browser(PROGRAM)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    store = Store(folder / "data")
    ensure_demo_group(store)
    session = store.sessions("demo-group")[-1]
    return write(folder, "demo.html", SessionView(store, session.id).rendered("html"))


def keep(name: str, png: bytes) -> None:
    """A screenshot for a person to look at, when asked for."""
    if where := os.environ.get("COFACIL_SCREENSHOTS"):
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / name).write_bytes(png)


def chart_boxes(page: Page) -> list[dict]:
    return page.evaluate(
        """[...document.querySelectorAll('figure svg')].map(svg => {
            const box = svg.getBoundingClientRect();
            const view = svg.viewBox.baseVal;
            return {id: svg.closest('figure').id || svg.getAttribute('aria-label'),
                    x: box.x + window.scrollX, y: box.y + window.scrollY,
                    width: box.width, height: box.height,
                    natural: view.width, aspect: view.width / view.height};
        })"""
    )


def colours(png: bytes) -> dict[tuple[int, int, int], int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 20) or []}


def near(rgb: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(rgb, target, strict=True))


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_chart_is_drawn_at_its_size_and_is_not_blank(
    browser: Browser, demo_page: Path, width: int
) -> None:
    page = browser.page(demo_page, width, mobile=width == PHONE)
    keep(f"report-{width}.png", page.full_screenshot())
    boxes = chart_boxes(page)
    assert [b["id"] for b in boxes[:3]] == ["talk", "answers", "timeline"]
    assert len(boxes) == 3 + 7  # and the course of each member who came
    for box in boxes:
        assert box["width"] == pytest.approx(box["height"] * box["aspect"], rel=0.02), box
        assert box["width"] <= box["natural"] + 0.5, box  # never blown up past its drawing
        if box["id"] in ("talk", "answers", "timeline"):
            # Readable on a phone: kept at 36rem at least, the row scrolls sideways.
            assert box["width"] >= min(box["natural"], 576) - 0.5, box
        png = page.screenshot({k: box[k] for k in ("x", "y", "width", "height")})
        keep(f"chart-{width}-{box['id'][:20]}.png", png)
        seen = colours(png)
        inked = sum(n for rgb, n in seen.items() if sum(rgb) < 3 * 235)
        assert inked / sum(seen.values()) > 0.01, f"{box['id']}: blank"
        assert any(near(rgb, MEMBER_BLUE) for rgb in seen), f"{box['id']}: no member drawn"
    if width == DESKTOP:  # on a phone the flag (at 55:31) is further along the sideways scroll
        timeline = page.screenshot({k: boxes[2][k] for k in ("x", "y", "width", "height")})
        assert any(near(rgb, FLAG_RED) for rgb in colours(timeline)), "the flag is not marked"


def test_names_and_figures_are_in_the_rendered_text(browser: Browser, demo_page: Path) -> None:
    page = browser.page(demo_page, DESKTOP)
    text = page.evaluate("document.body.innerText")
    for name in ("Maya", "Theo", "Priya", "Lea", "Omar", "Ines", "Kit", "Dr. Rivera", "Sam"):
        assert name in text
    talk = page.evaluate(
        "[...document.querySelectorAll('#talk + .table-wrap tbody tr')]"
        ".map(tr => [...tr.cells].map(td => td.innerText))"
    )
    assert talk[0] == ["Dr. Rivera", "19:18", "24%", "22"]
    assert sum(int(row[2].rstrip("%")) for row in talk) == 100
    assert "Shares are of all talk in the session (1:19:18)" in text
    assert "Balance of members' talk: 70%" in text


@pytest.mark.parametrize("paper", PAGES)
def test_printing_gives_the_expected_pages_and_splits_no_chart(
    browser: Browser, demo_page: Path, paper: str
) -> None:
    page = browser.page(demo_page, DESKTOP)
    width, height, pages = PAGES[paper]
    pdf = page.pdf(width, height)
    assert abs(len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) - pages) <= 1
    page.send("Emulation.setEmulatedMedia", media="print")
    breaks = page.evaluate(
        "[...document.querySelectorAll('figure')].map(f => getComputedStyle(f).breakInside)"
    )
    assert breaks and set(breaks) == {"avoid"}  # a chart and its caption: on one page


def test_the_hostile_session_adds_no_element_and_runs_nothing(
    browser: Browser, tmp_path: Path
) -> None:
    count = "document.getElementsByTagName('*').length"
    plain = browser.page(write(tmp_path, "plain.html", plain_page()), DESKTOP)
    # Its policy set aside: escaping alone must hold.
    hostile = browser.page(
        write(tmp_path, "hostile.html", hostile_page()), DESKTOP, bypass_csp=True
    )
    keep("hostile.png", hostile.full_screenshot())
    assert hostile.evaluate(count) == plain.evaluate(count)
    assert hostile.evaluate("typeof window.pw") == "undefined"  # no handler, no script ran
    assert (
        hostile.evaluate(
            "document.querySelectorAll('script, img, iframe, object, embed, a, base, form,"
            " input, link, style ~ style').length"
        )
        == 0
    )
    assert (
        hostile.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
            ".filter(a => a.name.startsWith('on')).length"
        )
        == 0
    )
    text = hostile.evaluate("document.body.innerText")
    phone = browser.page(write(tmp_path, "hostile.html", hostile_page()), PHONE, mobile=True)
    # A long link pasted whole wraps: the page keeps the phone's width (charts scroll alone).
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE
    for key, typed in HOSTILE.items():
        for line in typed.splitlines():
            assert line.strip() in text, key
    assert not [m for m in hostile.messages() if "error" in str(m).lower()]


def test_the_policy_lets_the_stylesheet_in_and_nothing_else(
    browser: Browser, tmp_path: Path
) -> None:
    page = browser.page(write(tmp_path, "plain.html", plain_page()), DESKTOP)
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "960px"
    refused = [m for m in page.messages() if "Content Security Policy" in str(m)]
    assert refused == []
