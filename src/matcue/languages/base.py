"""What a language gives matcue: its built-in phrases, its number and duration reader, and
the words of the pages and cards matcue writes. One subclass per language
(:mod:`matcue.languages.en` is the reference); :mod:`matcue.languages` finds it by tag."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping


class Language:
    """A language's built-in words. Subclasses set the class attributes and override the
    methods; every method returns text as it is spoken (or shown), never None."""

    code = ""  # the primary BCP 47 subtag: "en", "de"
    iso639_2 = ""  # the three-letter code (ID3's TLAN, MP4's track language): "eng", "deu"
    name = ""  # in the language itself: "English", "Deutsch"
    # Unicode scripts (the first word of a letter's name) this language's voices read
    scripts: tuple[str, ...] = ("LATIN",)

    switch_sides = ""  # spoken between the sides of a pose
    side_names: Mapping[str, str] = {}  # "right"/"left" -> {side}, and the side in chapter titles
    # more forms of the side names for the grammar of the language: {side_<form>} and
    # {other_side_<form>} in a cue, e.g. side_forms["right"]["m"] for {side_m}
    side_forms: Mapping[str, Mapping[str, str]] = {}
    rest_title = ""  # the chapter of a rest
    intro_title = ""  # the chapter before the first, when speech comes first

    def number(self, n: int) -> str:
        """Any whole number in words."""
        raise NotImplementedError

    def count_word(self, n: int) -> str:
        """A countdown or counted-breath word, spoken alone: "Three."."""
        raise NotImplementedError

    def side_intro(self, side: str) -> str:
        """Announces a side of a sided section: "Right side."."""
        raise NotImplementedError

    def pattern(self, inhale_ms: int, hold_in_ms: int, exhale_ms: int, hold_out_ms: int) -> str:
        """Announces a breathing exercise's pattern: "Breathe in for four, out for six."."""
        raise NotImplementedError

    def reps_title(self, count: int) -> str:
        """The chapter of a reps step without a name: "5 breaths with movement"."""
        raise NotImplementedError

    def normalize(self, text: str) -> str:
        """Cue text as the voice should read it (numbers, durations); English's rules are in
        :mod:`matcue.voice.normalize`, other languages give theirs here."""
        return text

    def foreign_letters(self, text: str) -> str:
        """The letters of ``text`` in a script this language's voices cannot read, in order."""
        if text.isascii() and "LATIN" in self.scripts:  # the common case, without a name looked up per letter
            return ""
        return "".join(ch for ch in text if unicodedata.category(ch)[0] == "L" and script(ch) not in self.scripts)

    def side_placeholders(self) -> dict[str, dict[str, str]]:
        """Every side placeholder name -> {"right": word, "left": word} (the first side's form
        under ``side``, the other's under ``other_side``), forms included."""
        out = {"side": dict(self.side_names)}
        for side, forms in self.side_forms.items():
            for form, word in forms.items():
                out.setdefault(f"side_{form}", {})[side] = word
        return out


def letters_by_script(letters: str, limit: int = 10) -> str:
    """Letters a voice cannot read, as a message names them: each script with its first
    ``limit`` letters, in order ("cyrillic: 'дыши'; cjk: '呼吸'; arabic: 'نفس'"); the
    first letter's script named for all of them said that Han letters were Cyrillic."""
    groups: dict[str, str] = {}
    for ch in letters:
        name = script(ch).lower()
        groups[name] = groups.get(name, "") + ch
    return "; ".join(f"{name}: {group[:limit]!r}" for name, group in groups.items())


def script(letter: str) -> str:
    """The Unicode script of ``letter``, as the first word of its name ("LATIN", "GREEK");
    a superscript letter is its letter's: the ordinal indicators of "2ª serie", "1.º" and
    "nº" (FEMININE / MASCULINE ORDINAL INDICATOR) are Latin, as Unicode's Script property
    has them."""
    decomposition = unicodedata.decomposition(letter)
    if decomposition.startswith("<super> ") and len(decomposition.split()) == 2:
        letter = chr(int(decomposition.split()[1], 16))
    return unicodedata.name(letter, "?").split(" ")[0]
