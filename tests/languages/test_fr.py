"""matcue.languages.fr: French numbers, phrases, side forms, the cue reader, and a French
routine compiled end to end (no English word of matcue's own in it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcue.languages import language_for
from matcue.languages.fr import LANGUAGE, french_number, french_ordinal
from matcue.voice.normalize import normalize_text

NUMBERS = {
    0: "zéro", 1: "un", 7: "sept", 16: "seize", 17: "dix-sept", 19: "dix-neuf", 20: "vingt",
    21: "vingt et un", 22: "vingt-deux", 31: "trente et un", 45: "quarante-cinq",
    61: "soixante et un", 70: "soixante-dix", 71: "soixante et onze", 72: "soixante-douze",
    77: "soixante-dix-sept", 80: "quatre-vingts", 81: "quatre-vingt-un", 90: "quatre-vingt-dix",
    91: "quatre-vingt-onze", 99: "quatre-vingt-dix-neuf", 100: "cent", 101: "cent un",
    180: "cent quatre-vingts", 200: "deux cents", 201: "deux cent un", 1000: "mille",
    1001: "mille un", 2000: "deux mille", 80_000: "quatre-vingt mille", 200_000: "deux cent mille",
    1_000_000: "un million", 2_000_000: "deux millions", 80_000_000: "quatre-vingts millions",
    200_000_000: "deux cents millions", 10**9: "un milliard", -3: "moins trois",
}  # fmt: skip


@pytest.mark.parametrize(("n", "words"), NUMBERS.items())
def test_numbers(n: int, words: str) -> None:
    assert LANGUAGE.number(n) == words


def test_ordinals() -> None:
    assert [french_ordinal(n) for n in (1, 2, 4, 5, 9, 11, 21, 80, 100, 1000)] == [
        "premier", "deuxième", "quatrième", "cinquième", "neuvième", "onzième", "vingt et unième",
        "quatre-vingtième", "centième", "millième",
    ]  # fmt: skip
    assert french_ordinal(1, feminine=True) == "première"


@given(st.integers(0, 10**9 - 1))
@example(0)
@example(10**9 - 1)
@settings(max_examples=300, deadline=None)
def test_every_number_is_words(n: int) -> None:
    words = french_number(n)
    assert words and not any(ch.isdigit() for ch in words)


def test_phrases() -> None:
    assert language_for("fr-CA") is LANGUAGE
    assert LANGUAGE.switch_sides == "Change de côté."
    assert [LANGUAGE.count_word(n) for n in (3, 2, 1)] == ["Trois.", "Deux.", "Un."]
    assert LANGUAGE.side_intro("right") == "Côté droit." and LANGUAGE.side_intro("left") == "Côté gauche."
    assert LANGUAGE.reps_title(5) == "5 respirations avec mouvement"
    assert LANGUAGE.reps_title(1) == "1 respiration avec mouvement"
    assert (LANGUAGE.rest_title, LANGUAGE.intro_title) == ("Repos", "Accueil")


def test_patterns_to_the_half_second() -> None:
    assert LANGUAGE.pattern(4000, 7000, 8000, 0) == "Inspire sur quatre, retiens sur sept, expire sur huit."
    assert (
        LANGUAGE.pattern(4500, 0, 6000, 1500) == "Inspire sur quatre et demi, expire sur six, retiens sur un et demi."
    )


def test_side_forms() -> None:
    forms = LANGUAGE.side_placeholders()
    assert forms["side"] == {"right": "droite", "left": "gauche"}
    assert forms["side_m"] == {"right": "droit", "left": "gauche"}
    assert forms["side_mp"] == {"right": "droits", "left": "gauches"}
    assert set(forms) == {"side", "side_f", "side_m", "side_fp", "side_mp"}


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Tiens 30s.", "Tiens trente secondes."),
        ("Tiens 30 s, puis relâche", "Tiens trente secondes, puis relâche"),
        ("Tiens 30 sec. Puis relâche", "Tiens trente secondes. Puis relâche"),
        ("1m30s", "une minute et trente secondes"),
        ("2 min", "deux minutes"),
        ("1 min", "une minute"),
        ("1 h", "une heure"),
        ("respiration 4-7-8", "respiration quatre sept huit"),
        ("5-10 respirations", "cinq à dix respirations"),
        ("5 respirations", "cinq respirations"),
        ("1 respiration", "une respiration"),
        ("21 respirations", "vingt et une respirations"),
        ("1 sur 3", "un sur trois"),
        ("5,5 secondes", "cinq virgule cinq secondes"),
        ("la 1re série", "la première série"),
        ("la 1ère série", "la première série"),
        ("le 1er exercice", "le premier exercice"),
        ("la 2e série", "la deuxième série"),
        ("la 3ème fois", "la troisième fois"),
        ("la 2nde jambe", "la seconde jambe"),
        ("3x", "trois fois"),
        ("1x", "une fois"),
        ("le genou à 90°", "le genou à quatre-vingt-dix degrés"),
        ("20 %", "vingt pour cent"),
        ("1\u00a0000 pas", "mille pas"),
        ("1 000 respirations, 10 000 pas", "mille respirations, dix mille pas"),
        ("-5s", "moins cinq secondes"),
        ("rythme 4:6", "rythme quatre pour six"),
        ("à 6:30", "à six:trente"),
        ("1,5 min", "une minute et demie"),
        ("2.5 h", "deux heures et demie"),
        ("0,5 min", "une demi-minute"),
        ("1,5", "un virgule cinq"),
        ("Étire-toi, genou", "Étire-toi, genou"),
    ],
)
def test_normalize(text: str, spoken: str) -> None:
    assert LANGUAGE.normalize(text) == spoken


def test_normalize_text_uses_french_and_keeps_accents() -> None:
    assert normalize_text("Étire la jambe 30s", "fr") == "Étire la jambe trente secondes"


ROUTINE = """
title: Essai
language: fr
countdown: 3
breath: {inhale: 4, exhale: 6}
steps:
  - say: Bienvenue.
  - breathe: Arriver
    pattern: {inhale: 4, hold_in: 7, exhale: 8}
    rounds: 1
  - pose: Flexion
    sides: both
    cue: Allonge la jambe {side} et flexe le pied {side_m}. Plie le genou {other_side_m}.
    hold: 10s
  - reps: 3
    inhale: Lève les bras.
    exhale: Baisse les bras.
  - rest: 5s
    cue: Repose-toi.
"""


def test_a_french_routine(
    compiled: Callable[[str], tuple[list[str], list[str]]], english_in: Callable[[list[str]], set[str]]
) -> None:
    texts, titles = compiled(ROUTINE)
    assert "Allonge la jambe droite et flexe le pied droit. Plie le genou gauche." in texts
    assert "Allonge la jambe gauche et flexe le pied gauche. Plie le genou droit." in texts
    assert {"Change de côté.", "Trois.", "Deux.", "Un.", "Flexion. Côté gauche."} <= set(texts)
    assert "Arriver. Inspire sur quatre, retiens sur sept, expire sur huit." in texts
    assert titles == [
        "Accueil",
        "Arriver",
        "Flexion (droite)",
        "Flexion (gauche)",
        "3 respirations avec mouvement",
        "Repos",
    ]
    assert not english_in(texts + titles)
