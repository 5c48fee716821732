"""Measure audio in tests: decode MP3s, levels, pitch tracks, silence, onsets, clicks.

Every function takes mono samples as a numpy array -- float in [-1, 1] (what
``decode`` returns) or int16 (what ``matcue.audio.render.mix`` returns; converted with
``as_float``) -- and times in integer milliseconds at 44.1 kHz. Windows are
``[start_ms, end_ms)``; ``end_ms=None`` means the end of the signal.

Typical use::

    pcm = audiocheck.decode(mp3_path)                    # float32 mono, 44.1 kHz
    assert abs(audiocheck.duration_ms(pcm) - 60_000) <= 20
    assert audiocheck.rms_dbfs(pcm, 9_000, 13_000) < -18
    assert audiocheck.pitch_direction(pcm, 9_000, 13_000) == "rising"
    assert audiocheck.is_silent(pcm, 20_000, 25_000)     # below -50 dBFS
    assert abs(audiocheck.onset_ms(pcm, 30_000 - 500) - 30_000) <= 20

``probe`` returns ffprobe's JSON (format tags and chapters) for tag checks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal

import numpy as np

SAMPLE_RATE = 44_100
SILENCE_DBFS = -50.0  # default threshold for "silent" after lossy encoding
FLOOR_DBFS = -200.0  # what an all-zero window measures as
PITCH_FRAME_MS = 60
PITCH_HOP_MS = 20
PITCH_MIN_HZ = 60.0
PITCH_MAX_HZ = 1200.0

Direction = Literal["rising", "falling", "flat", "unknown"]


# --- decoding and probing --------------------------------------------------------


def have_ffmpeg() -> bool:
    """True when both ffmpeg and ffprobe are on PATH."""
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def decode(path: str | Path) -> np.ndarray:
    """Decode any audio file with ffmpeg to float32 mono at 44.1 kHz.

    ffmpeg honours the LAME/Xing header, so encoder delay and padding are removed and
    the length is the length of the audio that was encoded.
    """
    cmd = [
        "ffmpeg", "-v", "error", "-nostdin", "-i", str(path),
        "-f", "f32le", "-ac", "1", "-ar", str(SAMPLE_RATE), "pipe:1",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").copy()


def probe(path: str | Path) -> dict[str, Any]:
    """ffprobe's view of a file: ``{"format": {..., "tags": {...}}, "chapters": [...]}``."""
    cmd = ["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of", "json", str(path)]
    out = subprocess.run(cmd, capture_output=True, check=True, text=True).stdout
    return json.loads(out)


# --- samples and windows ---------------------------------------------------------


def as_float(x: np.ndarray) -> np.ndarray:
    """float64 samples in [-1, 1]; int16 input is divided by 32768."""
    if x.dtype == np.int16:
        return x.astype(np.float64) / 32768.0
    return x.astype(np.float64)


def ms_to_samples(ms: int) -> int:
    return (ms * SAMPLE_RATE + 500) // 1000


def duration_ms(x: np.ndarray) -> float:
    """Length in (fractional) milliseconds."""
    return len(x) * 1000.0 / SAMPLE_RATE


def window(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None) -> np.ndarray:
    """The samples of ``[start_ms, end_ms)`` as float64 (clamped to the signal)."""
    lo = max(0, ms_to_samples(start_ms))
    hi = len(x) if end_ms is None else min(len(x), ms_to_samples(end_ms))
    return as_float(x[lo : max(lo, hi)])


def to_dbfs(amplitude: float) -> float:
    """20·log10 of an amplitude relative to full scale (1.0); 0 gives FLOOR_DBFS."""
    return FLOOR_DBFS if amplitude <= 0 else max(FLOOR_DBFS, 20.0 * float(np.log10(amplitude)))


def rms_dbfs(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None) -> float:
    """RMS level of a window in dBFS (a full-scale sine measures -3 dBFS)."""
    w = window(x, start_ms, end_ms)
    return to_dbfs(float(np.sqrt(np.mean(w**2)))) if len(w) else FLOOR_DBFS


def peak_dbfs(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None) -> float:
    """Peak absolute sample of a window in dBFS."""
    w = window(x, start_ms, end_ms)
    return to_dbfs(float(np.max(np.abs(w)))) if len(w) else FLOOR_DBFS


