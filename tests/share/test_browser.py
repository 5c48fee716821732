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
from matcue.cli.main import cli

DATA = Path(__file__).parents[1] / "data" / "ok"
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
    from matcue.api import VoiceOverrides, build_timeline

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


# ----------------------------------------------------------------------------- hostile content

# Each would run script, or pull in another value, if it reached the page unescaped.
HOSTILE = (
    "</script><script>window.pwned = 'script';</script>",
    "\"'><img src=x onerror=\"window.pwned = 'onerror'; document.title = 'owned'\">",
    "{{json:DATA}} {{html:TRACKS}} {{text:TITLE}} {{TITLE}} {{DATA}}",
    "javascript:window.pwned='url' <!-- <svg onload=\"window.pwned='svg'\">",
    "<style>body{display:none}</style>&amp; &lt;b&gt; \\u003c/script\\u003e",
)


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory):
    """A pack whose routine puts a hostile string into every field the page shows."""
    import yaml

    base = tmp_path_factory.mktemp("hostile-pack")
    spoken = [h.replace("{", "{{").replace("}", "}}") for h in HOSTILE]  # "{{" in a cue is a "{"
    steps = [{"say": f"Stop if it hurts. {h}"} for h in spoken]
    steps += [
        {
            "pose": h,
            "sanskrit": h,
            "cue": h,
            "hold": "8s",
            "countdown": 0,
            "release": h,
            "during": [{"at": "1s", "say": h}],
        }
        for h in spoken
    ]
    steps.append({"section": spoken[1], "steps": [{"rest": "2s", "cue": spoken[0]}]})
    routine = base / "hostile.yaml"
    routine.write_text(
        yaml.safe_dump(
            {"title": HOSTILE[0] + HOSTILE[2], "description": HOSTILE[1], "author": HOSTILE[3],
             "collection": HOSTILE[4], "steps": steps},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        r = CliRunner().invoke(
            cli,
            ["pack", str(routine), "-o", str(base / "class"), "--backend", "fake", "--title", HOSTILE[1] + HOSTILE[2]],
            catch_exceptions=False,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
    return base / "class"


@pytest.fixture
def violations(browser):
    """The page's Content-Security-Policy violations, collected by a listener installed
    (through the DevTools protocol, outside the page's policy) before the page loads."""
    added = browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) {"
                   " window.__csp.push([e.violatedDirective, e.blockedURI]); });"},
    )  # fmt: skip
    yield lambda: browser.execute_script("return window.__csp")
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def _no_script_ran(browser) -> None:
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.execute_script("return document.querySelectorAll('img:not(.cover), body style').length") == 0
    # the only pictures are the page's own: the session picture of each track (and a card's QR code)
    others = "return [...document.querySelectorAll('svg')].filter(s => !s.matches('figure.session > svg.session-picture, div.qr > svg')).length"  # noqa: E501
    assert browser.execute_script(others) == 0


def test_hostile_titles_and_cues_show_literally_and_run_nothing(browser, hostile_pack, violations):
    from selenium.webdriver.common.by import By

    browser.get((hostile_pack / "index.html").as_uri())
    page_title = " ".join((HOSTILE[1] + HOSTILE[2]).split())
    assert browser.title == page_title  # not 'owned', and no placeholder pulled in a value
    assert browser.find_element(By.TAG_NAME, "h1").text == page_title
    # the page's own script ran (it marks the page) and the data block parsed whole
    assert browser.execute_script("return document.documentElement.classList.contains('js')")
    data = json.loads(browser.find_element(By.ID, "matcue-data").get_attribute("textContent"))
    (track,) = data["tracks"]
    title = " ".join((HOSTILE[0] + HOSTILE[2]).split())
    assert track["title"] == title
    article = browser.find_element(By.CSS_SELECTOR, "article.track")
    assert article.find_element(By.TAG_NAME, "h2").text == title
    assert article.find_element(By.CSS_SELECTOR, ".desc").text == " ".join(HOSTILE[1].split())
    chapters = [
        b.get_attribute("textContent").split(" ", 1)[1]
        for b in article.find_elements(By.CSS_SELECTOR, "button.chapter")
    ]
    assert chapters == [c[2] for c in track["chapters"]]
    assert {" ".join(h.split()) for h in HOSTILE} <= set(chapters)
    cells = [td.get_attribute("textContent") for td in article.find_elements(By.CSS_SELECTOR, ".card td:first-child")]
    assert {" ".join(h.split()) for h in HOSTILE} <= set(cells)
    safety = [li.get_attribute("textContent") for li in article.find_elements(By.CSS_SELECTOR, ".safety li")]
    assert [f"Stop if it hurts. {' '.join(h.split())}" for h in HOSTILE] == safety
    # the cue display shows each hostile cue as text
    audio = article.find_element(By.TAG_NAME, "audio")
    cue_el = article.find_element(By.CSS_SELECTOR, ".cue")
    assert _wait(browser, "return arguments[0].readyState >= 1", audio)
    hostile_cues = [c for c in track["cues"] if any(" ".join(h.split()) in c[2] for h in HOSTILE)]
    assert len(hostile_cues) >= 3 * len(HOSTILE)
    for start_ms, end_ms, text in hostile_cues[:: max(1, len(hostile_cues) // 6)]:
        browser.execute_script("arguments[0].currentTime = arguments[1]", audio, (start_ms + end_ms) / 2000)
        assert _wait(browser, "var t = arguments[0].textContent; return t === arguments[1] && t", cue_el, text) == text
    _no_script_ran(browser)
    assert browser.execute_script("return document.querySelectorAll('[onerror], [onload]').length") == 0
    assert violations() == []  # nothing even tried: the escaping alone kept it out


def test_the_policy_stops_markup_that_escaping_would_have_let_through(browser, pack, tmp_path, violations):
    """Defence in depth: raw hostile markup pasted into a real page (as an escaping bug
    would) is refused by the page's Content-Security-Policy, and the page still works."""
    from selenium.webdriver.common.by import By

    folder, timelines = pack
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert page.count('http-equiv="Content-Security-Policy"') == 1
    injected = (
        '<img src="nowhere.png" onerror="window.pwned = \'onerror\'">'
        "<script>window.pwned = 'inline script';</script>"
        '<script src="https://example.invalid/x.js"></script>'
        '<img id="remote" src="https://example.invalid/x.png">'
        '<a id="jsurl" href="javascript:window.pwned=\'javascript url\'">x</a>'
        '<div id="styled" style="display:none">inline style</div>'
        '<iframe src="https://example.invalid/"></iframe>'
    )
    hacked = tmp_path / "index.html"
    hacked.write_text(page.replace("<main>", "<main>" + injected, 1), encoding="utf-8")
    for f in folder.iterdir():  # the same folder contents, so the page's media load
        if f.name != "index.html":
            (tmp_path / f.name).symlink_to(f)
    browser.get(hacked.as_uri())
    browser.find_element(By.ID, "jsurl").click()
    time.sleep(0.3)
    _wait(browser, "return window.__csp.length >= 6")
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.find_element(By.ID, "styled").is_displayed()  # its inline style was refused
    found = {d.split(" ")[0] for d, _ in violations()}
    assert {"script-src-elem", "script-src-attr", "img-src", "style-src-attr", "frame-src"} <= found, violations()
    blocked = {u for _, u in violations()}
    assert "https://example.invalid/x.js" in blocked and "https://example.invalid/x.png" in blocked
    # the page's own script and style still run, and the track still loads from file://
    assert browser.execute_script("return document.documentElement.classList.contains('js')")
    audio = browser.find_element(By.CSS_SELECTOR, "article.track audio")
    duration = _wait(browser, "return arguments[0].readyState >= 1 && arguments[0].duration", audio)
    assert duration and abs(duration - timelines[0].total_ms / 1000) < 0.1
    assert browser.find_element(By.CSS_SELECTOR, ".track").value_of_css_property("border-radius") == "16px"


def test_hostile_names_and_vars_of_a_roster_show_literally_and_run_nothing(browser, tmp_path, violations):
    """``pack --roster``: each person's name lands in a track title (HTML text, the JSON
    block, the cover's alt), their ``vars:`` in the cues; the page's own title from --title
    and the QR addresses from --feed-url. Nothing runs, nothing is pulled in."""
    import yaml
    from selenium.webdriver.common.by import By

    routine = tmp_path / "r.yaml"
    routine.write_text("title: Hips\nsteps:\n  - say: Stop if it hurts, {who}.\n  - pause: 2s\n")
    names = [f"P{i} {' '.join(h.split())}" for i, h in enumerate(HOSTILE)]
    said = [" ".join(h.replace("{", "(").replace("}", ")").split()) for h in HOSTILE]  # a value holds no braces
    people = [{"name": n, "vars": {"who": w}} for n, w in zip(names, said)]
    roster = tmp_path / "class.yaml"
    roster.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
        r = CliRunner().invoke(
            cli,
            ["pack", str(routine), "--roster", str(roster), "-o", str(tmp_path / "class"), "--backend", "fake",
             "--workers", "1", "--title", HOSTILE[2] + "\u2028" + HOSTILE[0], "--feed-url", "https://x.example/a%22b/"],
            catch_exceptions=False,
        )  # fmt: skip
    assert r.exit_code == 0, r.output
    browser.get((tmp_path / "class" / "index.html").as_uri())
    assert browser.title == " ".join((HOSTILE[2] + " " + HOSTILE[0]).split())
    assert browser.execute_script("return document.documentElement.classList.contains('js')")
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "article.track h2")]
    assert titles == [f"Hips — {n}" for n in names]
    data = json.loads(browser.find_element(By.ID, "matcue-data").get_attribute("textContent"))
    spoken = [t["cues"][0][2] for t in data["tracks"]]
    assert spoken == [f"Stop if it hurts, {w}." for w in said]
    alts = [i.get_attribute("alt") for i in browser.find_elements(By.CSS_SELECTOR, "img.cover")]
    assert all(any(n in a for n in names) for a in alts) and len(alts) == len(names)
    qr = browser.find_elements(By.CSS_SELECTOR, ".qr p")
    assert qr and all("https://x.example/a%22b/index.html#t" in p.get_attribute("textContent") for p in qr)
    _no_script_ran(browser)
    assert violations() == []
