"""MBROLA voices through espeak-ng (Debian contrib/non-free: mbrola, mbrola-us2).

espeak-ng does the text analysis and MBROLA the diphone synthesis: ``espeak-ng -v mb-us2``.
A voice is usable when both the ``mbrola`` program and its voice database
(``/usr/share/mbrola/us2``) are installed; ``voices()`` lists only those.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from matcue.core.errors import ToolMissingError, VoiceError, shown
from matcue.voice.backends.espeak import EspeakBackend
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec

MBROLA_DIRS = (Path("/usr/share/mbrola"), Path("/usr/local/share/mbrola"))
# us2: the clearest English MBROLA voice (docs/voices.md); de6, es2, fr4: what
# scripts/setup-voices --language installs (issue 16). Another installed voice for the
# language is used when these are not.
DEFAULT_VOICES = {"en": "mb-us2", "de": "mb-de6", "es": "mb-es2", "fr": "mb-fr4"}


class MbrolaBackend(EspeakBackend):
    """espeak-ng driving an MBROLA voice (``mb-us2`` by default for English)."""

    name = "mbrola"
    parallel = True
    default_rate_wpm = 130  # us2: WER 0.242 at 130, 0.291 at 150 (docs/voices.md)
    sentence_gap_ms = 0  # espeak-ng's own pause between sentences
    trim_below_peak_db = -40.0  # MBROLA's breathy onsets sit just above -50 dBFS

    def __init__(self, binary: str = "espeak-ng", mbrola_dirs: tuple[Path, ...] = MBROLA_DIRS):
        super().__init__(binary)
        self.mbrola_dirs = mbrola_dirs

    def _installed(self, voice_id: str) -> bool:
        db = voice_id.removeprefix("mb-")
        return any((d / db).exists() for d in self.mbrola_dirs)

    def available(self) -> bool:
        if shutil.which(self.binary) is None or shutil.which("mbrola") is None:
            return False
        return any(self._installed(v) for v in DEFAULT_VOICES.values()) or bool(self.voices())

    def voices(self) -> list[VoiceInfo]:
        if shutil.which(self.binary) is None:
            return []
        try:
            proc = subprocess.run([self._exe(), "--voices=mb"], capture_output=True,
                                  timeout=self.timeout_s, check=False)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VoiceError(f"could not list MBROLA voices: {exc}") from exc
        return [v for v in parse_mbrola_voices(proc.stdout.decode("utf-8", "replace")) if self._installed(v.id)]

    def command(self, spec: VoiceSpec) -> list[str]:
        cmd = super().command(spec)
        if spec.name is None:
            cmd[2] = self.default_voice(spec.language)
        return cmd

    def default_voice(self, language: str) -> str:
        lang = language.lower().replace("_", "-").split("-")[0]
        want = DEFAULT_VOICES.get(lang)
        if want and self._installed(want):
            return want
        for v in self.voices():  # installed ones only
            if lang in v.languages:
                return v.id
        package = "mbrola-" + DEFAULT_VOICES.get(lang, "mb-us2").removeprefix("mb-")
        raise VoiceError(f"no MBROLA voice for language {language!r} is installed (e.g. apt-get install {package})")

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        if shutil.which("mbrola") is None:
            raise ToolMissingError("mbrola", "mbrola")
        voice = spec.name or self.default_voice(spec.language)
        if not self._installed(voice):
            raise VoiceError(
                f"cannot speak {shown(text)}: MBROLA voice {voice!r} is not installed"
                f" (apt-get install mbrola-{voice.removeprefix('mb-')})"
            )
        return super().synthesize(text, spec)


def parse_mbrola_voices(listing: str) -> list[VoiceInfo]:
    """``espeak-ng --voices=mb`` lines: the voice id is the file column's name (mb-us2)."""
    voices = []
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        file_col = next((p for p in parts if p.startswith("mb/")), "")
        if not file_col:
            continue
        vid = file_col.removeprefix("mb/")
        langs = tuple(dict.fromkeys((parts[1], parts[1].split("-")[0])))  # "pt-br" -> pt-br, pt
        voices.append(VoiceInfo(id=vid, name=parts[3].replace("_", " "), languages=langs))
    return voices


__all__ = ["MbrolaBackend", "parse_mbrola_voices"]
