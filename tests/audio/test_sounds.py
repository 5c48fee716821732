"""Breath tones and bells, measured as PCM."""

from __future__ import annotations

import math

import numpy as np
import pytest

import audiocheck as ac
from matcue.audio import sounds
from matcue.core.pcm import SAMPLE_RATE, ms_to_samples

VOICE_PEAK_DBFS = -6.0


# --- breath tones -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["inhale", "exhale"])
@pytest.mark.parametrize("dur_ms", [1, 2, 3, 7, 40, 150, 399, 1000, 4000, 12_345])
def test_breath_tone_any_length_is_well_formed(kind: str, dur_ms: int) -> None:
    x = sounds.breath_tone(kind, dur_ms)
    assert x.dtype == np.float32
    assert len(x) == ms_to_samples(dur_ms)
    assert np.all(np.isfinite(x))
    assert np.max(np.abs(x)) < 0.2
    assert x[0] == 0.0 and abs(float(x[-1])) < 1e-6  # fades start and end at zero


@pytest.mark.parametrize("kind", ["inhale", "exhale"])
def test_breath_tone_rejects_empty(kind: str) -> None:
    with pytest.raises(ValueError):
        sounds.breath_tone(kind, 0)


def test_unknown_breath_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown breath tone"):
        sounds.breath_tone("hold", 1000)


def _assert_glide_matches(x: np.ndarray, kind: str, dur_ms: int) -> None:
    """The measured pitch at 10 %, 50 % and 90 % of the tone is the designed glide's."""
    for frac in (0.1, 0.5, 0.9):
        centre_ms = round(frac * dur_ms)
        measured = ac.dominant_freq_hz(x, centre_ms - 50, centre_ms + 50)
        assert measured == pytest.approx(sounds.glide_freq_hz(kind, frac), rel=0.02)
    low, high = sounds.TONE_LOW_HZ, sounds.TONE_HIGH_HZ
    assert (low, high) == (220.0, 330.0)


@pytest.mark.parametrize("dur_ms", [1500, 4000, 7000])
def test_inhale_rises_through_a_fifth(dur_ms: int) -> None:
    x = sounds.breath_tone("inhale", dur_ms)
    assert ac.pitch_direction(x) == "rising"
    _assert_glide_matches(x, "inhale", dur_ms)
    # a fifth over the event: 7.02 semitones
    slope = ac.pitch_slope(x)
    assert slope is not None
    assert slope == pytest.approx(12 * math.log2(1.5) / (dur_ms / 1000), rel=0.1)


@pytest.mark.parametrize("dur_ms", [1500, 4000, 7000])
def test_exhale_falls_through_a_fifth(dur_ms: int) -> None:
    x = sounds.breath_tone("exhale", dur_ms)
    assert ac.pitch_direction(x) == "falling"
    _assert_glide_matches(x, "exhale", dur_ms)


def test_short_truncated_phase_still_glides() -> None:
    x = sounds.breath_tone("inhale", 600)
    assert ac.pitch_direction(x, frame_ms=40, hop_ms=10) == "rising"


def test_inhale_and_exhale_meet_at_the_same_pitch() -> None:
    assert sounds.glide_freq_hz("inhale", 1.0) == pytest.approx(sounds.glide_freq_hz("exhale", 0.0))
    assert sounds.glide_freq_hz("inhale", 0.0) == pytest.approx(sounds.TONE_LOW_HZ)


def test_tone_level_is_well_below_the_voice() -> None:
    x = sounds.breath_tone("exhale", 6000)
    tone_dbfs = ac.rms_dbfs(x, 500, 5500)
    assert tone_dbfs == pytest.approx(sounds.TONE_GAIN_DB, abs=0.5)
    voice = ac.voice_like(3000, peak_dbfs=VOICE_PEAK_DBFS)
    voice_dbfs = ac.rms_dbfs(voice)
    assert voice_dbfs - tone_dbfs >= 8.0
    assert ac.peak_dbfs(x) <= VOICE_PEAK_DBFS - 12.0


def test_tone_fades_in_and_out() -> None:
    x = sounds.breath_tone("inhale", 4000)
    body = ac.rms_dbfs(x, 1000, 3000)
    assert ac.rms_dbfs(x, 0, 20) < body - 20
    assert ac.rms_dbfs(x, 3980, 4000) < body - 20
    assert ac.rms_dbfs(x, 200, 400) == pytest.approx(body, abs=1.0)  # full level after 200 ms


def test_tone_has_continuous_phase() -> None:
    """No step bigger than the tone's own highest-harmonic slope: no clicks anywhere."""
    x = sounds.breath_tone("inhale", 5000)
    amp = 10 ** (sounds.TONE_GAIN_DB / 20) * math.sqrt(2)
    bound = 2 * math.pi * 3 * sounds.TONE_HIGH_HZ / SAMPLE_RATE * amp
    assert ac.max_jump(x) < bound


