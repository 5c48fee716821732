"""Spanish (español): the built-in phrases, the number reader and the cue reader. The student
is addressed with "tú" throughout ("Inhala en cuatro", "Cambia de lado").

Sides: ``{side}`` is the feminine form, "derecha" / "izquierda" ("gira a la {side}", "la
pierna {side}", and in chapter titles: "Estiramiento (derecha)"). The form keys are gender
and number:

==================  ======================  =========================================
placeholder         right / left            e.g.
==================  ======================  =========================================
``{side_f}``        derecha / izquierda     "la pierna {side_f}", "la mano {side_f}"
``{side_m}``        derecho / izquierdo     "el pie {side_m}", "el brazo {side_m}"
``{side_fp}``       derechas / izquierdas   "las costillas {side_fp}"
``{side_mp}``       derechos / izquierdos   "los dedos {side_mp}"
==================  ======================  =========================================

``{other_side_m}`` and the rest name the other side in the same form.

Numbers: :meth:`Spanish.number` reads any whole number ("veintiuno", "ciento uno",
"veintiún mil", "un millón", "dos millones"); cue text is read by
:mod:`matcue.languages.reader` with Spanish words: "30s" / "30 seg" -> "treinta segundos",
"1 min" -> "un minuto", "1 h" -> "una hora", "21 respiraciones" -> "veintiuna
respiraciones", "5,5" -> "cinco coma cinco", "5-10" -> "cinco a diez", "3x" -> "tres
veces", and ordinals written "1.º" / "1.ª" / "1.er" ("la 2.ª ronda" -> "la segunda ronda",
"el 1.er ejercicio" -> "el primer ejercicio"; past 10, the cardinal).
"""

from __future__ import annotations

import re

from matcue.languages.base import Language
from matcue.languages.nouns import Nouns
from matcue.languages.reader import Reading, halves, read, rules

_ONES = (
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
    "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve"
).split()
_TENS = ("", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa")
_HUNDREDS = (
    "", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos", "seiscientos",
    "setecientos", "ochocientos", "novecientos",
)  # fmt: skip
_SCALES = ((10**12, "billón", "billones"), (10**6, "millón", "millones"))


def _short(words: str) -> str:
    """A number before a masculine noun or "mil": "veintiuno" -> "veintiún", "uno" -> "un"."""
    if words.endswith("veintiuno"):
        return words[: -len("veintiuno")] + "veintiún"
    return words[:-1] if words.endswith("uno") else words


def _below_1000(n: int) -> str:
    if n < 30:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" y {_ONES[ones]}" if ones else "")
    if n == 100:
        return "cien"
    hundreds, rest = divmod(n, 100)
    return _HUNDREDS[hundreds] + (f" {_below_1000(rest)}" if rest else "")


def spanish_number(n: int) -> str:
    """Any whole number in Spanish words: 21 -> "veintiuno", 21000 -> "veintiún mil"."""
    if n < 0:
        return "menos " + spanish_number(-n)
    for size, one, many in _SCALES:
        if n >= size:
            count, rest = divmod(n, size)
            head = f"un {one}" if count == 1 else f"{_short(spanish_number(count))} {many}"
            return head if rest == 0 else f"{head} {spanish_number(rest)}"
    if n >= 1000:
        count, rest = divmod(n, 1000)
        head = "mil" if count == 1 else f"{_short(_below_1000(count))} mil"
        return head if rest == 0 else f"{head} {_below_1000(rest)}"
    return _below_1000(n)


_ORDINALS_WORDS = "primer segund tercer cuart quint sext séptim octav noven décim".split()


def spanish_ordinal(n: int, ending: str) -> str:
    """1.º -> "primero", 1.ª -> "primera", 1.er -> "primer", 3.º before a noun -> "tercer";
    past 10, the cardinal (agreeing): 21.ª -> "veintiuna"."""
    if not 1 <= n <= 10:
        words = spanish_number(n)
        return words[:-1] + "a" if ending == "a" and words.endswith("uno") else words
    stem = _ORDINALS_WORDS[n - 1]
    if stem.endswith("er"):  # primer, tercer
        return stem if ending == "" else stem + ending
    return stem + (ending or "o")


