"""Text as a voice should read it: numbers, durations and abbreviations spelled out.

Applied in the voice layer just before synthesis (after the routine's text is final,
before the lexicon), per language. English's rules are here; every other language of
:mod:`matcue.languages` reads its cues with its own ``normalize`` (German, Spanish and
French: :mod:`matcue.languages.reader`), and keeps its accented letters, which its voices
read. A language matcue has no module for passes through unchanged. Examples (English):

    "3 rounds"        -> "three rounds"
    "hold 30s"        -> "hold thirty seconds"
    "1m30s"           -> "one minute thirty seconds"
    "4-7-8 breathing" -> "four seven eight breathing"
    "4/8 breathing"   -> "four, eight breathing"   (numbers joined by slashes: each, with commas)
    "1/2 breath"      -> "half a breath"   (1/2, 1/3, 2/3, 1/4, 3/4 and every sign ½ ⅓ ⅛... are fractions)
    "1½ minutes"      -> "one and a half minutes"
    "5-10 breaths"    -> "five to ten breaths"
    "L5-S1"           -> "L five S one"
    "2nd round"       -> "second round"
    "5.5 seconds"     -> "five point five seconds"
    "e.g. a strap"    -> "for example a strap"
    "Warrior II"      -> "Warrior two"   (pose numerals; "Virabhadrasana III" -> "... three")
    "Śīrṣāsana"       -> "Sirsasana"   (English voices spell out accented letters; English only)

and German: "Halte 30s, 4-7-8" -> "Halte dreißig Sekunden, vier sieben acht" (accents kept).

Text inside ``[[...]]`` (espeak-ng phonemes from the lexicon) is never touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from matcue.languages import language_for
from matcue.languages.reader import (
    FRACTIONS,
    GLUED,
    LOOSE_SIGN,
    LOOSE_SLASH,
    MINUS,
    RATIO,
    SLASHES,
    SPACED_THOUSANDS,
    fraction_pattern,
    glued,
    loose_slash,
    padded,
    prepare,
    ratio,
    slashes,
)

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip


def number_words(n: int) -> str:
    """0 <= n < 1,000,000,000 in English words: 45 -> "forty-five" (larger: digit by digit)."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    for size, name in ((1_000_000, "million"), (1000, "thousand")):
        if n < 1_000_000_000 and n >= size:
            big, rest = divmod(n, size)
            return f"{number_words(big)} {name}" + (f" {number_words(rest)}" if rest else "")
    return " ".join(_ONES[int(d)] for d in str(n))


def ordinal_words(n: int) -> str:
    """1 -> "first", 22 -> "twenty-second", 40 -> "fortieth"."""
    words = number_words(n)
    head, sep, last = words.rpartition("-") if "-" in words.split()[-1] else words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


def _num(text: str) -> str:
    """ "7" -> "seven"; "5.5" -> "five point five"; "07" -> "seven"."""
    if "." in text:
        whole, _, frac = text.partition(".")
        return f"{number_words(int(whole or 0))} point " + " ".join(_ONES[int(d)] for d in frac)
    return number_words(int(text))


def _plural(n: str, unit: str) -> str:
    """("2", "minute") -> "two minutes"; a half as a teacher says it: ("1.5", "minute") -> "one
    and a half minutes", ("0.5", "hour") -> "half an hour"."""
    whole, point, frac = n.partition(".")
    if point and frac.rstrip("0") == "5":
        if int(whole or 0) == 0:
            return f"half {'an' if unit == 'hour' else 'a'} {unit}"
        return f"{_num(whole)} and a half {unit}s"
    return f"{_num(n)} {unit}" + ("" if n in ("1", "1.0") else "s")


_UNITS = {"h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour", "m": "minute",
          "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute", "s": "second",
          "sec": "second", "secs": "second", "second": "second", "seconds": "second"}  # fmt: skip
_N = r"\d+(?:\.\d+)?"
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
# words a pose numeral follows ("Warrior I", "Virabhadrasana II", "Marichyasana III"); after
# them even "I" and "V" are numerals; after any other capitalized word only II-IX are
_NUMBERED = r"Warrior|Virabhadrasana|[A-Z][a-z]*asana|Series|Sequence|Level|Part|Phase|Round|Variation"


_TIMED = {**_UNITS, "breath": "breath", "breaths": "breath"}  # what a fraction is of: "half a breath"


def _parts(part: tuple[int, int]) -> tuple[str, str]:
    """A fraction's words alone and after "a": (1, 2) -> ("half", "half"), (1, 4) -> ("a
    quarter", "quarter"), (3, 4) -> ("three quarters", "three-quarter"), (2, 3) -> ("two
    thirds", "two-thirds"), (1, 8) -> ("an eighth", "eighth")."""
    n, d = part
    if part == (1, 2):
        return "half", "half"
    name = {2: "half", 3: "third", 4: "quarter"}.get(d) or ordinal_words(d)
    if n == 1:
        return f"{'an' if name[0] in 'aeiou' else 'a'} {name}", name
    return f"{number_words(n)} {name}s", f"{number_words(n)}-{name}" + ("s" if d != 4 else "")


