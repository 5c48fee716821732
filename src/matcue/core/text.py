"""What text is: the characters no string matcue reads may hold, and one JSON writer.

A *lone surrogate* (U+D800-U+DFFF alone) is half of a character: a YAML escape such as
``"\\ud800"`` makes one, and so does a byte that is not UTF-8 in a command-line argument
(Python reads it as U+DC80-U+DCFF). It cannot be written as UTF-8, so every string a YAML
file gives is checked for one (:func:`surrogate_in_nodes`) before anything uses it.
A *noncharacter* (U+FFFE, U+FFFF, U+FDD0-U+FDEF and the last two code points of every
plane) is reserved by Unicode never to be text; XML cannot hold U+FFFE and U+FFFF.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


def is_surrogate(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDFFF


def is_noncharacter(ch: str) -> bool:
    cp = ord(ch)
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def code(ch: str) -> str:
    """``U+0007``, ``U+E0041``: how a message names a character."""
    return f"U+{ord(ch):04X}"


def kind(ch: str) -> str:
    """What a character no text may hold is, for a message: "a control character", "a
    format character", "half of a character (a lone surrogate)", "a noncharacter"."""
    if is_surrogate(ch):
        return "half of a character (a lone surrogate)"
    if is_noncharacter(ch):
        return "a noncharacter"
    return "a format character" if unicodedata.category(ch) == "Cf" else "a control character"


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text``, else None."""
    for i, ch in enumerate(text):
        if is_surrogate(ch):
            return i
    return None


def surrogate_what(text: str, i: int) -> tuple[str, str]:
    """(what, hint) for the lone surrogate at ``text[i]``, for a message. A pair written as
    two ``\\u`` escapes (``"\\ud83d\\ude00"``) gets the one escape that means it."""
    ch = text[i]
    what = f"{code(ch)} at character {i + 1} is half of a character (a lone surrogate): not text"
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if 0xD800 <= ord(ch) <= 0xDBFF and nxt and 0xDC00 <= ord(nxt) <= 0xDFFF:
        whole = 0x10000 + ((ord(ch) - 0xD800) << 10) + (ord(nxt) - 0xDC00)
        return what, f"a character above U+FFFF is written as itself or as one escape: \\U{whole:08X}"
    return what, "write the character itself, not a \\u escape of half of one"


def scalars(root: Node) -> Iterator[tuple[ScalarNode, str]]:
    """Every scalar (keys and values) under ``root``, in the file's order, each once (an
    alias reaches a node again), with its key path (``steps[0].say``)."""
    for node, where in nodes(root):
        if isinstance(node, ScalarNode):
            yield node, where


def nodes(root: Node) -> Iterator[tuple[Node, str]]:
    """Every node (keys, values, lists and mappings) under ``root``, as :func:`scalars`."""
    seen: set[int] = set()
    todo: list[tuple[Node, str]] = [(root, "")]
    while todo:
        node, where = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node, where
        if isinstance(node, SequenceNode):
            todo.extend((item, f"{where}[{n}]") for n, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                name = str(key.value) if isinstance(key, ScalarNode) else "?"
                path = f"{where}.{name}" if where else name
                todo.extend(((value, path), (key, where)))


def surrogate_in_nodes(root: Node) -> tuple[Node, str, int] | None:
    """The first scalar (a key or a value) under ``root`` holding a lone surrogate: the
    node, its key path (``steps[0].say``) and the surrogate's index; else None."""
    for node, where in scalars(root):
        i = lone_surrogate(str(node.value))
        if i is not None:
            return node, where, i
    return None


