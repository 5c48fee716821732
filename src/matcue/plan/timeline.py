"""The Timeline: integer-millisecond events and chapters, the output of layout.

``matcue script`` prints it (``to_text`` / ``to_json``); the renderer mixes it into PCM.
Kinds of event:

- ``speech``: ``text`` is spoken from ``start_ms`` to ``end_ms`` (the clip's length).
  Its ``role`` says what the words are for (``SPEECH_ROLES``), set by layout from the
  script's structure, so later stages never guess from the words:

  - ``cue``: an ordinary cue (instructions, a pose's name, timed cues inside a hold);
  - ``countdown``: a word of the countdown that ends a hold (compile's ``Block.countdown``);
  - ``count``: a counted breath inside a hold (compile's ``Cue`` of kind ``count``).

  The mixer raises ``countdown`` and ``count`` words by the preset's countdown level.
  Roles are not part of the script JSON: an event read back with ``from_dict`` has
  ``role`` None, which the audio stage treats as ``cue``. Other kinds have no role.
  ``recording`` names the teacher's clip that says it (its file in the recordings
  folder; None: the voice synthesized it); the JSON says ``"source": "recorded"`` with
  ``"recording"``, or ``"source": "synthesized"``.
- ``inhale`` / ``exhale``: a rising / falling breath tone spanning the event.
- ``hold``: a breath retention (after the inhale or the exhale); silent.
- ``bell``: a synthesized bell; ``sound`` says which (see ``BELL_SOUNDS``).
- ``silence``: nothing sounds.

Besides the events, a Timeline carries typed records for the later stages (the card, the
share page, the cover, ``matcue script --json``'s ``holds`` and ``rests``), so none of them
parses a display title:

- ``Chapter``: ``title`` is what players show ("Fold (left)"); ``step`` is the step or
  section it plays ("Fold"; the routine's title for a routine without chapters; None for
  the introduction and for chapters read back from JSON) and ``side`` its side.
- ``Hold``: a fixed-length hold (its ``title`` as the chapter shows it, ``step``, ``side``
  and ``kind``: pose, timer, reps or breathe); ``Rest``: where a rest's chapter lies.
- ``level``, ``language`` (the routine's tag), ``voice`` (the backend that spoke) and ``cover`` (the embedded image, set
  by the render).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from matcue.core.durations import format_ms
from matcue.core.media import Cover
from matcue.core.text import to_json as to_json_text

EVENT_KINDS = ("speech", "inhale", "exhale", "hold", "bell", "silence")
SPEECH_ROLES = ("cue", "countdown", "count")
COUNTED_ROLES = frozenset({"countdown", "count"})  # spoken counting: the preset's countdown level
BELL_SOUNDS = ("start", "end", "switch", "soft", "interval")
# Each bell's natural length, decay included: layout places bells by it and the audio stage
# draws each bell to exactly this length (``matcue.audio.sounds`` checks its designs agree).
BELL_MS: dict[str, int] = {"start": 2500, "end": 2800, "switch": 2600, "soft": 3000, "interval": 1200}


@dataclass(frozen=True, slots=True)
class Event:
    start_ms: int
    end_ms: int
    kind: str
    text: str | None = None  # speech: what is said
    sound: str | None = None  # bell: which bell
    side: str | None = None  # "left"/"right" inside a sided step
    role: str | None = None  # speech: one of SPEECH_ROLES (not in the JSON)
    recording: str | None = None  # speech: the teacher's clip that says it (None: synthesized)

    @property
    def dur_ms(self) -> int:
        return self.end_ms - self.start_ms

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start_ms": self.start_ms, "end_ms": self.end_ms, "kind": self.kind}
        if self.text is not None:
            d["text"] = self.text
        if self.sound is not None:
            d["sound"] = self.sound
        if self.side is not None:
            d["side"] = self.side
        if self.kind == "speech":
            d["source"] = "recorded" if self.recording else "synthesized"
            if self.recording:
                d["recording"] = self.recording
        return d


@dataclass(frozen=True, slots=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str  # as players show it, the side included
    step: str | None = None  # the step or section it plays (None: the introduction)
    side: str | None = None  # "left"/"right" inside a sided step or section

    def to_dict(self) -> dict[str, Any]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "title": self.title}


@dataclass(frozen=True, slots=True)
class Hold:
    """Where a hold sits in the track (exported in the JSON as ``holds``)."""

    start_ms: int
    end_ms: int
    title: str  # the hold's chapter title, the side included
    step: str  # the step's name
    side: str | None = None
    kind: str = "pose"  # pose, timer, reps or breathe

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"start_ms": self.start_ms, "end_ms": self.end_ms, "title": self.title}
        if self.side:
            d["side"] = self.side
        d["kind"] = self.kind
        return d


@dataclass(frozen=True, slots=True)
class Rest:
    """Where a rest's chapter lies (exported in the JSON as ``rests``)."""

    start_ms: int
    end_ms: int

    def to_dict(self) -> dict[str, object]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms}


