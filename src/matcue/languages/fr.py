"""French (français): the built-in phrases, the number reader and the cue reader. The student
is addressed with "tu" throughout ("Inspire sur quatre", "Change de côté").

Sides: ``{side}`` is the feminine form, "droite" / "gauche" ("tourne vers la {side}", "la
jambe {side}", and in chapter titles: "Étirement (droite)"). The form keys are gender and
number:

==================  =====================  ==========================================
placeholder         right / left           e.g.
==================  =====================  ==========================================
``{side_f}``        droite / gauche        "la jambe {side_f}", "la main {side_f}"
``{side_m}``        droit / gauche         "le pied {side_m}", "le genou {side_m}"
``{side_fp}``       droites / gauches      "les fesses {side_fp}"
``{side_mp}``       droits / gauches       "les orteils {side_mp}"
==================  =====================  ==========================================

``{other_side_m}`` and the rest name the other side in the same form.

Numbers: :meth:`French.number` reads any whole number in the traditional spelling
("vingt et un", "soixante-dix", "quatre-vingts", "quatre-vingt-onze", "deux cents", "deux
cent un", "mille", "un million"); cue text is read by :mod:`matcue.languages.reader` with
French words: "30s" / "30 sec" -> "trente secondes", "1 min" -> "une minute", "21
respirations" -> "vingt et une respirations", "5,5" -> "cinq virgule cinq", "5-10" -> "cinq
à dix", "3x" -> "trois fois", "1 000" (with a no-break space) -> "mille", and ordinals
"1er" / "1re" / "1ère" / "2e" / "2ème" / "2nd(e)" ("la 1re série" -> "la première série").
"""

from __future__ import annotations

import re

from matcue.languages.base import Language
from matcue.languages.nouns import Nouns
from matcue.languages.reader import Reading, halves, read, rules

_ONES = "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize".split()
_TENS = ("", "", "vingt", "trente", "quarante", "cinquante", "soixante")
_SCALES = ((10**12, "billion"), (10**9, "milliard"), (10**6, "million"))


def _below_100(n: int, final: bool) -> str:
    if n < 17:
        return _ONES[n]
    if n < 20:
        return "dix-" + _ONES[n - 10]
    tens, ones = divmod(n, 10)
    if tens == 7:
        return "soixante et onze" if ones == 1 else "soixante-" + _below_100(10 + ones, final)
    if tens == 8:
        return ("quatre-vingts" if final else "quatre-vingt") if ones == 0 else "quatre-vingt-" + _ONES[ones]
    if tens == 9:
        return "quatre-vingt-" + _below_100(10 + ones, final)
    if ones == 0:
        return _TENS[tens]
    return _TENS[tens] + (" et un" if ones == 1 else "-" + _ONES[ones])


