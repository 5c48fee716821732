"""The one strict parser for human durations. Time is integer milliseconds everywhere."""

from __future__ import annotations

import math
import re

from matcue.core.errors import shown as quoted
from matcue.core.numbers import digits_problem, plain_digits

_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000}
_DIGITS = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"  # ASCII digits only: \d and float() take any script's
_PART = re.compile(rf"({_DIGITS})([hms])")
_NUMBER = re.compile(r"[+-]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?")
_CLOCK = re.compile(r"[0-9]+(?::[0-9]+){1,2}(?:\.[0-9]+)?")
# unit words a refused duration may have used (English, German, Spanish, French), for the hint
_UNIT_WORDS = {
    **dict.fromkeys("h hr hrs hour hours std stunde stunden hora horas heure heures".split(), "h"),
    **dict.fromkeys("m min mins minute minutes minuten minuto minutos mn".split(), "m"),
    **dict.fromkeys("s sec secs second seconds sek sekunde sekunden seg segundo segundos".split(), "s"),
    **dict.fromkeys(("seconde", "secondes"), "s"),
}
MAX_SECONDS = 100 * 3600  # every duration is under 100 hours
_MAX_MS = MAX_SECONDS * 1000
DURATION_HINT = "expected a duration like '30s' or '1m30s'"


class DurationError(ValueError):
    """Raised with a message fit to show after ``where:``."""


def parse_duration_ms(text: str | float, *, allow_zero: bool = False) -> int:
    """Parse ``45``, ``7.5``, ``"45s"``, ``"2m"``, ``"1m30s"``, ``"1.5m"``, ``"1h"`` into milliseconds.

    Numbers are seconds. Units are ``h``, ``m`` and ``s`` (lower case), in that order,
    each at most once; digits are 0-9 and a decimal takes a point. The value is read
    exactly (no float in between): it must be a whole number of milliseconds (``1.5m``
    is 90000, ``1.0005s`` is refused), more than zero (zero only with ``allow_zero``)
    and under 100 hours. Anything else is refused with what was wrong and, when the
    intent is plain (``"2.5 min"``, ``"30S"``, ``"1,5m"``, ``"３０s"``, ``"1:30"``), the way
    to write it.
    """
    if isinstance(text, bool):
        raise DurationError(f"{DURATION_HINT}, got {text!r}")
    if isinstance(text, (int, float)):
        # a huge int is refused before repr() (which stops at 4300 digits) sees it
        if isinstance(text, int) and abs(text) >= 10**15:
            raw, shown = ("1e20" if text > 0 else "-1"), "a number of more than 15 digits"
        elif not math.isfinite(text):
            raise DurationError(f"{DURATION_HINT}, got {text!r}")
        else:
            raw, shown = repr(text), repr(text)  # a float's repr is the decimal a person wrote
    else:
        raw, shown = text.strip(), quoted(text)
        if not raw:
            raise DurationError(f"{DURATION_HINT}, got an empty value")
    number = _NUMBER.fullmatch(raw)
    if number:
        if raw.startswith("-") and _exact_ms(number.group(1), number.group(2), 1000) != 0:
            raise DurationError(f"a duration cannot be negative, got {shown}")
        ms = _exact_ms(number.group(1), number.group(2), 1000)
    else:
        ms = _parse_units(raw, shown)
    if ms is None:
        raise DurationError(
            f"a duration is counted in whole milliseconds (at most 3 decimals of a second), got {shown}"
        )
    if ms >= _MAX_MS:
        raise DurationError(f"a duration must be under 100 hours, got {shown}")
    if ms == 0 and not allow_zero:
        raise DurationError(f"a duration must be more than zero here, got {shown}")
    return ms


def _exact_ms(number: str, exponent: str | None, unit_ms: int) -> int | None:
    """``number`` (digits with an optional point) times ``10**exponent`` units of ``unit_ms``,
    in whole milliseconds: None when it is no whole millisecond, and at least 100 hours
    (never computed) when it is that large, so a 5000-digit run or ``1e400`` costs nothing."""
    whole, _, frac = number.partition(".")
    digits = (whole + frac).lstrip("0")
    scale = len(frac) - _exponent(exponent)  # the value is int(digits) / 10**scale units
    stripped = digits.rstrip("0")
    scale -= len(digits) - len(stripped)
    if not stripped:
        return 0
    if len(stripped) - scale > 9:  # at least 10**9 units of at least a second
        return _MAX_MS
    if scale > 9:  # a last digit this far down is never a whole millisecond of h, m or s
        return None
    value = int(stripped) * unit_ms
    if scale <= 0:
        return value * 10**-scale
    ms, rest = divmod(value, 10**scale)
    return None if rest else ms


