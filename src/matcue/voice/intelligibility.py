"""How intelligible a voice is: speak a cue set, transcribe it with pocketsphinx, score WER.

Used by ``scripts/voicecheck`` and the ``realvoice`` intelligibility tests. pocketsphinx
(PyPI, in the ``test`` extra) ships its US English acoustic model, language model and
dictionary inside the package, so nothing is downloaded. Both sides are normalized the
same way before scoring: lowercase, numbers as words, punctuation and hyphens dropped.
The word error rate is over the whole cue set: (substitutions + deletions + insertions)
summed over the cues, divided by the number of reference words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MatcueError
from .base import CachedClip, Clip, VoiceSpec
from .normalize import normalize_text
from .wav import resample, to_int16

RECOGNIZER_RATE_HZ = 16_000


def read_cues(path: Path) -> list[str]:
    """One cue per line; blank lines and lines starting with '#' are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def words_for_scoring(text: str) -> list[str]:
    """``"Hold 30s, then switch!"`` -> ``["hold", "thirty", "seconds", "then", "switch"]``."""
    spoken = normalize_text(text, "en").lower().replace("-", " ")
    return re.findall(r"[a-z']+", spoken)


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


class Recognizer:
    """pocketsphinx with its bundled US English model (one decoder, reused)."""

    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MatcueError("pocketsphinx is not installed (pip install pocketsphinx, or '.[test]')") from exc
        self._decoder = Decoder(samprate=RECOGNIZER_RATE_HZ, logfn="/dev/null")

    def transcribe(self, clip: Clip | CachedClip, rate_hz: int) -> str:
        pcm = to_int16(resample(np.asarray(clip.samples), rate_hz, RECOGNIZER_RATE_HZ))
        pad = np.zeros(RECOGNIZER_RATE_HZ // 4, np.int16)  # a little silence either side
        d = self._decoder
        d.start_utt()
        d.process_raw(np.concatenate([pad, pcm, pad]).tobytes(), full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        return hyp.hypstr if hyp is not None else ""


@dataclass(frozen=True, slots=True)
class CueScore:
    cue: str
    heard: str
    errors: int
    words: int


@dataclass(frozen=True, slots=True)
class VoiceScore:
    backend: str
    voice: str
    rate: int
    cues: tuple[CueScore, ...]

    @property
    def wer(self) -> float:
        words = sum(c.words for c in self.cues)
        return sum(c.errors for c in self.cues) / words if words else 0.0


def score_voice(
    cues: Sequence[str],
    spec: VoiceSpec,
    *,
    recognizer: Recognizer | None = None,
    cache_dir: Path | None = None,
) -> VoiceScore:
    """Speak ``cues`` with ``spec`` (through the cache, lexicon and normalization) and score."""
    from ..pcm import SAMPLE_RATE
    from .cache import speak_all
    from .lexicon import builtin_lexicon

    rec = recognizer or Recognizer()
    # the built-in lexicon, as every render speaks: what is scored is what a listener hears
    # (a project's voice/lexicon.yaml is left out, so the figure is the same on every machine)
    speech = speak_all(cues, spec, cache_dir=cache_dir, lexicon=builtin_lexicon())
    scored = []
    for cue in cues:
        heard = rec.transcribe(speech.clips[cue], SAMPLE_RATE)
        ref, hyp = words_for_scoring(cue), words_for_scoring(heard)
        scored.append(CueScore(cue, heard, edit_distance(ref, hyp), len(ref)))
    return VoiceScore(speech.backend, spec.name or "(default)", spec.rate, tuple(scored))


__all__ = [
    "CueScore",
    "Recognizer",
    "VoiceScore",
    "edit_distance",
    "read_cues",
    "score_voice",
    "words_for_scoring",
]
