"""matcue.languages.es: Spanish numbers, phrases, side forms, the cue reader, and a Spanish
routine compiled end to end (no English word of matcue's own in it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcue.languages import language_for
from matcue.languages.es import LANGUAGE, spanish_number, spanish_ordinal
from matcue.voice.normalize import normalize_text

NUMBERS = {
    0: "cero", 1: "uno", 2: "dos", 10: "diez", 15: "quince", 16: "dieciséis", 19: "diecinueve",
    20: "veinte", 21: "veintiuno", 22: "veintidós", 23: "veintitrés", 26: "veintiséis",
    30: "treinta", 31: "treinta y uno", 45: "cuarenta y cinco", 57: "cincuenta y siete",
    71: "setenta y uno", 99: "noventa y nueve", 100: "cien", 101: "ciento uno",
    115: "ciento quince", 200: "doscientos", 500: "quinientos", 555: "quinientos cincuenta y cinco",
    700: "setecientos", 999: "novecientos noventa y nueve", 1000: "mil", 1001: "mil uno",
    2000: "dos mil", 21000: "veintiún mil", 31000: "treinta y un mil", 100_000: "cien mil",
    101_000: "ciento un mil", 1_000_000: "un millón", 2_000_000: "dos millones",
    21_000_000: "veintiún millones", 10**9: "mil millones", -3: "menos tres",
}  # fmt: skip


@pytest.mark.parametrize(("n", "words"), NUMBERS.items())
def test_numbers(n: int, words: str) -> None:
    assert LANGUAGE.number(n) == words


def test_ordinals() -> None:
    assert [spanish_ordinal(n, "o") for n in (1, 2, 3, 5, 7, 10)] == [
        "primero", "segundo", "tercero", "quinto", "séptimo", "décimo"
    ]  # fmt: skip
    assert (spanish_ordinal(1, ""), spanish_ordinal(3, ""), spanish_ordinal(2, "a")) == ("primer", "tercer", "segunda")
    assert spanish_ordinal(21, "a") == "veintiuna" and spanish_ordinal(12, "o") == "doce"


@given(st.integers(0, 10**9 - 1))
@example(0)
@example(10**9 - 1)
@settings(max_examples=300, deadline=None)
def test_every_number_is_words(n: int) -> None:
    words = spanish_number(n)
    assert words and not any(ch.isdigit() for ch in words)


def test_phrases() -> None:
    assert language_for("es-MX") is LANGUAGE
    assert LANGUAGE.switch_sides == "Cambia de lado."
    assert [LANGUAGE.count_word(n) for n in (3, 2, 1)] == ["Tres.", "Dos.", "Uno."]
    assert LANGUAGE.side_intro("right") == "Lado derecho." and LANGUAGE.side_intro("left") == "Lado izquierdo."
    assert LANGUAGE.reps_title(5) == "5 respiraciones con movimiento"
    assert LANGUAGE.reps_title(1) == "1 respiración con movimiento"
    assert (LANGUAGE.rest_title, LANGUAGE.intro_title) == ("Descanso", "Introducción")


def test_patterns_to_the_half_second() -> None:
    assert LANGUAGE.pattern(4000, 7000, 8000, 0) == "Inhala en cuatro, retén en siete, exhala en ocho."
    assert LANGUAGE.pattern(4500, 0, 6000, 1500) == "Inhala en cuatro y medio, exhala en seis, retén en uno y medio."


def test_side_forms() -> None:
    forms = LANGUAGE.side_placeholders()
    assert forms["side"] == {"right": "derecha", "left": "izquierda"}
    assert forms["side_m"] == {"right": "derecho", "left": "izquierdo"}
    assert forms["side_f"] == {"right": "derecha", "left": "izquierda"}
    assert forms["side_mp"] == {"right": "derechos", "left": "izquierdos"}
    assert set(forms) == {"side", "side_f", "side_m", "side_fp", "side_mp"}


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Mantén 30s.", "Mantén treinta segundos."),
        ("Mantén 30 s, luego suelta", "Mantén treinta segundos, luego suelta"),
        ("Mantén 30 seg. Luego suelta", "Mantén treinta segundos. Luego suelta"),
        ("1m30s", "un minuto y treinta segundos"),
        ("2 min", "dos minutos"),
        ("1 min", "un minuto"),
        ("1 h", "una hora"),
        ("respiración 4-7-8", "respiración cuatro siete ocho"),
        ("5-10 respiraciones", "cinco a diez respiraciones"),
        ("5 respiraciones", "cinco respiraciones"),
        ("1 respiración", "una respiración"),
        ("21 respiraciones", "veintiuna respiraciones"),
        ("21 minutos", "veintiún minutos"),
        ("1 de 3", "uno de tres"),
        ("5,5 segundos", "cinco coma cinco segundos"),
        ("la 2.ª ronda", "la segunda ronda"),
        ("el 1.er ejercicio", "el primer ejercicio"),
        ("el 3.º ejercicio", "el tercer ejercicio"),
        ("el 1.º", "el primero"),
        ("3x", "tres veces"),
        ("1x", "una vez"),
        ("la rodilla a 90°", "la rodilla a noventa grados"),
        ("20 %", "veinte por ciento"),
        ("1.000 pasos", "mil pasos"),
        ("1 000 pasos y 10 000 más", "mil pasos y diez mil más"),
        ("-5s", "menos cinco segundos"),
        ("ritmo 4:6", "ritmo cuatro a seis"),
        ("ritmo 4:7:8", "ritmo cuatro siete ocho"),
        ("a las 6:30", "a las seis:treinta"),
        ("1,5 min", "un minuto y medio"),
        ("2.5 h", "dos horas y media"),
        ("0,5 min", "medio minuto"),
        ("1,5", "uno coma cinco"),
        ("la 3ª ronda", "la tercera ronda"),
        ("el 3º", "el tercero"),
        ("3ª", "tercera"),
        ("Inclínate, rodilla", "Inclínate, rodilla"),
    ],
)
def test_normalize(text: str, spoken: str) -> None:
    assert LANGUAGE.normalize(text) == spoken


def test_normalize_text_uses_spanish_and_keeps_accents() -> None:
    assert normalize_text("Inclínate 30s", "es") == "Inclínate treinta segundos"


ROUTINE = """
title: Prueba
language: es
countdown: 3
breath: {inhale: 4, exhale: 6}
steps:
  - say: Bienvenida.
  - breathe: Llegar
    pattern: {inhale: 4, hold_in: 7, exhale: 8}
    rounds: 1
  - pose: Flexión
    sides: both
    cue: Estira la pierna {side} y flexiona el pie {side_m}. Dobla la rodilla {other_side}.
    hold: 10s
  - reps: 3
    inhale: Sube los brazos.
    exhale: Baja los brazos.
  - rest: 5s
    cue: Descansa.
