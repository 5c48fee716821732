"""The digits of a cue read as words, for the languages other than English (German, Spanish,
French): one set of rules, filled by each language with its words (a :class:`Reading`).

What it reads, in order: common fractions (:data:`FRACTION`: "1/2", "1/4", "3/4", "½",
"¼", "¾", "⅓", "⅔", after a whole number too: "1 1/2", "1½"; with the noun after them:
"½ Minute" -> "eine halbe Minute", "1/4 tour" -> "un quart de tour"), the language's own
ordinals ("2." / "1.º" / "1er", rules the language gives), thousands groups ("1.000",
"1 000", one number), a minus sign ("-5"), ratios ("4:6" -> "vier zu sechs"; a clock
time "6:30" is left as written), durations
("1m30s", "30s", "30 s", "2 min", "1 h", a half: "1,5 min" -> "eineinhalb Minuten"),
sequences ("4-7-8" -> each number), ranges ("5-10", "5–10"), numbers joined by slashes
("4/8", "2/3", "12/24": each number, with commas; only the fractions above are fractions),
"3x", "20 %", "90°",
decimals ("5,5", and "5.5" as typed on an English keyboard), and every other whole number,
made to agree with the noun after it where the language needs it ("1 Minute" -> "eine
Minute", "21 respiraciones" -> "veintiuna respiraciones"). Words are never touched:
"5 Atemzüge" -> "fünf Atemzüge". Accented letters are kept (these languages' voices read them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_DIGITS = "0123456789½¼¾⅓⅔"  # what a number may be written with (a fraction sign too)
# a decimal: a comma, or a point (not a German clock time, "6.30 Uhr")
_NUM = r"\d+(?:,\d+|\.\d+(?![\d.]|\s*Uhr\b))?"
_HALF = re.compile(r"\d+[,.]50*")

# also read by English (matcue.voice.normalize): a minus sign before a number, not inside a
# word or after a number ("5 -10", a range); numbers joined by colons; thousands in groups
# of three after a space (a no-break or narrow no-break space too): "1 000", "10 000 000"
MINUS = re.compile(r"(?<![\w.,])(?<!\d\s)[-\u2212](?=\d)")
RATIO = re.compile(r"(?<![\d:.,])\d{1,2}(?::\d{1,2})+(?![\d:])")
SPACED_THOUSANDS = r"[ \u00a0\u202f]"

# also read by English: a common fraction, alone or after a whole number ("1 1/2", "1½"), with
# the word after it (its noun, or any word: the language's reading says what it does with it);
# not part of a longer run of digits and slashes ("1/24", "1/2/3", "11/2" are no fractions)
FRACTIONS = {
    "1/2": (1, 2), "1/4": (1, 4), "3/4": (3, 4), "½": (1, 2), "¼": (1, 4), "¾": (3, 4), "⅓": (1, 3), "⅔": (2, 3)
}  # fmt: skip
FRACTION = (
    r"(?<![\w/.,])(?:(?P<whole>\d+)(?:\s+(?=[13]/[24])|\s?(?=[½¼¾⅓⅔])))?"
    r"(?P<part>1/2|1/4|3/4|[½¼¾⅓⅔])(?![\d/])(?:\s?(?P<noun>[^\W\d_]+))?"
)
# numbers joined by slashes that are no common fraction: each number, with commas; the last
# is left to the rules after (its unit, its noun): "4/8" -> "four, 8" -> "four, eight"
SLASHES = re.compile(r"(?<![\w/.,])\d+(?:/\d+)+(?![\w/])")
Fraction = Callable[[int | None, tuple[int, int], str, str], str]  # (whole, part, one, many) -> words


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
    # a common fraction (:data:`FRACTION`): (whole or None, (1, 4), noun, plural noun) -> its
    # words and the noun's; a unit after it ("min") is given as its nouns, any other word as
    # written (both the same), no word as ""
    fraction: Fraction | None = None


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


def _keeps_dot(m: re.Match[str]) -> str:
    """The dot after an abbreviated unit, kept when it ends a sentence ("Halte 30 Sek. Dann")."""
    if not m.group(0).endswith("."):
        return ""
    rest = m.string[m.end() :]
    return "." if not rest.strip() or re.match(r"\s+[A-ZÄÖÜÁÉÍÓÚÑÀÂÇÈÊÎÔÛ¿¡]", rest) else ""


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
        one, many = reading.units.get(word.lower(), (word, word))
        whole = int(m.group("whole")) if m.group("whole") else None
        return reading.fraction(whole, FRACTIONS[m.group("part")], one, many)

    return [
        *([(re.compile(FRACTION), fraction)] if reading.fraction else []),
        *reading.ordinals,
        (re.compile(rf"(?<![\d.,])\b\d{{1,3}}(?:{thousands}\d{{3}})+\b"), lambda m: re.sub(r"\D", "", m.group(0))),
        (MINUS, lambda m: f"{reading.minus} "),
        (RATIO, lambda m: ratio(m.group(0), reading.ratio, lambda p: reading.number(int(p)))),
        (SLASHES, lambda m: slashes(m.group(0), reading.number)),
        (
            re.compile(rf"(?<![\d.,])\b(?:({num})h\s?)?(?:({num})m\s?)?(?:({num})s)?\b(?<=[hms])"),
            compound,
        ),
        (re.compile(rf"\b({num})\s?({units})\b\.?", re.I), unit),
        (re.compile(r"\b\d+(?:-\d+){2,}\b"), lambda m: " ".join(reading.number(int(p)) for p in m.group(0).split("-"))),
        (
            re.compile(rf"\b({num})\s?[-\u2013]\s?({num})\b"),
            lambda m: f"{read_number(reading, m.group(1))} {reading.to} {read_number(reading, m.group(2))}",
        ),
        (re.compile(r"\b(\d+)\s?[x×](?!\w)"), lambda m: reading.times(reading.number(int(m.group(1))))),
        (re.compile(rf"\b({num})\s?%"), lambda m: f"{read_number(reading, m.group(1))} {reading.percent}"),
        (re.compile(rf"\b({num})\s?°"), degrees),
        (re.compile(rf"\b({num})\b(?=(\s+[^\W\d_]+)?)"), plain),
    ]


def read(text: str, table: Sequence[Rule]) -> str:
    """``text`` with its numbers read by ``table`` (from :func:`rules`)."""
    if not any(ch in _DIGITS for ch in text):
        return text
    for pattern, repl in table:
        text = pattern.sub(repl, text)
    return text


def halves(ms: int) -> tuple[int, bool]:
    """A count as a teacher says it, to the nearest half second and at least one:
    4000 -> (4, False), 4600 -> (4, True)."""
    whole, half = divmod(max(2, round(ms / 500)), 2)
    return whole, bool(half)


__all__ = [
    "FRACTION", "FRACTIONS", "MINUS", "RATIO", "SLASHES", "SPACED_THOUSANDS", "Reading", "halves", "ratio", "read",
    "read_number", "rules", "slashes",
]  # fmt: skip
