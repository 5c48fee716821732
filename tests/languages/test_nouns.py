"""The nouns a routine uses: gender and number, one table per language (matcue.languages.nouns)."""

from __future__ import annotations

from matcue.languages.de import LANGUAGE as GERMAN
from matcue.languages.es import LANGUAGE as SPANISH
from matcue.languages.fr import LANGUAGE as FRENCH
from matcue.languages.nouns import Nouns


def test_a_table_gives_gender_singular_and_plural() -> None:
    nouns = Nouns({"f": "heure", "m": "tour genou"}, plural=lambda w, g: w + "s", irregular={"genou": "genoux"})
    assert (nouns.gender("Heures"), nouns.gender("tour"), nouns.gender("truc")) == ("f", "m", None)
    assert (nouns.singular("heures"), nouns.singular("Genoux"), nouns.singular("trucs")) == ("heure", "Genou", "trucs")
    assert (nouns.plural("heure"), nouns.plural("heures"), nouns.plural("truc")) == ("heures", "heures", "truc")
    assert nouns.forms("m") == {"tour", "tours", "genou", "genoux"}


def test_a_compound_has_its_last_parts_gender_where_the_language_says() -> None:
    german = Nouns({"n": "gelenk bein", "f": "ung"}, compounds=True)
    assert (german.gender("Handgelenk"), german.gender("Schienbein"), german.gender("Drehung")) == ("n", "n", "f")
    assert Nouns({"n": "gelenk"}).gender("Handgelenk") is None
    assert german.gender("Ei") is None  # a part of fewer than three letters is no noun of a compound


def test_the_languages_agree_a_one_with_the_nouns_of_their_tables() -> None:
    """ "1 Drehung" was "ein Drehung" (only a word list, not the -ung ending), "21 vueltas"
    "veintiún vueltas" (vuelta was not in the list)."""
    assert GERMAN.normalize("1 Drehung, 1 Bein, 1 Mal") == "eine Drehung, ein Bein, ein Mal"
    assert SPANISH.normalize("21 vueltas, 1 cadera") == "veintiuna vueltas, una cadera"
    assert FRENCH.normalize("21 épaules, 1 hanche") == "vingt et une épaules, une hanche"