"""


def test_a_spanish_routine(
    compiled: Callable[[str], tuple[list[str], list[str]]], english_in: Callable[[list[str]], set[str]]
) -> None:
    texts, titles = compiled(ROUTINE)
    assert "Estira la pierna derecha y flexiona el pie derecho. Dobla la rodilla izquierda." in texts
    assert "Estira la pierna izquierda y flexiona el pie izquierdo. Dobla la rodilla derecha." in texts
    assert {"Cambia de lado.", "Tres.", "Dos.", "Uno.", "Flexión. Lado izquierdo."} <= set(texts)
    assert "Llegar. Inhala en cuatro, retén en siete, exhala en ocho." in texts
    assert titles == [
        "Introducción", "Llegar", "Flexión (derecha)", "Flexión (izquierda)",
        "3 respiraciones con movimiento", "Descanso",
    ]  # fmt: skip
    assert not english_in(texts + titles)


@pytest.mark.parametrize("code", ["es", "fr", "de", "en"])
def test_the_ordinal_indicators_are_latin_letters(code: str) -> None:
    """Written Spanish ("la 2ª serie", "nº 5"; the reader reads "2ª"): the FEMININE and
    MASCULINE ORDINAL INDICATOR were called letters of a script named "masculine", and
    the cue an error. A Greek letter is still foreign."""
    from matcue.core.errors import RoutineError
    from matcue.plan.compile import compile_routine
    from matcue.routine.loader import loads_routine

    language = language_for(code)
    assert language is not None
    assert language.foreign_letters("la 2ª serie, el 1.º, nº 5, ᵃ Ω") == "Ω"
    src = f"title: T\nlanguage: {code}\nsteps:\n  - say: Haz la 2ª serie, nº 5.\n  - say: Sube Ω.\n"
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(src, "t.yaml"))
    assert [p.where for p in e.value.problems] == ["steps[1].say"]
