"""matcue.languages.reader: the cue reader the non-English languages fill with their words
(here German's), and the half-second count of breathing patterns."""

from __future__ import annotations

from matcue.languages import de
from matcue.languages.reader import halves, read, read_number, rules


def test_halves_round_to_the_half_second_and_at_least_one() -> None:
    assert [halves(ms) for ms in (4000, 4200, 4300, 4600, 300, 0)] == [
        (4, False), (4, False), (4, True), (4, True), (1, False), (1, False)
    ]  # fmt: skip


def test_read_number_reads_the_digits_after_a_comma_one_by_one() -> None:
    assert read_number(de._READING, "07") == "sieben"
    assert read_number(de._READING, "2,25") == "zwei Komma zwei fünf"


def test_rules_apply_in_order_and_text_without_digits_is_left_as_it_is() -> None:
    table = rules(de._READING)
    assert read("Halte 1m30s, dann 4-7-8", table) == "Halte eine Minute und dreißig Sekunden, dann vier sieben acht"
    text = "Atme ruhig. Fuß, Knie."
    assert read(text, table) is text
    assert read("Schritt 5, 6", table) == "Schritt fünf, sechs"
