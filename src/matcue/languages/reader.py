"""The digits of a cue read as words, for the languages other than English (German, Spanish,
French): one set of rules, filled by each language with its words (a :class:`Reading`).

What it reads, in order: fractions (:data:`FRACTION`: "1/2", "1/3", "2/3", "1/4", "3/4",
and every fraction sign "½", "⅓", "⅛"..., after a whole number too: "1 1/2", "1½"; with
the article before them and the noun after them: "½ Minute" -> "eine halbe Minute", "die ½
Stunde" -> "die halbe Stunde", "1/4 tour" -> "un quart de tour", the noun's gender and number
from the language's table, :mod:`matcue.languages.nouns`), the language's own
ordinals ("2." / "1.º" / "1er", rules the language gives), thousands groups ("1.000",
"1 000", one number), a minus sign ("-5"), ratios ("4:6" -> "vier zu sechs"; a clock
time "6:30" is left as written), numbers joined by slashes ("4/8", "1/8", "12/24": each
number, with commas; only the fractions above are fractions), what those leave (a slash by
a number, a fraction sign glued to a word), durations
("1m30s", "30s", "30 s", "2 min", "1 h", a half: "1,5 min" -> "eineinhalb Minuten"),
sequences ("4-7-8" -> each number), ranges ("5-10", "5–10"),
"3x", "20 %", "90°",
decimals ("5,5", and "5.5" as typed on an English keyboard), and every other whole number,
made to agree with the noun after it where the language needs it ("1 Minute" -> "eine
Minute", "21 respiraciones" -> "veintiuna respiraciones"), and last a number glued to a
word ("x12" -> "x zwölf"): no fraction sign, no slash or digit beside a digit is left. Words
are never touched:
"5 Atemzüge" -> "fünf Atemzüge". Accented letters are kept (these languages' voices read them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_DIGITS = "0123456789½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒↉⅟\u2044\u2215"  # what a number is written with (fractions too)
# a decimal: a comma, or a point (not a German clock time, "6.30 Uhr")
_NUM = r"\d+(?:,\d+|\.\d+(?![\d.]|\s*Uhr\b))?"
_HALF = re.compile(r"\d+[,.]50*")

# also read by English (matcue.voice.normalize): a minus sign before a number, not inside a
# word or after a number ("5 -10", a range); numbers joined by colons; thousands in groups
# of three after a space (a no-break or narrow no-break space too): "1 000", "10 000 000"
MINUS = re.compile(r"(?<![\w.,])(?<!\d\s)[-\u2212](?=\d)")
RATIO = re.compile(r"(?<![\d:.,])\d{1,2}(?::\d{1,2})+(?![\d:])")
SPACED_THOUSANDS = r"[ \u00a0\u202f]"

# also read by English: a fraction, alone or after a whole number ("1 1/2", "1½"), with the
# article before it ("die ½ Stunde", "a 1/4 turn": the reading says its words after it) and the
# word after it (its noun, or any word: the reading says what it does with it). Every fraction
# sign (SIGNS) is one; typed, only 1/2, 1/3, 2/3, 1/4, 3/4 (those a teacher writes for "half",
# "a third"...) and not inside a longer run of digits and slashes ("1/24", "1/2/3", "11/2")
SIGNS = "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒↉"
FRACTIONS = {
    **{s: (int(n), int(d)) for s in SIGNS for n, d in [unicodedata.normalize("NFKC", s).split("\u2044")]},
    **{t: (int(t[0]), int(t[2])) for t in ("1/2", "1/3", "2/3", "1/4", "3/4")},
}
_TYPED = r"(?:1/[234]|2/3|3/4)(?![\d/])"
_WORD = rf"[^\W\d_{SIGNS}]+"  # a word of letters (a fraction sign is no letter, though \w)


def fraction_pattern(articles: str = "") -> re.Pattern[str]:
    """:data:`FRACTION` for a language, with its ``articles`` (a regex, case-insensitive;
    "" for none) as the group ``article`` before it."""
    article = rf"(?P<article>(?i:\b(?:{articles}))\s+)?" if articles else "(?P<article>)"
    return re.compile(
        rf"{article}(?<![^\W{SIGNS}]|[/.,])(?:(?P<whole>\d+)(?:\s+(?={_TYPED})|\s?(?=[{SIGNS}])))?"
        rf"(?P<part>{_TYPED}|[{SIGNS}])(?:\s?(?P<noun>{_WORD}))?"
    )


FRACTION = fraction_pattern().pattern
# what is left after every rule: a fraction sign anywhere (glued to a word: "x½", "½/½"), read
# alone ("x half"); a slash touching a number ("x1/2", "1/2/"), read as the comma between the
# numbers it joins; a number glued to a word ("x12" -> "x zwölf"); none reaches the voice
LOOSE_SIGN = re.compile(rf"(?P<part>[{SIGNS}])(?:\s?(?P<noun>{_WORD}))?")
LOOSE_SLASH = re.compile(rf"(?<=[\d{SIGNS}])/|/(?=[\d{SIGNS}])")
GLUED = re.compile(rf"(?<={_WORD[:-1]})\d+|(?<![\d.,])\d+(?={_WORD[:-1]})")
# numbers joined by slashes that are no common fraction: each number, with commas; the last
# is left to the rules after (its unit, its noun): "4/8" -> "four, 8" -> "four, eight"
SLASHES = re.compile(r"(?<![\w/.,])\d+(?:/\d+)+(?![\w/])")
# (article, whole or None, part, noun, plural noun) -> the words after the article
Fraction = Callable[[str, int | None, tuple[int, int], str, str], str]
_LONG = re.compile(r"\d{16,}")


def prepare(text: str) -> str:
    """Before every language's rules: a fraction slash or division slash is a slash ("1⁄2"),
    "⅟" is "1/", and a number of more than 15 digits is read digit by digit in every language
    (as English reads one of ten digits or more)."""
    text = text.replace("\u2044", "/").replace("\u2215", "/").replace("\u215f", "1/")
    return _LONG.sub(lambda m: " ".join(m.group(0)), text)


def padded(m: re.Match[str], words: str) -> str:
    """``words`` for ``m``, with a space on a side where a letter or digit touches it."""
    text, start, end = m.string, m.start(), m.end()
    before = " " if start and text[start - 1].isalnum() else ""
    return before + words + (" " if end < len(text) and text[end].isalnum() else "")


def glued(m: re.Match[str], number: Callable[[int], str], joins: tuple[str, ...] = ()) -> str:
    """A number glued to a letter (:data:`GLUED`: "x12" -> "x zwölf"), one word with an ending
    of ``joins`` ("12er" -> "zwölfer"); one beside a mark that is no letter ("3²", a
    superscript) is left as written."""
    text, start, end = m.string, m.start(), m.end()
    if not (start and text[start - 1].isalpha()) and not (end < len(text) and text[end].isalpha()):
        return m.group(0)
    words = padded(m, number(int(m.group(0))))
    return words.rstrip() if joins and text.startswith(joins, end) else words


def loose_slash(m: re.Match[str]) -> str:
    """A slash touching a number, left by every rule: ", " between two, a space otherwise."""
    text, start = m.string, m.start()
    both = start and text[start - 1].isalnum() and start + 1 < len(text) and text[start + 1].isalnum()
    return ", " if both else " "


def slashes(text: str, number: Callable[[int], str]) -> str:
    """ "4/8" -> "vier, 8", "4/7/8" -> "vier, sieben, 8" (:data:`SLASHES`)."""
    *first, last = text.split("/")
    return ", ".join([*(number(int(p)) for p in first), last])


def ratio(text: str, to: str, number: Callable[[str], str]) -> str:
    """ "4:6" -> "four to six", "4:7:8" -> "four seven eight": numbers joined by colons are a
    ratio, unless every part after the first has two digits: a clock time ("6:30",
    "1:02:03"), left as written."""
    parts = text.split(":")
    if all(len(p) == 2 for p in parts[1:]):
        return text
    return f" {to} ".join(map(number, parts)) if len(parts) == 2 else " ".join(map(number, parts))


@dataclass(frozen=True)
class Reading:
    """What a language gives the reader.

    ``units`` maps an abbreviation (lower case, no dot) to (singular, plural) nouns;
    ``agree(words, noun)`` turns a number's words into the form used before ``noun`` (the
    next word, "" when none); ``plural(value)`` says whether a unit takes its plural;
    ``half(whole, one, many)`` says a whole number and a half of a unit ("1,5 min")."""

    number: Callable[[int], str]
    agree: Callable[[str, str], str]
    units: Mapping[str, tuple[str, str]]
    digit_words: Sequence[str]  # "null".."neun": the digits after a decimal comma
    comma: str  # "Komma"
    to: str  # a range: "bis"
    and_: str  # between the parts of a duration: "und"
    times: Callable[[str], str]  # "3x" -> words for 3 -> "dreimal"
    percent: str  # "Prozent"
    degrees: tuple[str, str]  # "90°": ("Grad", "Grad")
    plural: Callable[[float], bool]
    thousands: str  # a regex of the thousands separators besides a space: r"\." or ""
    minus: str  # "-5": "minus"
    ratio: str  # "4:6": "zu"
    half: Callable[[int, str, str], str]  # (1, "Minute", "Minuten") -> "eineinhalb Minuten"
    ordinals: tuple[Rule, ...] = ()
    # a fraction (:data:`FRACTION`): (article, whole or None, (1, 4), noun, plural noun) -> its
    # words and the noun's, after the article ("" for none; a language drops its own then); a
    # unit after it ("min") is given as its nouns, any other word as ``nouns`` gives it (a
    # noun of the language's table in the singular and the plural, others as written), no
    # word as ""
    fraction: Fraction | None = None
    articles: str = ""  # a regex of the articles before a fraction ("die", "la"): :func:`fraction_pattern`
    nouns: Callable[[str], tuple[str, str]] = lambda word: (word, word)
    joins: tuple[str, ...] = ()  # endings a number glued to them is one word with: "12er" -> "zwölfer"


def read_number(reading: Reading, digits: str) -> str:
    """ "7" -> "sieben"; "5,5" and "5.5" -> "fünf Komma fünf"; "07" -> "sieben"."""
    whole, comma, frac = digits.replace(".", ",").partition(",")
    words = reading.number(int(whole or "0"))
    if not comma:
        return words
    return f"{words} {reading.comma} " + " ".join(reading.digit_words[int(d)] for d in frac)


def _value(digits: str) -> float:
    return float(digits.replace(",", "."))


def _amount(reading: Reading, digits: str, unit: str) -> str:
    """A number of a unit: ("1", "min") -> "eine Minute", ("2,5", "s") -> "zwei Komma fünf Sekunden"."""
    one, many = reading.units[unit]
    if _HALF.fullmatch(digits):
        return reading.half(int(re.split("[,.]", digits)[0]), one, many)
    noun = many if reading.plural(_value(digits)) else one
    return f"{reading.agree(read_number(reading, digits), noun)} {noun}"


_SENTENCE_ENDS = re.compile(r"\s*\Z|\s+[A-ZÄÖÜÁÉÍÓÚÑÀÂÇÈÊÎÔÛ¿¡]")


def _keeps_dot(m: re.Match[str]) -> str:
    """The dot after an abbreviated unit, kept when it ends a sentence ("Halte 30 Sek. Dann")."""
    if not m.group(0).endswith("."):
        return ""
    return "." if _SENTENCE_ENDS.match(m.string, m.end()) else ""  # no slice of the rest: linear


def rules(reading: Reading) -> list[Rule]:
    """The reader's rules for ``reading``, in the order they apply."""
    units = "|".join(sorted(map(re.escape, reading.units), key=len, reverse=True))
    num = _NUM
    thousands = f"(?:{reading.thousands}|{SPACED_THOUSANDS})" if reading.thousands else SPACED_THOUSANDS

    def compound(m: re.Match[str]) -> str:
        parts = [_amount(reading, n, u) for n, u in zip(m.groups(), ("h", "min", "s"), strict=True) if n]
        if len(parts) < 2:
            return parts[0] if parts else m.group(0)
        return ", ".join(parts[:-1]) + f" {reading.and_} {parts[-1]}"

    def unit(m: re.Match[str]) -> str:
        return _amount(reading, m.group(1), m.group(2).lower()) + _keeps_dot(m)

    def degrees(m: re.Match[str]) -> str:
        noun = reading.degrees[1 if reading.plural(_value(m.group(1))) else 0]
        return f"{reading.agree(read_number(reading, m.group(1)), noun)} {noun}"

    def plain(m: re.Match[str]) -> str:
        return reading.agree(read_number(reading, m.group(1)), (m.group(2) or "").strip())

    def fraction(m: re.Match[str]) -> str:
        assert reading.fraction is not None
        word = m.group("noun") or ""
        one, many = reading.units.get(word.lower()) or reading.nouns(word)
        whole = int(m.group("whole")) if m.groupdict().get("whole") else None
        article = m.groupdict().get("article") or ""
        return article + reading.fraction(article.strip(), whole, FRACTIONS[m.group("part")], one, many)

    leftovers: list[Rule] = [
        (LOOSE_SLASH, loose_slash),
        (LOOSE_SIGN, lambda m: padded(m, fraction(m))),
    ]
    return [
        *([(fraction_pattern(reading.articles), lambda m: padded(m, fraction(m)))] if reading.fraction else []),
        *reading.ordinals,
        (re.compile(rf"(?<![\d.,])\b\d{{1,3}}(?:{thousands}\d{{3}})+\b"), lambda m: re.sub(r"\D", "", m.group(0))),
        (MINUS, lambda m: f"{reading.minus} "),
        (RATIO, lambda m: ratio(m.group(0), reading.ratio, lambda p: reading.number(int(p)))),
        (SLASHES, lambda m: slashes(m.group(0), reading.number)),
        *(leftovers if reading.fraction else []),
        # a range: its second number is read by the rules below, with its unit ("5-10 min")
        (re.compile(r"\b\d+(?:-\d+){2,}\b"), lambda m: " ".join(reading.number(int(p)) for p in m.group(0).split("-"))),
        (
            re.compile(rf"\b({num})\s?[-\u2013]\s?(?=\d)"),
            lambda m: f"{read_number(reading, m.group(1))} {reading.to} ",
        ),
        (
            re.compile(rf"(?<![\d.,])\b(?:({num})h\s?)?(?:({num})m\s?)?(?:({num})s)?\b(?<=[hms])"),
            compound,
        ),
        (re.compile(rf"\b({num})\s?({units})\b\.?", re.I), unit),
        (re.compile(r"\b(\d+)\s?[x×](?!\w)"), lambda m: reading.times(reading.number(int(m.group(1))))),
        (re.compile(rf"\b({num})\s?%"), lambda m: f"{read_number(reading, m.group(1))} {reading.percent}"),
        (re.compile(rf"\b({num})\s?°"), degrees),
        (re.compile(rf"\b({num})\b(?=(\s+[^\W\d_]+)?)"), plain),
        (GLUED, lambda m: glued(m, reading.number, reading.joins)),
    ]


def read(text: str, table: Sequence[Rule]) -> str:
    """``text`` with its numbers read by ``table`` (from :func:`rules`)."""
    if not any(ch in _DIGITS for ch in text):
        return text
    text = prepare(text)
    for pattern, repl in table:
        text = pattern.sub(repl, text)
    return text


def halves(ms: int) -> tuple[int, bool]:
    """A count as a teacher says it, to the nearest half second and at least one:
    4000 -> (4, False), 4600 -> (4, True)."""
    whole, half = divmod(max(2, round(ms / 500)), 2)
    return whole, bool(half)


__all__ = [
    "FRACTION", "FRACTIONS", "GLUED", "LOOSE_SIGN", "LOOSE_SLASH", "MINUS", "RATIO", "SIGNS", "SLASHES",
    "SPACED_THOUSANDS", "Reading", "fraction_pattern", "glued", "halves", "loose_slash", "padded", "prepare", "ratio",
    "read", "read_number", "rules", "slashes",
]  # fmt: skip
