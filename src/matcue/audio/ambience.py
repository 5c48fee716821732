"""Ambience: any audio file ffmpeg reads, looped under the whole session.

The file is decoded once by ffmpeg to float32 at 44.1 kHz (mono, or stereo for a stereo
track) into a temporary file that is memory-mapped, so an hour of session never holds an
hour of music: a file is looped, not stretched. The loop point is hidden by an
equal-power crossfade of ``LOOP_XFADE_MS`` (the file's tail fades out over its head fading
in), written once into the loop body. The music fades in over ``FADE_IN_MS`` at the start
of the track and out over ``FADE_OUT_MS`` at its end, is scaled to a set RMS (the preset's
``music_db`` under the voice) and ducks under speech with the tones (:mod:`matcue.audio.mixer`).

Only files the user supplies are played; matcue ships no music.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from matcue.core.errors import RenderError
from matcue.core.media import MIN_LOOP_MS, MusicError, ffmpeg_decode
from matcue.core.paths import quoted
from matcue.core.pcm import SAMPLE_RATE, ms_to_samples

LOOP_XFADE_MS = 1500  # the crossfade at each loop point (shorter for a short file)
FADE_IN_MS = 4000
FADE_OUT_MS = 6000
RMS_CHUNK = 1 << 20  # samples per step when measuring the loop's level


class Ambience:
    """A decoded, loop-ready file: ``segment(b0, b1)`` is the music under samples [b0, b1)."""

    def __init__(self, path: Path, channels: int, total: int, gain: float):
        self.path = Path(path)
        self.channels = channels
        self.total = total
        self._tmp = tempfile.NamedTemporaryFile(prefix="matcue-ambience-", suffix=".f32", delete=False)  # noqa: SIM115
        self._tmp.close()
        try:
            _decode(self.path, Path(self._tmp.name), channels, total + ms_to_samples(LOOP_XFADE_MS))
            size = os.path.getsize(self._tmp.name) // (4 * channels)
            if size < ms_to_samples(MIN_LOOP_MS):
                raise RenderError(f"music file {quoted(self.path)} is too short to loop (under {MIN_LOOP_MS} ms)")
            data = np.memmap(self._tmp.name, dtype="<f4", mode="r+", shape=(size, channels))
            self.xfade = min(ms_to_samples(LOOP_XFADE_MS), size // 4)
            self.period = size - self.xfade if size < total else size  # a long file plays once
            if self.period < size:
                x = self.xfade
                t = (np.arange(x, dtype=np.float64) + 0.5) / x
                fade_in = np.sin(0.5 * np.pi * t)[:, None]
                fade_out = np.cos(0.5 * np.pi * t)[:, None]
                head = data[:x].astype(np.float64) * fade_in + data[size - x :].astype(np.float64) * fade_out
                data[:x] = head.astype(np.float32)
                data.flush()
            self.data = data
            rms = _rms(data[: self.period])
            self.gain = np.float32(gain / rms) if rms > 0 else np.float32(0.0)
        except BaseException:
            self.close()
            raise

    def segment(self, b0: int, b1: int) -> np.ndarray:
        """(channels, b1 - b0) float32: the looped, faded, scaled music; 0 beyond the track."""
        n = b1 - b0
        out = np.zeros((self.channels, n), dtype=np.float32)
        hi = min(b1, self.total)
        if hi <= b0 or self.gain == 0:
            return out
        idx = np.arange(b0, hi, dtype=np.int64) % self.period
        if self.period >= self.total:  # played once: plain slice
            seg = np.asarray(self.data[b0:hi])
        else:
            seg = np.asarray(self.data)[idx] if len(idx) else np.zeros((0, self.channels), np.float32)
        env = np.full(hi - b0, self.gain, dtype=np.float32)
        fin, fout = ms_to_samples(FADE_IN_MS), ms_to_samples(FADE_OUT_MS)
        pos = np.arange(b0, hi, dtype=np.float64)
        a = pos < fin
        env[a] *= (0.5 - 0.5 * np.cos(np.pi * pos[a] / fin)).astype(np.float32)
        z = pos >= self.total - fout
        env[z] *= (0.5 + 0.5 * np.cos(np.pi * (pos[z] - (self.total - fout) + 1) / fout)).astype(np.float32)
        out[:, : hi - b0] = (seg * env[:, None]).T
        return out

    def close(self) -> None:
        self.data = None  # type: ignore[assignment]
        try:
            os.unlink(self._tmp.name)
        except OSError:
            pass

    def __enter__(self) -> Ambience:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decode(path: Path, out: Path, channels: int, max_samples: int) -> None:
    try:
        ffmpeg_decode(
            path, max_samples / SAMPLE_RATE, ["-f", "f32le", "-ac", str(channels), "-ar", str(SAMPLE_RATE), str(out)]
        )
    except MusicError as e:
        hint = f" ({e.hint})" if e.hint else ""
        raise RenderError(f"music file {quoted(path)} {e}{hint}") from None


def _rms(data: np.ndarray) -> float:
    total = 0.0
    for i in range(0, len(data), RMS_CHUNK):
        chunk = np.asarray(data[i : i + RMS_CHUNK], dtype=np.float64)
        total += float(np.einsum("ij,ij->", chunk, chunk))
    n = len(data) * data.shape[1]
    return math.sqrt(total / n) if n else 0.0
