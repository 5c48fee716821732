"""German (Deutsch): the built-in phrases, the number reader and the cue reader. The student
is addressed with "du" throughout ("Atme ein auf vier").

Sides: ``{side}`` is the adverb, "rechts" / "links" ("Dreh dich nach {side}", and in chapter
titles: "Dehnung (rechts)"). Before a noun German inflects the adjective; the form keys are
the endings, so a cue writes the ending its article and noun need:

====================  =============  ==============================================
placeholder           right / left   e.g.
====================  =============  ==============================================
``{side_e}``          rechte/linke   "die {side_e} Hand", "das {side_e} Bein"
``{side_en}``         rechten/linken "den {side_en} Fuß", "mit dem {side_en} Bein",
                                     "deine {side_en} Beine"
``{side_er}``         rechter/linker "dein {side_er} Fuß" (a masculine noun after ein/dein)
``{side_es}``         rechtes/linkes "dein {side_es} Bein" (a neuter noun after ein/dein)
``{side_em}``         rechtem/linkem "mit {side_em} Bein" (no article, dative)
====================  =============  ==============================================

``{other_side_en}`` and the rest name the other side in the same form.

Numbers: :meth:`German.number` reads any whole number ("einundzwanzig",
"zweitausenddreihundertfünfundvierzig", "eine Million zweihunderttausend"); cue text is read
by :mod:`matcue.languages.reader` with German words: "30s" / "30 Sek." -> "dreißig
Sekunden", "1 Minute" -> "eine Minute", "5,5" -> "fünf Komma fünf", "5-10" -> "fünf bis
zehn", "3x" -> "dreimal", and an ordinal "2." before a noun after an article or at the start
("die 2. Runde" -> "die zweite Runde", "in der 3. Runde" -> "in der dritten Runde").
"""

from __future__ import annotations

import re

from matcue.languages.base import Language
from matcue.languages.nouns import Nouns
from matcue.languages.reader import Reading, halves, read, rules

_ONES = (
    "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn "
    "fünfzehn sechzehn siebzehn achtzehn neunzehn"
).split()
_TENS = ("", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig")
_SCALES = ((10**12, "Billion", "Billionen"), (10**9, "Milliarde", "Milliarden"), (10**6, "Million", "Millionen"))


def _below_100(n: int, final: bool) -> str:
    if n == 1:
        return "eins" if final else "ein"
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] if ones == 0 else f"{_below_100(ones, False)}und{_TENS[tens]}"


def _below_1000(n: int, final: bool) -> str:
    hundreds, rest = divmod(n, 100)
    head = "" if hundreds == 0 else ("" if hundreds == 1 else _ONES[hundreds]) + "hundert"
    return head + (_below_100(rest, final) if rest else "")


def _word(n: int, final: bool = True) -> str:
    """1 <= n < 1,000,000 as one word: 2345 -> "zweitausenddreihundertfünfundvierzig"."""
    thousands, rest = divmod(n, 1000)
    head = "" if thousands == 0 else ("" if thousands == 1 else _below_1000(thousands, False)) + "tausend"
    return head + (_below_1000(rest, final) if rest else "")


def german_number(n: int) -> str:
    """Any whole number in German words: 21 -> "einundzwanzig", 10**6 -> "eine Million"."""
    if n < 0:
        return "minus " + german_number(-n)
    if n == 0:
        return "null"
    for size, one, many in _SCALES:
        if n >= size:
            count, rest = divmod(n, size)
            words = german_number(count)
            words = "eine" if count == 1 else words[:-1] if words.endswith("eins") else words
            head = f"{words}{'e' if words.endswith('ein') else ''} {one if count == 1 else many}"
            return head if rest == 0 else f"{head} {german_number(rest)}"
    return _word(n)


def german_ordinal(n: int) -> str:
    """The stem of an ordinal, to which the ending is added: 1 -> "erst", 3 -> "dritt",
    20 -> "zwanzigst", 101 -> "hunderterst"."""
    special = {1: "erst", 3: "dritt", 7: "siebt", 8: "acht"}
    rest = n % 100
    if n >= 100 and 0 < rest < 20 and n < 10**6:
        return _word(n - rest) + german_ordinal(rest)
    if n in special:
        return special[n]
    return german_number(n) + ("t" if n < 20 else "st")


