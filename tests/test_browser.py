"""The share page in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, installed by ``scripts/setup-browser``) driven with selenium.

The page is opened from ``file://``, as a student would open it from a downloaded pack.
Skipped with a reason when Chromium, chromedriver or selenium is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import audiocheck as ac
from matcue.cli import cli

DATA = Path(__file__).parent / "data" / "ok"
ROUTINES = [DATA / "all-kinds.yaml", DATA / "e2e.yaml"]
CHROME_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--window-size=1280,1800", "--mute-audio",
)  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.ffmpeg,
    pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_exe = shutil.which("chromedriver")
    if not chromium or not driver_exe:
        pytest.skip("chromium/chromedriver not installed (scripts/setup-browser installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_exe))
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from matcue.pipeline import VoiceOverrides, build_timeline

    base = tmp_path_factory.mktemp("browser-pack")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        r = CliRunner().invoke(
            cli, ["pack", *map(str, ROUTINES), "-o", str(base / "class"), "--backend", "fake"], catch_exceptions=False
        )
        assert r.exit_code == 0, r.output
        timelines = [build_timeline(p, voice=VoiceOverrides(backend="fake")).timeline for p in ROUTINES]
    return base / "class", timelines


def _wait(driver, script: str, *args, timeout_s: float = 10.0):
    """Poll a JS expression until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_page_plays_seeks_by_chapter_and_shows_captions(browser, pack, tmp_path):
    from selenium.webdriver.common.by import By

    folder, timelines = pack
    browser.get((folder / "index.html").as_uri())
    articles = browser.find_elements(By.CSS_SELECTOR, "article.track")
    assert len(articles) == len(timelines)
    data = json.loads(browser.find_element(By.ID, "matcue-data").get_attribute("textContent"))

    for article, tl, track in zip(articles, timelines, data["tracks"]):
        assert track["title"] == tl.title
        audio = article.find_element(By.TAG_NAME, "audio")
        # the audio loads from file:// and reports the track's duration
        duration = _wait(browser, "return arguments[0].readyState >= 1 && arguments[0].duration", audio)
        error = browser.execute_script("return arguments[0].error && arguments[0].error.code", audio)
        assert error is None and duration, f"{tl.title}: audio did not load (error {error})"
        assert abs(duration - tl.total_ms / 1000) < 0.1
        # the caption track is there, and the inline cue display
        assert browser.execute_script("return arguments[0].textTracks.length", audio) == 1
        track_el = article.find_element(By.CSS_SELECTOR, "audio > track[kind=captions]")
        assert track_el.get_attribute("src").endswith(".vtt")
        cue_el = article.find_element(By.CSS_SELECTOR, ".cue")
        assert cue_el.is_displayed()

        # clicking a chapter seeks to its start and plays
        buttons = article.find_elements(By.CSS_SELECTOR, "button.chapter")
        assert [b.text.split(" ", 1)[1] for b in buttons] == [c.title for c in tl.chapters]
        for k in sorted({1, len(buttons) // 2, len(buttons) - 1}):
            start_s = tl.chapters[k].start_ms / 1000
            buttons[k].click()
            at = browser.execute_script("return arguments[0].currentTime", audio)
            assert abs(at - start_s) < 0.1, (tl.chapters[k].title, at, start_s)
            assert "current" in buttons[k].get_attribute("class")
        playing = _wait(browser, "return !arguments[0].paused && arguments[0].currentTime", audio)
        assert playing, "the player plays after a chapter click"
        browser.execute_script("arguments[0].pause()", audio)

        # the cue display follows the player: seek into each of a few cues
        for cue in track["cues"][:: max(1, len(track["cues"]) // 4)]:
            start_ms, end_ms, text = cue
            mid_s = (start_ms + min(end_ms - start_ms, 200) / 2) / 1000
            browser.execute_script("arguments[0].currentTime = arguments[1]", audio, mid_s)
            shown = _wait(browser, "var t = arguments[0].textContent; return t === arguments[1] && t", cue_el, text)
            assert shown == text
            assert "past" not in cue_el.get_attribute("class")

    browser.save_screenshot(str(tmp_path / "page.png"))
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_print_layout_shows_the_cards_not_the_players(browser, pack, tmp_path):
    from selenium.webdriver.common.by import By

    folder, timelines = pack
    browser.get((folder / "index.html").as_uri())
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, ".player").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, ".chapters-box").is_displayed()
        cards = browser.find_elements(By.CSS_SELECTOR, ".card")
        assert len(cards) == len(timelines) and all(c.is_displayed() for c in cards)
        assert re.search(r"Pose\s+Sides\s+Hold", cards[0].text)
        browser.save_screenshot(str(tmp_path / "print.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
