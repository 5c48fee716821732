"""What text is (matcue.core.text): lone surrogates, noncharacters, invisible text, and the
one JSON writer; and where each rule is applied (every YAML string, every option text,
every terminal line, every JSON and XML matcue writes)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from matcue.core.errors import RoutineError, printable
from matcue.core.text import close_gaps, kind, nothing_visible, surrogate_in_nodes, to_json, unsafe_char
from matcue.routine.loader import load_routine
from matcue.routine.profile import load_roster
from matcue.voice.lexicon import LexiconError, load_lexicon

# ----------------------------------------------------------------------------- the rules


@pytest.mark.parametrize("ch", ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff", "\ud800", "\udcff"])
def test_noncharacters_and_surrogates_are_not_text(ch: str) -> None:
    assert unsafe_char(f"a{ch}b") == ch


@pytest.mark.parametrize("text", ["Hello", "é \u200d ZWJ", "\U0001f600", "tab\there"])
def test_text_is_text(text: str) -> None:
    assert unsafe_char(text) is None


def test_kind_names_the_character() -> None:
    assert [kind(c) for c in "\x1b\u200b\ud800\ufffe"] == [
        "a control character",
        "a format character",
        "half of a character (a lone surrogate)",
        "a noncharacter",
    ]


def test_nothing_visible_is_whitespace_and_format_characters() -> None:
    assert nothing_visible("\u200b \ufeff\u2060\t")
    assert not nothing_visible("\u200bA")


@pytest.mark.parametrize("blank", ["\u3164", "\u115f\u1160", "\uffa0", "\u034f", "\u17b4", "\u2800", "\ufe0f"])
def test_characters_that_draw_nothing_are_nothing_visible(tmp_path: Path, blank: str) -> None:
    """A Hangul filler or a braille blank passed as a title: a track with an empty-looking title."""
    assert nothing_visible(blank) and not nothing_visible(blank + "\uac00")
    r = tmp_path / "r.yaml"
    r.write_text(f'title: "{blank}"\nsteps:\n  - say: Hello.\n', encoding="utf-8")
    with pytest.raises(RoutineError) as e:
        load_routine(r)
    assert "expected text, got only spaces, invisible or combining characters" in str(e.value)


@pytest.mark.parametrize("marks", ["\u0301\u0301", "\u0301 \u0308", "\u20dd", "\u0903", "\u200b\u0489"])
@pytest.mark.parametrize("key", ["title", "say"])
def test_text_of_only_combining_marks_is_blank_at_load(tmp_path: Path, marks: str, key: str) -> None:
    """A title of two U+0301 was taken (a track titled with floating accents) and such a cue
    failed only when compiled; blank text is refused where it is written, saying what it is
    made of."""
    assert nothing_visible(marks) and not nothing_visible("e" + marks)
    r = tmp_path / "r.yaml"
    title, say = (marks, "Hello.") if key == "title" else ("T", marks)
    r.write_text(f'title: "{title}"\nsteps:\n  - say: "{say}"\n', encoding="utf-8")
    with pytest.raises(RoutineError) as e:
        load_routine(r)
    codes = " ".join(dict.fromkeys(f"U+{ord(ch):04X}" for ch in marks if not ch.isspace()))
    where = "1:8: title" if key == "title" else "3:10: steps[0].say"
    assert str(e.value) == f"{r}:{where}: expected text, got only spaces, invisible or combining characters ({codes})"


def test_a_profile_name_or_skip_of_only_combining_marks_is_blank(tmp_path: Path) -> None:
    from matcue.routine.profile import loads_profile

    with pytest.raises(RoutineError) as e:
        loads_profile('name: "\u0301"\nskip: ["\u0308"]\n', "p.yaml")
    blank = "expected text, got only spaces, invisible or combining characters"
    assert str(e.value) == f"p.yaml:1:7: name: {blank} (U+0301)\np.yaml:2:8: skip[0]: {blank} (U+0308)"


def test_a_surrogate_is_found_in_any_string_of_a_yaml_file_keys_too() -> None:
    root = yaml.compose('a: [x, {b: "y\\ud800"}]\n"k\\udfff": 1\n')
    node, where, i = surrogate_in_nodes(root)  # type: ignore[misc]
    assert (where, i, node.value) == ("a[1].b", 1, "y\ud800")
    node, where, i = surrogate_in_nodes(yaml.compose('ok: 1\n"k\\udfff": 1\n'))  # type: ignore[misc]
    assert (where, node.value) == ("", "k\udfff")
    assert surrogate_in_nodes(yaml.compose("&a [*a, x]")) is None  # a node reached twice is read once


def test_printable_writes_characters_above_ffff_in_full_and_surrogates_escaped() -> None:
    """U+E0041 was written \\ue0041, which reads as U+E004 followed by "1"."""
    assert printable("A\U000e0041\u200b\udcff") == "A\\U000e0041\\u200b\\udcff"


def test_one_json_writer_escapes_control_and_format_characters_only() -> None:
    """json.dumps(ensure_ascii=False) escapes C0 only: C1 (a CSI), DEL and U+202E reached the
    terminal from cues --json; a lone surrogate made it invalid UTF-8."""
    out = to_json({"name": "a\x9b\x7f\u202e\u200b\U000e0041\ud800\u2028é😀\n"}, indent=None)
    assert out == '{"name": "a\\u009b\\u007f\\u202e\\u200b\\udb40\\udc41\\ud800\\u2028é😀\\n"}'
    assert json.loads(out)["name"].startswith("a\x9b\x7f\u202e")
    out.encode("utf-8")


# ----------------------------------------------------------------------------- where it applies


def test_a_roster_name_with_a_surrogate_or_nothing_visible_is_located(tmp_path: Path) -> None:
    roster = tmp_path / "class.yaml"
    roster.write_text('- name: "Sur\\ud800"\n- "p\\ud800.yaml"\n')
    with pytest.raises(RoutineError) as e:
        load_roster(roster)
    assert str(e.value) == (
        f"{roster}:1:9: [0].name: U+D800 at character 4 is half of a character (a lone surrogate): not text "
        "(write the character itself, not a \\u escape of half of one)\n"
        f"{roster}:2:3: [1]: U+D800 at character 2 is half of a character (a lone surrogate): not text "
        "(write the character itself, not a \\u escape of half of one)"
    )
    roster.write_text('- name: Anna\n- name: "\\ufeff"\n')
    people = load_roster(roster)
    assert (
        str(people[1])
        == f"{roster}:2:9: [1].name: expected text, got only spaces, invisible or combining characters (U+FEFF)"
    )


FORMAT = "the character U+200B (a format character)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('"Hello": "\\u200b"\n', f":1:10: 'Hello': {FORMAT} cannot be in a lexicon entry"),
        ("Hello: Hu\u200bllo\n", f":1:8: 'Hello': {FORMAT} cannot be in a lexicon entry"),
        (
            '"Hello": "He\\ud800llo"\n',
            ":1:10: Hello: U+D800 at character 3 is half of a character (a lone surrogate): not text "
            "(write the character itself, not a \\u escape of half of one)",
        ),
    ],
)
def test_a_project_lexicon_names_the_kind_of_character(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text(content)
    with pytest.raises(LexiconError) as e:
        load_lexicon(path)
    assert str(e.value) == f"{path}{message}"


ROUTINE = "title: T\nsteps: [say: Hello there., {pose: Fold, hold: 5s}]\n"


def test_a_recordings_index_with_a_surrogate_is_refused_located(run, tmp_path: Path) -> None:
    """``"Hello there.": "take\\udcff.m4a"`` beside a file take\\xff.m4a made script --json
    write invalid UTF-8."""
    (tmp_path / "r.yaml").write_text(ROUTINE)
    rec = tmp_path / "rec"
    rec.mkdir()
    (rec / "index.yaml").write_text('"Hello there.": "take\\udcff.m4a"\n')
    r = run("script", str(tmp_path / "r.yaml"), "--recordings", str(rec), "--json", "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr == (
        f"{rec}/index.yaml:1:17: Hello there.: U+DCFF at character 5 is half of a character "
        "(a lone surrogate): not text (write the character itself, not a \\u escape of half of one)\n"
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("\u0301\u0301", "U+0301"),  # it was filled into the cue: "Hello, \u0301." was spoken
        ("  ", "whitespace"),  # it was taken: only a value with more than spaces was looked at
    ],
)
def test_set_with_a_blank_value_is_a_usage_error_as_a_vars_value_is(run, tmp_path: Path, value: str, what: str) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE)
    r = run("script", str(tmp_path / "r.yaml"), "--set", f"name={value}", "--backend", "fake")
    assert r.exit_code == 2
    blank = f"expected text, got only spaces, invisible or combining characters ({what})"
    assert f"Invalid value for '--set': name: {blank}\n" in r.stderr


EMPTY_NAME = """title: T
steps:
  - say: "Hello {who}."
  - say: "{who}, breathe in."
  - say: "Thank you, {who}."
  - say: "Hello {who} and welcome"
  - say: "Relax. {who}, breathe out!"