# the nouns a stretching or yoga routine uses, by gender; a compound has its last part's
# ("Handgelenk" as "Gelenk", "Seitenwechsel" as "Wechsel"), and the endings -ung, -heit,
# -keit, -ion, -schaft, -tät are feminine; any other word is taken as masculine
_NOUNS = Nouns(
    {
        "f": "minute sekunde stunde runde wiederholung übung seite hand hälfte pause serie atmung position "
        "haltung schulter hüfte ferse zehe brust wirbelsäule wade stirn nase zunge achsel faust matte decke "
        "wand kerze brücke taube kobra katze kuh zange heuschrecke krähe grätsche beuge länge mitte luft "
        "lunge kraft lage sequenz einheit woche zeit strecke rolle flanke leiste taille rippe hantel drehung "
        "ung heit keit ion schaft tät",
        "m": "atemzug zug arm fuß kopf rücken nacken hals bauch schenkel po zeh ellbogen ellenbogen daumen "
        "finger schritt satz durchgang zyklus moment atem block gurt hund krieger baum berg bogen fisch pflug "
        "sitz stand tag wechsel wirbel körper boden knöchel rhythmus takt liegestütz gruß mond "
        "schmetterling held frosch adler löwe delfin kreis winkel",
        "n": "bein knie becken gesäß kinn gelenk mal gewicht auge ohr gesicht herz kissen band tuch seil kamel "
        "dreieck kind boot rad brett krokodil tor intervall set training atmen einatmen ausatmen halten dehnen "
        "zählen ende schulterblatt steißbein kreuzbein schienbein brustbein schlüsselbein",
    },
    plural=lambda word, gender: (word + ("n" if word.endswith(("e", "el", "er")) else "en")) if gender == "f" else word,
    irregular={
        "hand": "hände",
        "brust": "brüste",
        "wand": "wände",
        "faust": "fäuste",
        "kuh": "kühe",
        "luft": "lüfte",
        "kraft": "kräfte",
    },  # fmt: skip
    compounds=True,
)
_FEMININE = _NOUNS.forms("f")
_NOT_NOUNS = frozenset("von bis und oder mal zu aus auf in an".split())


def _agree(words: str, noun: str) -> str:
    """ "eins" before a noun is "ein" or "eine": "1 Minute" -> "eine Minute", "1 Drehung" ->
    "eine Drehung"."""
    if words != "eins" or not noun or (noun.lower() in _NOT_NOUNS and noun != "Mal"):
        return words
    return "eine" if _NOUNS.gender(noun) == "f" else "ein"


# an ordinal "2." before a capitalized noun, at the start or after an article
_AFTER = r"der|die|das|den|dem|des|im|am|zum|zur|vom|beim|eine|einer|einem|einen|deine|deiner|deinem|deinen|jede|jeden|jedem|jeder"  # noqa: E501
_WEAK_EN = frozenset("den dem des im am zum zur vom beim einer einem einen deiner deinem deinen jeden jedem".split())
_PREPOSITIONS = frozenset("in an auf mit nach bei von zu aus vor während hinter über unter".split())


def _ordinal(m: re.Match[str]) -> str:
    before, article = m.group(1), (m.group(2) or "")
    low = article.lower()
    head = m.string[max(0, m.start(2) - 40) : m.start(2)]  # not the whole text before: linear
    words = head.split()
    whole_word = len(words) > 1 or len(head) < 40 or head[:1].isspace()  # else longer than any preposition
    prev = words[-1:] if article and whole_word else []
    dative_der = low == "der" and bool(prev) and prev[0].lower() in _PREPOSITIONS
    ending = "en" if low in _WEAK_EN or dative_der else "e"
    word = german_ordinal(int(m.group(3))) + ending
    return before + (word.capitalize() if not article else word)


_ORDINALS = (
    re.compile(rf"(^|(?i:\b({_AFTER}))\s+)(\d+)\.(?=\s+[A-ZÄÖÜ])"),
    _ordinal,
)


def _half(whole: int, one: str, many: str) -> str:
    """ "eine halbe Minute", "eineinhalb Minuten", "zweieinhalb Stunden" (the units are feminine)."""
    if whole == 0:
        return f"eine halbe {one}"
    return f"{'ein' if whole == 1 else german_number(whole)}einhalb {many}"


# the articles (and ein-words, jede-) before a fraction, and the ending of "halb" after them
_ARTICLES = r"d(?:er|ie|as|en|em|es)|[kdm]?ein(?:e[mnrs]?)?|jede[mnrs]?"


def _halb(article: str, gender: str | None) -> str:
    """ "halb" with its ending after ``article`` ("" for none): "die halbe", "den halben", "ein
    halbes" (a neuter noun), "eine halbe", "ein halber" (a masculine noun or one not known)."""
    low = article.lower()
    if not low:
        return {"f": "eine halbe", "n": "ein halbes"}.get(gender or "m", "ein halber")
    if low.endswith("ein"):  # ein, kein, dein, mein: nominative or accusative
        return {"f": "halbe", "n": "halbes"}.get(gender or "m", "halber")
    if low in ("die", "das", "jede", "jedes") or low.endswith("eine") or (low in ("der", "jeder") and gender != "f"):
        return "halbe"
    return "halben"  # den, dem, des, einen, einem, einer, eines, jeden, jedem; der before a feminine noun


