"""The recording page (matcue.share.recordpage): hostile text stays text, the policy allows
exactly the page's own script and style, and in a real browser a teacher's takes become a
ZIP of clips named by phrase id.

The browser test drives headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
installed by ``scripts/setup-browser``) with a fake microphone that plays a WAV file, opens
the page from ``file://``, records, re-takes, saves, and decodes the downloaded clips with
ffmpeg. Skipped with a reason when Chromium, chromedriver, selenium or ffmpeg is missing.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import time
import tomllib
import wave
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audiocheck as ac
from matcue.share import escape
from matcue.share.recordpage import TEMPLATE, content_security_policy, recording_page, template

ROOT = Path(__file__).resolve().parents[2]

# each would run script, close an element or pull in another value if it reached the page unescaped
HOSTILE = (
    "</script><script>window.pwned = 'script'; alert(1)</script>",
    "{{json:DATA}} {{text:TITLE}} {{attr:CSP}} {{html:X}}",
    '" onmouseover="window.pwned = \'attr\'" x="',
    "' onfocus='window.pwned = 1' <img src=x onerror=\"window.pwned = 'img'\"> &amp; <!-- \u2028",
)

PHRASES: list[dict[str, Any]] = [
    {
        "id": "welcome-to-your-practice-3f9a2c",
        "text": "Welcome to your practice.",
        "max_ms": 7500,
        "uses": ["hamstring.yaml:3 · Welcome"],
    },
    {
        "id": "fold-forward-slowly-1b2c3d",
        "text": "Fold forward, slowly.",
        "max_ms": 1000,
        "uses": ["hamstring.yaml:12 · Forward fold (left)", "hamstring.yaml:14 · Forward fold (right)"],
    },
    {"id": "hostile-9f8e7d", "text": " ".join(HOSTILE), "max_ms": None, "uses": list(HOSTILE)},
]


class _Page(HTMLParser):
    """What a browser's parser makes of the page: elements, their attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[int, str] = {}
        self.stack: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in ("meta", "link", "br", "img", "input"):
            self.stack.append(len(self.elements) - 1)
            self.text[len(self.elements) - 1] = ""

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.text[self.stack[-1]] += data

    def all(self, tag: str) -> list[tuple[dict[str, str | None], str]]:
        return [(a, self.text.get(k, "")) for k, (t, a) in enumerate(self.elements) if t == tag]


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


# ----------------------------------------------------------------------------- the page as text


@pytest.mark.parametrize("title", [*HOSTILE, "Anna's hamstrings — record your cues"])
def test_hostile_titles_and_texts_stay_text(title: str) -> None:
    page = recording_page(title, PHRASES, "anna-recordings.zip")
    parsed = _parse(page)
    scripts = parsed.all("script")
    assert [a.get("type") for a, _ in scripts] == ["application/json", None]  # no value made a <script>
    assert scripts[0][0].get("id") == "data"
    handlers = [(t, k) for t, a in parsed.elements for k in a if k.lower().startswith("on")]
    assert handlers == []
    assert [t for t, _ in parsed.elements if t in ("img", "iframe", "object", "embed", "link", "base")] == []
    # the title shows literally, in <title> and <h1>: a placeholder name in it pulled in nothing
    assert [text for _, text in parsed.all("title")] == [title]
    assert [text for _, text in parsed.all("h1")] == [title]
    # the data block parses back to the phrases, and nothing in it could end the block
    assert json.loads(scripts[0][1]) == {"zip_name": "anna-recordings.zip", "phrases": PHRASES}
    assert not re.search("[<>&\u2028\u2029]", scripts[0][1])


def test_a_placeholder_in_the_title_or_a_text_shows_literally() -> None:
    page = recording_page("{{json:DATA}}", [{**PHRASES[0], "text": "{{text:TITLE}}"}], "x.zip")
    assert "<title>{{json:DATA}}</title>" in page and "<h1>{{json:DATA}}</h1>" in page
    assert page.count('{"zip_name"') == 1  # the data went in once, where the template has it
    (_, data), _ = _parse(page).all("script")
    assert json.loads(data)["phrases"][0]["text"] == "{{text:TITLE}}"


