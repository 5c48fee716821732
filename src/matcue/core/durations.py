"""The one strict parser for human durations. Time is integer milliseconds everywhere."""

from __future__ import annotations

import math
import re

from matcue.core.errors import shown as quoted

_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([hms])")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
MAX_SECONDS = 100 * 3600  # every duration is under 100 hours
DURATION_HINT = "expected a duration like '30s' or '1m30s'"


class DurationError(ValueError):
    """Raised with a message fit to show after ``where:``."""


def parse_duration_ms(text: str | float, *, allow_zero: bool = False) -> int:
    """Parse ``45``, ``7.5``, ``"45s"``, ``"2m"``, ``"1m30s"``, ``"1h"`` into milliseconds.

    Numbers are seconds. Units must come in the order h, m, s, each at most once.
    Negative values, empty strings and unknown units are errors; zero only with
    ``allow_zero``. Results are rounded to the nearest millisecond.
    """
    if isinstance(text, bool):
        raise DurationError(f"{DURATION_HINT}, got {text!r}")
    if isinstance(text, (int, float)):
        # a huge int is refused before float() (which would overflow) or repr() (which
        # stops at 4300 digits) sees it
        big = isinstance(text, int) and abs(text) >= 10**15
        shown = "a number of more than 15 digits" if big else repr(text)
        seconds = float(MAX_SECONDS + 1 if text > 0 else -1) if big else float(text)
        if not math.isfinite(seconds):
            raise DurationError(f"{DURATION_HINT}, got {shown}")
    else:
        raw = text.strip()
        shown = quoted(text)
        if not raw:
            raise DurationError(f"{DURATION_HINT}, got an empty value")
        if _NUMBER.fullmatch(raw):
            seconds = float(raw)
        else:
            seconds = _parse_units(raw, shown)
    if seconds < 0:  # a digit run too long for a float is -inf or inf here
        raise DurationError(f"a duration cannot be negative, got {shown}")
    if seconds > MAX_SECONDS:
        raise DurationError(f"a duration must be under 100 hours, got {shown}")
    ms = int(round(seconds * 1000))
    if ms == 0 and not allow_zero:
        raise DurationError(f"a duration must be more than zero here, got {shown}")
    return ms


def _parse_units(raw: str, shown: str) -> float:
    compact = raw.replace(" ", "")
    pos = 0
    total = 0.0
    seen: list[str] = []
    for m in _PART.finditer(compact):
        if m.start() != pos:
            break
        unit = m.group(2)
        if seen and "hms".index(unit) <= "hms".index(seen[-1]):
            raise DurationError(f"{DURATION_HINT}, got {shown} (units go h, m, s, once each)")
        seen.append(unit)
        total += float(m.group(1)) * _UNIT_MS[unit] / 1000
        pos = m.end()
    if pos != len(compact) or not seen:
        if compact.startswith("-"):
            raise DurationError(f"a duration cannot be negative, got {shown}")
        raise DurationError(f"{DURATION_HINT}, got {shown}")
    return total


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
