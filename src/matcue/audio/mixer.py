"""The mixer: a Timeline's events placed on the sample axis at their mix levels, summed
block by block, brought to the loudness target under a true-peak limiter.

The streaming path (``iter_blocks``, and :mod:`matcue.audio.encode` for the encoders)
never holds the whole track: each block sums only the events that overlap it, and a tone
or bell is synthesized once when its event first becomes live and dropped when the event
ends. ``mix`` builds the whole track in one array; it is the reference the streaming path
is tested against.

Samples are summed as float32 in event order and clipped once, so the blocks and
``mix`` agree sample for sample. Levels read the events' typed fields (kind, role, side;
:mod:`matcue.plan.timeline`), never their words.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from matcue.audio import mixdown, sounds
from matcue.audio.mixdown import MixSettings
from matcue.core.cores import in_flight
from matcue.core.errors import RenderError
from matcue.core.pcm import ms_to_samples
from matcue.plan.timeline import COUNTED_ROLES, Event, Timeline
from matcue.voice.base import AnyClip

if TYPE_CHECKING:
    from matcue.audio.ambience import Ambience


BLOCK_MS = 5000  # the streaming block
SPEECH_EDGE_FADE_MS = 3  # raised-cosine fade at both ends of every placed clip: no clicks
SILENT_KINDS = ("hold", "silence")
INT16_SCALE = 32768.0


# --- sources: what each event contributes ---------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """An event placed on the sample axis: [start, end) of the track, at its mix level."""

    start: int
    end: int
    event: Event
    gain: float = 1.0  # the preset's level for the kind (speech: on top of the clip's own)
    pan: tuple[float, ...] = (1.0,)  # per output channel
    duck: bool = False  # dips under speech (breath tones)
    match: float = 1.0  # speech: a recording's loudness match, before its peak levelling


def place_events(
    timeline: Timeline, clips: Mapping[str, AnyClip], settings: MixSettings = MixSettings()
) -> list[Source]:
    """The audible events in start order (stable), cut at the track end; checks clips."""
    total = ms_to_samples(timeline.total_ms)
    levels = settings.levels
    tone_gain = mixdown.db_to_gain(mixdown.SPEECH_ACTIVE_DBFS + levels.tone_db - mixdown.TONE_SYNTH_DBFS)
    bell_gain = mixdown.db_to_gain(levels.bell_db)
    count_gain = mixdown.db_to_gain(levels.countdown_db)
    matched = recorded_gains(timeline, clips)
    out: list[Source] = []
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
            match = 1.0
            if kind == "speech":
                gain = count_gain if ev.role in COUNTED_ROLES else 1.0
                if ev.recording and ev.text in matched:
                    match = matched[ev.text]
            else:
                gain = bell_gain if kind == "bell" else tone_gain
            pan = mixdown.pan_gains(ev.side, settings.channels)
            out.append(Source(start, end, ev, gain, pan, kind in sounds.BREATH_KINDS, match))
    out.sort(key=lambda s: s.start)  # stable: ties keep timeline order
    return out


MAX_MATCH_DB = 12.0  # a recording is moved at most this far to meet the synthesized voice
MATCH_HEADROOM_DB = 3.0  # a recording's peaks may stand this much above the synthesized voice's


def recorded_gains(timeline: Timeline, clips: Mapping[str, AnyClip]) -> dict[str, float]:
    """The gain that brings each recorded phrase (an event with ``recording``) to the
    loudness of the synthesized ones, measured as they are placed (levelled to the anchor,
    peak-limited): gated integrated loudness per clip (BS.1770), the recording moved to
    the median of the synthesized clips (within +-12 dB), before its own peak levelling,
    whose ceiling it may pass by ``MATCH_HEADROOM_DB`` (so a voice with strong peaks is
    neither flattened back down nor left to the master limiter); measured again after the
    levelling until it meets the target. Levelling to the anchor alone
    leaves a natural voice, with pauses between its words, a few LU under a synthesized
    one. With nothing synthesized the recordings meet their own median; a clip too
    short to measure (under 400 ms) keeps the anchor level. {} without recordings."""
    spoken = [(e.text, e.recording) for e in timeline.events if e.kind == "speech" and e.text in clips]
    recorded = {t for t, rec in spoken if t is not None and rec}
    if not recorded:
        return {}
    synthesized = {  # the voice's cues: counting words are short, and raised by the preset
        e.text
        for e in timeline.events
        if e.kind == "speech"
        and e.text is not None
        and e.text in clips
        and not e.recording
        and e.role not in COUNTED_ROLES
    }

    def lufs(text: str, match: float = 1.0) -> float | None:
        x = _leveled(np.asarray(clips[text].samples), match)
        meter = mixdown.LoudnessMeter(1)
        meter.feed(x[None, :].astype(np.float64))
        return mixdown.integrated_lufs(meter.segments())

    own = {t: lufs(t) for t in sorted(recorded)}
    ref = [v for v in (lufs(t) for t in sorted(synthesized)) if v is not None] or [
        v for v in own.values() if v is not None
    ]
    if not ref:
        return {}
    target = float(np.median(ref))
    out: dict[str, float] = {}
    for t, v in own.items():
        if v is None:
            continue
        db = 0.0
        for _ in range(4):  # the clip's peak levelling takes back part of a raise: measure again
            db = max(-MAX_MATCH_DB, min(MAX_MATCH_DB, db + target - v))
            v = lufs(t, mixdown.db_to_gain(db)) or v
            if abs(target - v) < 0.05:
                break
        out[t] = mixdown.db_to_gain(db)
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


def synthesize(src: Source, clips: Mapping[str, AnyClip]) -> np.ndarray:
    """The float32 samples of one source at its mix level, exactly ``src.end - src.start`` long."""
    n = src.end - src.start
    ev = src.event
    if ev.kind == "speech":
        assert ev.text is not None
        return _speech(clips[ev.text], n, src.gain, src.match)
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


def _leveled(pcm: np.ndarray, match: float = 1.0) -> np.ndarray:
    """A clip as float32 at the anchor level, its peaks limited; a recording (``match`` not
    1) is moved by ``match`` first, its peaks allowed ``MATCH_HEADROOM_DB`` more."""
    scale = np.float32(mixdown.speech_gain(pcm) / INT16_SCALE * match)
    return mixdown.level_speech(pcm.astype(np.float32) * scale, 0.0 if match == 1.0 else MATCH_HEADROOM_DB)


def _speech(clip: AnyClip, n: int, gain: float = 1.0, match: float = 1.0) -> np.ndarray:
    """A clip as float32 at the anchor level (a recording moved by ``match``), peak-levelled,
    then times ``gain`` (after the levelling, which would otherwise flatten it: the
    countdown's raise), cut (or padded with silence) to n samples, edges faded."""
    pcm = np.asarray(clip.samples)
    if pcm.ndim != 1:
        raise RenderError(f"speech clips must be mono, got shape {pcm.shape}")
    m = min(n, len(pcm))
    out = np.zeros(n, dtype=np.float32)
    out[:m] = _leveled(pcm, match)[:m]
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
class MixPlan:
    """Everything the mix of any sample range depends on (shared by the part threads)."""

    sources: list[Source]
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


def plan_mix(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    settings: MixSettings,
    *,
    jobs: int = 1,
    sources: list[Source] | None = None,
) -> MixPlan:
    """Check every event, open the ambience, and measure the loudness (the first pass)."""
    if settings.preset not in mixdown.PRESETS:
        raise RenderError(f"unknown mix preset {settings.preset!r}; expected one of {', '.join(mixdown.PRESETS)}")
    sources = place_events(timeline, clips, settings) if sources is None else sources
    speech = [(s.start, s.end) for s in sources if s.event.kind == "speech"]
    spans = np.array(speech, dtype=np.int64).reshape(-1, 2)
    total = ms_to_samples(timeline.total_ms)
    plan = MixPlan(sources, clips, settings, total, spans, int((spans[:, 1] - spans[:, 0]).max()) if len(spans) else 0)
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

    def __init__(self, plan: MixPlan):
        self.plan = plan
        self.next = 0
        self.live: list[tuple[Source, np.ndarray]] = []

    def raw(self, b0: int, b1: int) -> np.ndarray:
        """(channels, b1 - b0) float32. Windows may overlap but must not move backwards.
        Every sample is the same float32 sum, in the same order, whatever the windows."""
        p = self.plan
        self.live = [(src, pcm) for src, pcm in self.live if src.end > b0]
        while self.next < len(p.sources) and p.sources[self.next].start < b1:
            src = p.sources[self.next]
            self.next += 1
            if src.end > b0:
                self.live.append((src, synthesize(src, p.clips)))
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


def _measure(plan: MixPlan, jobs: int) -> float | None:
    """Integrated loudness (LUFS) of the raw mix: a first pass over ``jobs`` parts (of a
    minute at least), at most one thread per core at a time."""
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

    todo = iter(range(jobs))  # the parts, taken in order by at most one thread per core
    lock = threading.Lock()
    failed = threading.Event()  # an error or an interrupt: no part is started after it

    def worker() -> None:
        while not failed.is_set():
            with lock:
                k = next(todo, None)
            if k is None:
                return
            run(k)
            if isinstance(results[k], BaseException):
                failed.set()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(in_flight(jobs, jobs) - 1)]
    for th in threads:
        th.start()
    worker()
    for th in threads:
        th.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return mixdown.integrated_lufs(np.concatenate([r for r in results if isinstance(r, np.ndarray)]))


