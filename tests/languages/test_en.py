"""matcue.languages.en (the reference language) and matcue.languages's tag lookup
(matcue.languages.base: what every language gives)."""

from __future__ import annotations

import pytest

from matcue.languages import CODES, language_for, primary
from matcue.languages.en import English


@pytest.mark.parametrize(
    ("tag", "code"), [("en", "en"), ("en-GB", "en"), ("en_us", "en"), ("EN", "en"), ("x", None), ("en-", None)]
)
def test_a_tag_finds_its_language_by_the_primary_subtag(tag: str, code: str | None) -> None:
    lang = language_for(tag)
    assert (lang.code if lang else None) == code
    assert primary("de-AT") == "de" and primary("not a tag") is None


def test_every_listed_language_has_every_phrase() -> None:
    for code in CODES:
        lang = language_for(code)
        assert lang is not None and lang.code == code and lang.name
        assert lang.switch_sides and lang.rest_title and lang.intro_title
        assert set(lang.side_names) == {"right", "left"}
        assert lang.count_word(3) and lang.side_intro("left") and lang.reps_title(5)
        assert lang.pattern(4000, 0, 6000, 0) and lang.number(21)


def test_english_words() -> None:
    en = English()
    assert en.count_word(3) == "Three." and en.side_intro("left") == "Left side."
    assert en.pattern(4000, 7000, 8000, 0) == "Breathe in for four, hold for seven, out for eight."
    assert en.reps_title(5) == "5 breaths with movement"
    assert en.side_placeholders() == {"side": {"right": "right", "left": "left"}}
    assert en.foreign_letters("Fold Ω forward") == "Ω"
