"""A deterministic stand-in voice for tests: fast, no external tools, speech-like audio.

A phrase lasts ``(40 ms per character + 200 ms) * 150 / rate``. The signal is a few
harmonics of 140 Hz inside the 150-3000 Hz speech band, amplitude-modulated at a syllable
rate, peaking at -6 dBFS, with 5 ms fades. The same text and spec always give the same
samples. Every call is counted so tests can assert how many phrases were synthesized.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable

import numpy as np

from matcue.core.errors import VoiceError, shown
from matcue.core.pcm import SAMPLE_RATE
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec
from matcue.voice.registry import EVERY_LANGUAGE
from matcue.voice.wav import fade_edges

MS_PER_CHAR = 40
BASE_MS = 200
REFERENCE_RATE_WPM = 150
F0_HZ = 140.0
HARMONICS = (2, 3, 4, 5, 7, 10, 14, 20)  # 280 Hz .. 2800 Hz
SYLLABLE_HZ = 4.0
PEAK_DBFS = -6.0
FADE_MS = 5


def fake_length_ms(text: str, rate_wpm: int) -> int:
    """How long the fake voice takes to say ``text``."""
    rate = max(1, int(rate_wpm))
    return (len(text) * MS_PER_CHAR + BASE_MS) * REFERENCE_RATE_WPM // rate


def fake_samples(text: str, rate_wpm: int) -> np.ndarray:
    """The fake voice's samples for ``text`` (pure function)."""
    n = fake_length_ms(text, rate_wpm) * SAMPLE_RATE // 1000
    t = np.arange(n) / SAMPLE_RATE
    seed = zlib.crc32(text.encode("utf-8")) / 2**32  # different texts, different waveforms
    tone = sum(np.sin(2 * np.pi * (F0_HZ * h * t + seed * h)) / h for h in HARMONICS)
    syllable_hz = SYLLABLE_HZ * max(1, int(rate_wpm)) / REFERENCE_RATE_WPM
    envelope = 0.65 - 0.35 * np.cos(2 * np.pi * syllable_hz * t)  # 0.3 .. 1.0
    signal = np.asarray(tone) * envelope
    peak = float(np.max(np.abs(signal))) if n else 1.0
    scale = 32767 * 10 ** (PEAK_DBFS / 20) / (peak or 1.0)
    return fade_edges(signal * scale, SAMPLE_RATE, FADE_MS)


class FakeVoice:
    """Test voice. ``calls`` counts synthesize() calls; ``texts`` records them in order.

    ``fail_on``: phrases that raise VoiceError, to test error handling.
    """

    name = "fake"
    languages = (EVERY_LANGUAGE,)  # speaks every language: tests of any language use it
    parallel = False  # cheap: speak_all runs it inline

    def __init__(self, fail_on: Iterable[str] = ()):
        self.fail_on = frozenset(fail_on)
        self.calls = 0
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def available(self) -> bool:
        return True

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id="fake", name="Fake test voice", languages=(EVERY_LANGUAGE,))]

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        with self._lock:
            self.calls += 1
            self.texts.append(text)
        if text in self.fail_on:
            raise VoiceError(f"fake voice refuses to speak {shown(text)}")
        return Clip(fake_samples(text, spec.rate))

    def reset(self) -> None:
        with self._lock:
            self.calls = 0
            self.texts.clear()


__all__ = ["FakeVoice", "fake_length_ms", "fake_samples"]
