"""The one rule for the format characters that show nothing and say nothing (U+00AD SOFT
HYPHEN, U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+FEFF...): inside visible text they
are removed before the text is spoken, shown, tagged or captioned; a text of only them is
reported as one of nothing visible."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from matcue.core.text import SILENT, nothing_visible, without_silent
from matcue.plan.compile import Options, compile_routine
from matcue.plan.layout import layout
from matcue.routine.loader import loads_routine

ROUTINE = (
    'title: "Morning\\u2060 flow"\n'
    "vars: {who: Ana}\n"
    "steps:\n"
    '  - say: "Relax the Schulter\\u00adblatt, {who}\\u200b."\n'
    '  - pose: "Child\\ufeff pose"\n'
    "    hold: 5s\n"
)


def test_silent_characters_reach_no_speech_no_chapter_and_no_title() -> None:
    """They reached the voice, the chapters (tags, captions, the page) and the title as written."""
    script = compile_routine(loads_routine(ROUTINE))
    timeline = layout(script, {t: 1000 for t in script.texts()})
    texts = [*script.texts(), timeline.title, *(c.title for c in timeline.chapters)]
    texts += [e.text for e in timeline.events if e.text]
    assert not [t for t in texts if any(ch in SILENT for ch in t)]
    assert "Relax the Schulterblatt, Ana." in script.texts()
    assert timeline.title == "Morning flow"
    assert "Child pose" in [c.title for c in timeline.chapters]


def test_a_value_from_set_follows_the_same_rule() -> None:
    script = compile_routine(loads_routine(ROUTINE), Options(vars=(("who", "A\u200bna"),)))
    assert "Relax the Schulterblatt, Ana." in script.texts()


def test_script_json_shows_the_text_as_spoken(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "r.yaml").write_text(ROUTINE)
    r = run("script", str(tmp_path / "r.yaml"), "--backend", "fake", "--json", "--set", "who=B\u00adob")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["title"] == "Morning flow"
    assert "\\u200b" not in r.stdout and "\\u00ad" not in r.stdout and "\\u2060" not in r.stdout


def test_pack_title_follows_the_same_rule() -> None:
    from matcue.cli.common import check_title

    assert check_title("Klasse\u00ad 3\u200b", "--title") == "Klasse 3"


def test_a_text_of_only_silent_characters_is_still_said_to_be_invisible(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "r.yaml").write_text('title: "\\u200b\\u00ad"\nsteps:\n  - say: Hello there.\n')
    r = run("check", str(tmp_path / "r.yaml"))
    assert r.exit_code == 1
    assert "title: expected text, got only spaces, invisible or combining characters (U+200B U+00AD)" in r.stderr


@given(st.text(alphabet=st.sampled_from(["a", " ", "\u200d", "\u3164", *SILENT]), max_size=12))
def test_without_silent_removes_them_from_visible_text_only(text: str) -> None:
    out = without_silent(text)
    if nothing_visible(text):
        assert out == text
    else:
        assert not any(ch in SILENT for ch in out)
        assert [ch for ch in text if ch not in SILENT] == list(out)
