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

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.core.errors import MAX_PROBLEMS


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text``, else None."""
    m = _SURROGATE.search(text)
    return None if m is None else m.start()


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


def mend_surrogates(root: Node) -> list[tuple[ScalarNode, str, str, str]]:
    """Every scalar (a key or a value) under ``root`` that holds a lone surrogate (a YAML
    escape such as ``"\\ud800"``), each once: (node, key path, what, hint); each node's value
    mended (:func:`mend`) in place, so no surrogate reaches a message, a path or an output."""
    out = []
    for node, where in scalars(root):
        value = str(node.value)
        i = lone_surrogate(value)
        if i is not None:
            out.append((node, where, *surrogate_what(value, i)))
            node.value = mend(value)
    return out


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def file_text(data: bytes, noun: str) -> tuple[str | None, tuple[str, str] | None]:
    """The text of a file every reader of text files takes the same way: UTF-8 (a BOM
    allowed; a byte that is not UTF-8 read as U+DC80-U+DCFF, for :func:`refused_characters`
    to say where it is), or UTF-16/32 with a BOM (what Windows Notepad saves as "Unicode");
    else None and (what, hint) for line 1, column 1: binary data, or UTF-16 with no BOM."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError:
                name = codec.upper()
                return None, (f"the file starts as {name} text but is not valid {name}", "save it as UTF-8")
    head = data[:8192]
    if b"\0" in head and _looks_binary(head):
        hint = ""
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            hint = "it looks like UTF-16 text without a byte-order mark: save it as UTF-8"
        return None, (f"this is a binary file, not {noun}", hint)
    return data.decode("utf-8", "surrogateescape"), None


def _looks_binary(head: bytes) -> bool:
    """Whether the start of a file that holds a NUL byte is binary data rather than text
    with a stray control character (reported where it is)."""
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if controls * 20 > len(head):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < len(head) - 3  # not just a character cut at the end of the sample
    return False


REFUSED = yaml.reader.Reader.NON_PRINTABLE  # what PyYAML's reader refuses to read at all