def _below_1000(n: int, final: bool) -> str:
    """``final``: nothing but a noun follows (the "s" of "deux cents", "quatre-vingts")."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest, final)
    head = "cent" if hundreds == 1 else _ONES[hundreds] + " cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 and final else "")
    return f"{head} {_below_100(rest, final)}"


def french_number(n: int) -> str:
    """Any whole number in French words: 91 -> "quatre-vingt-onze", 80000 -> "quatre-vingt mille"."""
    if n < 0:
        return "moins " + french_number(-n)
    for size, name in _SCALES:
        if n >= size:
            count, rest = divmod(n, size)
            head = f"{french_number(count)} {name}" + ("s" if count > 1 else "")
            return head if rest == 0 else f"{head} {french_number(rest)}"
    if n >= 1000:
        count, rest = divmod(n, 1000)
        head = "mille" if count == 1 else _below_1000(count, final=False) + " mille"
        return head if rest == 0 else f"{head} {_below_1000(rest, True)}"
    return _below_1000(n, True)


def french_ordinal(n: int, feminine: bool = False) -> str:
    """1 -> "premier" ("première"), 2 -> "deuxième", 5 -> "cinquième", 21 -> "vingt et unième",
    80 -> "quatre-vingtième"."""
    if n == 1:
        return "première" if feminine else "premier"
    words = french_number(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last == "cinq":
        last = "cinqu"
    elif last == "neuf":
        last = "neuv"
    elif last.endswith(("cents", "vingts")):
        last = last[:-1]
    elif last.endswith("e"):
        last = last[:-1]
    return f"{head}{last}ième"


def _plural(word: str, gender: str = "") -> str:
    """ "heure" -> "heures", "bras" -> "bras", "bateau" -> "bateaux", "cheval" -> "chevaux"."""
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith(("au", "eu")):
        return word + "x"
    return word[:-2] + "aux" if word.endswith("al") else word + "s"


# the nouns a stretching or yoga routine uses, by gender (and their plurals); any other word
# is taken as masculine and left in the number it was written in
_NOUNS = Nouns(
    {
        "f": "minute seconde heure respiration fois série répétition inspiration expiration jambe main semaine "
        "posture fesse épaule hanche cuisse cheville tête nuque poitrine colonne vertèbre rotation torsion "
        "flexion extension position pose salutation planche chaise montagne fente pince charrue chandelle "
        "sauterelle lune roue table bougie séquence pause étape bouche langue mâchoire côte oreille joue paume "
        "plante pointe apnée rétention journée séance partie moitié fois ronde vague cage taille aisselle",
        "m": "tour cycle souffle bras genou pied dos cou coude poignet doigt orteil ventre bassin mouvement "
        "étirement exercice temps pas côté mollet talon menton front œil corps buste tronc sol mur bloc bout "
        "moment jour set round chien chat guerrier arbre triangle pont pigeon papillon cobra enfant poisson "
        "arc chameau bateau lotus corbeau aigle lézard crocodile cadavre sphinx quart tiers repos passage",
    },
    plural=_plural,
    irregular={"œil": "yeux", "genou": "genoux"},
)
_FEMININE = _NOUNS.forms("f")


def _agree(words: str, noun: str) -> str:
    """A number ending in "un" before a feminine noun ends in "une": "vingt et une minutes"."""
    if noun.lower() in _FEMININE and (words == "un" or words.endswith((" un", "-un"))):
        return words + "e"
    return words


def _ordinal(m: re.Match[str]) -> str:
    n, mark = int(m.group(1)), m.group(2)
    plural = "s" if mark.endswith("s") else ""
    if mark.startswith("nd"):
        word = "seconde" if mark.startswith("nde") else "second"
    else:
        word = french_ordinal(n, feminine=mark.startswith(("re", "ère")))
    return word + plural


def _half(whole: int, one: str, many: str) -> str:
    """ "une demi-minute", "une minute et demie", "deux heures et demie"."""
    feminine = one in _FEMININE
    if whole == 0:
        return f"{'une' if feminine else 'un'} demi-{one}"
    noun = one if whole < 2 else many
    return f"{_agree(french_number(whole), noun)} {noun} et {'demie' if feminine else 'demi'}"


_LINKS = frozenset("de du des d la le les l et ou à au aux en".split())  # words after a fraction that are no noun
# the articles (and determiners) before a fraction: its own "un" is not said after them
_ARTICLES = r"la|le|les|une?|cette|ce|chaque|ta|ton|tes|sa|son|ses"


def _parts(part: tuple[int, int]) -> tuple[str, str]:
    """A fraction's words alone and after a whole number: (1, 4) -> ("un quart", "et quart"),
    (2, 3) -> ("deux tiers", "et deux tiers"), (3, 8) -> ("trois huitièmes", "et trois huitièmes")."""
    n, d = part
    name = {2: "demi", 3: "tiers", 4: "quart"}.get(d) or french_ordinal(d)
    alone = f"{french_number(n)} {name}" + ("s" if n > 1 and not name.endswith("s") else "")
    return alone, "et demi" if part == (1, 2) else "et quart" if part == (1, 4) else f"et {alone}"


def _fraction(article: str, whole: int | None, part: tuple[int, int], one: str, many: str) -> str:
    """ "½ tour" -> "un demi-tour", "la ½ heure" -> "la demi-heure", "1/4 h" -> "un quart
    d'heure", "¾ tour" -> "trois quarts de tour", "1½ min" -> "une minute et demie", "1⅓ heures"
    -> "une heure et un tiers", "2 1/4 heures" -> "deux heures et quart"; after an article its
    own "un" / "une" is not said."""
    alone, tail = _parts(part)
    if not one or one.lower() in _LINKS:
        words = alone if whole is None else f"{french_number(whole)} {tail}"
        return (words.removeprefix("un ") if article else words) + (f" {one}" if one else "")
    if part == (1, 2):
        if whole is None and article:
            return f"demi-{one}"
        return _half(whole or 0, one, many)
    if whole is None:
        alone = alone.removeprefix("un ") if article else alone
        return f"{alone} d'{one}" if one[0].lower() in "aeiouyhàâéèêîïôû" else f"{alone} de {one}"
    noun = one if whole < 2 else many
    return f"{_agree(french_number(whole), noun)} {noun} {tail}"


_READING = Reading(
    number=french_number,
    agree=_agree,
    units={
        "h": ("heure", "heures"),
        "min": ("minute", "minutes"),
        "s": ("seconde", "secondes"),
        "sec": ("seconde", "secondes"),
    },  # fmt: skip
    digit_words=_ONES[:10],
    comma="virgule",
    to="à",
    and_="et",
    times=lambda words: f"{_agree(words, 'fois')} fois",
    percent="pour cent",
    degrees=("degré", "degrés"),
    plural=lambda value: value >= 2,
    thousands="",  # a space, a no-break or a narrow no-break space: "1 000"
    minus="moins",
    ratio="pour",
    half=_half,
    fraction=_fraction,
    articles=_ARTICLES,
    nouns=lambda word: (_NOUNS.singular(word), _NOUNS.plural(word)),
    ordinals=((re.compile(r"\b(\d+)(ers|er|res|re|ères|ère|èmes|ème|es|e|ndes|nde|nds|nd)(?!\w)"), _ordinal),),
)
_RULES = rules(_READING)


def _seconds(ms: int) -> str:
    """ "quatre", "quatre et demi" (to the half second, as English's count)."""
    whole, half = halves(ms)
    return french_number(whole) + (" et demi" if half else "")


class French(Language):
    """French phrases, "tu" form."""

    code = "fr"
    iso639_2 = "fra"
    name = "français"
    switch_sides = "Change de côté."
    side_names = {"right": "droite", "left": "gauche"}
    side_forms = {
        "right": {"f": "droite", "m": "droit", "fp": "droites", "mp": "droits"},
        "left": {"f": "gauche", "m": "gauche", "fp": "gauches", "mp": "gauches"},
    }
    rest_title = "Repos"
    intro_title = "Accueil"

    def reps_title(self, count: int) -> str:
        return f"{count} {'respiration' if count < 2 else 'respirations'} avec mouvement"

    def number(self, n: int) -> str:
        return french_number(n)

    def count_word(self, n: int) -> str:
        return french_number(n).capitalize() + "."

    def side_intro(self, side: str) -> str:
        return f"Côté {self.side_forms[side]['m']}."

    def pattern(self, inhale_ms: int, hold_in_ms: int, exhale_ms: int, hold_out_ms: int) -> str:
        parts = [f"Inspire sur {_seconds(inhale_ms)}"]
        if hold_in_ms:
            parts.append(f"retiens sur {_seconds(hold_in_ms)}")
        parts.append(f"expire sur {_seconds(exhale_ms)}")
        if hold_out_ms:
            parts.append(f"retiens sur {_seconds(hold_out_ms)}")
        return ", ".join(parts) + "."

    def normalize(self, text: str) -> str:
        return read(text, _RULES)


LANGUAGE = French()