def _csp(page: str) -> dict[str, list[str]]:
    metas = [a for a, _ in _parse(page).all("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    content = metas[0]["content"]
    assert content
    return {d.split()[0]: d.split()[1:] for d in content.split("; ")}


def test_the_policy_allows_exactly_the_pages_own_script_and_style() -> None:
    page = recording_page(HOSTILE[0], PHRASES, "r.zip")
    policy = _csp(page)
    assert policy["default-src"] == ["'none'"]
    assert policy["media-src"] == ["blob:"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    # the hashes are of the inline bodies as they are in the page that ships
    parsed = _parse(page)
    scripts = [body for a, body in parsed.all("script") if "type" not in a]
    styles = [body for _, body in parsed.all("style")]
    assert len(scripts) == 1 and len(styles) == 1
    assert policy["script-src"] == [escape.csp_hash(b) for b in scripts]
    assert policy["style-src"] == [escape.csp_hash(b) for b in styles]
    allowed = " ".join(s for v in policy.values() for s in v)
    assert "unsafe" not in allowed and "http" not in allowed and "*" not in allowed and "data:" not in allowed
    assert content_security_policy(template()) == "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


def test_the_script_builds_with_text_only_and_runs_no_strings() -> None:
    body = re.search(r"<script>(.*?)</script>", template(), re.DOTALL)
    assert body
    js = body.group(1)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "fetch("):
        assert sink not in js, sink
    assert "textContent" in js
    assert "{{" not in js  # no placeholder inside a hashed body


@pytest.mark.parametrize(
    "phrases, message",
    [
        ([{**PHRASES[0], "id": "Welcome"}], "lower-case letters, digits and hyphens"),
        ([{**PHRASES[0], "id": "../x"}], "lower-case letters, digits and hyphens"),
        ([{**PHRASES[0], "id": ""}], "lower-case letters, digits and hyphens"),
        ([PHRASES[0], PHRASES[0]], "there twice"),
        ([{**PHRASES[0], "max_ms": -1}], "max_ms is a positive number"),
        ([{**PHRASES[0], "max_ms": True}], "max_ms is a positive number"),
        ([{**PHRASES[0], "text": None}], "its text is not a string"),
        ([{**PHRASES[0], "uses": "a.yaml:1"}], "uses is a list of strings"),
    ],
)
def test_bad_phrases_are_refused(phrases: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        recording_page("t", phrases, "r.zip")


def test_the_zip_name_is_a_file_name() -> None:
    for name in ("", "a/b.zip", "..\\b.zip"):
        with pytest.raises(ValueError, match="a file name"):
            recording_page("t", PHRASES, name)


def test_the_template_ships_as_package_data() -> None:
    assert resources.files("matcue.share").joinpath(TEMPLATE).is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    globs = package_data["package-data"]["matcue"]
    assert any(fnmatch.fnmatch(f"share/{TEMPLATE}", g) for g in globs), globs


# ----------------------------------------------------------------------------- in a real browser

RATE = 48_000
CHROME_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--window-size=1280,1800", "--mute-audio",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
)  # fmt: skip


def _speech_like_wav(path: Path, seconds: float = 4.0) -> None:
    """16-bit mono 48 kHz: 300 ms bursts of a 220 Hz tone with harmonics, 200 ms gaps, each
    burst faded in and out (so a level meter rises and falls as it would for speech)."""
    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    tone = sum(a * np.sin(2 * np.pi * 220 * k * t) for k, a in ((1, 0.5), (2, 0.25), (3, 0.15), (4, 0.08)))
    period, burst, fade = int(0.5 * RATE), int(0.3 * RATE), int(0.02 * RATE)
    env = np.zeros(n)
    for start in range(0, n - burst, period):
        env[start : start + burst] = 1.0
        env[start : start + fade] = np.linspace(0, 1, fade)
        env[start + burst - fade : start + burst] = np.linspace(1, 0, fade)
    pcm = np.clip(tone * env * 0.9, -1, 1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((pcm * 32767).astype("<i2").tobytes())


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """Headless Chromium with a fake microphone playing a speech-like WAV, downloads into a
    folder of the test's; yields (driver, download folder). One per test: the page asks
    before it is left with takes unsaved."""
    if not ac.have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe not installed")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_exe = shutil.which("chromedriver")
    if not chromium or not driver_exe:
        pytest.skip("chromium/chromedriver not installed (scripts/setup-browser installs them)")
    wav = tmp_path / "speech.wav"
    _speech_like_wav(wav)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--use-file-for-fake-audio-capture={wav}")
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_exe))
    driver.set_script_timeout(20)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver, downloads
    driver.quit()


def _wait(driver: Any, script: str, *args: Any, timeout_s: float = 10.0) -> Any:
    """Poll a JS expression until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _open(driver: Any, tmp_path: Path, title: str = "Anna's hamstrings") -> None:
    page = tmp_path / "record.html"
    page.write_text(recording_page(title, PHRASES, "anna-recordings.zip"), encoding="utf-8")
    driver.get(page.as_uri())
    assert _wait(driver, "return document.body.dataset.ready === '1'"), "the page's script did not finish building"


def _take(driver: Any, pid: str, seconds: float, action: str = "record") -> list[float]:
    """Record phrase ``pid`` for about ``seconds``; the level meter's widths (%) seen meanwhile."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'button[data-action="{action}"][data-id="{pid}"]').click()
    stop = driver.find_element(By.CSS_SELECTOR, f'button[data-action="stop"][data-id="{pid}"]')
    assert _wait(driver, "return !arguments[0].hidden", stop), "recording did not start"
    card = driver.find_element(By.ID, f"phrase-{pid}")
    before = card.get_attribute("data-take-ms")
    assert card.find_element(By.CSS_SELECTOR, ".live").is_displayed()
    levels: list[float] = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        width = driver.execute_script("return arguments[0].querySelector('.level').style.width", card)
        levels.append(float(width.rstrip("%") or 0))
        time.sleep(0.04)
    elapsed = card.find_element(By.CSS_SELECTOR, ".elapsed").text
    assert re.fullmatch(r"Recording \d+\.\d s", elapsed) and float(elapsed.split()[1]) >= seconds - 0.5, elapsed
    stop.click()
    measured = _wait(driver, "var m = arguments[0].dataset.takeMs; return m !== arguments[1] && m", card, before)
    assert measured, "the take was not measured"
    assert not card.find_element(By.CSS_SELECTOR, ".live").is_displayed()
    assert not stop.is_displayed()
    return levels


def _take_ms(driver: Any, pid: str) -> int:
    from selenium.webdriver.common.by import By

    return int(driver.find_element(By.ID, f"phrase-{pid}").get_attribute("data-take-ms"))


def _js_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


@pytest.mark.browser
@pytest.mark.ffmpeg
def test_record_two_of_three_retake_one_and_save_a_zip_of_clips_named_by_id(
    recorder: tuple[Any, Path], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver, downloads = recorder
    a, b, c = (p["id"] for p in PHRASES)
    _open(driver, tmp_path)
    cards = driver.find_elements(By.CSS_SELECTOR, "li.phrase")
    assert [x.get_attribute("data-id") for x in cards] == [a, b, c]
    limits = [x.find_element(By.CSS_SELECTOR, ".limit").text for x in cards]
    assert limits == ["at most 7.5 s", "at most 1 s", "no limit"]
    assert [x.find_element(By.CSS_SELECTOR, ".id").text for x in cards] == [a, b, c]
    count = driver.find_element(By.ID, "count")
    save = driver.find_element(By.ID, "save")
    assert count.text == "0 of 3 phrases recorded" and not save.is_enabled()

    # phrase a: the meter follows the bursts while recording, the length shows after
    levels = _take(driver, a, 1.0)
    assert max(levels) > 40 and len({round(x) for x in levels}) >= 3, levels
    first_ms = _take_ms(driver, a)
    assert 900 <= first_ms <= 1800, first_ms
    card_a = driver.find_element(By.ID, f"phrase-{a}")
    assert card_a.find_element(By.CSS_SELECTOR, ".take").text == f"Recorded: {first_ms / 1000:.1f} s"
    assert not card_a.find_element(By.CSS_SELECTOR, ".warn").is_displayed()
    # on to the next phrase: its Record button has the focus
    active = driver.switch_to.active_element
    assert (active.get_attribute("data-action"), active.get_attribute("data-id")) == ("record", b)
    assert count.text == "1 of 3 phrases recorded" and save.is_enabled()

    # phrase b is longer than its limit (1 s): a clear warning
    _take(driver, b, 1.5)
    card_b = driver.find_element(By.ID, f"phrase-{b}")
    warn = card_b.find_element(By.CSS_SELECTOR, ".warn")
    assert warn.is_displayed() and warn.text.startswith("Too long: ") and "the limit is 1.00 s" in warn.text
    assert "too-long" in card_b.get_attribute("class")

    # play a back
    card_a.find_element(By.CSS_SELECTOR, 'button[data-action="play"]').click()
    player = driver.find_element(By.ID, "player")
    assert _wait(driver, "return !arguments[0].paused && arguments[0].currentTime > 0.2", player), "no playback"
    card_a.find_element(By.CSS_SELECTOR, 'button[data-action="play"]').click()  # now "Pause"
    assert _wait(driver, "return arguments[0].paused", player)

    # re-take a, longer: the new take replaces the first
    assert not card_a.find_element(By.CSS_SELECTOR, 'button[data-action="record"]').is_displayed()
    _take(driver, a, 1.8, action="retake")
    retake_ms = _take_ms(driver, a)
    assert retake_ms > first_ms + 400, (first_ms, retake_ms)
    assert count.text == "2 of 3 phrases recorded"

    save.click()
    zip_path = downloads / "anna-recordings.zip"
    deadline = time.monotonic() + 15
    while not (zip_path.exists() and not list(downloads.glob("*.crdownload"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert zip_path.exists(), list(downloads.iterdir())
    assert "Saved 2 recordings as anna-recordings.zip" in driver.find_element(By.ID, "status").text

    with zipfile.ZipFile(zip_path) as z:
        assert z.testzip() is None  # every CRC-32 matches
        infos = z.infolist()
        assert sorted(i.filename for i in infos) == sorted([f"{a}.webm", f"{b}.webm"])
        assert all(i.compress_type == zipfile.ZIP_STORED and i.flag_bits & 0x800 for i in infos)
        z.extractall(tmp_path / "clips")
    shown = {a: retake_ms, b: _take_ms(driver, b)}
    for pid, ms in shown.items():
        pcm = ac.decode(tmp_path / "clips" / f"{pid}.webm")
        length = ac.duration_ms(pcm)
        assert 1000 <= length <= 2500, (pid, length)
        assert abs(length - ms) <= 150, (pid, length, ms)  # the length shown is the clip's
        assert ac.rms_dbfs(pcm) > -45, (pid, ac.rms_dbfs(pcm))
    assert shown[a] > 1500  # the re-take's clip, not the first take's
    assert _js_errors(driver) == []
    driver.save_screenshot(str(tmp_path / "record.png"))


@pytest.mark.browser
@pytest.mark.ffmpeg
def test_hostile_texts_show_literally_and_run_nothing_in_the_browser(
    recorder: tuple[Any, Path], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver, _ = recorder
    title = HOSTILE[0] + HOSTILE[1]
    _open(driver, tmp_path, title)
    assert driver.title == title
    assert driver.find_element(By.TAG_NAME, "h1").text == title
    card = driver.find_element(By.ID, f"phrase-{PHRASES[2]['id']}")
    assert card.find_element(By.CSS_SELECTOR, ".text").get_attribute("textContent") == PHRASES[2]["text"]
    uses = [li.get_attribute("textContent") for li in card.find_elements(By.CSS_SELECTOR, ".uses li")]
    assert uses == list(HOSTILE)
    card.find_element(By.CSS_SELECTOR, ".text").click()
    assert driver.execute_script("return typeof window.pwned") == "undefined"
    injected = "return document.querySelectorAll('img, main script, [onmouseover], [onfocus], [onerror]').length"
    assert driver.execute_script(injected) == 0
    assert _js_errors(driver) == []


ROUTINE = """\
title: Two to record
steps:
  - say: Welcome to your practice.
  - pose: Fold
    cue: Fold forward slowly.
    hold: 20s
  - say: Thank you.
"""


@pytest.mark.browser
@pytest.mark.ffmpeg
def test_the_zip_the_page_saves_renders_as_it_is(
    recorder: tuple[Any, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``matcue cues --page`` -> record two phrases in the browser -> save the zip ->
    ``matcue render --recordings ZIP``: those two phrases are the takes, the rest synthesized."""
    import json

    from click.testing import CliRunner
    from selenium.webdriver.common.by import By

    from matcue.cli.main import cli
    from matcue.core.naming import phrase_id

    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    driver, downloads = recorder
    routine = tmp_path / "two.yaml"
    routine.write_text(ROUTINE)
    r = CliRunner().invoke(cli, ["cues", str(routine), "--page", str(tmp_path / "page")])
    assert r.exit_code == 0, r.output
    driver.get((tmp_path / "page" / "two-to-record-recording.html").as_uri())
    assert _wait(driver, "return document.body.dataset.ready === '1'")
    welcome, fold = phrase_id("Welcome to your practice."), phrase_id("Fold forward slowly.")
    _take(driver, welcome, 1.5)
    _take(driver, fold, 1.2)
    taken = {welcome: _take_ms(driver, welcome), fold: _take_ms(driver, fold)}
    driver.find_element(By.ID, "save").click()
    zip_path = downloads / "two-to-record-recordings.zip"
    deadline = time.monotonic() + 15
    while not (zip_path.exists() and not list(downloads.glob("*.crdownload"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert zip_path.exists(), list(downloads.iterdir())

    args = [str(routine), "--recordings", str(zip_path), "--backend", "fake"]
    r = CliRunner().invoke(cli, ["render", *args, "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "2 of 7 phrases from recordings, 5 synthesized" in r.stderr  # + "Fold.", the countdown
    s = CliRunner().invoke(cli, ["script", *args, "--json"])
    events = {e["text"]: e for e in json.loads(s.stdout)["events"] if e["kind"] == "speech"}
    for text, pid in (("Welcome to your practice.", welcome), ("Fold forward slowly.", fold)):
        e = events[text]
        assert (e["source"], e["recording"]) == ("recorded", f"{pid}.webm")
        # the take, its silent edges trimmed (the fake microphone's bursts start and end in gaps)
        assert taken[pid] - 1000 <= e["end_ms"] - e["start_ms"] <= taken[pid] + 100, (e, taken[pid])
    assert events["Thank you."]["source"] == "synthesized"
    assert _js_errors(driver) == []