def _part_name(part: tuple[int, int]) -> tuple[str, str]:
    """(1, 4) -> ("ein", "Viertel"), (3, 8) -> ("drei", "Achtel"), (1, 2) -> ("ein", "halb")."""
    n, d = part
    name = "halb" if d == 2 else "Viertel" if d == 4 else (german_ordinal(d) + "el").capitalize()
    return ("ein" if n == 1 else german_number(n)), name


def _fraction(article: str, whole: int | None, part: tuple[int, int], one: str, many: str) -> str:
    """ "½ Minute" -> "eine halbe Minute", "½ Bein" -> "ein halbes Bein", "die ½ Stunde" ->
    "die halbe Stunde", "1½ min" -> "eineinhalb Minuten", "1⅓ Stunden" -> "eineindrittel
    Stunden", "¼ Stunde" -> "eine Viertelstunde", "¾ von" -> "drei Viertel von": a word that is
    no noun (not capitalized) stays as it is; a noun of no known gender is after "ein halber"
    and after the other fractions' words ("⅔ Runden" -> "zwei Drittel Runden")."""
    noun = one[:1].isupper() and (one.lower() not in _NOT_NOUNS or one == "Mal")
    count, name = _part_name(part)
    after = f" {one}" if one and not noun else ""
    if whole is not None:
        words = f"{'ein' if whole == 1 else german_number(whole)}{count}{name.lower()}"
        return f"{words} {many}" if noun else words + after
    if not noun:
        return ("einhalb" if part == (1, 2) else f"{count} {name}") + after
    gender = _NOUNS.gender(one)
    if _NOUNS.singular(one) != one:  # a plural: "½ Runden" -> "halbe Runden"
        return f"{'halben' if article else 'halbe'} {one}" if part[1] == 2 else f"{count} {name} {one}"
    if part[1] == 2:
        return f"{_halb(article, gender)} {one}"
    if gender is None:
        return f"{count} {name} {one}"
    prefix = "" if count == "ein" else count.capitalize()
    word = f"{prefix}{name.lower() if prefix else name}{one.lower()}"
    return word if article else f"{'eine' if gender == 'f' else 'ein'} {word}"


_READING = Reading(
    number=german_number,
    agree=_agree,
    units={
        "h": ("Stunde", "Stunden"),
        "std": ("Stunde", "Stunden"),
        "min": ("Minute", "Minuten"),
        "mins": ("Minute", "Minuten"),
        "s": ("Sekunde", "Sekunden"),
        "sek": ("Sekunde", "Sekunden"),
        "sec": ("Sekunde", "Sekunden"),
    },  # fmt: skip
    digit_words=_ONES[:10],
    comma="Komma",
    to="bis",
    and_="und",
    times=lambda words: ("ein" if words == "eins" else words) + "mal",
    percent="Prozent",
    degrees=("Grad", "Grad"),
    plural=lambda value: value != 1,
    thousands=r"\.",
    minus="minus",
    ratio="zu",
    half=_half,
    fraction=_fraction,
    articles=_ARTICLES,
    joins=("er",),  # "3er-Gruppe" -> "dreier-Gruppe", "12er" -> "zwölfer"
    ordinals=(_ORDINALS,),
)
_RULES = rules(_READING)


def _seconds(ms: int) -> str:
    """ "vier", "viereinhalb", "eineinhalb" (to the half second, as English's count)."""
    whole, half = halves(ms)
    if not half:
        return german_number(whole)
    return ("ein" if whole == 1 else german_number(whole)) + "einhalb"


class German(Language):
    """German phrases, "du" form."""

    code = "de"
    iso639_2 = "deu"
    name = "Deutsch"
    switch_sides = "Seitenwechsel."
    side_names = {"right": "rechts", "left": "links"}
    side_forms = {
        "right": {"e": "rechte", "en": "rechten", "er": "rechter", "es": "rechtes", "em": "rechtem"},
        "left": {"e": "linke", "en": "linken", "er": "linker", "es": "linkes", "em": "linkem"},
    }
    rest_title = "Ruhe"
    intro_title = "Einführung"

    def reps_title(self, count: int) -> str:
        return f"{count} {'Atemzug' if count == 1 else 'Atemzüge'} mit Bewegung"

    def number(self, n: int) -> str:
        return german_number(n)

    def count_word(self, n: int) -> str:
        return german_number(n).capitalize() + "."

    def side_intro(self, side: str) -> str:
        return f"{self.side_forms[side]['e'].capitalize()} Seite."

    def pattern(self, inhale_ms: int, hold_in_ms: int, exhale_ms: int, hold_out_ms: int) -> str:
        parts = [f"Atme ein auf {_seconds(inhale_ms)}"]
        if hold_in_ms:
            parts.append(f"halte auf {_seconds(hold_in_ms)}")
        parts.append(f"atme aus auf {_seconds(exhale_ms)}")
        if hold_out_ms:
            parts.append(f"halte auf {_seconds(hold_out_ms)}")
        return ", ".join(parts) + "."

    def normalize(self, text: str) -> str:
        return read(text, _RULES)


LANGUAGE = German()