def mend(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so that it can be written and
    used (as a path, say) while the problem it was is reported."""
    return "".join("\ufffd" if is_surrogate(ch) else ch for ch in text)


# Letters and marks that draw nothing: the Hangul fillers, the combining grapheme joiner,
# the Khmer inherent vowels, the Mongolian variation selectors, the variation selectors and
# the braille blank (Unicode's Default_Ignorable_Code_Point, less the format characters).
_BLANK = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0") | frozenset(
    map(chr, [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])
)


def nothing_visible(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace, format characters (U+200B ZERO
    WIDTH SPACE, U+FEFF, U+2060...) and characters that draw nothing (U+3164 HANGUL FILLER,
    U+2800 BRAILLE PATTERN BLANK...), so a title made of them reads as empty."""
    return all(ch.isspace() or ch in _BLANK or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


# Bidirectional overrides and isolates: they reorder what a terminal or a page shows.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe_char(text: str) -> str | None:
    """The first character of ``text`` that no title, cue or name may hold, else None: a
    control character (C0, DEL, C1: terminal escape codes start with one) other than tab,
    line feed and carriage return (which are whitespace), a bidirectional override, half
    of a character (a lone surrogate, from a ``\\ud800`` escape or a byte of an argument
    that is not UTF-8) or a noncharacter (U+FFFE, U+FFFF...: XML cannot hold them)."""
    for ch in text:
        if ch in "\t\n\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS or is_noncharacter(ch):
            return ch
    return None


def unsafe_what(ch: str) -> tuple[str, str]:
    """(what ``ch`` is, what to do) for a character :func:`unsafe_char` found: each kind
    named as Unicode names it (a control character is Cc; a bidirectional override or
    isolate is a format character, Cf)."""
    if is_surrogate(ch):
        if 0xDC80 <= ord(ch) <= 0xDCFF:  # how Python reads a byte of an argument that is not UTF-8
            return f"a byte that is not UTF-8 (\\x{ord(ch) - 0xDC00:02x})", "write the text in UTF-8"
        return f"half of a character, {code(ch)} (a lone surrogate)", "write the character itself"
    if is_noncharacter(ch):
        return f"the noncharacter {code(ch)}", "it is reserved never to be text; remove it"
    if ch in _BIDI_CONTROLS:  # format characters (Cf), not control characters (Cc)
        return (
            f"the bidirectional formatting character {code(ch)}",
            "it reorders how the text around it is shown; remove it",
        )
    return (
        f"the control character {code(ch)}",
        "titles and cues may not hold terminal escape codes or other control characters; remove it",
    )


def invisible(text: str) -> str:
    """The characters of a text that shows nothing, by code (``U+200B U+FEFF``), for a message."""
    return " ".join(dict.fromkeys(code(ch) for ch in text if not ch.isspace())) or "whitespace"


_NOT_ASCII = re.compile("[^\x00-\x7e]")  # json.dumps already escapes C0, quotes and backslashes


def _escape_json(m: re.Match[str]) -> str:
    ch = m.group(0)
    if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp") and not is_noncharacter(ch):
        return ch
    cp = ord(ch)
    if cp > 0xFFFF:
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"
    return f"\\u{cp:04x}"


def to_json(value: Any, indent: int | None = 2, separators: tuple[str, str] | None = None) -> str:
    """``value`` as JSON, the one way the CLI prints or writes JSON: other non-ASCII text
    kept as is (readable), control and format characters (C1, DEL, U+202E, U+200B),
    U+2028/U+2029, lone surrogates and noncharacters as ``\\uXXXX`` escapes, so printing it
    on a terminal sends no escape code and writing it as UTF-8 cannot fail."""
    data = json.dumps(value, indent=indent, ensure_ascii=False, separators=separators)
    return _NOT_ASCII.sub(_escape_json, data)


_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line break


def place(text: str, pos: int) -> tuple[int, int]:
    """The 1-based line and column of character ``pos`` of ``text``, counted as YAML counts them."""
    line, start = 1, 0
    for m in _LINE_BREAK.finditer(text, 0, pos):
        line, start = line + 1, m.end()
    return line, pos - start + 1


def yaml_refused(character: object) -> str:
    """A character PyYAML's reader refuses, for a message: "U+0001 (a control character)",
    "U+FFFE (a noncharacter)", or its Unicode name."""
    if not isinstance(character, int):
        return repr(character)
    ch = chr(character)
    name = unicodedata.name(ch, "")
    return f"{code(ch)} {name}" if name else f"{code(ch)} ({'a noncharacter' if is_noncharacter(ch) else kind(ch)})"
