"""A recorded clip made ready to stand for a phrase: decoded, high-passed, trimmed, gated
and brought to full scale.

:func:`decode` reads any file ffmpeg reads as mono float32 at the mix rate, at most
:data:`MAX_CLIP_MS` of it, without what lies under 80 Hz (:func:`high_pass`);
:func:`clean` trims the silence around the words, lowers the room between them and
brings the loudest moment to -1 dBFS. Each raises :class:`matcue.core.paths.Unreadable`
saying what the clip is instead (not audio, too long, silent, no speech), and
:mod:`matcue.voice.recordings` names the clip's file. Bump :data:`PROCESS_VERSION` when
what comes out changes: cached clips are then made again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcue.core.paths import Unreadable
from matcue.core.pcm import SAMPLE_RATE, samples_to_ms

MAX_CLIP_MS = 120_000  # a phrase may be a long welcome, not a whole session
SILENT_DBFS = -50.0  # a clip whose loudest 10 ms stay below this is silent
GATE_DB = -12.0  # how far the gate lowers the room between words
HIGH_PASS_HZ = (40.0, 100.0)  # nothing below the first, all above the second (-6 dB near 70 Hz)
DECODE_TIMEOUT_S = 60.0  # ffmpeg's time for one clip (at most two minutes of audio)
PROCESS_VERSION = 2  # bump when the cleaning changes: cached clips are made again (2: zero-phase high-pass)
CLIP_HINT = "a recording is an audio file ffmpeg reads: m4a, mp3, wav, ogg, opus, webm, flac"
_FRAME = SAMPLE_RATE // 100  # 10 ms


def decode(path: Path) -> np.ndarray:
    """Mono float32 at the mix rate, high-passed; Unreadable when it is not audio or too long."""
    from matcue.core.media import MusicError, ffmpeg_decode

    limit_s = MAX_CLIP_MS / 1000 + 0.5
    try:
        raw = ffmpeg_decode(
            path, limit_s, ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"], timeout_s=DECODE_TIMEOUT_S
        )
    except MusicError as e:
        what = str(e)
        raise Unreadable(f"cannot be decoded as audio ({CLIP_HINT})" if what.startswith("cannot") else what) from None
    x = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if len(x) == 0:
        raise Unreadable(f"holds no audio ({CLIP_HINT})")
    if samples_to_ms(len(x)) > MAX_CLIP_MS:
        raise Unreadable(
            f"lasts more than {MAX_CLIP_MS // 1000} s; a recording is one phrase, at most {MAX_CLIP_MS // 1000} s"
        )
    return high_pass(np.clip(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), -16.0, 16.0)).astype(np.float32)


def high_pass(x: np.ndarray, rate_hz: int = SAMPLE_RATE) -> np.ndarray:
    """``x`` without what lies under 80 Hz (handling noise, rumble, a DC offset): its mean
    taken away, then, in the frequency domain, nothing under 40 Hz and a raised-cosine
    slope to full level at 100 Hz. Zero phase and no start-up transient, so a clip that is
    only an offset comes out silent."""
    y = x - float(np.mean(x))
    spectrum = np.fft.rfft(y)
    f = np.fft.rfftfreq(len(y), 1 / rate_hz)
    ramp = np.clip((f - HIGH_PASS_HZ[0]) / (HIGH_PASS_HZ[1] - HIGH_PASS_HZ[0]), 0.0, 1.0)
    return np.fft.irfft(spectrum * (0.5 - 0.5 * np.cos(np.pi * ramp)), len(y))


def clean(x: np.ndarray) -> np.ndarray:
    """A decoded clip (float32 mono) trimmed, gated and at full scale, as int16.

    Trim: 10 ms frames; speech is what comes within 40 dB of the loudest frame, 10 dB
    above the room (the quietest tenth of the frames) and above -60 dBFS; 60 ms are kept
    before the first such frame and 150 ms after the last, so a soft onset or a trailing
    breath is not cut. Gate: frames below the room's level plus 8 dB (at most 30 dB under
    the loudest) are lowered by 12 dB, with 50 ms ramps. Unreadable when the clip is silent
    or holds no speech (never 10 dB above its quietest tenth)."""
    n = len(x) // _FRAME
    if n == 0:
        raise Unreadable("is silent (shorter than 10 ms)")
    frames = x[: n * _FRAME].reshape(n, _FRAME).astype(np.float64)
    db = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))
    peak = float(db.max())
    if peak < SILENT_DBFS:
        raise Unreadable(f"is silent (its loudest moment is {peak:.0f} dBFS)")
    room = float(np.percentile(db, 10))  # the quiet between words, or the room before them
    loud = np.flatnonzero(db >= max(peak - 40.0, room + 10.0, -60.0))
    if len(loud) == 0:  # never 10 dB above its quietest moments: a hum, a tone or the room alone
        raise Unreadable(
            f"holds no speech: its level stays within {peak - room:.0f} dB of its quietest moments "
            "(a steady tone, a hum or only the room)"
        )
    start = max(0, loud[0] * _FRAME - SAMPLE_RATE * 60 // 1000)
    stop = min(len(x), (loud[-1] + 1) * _FRAME + SAMPLE_RATE * 150 // 1000)
    y = x[start:stop].astype(np.float32)
    first, last = start // _FRAME, min(n, -(-stop // _FRAME))
    part = db[first:last]
    floor = float(np.percentile(part, 10))
    gate = min(floor + 8.0, peak - 30.0)
    gain = np.where(part >= gate, 1.0, 10 ** (GATE_DB / 20))
    gain = np.convolve(gain, np.ones(5) / 5, mode="same")  # 50 ms ramps
    centres = (np.arange(first, last) * _FRAME + _FRAME / 2) - start
    y *= np.interp(np.arange(len(y)), centres, gain).astype(np.float32)
    top = float(np.abs(y).max())
    y *= np.float32(10 ** (-1 / 20) / top)  # -1 dBFS
    return np.clip(np.rint(y * 32767), -32768, 32767).astype(np.int16)
