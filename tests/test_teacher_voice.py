"""The teacher's own voice, end to end: routines/teacher-voice.yaml renders with its
recordings (routines/teacher-voice/), and the decoded MP3 is measured: each recorded clip
plays at its scripted time and at the synthesized speech's level, the rest is the
synthesized voice, the captions still carry every text, and a clip too long for its place
is refused before anything is written."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import audiocheck as ac
from matcue.audio.mixdown import LoudnessMeter, integrated_lufs
from matcue.cli.main import cli

pytestmark = [pytest.mark.ffmpeg, pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")]

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "routines" / "teacher-voice.yaml"
PELVIS = "Keep your pelvis anchored down into the mat."


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from matcue.api import VoiceOverrides, build_timeline

    base = tmp_path_factory.mktemp("teacher-voice")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        runner = CliRunner()
        r = runner.invoke(cli, ["render", str(EXAMPLE), "--backend", "fake", "-o", str(base), "--captions", "vtt"])
        assert r.exit_code == 0, r.output
        s = runner.invoke(cli, ["script", str(EXAMPLE), "--backend", "fake", "--json"])
        assert s.exit_code == 0, s.output
        built = build_timeline(EXAMPLE, voice=VoiceOverrides(backend="fake"))
    (mp3,) = base.glob("*.mp3")
    return {"render": r, "mp3": mp3, "audio": ac.decode(mp3), "script": json.loads(s.stdout), "built": built}


def best_lag_ms(audio: np.ndarray, clip: np.ndarray, at_ms: int, search_ms: int = 250) -> tuple[int, float]:
    """(lag of the best match of ``clip`` in ``audio`` around ``at_ms``, in ms; its
    normalized correlation), by FFT over +-``search_ms``."""
    c = ac.as_float(clip)
    lo = ac.ms_to_samples(max(0, at_ms - search_ms))
    x = ac.as_float(audio[lo : lo + len(c) + 2 * ac.ms_to_samples(search_ms)])
    n = 1 << int(np.ceil(np.log2(len(x) + len(c))))
    corr = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(c, n)), n)[: len(x) - len(c) + 1]
    energy = np.sqrt(np.convolve(x**2, np.ones(len(c)), "valid")) * np.sqrt(np.sum(c**2))
    score = corr / np.maximum(energy, 1e-12)
    k = int(np.argmax(score))
    return round((lo + k) * 1000 / ac.SAMPLE_RATE) - at_ms, float(score[k])


def speech(rendered, source: str) -> list[dict]:
    return [e for e in rendered["script"]["events"] if e["kind"] == "speech" and e["source"] == source]


def test_the_render_says_how_many_phrases_came_from_recordings(rendered) -> None:
    assert "7 of 14 phrases from recordings, 7 synthesized" in rendered["render"].stderr
    names = {e["recording"] for e in speech(rendered, "recorded")}
    on_disk = {p.name for p in (EXAMPLE.parent / "teacher-voice").iterdir()} - {"index.yaml"}
    assert names == on_disk  # every clip used, the one named in index.yaml too


def test_each_recorded_clip_plays_at_its_scripted_time(rendered) -> None:
    clips = rendered["built"].clips
    for e in speech(rendered, "recorded"):
        lag, score = best_lag_ms(rendered["audio"], clips[e["text"]].samples, e["start_ms"])
        assert abs(lag) <= 15 and score > 0.8, (e["text"], lag, score)


def test_the_rest_is_the_synthesized_voice(rendered) -> None:
    clips = rendered["built"].clips
    synthesized = speech(rendered, "synthesized")
    assert {e["text"] for e in synthesized} >= {"Leg up. Right side.", "Switch sides.", "Three."}
    for e in synthesized:
        lag, score = best_lag_ms(rendered["audio"], clips[e["text"]].samples, e["start_ms"])
        assert abs(lag) <= 15 and score > 0.8, (e["text"], lag, score)


def test_recorded_and_synthesized_speech_sit_at_one_level(rendered) -> None:
    def lufs(e: dict) -> float | None:
        meter = LoudnessMeter(1)
        meter.feed(ac.window(rendered["audio"], e["start_ms"], e["end_ms"])[None, :])
        return integrated_lufs(meter.segments())

    # the synthesized voice's cues (counting words are single words, raised by the mix preset)
    cues = {(e.start_ms, e.text) for e in rendered["built"].timeline.events if e.role == "cue"}
    synth = [lufs(e) for e in speech(rendered, "synthesized") if (e["start_ms"], e["text"]) in cues]
    assert len(synth) >= 4 and None not in synth
    ref = float(np.median(synth))
    for e in speech(rendered, "recorded"):
        assert abs(lufs(e) - ref) <= 1.0, (e["text"], lufs(e), ref)


def test_the_captions_still_carry_the_recorded_words(rendered) -> None:
    vtt = rendered["mp3"].with_suffix(".vtt").read_text()
    for e in speech(rendered, "recorded"):
        assert e["text"] in vtt


def _overrunning_copy(tmp_path: Path) -> Path:
    """The example with the pelvis cue re-recorded 12 s long: its hold has 10 s for it."""
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    folder = shutil.copytree(EXAMPLE.parent / "teacher-voice", tmp_path / "teacher-voice")
    (old,) = folder.glob("keep-your-pelvis-*")
    old.unlink()
    t = np.arange(12 * 16_000) / 16_000
    x = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > -0.3) * 32767).astype("<i2")
    with wave.open(str(folder / f"{old.stem}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(x.tobytes())
    return tmp_path / EXAMPLE.name


def test_a_clip_too_long_for_its_place_is_refused_and_nothing_is_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    routine = _overrunning_copy(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["render", str(routine), "--backend", "fake", "-o", str(out)])
    assert r.exit_code == 1
    expected = (
        f"{routine}:38:14: steps[2].during[0].say: the cue {PELVIS!r} at 2.0s, recorded in "
        "'keep-your-pelvis-anchored-down-913ecc.wav', takes 12.0s and runs 2.0s into the next cue at 12.0s "
        "(record it again, at most 10.0s, or start it earlier)"
    )
    assert expected in r.stderr, r.stderr
    assert not out.exists() or not any(out.iterdir())
    c = CliRunner().invoke(cli, ["check", str(routine)])
    assert c.exit_code == 1 and expected in c.stderr, c.stderr