def mix_bounds(plan: MixPlan, bounds: Iterable[tuple[int, int]]) -> Iterator[np.ndarray]:
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
    plan = plan_mix(timeline, clips, settings)
    try:
        return next(mix_bounds(plan, [(0, plan.total)]))
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
    plan = plan_mix(timeline, clips, settings)
    try:
        return np.concatenate(list(mix_bounds(plan, range_bounds(start, end, block))))
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
    sources = place_events(timeline, clips, settings)
    return _blocks(timeline, clips, settings, sources, block_ms)


def _blocks(
    timeline: Timeline, clips: Mapping[str, AnyClip], settings: MixSettings, sources: list[Source], block_ms: int
) -> Iterator[np.ndarray]:
    plan = plan_mix(timeline, clips, settings, sources=sources)
    try:
        yield from mix_bounds(plan, _block_bounds(timeline.total_ms, block_ms))
    finally:
        plan.close()


def _block_bounds(total_ms: int, block_ms: int) -> Iterator[tuple[int, int]]:
    """Sample bounds [b0, b1) of each block; block edges fall on whole milliseconds."""
    for t0_ms in range(0, total_ms, block_ms):
        t1_ms = min(total_ms, t0_ms + block_ms)
        yield ms_to_samples(t0_ms), ms_to_samples(t1_ms)


def range_bounds(start: int, end: int, block: int) -> Iterator[tuple[int, int]]:
    for b0 in range(start, end, block):
        yield b0, min(end, b0 + block)
