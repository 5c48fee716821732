"""The index of a recordings folder: ``index.yaml`` read by the routine reader's rules.

``index.yaml`` maps a phrase's id, or its exact text, to a clip's file name beside it. It is
read within :data:`MAX_INDEX_BYTES`, decoded and checked as a routine is (every bad byte
or character said where it is), and holds at most as many entries as a folder holds files
(:data:`matcue.voice.recordings.max_entries`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from matcue.core.paths import Unreadable, read_bounded
from matcue.core.text import file_text, mend_surrogates, place, refused_characters, scalars, unsafe_char, unsafe_what

INDEX_NAME = "index.yaml"
MAX_INDEX_BYTES = 1_000_000  # index.yaml: 2000 lines of 'id or text: file name' fit many times


class IndexSource(Protocol):
    """Where the index is read from: a recordings folder or a zip of one."""

    def where(self, name: str) -> str: ...

    def file(self, name: str) -> contextlib.AbstractContextManager[Path]: ...


def file_hint(name: str, names: Iterable[str]) -> str:
    """The hint for a file name an index gives that is not beside it: the file named so
    but for case (``Take1.M4A`` for ``take1.m4a``: a folder on Linux tells them apart, a zip
    always), else the closest name, as a routine's unknown key is hinted."""
    import difflib

    known = sorted(names)
    same = [n for n in known if n.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name[:200], known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def read_index(src: IndexSource, problems: list[str], max_entries: int) -> list[tuple[str, str, str]]:
    """(id or text, file name, where it is written) for each entry of ``index.yaml``."""
    import yaml

    where = src.where(INDEX_NAME)
    try:
        with src.file(INDEX_NAME) as p:
            raw = read_bounded(p, MAX_INDEX_BYTES, "an index of recordings")
    except Unreadable as e:
        problems.append(f"{where}: cannot be read: it {e}")
        return []
    # the routine reader's one rule: every byte that is not UTF-8 and every character YAML
    # refuses said where it is and mended, so the rest of the index is still read
    decoded, unread = file_text(raw, "an index of recordings")
    if decoded is None:
        problems.append(
            f"{where}:1:1: {unread[0] if unread else 'not text'}{f' ({unread[1]})' if unread and unread[1] else ''}"
        )
        return []
    text, _, refused = refused_characters(decoded.removeprefix("\ufeff"), True, "an index of recordings", "an index")
    said = len(problems)
    for pos, what, hint in refused:
        line, column = place(text, pos)
        problems.append(f"{where}:{line}:{column}: {what} ({hint})")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:  # a syntax error at its place
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        what = " ".join(str(getattr(e, "problem", None) or getattr(e, "context", None) or e).split())
        problems.append(f"{at}: YAML syntax error: {what[:200]}")
        return []
    except RecursionError:
        problems.append(f"{where}:1:1: the YAML nests too deeply (an index is 'id or text: file name' lines)")
        return []
    if node is None:
        return []
    for bad, key_path, what, hint in mend_surrogates(node):  # "take\udcff.m4a": no file name, no text
        at = f"{where}:{bad.start_mark.line + 1}:{bad.start_mark.column + 1}"
        problems.append(f"{at}: {key_path + ': ' if key_path else ''}{what} ({hint})")
    for bad, key_path in scalars(node):  # what a routine's text may not hold, a key's phrase or a file's name
        odd = unsafe_char(str(bad.value))
        if odd is not None:
            what, hint = unsafe_what(odd)
            at = f"{where}:{bad.start_mark.line + 1}:{bad.start_mark.column + 1}"
            at += f": {key_path}" if key_path else ""
            problems.append(f"{at}: the text contains {what} at character {str(bad.value).index(odd) + 1} ({hint})")
    if len(problems) > said:
        return []  # nothing of an index with a bad character is used
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"{where}: expected a mapping of phrase ids (or exact texts) to file names")
        return []
    if len(node.value) > max_entries:  # the entries past the limit were dropped without a word
        extra = node.value[max_entries][0].start_mark
        problems.append(
            f"{where}:{extra.line + 1}:{extra.column + 1}: the index holds {len(node.value)} entries; "
            f"at most {max_entries} are read (one per clip)"
        )
        return []
    out = []
    for k, v in node.value:
        mark = f"{where}:{k.start_mark.line + 1}:{k.start_mark.column + 1}"
        if not isinstance(k, yaml.ScalarNode) or not isinstance(v, yaml.ScalarNode) or not v.value.strip():
            problems.append(f"{mark}: expected 'id or text: file name'")
            continue
        out.append((k.value, v.value.strip(), mark))
    return out