def level_track(
    x: np.ndarray, start_ms: int = 0, end_ms: int | None = None, frame_ms: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """RMS dBFS of consecutive ``frame_ms`` frames: (frame start times in ms, levels)."""
    start_ms = max(0, start_ms)
    w = window(x, start_ms, end_ms)
    n = ms_to_samples(frame_ms)
    count = len(w) // n
    if count == 0:
        return np.zeros(0), np.zeros(0)
    frames = w[: count * n].reshape(count, n)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    with np.errstate(divide="ignore"):
        levels = np.maximum(FLOOR_DBFS, 20.0 * np.log10(np.maximum(rms, 1e-12)))
    times = start_ms + np.arange(count) * frame_ms
    return times.astype(np.float64), levels


# --- silence, onsets and clicks ---------------------------------------------------


def is_silent(
    x: np.ndarray,
    start_ms: int = 0,
    end_ms: int | None = None,
    threshold_dbfs: float = SILENCE_DBFS,
) -> bool:
    """True when every 10 ms frame of the window is below ``threshold_dbfs`` RMS."""
    _, levels = level_track(x, start_ms, end_ms)
    if len(levels) == 0:
        return rms_dbfs(x, start_ms, end_ms) < threshold_dbfs
    return bool(np.all(levels < threshold_dbfs))


def is_digital_silence(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None) -> bool:
    """True when every sample of the window is exactly zero."""
    return bool(np.all(window(x, start_ms, end_ms) == 0.0))


def silent_spans(
    x: np.ndarray,
    threshold_dbfs: float = SILENCE_DBFS,
    min_ms: int = 100,
    frame_ms: int = 10,
) -> list[tuple[int, int]]:
    """Spans ``(start_ms, end_ms)`` at least ``min_ms`` long whose frames are all quiet."""
    times, levels = level_track(x, 0, None, frame_ms)
    quiet = levels < threshold_dbfs
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for t, q in zip(times.astype(int), quiet):
        if q and start is None:
            start = int(t)
        elif not q and start is not None:
            if t - start >= min_ms:
                spans.append((start, int(t)))
            start = None
    if start is not None:
        end = int(times[-1]) + frame_ms
        if end - start >= min_ms:
            spans.append((start, end))
    return spans


def onset_ms(
    x: np.ndarray,
    start_ms: int = 0,
    end_ms: int | None = None,
    threshold_dbfs: float = -40.0,
    frame_ms: int = 2,
) -> int | None:
    """Start of the first ``frame_ms`` frame in the window louder than ``threshold_dbfs``.

    Resolution is ``frame_ms``; None when nothing in the window is that loud.
    """
    times, levels = level_track(x, start_ms, end_ms, frame_ms)
    loud = np.nonzero(levels >= threshold_dbfs)[0]
    return int(times[loud[0]]) if len(loud) else None


def offset_ms(
    x: np.ndarray,
    start_ms: int = 0,
    end_ms: int | None = None,
    threshold_dbfs: float = -40.0,
    frame_ms: int = 2,
) -> int | None:
    """End of the last ``frame_ms`` frame in the window louder than ``threshold_dbfs``."""
    times, levels = level_track(x, start_ms, end_ms, frame_ms)
    loud = np.nonzero(levels >= threshold_dbfs)[0]
    return int(times[loud[-1]]) + frame_ms if len(loud) else None


def max_jump(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None) -> float:
    """Largest absolute sample-to-sample difference in the window (float scale).

    A click is a jump far larger than the signal's own steps: a sine of amplitude A at
    f Hz never steps more than 2·pi·f/44100·A.
    """
    w = window(x, start_ms, end_ms)
    return float(np.max(np.abs(np.diff(w)))) if len(w) > 1 else 0.0


# --- pitch -----------------------------------------------------------------------


def dominant_freq_hz(
    x: np.ndarray,
    start_ms: int = 0,
    end_ms: int | None = None,
    fmin_hz: float = PITCH_MIN_HZ,
    fmax_hz: float = PITCH_MAX_HZ,
) -> float | None:
    """Frequency of the strongest spectral peak in [fmin_hz, fmax_hz] (Hann window,
    zero-padded FFT, parabolic interpolation); None for a silent window."""
    w = window(x, start_ms, end_ms)
    if len(w) < 16 or not np.any(w):
        return None
    n_fft = max(1 << 15, 1 << int(np.ceil(np.log2(len(w)))))
    spectrum = np.abs(np.fft.rfft(w * np.hanning(len(w)), n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / SAMPLE_RATE)
    band = np.nonzero((freqs >= fmin_hz) & (freqs <= fmax_hz))[0]
    k = int(band[np.argmax(spectrum[band])])
    if 0 < k < len(spectrum) - 1:
        a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-20)
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom != 0 else 0.0
        return float((k + shift) * SAMPLE_RATE / n_fft)
    return float(freqs[k])


def pitch_track(
    x: np.ndarray,
    start_ms: int = 0,
    end_ms: int | None = None,
    frame_ms: int = PITCH_FRAME_MS,
    hop_ms: int = PITCH_HOP_MS,
    fmin_hz: float = PITCH_MIN_HZ,
    fmax_hz: float = PITCH_MAX_HZ,
    min_dbfs: float = -60.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Dominant frequency of overlapping frames: (frame centre times in ms, Hz).

    Frames quieter than ``min_dbfs`` RMS are left out.
    """
    stop = int(duration_ms(x)) if end_ms is None else end_ms
    times: list[float] = []
    freqs: list[float] = []
    for t0 in range(start_ms, stop - frame_ms + 1, hop_ms):
        if rms_dbfs(x, t0, t0 + frame_ms) < min_dbfs:
            continue
        f = dominant_freq_hz(x, t0, t0 + frame_ms, fmin_hz, fmax_hz)
        if f is not None:
            times.append(t0 + frame_ms / 2)
            freqs.append(f)
    return np.array(times), np.array(freqs)


def pitch_slope(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None, **track_kwargs: Any) -> float | None:
    """Slope of a straight-line fit to the pitch track, in semitones per second.

    Semitones (12·log2 f) make the slope independent of the register. None when fewer
    than three frames have a pitch.
    """
    times, freqs = pitch_track(x, start_ms, end_ms, **track_kwargs)
    if len(times) < 3:
        return None
    semitones = 12.0 * np.log2(freqs)
    slope_per_ms = np.polyfit(times, semitones, 1)[0]
    return float(slope_per_ms * 1000.0)


def pitch_direction(
    x: np.ndarray,
    start_ms: int = 0,
    end_ms: int | None = None,
    min_semitones_per_s: float = 0.5,
    **track_kwargs: Any,
) -> Direction:
    """``rising``/``falling`` when the fitted slope exceeds ``min_semitones_per_s``,
    ``flat`` otherwise, ``unknown`` without enough pitched frames."""
    slope = pitch_slope(x, start_ms, end_ms, **track_kwargs)
    if slope is None:
        return "unknown"
    if slope >= min_semitones_per_s:
        return "rising"
    if slope <= -min_semitones_per_s:
        return "falling"
    return "flat"


def is_rising(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None, **kw: Any) -> bool:
    return pitch_direction(x, start_ms, end_ms, **kw) == "rising"


def is_falling(x: np.ndarray, start_ms: int = 0, end_ms: int | None = None, **kw: Any) -> bool:
    return pitch_direction(x, start_ms, end_ms, **kw) == "falling"


# --- test signals ----------------------------------------------------------------


def voice_like(dur_ms: int, f0_hz: float = 140.0, peak_dbfs: float = -6.0, seed: int = 0) -> np.ndarray:
    """A speech-like int16 clip: harmonics of ``f0_hz`` under a syllable-rate (4 Hz)
    amplitude modulation, a gentle vibrato, 10 ms fades at both ends, peak ``peak_dbfs``.

    Deterministic for a given seed; stands in for a voice backend in tests.
    """
    rng = np.random.default_rng(seed)
    n = ms_to_samples(dur_ms)
    t = np.arange(n) / SAMPLE_RATE
    vibrato = 1.0 + 0.02 * np.sin(2 * np.pi * 5.0 * t)
    phase = 2 * np.pi * f0_hz * np.cumsum(vibrato) / SAMPLE_RATE
    wave = np.zeros(n)
    for h in range(1, 9):
        wave += (1.0 / h) * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t - np.pi / 2) ** 2
    wave *= syllables
    fade = min(ms_to_samples(10), n // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
        wave[:fade] *= ramp
        wave[n - fade :] *= ramp[::-1]
    peak = np.max(np.abs(wave)) if n else 1.0
    wave *= 10 ** (peak_dbfs / 20) / (peak or 1.0)
    return np.round(wave * 32767).astype(np.int16)


# --- loudness (ffmpeg's ebur128 filter: ITU-R BS.1770) ------------------------------------


def loudness(path: str | Path) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of a file, as ffmpeg's
    ``ebur128=peak=true`` measures it (the "I:" and "Peak:" of its summary)."""
    import re

    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def decode_stereo(path: str | Path) -> np.ndarray:
    """Decode to float32 (n, 2) at 44.1 kHz (a mono file gives two equal channels)."""
    cmd = [
        "ffmpeg", "-v", "error", "-nostdin", "-i", str(path),
        "-f", "f32le", "-ac", "2", "-ar", str(SAMPLE_RATE), "pipe:1",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").reshape(-1, 2).copy()


def speechy(seconds: float, rate: int = 48_000, lead_s: float = 0.5, tail_s: float = 0.8, noise_db: float = -60):
    """Syllable-like bursts of a voiced tone between quiet room noise, float32."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * rate)) / rate
    voiced = sum(np.sin(2 * np.pi * 160 * k * t) / k for k in range(1, 6))
    env = (np.sin(2 * np.pi * 3 * t) > -0.3).astype(np.float64)
    words = 0.3 * voiced * env
    x = np.concatenate([np.zeros(int(lead_s * rate)), words, np.zeros(int(tail_s * rate))])
    return (x + rng.normal(0, 10 ** (noise_db / 20), len(x))).astype(np.float32)
