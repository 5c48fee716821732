"""pico2wave (SVOX Pico; Debian non-free: libttspico-utils).

    pico2wave -l en-US -w OUT.wav -- "<speed level='N'>TEXT</speed>"

pico2wave insists on an output path ending in ``.wav``. The pace is set with Pico's own
``<speed>`` markup (100 = natural), against the measured natural pace; ``<``, ``>``
and ``&`` in the text are replaced by spaces so the markup stays well formed.
"""

from __future__ import annotations

import numpy as np

from matcue.core.errors import VoiceError
from matcue.voice.backends.command import CommandBackend, rate_factor, run_to_wav, speak_by_sentence
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec

PACKAGE = "libttspico-utils"
PROGRAM = "pico2wave"
NATURAL_WPM = 165  # en-US at speed 100, measured on a 29-word paragraph
LANGUAGES = {
    "en-US": "English (US)",
    "en-GB": "English (GB)",
    "de-DE": "German",
    "es-ES": "Spanish",
    "fr-FR": "French",
    "it-IT": "Italian",
}
DEFAULT_FOR = {"en": "en-US", "de": "de-DE", "es": "es-ES", "fr": "fr-FR", "it": "it-IT"}


def pico_voice(language: str) -> str:
    lang = language.replace("_", "-")
    for vid in LANGUAGES:
        if vid.lower() == lang.lower():
            return vid
    if lang.lower().split("-")[0] in DEFAULT_FOR:
        return DEFAULT_FOR[lang.lower().split("-")[0]]
    raise VoiceError(f"pico2wave has no voice for language {language!r} (it has {', '.join(LANGUAGES)})")


class PicoBackend(CommandBackend):
    """The ``pico2wave`` program; one subprocess per sentence (thread-safe)."""

    program = PROGRAM
    package = PACKAGE
    name = "pico2wave"
    parallel = True
    default_rate_wpm = 170  # WER 0.376 at 130, 0.339 at 150, 0.327 at 170 (docs/voices.md)
    # German, Spanish, French, Whisper base on tests/data/cues-<lang>.txt (docs/voices.md):
    # de 0.126 at 150 (0.184 at 170), es 0.102 (0.092), fr 0.214 (0.245)
    default_rates = {"de": 150, "es": 150, "fr": 150}
    sentence_gap_ms = 300

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id=vid, name=name, languages=(vid.lower(), vid[:2])) for vid, name in LANGUAGES.items()]

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        exe = self._exe()
        voice = pico_voice(spec.name or spec.language)
        level = round(100 * rate_factor(spec.rate, NATURAL_WPM))

        def speak_one(sentence: str) -> np.ndarray:
            clean = sentence.translate(str.maketrans("<>&", "   "))
            markup = f"<speed level='{level}'>{clean}</speed>"
            return run_to_wav(
                PROGRAM,
                lambda out: [exe, "-l", voice, "-w", str(out), "--", markup],
                text,
                timeout_s=self.timeout_s,
                voice=voice,
            )

        return Clip(speak_by_sentence(text, speak_one, self.sentence_gap_ms))


__all__ = ["PicoBackend", "pico_voice"]
