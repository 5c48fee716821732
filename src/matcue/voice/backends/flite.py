"""flite (CMU Flite, Debian main): the clearest voice a stock Debian machine can install.

    flite -voice NAME --setf duration_stretch=X -f TEXTFILE -o OUT.wav

The text goes through a file (so a phrase starting with '-' is never an option). Its
voices are built in (``flite -lv``: kal, kal16, awb, rms, slt; ``awb_time`` only speaks
times and is not listed). The speaking rate is reached by stretching durations against
each voice's measured natural pace.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from matcue.core.errors import VoiceError
from matcue.voice.backends.command import CommandBackend, rate_factor, run_to_wav, speak_by_sentence, tail
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec

PACKAGE = "flite"
DEFAULT_VOICE = "rms"  # lowest word error rate of flite's voices on the cue set (docs/voices.md)
# words per minute at duration_stretch=1, measured on a 29-word paragraph
NATURAL_WPM = {"kal": 185, "kal16": 175, "awb": 175, "rms": 169, "slt": 199}
HIDDEN_VOICES = {"awb_time"}  # a limited-domain voice that only speaks the time of day
VOICE_NAMES = {
    "kal": "Kal (US male, diphone, 8 kHz)",
    "kal16": "Kal (US male, diphone, 16 kHz)",
    "awb": "AWB (Scottish English male)",
    "rms": "RMS (US male)",
    "slt": "SLT (US female)",
}


class FliteBackend(CommandBackend):
    """The ``flite`` program; one subprocess per sentence (thread-safe)."""

    program = "flite"
    package = PACKAGE
    name = "flite"
    languages = ("en",)  # flite's voices are English only: auto never picks it for another language
    parallel = True
    default_rate_wpm = 150  # rms: WER 0.198 at 130, 0.189 at 150, 0.186 at 170 (docs/voices.md)
    sentence_gap_ms = 350

    def default_voice(self, language: str) -> str:
        return DEFAULT_VOICE

    def voices(self) -> list[VoiceInfo]:
        exe = self._exe()
        try:
            proc = subprocess.run([exe, "-lv"], capture_output=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VoiceError(f"could not list flite voices: {exc}") from exc
        if proc.returncode != 0:
            raise VoiceError(f"could not list flite voices: {tail(proc.stderr)}")
        return parse_voices(proc.stdout.decode("utf-8", errors="replace"))

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        exe = self._exe()
        if not spec.language.lower().startswith("en"):
            raise VoiceError(f"flite speaks English only, not {spec.language!r}")
        voice = spec.name or DEFAULT_VOICE
        stretch = 1 / rate_factor(spec.rate, NATURAL_WPM.get(voice, 180))

        def speak_one(sentence: str) -> np.ndarray:
            with tempfile.TemporaryDirectory(prefix="matcue-flite-") as tmp:
                text_file = Path(tmp) / "text.txt"
                text_file.write_text(sentence + "\n", encoding="utf-8")
                return run_to_wav(
                    "flite",
                    lambda out: [
                        exe,
                        "-voice",
                        voice,
                        "--setf",
                        f"duration_stretch={stretch:.3f}",
                        "-f",
                        str(text_file),
                        "-o",
                        str(out),
                    ],  # fmt: skip
                    text,
                    timeout_s=self.timeout_s,
                    voice=voice,
                )

        return Clip(speak_by_sentence(text, speak_one, self.sentence_gap_ms))


def parse_voices(listing: str) -> list[VoiceInfo]:
    """``Voices available: kal awb_time kal16 awb rms slt`` -> VoiceInfo per voice."""
    _, _, names = listing.partition(":")
    return [
        VoiceInfo(id=v, name=VOICE_NAMES.get(v, v), languages=("en",)) for v in names.split() if v not in HIDDEN_VOICES
    ]


__all__ = ["DEFAULT_VOICE", "FliteBackend", "parse_voices"]