@dataclass(frozen=True, slots=True)
class Timeline:
    title: str
    total_ms: int
    chapters: tuple[Chapter, ...]
    events: tuple[Event, ...]
    artist: str | None = None
    album: str | None = None
    holds: tuple[Hold, ...] = ()
    rests: tuple[Rest, ...] = ()
    level: str | None = None
    voice: str | None = None  # the voice backend that spoke the cues
    language: str = "en"  # the routine's BCP 47 tag (tags, captions, the page: not in the JSON)
    cover: Cover | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "total_ms": self.total_ms,
            "chapters": [c.to_dict() for c in self.chapters],
            "events": [e.to_dict() for e in self.events],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return to_json_text(self.to_dict(), indent=indent) + "\n"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timeline:
        return cls(
            title=d["title"],
            total_ms=int(d["total_ms"]),
            chapters=tuple(Chapter(int(c["start_ms"]), int(c["end_ms"]), c["title"]) for c in d["chapters"]),
            events=tuple(
                Event(
                    int(e["start_ms"]),
                    int(e["end_ms"]),
                    e["kind"],
                    e.get("text"),
                    e.get("sound"),
                    e.get("side"),
                    recording=e.get("recording"),
                )
                for e in d["events"]
            ),
        )

    @classmethod
    def from_json(cls, text: str) -> Timeline:
        return cls.from_dict(json.loads(text))

    def to_text(self) -> str:
        """A readable script: chapters as headings, one line per event.

        Breath tones are folded into one line per run of cycles so long holds stay short.
        """
        lines = [f"{self.title} — {format_ms(self.total_ms)} ({self.total_ms} ms)"]
        chapters = list(self.chapters)
        ci = 0
        events = [e for e in self.events if e.kind != "silence" or e.dur_ms >= 2000]
        i = 0
        while i < len(events) or ci < len(chapters):
            ev = events[i] if i < len(events) else None
            if ci < len(chapters) and (ev is None or chapters[ci].start_ms <= ev.start_ms):
                ch = chapters[ci]
                lines.append("")
                lines.append(f"[{format_ms(ch.start_ms)}–{format_ms(ch.end_ms)}] {ch.title}")
                ci += 1
                continue
            assert ev is not None
            if ev.kind in ("inhale", "exhale", "hold"):
                j = i
                cycles = 0
                last = _last_tone_end(events, i)  # once per run: per spoken count it was quadratic
                while j < len(events) and events[j].kind in ("inhale", "exhale", "hold", "speech", "bell"):
                    if events[j].kind == "inhale":
                        cycles += 1
                    if events[j].kind in ("speech", "bell") and events[j].start_ms >= last:
                        break
                    j += 1
                tones = [e for e in events[i:j] if e.kind in ("inhale", "exhale", "hold")]
                pattern = "/".join(f"{e.kind} {e.dur_ms / 1000:g}s" for e in tones[:4])
                lines.append(
                    f"  {format_ms(ev.start_ms):>9}  breath tones until {format_ms(tones[-1].end_ms)}"
                    f": {cycles} inhale(s) [{pattern}{' ...' if len(tones) > 4 else ''}]"
                )
                for e in events[i:j]:
                    if e.kind not in ("inhale", "exhale", "hold"):
                        lines.append(_event_line(e))
                i = j
                continue
            lines.append(_event_line(ev))
            i += 1
        return "\n".join(lines) + "\n"


def _last_tone_end(events: list[Event], i: int) -> int:
    end = events[i].end_ms
    for e in events[i:]:
        if e.kind in ("inhale", "exhale", "hold"):
            if e.start_ms > end:
                break
            end = e.end_ms
    return end


def _event_line(e: Event) -> str:
    at = f"  {format_ms(e.start_ms):>9}"
    if e.kind == "speech":
        recorded = f", recorded: {e.recording}" if e.recording else ""
        return f"{at}  \u201c{e.text}\u201d ({e.dur_ms / 1000:.1f}s{recorded})"
    if e.kind == "bell":
        return f"{at}  bell ({e.sound})"
    return f"{at}  {e.kind} {e.dur_ms / 1000:g}s"
