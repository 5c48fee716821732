"""PCM conventions shared by the voice, sound and render stages."""

from __future__ import annotations

SAMPLE_RATE = 44_100  # Hz, every clip and the final mix
CHANNELS = 1


def ms_to_samples(ms: int) -> int:
    """Sample index of an integer-millisecond time (exact for 44.1 kHz: 44.1 samples/ms)."""
    return (ms * SAMPLE_RATE + 500) // 1000


def samples_to_ms(n: int) -> int:
    return (n * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE
