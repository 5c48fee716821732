"""The recordings index read on its own: entries, their places, and the limits it keeps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from matcue.voice.recindex import INDEX_NAME, MAX_INDEX_BYTES, file_hint, read_index


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def where(self, name: str) -> str:
        return name

    @contextlib.contextmanager
    def file(self, name: str) -> Iterator[Path]:
        yield self.root / name


def _read(tmp_path: Path, data: bytes, max_entries: int = 2000) -> tuple[list[tuple[str, str, str]], list[str]]:
    (tmp_path / INDEX_NAME).write_bytes(data)
    problems: list[str] = []
    return read_index(_Folder(tmp_path), problems, max_entries), problems


def test_entries_are_read_with_where_each_is_written(tmp_path: Path) -> None:
    entries, problems = _read(tmp_path, b"hello-1a2b3c: take1.wav\n'Welcome.': take 2.m4a \n")
    assert problems == []
    assert entries == [("hello-1a2b3c", "take1.wav", "index.yaml:1:1"), ("Welcome.", "take 2.m4a", "index.yaml:2:1")]


def test_an_entry_that_is_no_file_name_is_said_and_the_others_kept(tmp_path: Path) -> None:
    entries, problems = _read(tmp_path, b"a: x.wav\nb: [1, 2]\nc: ''\n")
    assert entries == [("a", "x.wav", "index.yaml:1:1")]
    assert problems == [
        "index.yaml:2:1: expected 'id or text: file name'",
        "index.yaml:3:1: expected 'id or text: file name'",
    ]


def test_more_entries_than_the_limit_is_said_at_the_first_past_it(tmp_path: Path) -> None:
    entries, problems = _read(tmp_path, b"".join(b"p%d: c%d.wav\n" % (i, i) for i in range(4)), max_entries=3)
    assert entries == []
    assert problems == ["index.yaml:4:1: the index holds 4 entries; at most 3 are read (one per clip)"]


def test_an_index_past_its_byte_limit_is_not_read(tmp_path: Path) -> None:
    entries, problems = _read(tmp_path, b"#" * (MAX_INDEX_BYTES + 1))
    assert entries == []
    assert len(problems) == 1 and problems[0].startswith("index.yaml: cannot be read: it ")


def test_a_control_character_is_located_and_nothing_of_the_index_is_used(tmp_path: Path) -> None:
    entries, problems = _read(tmp_path, b"a: x.wav\nb: y\x01.wav\n")
    assert entries == []
    assert problems and problems[0].startswith("index.yaml:2:5: the character U+0001 (a control character)")


def test_a_file_name_but_for_case_is_offered_before_a_close_one() -> None:
    names = ["take1.wav", "TAKE1.M4A", "index.yaml"]
    assert file_hint("Take1.m4a", names) == "; did you mean 'TAKE1.M4A'?"
    assert file_hint("take1.wa", names) == "; did you mean 'take1.wav'?"
    assert file_hint("zzz.ogg", names) == ""
