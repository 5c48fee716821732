"""Intelligibility of the default voice, measured: pocketsphinx word error rate on the cue set.

The figures and how they were measured: docs/voices.md. ``scripts/voicecheck`` prints them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from matcue.voice import registry
from matcue.voice.base import VoiceSpec
from matcue.voice.intelligibility import edit_distance, read_cues, score_voice, words_for_scoring

CUES = Path(__file__).parent / "data" / "cues.txt"
FRESH_MACHINE_MAX_WER = 0.25  # what scripts/setup installs (flite, from Debian main)
OPTIONAL_VOICES_MAX_WER = 0.15  # with scripts/setup-voices (RHVoice, pico2wave, MBROLA)


def test_cue_set_is_large_enough_to_measure_and_fair_to_the_recognizer() -> None:
    cues = read_cues(CUES)
    assert len(set(cues)) == len(cues) >= 100
    words = [w for c in cues for w in words_for_scoring(c)]
    assert len(words) >= 1200  # one misheard word moves the rate by less than 0.001
    assert "Sit tall on your mat and let your shoulders soften." in cues  # the written part
    assert "Flex your left foot, and reach for your toes." in cues  # the routines' part
    pocketsphinx = pytest.importorskip("pocketsphinx")
    dictionary = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    known = {line.split()[0] for line in dictionary.read_text(errors="replace").splitlines() if line.strip()}
    assert sorted(set(words) - known) == []  # no word the recognizer cannot know


def test_wer_scoring_normalizes_both_sides() -> None:
    assert words_for_scoring("Hold 30s, then switch-sides!") == ["hold", "thirty", "seconds", "then", "switch", "sides"]
    assert edit_distance("a b c d".split(), "a x c d e".split()) == 2


@pytest.mark.realvoice
def test_transcribing_in_worker_processes_hears_the_same_as_one_recognizer(voice_cache_dir: Path) -> None:
    _recognizer_or_skip()
    from matcue.pcm import SAMPLE_RATE
    from matcue.voice.cache import speak_all
    from matcue.voice.intelligibility import Recognizer, transcribe_all

    if not registry.get_backend("flite").available():
        pytest.skip("flite is not installed (scripts/setup installs it)")
    cues = ["Sit tall on your mat.", "Lie on your back and rest.", "Press your foot into the strap."]
    speech = speak_all(cues, VoiceSpec(backend="flite"))
    clips = [np.asarray(speech.clips[c].samples) for c in cues]
    heard = transcribe_all(clips, SAMPLE_RATE, workers=2)
    one = Recognizer()
    assert heard == [one.transcribe_samples(c, SAMPLE_RATE) for c in clips]  # same words, same order
    assert "back" in heard[1] and "foot" in heard[2]  # real words were heard


@pytest.mark.realvoice
def test_voicecheck_script_prints_the_word_error_rate(tmp_path: Path) -> None:
    """The script end to end (its transcription workers must be able to start)."""
    import subprocess
    import sys

    _recognizer_or_skip()
    if not registry.get_backend("flite").available():
        pytest.skip("flite is not installed (scripts/setup installs it)")
    cues = tmp_path / "cues.txt"
    cues.write_text("# two cues\nLie on your back and rest.\nBreathe into your left hip.\n")
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run(
        [sys.executable, str(root / "scripts" / "voicecheck.py"), "--backend", "flite", "--voice", "rms",
         "--cues", str(cues)],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "c")},
        timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    header, row = r.stdout.splitlines()
    assert header.endswith("(2 cues)")
    backend, voice, rate, wer = row.split()
    assert (backend, voice, rate) == ("flite", "rms", "150") and 0.0 <= float(wer) <= 1.0


def _recognizer_or_skip() -> None:
    pytest.importorskip("pocketsphinx", reason="pocketsphinx is not installed (pip install -e '.[test]')")


@pytest.mark.realvoice
@pytest.mark.slow
def test_default_voice_on_a_fresh_machine_is_intelligible(voice_cache_dir: Path) -> None:
    _recognizer_or_skip()
    flite = registry.get_backend("flite")
    if not flite.available():
        pytest.skip("flite is not installed (scripts/setup installs it)")
    spec = VoiceSpec(backend="flite", rate=flite.default_rate_wpm)  # its default voice, as auto speaks
    score = score_voice(read_cues(CUES), spec)
    assert score.wer <= FRESH_MACHINE_MAX_WER, [(c.cue, c.heard) for c in score.cues if c.errors]


@pytest.mark.realvoice
@pytest.mark.slow
def test_default_voice_with_the_optional_voices_is_intelligible(voice_cache_dir: Path) -> None:
    _recognizer_or_skip()
    if not any(registry.get_backend(n).available() for n in ("rhvoice", "pico2wave")):
        pytest.skip("the optional voices are not installed (scripts/setup-voices)")
    backend = registry.get_backend("auto")
    spec = VoiceSpec(backend=backend.name, rate=getattr(backend, "default_rate_wpm", 150))
    score = score_voice(read_cues(CUES), spec)
    assert score.wer <= OPTIONAL_VOICES_MAX_WER, [(c.cue, c.heard) for c in score.cues if c.errors]
