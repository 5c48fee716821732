"""RHVoice (Debian contrib/non-free: rhvoice, rhvoice-english): the clearest offline voice.

    RHVoice-test -p VOICE -r PERCENT -o OUT.wav     (text on stdin)

``-r`` is a percentage of the voice's natural pace (100 = natural); we reach the wanted
words per minute against the measured natural pace. Voices are the folders under
``/usr/share/RHVoice/voices`` (each with a ``voice.info`` naming its language).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcue.core.errors import VoiceError, shown
from matcue.voice.backends.command import TOOL_TIMEOUT_S, CommandBackend, rate_factor, run_to_wav, speak_by_sentence
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec

PACKAGE = "rhvoice-english"
PROGRAM = "RHVoice-test"
VOICE_DIRS = (Path("/usr/share/RHVoice/voices"), Path("/usr/local/share/RHVoice/voices"))
DEFAULT_VOICES = {"en": "bdl"}  # bdl: the lowest word error rate measured (docs/voices.md)
NATURAL_WPM = 200  # bdl at -r 100, measured on a 29-word paragraph
LANGUAGE_CODES = {"english": "en", "russian": "ru", "ukrainian": "uk", "esperanto": "eo"}


class RHVoiceBackend(CommandBackend):
    """The ``RHVoice-test`` program; one subprocess per sentence (thread-safe)."""

    program = PROGRAM
    package = PACKAGE
    name = "rhvoice"
    parallel = True
    default_rate_wpm = 190  # bdl: WER 0.126 at 170, 0.117 at 190 on the cue set (docs/voices.md)
    sentence_gap_ms = 350

    def __init__(self, binary: str | None = None, timeout_s: float = TOOL_TIMEOUT_S,
                 voice_dirs: tuple[Path, ...] = VOICE_DIRS):  # fmt: skip
        super().__init__(binary, timeout_s)
        self.voice_dirs = voice_dirs

    def available(self) -> bool:
        return super().available() and bool(self.voices())

    def voices(self) -> list[VoiceInfo]:
        found: dict[str, VoiceInfo] = {}
        for folder in self.voice_dirs:
            if not folder.is_dir():
                continue
            for info in sorted(folder.glob("*/voice.info")):
                fields = _read_info(info)
                vid = info.parent.name
                lang = fields.get("language", "").lower()
                code = LANGUAGE_CODES.get(lang, lang[:2])
                gender = fields.get("gender", "")
                label = fields.get("name", vid) + (f" ({fields.get('language', '')} {gender})".rstrip())
                found.setdefault(vid, VoiceInfo(id=vid, name=label, languages=(code,) if code else ()))
        return list(found.values())

    def default_voice(self, language: str) -> str:
        lang = language.lower().split("-")[0]
        want = DEFAULT_VOICES.get(lang)
        voices = self.voices()
        if want and any(v.id == want for v in voices):
            return want
        for v in voices:
            if lang in v.languages:
                return v.id
        raise VoiceError(f"no RHVoice voice for language {language!r} is installed")

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        exe = self._exe()
        voice = spec.name or self.default_voice(spec.language)
        if spec.name and not any(v.id == voice for v in self.voices()):
            raise VoiceError(f"RHVoice cannot speak {shown(text)}: no voice {voice!r} is installed")
        percent = round(100 * rate_factor(spec.rate, NATURAL_WPM))

        def speak_one(sentence: str) -> np.ndarray:
            return run_to_wav(
                PROGRAM,
                lambda out: [exe, "-p", voice, "-r", str(percent), "-o", str(out)],
                text,
                stdin=sentence.encode("utf-8"),
                timeout_s=self.timeout_s,
                voice=voice,
            )

        return Clip(speak_by_sentence(text, speak_one, self.sentence_gap_ms))


def _read_info(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return fields
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


__all__ = ["RHVoiceBackend"]
