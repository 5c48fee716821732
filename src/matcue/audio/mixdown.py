"""Levels, ducking, panning, loudness and the true-peak limiter of the final mix.

The voice is the anchor. Every speech clip is scaled to the same active level
(``SPEECH_ACTIVE_DBFS``, the RMS of its frames within ``ACTIVE_RANGE_DB`` of its loudest,
with its peak held under ``SPEECH_PEAK_DBFS``); breath tones, bells, the countdown and the
ambience sit at a preset's levels relative to it (``PRESETS``, documented in docs/mix.md).
Tones and ambience duck under every spoken cue.

The track is then brought to its loudness target (ITU-R BS.1770-4: K-weighting, 400 ms
blocks overlapping by 75 %, absolute gate -70 LKFS, relative gate -10 LU) by ONE static
gain measured in a first pass over the mix (:class:`LoudnessMeter`): silent holds are never
pumped up. A look-ahead limiter (:func:`limiter_gain`) keeps the true peak under
``CEILING_DBTP``. Every gain here is a pure function of the sample index and of the
sources around it, computed with element-wise operations only (no reductions whose
rounding could depend on where a block starts), so any partition of the track mixes to
the same samples, and digital silence stays exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from matcue.core.pcm import SAMPLE_RATE, ms_to_samples

# --- presets ------------------------------------------------------------------------

SPEECH_ACTIVE_DBFS = -22.0  # every clip's active RMS before the master gain
SPEECH_PEAK_DBFS = -12.0  # ... its true peaks limited to this (per clip), so the master limiter rarely acts
ACTIVE_FRAME_MS = 20
ACTIVE_RANGE_DB = 30.0  # frames within this of the clip's loudest frame are "active"
TONE_SYNTH_DBFS = -26.0  # sounds.TONE_GAIN_DB: the level breath tones are synthesized at

LUFS_MONO = -19.0  # integrated loudness targets (BS.1770), mono and stereo
LUFS_STEREO = -16.0
CODEC_LOSS_LU = 0.4  # LAME at 96 kbps measured 0.4 LU quieter than its input: aimed above by this
CEILING_DBTP = -2.0  # the limiter's ceiling; MP3 encoding adds up to ~0.5 dB: -1 dBTP after decoding

DUCK_ATTACK_MS = 60  # tones and ambience are fully ducked when a cue starts...
DUCK_RELEASE_MS = 120  # ... and back up this long after it ends (raised-cosine ramps)

PAN_LEAN = 0.5  # a sided cue or tone sits halfway to its side (constant-power pan law)


@dataclass(frozen=True, slots=True)
class Preset:
    """Levels in dB relative to the voice's active RMS (tones: sustained RMS; bells: the
    offset applied to each bell's designed peak; ambience: its RMS)."""

    name: str
    tone_db: float
    bell_db: float
    countdown_db: float  # countdown words relative to the other cues
    music_db: float
    duck_db: float  # how far tones and ambience dip under speech
    description: str


PRESETS: dict[str, Preset] = {
    "headphones": Preset("headphones", -12.0, -8.0, 0.0, -24.0, -8.0, "close listening: all well under the voice"),
    "room": Preset("room", -8.0, -3.0, 3.0, -20.0, -8.0, "a class on a speaker: all stronger"),
}
MIX_PRESETS = tuple(PRESETS)
DEFAULT_PRESET = "headphones"


@dataclass(frozen=True, slots=True)
class MixSettings:
    """How to mix a track: the level preset, side panning (stereo output), ambience."""

    preset: str = DEFAULT_PRESET
    pan_sides: bool = False
    music: Path | None = None
    normalize: bool = True  # bring the track to its loudness target (off: master gain 0 dB)

    @property
    def channels(self) -> int:
        return 2 if self.pan_sides else 1

    @property
    def levels(self) -> Preset:
        return PRESETS[self.preset]

    @property
    def target_lufs(self) -> float:
        return (LUFS_STEREO if self.channels == 2 else LUFS_MONO) + CODEC_LOSS_LU


def db_to_gain(gain_db: float) -> float:
    return float(10.0 ** (gain_db / 20.0))


# --- speech -------------------------------------------------------------------------


