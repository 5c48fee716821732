"""Mix a Timeline into PCM, block by block, and encode it to an MP3 atomically.

The streaming path (``iter_blocks`` -> ``render_mp3``) never holds the whole track: each
block sums only the events that overlap it, and a tone or bell is synthesized once
when its event first becomes live and dropped when the event ends. ``mix`` builds the
whole track in one array; it is the reference the streaming path is tested against.

Samples are summed as float32 in event order and clipped once, so the blocks and
``mix`` agree sample for sample.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from matcue.audio import mixdown, mp3, mp3join, sounds
from matcue.audio.mixdown import MixSettings
from matcue.core import atomic
from matcue.core.errors import MatcueError, RenderError, ToolMissingError
from matcue.core.pcm import SAMPLE_RATE, ms_to_samples, samples_to_ms
from matcue.core.tools import ffmpeg_path  # noqa: F401
from matcue.plan.timeline import COUNTED_ROLES, Event, Timeline
from matcue.voice.base import AnyClip

if TYPE_CHECKING:
    from matcue.audio.ambience import Ambience

BLOCK_MS = 5000  # the streaming block
LAME_QUALITY = 2  # LAME's -q: 2 = high quality (the same setting for both encoders)
DRAFT_LAME_QUALITY = 7  # previews (render --only/--from/--watch): about five times faster to encode
ENCODERS = ("lame", "ffmpeg")
_LAME_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
SPEECH_EDGE_FADE_MS = 3  # raised-cosine fade at both ends of every placed clip: no clicks
DEFAULT_BITRATE = "96k"
FFMPEG_STDERR_TAIL_CHARS = 2000
SILENT_KINDS = ("hold", "silence")
INT16_SCALE = 32768.0

Progress = Callable[[int, int], None]


# --- sources: what each event contributes ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """An event placed on the sample axis: [start, end) of the track, at its mix level."""

    start: int
    end: int
    event: Event
    gain: float = 1.0  # the preset's level for the kind (speech: on top of the clip's own)
    pan: tuple[float, ...] = (1.0,)  # per output channel
    duck: bool = False  # dips under speech (breath tones)


def _sources(timeline: Timeline, clips: Mapping[str, AnyClip], settings: MixSettings = MixSettings()) -> list[_Source]:
    """The audible events in start order (stable), cut at the track end; checks clips."""
    total = ms_to_samples(timeline.total_ms)
    levels = settings.levels
    tone_gain = mixdown.db_to_gain(mixdown.SPEECH_ACTIVE_DBFS + levels.tone_db - mixdown.TONE_SYNTH_DBFS)
    bell_gain = mixdown.db_to_gain(levels.bell_db)
    count_gain = mixdown.db_to_gain(levels.countdown_db)
    out: list[_Source] = []
    for ev in timeline.events:
        if ev.start_ms < 0:
            raise RenderError(f"event {ev.kind!r} starts before the track ({ev.start_ms} ms)")
        if ev.end_ms < ev.start_ms:
            raise RenderError(f"event at {ev.start_ms} ms ends before it starts ({ev.end_ms} ms)")
        if ev.kind in SILENT_KINDS:
            continue
        _check_event(ev, clips)
        start = ms_to_samples(ev.start_ms)
        end = min(total, ms_to_samples(ev.end_ms))
        if end > start:
            kind = ev.kind
            if kind == "speech":
                gain = count_gain if ev.role in COUNTED_ROLES else 1.0
            else:
                gain = bell_gain if kind == "bell" else tone_gain
            pan = mixdown.pan_gains(ev.side, settings.channels)
            out.append(_Source(start, end, ev, gain, pan, kind in sounds.BREATH_KINDS))
    out.sort(key=lambda s: s.start)  # stable: ties keep timeline order
    return out


def _check_event(ev: Event, clips: Mapping[str, AnyClip]) -> None:
    if ev.kind == "speech":
        if ev.text is None or ev.text not in clips:
            raise RenderError(f"no speech clip for {ev.text!r} (event at {ev.start_ms} ms)")
    elif ev.kind == "bell":
        if ev.sound not in sounds.BELL_MS:
            raise RenderError(f"unknown bell {ev.sound!r} (event at {ev.start_ms} ms)")
    elif ev.kind not in sounds.BREATH_KINDS:
        raise RenderError(f"cannot render event kind {ev.kind!r} (event at {ev.start_ms} ms)")


def _synthesize(src: _Source, clips: Mapping[str, AnyClip]) -> np.ndarray:
    """The float32 samples of one source at its mix level, exactly ``src.end - src.start`` long."""
    n = src.end - src.start
    ev = src.event
    if ev.kind == "speech":
        assert ev.text is not None
        return _speech(clips[ev.text], n, src.gain)
    if ev.kind == "bell":
        assert ev.sound is not None
        return _scaled_bell(ev.sound, n, src.gain)
    return _scaled_tone(ev.kind, n, src.gain)


@lru_cache(maxsize=64)
def _scaled_tone(kind: str, n: int, gain: float) -> np.ndarray:
    out = sounds.breath_tone_samples(kind, n) * np.float32(gain)
    out.setflags(write=False)
    return out


def _scaled_bell(sound: str, n: int, gain: float) -> np.ndarray:
    return sounds.bell_samples(sound, n) * np.float32(gain)


def _speech(clip: AnyClip, n: int, gain: float = 1.0) -> np.ndarray:
    """A clip as float32 at the anchor level, peak-levelled, then times ``gain`` (after the
    levelling, which would otherwise flatten it), cut (or padded with silence) to n
    samples, edges faded."""
    pcm = np.asarray(clip.samples)
    if pcm.ndim != 1:
        raise RenderError(f"speech clips must be mono, got shape {pcm.shape}")
    m = min(n, len(pcm))
    out = np.zeros(n, dtype=np.float32)
    scale = np.float32(mixdown.speech_gain(pcm) / INT16_SCALE)
    out[:m] = mixdown.level_speech(pcm.astype(np.float32) * scale)[:m]
    if gain != 1.0:
        out[:m] *= np.float32(gain)
    fade = min(ms_to_samples(SPEECH_EDGE_FADE_MS), m // 2)
    if fade:
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)).astype(np.float32)
        out[:fade] *= ramp
        out[m - fade : m] *= ramp[::-1]
    return out


def _to_int16(x: np.ndarray) -> np.ndarray:
    """(channels, n) float -> int16: (n,) for mono, interleaved (n, channels) otherwise."""
    y = np.clip(np.rint(x * np.float32(INT16_SCALE)), -32768, 32767).astype(np.int16)
    return y[0] if y.shape[0] == 1 else np.ascontiguousarray(y.T)


# --- mixing ---------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    """Everything the mix of any sample range depends on (shared by the part threads)."""

    sources: list[_Source]
    clips: Mapping[str, AnyClip]
    settings: MixSettings
    total: int
    spans: np.ndarray  # speech [start, end) in samples, by start: the ducking key
    max_speech: int
    ambience: Ambience | None = None
    master: float = 1.0  # the static gain that meets the loudness target
    measured_lufs: float | None = None  # of the mix before the master gain

    @property
    def channels(self) -> int:
        return self.settings.channels

    @property
    def ceiling(self) -> float:
        return mixdown.db_to_gain(mixdown.CEILING_DBTP)

    def close(self) -> None:
        if self.ambience is not None:
            self.ambience.close()


def _plan(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    settings: MixSettings,
    *,
    jobs: int = 1,
    sources: list[_Source] | None = None,
) -> _Plan:
    """Check every event, open the ambience, and measure the loudness (the first pass)."""
    if settings.preset not in mixdown.PRESETS:
        raise RenderError(f"unknown mix preset {settings.preset!r}; expected one of {', '.join(mixdown.PRESETS)}")
    sources = _sources(timeline, clips, settings) if sources is None else sources
    speech = [(s.start, s.end) for s in sources if s.event.kind == "speech"]
    spans = np.array(speech, dtype=np.int64).reshape(-1, 2)
    total = ms_to_samples(timeline.total_ms)
    plan = _Plan(sources, clips, settings, total, spans, int((spans[:, 1] - spans[:, 0]).max()) if len(spans) else 0)
    if settings.music is not None:
        from matcue.audio.ambience import Ambience

        music_gain = mixdown.db_to_gain(mixdown.SPEECH_ACTIVE_DBFS + settings.levels.music_db)
        plan.ambience = Ambience(settings.music, settings.channels, total, music_gain)
    try:
        if settings.normalize:
            lufs = _measure(plan, jobs)
            plan.measured_lufs = lufs
            if lufs is not None:
                plan.master = mixdown.db_to_gain(settings.target_lufs - lufs)
    except BaseException:
        plan.close()
        raise
    return plan


class _Mixer:
    """The raw mix (levels, panning, ducking; before the master gain) of increasing windows."""

    def __init__(self, plan: _Plan):
        self.plan = plan
        self.next = 0
        self.live: list[tuple[_Source, np.ndarray]] = []

    def raw(self, b0: int, b1: int) -> np.ndarray:
        """(channels, b1 - b0) float32. Windows may overlap but must not move backwards.
        Every sample is the same float32 sum, in the same order, whatever the windows."""
        p = self.plan
        self.live = [(src, pcm) for src, pcm in self.live if src.end > b0]
        while self.next < len(p.sources) and p.sources[self.next].start < b1:
            src = p.sources[self.next]
            self.next += 1
            if src.end > b0:
                self.live.append((src, _synthesize(src, p.clips)))
        n = b1 - b0
        acc = np.zeros((p.channels, n), dtype=np.float32)
        ducked: np.ndarray | None = None
        for src, pcm in self.live:
            lo, hi = max(src.start, b0), min(src.end, b1)
            if hi <= lo:
                continue
            seg = pcm[lo - src.start : hi - src.start]
            if src.duck:
                if ducked is None:
                    ducked = np.zeros((p.channels, n), dtype=np.float32)
                target = ducked
            else:
                target = acc
            if p.channels == 1:
                target[0, lo - b0 : hi - b0] += seg
            else:
                for c, g in enumerate(src.pan):
                    target[c, lo - b0 : hi - b0] += seg * np.float32(g)
        if p.ambience is not None:
            music = p.ambience.segment(b0, b1)
            ducked = music if ducked is None else ducked + music
        if ducked is not None:
            duck = mixdown.duck_gain(p.spans, p.max_speech, b0, b1, p.settings.levels.duck_db)
            if duck is not None:
                ducked *= duck
            acc += ducked
        return acc


def _measure(plan: _Plan, jobs: int) -> float | None:
    """Integrated loudness (LUFS) of the raw mix: a first pass, one thread per part."""
    seg = mixdown.SEGMENT
    total = plan.total
    jobs = max(1, min(jobs, total // (seg * 600)))  # parts of at least a minute
    cuts = [total * k // jobs // seg * seg for k in range(jobs)] + [total]
    warm = 10 * seg  # one second settles the K-filter (its slowest pole decays in ~5 ms)
    results: list[np.ndarray | BaseException | None] = [None] * jobs

    def run(k: int) -> None:
        try:
            a, b = cuts[k], cuts[k + 1]
            a0 = max(0, a - warm)
            meter = mixdown.LoudnessMeter(plan.channels, warmup=a - a0)
            mixer = _Mixer(plan)
            step = 50 * seg
            for b0 in range(a0, b, step):
                meter.feed(mixer.raw(b0, min(b, b0 + step)))
            results[k] = meter.segments()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            results[k] = exc

    if jobs == 1:
        run(0)
    else:
        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(jobs)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return mixdown.integrated_lufs(np.concatenate([r for r in results if isinstance(r, np.ndarray)]))


def _mix_range(plan: _Plan, bounds: Iterable[tuple[int, int]]) -> Iterator[np.ndarray]:
    """The final int16 samples of consecutive ranges: master gain and limiter applied.

    The limiter looks at the raw mix ``LIMITER_MARGIN`` samples around each range, so every
    sample is the same whatever the ranges: any partition of the track gives the same mix.
    """
    mixer = _Mixer(plan)
    chunk, margin = mixdown.CHUNK, mixdown.LIMITER_MARGIN
    end = -(-plan.total // chunk) * chunk
    master = np.float32(plan.master)
    for b0, b1 in bounds:
        x0 = max(0, (b0 - margin) // chunk * chunk)
        x1 = min(end, -(-(b1 + margin) // chunk) * chunk)
        x = mixer.raw(x0, x1)
        out = x[:, b0 - x0 : b1 - x0] * master
        g = mixdown.limiter_gain(x, x0, b0, b1, plan.master, plan.ceiling)
        if g is not None:
            out *= g
        yield _to_int16(out)


def mix(timeline: Timeline, clips: Mapping[str, AnyClip], settings: MixSettings = MixSettings()) -> np.ndarray:
    """The whole track as one int16 array, (n,) mono or (n, 2) stereo (the reference for
    ``iter_blocks`` and the encoders)."""
    plan = _plan(timeline, clips, settings)
    try:
        return next(_mix_range(plan, [(0, plan.total)]))
    finally:
        plan.close()


def mix_range(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    start: int,
    end: int,
    block: int,
    settings: MixSettings = MixSettings(),
) -> np.ndarray:
    """Samples [start, end) of the track, mixed in blocks of ``block`` samples (as a part)."""
    plan = _plan(timeline, clips, settings)
    try:
        return np.concatenate(list(_mix_range(plan, _range_bounds(start, end, block))))
    finally:
        plan.close()


def iter_blocks(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    block_ms: int = BLOCK_MS,
    settings: MixSettings = MixSettings(),
) -> Iterator[np.ndarray]:
    """The track as consecutive int16 blocks of ``block_ms`` (the last one shorter).

    Each event contributes only its overlap with a block; its samples are synthesized
    when it first overlaps a block and released once a block passes its end. All
    events are checked, and the loudness measured, before the first block is yielded
    (missing clip -> RenderError).
    """
    if block_ms < 1:
        raise ValueError(f"block_ms must be >= 1, got {block_ms}")
    sources = _sources(timeline, clips, settings)
    return _blocks(timeline, clips, settings, sources, block_ms)


def _blocks(
    timeline: Timeline, clips: Mapping[str, AnyClip], settings: MixSettings, sources: list[_Source], block_ms: int
) -> Iterator[np.ndarray]:
    plan = _plan(timeline, clips, settings, sources=sources)
    try:
        yield from _mix_range(plan, _block_bounds(timeline.total_ms, block_ms))
    finally:
        plan.close()


def _block_bounds(total_ms: int, block_ms: int) -> Iterator[tuple[int, int]]:
    """Sample bounds [b0, b1) of each block; block edges fall on whole milliseconds."""
    for t0_ms in range(0, total_ms, block_ms):
        t1_ms = min(total_ms, t0_ms + block_ms)
        yield ms_to_samples(t0_ms), ms_to_samples(t1_ms)


def _range_bounds(start: int, end: int, block: int) -> Iterator[tuple[int, int]]:
    for b0 in range(start, end, block):
        yield b0, min(end, b0 + block)


# --- where the track may be cut for parallel encoding -----------------------------

SAMPLES_PER_FRAME = mp3join.SAMPLES_PER_FRAME
JOIN_PADDING = 800  # end padding each part but the last is sized to get from LAME
JOIN_GAP = JOIN_PADDING + mp3join.ENCODER_DELAY  # what a join adds: taken out of a silence
JOIN_MARGIN = 2 * SAMPLES_PER_FRAME  # silence kept on both sides of a join
PARALLEL_MIN_MS = 90_000  # shorter tracks are encoded in one stream
MIN_PART_MS = 30_000


def silent_spans(timeline: Timeline, clips: Mapping[str, AnyClip]) -> list[tuple[int, int]]:
    """Sample ranges [a, b) where nothing sounds (every audible event, bells' decay included)."""
    total = ms_to_samples(timeline.total_ms)
    spans: list[tuple[int, int]] = []
    t = 0
    for src in sorted(_sources(timeline, clips), key=lambda s: s.start):
        if src.start > t:
            spans.append((t, src.start))
        t = max(t, src.end)
    if t < total:
        spans.append((t, total))
    return spans


def plan_parts(
    timeline: Timeline, clips: Mapping[str, AnyClip], jobs: int, settings: MixSettings = MixSettings()
) -> list[tuple[int, int]]:
    """Cut the track into at most ``jobs`` parts, each cut inside a silence.

    With ambience (``settings.music``) nothing is ever silent: one part.

    Returns the sample range [start, end) each encoder is fed. Part k > 0 starts
    ``JOIN_GAP`` samples after its cut: that silence is what the previous part's end
    padding and this part's encoder delay fill in the joined MP3. Every part but the
    last has a length for which LAME pads exactly ``JOIN_PADDING`` samples.
    """
    total = ms_to_samples(timeline.total_ms)
    if jobs < 2 or timeline.total_ms < PARALLEL_MIN_MS or settings.music is not None:
        return [(0, total)]
    jobs = min(jobs, max(1, timeline.total_ms // MIN_PART_MS))
    spans = silent_spans(timeline, clips)
    parts: list[tuple[int, int]] = []
    start = 0
    for k in range(1, jobs):
        target = total * k // jobs
        cut = _best_cut(spans, start, target, total)
        if cut is None:
            continue
        parts.append((start, cut))
        start = cut + JOIN_GAP
    parts.append((start, total))
    return parts


def _best_cut(spans: list[tuple[int, int]], start: int, target: int, total: int) -> int | None:
    """The cut nearest ``target`` inside a silence, at a part length LAME pads by 800."""
    min_part = ms_to_samples(MIN_PART_MS)
    # the part [start, cut) must satisfy (length + delay + JOIN_PADDING) % 1152 == 0
    want = (start - JOIN_GAP) % SAMPLES_PER_FRAME
    best: int | None = None
    for a, b in spans:
        lo = max(a + JOIN_MARGIN, start + min_part)
        hi = min(b - JOIN_GAP - JOIN_MARGIN, total - min_part)
        if hi < lo:
            continue
        near = min(max(target, lo), hi)
        cut = near - ((near - want) % SAMPLES_PER_FRAME)
        if cut < lo:
            cut += SAMPLES_PER_FRAME
        if cut > hi:
            continue
        if best is None or abs(cut - target) < abs(best - target):
            best = cut
    if best is not None and abs(best - target) > total // 4:
        return None  # no silence near enough: fewer, unequal parts would not pay
    return best


# --- encoding -------------------------------------------------------------------


def _ffmpeg_command(
    exe: str, out_path: Path, bitrate: str, channels: int = 1, quality: int = LAME_QUALITY
) -> list[str]:
    return [
        exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0",
        "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-c:a", "libmp3lame", "-b:a", bitrate, "-compression_level", str(quality),
        "-ar", str(SAMPLE_RATE), "-ac", str(channels),
        "-write_xing", "1",  # LAME tag: encoder delay and padding, so decoders trim them
        "-id3v2_version", "0", "-write_id3v1", "0",  # tags are written by mp3.write_tags
        "-f", "mp3", str(out_path),
    ]  # fmt: skip


MAX_JOBS = 256  # the most encoders (or roster workers) $MATCUE_JOBS may ask for


def default_jobs() -> int:
    """Encoders to run at once: ``$MATCUE_JOBS`` if set, else the machine's cores.

    A set value that is not a whole number from 1 to :data:`MAX_JOBS` is an error, never
    ignored."""
    env = os.environ.get("MATCUE_JOBS", "").strip()
    if not env:
        return os.cpu_count() or 1
    if not (env.isascii() and env.isdigit() and 1 <= int(env) <= MAX_JOBS):
        raise MatcueError(
            f"MATCUE_JOBS must be a whole number from 1 to {MAX_JOBS}, got {env[:40]!r} (unset it to use one per core)"
        )
    return int(env)


def default_encoder() -> str:
    """``lame`` (LAME in this process, through lameenc) when importable, else ``ffmpeg``.

    ``$MATCUE_ENCODER`` chooses explicitly. Both are LAME at the same quality setting. A
    set value that is not one of :data:`ENCODERS`, or ``lame`` without lameenc, is an error.
    """
    env = os.environ.get("MATCUE_ENCODER", "").strip()
    has_lame = importlib.util.find_spec("lameenc") is not None
    if not env:
        return "lame" if has_lame else "ffmpeg"
    if env not in ENCODERS:
        raise MatcueError(
            f"MATCUE_ENCODER must be one of {', '.join(ENCODERS)}, got {env[:40]!r} (unset it to choose automatically)"
        )
    if env == "lame" and not has_lame:
        raise MatcueError("MATCUE_ENCODER=lame needs lameenc, which is not installed (pip install lameenc)")
    return env


def check_environment() -> None:
    """Raise MatcueError now for a bad ``$MATCUE_JOBS`` or ``$MATCUE_ENCODER``, so a render
    fails before any speech is synthesized rather than after."""
    default_jobs()
    default_encoder()


def render_mp3(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    out_path: Path,
    *,
    bitrate: str = DEFAULT_BITRATE,
    progress: Progress | None = None,
    block_ms: int = BLOCK_MS,
    jobs: int | None = None,
    encoder: str | None = None,
    settings: MixSettings = MixSettings(),
    unit: atomic.Unit | None = None,
    quality: int = LAME_QUALITY,
) -> Path:
    """Encode the timeline to ``out_path`` (tags and chapters included), atomically.

    The mix streams block by block into the encoder (LAME in this process, or an ffmpeg
    process); a long track is cut at silences into ``jobs`` parts (default: one per core)
    encoded at once and joined frame-exactly (:mod:`matcue.audio.mp3join`), so the decoded
    track is sample-aligned with the mix. It is written to a hidden temporary file next
    to ``out_path``, which replaces ``out_path`` only when complete. On any failure or
    interruption the encoders are stopped, the temporary files removed, and an existing
    ``out_path`` left as it was. ``progress(done_ms, total_ms)`` is called as blocks are
    encoded.

    ``settings`` chooses the level preset, side panning (a stereo track) and ambience. A
    first pass over the mix measures its loudness; the track is brought to the target by
    one static gain, under a true-peak limiter (:mod:`matcue.audio.mixdown`).

    ``unit``: stage the finished track in it instead of moving it into place; the unit's
    ``commit`` does that, with the track's sidecars (:class:`matcue.core.atomic.Unit`).
    ``quality``: LAME's ``-q`` (``DRAFT_LAME_QUALITY`` for previews).
    """
    out_path = Path(out_path)
    if timeline.total_ms <= 0:
        raise RenderError(f"nothing to render: the track lasts {timeline.total_ms} ms")
    kbps = _kbps(bitrate)
    encoder = encoder or default_encoder()
    if encoder not in ENCODERS:
        raise RenderError(f"unknown encoder {encoder!r}; expected one of {', '.join(ENCODERS)}")
    exe = ffmpeg_path() if encoder == "ffmpeg" else ""
    sources = _sources(timeline, clips, settings)  # checks every event before any I/O
    jobs = default_jobs() if jobs is None else jobs
    parts = plan_parts(timeline, clips, jobs, settings)
    if not out_path.parent.is_dir():
        raise RenderError(f"output folder {out_path.parent} does not exist")
    plan = _plan(timeline, clips, settings, jobs=jobs, sources=sources)
    tmp_path: Path | None = None
    try:
        if unit is not None:
            tmp_path = unit.stage(out_path)
        else:
            tmp_path = _create_temp(out_path)
        job = _Job(plan, block_ms, progress, timeline.total_ms, quality)
        if encoder == "ffmpeg":
            _encode_ffmpeg(job, exe, bitrate, parts, tmp_path, out_path)
        else:
            _encode_lame(job, kbps, parts, tmp_path, out_path)
        mp3.write_tags(tmp_path, timeline)
        _fsync(tmp_path)
        if unit is None:
            os.replace(tmp_path, out_path)
            _fsync_dir(out_path.parent)
        return out_path
    except OSError as exc:
        raise RenderError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    finally:
        plan.close()
        if tmp_path is not None and unit is None:
            atomic.discard(tmp_path)


def render_with_ffmpeg(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    out_path: Path,
    *,
    exe: str,
    command: Callable[[str, Path, Path | None, int, int], list[str]],
    tag: Callable[[Path], None],
    chapters_file: str | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    settings: MixSettings = MixSettings(),
    unit: atomic.Unit | None = None,
) -> Path:
    """Encode the timeline with one ffmpeg process (``command(exe, tmp, chapters, channels,
    rate)``), then ``tag(tmp)``, then move it to ``out_path``: the other formats' path
    (:mod:`matcue.audio.formats`), with the same mix, atomic write and clean-up as ``render_mp3``.
    ``chapters_file``: the text of an ffmetadata file handed to ffmpeg as ``chapters``.
    ``unit``: as for ``render_mp3``, the finished file is staged in it, not moved into place."""
    out_path = Path(out_path)
    if timeline.total_ms <= 0:
        raise RenderError(f"nothing to render: the track lasts {timeline.total_ms} ms")
    sources = _sources(timeline, clips, settings)
    if not out_path.parent.is_dir():
        raise RenderError(f"output folder {out_path.parent} does not exist")
    jobs = default_jobs() if jobs is None else jobs
    plan = _plan(timeline, clips, settings, jobs=jobs, sources=sources)
    tmp_path: Path | None = None
    meta_path: Path | None = None
    sink: _FfmpegSink | None = None
    try:
        tmp_path = unit.stage(out_path) if unit is not None else _create_temp(out_path)
        if chapters_file is not None:
            meta_path = _create_temp(out_path.with_name(out_path.name + ".chapters"))
            meta_path.write_text(chapters_file, encoding="utf-8")
        job = _Job(plan, BLOCK_MS, progress, timeline.total_ms)
        cmd = command(exe, tmp_path, meta_path, plan.channels, SAMPLE_RATE)
        sink = _FfmpegSink(exe, tmp_path, "", plan.channels, command=cmd)
        _run_parts(job, [(0, plan.total)], [sink])
        tag(tmp_path)
        if unit is not None:
            _fsync(tmp_path)
            return out_path
        return _publish(tmp_path, out_path)
    except OSError as exc:
        raise RenderError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    finally:
        plan.close()
        if sink is not None:
            sink.abort()
        if tmp_path is not None and unit is None:
            atomic.discard(tmp_path)
        if meta_path is not None:
            atomic.discard(meta_path)


def _publish(tmp_path: Path, out_path: Path) -> Path:
    """The finished temporary file, synced, moves to ``out_path`` (atomic: same folder)."""
    _fsync(tmp_path)
    os.replace(tmp_path, out_path)
    _fsync_dir(out_path.parent)
    return out_path


def _kbps(bitrate: str) -> int:
    text = bitrate.strip().lower().removesuffix("k")
    if not text.isdigit() or int(text) not in _LAME_KBPS:
        raise RenderError(
            f"unsupported MP3 bitrate {bitrate!r}; choose one of {', '.join(f'{k}k' for k in _LAME_KBPS)}"
        )
    return int(text)


@dataclass(frozen=True, slots=True)
class _Job:
    """What every part encoder shares: the mix and the progress report."""

    plan: _Plan
    block_ms: int
    progress: Progress | None
    total_ms: int
    quality: int = LAME_QUALITY

    @property
    def channels(self) -> int:
        return self.plan.channels

    def blocks(self, start: int, end: int) -> Iterator[np.ndarray]:
        return _mix_range(self.plan, _range_bounds(start, end, ms_to_samples(self.block_ms)))


class _Sink:
    """Where one part's PCM goes: an encoder fed block by block from its own thread."""

    def write(self, pcm: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """End of the part: flush and check (runs in the part's thread)."""

    def abort(self) -> None:
        """Stop at once (runs in the calling thread, on failure or interrupt)."""


class _FfmpegSink(_Sink):
    def __init__(
        self, exe: str, path: Path, bitrate: str, channels: int = 1, quality: int = LAME_QUALITY,
        command: list[str] | None = None,
    ):  # fmt: skip
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                command or _ffmpeg_command(exe, path, bitrate, channels, quality),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.stderr,
            )  # fmt: skip
        except FileNotFoundError as exc:
            self.stderr.close()
            raise ToolMissingError("ffmpeg", "ffmpeg") from exc

    def write(self, pcm: np.ndarray) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(pcm.astype("<i2", copy=False).tobytes())
        except (BrokenPipeError, ConnectionResetError):
            self._check(self.proc.wait())
            raise

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self._check(self.proc.wait())
        self.stderr.close()

    def _check(self, code: int) -> None:
        if code != 0:
            raise RenderError(f"ffmpeg failed (exit status {code}):\n{_tail(self.stderr)}")

    def abort(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.stderr.close()


class _LameSink(_Sink):
    """LAME in this process (lameenc releases the GIL while it encodes)."""

    def __init__(self, path: Path, kbps: int, reserve: int, channels: int = 1, quality: int = LAME_QUALITY):
        import lameenc

        self.encoder = lameenc.Encoder()
        self.encoder.set_bit_rate(kbps)
        self.encoder.set_in_sample_rate(SAMPLE_RATE)
        self.encoder.set_out_sample_rate(SAMPLE_RATE)  # LAME would resample stereo at 96k to 32 kHz
        self.encoder.set_channels(channels)
        self.encoder.set_quality(quality)
        self.path = path
        self.reserve = reserve  # bytes kept free at the start for the tag frame
        self.file = open(path, "r+b" if reserve else "w+b")  # noqa: SIM115 - closed in close/abort
        self.file.seek(reserve)
        self.samples = 0
        self.music_crc = 0

    def write(self, pcm: np.ndarray) -> None:
        self.file.write(self.encoder.encode(pcm.astype("<i2", copy=False).tobytes()))
        self.samples += len(pcm)

    def close(self) -> None:
        self.file.write(self.encoder.flush())
        self.file.flush()
        self.file.seek(self.reserve)
        crc = 0
        while chunk := self.file.read(4 << 20):
            crc = mp3join.crc16_fast(chunk, crc)
        self.music_crc = crc
        self.file.close()

    def abort(self) -> None:
        self.file.close()


def _run_parts(job: _Job, parts: list[tuple[int, int]], sinks: list[_Sink]) -> None:
    """Feed each part to its sink from a thread of its own; progress and errors are
    reported to this (the calling) thread, so an interrupt here stops everything."""
    events: queue.Queue[tuple[str, int, object]] = queue.Queue()
    cancel = threading.Event()

    def feed(i: int, start: int, end: int) -> None:
        try:
            for pcm in job.blocks(start, end):
                if cancel.is_set():
                    return
                sinks[i].write(pcm)
                events.put(("block", i, len(pcm)))
            sinks[i].close()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            if not cancel.is_set():
                events.put(("error", i, exc))
        finally:
            events.put(("done", i, None))

    threads = [threading.Thread(target=feed, args=(i, a, b), daemon=True) for i, (a, b) in enumerate(parts)]
    try:
        for th in threads:
            th.start()
        done = 0
        total = ms_to_samples(job.total_ms)
        running = len(threads)
        while running:
            kind, _, payload = events.get()
            if kind == "block":
                done += int(payload)  # type: ignore[call-overload]
                if job.progress is not None:
                    job.progress(min(job.total_ms, samples_to_ms(min(done, total))), job.total_ms)
            elif kind == "error":
                raise payload  # type: ignore[misc]
            else:
                running -= 1
    finally:
        cancel.set()
        if any(th.is_alive() for th in threads):
            for sink in sinks:
                sink.abort()
        for th in threads:
            th.join(timeout=10)


def _encode_ffmpeg(job: _Job, exe: str, bitrate: str, parts: list[tuple[int, int]], tmp: Path, out: Path) -> None:
    """ffmpeg processes, one per part, each writing a part with its own LAME tag; joined."""
    paths = [tmp] + [_create_temp(out) for _ in parts[1:]]
    sinks: list[_Sink] = []
    try:
        for path in paths:
            sinks.append(_FfmpegSink(exe, path, bitrate, job.channels, job.quality))
        _run_parts(job, parts, sinks)
        if len(parts) > 1:
            tags = [mp3join.read_tag(p) for p in paths]
            if _joinable([t.delay for t in tags], [t.padding for t in tags]):
                mp3join.join_into(tmp, paths[1:])
            else:  # an encoder that pads differently: fall back to one stream
                _encode_ffmpeg(job, exe, bitrate, [(0, ms_to_samples(job.total_ms))], tmp, out)
        else:
            mp3join.reseal(tmp)  # ffmpeg's tag CRC takes 190 bytes, also in a mono frame
    finally:
        for sink in sinks:
            sink.abort()
        for p in paths[1:]:
            atomic.discard(p)


def _encode_lame(job: _Job, kbps: int, parts: list[tuple[int, int]], tmp: Path, out: Path) -> None:
    """LAME in this process, one thread per part; the parts' frames are joined behind one
    Info/LAME tag frame written for the whole (delay, end padding, sizes, seek table)."""
    reserve = mp3join.frame_size(mp3join.tag_header(_header(kbps, job.channels)))
    paths = [tmp] + [_create_temp(out) for _ in parts[1:]]
    sinks: list[_LameSink] = []
    try:
        for i, path in enumerate(paths):
            sinks.append(_LameSink(path, kbps, reserve if i == 0 else 0, job.channels, job.quality))
        _run_parts(job, parts, list(sinks))
        sizes = [mp3join.frame_sizes_from(p, reserve if i == 0 else 0) for i, p in enumerate(paths)]
        pads = [len(sz) * SAMPLES_PER_FRAME - mp3join.ENCODER_DELAY - s.samples for sz, s in zip(sizes, sinks)]
        if len(parts) > 1 and not _joinable([mp3join.ENCODER_DELAY] * len(parts), pads):
            _encode_lame(job, kbps, [(0, ms_to_samples(job.total_ms))], tmp, out)
            return
        crc = 0
        with open(tmp, "r+b") as f:
            f.seek(0, 2)
            for path in paths[1:]:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, f, 1 << 20)
            for sink, part_sizes in zip(sinks, sizes):
                crc = mp3join.crc16_combine(crc, sink.music_crc, int(part_sizes.sum(dtype=np.int64)))
            first_header = mp3join.first_header(tmp, reserve)
            frame = mp3join.info_frame(first_header, np.concatenate(sizes), mp3join.ENCODER_DELAY, pads[-1], crc)
            if len(frame) != reserve:  # cannot happen: LAME keeps the mode it was given
                raise RenderError(f"the Info tag frame takes {len(frame)} bytes, {reserve} were kept for it")
            f.seek(0)
            f.write(frame)
    finally:
        for sink in sinks:
            if not sink.file.closed:
                sink.abort()
        for p in paths[1:]:
            atomic.discard(p)


def _joinable(delays: list[int], pads: list[int]) -> bool:
    return all(d == mp3join.ENCODER_DELAY for d in delays) and all(p == JOIN_PADDING for p in pads[:-1])


def _header(kbps: int, channels: int = 1) -> int:
    """An MPEG-1 Layer III frame header at ``kbps``, 44.1 kHz, mono (or joint stereo), no
    CRC, no padding (its size is the size of every unpadded frame at that bitrate)."""
    mode = 0b11 if channels == 1 else 0b01
    return 0xFFFB0000 | (_LAME_KBPS.index(kbps) + 1) << 12 | mode << 6


def _create_temp(out_path: Path) -> Path:
    """A fresh, locked hidden file beside out_path (same filesystem, so os.replace is
    atomic); :func:`matcue.core.atomic.discard` removes it."""
    folder = out_path.parent
    if not folder.is_dir():
        raise RenderError(f"output folder {folder} does not exist")
    try:
        return atomic.create_temp(out_path)
    except FileExistsError as exc:
        raise RenderError(f"cannot create a temporary file in {folder}") from exc
    except OSError as exc:
        raise RenderError(f"cannot write to {folder}: {exc.strerror}") from exc


def _tail(stderr: IO[bytes]) -> str:
    stderr.flush()
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace").strip()
    return text[-FFMPEG_STDERR_TAIL_CHARS:] or "(no output from ffmpeg)"


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    atomic.fsync_dir(folder)
