"""The one escaping rule (matcue.share.escape) and the share page built with it.

Any string, escaped for its context and parsed back as a browser's parser would (Python's
``html.parser``, then ``json`` for the data block), gives the string again; the fill is
one pass, so a value that spells a placeholder stays that text.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.api import Rendered
from matcue.pack import PackTrack
from matcue.plan.timeline import Chapter, Event, Hold, Timeline
from matcue.share import escape
from matcue.share.page import _template, content_security_policy, to_index_html

NAMES = ("A", "B", "C", "D", "E", "F")
TEMPLATE = (
    "<title>{{text:A}}</title>"
    '<p id="pb" title="{{attr:B}}">{{text:C}}</p>'
    '<a id="ad" href="{{url:D}}">link</a>'
    '<script type="application/json" id="se">{{json:E}}</script>'
    '<div id="df">{{html:F}}</div>'
)
# strings that look like the template's own placeholders, or could close what they land in
TRICKS = st.sampled_from(
    [*(f"{{{{{c}:{n}}}}}" for c in escape.CONTEXTS for n in NAMES), "{{A}}", "</script>", "<!--", "-->", '"', "'",
     "<", ">", "&", "&amp;", "&#x27;", "\u2028", "\u2029", "javascript:", "//host/", "/etc/passwd", "\x00", "\r\n"]
)  # fmt: skip
HOSTILE_TEXT = st.lists(st.one_of(st.text(), TRICKS), max_size=6).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=12,
)


class _Page(HTMLParser):
    """What a browser would see: text per element id (or tag), attributes, script data."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        key = a.get("id") or tag
        if tag == "svg" or any(k.startswith("svg") for k in self.stack):
            key = "svg" if tag == "svg" else f"svg:{key}"  # the session picture's own <title>, <text>...
        self.attrs[key] = a
        self.tags.append(tag)
        self.stack.append(key)
        self.text.setdefault(key, "")

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack:
            self.text[self.stack[-1]] += data


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


@settings(max_examples=200, deadline=None)
@given(a=HOSTILE_TEXT, b=HOSTILE_TEXT, c=HOSTILE_TEXT, d=HOSTILE_TEXT, e=JSON_VALUES)
def test_every_context_parses_back_to_the_value_and_the_fill_is_one_pass(a, b, c, d, e):
    page = escape.fill(TEMPLATE, {"A": a, "B": b, "C": c, "D": d, "E": e, "F": "<b>kept</b>"})
    parsed = _parse(page)
    assert parsed.tags == ["title", "p", "a", "script", "div", "b"]  # no value made or closed an element
    assert parsed.text["title"] == a
    assert parsed.attrs["pb"]["title"] == b
    assert parsed.text["pb"] == c
    href = parsed.attrs["ad"]["href"]
    assert href is not None and unquote(href) == d
    split = urlsplit(href)
    assert not split.scheme and not split.netloc and not href.startswith("/")  # a file next to the page
    assert json.loads(parsed.text["se"]) == e
    data = page.split('id="se">', 1)[1].split("</script>", 1)[0]
    assert not re.search("[<>&\u2028\u2029]", data)
    assert parsed.text["b"] == "kept"


def test_fill_is_one_pass_and_complete():
    values = {"A": "{{text:C}}", "B": "", "C": "{{json:E}}", "D": "x.mp3", "E": "{{text:A}}", "F": ""}
    page = escape.fill(TEMPLATE, values)
    assert "<title>{{text:C}}</title>" in page and ">{{json:E}}</p>" in page
    assert '>"{{text:A}}"</script>' in page
    with pytest.raises(escape.TemplateError, match=r"no value for the placeholder \{\{text:A\}\}"):
        escape.fill(TEMPLATE, {k: v for k, v in values.items() if k != "A"})
    with pytest.raises(escape.TemplateError, match="values no placeholder uses: G"):
        escape.fill(TEMPLATE, {**values, "G": "x"})


def test_each_escape_by_example():
    assert escape.text("<b> & \"'") == "&lt;b&gt; &amp; &quot;&#x27;"
    assert escape.attr('" onerror="x') == "&quot; onerror=&quot;x"
    assert escape.url("javascript:alert(1)") == "javascript%3Aalert%281%29"
    assert escape.url("//evil.example/x.js") == "%2F%2Fevil.example%2Fx.js"
    assert escape.url("anna--hips.cover.png") == "anna--hips.cover.png"
    assert escape.script_json(["</script><!--\u2028&"]) == '["\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"]'
    # printf x | openssl dgst -sha256 -binary | base64
    assert escape.csp_hash("x") == "'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='"


# ----------------------------------------------------------------------------- the page


def _track(title: str, chapter: str, cue: str, description: str) -> PackTrack:
    tl = Timeline(
        title,
        20_000,
        (Chapter(0, 10_000, chapter), Chapter(10_000, 20_000, "Rest")),
        (Event(0, 1000, "speech", text=cue), Event(2000, 3000, "speech", text=f"Stop. {cue}")),
        artist=title,
        holds=(Hold(1000, 9000, chapter, chapter),),
    )
    return PackTrack(Rendered(Path("out/track.mp3"), 20_000, 0), tl, description, "track.cover.png")


WORDS = HOSTILE_TEXT.map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=80, deadline=None)
@given(page_title=WORDS, title=WORDS, chapter=WORDS, cue=WORDS, description=WORDS)
def test_the_share_page_shows_any_text_literally(page_title, title, chapter, cue, description):
    page = to_index_html(page_title, [_track(title, chapter, cue, description)])
    parsed = _parse(page)
    assert parsed.tags.count("script") == 2 and parsed.tags.count("style") == 1
    assert parsed.text["title"] == page_title and parsed.text["h1"] == page_title
    assert parsed.text["h2"] == title
    assert parsed.text["button"].endswith(" Rest")
    data = json.loads(parsed.text["matcue-data"])
    assert data["tracks"][0]["title"] == title
    assert [c[2] for c in data["tracks"][0]["chapters"]] == [chapter, "Rest"]
    assert [c[2] for c in data["tracks"][0]["cues"]] == [cue, f"Stop. {cue}"]
    assert f">{escape.text(description)}</p>" in page
    assert parsed.attrs["img"]["alt"] == f"Cover of {title}"
    # the policy allows exactly the page's own script and style, whatever the values
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert metas == [escape.attr(content_security_policy(_template()))]


def test_the_policy_allows_only_the_pages_own_script_and_style():
    page = to_index_html("Class", [_track("T", "Pose", "Cue", "D")])
    (csp,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    policy = dict(d.strip().split(" ", 1) for d in csp.replace("&#x27;", "'").split(";"))
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)
    assert policy == {
        "default-src": "'none'",
        "script-src": escape.csp_hash(script),
        "style-src": escape.csp_hash(style),
        "img-src": "'self' file:",
        "media-src": "'self' file:",
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    assert page.index("Content-Security-Policy") < page.index("<title>")  # before anything it governs
