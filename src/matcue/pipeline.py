"""The library functions behind each command: routine file in, script, timeline or MP3 out.

    routine YAML --load--> Routine --compile--> Script --voice--> clips --layout--> Timeline
      --render--> MP3

The CLI calls exactly one of these per command.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .compile import Options, Script, compile_routine
from .errors import Problem, RoutineError
from .layout import layout
from .loader import load_routine
from .model import LEVELS, Routine
from .timeline import Timeline

if TYPE_CHECKING:
    from .cover import Cover
    from .voice.base import Clip, VoiceSpec

DEFAULT_RATE_WPM = 150
DEFAULT_BITRATE = "96k"


@dataclass(frozen=True, slots=True)
class VoiceOverrides:
    """Voice settings from the command line; None = take the routine's, then the default."""

    backend: str | None = None
    name: str | None = None
    rate: int | None = None


def voice_spec(routine: Routine, overrides: VoiceOverrides = VoiceOverrides()) -> VoiceSpec:
    """The voice to speak ``routine`` with: command line, else routine, else defaults.

    With no rate given, the backend's own tuned ``default_rate_wpm`` (docs/voices.md).
    """
    from .voice.base import VoiceSpec

    v = routine.voice
    backend = overrides.backend or v.backend or "auto"
    rate = overrides.rate or v.rate or backend_default_rate(backend)
    return VoiceSpec(backend=backend, name=overrides.name or v.name, rate=rate, language=routine.language)


def backend_default_rate(backend: str) -> int:
    """The speaking rate tuned for clarity for ``backend`` (``auto`` resolved)."""
    from .errors import MatcueError
    from .voice.registry import get_backend

    try:
        return int(getattr(get_backend(backend), "default_rate_wpm", DEFAULT_RATE_WPM))
    except MatcueError:
        return DEFAULT_RATE_WPM  # speak_all reports the missing or unknown backend


def routine_lexicon(routine: Routine, project_dir: Path | None = None):  # type: ignore[no-untyped-def]
    """The built-in lexicon, extended by the project's voice/lexicon.yaml, then the routine's."""
    from .voice.lexicon import default_lexicon

    return default_lexicon(project_dir).extended_by(routine.lexicon)


def estimate_speech_ms(text: str, rate_wpm: int = DEFAULT_RATE_WPM) -> int:
    """A voice-free guess of how long ``text`` takes to say (used by ``check``)."""
    words = max(1, len(re.findall(r"\w+", text)))
    pauses = len(re.findall(r"[.,;:!?]", text))
    return int(words * 60_000 / rate_wpm + pauses * 150 + 250)


# ----------------------------------------------------------------------------- check


def check_routine(path: str | Path) -> list[Problem]:
    """Every problem in a routine, for every level; [] when it is fine."""
    try:
        routine = load_routine(path)
    except RoutineError as e:
        return list(e.problems)
    problems: list[Problem] = []
    rate = routine.voice.rate or DEFAULT_RATE_WPM
    levels = [routine.level] if routine.level else []
    levels += [lv for lv in LEVELS if lv not in levels]
    for level in levels:
        try:
            script = compile_routine(routine, Options(level=level))
            layout(script, {t: estimate_speech_ms(t, rate) for t in script.texts()})
        except RoutineError as e:
            problems.extend(e.problems)
    return list(dict.fromkeys(problems))


# ----------------------------------------------------------------------------- script / timeline


def build_script(path: str | Path, options: Options = Options()) -> tuple[Routine, Script]:
    routine = load_routine(path)
    return routine, compile_routine(routine, options)


@dataclass(frozen=True, slots=True)
class Built:
    routine: Routine
    script: Script
    timeline: Timeline
    clips: dict[str, Clip]
    synthesized: int  # phrases synthesized (not found in the cache)


def build_timeline(
    path: str | Path,
    options: Options = Options(),
    voice: VoiceOverrides = VoiceOverrides(),
    *,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Built:
    """Load, compile, speak (through the cache) and lay out one routine."""
    from .voice.cache import speak_all

    routine, script = build_script(path, options)
    spec = voice_spec(routine, voice)
    speech = speak_all(script.texts(), spec, cache_dir=cache_dir, progress=progress, lexicon=routine_lexicon(routine))
    timeline = layout(script, {t: c.length_ms for t, c in speech.clips.items()})
    timeline = replace(timeline, meta={**timeline.meta, "voice": speech.backend})
    return Built(routine, script, timeline, speech.clips, speech.synthesized)


# ----------------------------------------------------------------------------- render


@dataclass(frozen=True, slots=True)
class Rendered:
    path: Path
    total_ms: int
    synthesized: int
    sidecars: tuple[Path, ...] = ()  # captions / chapters JSON written next to the MP3
    built: Built | None = field(default=None, repr=False, compare=False)
    cover: Cover | None = field(default=None, repr=False, compare=False)  # the embedded cover


def slugify(title: str, max_len: int = 80) -> str:
    """A safe file name stem from a title: ascii letters, digits and dashes."""
    norm = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "routine"


def render_routine(
    path: str | Path,
    out_dir: str | Path = "audio_out",
    options: Options = Options(),
    voice: VoiceOverrides = VoiceOverrides(),
    *,
    bitrate: str = DEFAULT_BITRATE,
    cache_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    captions: Sequence[str] = (),
    chapters_json: bool = False,
    cover: bool = True,
    name: str | None = None,
) -> Rendered:
    """Render one routine to ``out_dir/<slug-of-title>.mp3`` (written atomically).

    ``cover``: embed the routine's ``cover:`` image, else a generated one (``matcue.cover``).
    ``captions`` (``vtt``, ``srt``, ``lrc``) and ``chapters_json`` write those sidecars next
    to the MP3 (``matcue.sidecars``), from the same timeline. ``name`` replaces the slug.
    """
    from .render import render_mp3
    from .sidecars import write_sidecars

    speech_progress = (lambda d, t: progress("speech", d, t)) if progress else None
    built = build_timeline(path, options, voice, cache_dir=cache_dir, progress=speech_progress)
    art = None
    if cover:
        from .cover import cover_for

        tl = built.timeline
        art = cover_for(built.routine.cover, tl.title, [c.title for c in tl.chapters])
        built = replace(built, timeline=replace(tl, meta={**tl.meta, "cover": art}))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name or slugify(built.routine.title)}.mp3"
    mix_progress = (lambda d, t: progress("audio", d, t)) if progress else None
    render_mp3(built.timeline, built.clips, target, bitrate=bitrate, progress=mix_progress)
    sidecars = write_sidecars(built.timeline, target, captions, chapters_json) if captions or chapters_json else ()
    return Rendered(target, built.timeline.total_ms, built.synthesized, sidecars, built, art)


def render_many(paths: Sequence[str | Path], **kwargs: object) -> Iterable[Rendered]:
    for p in paths:
        yield render_routine(p, **kwargs)  # type: ignore[arg-type]
