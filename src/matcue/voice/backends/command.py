"""What the program-based voices (flite, RHVoice, pico2wave) share.

Each phrase is one short subprocess writing a WAV file into a private temporary folder;
the audio is resampled to 44.1 kHz and edge-trimmed with :mod:`matcue.voice.wav`.
A phrase of several sentences is spoken one sentence at a time and joined with the
backend's tuned ``sentence_gap_ms`` of silence: the engines' own pauses between
sentences are short, and a clear gap measurably helps a listener (see docs/voices.md).

No engine is given more than :data:`MAX_PIECE_CHARS` of text at once, whatever the length
of the phrase: a longer sentence is cut at its commas (else between words) and its pieces
joined with :data:`CLAUSE_GAP_MS` of silence at a comma, so the work and the memory of one
call (the engine's, and resampling its audio) are bounded by the piece, not the phrase.
Every voice goes through here: the sentence-by-sentence ones (:func:`speak_by_sentence`)
and those that read a whole phrase with their own pauses (:func:`speak_in_pieces`).
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

# The longest text one engine call is given: twice the longest sentence of the cue set and
# the example routines (99 characters), about 15 s of speech (docs/performance.md).
MAX_PIECE_CHARS = 200
CLAUSE_GAP_MS = 200  # the pause where a long sentence is cut at a comma (espeak-ng's own at 150 wpm)
# Spaces inside a lexicon's phoneme markup (espeak-ng's [[...]], hibari's [word](/.../)) never cut it.
_MARKUP = re.compile(r"\[\[.*?\]\]|\[[^\]]*\]\(/[^)]*/\)")
_BREAK = re.compile(r"\s+")
_CLAUSE_MARKS = ",:\u2013\u2014"  # a cut after these is a clause's end (a pause), else a word's


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


def clause_pieces(sentence: str, limit: int = MAX_PIECE_CHARS) -> list[tuple[str, int]]:
    """``sentence`` cut into pieces of at most ``limit`` characters, each with the pause
    (ms) before it: :data:`CLAUSE_GAP_MS` after a comma, 0 between words (a sentence
    within the limit is one piece, as it is).

    The cut is the last comma (or colon, dash) within the limit, else the last space; a
    word longer than the limit is cut where it must, but never a lexicon's phoneme
    markup. A piece with no letter or digit is kept with the piece before it."""
    text = sentence.strip()
    if len(text) <= limit:
        return [(sentence, 0)]
    markup = [m.span() for m in _MARKUP.finditer(text)]
    breaks = [m for m in _BREAK.finditer(text) if not any(a < m.start() < b for a, b in markup)]
    out: list[tuple[str, int]] = []
    start, pause = 0, 0
    while len(text) - start > limit:
        within = [m for m in breaks if start < m.start() <= start + limit]
        clauses = [m for m in within if text[m.start() - 1] in _CLAUSE_MARKS]
        if clauses or within:
            cut = (clauses or within)[-1]
            end, nxt, gap = cut.start(), cut.end(), CLAUSE_GAP_MS if clauses else 0
        else:  # one word longer than the limit: cut it, outside any markup
            end = start + limit
            for a, b in markup:
                if a < end < b:
                    end = a if a > start else b
            nxt, gap = end, 0
            if nxt >= len(text):
                break
        out.append((text[start:end], pause))
        start, pause = nxt, gap
    out.append((text[start:], pause))
    kept: list[tuple[str, int]] = []
    for piece, gap in out:
        if kept and not (_WORDY.search(piece) and _WORDY.search(kept[-1][0])):
            kept[-1] = (f"{kept[-1][0]} {piece}", kept[-1][1])
        else:
            kept.append((piece, gap))
    return kept


def join_pieces(pieces: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """Concatenate trimmed clips, each after its pause (ms) of silence; an empty clip is
    left out, and the longer of the pauses around it is kept. The first clip's pause is none."""
    out: list[np.ndarray] = []
    pending = 0
    for samples, gap_ms in pieces:
        pending = max(pending, gap_ms)
        if not len(samples):
            continue
        if out:
            out.append(np.zeros(SAMPLE_RATE * max(0, pending) // 1000, np.int16))
        out.append(samples)
        pending = 0
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def speak_by_sentence(text: str, speak_one: Callable[[str], np.ndarray], gap_ms: int) -> np.ndarray:
    """Speak each sentence of ``text`` with ``speak_one`` and join them with ``gap_ms`` of
    silence; a sentence longer than :data:`MAX_PIECE_CHARS` is spoken in its
    :func:`clause_pieces`."""
    pieces: list[tuple[np.ndarray, int]] = []
    for sentence in split_sentences(text) or [text]:
        for i, (piece, pause) in enumerate(clause_pieces(sentence)):
            pieces.append((speak_one(piece), pause if i else gap_ms))
    return join_pieces(pieces)


def speak_in_pieces(text: str, speak_one: Callable[[str], np.ndarray], gap_ms: int) -> np.ndarray:
    """For an engine that reads a whole phrase with its own pauses: ``text`` of at most
    :data:`MAX_PIECE_CHARS` as it is; a longer one as its sentences packed into pieces
    within the limit (a longer sentence in its :func:`clause_pieces`), joined with
    ``gap_ms`` of silence where a sentence ended (the engine's own pause there)."""
    if len(text.strip()) <= MAX_PIECE_CHARS:
        return speak_one(text)
    groups: list[tuple[str, int]] = []
    for sentence in split_sentences(text):
        parts = clause_pieces(sentence)
        if len(parts) == 1 and groups and len(groups[-1][0]) + 1 + len(sentence) <= MAX_PIECE_CHARS:
            groups[-1] = (f"{groups[-1][0]} {sentence}", groups[-1][1])
            continue
        groups.extend((piece, pause if i else gap_ms) for i, (piece, pause) in enumerate(parts))
    return join_pieces([(speak_one(piece), pause) for piece, pause in groups])


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
    "CLAUSE_GAP_MS",
    "MAX_PIECE_CHARS",
    "TOOL_TIMEOUT_S",
    "CommandBackend",
    "clause_pieces",
    "find_tool",
    "join_pieces",
    "rate_factor",
    "run_to_wav",
    "speak_by_sentence",
    "speak_in_pieces",
    "split_sentences",
    "tail",
]