def _exponent(text: str | None) -> int:
    if not text:
        return 0
    run = text.lstrip("+-").lstrip("0") or "0"
    size = int(run) if len(run) <= 6 else 10**6  # beyond every limit either way
    return -size if text.startswith("-") else size


def _parse_units(raw: str, shown: str) -> int | None:
    compact = re.sub(r"\s+", "", raw)
    pos = 0
    total: int | None = 0
    seen: list[str] = []
    for m in _PART.finditer(compact):
        if m.start() != pos:
            break
        unit = m.group(2)
        if seen and "hms".index(unit) <= "hms".index(seen[-1]):
            raise DurationError(f"{DURATION_HINT}, got {shown} (units go h, m, s, once each)")
        seen.append(unit)
        part = _exact_ms(m.group(1), None, _UNIT_MS[unit])
        total = None if part is None or total is None else min(total + part, _MAX_MS)
        pos = m.end()
    if pos != len(compact) or not seen:
        if compact.startswith("-"):
            raise DurationError(f"a duration cannot be negative, got {shown}")
        why = _why_not(raw)
        raise DurationError(f"{DURATION_HINT}, got {shown}" + (f" ({why})" if why else ""))
    return total


def _why_not(raw: str) -> str:
    """What a refused duration did that the syntax does not, and how to write it, when plain."""
    reasons = []
    fixed = re.sub(r"\s+", "", raw)
    problem = digits_problem(fixed)
    if problem:
        reasons.append(problem)
        fixed = plain_digits(fixed)
    if _CLOCK.fullmatch(fixed):
        return _clock_hint(fixed.split(":"), reasons)
    if re.search(r"[0-9],[0-9]", fixed):
        reasons.append("a decimal takes a point")
        fixed = re.sub(r"(?<=[0-9]),(?=[0-9])", ".", fixed)
    words = re.findall(r"[^\W\d_]+", fixed)
    if words and all(w.lower() in _UNIT_WORDS for w in words) and not set(words) <= set("hms"):
        lower = all(w.lower() in ("h", "m", "s") for w in words)
        reasons.append("the units are h, m and s, in lower case" if lower else "the units are h, m and s")
        fixed = re.sub(r"[^\W\d_]+", lambda m: _UNIT_WORDS[m.group(0).lower()], fixed)
    write = _written(fixed, canonical=False) if reasons else ""
    return "; ".join(reasons + [f"write {write}"] if write else reasons)


def _clock_hint(parts: list[str], reasons: list[str]) -> str:
    """``1:30`` is minutes and seconds to one reader and hours and minutes to another; the
    hint gives both (``1:02:03`` has one reading)."""
    if len(parts) == 3:
        readings = [(f"{parts[0]}h{parts[1]}m{parts[2]}s", "")]
    else:
        readings = [(f"{parts[0]}m{parts[1]}s", " for minutes and seconds"),
                    (f"{parts[0]}h{parts[1]}m", " for hours and minutes")]  # fmt: skip
    hints = [f"{w}{what}" for text, what in readings if (w := _written(text, canonical=True))]
    return "; ".join([*reasons, "not a clock time" + (": write " + ", ".join(hints) if hints else "")])


def _written(text: str, *, canonical: bool) -> str:
    """``text`` quoted (as :func:`duration_text` writes its value if ``canonical``), or ""
    when it is no duration."""
    try:
        ms = parse_duration_ms(text, allow_zero=True)
    except DurationError:
        return ""
    return quoted(duration_text(ms) if canonical else text)


def format_ms(ms: int) -> str:
    """``83500`` -> ``"1:23.5"``; ``3723000`` -> ``"1:02:03"`` (human display)."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, frac = divmod(rest, 1000)
    tail = f".{frac // 100}" if frac // 100 else ""
    if h:
        return f"{sign}{h}:{m:02d}:{s:02d}{tail}"
    return f"{sign}{m}:{s:02d}{tail}"


def _hms(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


def vtt_time(ms: int) -> str:
    """``HH:MM:SS.mmm`` (WebVTT)."""
    return _hms(ms, ".")


def srt_time(ms: int) -> str:
    """``HH:MM:SS,mmm`` (SubRip)."""
    return _hms(ms, ",")


def format_length(ms: int) -> str:
    """``m:ss`` or ``h:mm:ss``, rounded to the nearest second."""
    s = (ms + 500) // 1000
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def duration_text(ms: int) -> str:
    """``21600000`` -> ``"6h"``, ``5430000`` -> ``"1h30m30s"``, ``16500`` -> ``"16.5s"`` (the
    duration syntax, to the millisecond: a limit or length in a message never rounds to
    another, and ``0.4s`` is never shown as ``0s``)."""
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec = f"{rest // 1000}.{rest % 1000:03d}".rstrip("0").rstrip(".")
    return (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{sec}s" if rest or not (h or m) else "")
