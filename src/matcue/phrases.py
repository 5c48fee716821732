"""Built-in spoken phrases, per language."""

from __future__ import annotations

_EN_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty"}


def _en_number(n: int) -> str:
    if n < len(_EN_NUMBERS):
        return _EN_NUMBERS[n]
    tens, ones = divmod(n, 10)
    word = _EN_TENS.get(tens, str(n))
    return word if ones == 0 else f"{word}-{_EN_NUMBERS[ones]}"


def _en_seconds(ms: int) -> str:
    """A count as a teacher says it: to the nearest half second (the tones keep the exact
    time), so ``--pace 1.3`` turns "four" into "five", not "five point two"."""
    halves = max(2, round(ms / 500))
    whole, half = divmod(halves, 2)
    return f"{_en_number(whole)} and a half" if half else _en_number(whole)


class Phrases:
    """English phrases; other languages can subclass and register below."""

    switch_sides = "Switch sides."
    side_names = {"right": "right", "left": "left"}

    def number(self, n: int) -> str:
        return _en_number(n)

    def count_word(self, n: int) -> str:
        return _en_number(n).capitalize() + "."

    def side_intro(self, side: str) -> str:
        return f"{self.side_names[side].capitalize()} side."

    def pattern(self, inhale_ms: int, hold_in_ms: int, exhale_ms: int, hold_out_ms: int) -> str:
        parts = [f"Breathe in for {_en_seconds(inhale_ms)}"]
        if hold_in_ms:
            parts.append(f"hold for {_en_seconds(hold_in_ms)}")
        parts.append(f"out for {_en_seconds(exhale_ms)}")
        if hold_out_ms:
            parts.append(f"hold for {_en_seconds(hold_out_ms)}")
        return ", ".join(parts) + "."


LANGUAGES: dict[str, Phrases] = {"en": Phrases()}


def phrases_for(language: str) -> Phrases | None:
    """Phrases for ``en``, ``en-GB``, ``en_us`` ...; None when the language has none."""
    return LANGUAGES.get(language.replace("_", "-").split("-")[0].lower())
