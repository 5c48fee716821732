"""The nouns a routine uses, per language: their gender and their number.

One table per language (German, French, Spanish: a noun in the singular under its gender),
one reading of it for every rule that needs a noun's gender or number: a number's form
before it ("1 Minute" -> "eine Minute", "21 respiraciones" -> "veintiuna respiraciones"),
and a fraction's ("½ Bein" -> "ein halbes Bein", "1⅓ heures" -> "une heure et un tiers",
"1 1/2 minutos" -> "un minuto y medio"). A word not in the table has no gender (each
language says what it does then: the masculine) and is left in the number it was written in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class Nouns:
    """A language's nouns: ``table`` maps a gender ("f", "m", "n") to its nouns in the
    singular, lower case, separated by spaces; ``plural(noun, gender)`` makes a regular plural and
    ``irregular`` gives the others; ``compounds``: a word ending in a noun of the table
    (at least three letters) has its gender ("Handgelenk" as "Gelenk": German)."""

    def __init__(
        self,
        table: Mapping[str, str],
        plural: Callable[[str, str], str] | None = None,
        irregular: Mapping[str, str] | None = None,
        compounds: bool = False,
    ) -> None:
        self._gender = {word: gender for gender, words in table.items() for word in words.split()}
        irregular = irregular or {}
        self._plural = {w: irregular.get(w) or (plural(w, g) if plural else w) for w, g in self._gender.items()}
        self._singular = {many: one for one, many in self._plural.items()}
        self._compounds = compounds

    def gender(self, word: str) -> str | None:
        """ "Minute" -> "f", "Handgelenk" -> "n" (compounds), "respiraciones" -> "f"; None
        for a word not in the table."""
        low = word.lower()
        low = self._singular.get(low, low)
        if low in self._gender:
            return self._gender[low]
        if self._compounds:
            for i in range(1, len(low) - 2):
                if low[i:] in self._gender:
                    return self._gender[low[i:]]
        return None

    def forms(self, gender: str) -> frozenset[str]:
        """Every form (singular and plural, lower case) of the nouns of ``gender``."""
        ones = [w for w, g in self._gender.items() if g == gender]
        return frozenset(ones + [self._plural[w] for w in ones])

    def singular(self, word: str) -> str:
        """ "heures" -> "heure", "respiraciones" -> "respiración"; a word not in the table
        as written. A capital is kept."""
        return _cased(self._singular.get(word.lower()), word)

    def plural(self, word: str) -> str:
        """ "heure" -> "heures", "vez" -> "veces"; a word not in the table as written."""
        return _cased(self._plural.get(self.singular(word).lower()), word)


def _cased(found: str | None, word: str) -> str:
    if found is None:
        return word
    return found[:1].upper() + found[1:] if word[:1].isupper() else found


__all__ = ["Nouns"]
