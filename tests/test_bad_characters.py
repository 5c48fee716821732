"""One bad-character rule for every file matcue reads: the project lexicon, a recordings
``index.yaml`` and the feed manifest as a routine. Every byte that is not UTF-8 and every
character YAML refuses is said where it is and mended, so the rest is still read; every
lone surrogate and every character no text may hold is said at the value that holds it;
no problem hides another."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.cli.main import cli
from matcue.share.feed import MANIFEST_NAME, FeedError, load_manifest
from matcue.voice.lexicon import LexiconError, load_lexicon
from matcue.voice.recordings import RecordingError, find_recordings

HALF = (
    "is half of a character (a lone surrogate): not text (write the character itself, not a \\u escape of half of one)"
)
CONTROL = "(a control character)"

# ----------------------------------------------------------------------------- the lexicon

LEXICON = b'ok: fine\nA: "x\x01y"\nB: "\xff"\nC: "\\ud800"\nD: "He\\e[31m"\nE: ""\n'


def _lexicon_lines(path: Path) -> list[str]:
    return [
        f"{path}:2:6: the character U+0001 {CONTROL} cannot be in a lexicon (a lexicon is plain text: delete it)",
        f"{path}:3:5: the file is not UTF-8 text (save it as UTF-8)",
        f"{path}:4:4: C: U+D800 at character 1 {HALF}",
        f"{path}:5:4: 'D': the character U+001B {CONTROL} cannot be in a lexicon entry",
        f"{path}:6:1: 'E': expected a respelling, got an empty string",
    ]


def test_a_project_lexicon_says_every_bad_character_and_every_entry(tmp_path: Path) -> None:
    """The lexicon stopped at the first: a control character hid a byte that is not UTF-8,
    which hid a surrogate, which hid every bad entry."""
    path = tmp_path / "lexicon.yaml"
    path.write_bytes(LEXICON)
    with pytest.raises(LexiconError) as e:
        load_lexicon(path)
    assert list(e.value.problems) == _lexicon_lines(path)


def test_a_project_lexicon_problem_is_printed_as_a_routine_problem(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "voice").mkdir()
    (tmp_path / "voice" / "lexicon.yaml").write_bytes(LEXICON)
    (tmp_path / "r.yaml").write_text("title: T\nsteps:\n  - say: Hello there.\n")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["script", "r.yaml", "--backend", "fake"])
    assert r.exit_code == 1, r.output
    assert r.stderr.splitlines() == _lexicon_lines(
        tmp_path / "voice" / "lexicon.yaml"
    )  # one located line each, no 'Error: '


def test_a_bidirectional_override_in_a_lexicon_comment_is_no_problem(tmp_path: Path) -> None:
    """As in a routine: what YAML reads as a comment holds no text anyone hears or sees."""
    path = tmp_path / "lexicon.yaml"
    path.write_text("# \u202e a note\nJanu: yah-noo\n")
    assert load_lexicon(path).lookup("janu") == "yah-noo"


# ----------------------------------------------------------------------------- the recordings index


def test_an_index_of_recordings_says_every_bad_character(tmp_path: Path) -> None:
    """It stopped at the first, and a bidirectional override or a C1 control in a phrase or
    a file name passed."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "index.yaml").write_bytes(
        b'a.wav: "x\x01"\n"Hi\\u202e": b.wav\nc\xff.wav: x\n"\\ud800": d.wav\ne.wav: "\\x9b"\n'
    )
    with pytest.raises(RecordingError) as e:
        find_recordings(folder, ["Hello there."], cache_dir=tmp_path / "cache")
    index = folder / "index.yaml"
    plain = "(an index is plain text: delete it)"
    assert list(e.value.problems) == [
        f"{index}:1:10: the character U+0001 {CONTROL} cannot be in an index of recordings {plain}",
        f"{index}:3:2: the file is not UTF-8 text (save it as UTF-8)",
        f"{index}:4:1: U+D800 at character 1 {HALF}",
        f"{index}:2:1: the text contains the bidirectional formatting character U+202E at character 3 "
        "(it reorders how the text around it is shown; remove it)",
        f"{index}:5:8: e.wav: the text contains the control character U+009B at character 1 "
        "(titles and cues may not hold terminal escape codes or other control characters; remove it)",
    ]


# ----------------------------------------------------------------------------- the feed manifest

FIX = "restore it, or delete it to start the feed afresh (earlier episodes then get new GUIDs)"


def _item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "guid": "urn:uuid:1",
        "pub_date": "2026-01-01T00:00:00+00:00",
        "title": "Morning flow",
        "author": "Ana",
        "file": "morning-flow.mp3",
        "mime": "audio/mpeg",
        "length": 1000,
        "duration_ms": 60_000,
        "description": "Morning flow\n\nA gentle start.",
        "image": None,
        "chapters": "morning-flow.chapters.json",
        "transcripts": [],
        "chapter_list": [[0, "Opening"]],
    }
    item.update(changes)
    return item