"""


def test_set_with_an_empty_value_leaves_the_name_out_and_the_gap_too(run, tmp_path: Path) -> None:
    """--set who= said "Hello ." and ", breathe in."."""
    (tmp_path / "r.yaml").write_text(EMPTY_NAME)
    r = run("script", str(tmp_path / "r.yaml"), "--set", "who=", "--backend", "fake", "--json")
    assert r.exit_code == 0, r.stderr
    said = [s["text"] for s in json.loads(r.stdout)["events"] if s["kind"] == "speech"]
    assert said == ["Hello.", "breathe in.", "Thank you.", "Hello and welcome", "Relax. breathe out!"]


def test_a_profile_vars_value_of_spaces_or_nothing_is_refused_located(run, tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(EMPTY_NAME)
    for value in ('""', '"  "'):
        (tmp_path / "p.yaml").write_text(f"name: Anna\nvars: {{who: {value}}}\n")
        r = run("script", str(tmp_path / "r.yaml"), "--profile", str(tmp_path / "p.yaml"), "--backend", "fake")
        assert r.exit_code == 1
        assert r.stderr == f"{tmp_path}/p.yaml:2:13: vars.who: expected text, got an empty string\n"


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("Hello \x00.", "Hello."),
        ("Thank you, \x00.", "Thank you."),
        ("\x00, breathe", "breathe"),
        ("Hello, \x00, breathe", "Hello, breathe"),
        ("Hi \x00 \x00!", "Hi!"),
        ("Hello \x00 and welcome", "Hello and welcome"),
        ("Hello, \x00", "Hello"),
        ("\x00", ""),
        ("Inhale . . . and exhale.", "Inhale . . . and exhale."),  # no gap: the text as it is
    ],
)
def test_close_gaps_takes_out_an_empty_var_with_its_space_and_comma(text: str, closed: str) -> None:
    assert close_gaps(text) == closed


def test_set_with_a_byte_that_is_not_utf8_is_a_usage_error(run, tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE)
    r = run("script", str(tmp_path / "r.yaml"), "--set", "name=fr\udcffiend", "--backend", "fake")
    assert r.exit_code == 2
    assert "Invalid value for '--set': 'name=fr\\udcffiend' contains a byte that is not UTF-8 (\\xff)" in r.stderr


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("\u200b", "expected text, got only spaces, invisible or combining characters (U+200B)"),
        ("\u0301\u0301", "expected text, got only spaces, invisible or combining characters (U+0301)"),
        ("", "expected text, got an empty string"),
        ("a\nb", "a title is one line: remove the line break"),
        ("Class \udcff", "contains a byte that is not UTF-8 (\\xff) (remove it)"),
        ("Class \ufffe", "contains the noncharacter U+FFFE (remove it)"),
        ("x" * 2001, "the title is 2001 characters long; at most 2000 are allowed"),
    ],
)
def test_pack_title_follows_the_rules_of_a_routine_title(run, tmp_path: Path, title: str, message: str) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE)
    out = tmp_path / "pk"
    r = run("pack", str(tmp_path / "r.yaml"), "-o", str(out), "--backend", "fake", "--title", title)
    assert r.exit_code == 2
    assert f"Error: Invalid value for '--title': {message}\n" in r.stderr
    assert not out.exists()


def test_script_text_and_json_escape_invisible_characters(run, tmp_path: Path) -> None:
    """script printed U+200D, U+200F, U+061C and tag characters raw; cues escaped them (U+200B is
    removed from every text: test_silent_format_characters.py)."""
    (tmp_path / "r.yaml").write_text('title: "A\\u200d\\u200f\\u061c B\\U000E0041"\n' + ROUTINE.split("\n", 1)[1])
    r = run("script", str(tmp_path / "r.yaml"), "--backend", "fake")
    assert r.stdout.splitlines()[0].startswith("A\\u200d\\u200f\\u061c B\\U000e0041 ")
    r = run("script", str(tmp_path / "r.yaml"), "--backend", "fake", "--json")
    assert '"title": "A\\u200d\\u200f\\u061c B\\udb40\\udc41"' in r.stdout


def test_the_svg_and_the_feed_share_one_xml_text_rule(run, tmp_path: Path) -> None:
    """A title with U+FFFE made script --svg write SVG that was not well-formed; the feed
    dropped it. Titles now refuse it; the one helper drops what XML cannot hold anyway."""
    from matcue.api import build_timeline
    from matcue.settings import Settings
    from matcue.share import escape, feed
    from matcue.share.svg import to_svg

    got = escape.xml("Non\ufffechar ]]> & <b>\"q\" 'a'\x01")
    assert got == "Nonchar ]]&gt; &amp; &lt;b&gt;&quot;q&quot; &#x27;a&#x27;"
    assert feed._x("a\uffff<") == escape.xml("a\uffff<") == "a&lt;"
    (tmp_path / "r.yaml").write_text(ROUTINE)
    s = Settings()
    tl = build_timeline(tmp_path / "r.yaml", s.session, replace(s.voice, backend="fake")).timeline
    ET.fromstring(to_svg(replace(tl, title="Non\ufffechar ]]> & <b>x</b> \"q\" 'a'")))


def test_cues_json_escapes_control_and_format_characters_in_file_names(run, tmp_path: Path) -> None:
    """cues --json printed C1 (U+009B), DEL and U+202E of a file name raw."""
    routine = tmp_path / "r\x9b\x7f\u202eb.yaml"
    routine.write_text(ROUTINE)
    r = run("cues", str(routine), "--json", "--backend", "fake")
    assert r.exit_code == 0
    assert 'r\\u009b\\u007f\\u202eb.yaml",' in r.stdout
    assert not any(c in r.stdout for c in "\x9b\x7f\u202e")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--voice", "v\udcff", "'v\\udcff' contains a byte that is not UTF-8 (\\xff) (remove it)"),
        ("--skip", "F\x1bold", "'F\\x1bold' contains the control character U+001B (remove it)"),
    ],
)
def test_other_text_options_follow_the_same_rule(run, tmp_path: Path, option: str, value: str, message: str) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE)
    r = run("script", str(tmp_path / "r.yaml"), "--backend", "fake", option, value)
    assert r.exit_code == 2
    assert f"Error: Invalid value for '{option}': {message}\n" in r.stderr


def test_argv_bytes_that_are_not_utf8_are_a_usage_error_in_text_and_fine_in_a_file_name(tmp_path: Path) -> None:
    """``pack base.yaml -o pk1 --title $'Class \\xff'`` and ``--set $'name=fr\\xffiend'``
    exited 3 (Python reads the byte as U+DCFF). A routine whose FILE NAME holds the byte is
    a real file and is read."""
    import os
    import subprocess
    import sys

    named = tmp_path / os.fsdecode(b"r\xff.yaml")
    named.write_text('title: T\nvars: {name: friend}\nsteps: [say: "Hello {name}.", {pose: Fold, hold: 5s}]\n')
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "MATCUE_CACHE_DIR": str(tmp_path / "c")}

    def matcue(*args: str | bytes) -> subprocess.CompletedProcess[bytes]:
        cmd = [os.fsencode(sys.executable), b"-m", b"matcue", *(os.fsencode(a) for a in args)]
        return subprocess.run(cmd, capture_output=True, env=env, timeout=120, cwd=tmp_path)

    r = matcue("script", named, "--backend", "fake", "--set", b"name=fr\xffiend")
    assert r.returncode == 2
    assert b"'name=fr\\udcffiend' contains a byte that is not UTF-8 (\\xff) (remove it)" in r.stderr
    r = matcue("pack", named, "-o", "pk1", "--backend", "fake", "--title", b"Class \xff")
    assert r.returncode == 2
    assert b"Invalid value for '--title': contains a byte that is not UTF-8 (\\xff) (remove it)" in r.stderr
    assert not (tmp_path / "pk1").exists()
    r = matcue("check", named)
    assert (r.returncode, r.stdout) == (0, f"{tmp_path}/r\\udcff.yaml: ok\n".encode())


def test_columns_count_what_a_terminal_shows():
    from matcue.core.text import columns, pad

    assert [columns(s) for s in ("Anna", "日本", "Zoë", "Zoe\u0308", "a\u200bb", "🧘")] == [4, 4, 3, 3, 2, 2]
    assert pad("日本", 6) == "日本  " and pad("7", 3, right=True) == "  7" and pad("long", 2) == "long"


@given(st.lists(st.sampled_from(["Hello", "\x00", " ", ",", ".", "!", "breathe", ", ", ". "]), max_size=12))
def test_close_gaps_leaves_no_gap_no_doubled_space_and_every_word(pieces: list[str]) -> None:
    text = "".join(pieces)
    closed = close_gaps(text)
    if "\x00" not in text:
        assert closed == text  # a text with no empty {var} is as written
        return
    assert "\x00" not in closed and "  " not in closed and closed == closed.strip()
    assert re.findall("[a-zA-Z]+", closed) == re.findall("[a-zA-Z]+", text)  # only spaces and marks go
    assert not re.search(r" [.,!]", closed) or re.search(r" [.,!]", text.replace("\x00", ""))


def test_the_text_rule_composes_a_decomposed_text_and_keeps_a_blank_one() -> None:
    from matcue.core.text import without_silent

    assert without_silent("Cafe\u0301\u200b au lait") == "Café au lait"
    assert without_silent("plain ascii") == "plain ascii"
    assert without_silent("\u0301\u0301") == "\u0301\u0301"  # blank: kept, to be reported as blank
