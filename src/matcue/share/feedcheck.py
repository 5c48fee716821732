"""The text of a feed manifest, by the rules a routine's text follows.

The file: every byte that is not UTF-8 and every character YAML refuses (the routine
reader's one rule, :func:`matcue.core.text.refused_characters`) said where it is, the rest
still read. Every string in it, keys too: a lone surrogate (``"\\ud800"``) and a character no
routine text may hold (:func:`matcue.core.text.unsafe_char`: a control character, a
bidirectional override, a noncharacter), each said at the string that holds it, all of
them. The episode's texts: a title and a chapter title as a routine's ``title:`` (one line,
something visible, at most :attr:`~matcue.core.limits.Limits.text_chars` for the title and
the author), the format characters that show nothing removed as from a routine's text
(:func:`matcue.core.text.without_silent`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from matcue.core.limits import LIMITS
from matcue.core.text import (
    blank_text,
    file_text,
    holds_unsafe,
    lone_surrogate,
    nothing_visible,
    place,
    refused_characters,
    surrogate_what,
    unsafe_char,
    unsafe_what,
)


def manifest_text(data: bytes, shown: str) -> tuple[str | None, list[str]]:
    """The manifest's text, each bad byte or character replaced by U+FFFD, and a located
    line for each (``PATH:LINE:COLUMN: what (hint)``); None for a file that is no text."""
    decoded, unread = file_text(data, "a feed manifest")
    if decoded is None:
        what, hint = unread or ("not text", "")
        return None, [f"{shown}:1:1: {what}{f' ({hint})' if hint else ''}"]
    text, _, refused = refused_characters(decoded.removeprefix("\ufeff"), True, "a feed manifest", "a manifest")
    lines = []
    for pos, what, hint in refused:
        line, column = _json_place(text, pos)
        lines.append(f"{shown}:{line}:{column}: {what} ({hint})")
    return text, lines


def _json_place(text: str, pos: int) -> tuple[int, int]:
    """Line and column as JSON counts them (only line feeds end a line), as its errors do."""
    return place(text.replace("\r", " ").replace("\x85", " ").replace("\u2028", " ").replace("\u2029", " "), pos)


def _bad(value: str) -> str | None:
    """What is wrong with a string of the manifest, for a message, else None."""
    if not holds_unsafe(value):
        return None
    i = lone_surrogate(value)
    if i is not None:
        what, hint = surrogate_what(value, i)
        return f"{what} ({hint})"
    odd = unsafe_char(value)
    if odd is not None:
        what, hint = unsafe_what(odd)
        return f"the text contains {what} at character {value.index(odd) + 1} ({hint})"
    return None


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


class _Pairs(list[Any]):
    """An object as its (key, value) pairs, in the file's order (a repeated key too)."""


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(key path, string) for every string, keys too, in the file's order."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, _Pairs):
        for key, v in value:
            path = f"{where}.{key}" if where else key
            yield path, key
            yield from _walk(v, path)
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _walk(v, f"{where}[{n}]")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)  # a JSON string token: in valid JSON, only these hold '"'


def string_problems(text: str, value: Any, shown: str) -> list[str]:
    """A located line for every string of the manifest (``value``, read from ``text``) that
    holds a lone surrogate or a character no routine text may hold: at its opening quote."""
    if "\\u" not in text and not holds_unsafe(text):
        return []  # the common case, in one search of the whole text: nothing escaped, nothing bad
    if not holds_unsafe("\n".join(_strings(value))):
        return []  # escapes of characters a text may hold (U+200D, é): no second reading
    ordered = json.loads(text, object_pairs_hook=_Pairs)
    lines = []
    for (where, s), token in zip(_walk(ordered, ""), _STRING.finditer(text), strict=False):
        problem = _bad(s)
        if problem is not None:
            line, column = _json_place(text, token.start())
            lines.append(f"{shown}:{line}:{column}: {where or 'top level'}: {problem}")
    return lines


def title_problem(value: str, visible: bool = True, limit: bool = True) -> str | None:
    """Why a title, an author or a chapter title of the manifest is no title a routine may
    have, else None (its characters are :func:`string_problems`' to say)."""
    if "\n" in value or "\r" in value:
        return "a title is one line: it holds a line break"
    if visible and not value.strip():
        return "expected text, got an empty string"
    if visible and nothing_visible(value):
        return blank_text(value)
    if limit and len(value) > LIMITS.text_chars:
        return f"the text is {len(value)} characters long; at most {LIMITS.text_chars} are allowed"
    return None
