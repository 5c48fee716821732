"""The one strict reading of whole numbers and decimals typed by people (flags, environment
variables, profile and routine values). Every caller goes through here, so a huge digit
run, ``1e309``, ``nan`` or ``inf`` is an ordinary error quoting a shortened value, never
an OverflowError or Python's 4300-digit ValueError."""

from __future__ import annotations

import math
import re
import unicodedata

from matcue.core.errors import shown

MAX_DIGITS = 12  # whole numbers longer than this (leading zeros aside) are out of every range
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


_GROUPED = re.compile(r"(?<=[0-9])_(?=[0-9])")


class NumberError(ValueError):
    """Raised with a message fit to show after ``where:`` (or ``Invalid value for ...:``)."""


def _foreign_digit(text: str) -> str | None:
    return next((ch for ch in text if not ch.isascii() and unicodedata.digit(ch, None) is not None), None)


def digits_problem(text: str) -> str | None:
    """Why the numbers in ``text`` are not plain digits, or None. Python's ``int()`` and
    ``float()`` take any script's digits and ``1_000``; a value a person typed takes the
    digits 0-9 only, so every reader of one adds this to its refusal: ``"３０s"`` ->
    ``"numbers take the digits 0-9 ('３' is FULLWIDTH DIGIT THREE)"``."""
    ch = _foreign_digit(text)
    if ch is not None:
        return f"{shown(ch)} is {unicodedata.name(ch, 'another digit')}; numbers take the digits 0-9"
    if _GROUPED.search(text):
        return "numbers take the digits 0-9, without '_'"
    return None


def plain_digits(text: str) -> str:
    """``text`` with every digit of another script made 0-9 and no ``_`` between digits
    (what :func:`digits_problem` asks for): ``"３０s"`` -> ``"30s"``, ``"1_000"`` -> ``"1000"``."""
    out = "".join(str(unicodedata.digit(ch)) if ch == _foreign_digit(ch) else ch for ch in text)
    return _GROUPED.sub("", out)


def with_digits_problem(message: str, text: str) -> str:
    """``message``, with :func:`digits_problem` of ``text`` after it in brackets when there is one."""
    problem = digits_problem(text)
    return f"{message} ({problem})" if problem else message


def whole(digits: str) -> int | None:
    """``int(digits)`` of an optionally signed digit run, or None when it has too many
    digits to be in any range (so Python's limit on long integer strings is never met)."""
    digits = digits.strip().lstrip("+")
    sign, run = ("-", digits[1:]) if digits.startswith("-") else ("", digits)
    run = run.lstrip("0") or "0"  # 5000 leading zeros are still a small number
    return int(sign + run) if len(run) <= MAX_DIGITS else None


def whole_number(text: str, lo: int, hi: int) -> int:
    """A whole number from ``lo`` to ``hi``; anything else raises :class:`NumberError`."""
    raw = text.strip()
    if not _WHOLE.fullmatch(raw):
        raise NumberError(with_digits_problem(f"expected a whole number from {lo} to {hi}, got {shown(raw)}", raw))
    n = whole(raw)
    if n is None or not lo <= n <= hi:
        got = n if n is not None else shown(raw, 30)[1:-1]
        raise NumberError(f"expected a whole number from {lo} to {hi}, got {got}")
    return n


def decimal_number(text: str, lo: float, hi: float) -> float:
    """A plain decimal (``1.2``, no sign or exponent) from ``lo`` to ``hi``."""
    raw = text.strip()
    if not _DECIMAL.fullmatch(raw):
        raise NumberError(with_digits_problem(f"expected a number from {lo:g} to {hi:g}, got {shown(raw, 30)}", raw))
    value = float(raw)  # a digit run too long for a float is inf, out of range below
    if not (math.isfinite(value) and lo <= value <= hi):
        raise NumberError(f"expected a number from {lo:g} to {hi:g}, got {shown(raw, 30)[1:-1]}")
    return value
