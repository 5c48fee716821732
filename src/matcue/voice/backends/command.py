"""What the program-based voices (flite, RHVoice, pico2wave) share.

Each phrase is one short subprocess writing a WAV file into a private temporary folder;
the audio is resampled to 44.1 kHz and edge-trimmed with :mod:`matcue.voice.wav`.
A phrase of several sentences is spoken one sentence at a time and joined with the
backend's tuned ``sentence_gap_ms`` of silence: the engines' own pauses between
sentences are short, and a clear gap measurably helps a listener (see docs/voices.md).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matcue.core.errors import ToolMissingError, VoiceError, shown
from matcue.core.pcm import SAMPLE_RATE
from matcue.core.tools import find_tool
from matcue.voice.wav import WavFormatError, finish_clip_samples, read_audio_bytes, read_audio_file

TOOL_TIMEOUT_S = 60
TRIM_BELOW_PEAK_DB = -40.0  # edge audio this far below the peak is breath noise, not speech

# A sentence ends with . ! ? or ; followed by a space and more text.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")
_WORDY = re.compile(r"[^\W_]")  # a letter or a digit, in any script


def split_sentences(text: str) -> list[str]:
    """``"Inhale. Reach up."`` -> ``["Inhale.", "Reach up."]`` (never an empty piece).

    A piece with no letter or digit (the dots of ``"Inhale . . . and exhale."``) is no
    sentence: it stays with the sentence before it (or, first, with the one after), so
    no engine is asked to speak punctuation alone (some speak only silence for it)."""
    out: list[str] = []
    loose = ""  # punctuation before the first sentence
    for piece in (p.strip() for p in _SENTENCE_END.split(text.strip())):
        if not piece:
            continue
        if _WORDY.search(piece):
            out.append(f"{loose} {piece}".strip())
            loose = ""
        elif out:
            out[-1] = f"{out[-1]} {piece}"
        else:
            loose = f"{loose} {piece}".strip()
    if loose:
        out.append(loose)
    return out


def join_with_gaps(pieces: Sequence[np.ndarray], gap_ms: int) -> np.ndarray:
    """Concatenate trimmed clips with ``gap_ms`` of silence between them."""
    gap = np.zeros(SAMPLE_RATE * max(0, gap_ms) // 1000, np.int16)
    out: list[np.ndarray] = []
    for i, piece in enumerate(pieces):
        if i:
            out.append(gap)
        out.append(piece)
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def speak_by_sentence(text: str, speak_one: Callable[[str], np.ndarray], gap_ms: int) -> np.ndarray:
    """Speak each sentence of ``text`` with ``speak_one`` and join them with gaps."""
    sentences = split_sentences(text) or [text]
    pieces = [speak_one(s) for s in sentences]
    return join_with_gaps([p for p in pieces if len(p)], gap_ms)


def run_to_wav(
    tool: str,
    args: Callable[[Path], list[str]],
    text: str,
    *,
    stdin: bytes | None = None,
    timeout_s: float = TOOL_TIMEOUT_S,
    voice: str = "",
    wav_on_stdout: bool = False,
    trim_below_peak_db: float | None = TRIM_BELOW_PEAK_DB,
) -> np.ndarray:
    """Run ``args(out_path)`` and return the WAV it wrote, resampled and trimmed.

    ``text`` is only used in error messages (the phrase that failed). With
    ``wav_on_stdout`` the tool writes the WAV to its stdout instead of ``out_path``, and
    only its stderr explains a failure (also when the audio is silent).
    ``trim_below_peak_db`` is handed to :func:`matcue.voice.wav.finish_clip_samples`.
    """
    with tempfile.TemporaryDirectory(prefix="matcue-voice-") as tmp:
        out = Path(tmp) / "speech.wav"
        cmd = args(out)
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise VoiceError(f"{tool} took more than {timeout_s:g} s to speak {shown(text)}") from None
        except OSError as exc:
            raise VoiceError(f"could not run {tool} to speak {shown(text)}: {exc}") from exc
        detail = tail(proc.stderr) or ("" if wav_on_stdout else tail(proc.stdout))
        with_voice = f" with voice {voice!r}" if voice else ""
        if proc.returncode != 0:
            raise VoiceError(
                f"{tool} failed (exit {proc.returncode}) to speak {shown(text)}{with_voice}: {detail or 'no message'}"
            )
        try:
            audio = read_audio_bytes(proc.stdout) if wav_on_stdout else read_audio_file(out)
        except (OSError, WavFormatError) as exc:
            raise VoiceError(
                f"{tool} gave no usable audio for {shown(text)}{with_voice} ({exc})" + (f": {detail}" if detail else "")
            ) from None
    samples = finish_clip_samples(audio, peak_relative_db=trim_below_peak_db)
    if len(samples) == 0:
        said = f": {detail}" if wav_on_stdout and detail else ""
        raise VoiceError(f"{tool} produced only silence for {shown(text)}{with_voice}{said}")
    return samples


def rate_factor(rate_wpm: int, natural_wpm: int, low: float = 0.5, high: float = 2.0) -> float:
    """How much faster than its natural pace an engine must speak to reach ``rate_wpm``."""
    return max(low, min(high, rate_wpm / natural_wpm))


def tail(output: bytes, limit: int = 300) -> str:
    text = " ".join(output.decode("utf-8", errors="replace").split())
    return text if len(text) <= limit else "..." + text[-limit:]


class CommandBackend:
    """What flite, pico2wave and RHVoice share: the ``program`` of Debian ``package``, run
    as ``binary`` (default ``program``) with at most ``timeout_s`` a phrase."""

    program: str
    package: str

    def __init__(self, binary: str | None = None, timeout_s: float = TOOL_TIMEOUT_S):
        self.binary = self.program if binary is None else binary
        self.timeout_s = timeout_s

    def _exe(self) -> str:
        return find_tool(self.binary, self.package)

    def available(self) -> bool:
        try:
            self._exe()
        except ToolMissingError:
            return False
        return True


__all__ = [
    "TOOL_TIMEOUT_S",
    "CommandBackend",
    "find_tool",
    "join_with_gaps",
    "rate_factor",
    "run_to_wav",
    "speak_by_sentence",
    "split_sentences",
    "tail",
]