def speech_gain(samples: np.ndarray) -> float:
    """The gain that brings a clip (int16 or float in [-1, 1]) to the anchor level."""
    x = np.asarray(samples)
    scale = 32768.0 if x.dtype == np.int16 else 1.0
    n = ms_to_samples(ACTIVE_FRAME_MS)
    count = len(x) // n
    if count == 0:
        return 1.0
    frames = x[: count * n].reshape(count, n).astype(np.float64) / scale
    ms = np.einsum("ij,ij->i", frames, frames) / n
    loudest = float(ms.max())
    if loudest <= 0:
        return 1.0
    active = ms[ms >= loudest * 10.0 ** (-ACTIVE_RANGE_DB / 10.0)]
    rms = math.sqrt(float(active.mean()))
    return db_to_gain(SPEECH_ACTIVE_DBFS) / rms


def level_speech(x: np.ndarray, headroom_db: float = 0.0) -> np.ndarray:
    """A clip (float32, already at the anchor's active level) with its true peaks limited
    to ``SPEECH_PEAK_DBFS`` (plus ``headroom_db``; the limiter below, run over the clip alone)."""
    g = limiter_gain(x[None, :], 0, 0, len(x), 1.0, db_to_gain(SPEECH_PEAK_DBFS + headroom_db))
    return x if g is None else x * g


# --- panning --------------------------------------------------------------------------


def pan_gains(side: str | None, channels: int) -> tuple[float, ...]:
    """Per-channel gains: mono (1,); stereo constant-power, leaning toward ``side``."""
    if channels == 1:
        return (1.0,)
    pos = {"left": -PAN_LEAN, "right": PAN_LEAN}.get(side or "", 0.0)
    theta = (pos + 1.0) * math.pi / 4.0
    return (math.cos(theta), math.sin(theta))


# --- ducking --------------------------------------------------------------------------


def duck_gain(spans: np.ndarray, max_len: int, b0: int, b1: int, depth_db: float) -> np.ndarray | None:
    """The gain of tones and ambience over samples [b0, b1): 1 away from speech, ``depth_db``
    under it, raised-cosine ramps before each cue starts and after it ends. ``spans`` is an
    (n, 2) array of speech [start, end) in samples, sorted by start. None = 1 throughout."""
    att, rel = ms_to_samples(DUCK_ATTACK_MS), ms_to_samples(DUCK_RELEASE_MS)
    hi = int(np.searchsorted(spans[:, 0], b1 + att, side="left")) if len(spans) else 0
    lo = int(np.searchsorted(spans[:, 0], b0 - rel - max_len, side="left")) if len(spans) else 0
    env: np.ndarray | None = None
    for s, e in spans[lo:hi]:
        s, e = int(s), int(e)
        a, z = max(b0, s - att), min(b1, e + rel)
        if z <= a:
            continue
        if env is None:
            env = np.zeros(b1 - b0, dtype=np.float32)
        idx = np.arange(a, z, dtype=np.float64)
        shape = np.ones(z - a, dtype=np.float64)
        up = idx < s
        shape[up] = 0.5 - 0.5 * np.cos(np.pi * (idx[up] - (s - att)) / att)
        down = idx >= e
        shape[down] = 0.5 + 0.5 * np.cos(np.pi * (idx[down] - e + 1) / rel)
        np.maximum(env[a - b0 : z - b0], shape.astype(np.float32), out=env[a - b0 : z - b0])
    if env is None:
        return None
    depth = np.float32(1.0 - db_to_gain(depth_db))
    return np.float32(1.0) - depth * env


# --- loudness (BS.1770-4) ----------------------------------------------------------------

SEGMENT = SAMPLE_RATE // 10  # 100 ms: the hop of the 400 ms gating blocks
ABS_GATE_LKFS = -70.0
REL_GATE_LU = -10.0


@lru_cache(maxsize=4)
def k_weighting_sos(rate: int = SAMPLE_RATE) -> np.ndarray:
    """The K-weighting filter (high shelf, then the RLB high-pass) as second-order sections,
    designed for ``rate`` from the analog prototype of BS.1770 (as libebur128 and ffmpeg's
    ebur128 filter do; at 48 kHz it gives the standard's coefficients)."""
    f0, g_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (g_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    hp = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, hp], dtype=np.float64)