def _fraction(m: re.Match[str]) -> str:
    """A fraction as a teacher says it: "1/2 breath" -> "half a breath", "1/2 min" -> "half a
    minute", "¾ hour" -> "three quarters of an hour", "1 1/2 minutes" -> "one and a half
    minutes", "a 1/4 turn" -> "a quarter turn", "an ⅛ turn" -> "an eighth turn", "the ½ hour"
    -> "the half hour", "1/2 moon" -> "half moon", "3/4 of" -> "three quarters of"
    (:data:`matcue.languages.reader.FRACTION`)."""
    groups = m.groupdict()
    article, whole, word = groups.get("article") or "", groups.get("whole"), groups.get("noun") or ""
    alone, after_a = _parts(FRACTIONS[m.group("part")])
    unit = _TIMED.get(word.lower())
    after = f" {unit or word}" if word else ""
    if whole is not None:
        words = f"{article}{_num(whole)} and {'a half' if alone == 'half' else alone}"
        return f"{words} {unit}s" if unit else words + after
    if article:
        said = article.rstrip()
        if said.lower() in ("a", "an"):  # as the fraction's word needs: "an eighth turn"
            article = said[0] + ("n" if after_a[0] in "aeiou" else "") + article[len(said) :]
        return f"{article}{after_a}{after}"
    if unit:
        of = f"{'an' if unit == 'hour' else 'a'} {unit}"
        return f"half {of}" if alone == "half" else f"{alone} of {of}"
    return alone + after


def _roman(m: re.Match[str]) -> str:
    return m.group(1) + number_words(_ROMAN[m.group(2)])


# (pattern, replacement) applied in order; each replacement returns words only.
_EN_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # pose numerals: Warrior II -> Warrior two (before any voice reads "I I")
    (re.compile(rf"\b((?:{_NUMBERED})\s+)(VIII|VII|VI|IV|IX|V|X|III|II|I)\b(?!['\u2019-])"), _roman),
    (re.compile(r"\b([A-Z][a-z]+\s+)(VIII|VII|VI|IV|IX|III|II)\b(?!['\u2019-])"), _roman),
    # abbreviations
    (re.compile(r"\be\.g\.(?=\s|$|,)", re.I), lambda m: "for example"),
    (re.compile(r"\bi\.e\.(?=\s|$|,)", re.I), lambda m: "that is"),
    (re.compile(r"\betc\.(?=\s|$)", re.I), lambda m: "et cetera."),
    (re.compile(r"\betc\b", re.I), lambda m: "et cetera"),
    (re.compile(r"\bapprox\.?(?=\s)", re.I), lambda m: "approximately"),
    (re.compile(r"\bvs\.?(?=\s)", re.I), lambda m: "versus"),
    (re.compile(r"\bw/(?=\s)", re.I), lambda m: "with"),
    (re.compile(r"\s&\s"), lambda m: " and "),
    (re.compile(r"\bcm\b"), lambda m: "centimeters"),
    (re.compile(r"\bkg\b"), lambda m: "kilograms"),
    (
        re.compile(r"\breps?\b(?=\s|[.,;]|$)", re.I),
        lambda m: "repetition" + ("s" if m.group(0).lower().endswith("s") else ""),
    ),
    # spinal segments: L5-S1, C7, T12
    (
        re.compile(r"\b([CTLS])(\d{1,2})(?:-([CTLS])(\d{1,2}))?\b"),
        lambda m: f"{m.group(1)} {_num(m.group(2))}" + (f" {m.group(3)} {_num(m.group(4))}" if m.group(3) else ""),
    ),
    # common fractions: "1/2 breath" -> "half a breath", "1½ minutes" -> "one and a half minutes"
    (fraction_pattern(r"an?|the"), lambda m: padded(m, _fraction(m))),
    # one number: "1 000" -> "1000" (read below), "-5" -> "minus 5"; ratios: 4:6 -> "four to six"
    (re.compile(rf"(?<![\d.,])\b\d{{1,3}}(?:{SPACED_THOUSANDS}\d{{3}})+\b"), lambda m: re.sub(r"\D", "", m.group(0))),
    (MINUS, lambda m: "minus "),
    (RATIO, lambda m: ratio(m.group(0), "to", _num)),
    # numbers joined by slashes, no fraction: each, with commas ("4/8" -> "four, 8", read below)
    (SLASHES, lambda m: slashes(m.group(0), lambda n: number_words(n))),
    # what every rule above left: a slash touching a number ("x1/2" -> "x1, 2"), a fraction sign
    # glued to a word ("x½" -> "x half"); a number glued to a word at the end ("x1" -> "x one")
    (LOOSE_SLASH, loose_slash),
    (LOOSE_SIGN, lambda m: padded(m, _fraction(m))),
    # number sequences: 4-7-8 (three or more) -> "four seven eight"; a range, 5-10 -> "five to
    # 10", its second number left to the rules below with what follows it ("30-60 sec" ->
    # "thirty to sixty seconds": the unit rule took the 60 and left "thirty-sixty seconds")
    (re.compile(r"\b\d+(?:-\d+){2,}\b"), lambda m: " ".join(_num(p) for p in m.group(0).split("-"))),
    (re.compile(rf"(?<![\d.,])\b({_N})\s?[-\u2013]\s?(?=\d)"), lambda m: f"{_num(m.group(1))} to "),
    # compound durations: 1m30s, 1h15m, 2m 30s, 1.5m
    (
        re.compile(r"(?<![\d.,])\b(?:(\d+(?:\.\d+)?)h\s?)?(?:(\d+(?:\.\d+)?)m\s?)?(?:(\d+(?:\.\d+)?)s)?\b(?<=[hms])"),
        lambda m: " ".join(
            _plural(n, u) for n, u in ((m.group(1), "hour"), (m.group(2), "minute"), (m.group(3), "second")) if n
        ),
    ),
    # a number with a unit: 30 sec, 5 min, 2 hrs, 1.5 minutes; a dot after it stays ("Rest
    # 5 minutes. Then sit." is two sentences; "5 min. Then" too, as German, French and Spanish read it)
    (
        re.compile(rf"\b({_N})\s?(hours?|hrs?|h|minutes?|mins?|seconds?|secs?)\b", re.I),
        lambda m: _plural(m.group(1), _UNITS[m.group(2).lower()]),
    ),
    (re.compile(r"\b(\d+)\s?x\b"), lambda m: f"{_num(m.group(1))} times"),
    (re.compile(rf"\b({_N})\s?%"), lambda m: f"{_num(m.group(1))} percent"),
    # degrees, as German, French and Spanish read them: "90°" -> "ninety degrees", "40°C"
    (
        re.compile(rf"\b({_N})\s?°(?:\s?([CF])\b)?"),
        lambda m: _plural(m.group(1), "degree") + {"C": " Celsius", "F": " Fahrenheit"}.get(m.group(2) or "", ""),
    ),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.I), lambda m: ordinal_words(int(m.group(1)))),
    (re.compile(r"\b\d{1,3}(?:,\d{3})+\b"), lambda m: number_words(int(m.group(0).replace(",", "")))),
    (re.compile(rf"\b{_N}\b"), lambda m: _num(m.group(0))),
    (GLUED, lambda m: glued(m, number_words)),
]