# --- bells ------------------------------------------------------------------------


def test_bell_lengths_are_in_range() -> None:
    assert set(sounds.BELL_MS) == {"start", "end", "switch", "soft", "interval"}
    for dur_ms in sounds.BELL_MS.values():
        assert 1200 <= dur_ms <= 3000


@pytest.mark.parametrize("sound", sorted(sounds.BELL_MS))
def test_bell_decays_to_silence(sound: str) -> None:
    dur_ms = sounds.BELL_MS[sound]
    x = sounds.bell(sound, dur_ms)
    assert x.dtype == np.float32 and len(x) == ms_to_samples(dur_ms)
    assert x[-1] == 0.0
    assert ac.rms_dbfs(x, dur_ms - 50) < -60.0
    head = ac.rms_dbfs(x, 0, 300)
    assert head > -35.0
    assert ac.rms_dbfs(x, dur_ms - 300) < head - 40.0


@pytest.mark.parametrize("sound", sorted(sounds.BELL_MS))
def test_bell_has_no_click_at_onset(sound: str) -> None:
    x = sounds.bell(sound, sounds.BELL_MS[sound])
    assert x[0] == 0.0
    first_ms = ac.max_jump(x, 0, 1)
    assert first_ms < 0.25 * ac.max_jump(x)
    assert ac.peak_dbfs(x, 0, 1) < ac.peak_dbfs(x) - 15.0


@pytest.mark.parametrize("sound", sorted(sounds.BELL_MS))
def test_bell_is_quieter_than_the_voice(sound: str) -> None:
    x = sounds.bell(sound, sounds.BELL_MS[sound])
    assert ac.peak_dbfs(x) <= VOICE_PEAK_DBFS - 5.0


@pytest.mark.parametrize("sound", sorted(sounds.BELL_MS))
@pytest.mark.parametrize("dur_ms", [1, 5, 300, 900])
def test_bell_cut_short_still_ends_silent(sound: str, dur_ms: int) -> None:
    x = sounds.bell(sound, dur_ms)
    assert len(x) == ms_to_samples(dur_ms)
    assert abs(float(x[-1])) < 1e-6
    if dur_ms >= 300:
        assert ac.rms_dbfs(x, dur_ms - 5) < -60.0


def test_bell_longer_than_natural_is_padded_with_silence() -> None:
    natural_ms = sounds.BELL_MS["start"]
    x = sounds.bell("start", natural_ms + 1000)
    assert ac.is_digital_silence(x, natural_ms, natural_ms + 1000)
    np.testing.assert_array_equal(x[: ms_to_samples(natural_ms)], sounds.bell("start", natural_ms))


def test_bells_sound_different() -> None:
    pitch = {s: ac.dominant_freq_hz(sounds.bell(s, sounds.BELL_MS[s]), 0, 250) for s in sounds.BELL_MS}
    assert pitch["end"] is not None and pitch["start"] is not None
    # the start bell rings on the pitch the first inhale glide starts from
    assert abs(pitch["start"] - sounds.TONE_LOW_HZ) < 5
    assert len({round(p or 0) for p in pitch.values()}) == len(pitch)


def _onsets(x: np.ndarray) -> int:
    """Number of jumps of ≥ 3 dB between consecutive 20 ms frames (strikes)."""
    _, levels = ac.level_track(x, 0, None, 20)
    rises = np.nonzero(np.diff(levels) >= 3.0)[0]
    groups = 0
    last = -10
    for i in rises:
        if i - last > 3:
            groups += 1
        last = i
    return groups + 1  # the first strike rises from silence within its first frame


def test_end_and_switch_bells_strike_twice() -> None:
    assert _onsets(sounds.bell("start", sounds.BELL_MS["start"])) == 1
    assert _onsets(sounds.bell("end", sounds.BELL_MS["end"])) == 2
    assert _onsets(sounds.bell("switch", sounds.BELL_MS["switch"])) == 2


def test_switch_bell_has_two_notes() -> None:
    x = sounds.bell("switch", sounds.BELL_MS["switch"])
    first = ac.dominant_freq_hz(x, 50, 350)
    second = ac.dominant_freq_hz(x, 450, 750)
    assert first is not None and second is not None
    assert second > first * 1.1


def test_soft_bell_is_the_gentlest() -> None:
    soft = ac.peak_dbfs(sounds.bell("soft", sounds.BELL_MS["soft"]))
    for other in ("start", "end", "switch"):
        assert soft < ac.peak_dbfs(sounds.bell(other, sounds.BELL_MS[other])) - 4.0


def test_interval_bell_is_a_short_tick() -> None:
    x = sounds.bell("interval", sounds.BELL_MS["interval"])
    assert ac.rms_dbfs(x, 500, 600) < ac.rms_dbfs(x, 0, 100) - 30.0


def test_unknown_bell_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown bell"):
        sounds.bell("gong", 1000)
