"""English: the built-in phrases and the number reader (the reference language)."""

from __future__ import annotations

from matcue.languages.base import Language

_EN_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = (
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)  # fmt: skip
_EN_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))


def _en_number(n: int) -> str:
    """Any whole number in words: 75 -> "seventy-five", 1205 -> "one thousand two hundred five"."""
    if n < 0:
        return "minus " + _en_number(-n)
    if n < len(_EN_NUMBERS):
        return _EN_NUMBERS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _EN_TENS[tens] if ones == 0 else f"{_EN_TENS[tens]}-{_EN_NUMBERS[ones]}"
    for size, name in _EN_SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            head = f"{_en_number(high)} {name}"
            return head if rest == 0 else f"{head} {_en_number(rest)}"
    raise AssertionError(n)  # pragma: no cover - every n >= 100 meets a scale


def _en_seconds(ms: int) -> str:
    """A count as a teacher says it: to the nearest half second (the tones keep the exact
    time), so ``--pace 1.3`` turns "four" into "five", not "five point two"."""
    halves = max(2, round(ms / 500))
    whole, half = divmod(halves, 2)
    return f"{_en_number(whole)} and a half" if half else _en_number(whole)


class English(Language):
    """English phrases (accented Latin letters are spelled out: matcue.voice.normalize)."""

    code = "en"
    iso639_2 = "eng"
    name = "English"
    switch_sides = "Switch sides."
    side_names = {"right": "right", "left": "left"}
    rest_title = "Rest"
    intro_title = "Introduction"

    def reps_title(self, count: int) -> str:
        return f"{count} breaths with movement"

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


LANGUAGE = English()