def refused_characters(
    text: str, from_bytes: bool, noun: str, short: str = ""
) -> tuple[str, list[int], list[tuple[int, str, str]]]:
    """The one bad-character rule of every text file matcue reads (a routine, an include, a
    profile, a roster, a lexicon, an index of recordings, a feed manifest): each character
    YAML refuses to read (a control character other than tab, line breaks and U+0085, a
    noncharacter U+FFFE or U+FFFF, half of a character) and, when ``from_bytes`` (the text
    was decoded with ``surrogateescape``), each byte that is not UTF-8, reported where it
    is. Returns the text with each replaced by U+FFFD (so the rest of the file is still
    read and its problems said too), their positions, and the problems: (position, what,
    hint), the bytes of one character said once, at most :data:`MAX_PROBLEMS`."""
    bad = [m.start() for m in REFUSED.finditer(text)]
    problems: list[tuple[int, str, str]] = []
    for n, pos in enumerate(bad):
        ch = text[pos]
        if from_bytes and 0xDC80 <= ord(ch) <= 0xDCFF:  # how a byte that is not UTF-8 was decoded
            if n and bad[n - 1] == pos - 1 and 0xDC80 <= ord(text[pos - 1]) <= 0xDCFF:
                continue  # one character's worth of bytes: said once
            problems.append((pos, "the file is not UTF-8 text", "save it as UTF-8"))
        else:
            what = f"the character {yaml_refused(ord(ch))} cannot be in {noun}"  # noun: "a routine"
            problems.append((pos, what, f"{short or noun} is plain text: delete it"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return (REFUSED.sub("\ufffd", text) if bad else text), bad, problems


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


_DRAW_NOTHING = ("Cf", "Cc", "Mn", "Mc", "Me")  # format and control characters, combining marks
BLANK = "only spaces, invisible or combining characters"  # what blank text is made of, in messages


def nothing_visible(text: str) -> bool:
    """Whether ``text`` is blank: only whitespace, format characters (U+200B ZERO WIDTH
    SPACE, U+FEFF, U+2060...), characters that draw nothing (U+3164 HANGUL FILLER, U+2800
    BRAILLE PATTERN BLANK...) and combining marks with no letter to sit on (U+0301
    COMBINING ACUTE ACCENT...), so a title or a cue made of them reads as empty."""
    return all(ch.isspace() or ch in _BLANK or unicodedata.category(ch) in _DRAW_NOTHING for ch in text)


def blank_text(text: str) -> str:
    """The one message for blank text (:func:`nothing_visible`), naming its characters."""
    return f"expected text, got {BLANK} ({invisible(text)})"


# Format characters that show nothing and say nothing: U+00AD SOFT HYPHEN, U+180E MONGOLIAN
# VOWEL SEPARATOR, U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+2061-U+2064 (invisible
# operators), U+FEFF ZERO WIDTH NO-BREAK SPACE. The joiners U+200C/U+200D (which shape
# letters and emoji) and the direction marks U+200E/U+200F/U+061C are kept.
SILENT = frozenset("\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")


def without_silent(text: str) -> str:
    """``text`` without the :data:`SILENT` format characters, the one rule for them: what a
    routine's text (a title, a name, a cue, a filled ``{var}``) holds is removed before it
    is spoken, shown, tagged or captioned, so ``"Schulter\u00adblatt"`` is said and shown as
    "Schulterblatt". It is also composed (NFC): "Cafe\u0301" (as a Mac keyboard or a PDF
    writes it) and "Café" are one text, so a name given to ``--skip`` or ``--only``, a
    lexicon word or a recording's index matches it however either was typed. A text of
    nothing visible is kept as written, so that it is reported as the blank text it is
    (:func:`blank_text`: "expected text, got only spaces, invisible or combining characters
    (U+200B)")."""
    if text.isascii() or nothing_visible(text):
        return text
    return "".join(ch for ch in unicodedata.normalize("NFC", text) if ch not in SILENT)


GAP = "\x00"  # where an empty {var} was, while a text is filled (a control character: never in a text)
_GAP_OPENING = re.compile(r"(^|[.!?])\s*(?:\x00\s*)+[,;:]*")  # "{who}, breathe": no ", " left leading
_GAP_BEFORE_MARK = re.compile(r"[,;:]?\s*(?:\x00\s*)+(?=[.,;:!?\u2026]|$)")  # "Hello, {who}." -> "Hello."


def close_gaps(text: str) -> str:
    """``text`` with each :data:`GAP` (an empty ``{var}``, ``--set name=``) taken out with
    the space and the comma it leaves: "Hello {who}." is "Hello.", "Thank you, {who}." is
    "Thank you.", "{who}, breathe in" is "breathe in", "Hello {who} and welcome" is "Hello
    and welcome"; spaces are then collapsed to one and the ends stripped."""
    if GAP not in text:
        return text
    text = _GAP_BEFORE_MARK.sub("", _GAP_OPENING.sub(r"\1", text))
    return " ".join(text.replace(GAP, " ").split())


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


_UNSAFE = re.compile(  # one class of the BMP: a class holding the planes' noncharacters too was ten times slower
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff]"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def holds_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character :func:`unsafe_char` finds or a lone surrogate, by
    regular expressions: for many strings (a feed manifest's thousands) or a long text."""
    if _UNSAFE.search(text) is not None:
        return True
    return _ASTRAL.search(text) is not None and any(is_noncharacter(ch) for ch in _ASTRAL.findall(text))


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


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: a wide character (CJK, most emoji) two, a
    combining mark or an invisible (format) character none, any other one."""
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (:func:`columns`), on the
    right, or on the left with ``right``."""
    fill = " " * max(0, width - columns(text))
    return fill + text if right else text + fill
