"""The session picture and the card's QR code in headless Chromium (see test_browser.py):
the picture as a file of its own, on the share page and on the printed card, its blocks
where the timed script puts them; the QR code read back from a screenshot with zbar."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_browser import browser  # noqa: F401 - the shared Chromium fixture

import audiocheck as ac
from matcue.cli.main import cli
from matcue.share.svg import WIDTH_PX

DATA = Path(__file__).parents[1] / "data" / "ok"
ROUTINES = [DATA / "e2e.yaml", DATA / "all-kinds.yaml"]
URL = "https://studio.example/class/"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.ffmpeg,
    pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed"),
]

# the bounding box of every block of the picture, in CSS pixels
_BOXES = """
var svg = arguments[0], box = svg.getBoundingClientRect();
return {svg: [box.left, box.width], blocks: Array.from(svg.querySelectorAll('g.block')).map(function (g) {
  var r = g.querySelector('rect').getBoundingClientRect();
  return {cls: g.getAttribute('class'), start: Number(g.dataset.startMs), end: Number(g.dataset.endMs),
          left: r.left - box.left, width: r.width};
})};
"""


@pytest.fixture(scope="module")
def feed_pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A pack with a feed: (folder, [script --json of each routine])."""
    base = tmp_path_factory.mktemp("picture-pack")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        r = CliRunner().invoke(
            cli, ["pack", *map(str, ROUTINES), "-o", str(base / "class"), "--backend", "fake", "--feed-url", URL],
            catch_exceptions=False,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        docs = []
        for i, p in enumerate(ROUTINES):
            svg = base / f"{i}.svg"
            s = CliRunner().invoke(cli, ["script", str(p), "--backend", "fake", "--json", "--svg", str(svg)])
            assert s.exit_code == 0, s.output
            docs.append((json.loads(s.stdout), svg))
    return base / "class", docs


def _check_boxes(boxes: dict, doc: dict) -> None:  # type: ignore[type-arg]
    """Each block's left edge and width, in the rendered picture's pixels, within a pixel of
    the timed script's times on the same scale."""
    scale = boxes["svg"][1] / WIDTH_PX
    total = doc["total_ms"]
    spans = [(c["start_ms"], c["end_ms"]) for c in doc["chapters"]] + [
        (h["start_ms"], h["end_ms"]) for h in doc["holds"]
    ]
    assert [(b["start"], b["end"]) for b in boxes["blocks"]] == spans
    for b, (start, end) in zip(boxes["blocks"], spans):
        x0 = (16 + start * (WIDTH_PX - 32) / total) * scale
        x1 = (16 + end * (WIDTH_PX - 32) / total) * scale
        assert abs(b["left"] - x0) <= 1 and abs(b["width"] - (x1 - x0)) <= 1, (b, x0, x1)


def test_the_svg_file_renders_with_its_blocks_in_place(browser, feed_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from selenium.webdriver.common.by import By

    _, docs = feed_pack
    for doc, svg in docs:
        browser.get(svg.as_uri())
        root = browser.find_element(By.TAG_NAME, "svg")
        boxes = browser.execute_script(_BOXES, root)
        assert boxes["svg"][1] == WIDTH_PX
        _check_boxes(boxes, doc)
    browser.save_screenshot(str(tmp_path / "session.png"))
    assert (tmp_path / "session.png").stat().st_size > 5_000


def test_page_and_printed_card_show_the_picture_and_a_readable_qr_code(browser, feed_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811,E501
    from PIL import Image
    from selenium.webdriver.common.by import By

    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar/libzbar0 missing (scripts/setup installs them)")
    folder, docs = feed_pack
    browser.get((folder / "index.html").as_uri())
    articles = browser.find_elements(By.CSS_SELECTOR, "article.track")
    assert len(articles) == len(docs)
    for article, (doc, _) in zip(articles, docs):
        picture = article.find_element(By.CSS_SELECTOR, "figure.session svg")
        assert picture.is_displayed()
        _check_boxes(browser.execute_script(_BOXES, picture), doc)
        assert not article.find_element(By.CSS_SELECTOR, ".qr").is_displayed()  # on paper only
    browser.save_screenshot(str(tmp_path / "page.png"))

    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        for i, (article, (doc, _)) in enumerate(zip(articles, docs)):
            picture = article.find_element(By.CSS_SELECTOR, "figure.session svg")
            assert picture.is_displayed() and article.find_element(By.CSS_SELECTOR, ".card").is_displayed()
            _check_boxes(browser.execute_script(_BOXES, picture), doc)
            qr = article.find_element(By.CSS_SELECTOR, ".qr svg")
            assert qr.is_displayed()
            browser.execute_script("arguments[0].scrollIntoView()", qr)
            image = Image.open(io.BytesIO(qr.screenshot_as_png)).convert("L")
            decoded = [d.data.decode("utf-8") for d in pyzbar.decode(image)]
            assert decoded == [f"{URL}index.html#t{i + 1}"]
            assert f"{URL}feed.xml" in article.find_element(By.CSS_SELECTOR, ".qr").text
        articles[0].screenshot(str(tmp_path / "card.png"))
        assert (tmp_path / "card.png").stat().st_size > 10_000
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
