"""espeak-ng, called as a program: the default voice on Linux.

Text goes in on stdin (so a phrase starting with '-' is never read as an option) and a
22050 Hz WAV comes back on stdout; we resample it to 44.1 kHz and trim its edges. A phrase
longer than ``command.MAX_PIECE_CHARS`` is spoken in pieces of whole sentences
(:func:`matcue.voice.backends.command.speak_in_pieces`), joined with espeak-ng's own pause.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import numpy as np

from matcue.core.errors import ToolMissingError, VoiceError
from matcue.voice.backends.command import run_to_wav, speak_in_pieces, tail
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec

ESPEAK_TIMEOUT_S = 60
MIN_RATE_WPM = 80  # espeak-ng's own limits for -s
MAX_RATE_WPM = 450
SENTENCE_PAUSE_MS = 400  # espeak-ng's own pause after a sentence at 150 wpm, kept where a long phrase is cut

# Language code -> espeak-ng voice used when the routine names no voice.
DEFAULT_VOICES: dict[str, str] = {"en": "en-us", "zh": "cmn"}

_OTHER_LANGUAGES = re.compile(r"(\s*\([^()]*\))+\s*$")


def default_voice(language: str) -> str:
    """The espeak-ng voice for a language code such as ``en`` or ``de``."""
    lang = language.strip().lower().replace("_", "-") or "en"
    return DEFAULT_VOICES.get(lang, lang)


def speakable_text(text: str, voice: str) -> str:
    """Text as espeak-ng should read it with ``voice``.

    English voices spell out accented Latin letters ("S acute" for the IAST 'Ś' of
    Sanskrit pose names), so for them accents are dropped: "Śīrṣāsana" -> "Sirsasana".
    Other languages keep their accents; non-Latin scripts are never touched.
    """
    if not voice.lower().rsplit("/", 1)[-1].startswith("en"):
        return text
    return "".join(_strip_latin_accent(ch) for ch in text)


def _strip_latin_accent(ch: str) -> str:
    if ch.isascii() or "LATIN" not in unicodedata.name(ch, ""):
        return ch
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base or ch


def clamp_rate(rate_wpm: int) -> int:
    return max(MIN_RATE_WPM, min(MAX_RATE_WPM, int(rate_wpm)))


class EspeakBackend:
    """The ``espeak-ng`` program. Each phrase is one short subprocess (thread-safe)."""

    name = "espeak-ng"
    parallel = True  # synthesize() may run in several threads at once
    default_rate_wpm = 150
    trim_below_peak_db: float | None = None  # see wav.finish_clip_samples

    def __init__(self, binary: str = "espeak-ng", timeout_s: float = ESPEAK_TIMEOUT_S):
        self.binary = binary
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def _exe(self) -> str:
        exe = shutil.which(self.binary)
        if exe is None:
            raise ToolMissingError("espeak-ng", "espeak-ng")
        return exe

    def command(self, spec: VoiceSpec) -> list[str]:
        """The argument list for one phrase (text is written to stdin)."""
        voice = spec.name or default_voice(spec.language)
        return [self._exe(), "-v", voice, "-s", str(clamp_rate(spec.rate)), "-b", "1",
                "--stdout", "--stdin"]  # fmt: skip

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        cmd = self.command(spec)

        def speak_one(piece: str) -> np.ndarray:
            return run_to_wav(
                "espeak-ng",
                lambda _out: cmd,
                piece,
                stdin=speakable_text(piece, cmd[2]).encode("utf-8"),
                timeout_s=self.timeout_s,
                voice=cmd[2],
                wav_on_stdout=True,
                trim_below_peak_db=self.trim_below_peak_db,
            )

        return Clip(speak_in_pieces(text, speak_one, SENTENCE_PAUSE_MS))

    def voices(self) -> list[VoiceInfo]:
        try:
            proc = subprocess.run(
                [self._exe(), "--voices"],
                capture_output=True,
                timeout=self.timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VoiceError(f"could not list espeak-ng voices: {exc}") from exc
        if proc.returncode != 0:
            raise VoiceError(f"could not list espeak-ng voices: {tail(proc.stderr)}")
        return parse_voices(proc.stdout.decode("utf-8", errors="replace"))


def parse_voices(listing: str) -> list[VoiceInfo]:
    """Parse ``espeak-ng --voices`` output.

    Each line is ``Pty Language Age/Gender VoiceName File (other lang pty)...``; the
    voice id is the language column (what ``-v`` takes), e.g. ``en-us``.
    """
    voices: list[VoiceInfo] = []
    for line in listing.splitlines()[1:]:
        match = _OTHER_LANGUAGES.search(line)
        head = line[: match.start()] if match else line
        others = re.findall(r"\(([^()\s]+)\s+\d+\)", match.group(0)) if match else []
        parts = head.split()
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        language, name = parts[1], " ".join(parts[3:-1]).replace("_", " ")
        langs = tuple(dict.fromkeys([language, *others]))
        voices.append(VoiceInfo(id=language, name=name, languages=langs))
    return voices


__all__ = [
    "DEFAULT_VOICES",
    "EspeakBackend",
    "default_voice",
    "parse_voices",
    "speakable_text",
]