_UNACCENTED = str.maketrans("áéíóú", "aeiou")


def _plural(word: str, gender: str = "") -> str:
    """ "hora" -> "horas", "respiración" -> "respiraciones", "vez" -> "veces", "pelvis" -> "pelvis"."""
    if word[-1] in "aeiouáéó":
        return word + "s"
    if word.endswith("z"):
        return word[:-1] + "ces"
    if word.endswith(("s", "x")):
        return word
    return (word[:-2] + word[-2].translate(_UNACCENTED) + word[-1]) + "es"  # talón -> talones


# the nouns a stretching or yoga routine uses, by gender (and their plurals); any other word
# is taken as masculine and left in the number it was written in
_NOUNS = Nouns(
    {
        "f": "respiración vez hora repetición ronda serie pierna mano inhalación exhalación semana postura "
        "rodilla vuelta cadera espalda cabeza rotación torsión flexión extensión posición pose secuencia pausa "
        "tabla plancha silla montaña cobra paloma mariposa luna rueda vela pinza columna vértebra costilla "
        "nalga pantorrilla muñeca oreja boca lengua mandíbula frente nariz cintura pelvis ingle zancada "
        "sentadilla jornada apnea retención sesión clase parte mitad cara axila palma planta punta tanda fase "
        "etapa estocada",
        "m": "minuto segundo ciclo brazo pie codo hombro cuello dedo tobillo talón muslo glúteo abdomen pecho "
        "torso tronco movimiento estiramiento ejercicio paso lado giro tiempo momento día perro gato guerrero "
        "árbol triángulo puente arado arco camello barco bote pez loto cuervo niño saludo bloque cojín suelo "
        "muro set intervalo círculo mes pulmón corazón ojo rostro mentón hueso músculo vientre ombligo sacro "
        "cuarto tercio descanso",
    },
    plural=_plural,
    irregular={"abdomen": "abdómenes", "mes": "meses", "set": "sets"},
)
_FEMININE = _NOUNS.forms("f")
_NOT_NOUNS = frozenset("de a y o e u por para más menos en con sin entre".split())


def _agree(words: str, noun: str) -> str:
    """A number ending in "uno" before a noun: "un" / "veintiún" (masculine), "una" /
    "veintiuna" (feminine); alone it stays "uno"."""
    if not words.endswith("uno") or not noun or noun.lower() in _NOT_NOUNS:
        return words
    return words[:-1] + "a" if noun.lower() in _FEMININE else _short(words)


def _ordinal(m: re.Match[str]) -> str:
    mark = m.group(2)
    noun = (m.group(3) or "").strip()
    if mark == "ª":
        ending = "a"
    elif mark == "er" or (noun and noun.lower() not in _NOT_NOUNS):
        ending = ""  # before a masculine noun: primer, tercer
    else:
        ending = "o"
    return spanish_ordinal(int(m.group(1)), ending)


def _half(whole: int, one: str, many: str) -> str:
    """ "medio minuto", "media hora", "un minuto y medio", "dos horas y media"."""
    medio = "media" if one in _FEMININE else "medio"
    if whole == 0:
        return f"{medio} {one}"
    noun = one if whole == 1 else many
    return f"{_agree(spanish_number(whole), noun)} {noun} y {medio}"


_DENOMINATORS = "_ _ medio tercio cuarto quinto sexto séptimo octavo noveno décimo".split()
_ARTICLES = frozenset("el la los las del al".split())  # words after a fraction that are no noun, besides _NOT_NOUNS
# the articles (and determiners) before a fraction: its own "un" is not said after them
_BEFORE = r"el|la|los|las|una?|este|esta|cada|tu|tus|su|sus"


def _parts(part: tuple[int, int]) -> tuple[str, str]:
    """A fraction's words alone and after a whole number: (1, 4) -> ("un cuarto", "y cuarto"),
    (2, 3) -> ("dos tercios", "y dos tercios"), (3, 8) -> ("tres octavos", "y tres octavos")."""
    n, d = part
    alone = f"{_short(spanish_number(n))} {_DENOMINATORS[d]}" + ("s" if n > 1 else "")
    return ("medio", "y medio") if part == (1, 2) else (alone, "y cuarto" if part == (1, 4) else f"y {alone}")


