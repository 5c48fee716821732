"""The cleaning of a recorded clip: the high-pass filter, the trim, the gate, the level."""

from __future__ import annotations

import numpy as np
import pytest

import audiocheck as ac
from matcue.core.paths import Unreadable
from matcue.core.pcm import SAMPLE_RATE
from matcue.voice.cleaning import clean, high_pass


def tone(hz: float, seconds: float = 1.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return level * np.sin(2 * np.pi * hz * t)


def level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(max(float(np.mean(x**2)), 1e-20)))


@pytest.mark.parametrize(
    ("hz", "lo", "hi"), [(20.0, -200.0, -60.0), (70.0, -9.0, -3.0), (150.0, -0.2, 0.2), (1000.0, -0.2, 0.2)]
)
def test_the_high_pass_removes_rumble_and_keeps_the_voice(hz: float, lo: float, hi: float) -> None:
    x = tone(hz)
    gain = level_db(high_pass(x)) - level_db(x)
    assert lo < gain < hi, gain


def test_an_offset_alone_comes_out_silent_and_a_voice_on_one_keeps_its_shape() -> None:
    assert float(np.abs(high_pass(np.full(SAMPLE_RATE, 0.3))).max()) < 1e-9
    voice = tone(300.0)
    y = high_pass(voice + 0.2)
    assert float(np.abs(y - voice).max()) < 1e-3  # zero phase: no shift, no start-up transient


def test_cleaning_trims_the_room_gates_it_and_brings_the_words_to_full_scale() -> None:
    rate = SAMPLE_RATE
    x = ac.speechy(2.0, rate, lead_s=1.0, tail_s=1.5, noise_db=-50)
    y = ac.as_float(clean(x))
    assert abs(len(y) / rate - (2.0 + 0.06 + 0.15)) < 0.03  # trimmed to the words and their margins
    assert -1.2 < ac.peak_dbfs(y) <= -0.9
    # the noise in a pause between words, before and after: 12 dB lower, relative to the words
    words_gain = ac.rms_dbfs(y, 60, 2060) - ac.rms_dbfs(x, 1000, 3000)
    lead_gain = ac.rms_dbfs(y, 0, 40) - ac.rms_dbfs(x, 940, 980)
    assert lead_gain - words_gain < -8, (lead_gain, words_gain)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.zeros(100, dtype=np.float32), "is silent (shorter than 10 ms)"),
        (np.zeros(SAMPLE_RATE, dtype=np.float32), "is silent (its loudest moment is -120 dBFS)"),
        (tone(440.0).astype(np.float32), "holds no speech"),
    ],
)
def test_a_clip_without_words_says_what_it_is(x: np.ndarray, message: str) -> None:
    with pytest.raises(Unreadable, match=message.replace("(", r"\(").replace(")", r"\)")):
        clean(x)


def test_a_header_that_would_make_the_decoder_take_a_gigabyte_is_refused_within_bounded_memory(tmp_path) -> None:
    """A 400 kB WAV declaring 1 Hz made ffmpeg take 1 GB to resample it; its heap is capped."""
    import struct
    import subprocess
    import sys

    data = b"\x00\x10" * 200_000
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, 1, 2, 2, 16)  # PCM, mono, 1 Hz, 16-bit
    wav = tmp_path / "one-hertz.wav"
    wav.write_bytes(
        b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    probe = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from matcue.voice.cleaning import decode\n"
        "from matcue.core.paths import Unreadable\n"
        "try:\n    decode(Path(sys.argv[1]))\nexcept Unreadable as e:\n    print(e)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(wav)], capture_output=True, text=True, check=True).stdout
    message, peak_mb = out.splitlines()
    assert message.startswith("cannot be decoded as audio")
    assert int(peak_mb) < 400, f"the decoder took {peak_mb} MB"  # uncapped: about 1000 MB
