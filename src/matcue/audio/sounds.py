"""Synthesized sounds: breath-pacing tones and bells (pure numpy, float32 in [-1, 1]).

Breath tones
    A smooth glide over a perfect fifth, A3 (220 Hz) to E4 (330 Hz): exponential in
    frequency (equal musical steps per second), continuous phase. The inhale rises, the
    exhale falls, so an inhale ends on the pitch the next exhale starts from. A fifth is
    the most consonant interval short of the octave, wide enough that the direction is
    obvious with eyes closed and narrow enough to stay calm; the register sits under the
    ear's most sensitive band and the near-sine timbre (two faint harmonics) stays apart
    from the voice. Level: -26 dBFS RMS while sustained (peak about -23 dBFS): some
    17 dB under the peaks and 6-8 dB under the RMS of a voice peaking near -6 dBFS,
    and a low near-sine sounds softer still than speech of the same RMS. Raised-cosine
    fades of 200 ms (shorter for short events) at both ends.

Bells
    Soft struck bells from inharmonic partials (bowl-like ratios 1 : 2.76 : 5.40, a
    slightly detuned fundamental pair for a slow shimmer), each partial decaying
    exponentially, upper partials faster. Every bell starts with a raised-cosine attack
    of a few ms (no click) and ends with a raised-cosine fade, digitally silent at its
    end. ``BELL_MS`` gives each bell's natural length for the layout stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from matcue.core.pcm import SAMPLE_RATE, ms_to_samples
from matcue.plan import timeline

# --- breath tones -----------------------------------------------------------------

TONE_LOW_HZ = 220.0  # A3: the inhale starts here, the exhale ends here
TONE_HIGH_HZ = 330.0  # E4, a perfect fifth above
TONE_GAIN_DB = -26.0  # RMS of the sustained tone, dBFS
TONE_HARMONICS_DB: tuple[float, ...] = (0.0, -14.0, -24.0)  # fundamental, 2nd, 3rd
TONE_FADE_MS = 200  # raised-cosine fade-in and fade-out
TONE_FADE_MAX_FRACTION = 0.25  # short events: each fade at most this part of the tone

BREATH_KINDS = ("inhale", "exhale")

# --- bells ------------------------------------------------------------------------

BELL_PARTIAL_RATIOS: tuple[float, ...] = (1.0, 2.76, 5.40)
BELL_PARTIAL_DB: tuple[float, ...] = (0.0, -8.0, -16.0)
# time constant of each partial relative to the fundamental
BELL_PARTIAL_DECAY: tuple[float, ...] = (1.0, 0.55, 0.3)
BELL_SHIMMER_HZ = 1.3  # detuning of the fundamental's twin: a slow beat
BELL_SHIMMER_MIX = 0.15  # the twin's share of the fundamental: a beat about 3 dB deep
BELL_DECAY_DB = 60.0  # the fundamental has decayed this far by the bell's natural end
BELL_FADE_MS = 400  # raised-cosine fade-out at the end of every bell
BELL_ATTACK_MS = 6


@dataclass(frozen=True, slots=True)
class _Strike:
    offset_ms: int
    freq_hz: float
    gain_db: float = 0.0  # relative to the bell's other strikes


@dataclass(frozen=True, slots=True)
class _BellDesign:
    length_ms: int  # natural length, decayed to silence
    peak_gain_db: float  # peak of the whole bell, dBFS
    strikes: tuple[_Strike, ...]
    decay_ms: int  # time constant of the fundamental
    attack_ms: int = BELL_ATTACK_MS
    partial_db: tuple[float, ...] = BELL_PARTIAL_DB


def _decay_for(length_ms: int) -> int:
    """Time constant that brings the fundamental down BELL_DECAY_DB by length_ms."""
    return round(length_ms / (BELL_DECAY_DB / (20 * math.log10(math.e))))


_BELLS: dict[str, _BellDesign] = {
    # start of a hold: one deep strike on A3, the pitch the first inhale tone starts from,
    # so the bell and the rising glide under it agree (and the glide is still heard rising)
    "start": _BellDesign(2500, -13.0, (_Strike(0, TONE_LOW_HZ),), _decay_for(2500), partial_db=(0.0, -16.0, -28.0)),
    # end of a hold: two strikes, lower (A4)
    "end": _BellDesign(2800, -12.0, (_Strike(0, 440.0), _Strike(300, 440.0, -2.0)), _decay_for(2800)),
    # switch sides: two notes rising a major third, C5 then E5
    "switch": _BellDesign(2600, -13.0, (_Strike(0, 523.25), _Strike(380, 659.26, -1.0)), _decay_for(2600)),
    # rests / end of a breathing exercise: low, slow attack, almost no upper partials
    "soft": _BellDesign(
        3000,
        -19.0,
        (_Strike(0, 392.0),),
        _decay_for(3000),
        attack_ms=25,
        partial_db=(0.0, -18.0, -30.0),
    ),
    # timer intervals: a short high tick
    "interval": _BellDesign(1200, -18.0, (_Strike(0, 1046.5),), 110, attack_ms=3),
}

BELL_MS = timeline.BELL_MS
if {name: design.length_ms for name, design in _BELLS.items()} != BELL_MS:
    raise AssertionError("a bell design's length differs from matcue.plan.timeline.BELL_MS")


# --- helpers ----------------------------------------------------------------------


def db_to_gain(gain_db: float) -> float:
    return float(10.0 ** (gain_db / 20.0))


def _raised_cosine(n: int) -> np.ndarray:
    """n samples rising from exactly 0 towards 1."""
    if n <= 0:
        return np.zeros(0, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)


def _apply_fades(x: np.ndarray, fade_in: int, fade_out: int) -> None:
    """Raised-cosine fade-in and fade-out, in place. The last sample ends at zero."""
    n = len(x)
    fade_in = min(fade_in, n)
    fade_out = min(fade_out, n)
    if fade_in:
        x[:fade_in] *= _raised_cosine(fade_in)
    if fade_out:
        # ends exactly on 0 at the last sample
        x[n - fade_out :] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, fade_out + 1) / fade_out)


# --- breath tones -----------------------------------------------------------------


def breath_tone(kind: str, dur_ms: int) -> np.ndarray:
    """A rising (``inhale``) or falling (``exhale``) glide lasting ``dur_ms`` (≥ 1)."""
    if dur_ms < 1:
        raise ValueError(f"breath tone needs dur_ms >= 1, got {dur_ms}")
    return breath_tone_samples(kind, ms_to_samples(dur_ms))


def breath_tone_samples(kind: str, n_samples: int) -> np.ndarray:
    """``breath_tone`` sized in samples (the mixer sizes events by their sample span).

    The result is read-only and shared: a routine repeats the same few phase lengths
    hundreds of times, so each (kind, length) is synthesized once.
    """
    if kind not in BREATH_KINDS:
        raise ValueError(f"unknown breath tone {kind!r}; expected one of {BREATH_KINDS}")
    if n_samples <= 0:
        return np.zeros(0, dtype=np.float32)
    return _breath_tone_cached(kind, n_samples)


@lru_cache(maxsize=64)
def _breath_tone_cached(kind: str, n_samples: int) -> np.ndarray:
    f_start, f_end = (TONE_LOW_HZ, TONE_HIGH_HZ) if kind == "inhale" else (TONE_HIGH_HZ, TONE_LOW_HZ)
    phase = _glide_phase(f_start, f_end, n_samples)
    amps = np.array([db_to_gain(db) for db in TONE_HARMONICS_DB])
    amps *= db_to_gain(TONE_GAIN_DB) / math.sqrt(float(np.sum(amps**2)) / 2.0)
    wave = np.zeros(n_samples, dtype=np.float64)
    for harmonic, amp in enumerate(amps, start=1):
        wave += amp * np.sin(harmonic * phase)
    fade = min(ms_to_samples(TONE_FADE_MS), int(n_samples * TONE_FADE_MAX_FRACTION))
    _apply_fades(wave, fade, fade)
    result = wave.astype(np.float32)
    result.setflags(write=False)
    return result


def _glide_phase(f_start_hz: float, f_end_hz: float, n_samples: int) -> np.ndarray:
    """Phase (radians) of an exponential glide: the integral of f(t) = f0 * r**(t/T)."""
    t_s = np.arange(n_samples, dtype=np.float64) / SAMPLE_RATE
    dur_s = n_samples / SAMPLE_RATE
    ratio = f_end_hz / f_start_hz
    k = math.log(ratio) / dur_s  # f(t) = f0 * exp(k t)
    return 2.0 * np.pi * f_start_hz * np.expm1(k * t_s) / k


def glide_freq_hz(kind: str, frac: float) -> float:
    """The tone's instantaneous frequency at ``frac`` (0..1) of the event (for tests/docs)."""
    f_start, f_end = (TONE_LOW_HZ, TONE_HIGH_HZ) if kind == "inhale" else (TONE_HIGH_HZ, TONE_LOW_HZ)
    return f_start * (f_end / f_start) ** frac


# --- bells ------------------------------------------------------------------------


def bell(sound: str, dur_ms: int) -> np.ndarray:
    """The bell ``sound`` fitted into ``dur_ms``: silent at the end, padded if longer."""
    if dur_ms < 1:
        raise ValueError(f"bell needs dur_ms >= 1, got {dur_ms}")
    return bell_samples(sound, ms_to_samples(dur_ms))


def bell_samples(sound: str, n_samples: int) -> np.ndarray:
    """``bell`` sized in samples. A bell cut short fades out within its span."""
    if sound not in _BELLS:
        raise ValueError(f"unknown bell {sound!r}; expected one of {tuple(_BELLS)}")
    if n_samples <= 0:
        return np.zeros(0, dtype=np.float32)
    natural = _natural_bell(sound)
    m = min(n_samples, len(natural))
    out = np.zeros(n_samples, dtype=np.float32)
    out[:m] = natural[:m]
    if m < len(natural):
        fade = min(ms_to_samples(BELL_FADE_MS), m // 3)
        tail = out[:m].astype(np.float64)
        _apply_fades(tail, 0, fade)
        out[:m] = tail
    return out


@cache
def _natural_bell(sound: str) -> np.ndarray:
    design = _BELLS[sound]
    n = ms_to_samples(design.length_ms)
    wave = np.zeros(n, dtype=np.float64)
    for strike in design.strikes:
        start = ms_to_samples(strike.offset_ms)
        if start < n:
            wave[start:] += db_to_gain(strike.gain_db) * _strike(design, strike.freq_hz, n - start)
    wave *= db_to_gain(design.peak_gain_db) / float(np.max(np.abs(wave)))
    _apply_fades(wave, 0, min(ms_to_samples(BELL_FADE_MS), n // 3))
    result = wave.astype(np.float32)
    result.setflags(write=False)
    return result


def _strike(design: _BellDesign, freq_hz: float, n_samples: int) -> np.ndarray:
    """One strike of a bell: decaying inharmonic partials under a raised-cosine attack."""
    t_s = np.arange(n_samples, dtype=np.float64) / SAMPLE_RATE
    decay_s = design.decay_ms / 1000.0
    wave = np.zeros(n_samples, dtype=np.float64)
    for ratio, gain_db, decay in zip(BELL_PARTIAL_RATIOS, design.partial_db, BELL_PARTIAL_DECAY):
        env = db_to_gain(gain_db) * np.exp(-t_s / (decay_s * decay))
        if ratio == 1.0:  # the fundamental and a slightly detuned twin: a slow shimmer
            twin_hz = freq_hz + BELL_SHIMMER_HZ
            osc = (1.0 - BELL_SHIMMER_MIX) * np.sin(2 * np.pi * freq_hz * t_s)
            osc += BELL_SHIMMER_MIX * np.sin(2 * np.pi * twin_hz * t_s)
        else:
            osc = np.sin(2 * np.pi * freq_hz * ratio * t_s)
        wave += env * osc
    _apply_fades(wave, ms_to_samples(design.attack_ms), 0)
    return wave