@lru_cache(maxsize=4)
def k_weighting_power(n: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """|H(f)|^2 of the K-weighting filter at the ``rfft`` bins of an ``n``-sample frame,
    with Parseval's weights folded in (the edge bins count once, the others twice)."""
    f = np.arange(n // 2 + 1) / n  # cycles per sample
    z = np.exp(-2j * np.pi * f)
    h = np.ones_like(z)
    for b0, b1, b2, a0, a1, a2 in k_weighting_sos(rate):
        h *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    w = np.abs(h) ** 2 * 2.0
    w[0] /= 2.0
    if n % 2 == 0:
        w[-1] /= 2.0
    return (w / (n * n)).astype(np.float64)


class LoudnessMeter:
    """Integrated loudness of a signal fed in consecutive blocks, (channels, n) float.

    The K-weighted energy of each 100 ms segment is taken in the frequency domain: the
    segment's spectrum (one batched FFT per block) weighted by the filter's |H(f)|^2
    (Parseval). That leaves out only the filter's memory across segment edges — a few
    milliseconds of a 100 ms segment — and agrees with ffmpeg's ebur128 to within 0.1 LU
    on speech, tones and noise (tests/audio/test_mix.py), in pure numpy. Keeps one energy per
    100 ms segment (36 000 floats an hour), so memory does not grow with the audio.
    Blocks must start on 100 ms boundaries (all but the last block a multiple of
    ``SEGMENT`` long); ``warmup`` samples at the start are skipped.
    """

    def __init__(self, channels: int, warmup: int = 0):
        self.channels = channels
        self.warmup = warmup
        self.energies: list[np.ndarray] = []

    def feed(self, x: np.ndarray) -> None:
        skip = min(self.warmup, x.shape[-1])
        self.warmup -= skip
        n = (x.shape[-1] - skip) // SEGMENT
        if n <= 0:
            return
        seg = x[:, skip : skip + n * SEGMENT].reshape(x.shape[0], n, SEGMENT)
        if not seg.any():
            self.energies.append(np.zeros(n, dtype=np.float64))
            return
        spectrum = np.fft.rfft(seg, axis=-1)
        power = spectrum.real**2 + spectrum.imag**2
        self.energies.append(np.einsum("cif,f->i", power, k_weighting_power(SEGMENT), dtype=np.float64))

    def segments(self) -> np.ndarray:
        return np.concatenate(self.energies) if self.energies else np.zeros(0)


def integrated_lufs(segments: np.ndarray) -> float | None:
    """Gated integrated loudness from 100 ms mean-square energies (channels summed); None
    when no 400 ms block passes the absolute gate (silence)."""
    if len(segments) < 4:
        return None
    blocks = (segments[:-3] + segments[1:-2] + segments[2:-1] + segments[3:]) / 4.0
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10.0 * np.log10(blocks)
    kept = blocks[loud > ABS_GATE_LKFS]
    if not len(kept):
        return None
    rel = -0.691 + 10.0 * math.log10(float(kept.mean())) + REL_GATE_LU
    kept = blocks[(loud > ABS_GATE_LKFS) & (loud > rel)]
    return -0.691 + 10.0 * math.log10(float(kept.mean()))


# --- the true-peak limiter ------------------------------------------------------------------

CHUNK = 64  # peaks are taken per 64 samples (1.45 ms), aligned to the track
LOOKAHEAD_CHUNKS = 10  # the gain is down this far (~15 ms) ahead of a peak...
HOLD_CHUNKS = 40  # ... held this long (~58 ms) after it...
SMOOTH_CHUNKS = 8  # ... with Hann-shaped ramps of 2 * 8 chunks (~23 ms)
OVERSHOOT_DB = 3.0  # chunks whose sample peak is within this of the ceiling get a 4x true-peak
OS_TAPS = 8  # each side: the 4x interpolator's half-length
LIMITER_MARGIN = (LOOKAHEAD_CHUNKS + HOLD_CHUNKS + SMOOTH_CHUNKS + 3) * CHUNK + OS_TAPS


@lru_cache(maxsize=1)
def _os_filters() -> np.ndarray:
    """Kaiser-windowed sinc interpolators for the 3 fractional phases 1/4, 2/4, 3/4."""
    t = np.arange(-OS_TAPS + 1, OS_TAPS + 1, dtype=np.float64)  # 2*OS_TAPS taps
    out = []
    for p in (0.25, 0.5, 0.75):
        x = t - p
        h = np.sinc(x) * np.kaiser(len(t), 6.0)
        out.append(h / h.sum())
    return np.array(out, dtype=np.float64)


def _true_peaks(x: np.ndarray, x0: int, chunks: np.ndarray) -> np.ndarray:
    """4x-oversampled peak of each chunk (track chunk indices) of x, which starts at track
    sample x0 and covers every chunk asked for and OS_TAPS samples around it."""
    h = _os_filters()
    starts = chunks * CHUNK - x0
    idx = starts[:, None] + np.arange(-OS_TAPS + 1, CHUNK + OS_TAPS, dtype=np.int64)[None, :]
    np.clip(idx, 0, x.shape[-1] - 1, out=idx)
    peaks = np.zeros(len(chunks), dtype=np.float64)
    for ch in range(x.shape[0]):
        w = x[ch][idx].astype(np.float64)  # (k, CHUNK + 2*OS_TAPS - 1)
        peaks = np.maximum(peaks, np.abs(w[:, OS_TAPS - 1 : OS_TAPS - 1 + CHUNK]).max(axis=1))
        for ph in h:
            acc = np.zeros((len(chunks), CHUNK), dtype=np.float64)
            for j, coef in enumerate(ph):  # element-wise, in a fixed order
                acc += coef * w[:, j : j + CHUNK]
            peaks = np.maximum(peaks, np.abs(acc).max(axis=1))
    return peaks


def limiter_gain(x: np.ndarray, x0: int, b0: int, b1: int, master: float, ceiling: float) -> np.ndarray | None:
    """The limiter's gain for track samples [b0, b1), from the raw mix ``x`` (channels, n)
    covering [x0, x0 + n) ⊇ [b0 - LIMITER_MARGIN, b1 + LIMITER_MARGIN] (clamped to the
    track). None = 1 throughout. After ``master`` and this gain, no 4x-oversampled peak
    exceeds ``ceiling``; the result depends only on the raw mix around each sample."""
    near = ceiling / (master * db_to_gain(OVERSHOOT_DB))
    if not np.any(np.abs(x) > near):
        return None
    n = x.shape[-1]
    c_lo = -(-x0 // CHUNK)  # whole chunks inside x
    c_hi = (x0 + n) // CHUNK
    if c_hi <= c_lo:
        return None
    body = np.abs(x[:, c_lo * CHUNK - x0 : c_hi * CHUNK - x0]).reshape(x.shape[0], c_hi - c_lo, CHUNK)
    peak = body.max(axis=(0, 2)).astype(np.float64)
    hot = np.nonzero(peak > near)[0]
    if len(hot):
        peak[hot] = np.maximum(peak[hot], _true_peaks(x, x0, hot + c_lo))
    over = peak * master > ceiling
    red = np.zeros(len(peak), dtype=np.float64)
    red[over] = 1.0 - ceiling / (peak[over] * master)
    # max over [k - HOLD, k + LOOKAHEAD], then a Hann-weighted average over +-SMOOTH
    held = _window_max(red, HOLD_CHUNKS, LOOKAHEAD_CHUNKS)
    w = np.hanning(2 * SMOOTH_CHUNKS + 3)[1:-1]
    w = w / w.sum()
    sm = np.zeros(len(held), dtype=np.float64)
    for j, wj in enumerate(w):  # element-wise, fixed order: the same at every offset
        d = j - SMOOTH_CHUNKS
        lo, hi = max(0, -d), min(len(held), len(held) - d)
        sm[lo:hi] += wj * held[lo + d : hi + d]
    # per sample: linear between chunk centres
    centres = (np.arange(c_lo, c_hi, dtype=np.float64) + 0.5) * CHUNK
    pos = np.arange(b0, b1, dtype=np.float64)
    g = 1.0 - np.interp(pos, centres, sm)
    if np.all(g == 1.0):
        return None
    return g.astype(np.float32)


def _window_max(x: np.ndarray, behind: int, ahead: int) -> np.ndarray:
    """out[k] = max(x[k - behind : k + ahead + 1]) (outside x counts as 0).

    A sparse table: maxima over spans of 1, 2, 4... samples, then two overlapping spans
    cover each window; log2(width) vectorized steps."""
    n = len(x)
    width = behind + ahead + 1
    pad = np.concatenate([np.zeros(behind, dtype=x.dtype), x, np.zeros(ahead, dtype=x.dtype)])
    m = pad
    span = 1
    while span * 2 <= width:
        m = np.maximum(m[:-span], m[span:])
        span *= 2
    return np.maximum(m[:n], m[width - span : width - span + n])