_PHONEMES = re.compile(r"(\[\[.*?\]\])")


def strip_latin_accents(text: str) -> str:
    """ "Śīrṣāsana" -> "Sirsasana": accents off Latin letters, other scripts untouched."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii() or "LATIN" not in unicodedata.name(ch, ""):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base or ch)
    return "".join(out)


def _normalize_en(text: str) -> str:
    text = prepare(strip_latin_accents(text)).replace("\u2019", "'").replace("\u2014", ", ").replace("\u2013", "-")
    for pattern, repl in _EN_RULES:
        text = pattern.sub(repl, text)
    return text


NORMALIZERS: dict[str, Callable[[str], str]] = {"en": _normalize_en}


def ascii_digits(text: str) -> str:
    """Every decimal digit as its ASCII digit: "٣٠" (Arabic-Indic), "３０" (full width),
    "५" (Devanagari) -> "30", "30", "5". One rule before every language's reading, so a
    number typed on another keyboard is read as a number in every language (German,
    French and Spanish passed such digits to the voice unread; English read them)."""
    if text.isascii():
        return text
    digit = unicodedata.decimal
    return "".join(c if c.isascii() or digit(c, None) is None else str(digit(c)) for c in text)


@lru_cache(maxsize=4096)  # pure; a text is normalized for every level and check of it, so once
def normalize_text(text: str, language: str = "en") -> str:
    """``text`` with numbers, durations and abbreviations written out for ``language``.

    English has the rules here (accents dropped: its voices spell them out); another
    language uses its :class:`~matcue.languages.Language`'s ``normalize`` and keeps its
    accents; a language matcue has no module for is returned unchanged.
    Segments in ``[[...]]`` (espeak-ng phonemes) are kept exactly as written.
    """
    code = language.lower().replace("_", "-").split("-")[0]
    rule = NORMALIZERS.get(code)
    if rule is None:
        lang = language_for(code)
        if lang is None:
            return text
        rule = lang.normalize
    parts = _PHONEMES.split(text)
    out = "".join(p if i % 2 else re.sub(r"\s+", " ", rule(ascii_digits(p))) for i, p in enumerate(parts))
    return out.strip()


__all__ = ["NORMALIZERS", "ascii_digits", "normalize_text", "number_words", "ordinal_words", "strip_latin_accents"]
