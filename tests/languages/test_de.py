"""matcue.languages.de: German numbers, phrases, side forms, the cue reader, and a German
routine compiled end to end (no English word of matcue's own in it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcue.languages import language_for
from matcue.languages.de import LANGUAGE, german_number, german_ordinal
from matcue.voice.normalize import normalize_text

NUMBERS = {
    0: "null", 1: "eins", 2: "zwei", 7: "sieben", 11: "elf", 12: "zwölf", 13: "dreizehn",
    16: "sechzehn", 17: "siebzehn", 20: "zwanzig", 21: "einundzwanzig", 30: "dreißig",
    33: "dreiunddreißig", 45: "fünfundvierzig", 57: "siebenundfünfzig", 66: "sechsundsechzig",
    71: "einundsiebzig", 80: "achtzig", 99: "neunundneunzig", 100: "hundert",
    101: "hunderteins", 111: "hundertelf", 121: "hunderteinundzwanzig", 200: "zweihundert",
    999: "neunhundertneunundneunzig", 1000: "tausend", 1001: "tausendeins",
    2345: "zweitausenddreihundertfünfundvierzig", 21000: "einundzwanzigtausend",
    101000: "hunderteintausend", 1_000_000: "eine Million", 2_000_000: "zwei Millionen",
    1_200_000: "eine Million zweihunderttausend", 21_000_000: "einundzwanzig Millionen",
    101_000_000: "hunderteine Millionen", 10**9: "eine Milliarde", -3: "minus drei",
}  # fmt: skip


@pytest.mark.parametrize(("n", "words"), NUMBERS.items())
def test_numbers(n: int, words: str) -> None:
    assert LANGUAGE.number(n) == words


def test_ordinal_stems() -> None:
    assert [german_ordinal(n) for n in (1, 2, 3, 7, 8, 19, 20, 21, 100, 101)] == [
        "erst", "zweit", "dritt", "siebt", "acht", "neunzehnt", "zwanzigst", "einundzwanzigst",
        "hundertst", "hunderterst",
    ]  # fmt: skip


@given(st.integers(0, 10**9 - 1))
@example(0)
@example(10**9 - 1)
@settings(max_examples=300, deadline=None)
def test_every_number_is_words(n: int) -> None:
    words = german_number(n)
    assert words and not any(ch.isdigit() for ch in words)


def test_phrases() -> None:
    assert language_for("de-AT") is LANGUAGE
    assert LANGUAGE.switch_sides == "Seitenwechsel."
    assert [LANGUAGE.count_word(n) for n in (3, 2, 1)] == ["Drei.", "Zwei.", "Eins."]
    assert LANGUAGE.side_intro("right") == "Rechte Seite." and LANGUAGE.side_intro("left") == "Linke Seite."
    assert LANGUAGE.reps_title(5) == "5 Atemzüge mit Bewegung" and LANGUAGE.reps_title(1) == "1 Atemzug mit Bewegung"
    assert (LANGUAGE.rest_title, LANGUAGE.intro_title) == ("Ruhe", "Einführung")


def test_patterns_to_the_half_second() -> None:
    assert LANGUAGE.pattern(4000, 7000, 8000, 0) == "Atme ein auf vier, halte auf sieben, atme aus auf acht."
    assert (
        LANGUAGE.pattern(4500, 0, 6000, 1500) == "Atme ein auf viereinhalb, atme aus auf sechs, halte auf eineinhalb."
    )
    assert LANGUAGE.pattern(300, 0, 5200, 0) == "Atme ein auf eins, atme aus auf fünf."


def test_side_forms() -> None:
    forms = LANGUAGE.side_placeholders()
    assert forms["side"] == {"right": "rechts", "left": "links"}
    assert forms["side_es"] == {"right": "rechtes", "left": "linkes"}
    assert forms["side_en"] == {"right": "rechten", "left": "linken"}
    assert set(forms) == {"side", "side_e", "side_en", "side_er", "side_es", "side_em"}


@pytest.mark.parametrize(
    ("written", "carried"),
    [(" DE_at ", "de-AT"), ("de_ch", "de-CH"), ("DE", "de"), ("de-latn-de-1996", "de-Latn-DE-1996"),
     ("de-AT-u-co-phonebk", "de-AT-u-co-phonebk"), ("es-419", "es-419"), ("zh_hant_tw", "zh-Hant-TW")],
)  # fmt: skip
def test_the_language_tag_is_carried_as_bcp_47_writes_it(written: str, carried: str) -> None:
    """``language: DE_at`` reached the page's lang="DE_at", the feed's <language>, the WebVTT
    header and the Opus LANGUAGE tag as written: '_' is no BCP 47 separator."""
    from matcue.languages import canonical
    from matcue.routine.loader import loads_routine

    assert canonical(written) == carried
    if carried.startswith("de"):
        assert loads_routine(f"title: T\nlanguage: '{written}'\nsteps:\n  - say: Hallo.\n").language == carried


def test_a_variable_named_like_a_side_form_is_located() -> None:
    """``vars: {side_e: blau}`` in a German routine was accepted and never used: inside a
    sided step the form won unseen, outside one "{side_e} is used in a step without sides"
    blamed the cue. Each such variable is located; in English, without forms, it is a
    variable like any other."""
    from matcue.core.errors import RoutineError
    from matcue.plan.compile import compile_routine
    from matcue.routine.loader import loads_routine

    text = (
        "title: T\nlanguage: de\nvars:\n  side_e: blau\n  other_side_en: x\n  farbe: rot\n"
        "steps:\n  - say: Hallo {farbe}.\n"
    )
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(text, "r.yaml"))
    assert [str(p) for p in e.value.problems] == [
        "r.yaml:4:11: vars.side_e: {side_e} is set by sided steps in a routine in 'de' and cannot be a variable "
        "(give the variable another name)",
        "r.yaml:5:18: vars.other_side_en: {other_side_en} is set by sided steps in a routine in 'de' and cannot be "
        "a variable (give the variable another name)",
    ]
    english = text.replace("language: de", "language: en").replace("Hallo {farbe}", "Hello {side_e}")
    assert compile_routine(loads_routine(english, "r.yaml")).texts()[0] == "Hello blau."


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Halte 30s.", "Halte dreißig Sekunden."),
        ("Halte 30 s, dann lösen", "Halte dreißig Sekunden, dann lösen"),
        ("Halte 30 Sek. Dann lösen", "Halte dreißig Sekunden. Dann lösen"),
        ("1m30s halten", "eine Minute und dreißig Sekunden halten"),
        ("2 min ruhen", "zwei Minuten ruhen"),
        ("1 Minute", "eine Minute"),
        ("1 h", "eine Stunde"),
        ("4-7-8 Atmung", "vier sieben acht Atmung"),
        ("5-10 Atemzüge", "fünf bis zehn Atemzüge"),
        ("5 Atemzüge", "fünf Atemzüge"),
        ("1 Atemzug", "ein Atemzug"),
        ("eins von 3", "eins von drei"),
        ("5,5 Sekunden", "fünf Komma fünf Sekunden"),
        ("die 2. Runde", "die zweite Runde"),
        ("In der 3. Runde", "In der dritten Runde"),
        ("im 1. Durchgang", "im ersten Durchgang"),
        ("2. Runde", "Zweite Runde"),
        ("Runde 2. Dann", "Runde zwei. Dann"),
        ("3x wiederholen", "dreimal wiederholen"),
        ("Knie auf 90°", "Knie auf neunzig Grad"),
        ("20 % weniger", "zwanzig Prozent weniger"),
        ("1.000 Schritte", "tausend Schritte"),
        ("1 000 Atemzüge, 10.000 Schritte", "tausend Atemzüge, zehntausend Schritte"),
        ("-5s", "minus fünf Sekunden"),
        ("Atme 4:6", "Atme vier zu sechs"),
        ("um 6:30 Uhr", "um sechs:dreißig Uhr"),
        ("um 6.30 Uhr", "um sechs.dreißig Uhr"),
        ("1,5 min", "eineinhalb Minuten"),
        ("1.5 min", "eineinhalb Minuten"),
        ("2,5 Std.", "zweieinhalb Stunden."),
        ("0,5 min", "eine halbe Minute"),
        ("1,5", "eins Komma fünf"),
        ("1.5", "eins Komma fünf"),
        ("Fuß und Gesäß", "Fuß und Gesäß"),
    ],
)
def test_normalize(text: str, spoken: str) -> None:
    assert LANGUAGE.normalize(text) == spoken


def test_normalize_text_uses_german_and_keeps_accents() -> None:
    assert normalize_text("Streck den Fuß, 30s", "de") == "Streck den Fuß, dreißig Sekunden"
    assert normalize_text("Zähl [[tsE:l]] bis 4", "de-CH") == "Zähl [[tsE:l]] bis vier"


ROUTINE = """
title: Probe
language: de
countdown: 3
breath: {inhale: 4, exhale: 6}
steps:
  - say: Willkommen.
  - breathe: Ankommen
    pattern: {inhale: 4, hold_in: 7, exhale: 8}
    rounds: 1
  - pose: Vorbeuge
    sides: both
    cue: Streck dein {side_es} Bein, beug das {other_side_e} Knie. Schau nach {side}.
    hold: 10s
  - reps: 3
    inhale: Arme hoch.
    exhale: Arme runter.
  - rest: 5s
    cue: Ruh dich aus.
"""


def test_a_german_routine(
    compiled: Callable[[str], tuple[list[str], list[str]]], english_in: Callable[[list[str]], set[str]]
) -> None:
    texts, titles = compiled(ROUTINE)
    assert "Streck dein rechtes Bein, beug das linke Knie. Schau nach rechts." in texts
    assert "Streck dein linkes Bein, beug das rechte Knie. Schau nach links." in texts
    assert {"Seitenwechsel.", "Drei.", "Zwei.", "Eins.", "Vorbeuge. Linke Seite."} <= set(texts)
    assert "Ankommen. Atme ein auf vier, halte auf sieben, atme aus auf acht." in texts
    assert titles == [
        "Einführung",
        "Ankommen",
        "Vorbeuge (rechts)",
        "Vorbeuge (links)",
        "3 Atemzüge mit Bewegung",
        "Ruhe",
    ]
    assert not english_in(texts + titles)
    assert english_in(["Switch sides.", "Rest (left)"]) == {"switch", "sides", "rest", "left"}  # the check sees English
