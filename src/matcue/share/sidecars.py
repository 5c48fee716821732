"""Sidecar files derived from the timed script: captions (WebVTT, SRT, LRC) and chapters JSON.

Everything here is a pure function of a :class:`~matcue.plan.timeline.Timeline`, so the captions
and chapters can never disagree with the MP3 rendered from the same timeline:

- one caption cue per ``speech`` event, from its ``start_ms`` to its ``end_ms``, in start
  order (speech never overlaps; if a timeline ever had overlapping speech, the cues would
  still be listed in start order);
- one chapter per timeline chapter.

WebVTT and SRT carry milliseconds exactly. LRC has centiseconds: every time is rounded to
the nearest centisecond, halves up (``ms_to_cs``), the same rule everywhere. An LRC line
stays on a player's screen until the next one, so during a silent hold the last spoken
instruction stays visible. Podcasting 2.0 chapters (``application/json+chapters``,
version 1.2.0) carry ``startTime``/``endTime`` in seconds with millisecond fractions.

:func:`write_sidecars` writes the chosen files next to an MP3, each atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue.core.atomic import Unit, write_text_atomic
from matcue.core.durations import srt_time, vtt_time
from matcue.core.text import to_json as to_json_text
from matcue.plan.timeline import Timeline

CAPTION_FORMATS = ("vtt", "srt", "lrc")
# what a page calls each sidecar file
SIDECAR_LABELS = {"vtt": "WebVTT", "srt": "SRT", "lrc": "LRC", "chapters": "Chapters JSON"}
PODCAST_CHAPTERS_VERSION = "1.2.0"
CHAPTERS_JSON_SUFFIX = ".chapters.json"
LRC_CREATOR = "matcue"


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption: ``text`` spoken from ``start_ms`` to ``end_ms``."""

    start_ms: int
    end_ms: int
    text: str


def speech_cues(timeline: Timeline) -> tuple[Cue, ...]:
    """One cue per speech event, ordered by (start, end); whitespace folded to one line."""
    cues = [
        Cue(e.start_ms, max(e.start_ms, e.end_ms), " ".join(e.text.split()))
        for e in timeline.events
        if e.kind == "speech" and e.text and e.text.strip()
    ]
    cues.sort(key=lambda c: (c.start_ms, c.end_ms))
    return tuple(cues)


# ----------------------------------------------------------------------------- time formats


def ms_to_cs(ms: int) -> int:
    """Milliseconds to centiseconds, rounded to the nearest, halves up (1005 -> 101)."""
    return (ms + 5) // 10


def lrc_time(ms: int) -> str:
    """``mm:ss.xx`` (LRC; minutes may exceed 59), rounded with :func:`ms_to_cs`."""
    cs = ms_to_cs(ms)
    m, rest = divmod(cs, 6000)
    s, c = divmod(rest, 100)
    return f"{m:02d}:{s:02d}.{c:02d}"


def seconds(ms: int) -> int | float:
    """Seconds for JSON: an int when whole, else a float with millisecond precision."""
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


# ----------------------------------------------------------------------------- formats


def _vtt_text(text: str) -> str:
    # WebVTT cue text: & and < start markup; "-->" may not appear in a cue payload
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(timeline: Timeline) -> str:
    """WebVTT captions: one cue per spoken text, numbered from 1, exact milliseconds; the
    header names the language (``Language: de``, as players read it)."""
    out = ["WEBVTT", f"Language: {timeline.language}", ""]
    for i, c in enumerate(speech_cues(timeline), 1):
        out += [str(i), f"{vtt_time(c.start_ms)} --> {vtt_time(c.end_ms)}", _vtt_text(c.text), ""]
    return "\n".join(out)


# SubRip has no escapes, and players read HTML-like tags (<b>, <font color=...>) and ASS
# overrides ({\an8}) in its cue text: a cue's own angle and curly brackets become look-alikes
# that no player reads as markup
_SRT_LOOKALIKES = str.maketrans({"<": "\u2039", ">": "\u203a", "{": "(", "}": ")"})


def _srt_text(text: str) -> str:
    # "-->" first: a cue line may not look like a timing line
    return text.replace("-->", "->").translate(_SRT_LOOKALIKES)