def _fraction(article: str, whole: int | None, part: tuple[int, int], one: str, many: str) -> str:
    """ "½ respiración" -> "media respiración", "1/4 vuelta" -> "un cuarto de vuelta", "el ¼ de
    hora" -> "el cuarto de hora", "1½ min" -> "un minuto y medio", "1 1/2 minutos" -> "un minuto
    y medio", "2 3/4 horas" -> "dos horas y tres cuartos"; after an article its own "un" is not said."""
    alone, tail = _parts(part)
    alone = alone.removeprefix("un ") if article else alone
    if not one or one.lower() in _NOT_NOUNS | _ARTICLES:
        words = alone if whole is None else f"{spanish_number(whole)} {tail}"
        return words + (f" {one}" if one else "")
    if part == (1, 2):
        return _half(whole or 0, one, many)
    if whole is None:
        return f"{alone} de {one}"
    noun = one if whole == 1 else many
    return f"{_agree(spanish_number(whole), noun)} {noun} {tail}"


_READING = Reading(
    number=spanish_number,
    agree=_agree,
    units={
        "h": ("hora", "horas"),
        "min": ("minuto", "minutos"),
        "s": ("segundo", "segundos"),
        "seg": ("segundo", "segundos"),
        "sec": ("segundo", "segundos"),
    },  # fmt: skip
    digit_words=_ONES[:10],
    comma="coma",
    to="a",
    and_="y",
    times=lambda words: "una vez" if words == "uno" else f"{_agree(words, 'veces')} veces",
    percent="por ciento",
    degrees=("grado", "grados"),
    plural=lambda value: value != 1,
    thousands=r"\.",
    minus="menos",
    ratio="a",
    half=_half,
    fraction=_fraction,
    articles=_BEFORE,
    nouns=lambda word: (_NOUNS.singular(word), _NOUNS.plural(word)),
    ordinals=((re.compile(r"\b(\d+)\.?(º|ª|er)(?!\w)(?=(\s+[^\W\d_]+)?)"), _ordinal),),
)
_RULES = rules(_READING)


def _seconds(ms: int) -> str:
    """ "cuatro", "cuatro y medio" (to the half second, as English's count)."""
    whole, half = halves(ms)
    return spanish_number(whole) + (" y medio" if half else "")


class Spanish(Language):
    """Spanish phrases, "tú" form."""

    code = "es"
    iso639_2 = "spa"
    name = "español"
    switch_sides = "Cambia de lado."
    side_names = {"right": "derecha", "left": "izquierda"}
    side_forms = {
        "right": {"f": "derecha", "m": "derecho", "fp": "derechas", "mp": "derechos"},
        "left": {"f": "izquierda", "m": "izquierdo", "fp": "izquierdas", "mp": "izquierdos"},
    }
    rest_title = "Descanso"
    intro_title = "Introducción"

    def reps_title(self, count: int) -> str:
        return f"{count} {'respiración' if count == 1 else 'respiraciones'} con movimiento"

    def number(self, n: int) -> str:
        return spanish_number(n)

    def count_word(self, n: int) -> str:
        return spanish_number(n).capitalize() + "."

    def side_intro(self, side: str) -> str:
        return f"Lado {self.side_forms[side]['m']}."

    def pattern(self, inhale_ms: int, hold_in_ms: int, exhale_ms: int, hold_out_ms: int) -> str:
        parts = [f"Inhala en {_seconds(inhale_ms)}"]
        if hold_in_ms:
            parts.append(f"retén en {_seconds(hold_in_ms)}")
        parts.append(f"exhala en {_seconds(exhale_ms)}")
        if hold_out_ms:
            parts.append(f"retén en {_seconds(hold_out_ms)}")
        return ", ".join(parts) + "."

    def normalize(self, text: str) -> str:
        return read(text, _RULES)


LANGUAGE = Spanish()