def _manifest(folder: Path, text: str | bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / MANIFEST_NAME
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _json(**changes: object) -> str:
    items = {"morning-flow": _item(**changes)}
    return json.dumps({"version": 1, "feed_url": None, "items": items, "files": []}, ensure_ascii=False)


def test_a_manifest_as_matcue_writes_it_loads(tmp_path: Path) -> None:
    _manifest(tmp_path / "c", _json(title="Schulter\u00adblatt"))
    (item,) = load_manifest(tmp_path / "c").items
    assert (item.title, item.author, item.chapter_list) == ("Schulterblatt", "Ana", ((0, "Opening"),))


def test_a_manifest_says_every_bad_byte_and_character_where_it_is(tmp_path: Path) -> None:
    """Not UTF-8 was said with no place; a raw C1 control character passed into the feed."""
    text = _json(title="Morning\x9bflow", description="X").replace('"X"', '"\udcff"')
    path = _manifest(tmp_path / "c", text.encode("utf-8", "surrogateescape"))
    with pytest.raises(FeedError) as e:
        load_manifest(tmp_path / "c")
    col_title = text.index("Morning") + 8
    col_bytes = text.index("\udcff") + 1
    assert list(e.value.problems) == [
        f"{path}:1:{col_title}: the character U+009B {CONTROL} cannot be in a feed manifest "
        "(a manifest is plain text: delete it)",
        f"{path}:1:{col_bytes}: the file is not UTF-8 text (save it as UTF-8)",
    ]


def test_a_manifest_says_every_escape_of_a_bad_character_at_its_string(tmp_path: Path) -> None:
    """``"\\u001b[31m"`` in a title and ``"\\u202e"`` in a chapter reached feed.xml; a lone
    surrogate was said with no place."""
    text = json.dumps(
        {
            "version": 1,
            "feed_url": None,
            "items": {"morning-flow": _item(title="\x1b[31mRed", chapter_list=[[0, "Open\u202eing"]])},
            "files": ["\ud800"],
        },
        indent=1,
    )
    path = _manifest(tmp_path / "c", text)
    with pytest.raises(FeedError) as e:
        load_manifest(tmp_path / "c")

    def at(needle: str) -> str:
        before = text[: text.index(needle)]
        return f"{path}:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"

    assert list(e.value.problems) == [
        f"{at(chr(34) + chr(92) + 'u001b')}: items.morning-flow.title: the text contains the control character "
        "U+001B at character 1 (titles and cues may not hold terminal escape codes or other control characters; "
        "remove it)",
        f"{at(chr(34) + 'Open')}: items.morning-flow.chapter_list[0][1]: the text contains the bidirectional "
        "formatting character U+202E at character 5 (it reorders how the text around it is shown; remove it)",
        f"{at(chr(34) + chr(92) + 'ud800')}: files[0]: U+D800 at character 1 {HALF}",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"title": "\u200b"},
            "items.morning-flow.title: expected text, got only spaces, invisible or combining characters (U+200B)",
        ),
        ({"title": ""}, "items.morning-flow.title: expected text, got an empty string"),
        ({"title": "a\nb"}, "items.morning-flow.title: a title is one line: it holds a line break"),
        (
            {"author": "x" * 2001},
            "items.morning-flow.author: the text is 2001 characters long; at most 2000 are allowed",
        ),
        (
            {"chapter_list": [[0, " \ufeff "]]},
            "items.morning-flow.chapter_list[0]: expected text, got only spaces, invisible or combining characters"
            " (U+FEFF)",
        ),
    ],
)
def test_a_manifest_title_follows_the_rules_of_a_routine_title(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    path = _manifest(tmp_path / "c", _json(**changes))
    with pytest.raises(FeedError) as e:
        load_manifest(tmp_path / "c")
    assert str(e.value) == f"{path}: {message} ({FIX})"


def test_pack_prints_a_manifest_character_problem_as_a_located_line(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    path = _manifest(folder, '{"version": 1, "items": {}, "files": ["\\ud800"]}')
    r = CliRunner().invoke(
        cli,
        ["pack", "tests/data/ok/e2e.yaml", "-o", str(folder), "--backend", "fake", "--feed-url", "https://s.example/"],
    )
    assert r.exit_code == 1, r.output
    assert r.stderr == f"{path}:1:39: files[0]: U+D800 at character 1 {HALF}\n"
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST_NAME]  # nothing written


# ----------------------------------------------------------------------------- every file, any bad character

BAD = [b"\x01", b"\x08", b"\x1b", b"\x7f", b"\xc2\x9b", b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xff", b"\xed\xa0\x80"]


def _said(
    make: Callable[[Path, bytes], None], load: Callable[[Path], object], column: Callable[[int], int], inserted
) -> None:  # type: ignore[no-untyped-def]
    """Each line ``n`` given a bad byte or character at ``column(n)``: one located line for each."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = [(n, inserted.get(n, b"")) for n in range(6)]
        make(folder, b"".join(b"%d ab%scd\n" % (n, bad) for n, bad in lines))
        try:
            load(folder)
            said: list[str] = []
        except (LexiconError, RecordingError, FeedError) as e:
            said = list(e.problems)
    places = [line.split(": ", 1)[0].rsplit(":", 2)[1:] for line in said]
    assert places == [[str(n + 1), str(column(n))] for n, bad in lines if bad], said


bad_lines = st.dictionaries(st.integers(0, 5), st.sampled_from(BAD), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(bad_lines)
def test_any_bad_character_in_a_lexicon_is_said_where_it_is(inserted) -> None:  # type: ignore[no-untyped-def]
    def make(folder: Path, body: bytes) -> None:
        (folder / "lexicon.yaml").write_bytes(re.sub(rb"(?m)^(\d) ", rb"w\1: ", body))

    _said(make, lambda f: load_lexicon(f / "lexicon.yaml"), lambda n: 7, inserted)


@settings(max_examples=40, deadline=None)
@given(bad_lines)
def test_any_bad_character_in_an_index_of_recordings_is_said_where_it_is(inserted) -> None:  # type: ignore[no-untyped-def]
    def make(folder: Path, body: bytes) -> None:
        (folder / "rec").mkdir()
        (folder / "rec" / "index.yaml").write_bytes(re.sub(rb"(?m)^(\d) ", rb"a\1.wav: ", body))

    _said(make, lambda f: find_recordings(f / "rec", ["Hello there."], cache_dir=f / "cache"), lambda n: 11, inserted)


@settings(max_examples=40, deadline=None)
@given(bad_lines)
def test_any_bad_character_in_a_feed_manifest_is_said_where_it_is(inserted) -> None:  # type: ignore[no-untyped-def]
    def make(folder: Path, body: bytes) -> None:
        files = re.sub(rb"(?m)^(\d) (.*)$", rb'"f\1\2",', body).rstrip(b",\n")
        # line n+1 is file n: the object opens on the line of the first file
        (folder / MANIFEST_NAME).write_bytes(OPENING + files + b"]}\n")

    _said(make, load_manifest, lambda n: 6 + (len(OPENING) if n == 0 else 0), inserted)


OPENING = b'{"version": 1, "items": {}, "files": ['  # the first file on the first line


def test_a_manifest_title_problem_is_a_routine_title_problem() -> None:
    from matcue.share.feedcheck import title_problem

    assert title_problem("Morning flow") is None
    assert title_problem("\u3164") == "expected text, got only spaces, invisible or combining characters (U+3164)"
    assert title_problem("x" * 2001, limit=False) is None
    assert title_problem("x" * 2001) == "the text is 2001 characters long; at most 2000 are allowed"


def test_a_lexicon_index_or_manifest_saved_as_utf16_is_read_as_a_routine_is(tmp_path: Path) -> None:
    """What Windows Notepad calls Unicode: each was "not UTF-8 text", or one line per NUL."""
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_bytes("Janu: yah-noo\n".encode("utf-16"))
    assert load_lexicon(lexicon).lookup("janu") == "yah-noo"
    lexicon.write_bytes(b"\x00\x01\x02\x03" * 100)
    with pytest.raises(LexiconError) as e:
        load_lexicon(lexicon)
    assert list(e.value.problems) == [f"{lexicon}:1:1: this is a binary file, not a lexicon"]
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "index.yaml").write_bytes('"Hello there.": "x\x01.wav"\n'.encode("utf-16"))
    with pytest.raises(RecordingError) as r:
        find_recordings(folder, ["Hello there."], cache_dir=tmp_path / "cache")
    assert list(r.value.problems) == [
        f"{folder}/index.yaml:1:19: the character U+0001 {CONTROL} cannot be in an index of recordings "
        "(an index is plain text: delete it)"
    ]
    _manifest(tmp_path / "c", _json().encode("utf-16"))
    assert [i.title for i in load_manifest(tmp_path / "c").items] == ["Morning flow"]


@given(st.text(alphabet=st.characters(codec=None), max_size=20))
def test_the_fast_check_of_many_strings_finds_what_the_text_rule_finds(text: str) -> None:
    """A feed manifest's thousands of strings are looked at by one regular expression."""
    from matcue.core.text import holds_unsafe, lone_surrogate, unsafe_char

    assert holds_unsafe(text) == (unsafe_char(text) is not None or lone_surrogate(text) is not None)
    for ch in ("\x85", "\u202e", "\ufdd0", "\U0010fffe", "\ud800"):
        assert holds_unsafe(f"ok{ch}")