def to_srt(timeline: Timeline) -> str:
    """SubRip captions: one cue per spoken text, numbered from 1, exact milliseconds; markup
    characters in a cue are shown, never read (``<`` and ``>`` as ``\u2039 \u203a``, braces as
    parentheses)."""
    out: list[str] = []
    for i, c in enumerate(speech_cues(timeline), 1):
        out += [str(i), f"{srt_time(c.start_ms)} --> {srt_time(c.end_ms)}", _srt_text(c.text), ""]
    return "\n".join(out)


# LRC reads [..] as a tag or a time stamp anywhere on a line and <mm:ss.xx> as a word time
# (enhanced LRC): in headers and cue text alike, square brackets become parentheses and angle
# brackets look-alikes
_LRC_BRACKETS = str.maketrans({"[": "(", "]": ")", "<": "\u2039", ">": "\u203a"})


def _lrc_text(value: str) -> str:
    return " ".join(value.translate(_LRC_BRACKETS).split())


def to_lrc(timeline: Timeline) -> str:
    """LRC lyrics: [ti:]/[ar:]/[al:]/[length:] headers, then ``[mm:ss.xx]text`` per cue.

    ``[ar:]`` and ``[al:]`` are left out when the routine has no author / collection;
    ``[length:]`` is ``mm:ss`` (the total, rounded to the nearest second).
    """
    out = [f"[ti:{_lrc_text(timeline.title)}]"]
    if timeline.artist:
        out.append(f"[ar:{_lrc_text(timeline.artist)}]")
    if timeline.album:
        out.append(f"[al:{_lrc_text(timeline.album)}]")
    total_s = (timeline.total_ms + 500) // 1000
    out.append(f"[length:{total_s // 60:02d}:{total_s % 60:02d}]")
    out.append(f"[re:{LRC_CREATOR}]")
    for c in speech_cues(timeline):
        out.append(f"[{lrc_time(c.start_ms)}]{_lrc_text(c.text)}")
    return "\n".join(out) + "\n"


def podcast_chapters(timeline: Timeline, file_name: str | None = None) -> dict[str, Any]:
    """Podcasting 2.0 JSON chapters (version 1.2.0) as a dict, chapters in start order."""
    d: dict[str, Any] = {"version": PODCAST_CHAPTERS_VERSION, "title": timeline.title}
    if timeline.artist:
        d["author"] = timeline.artist
    if timeline.album:
        d["podcastName"] = timeline.album
    if file_name:
        d["fileName"] = file_name
    d["chapters"] = [
        {"startTime": seconds(c.start_ms), "endTime": seconds(c.end_ms), "title": c.title}
        for c in sorted(timeline.chapters, key=lambda c: (c.start_ms, c.end_ms))
    ]
    return d


def to_podcast_chapters(timeline: Timeline, file_name: str | None = None) -> str:
    """:func:`podcast_chapters` as JSON text (UTF-8, indented)."""
    return to_json_text(podcast_chapters(timeline, file_name)) + "\n"


# ----------------------------------------------------------------------------- files


def sidecar_path(mp3_path: Path, fmt: str) -> Path:
    """``x.mp3`` -> ``x.vtt`` / ``x.srt`` / ``x.lrc``; ``chapters`` -> ``x.chapters.json``."""
    if fmt == "chapters":
        return mp3_path.with_name(mp3_path.stem + CHAPTERS_JSON_SUFFIX)
    return mp3_path.with_suffix("." + fmt)


def write_sidecars(
    timeline: Timeline,
    mp3_path: Path,
    captions: Iterable[str] = CAPTION_FORMATS,
    chapters_json: bool = True,
    unit: Unit | None = None,
) -> tuple[Path, ...]:
    """Write the chosen caption formats (and the chapters JSON) next to ``mp3_path``.

    ``unit``: stage them there (moved into place with the track by its ``commit``)
    instead of writing each atomically now."""
    mp3_path = Path(mp3_path)
    makers = {"vtt": to_vtt, "srt": to_srt, "lrc": to_lrc}
    texts: list[tuple[Path, str]] = []
    for fmt in dict.fromkeys(captions):
        if fmt not in makers:
            raise ValueError(f"unknown caption format {fmt!r}")
        texts.append((sidecar_path(mp3_path, fmt), makers[fmt](timeline)))
    if chapters_json:
        texts.append((sidecar_path(mp3_path, "chapters"), to_podcast_chapters(timeline, mp3_path.name)))
    for path, text in texts:
        if unit is not None:
            unit.stage_bytes(path, text.encode("utf-8"))
        else:
            write_text_atomic(path, text)
    return tuple(path for path, _ in texts)
