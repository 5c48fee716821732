"""How intelligible a voice is: speak a cue set, transcribe it with pocketsphinx, score WER.

Used by ``scripts/voicecheck`` and the ``realvoice`` intelligibility tests. pocketsphinx
(PyPI, in the ``test`` extra) ships its US English acoustic model, language model and
dictionary inside the package, so nothing is downloaded. Both sides are normalized the
same way before scoring: lowercase, numbers as words, punctuation and hyphens dropped.
The word error rate is over the whole cue set: (substitutions + deletions + insertions)
summed over the cues, divided by the number of reference words.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

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


def require_pocketsphinx() -> Any:
    """pocketsphinx's ``Decoder`` class, or MatcueError saying how to install it."""
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MatcueError("pocketsphinx is not installed (pip install pocketsphinx, or '.[test]')") from exc
    return Decoder


class Recognizer:
    """pocketsphinx with its bundled US English model (one decoder, reused)."""

    def __init__(self) -> None:
        self._decoder = require_pocketsphinx()(samprate=RECOGNIZER_RATE_HZ, logfn="/dev/null")

    def transcribe(self, clip: Clip | CachedClip, rate_hz: int) -> str:
        return self.transcribe_samples(np.asarray(clip.samples), rate_hz)

    def transcribe_samples(self, samples: np.ndarray, rate_hz: int) -> str:
        pcm = to_int16(resample(samples, rate_hz, RECOGNIZER_RATE_HZ))
        pad = np.zeros(RECOGNIZER_RATE_HZ // 4, np.int16)  # a little silence either side
        d = self._decoder
        d.start_utt()
        d.process_raw(np.concatenate([pad, pcm, pad]).tobytes(), full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        return hyp.hypstr if hyp is not None else ""


_worker_recognizer: Recognizer | None = None


def _start_worker() -> None:
    global _worker_recognizer
    _worker_recognizer = Recognizer()


def _transcribe_in_worker(samples: np.ndarray, rate_hz: int) -> str:
    assert _worker_recognizer is not None
    return _worker_recognizer.transcribe_samples(samples, rate_hz)


def transcribe_all(clips: Sequence[np.ndarray], rate_hz: int, workers: int | None = None) -> list[str]:
    """What the recognizer hears in each clip, in order; ``workers`` processes (default:
    one per core), each loading the model once."""
    require_pocketsphinx()  # here, with the install hint, not as a broken worker pool
    n = max(1, min(workers or os.cpu_count() or 1, len(clips)))
    if n == 1:
        rec = Recognizer()
        return [rec.transcribe_samples(c, rate_hz) for c in clips]
    with ProcessPoolExecutor(n, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
        return list(pool.map(_transcribe_in_worker, clips, [rate_hz] * len(clips), chunksize=4))


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
    workers: int | None = None,
) -> VoiceScore:
    """Speak ``cues`` with ``spec`` (through the cache, lexicon and normalization) and score.

    With ``recognizer``, every clip is transcribed by it, in turn; otherwise by ``workers``
    processes (default one per core), each with its own recognizer (pocketsphinx holds
    the GIL while it decodes, so threads would not help)."""
    from ..pcm import SAMPLE_RATE
    from .cache import speak_all
    from .lexicon import builtin_lexicon

    # the built-in lexicon, as every render speaks: what is scored is what a listener hears
    # (a project's voice/lexicon.yaml is left out, so the figure is the same on every machine)
    speech = speak_all(cues, spec, cache_dir=cache_dir, lexicon=builtin_lexicon())
    if recognizer is not None:
        heard_all = [recognizer.transcribe(speech.clips[cue], SAMPLE_RATE) for cue in cues]
    else:
        heard_all = transcribe_all([np.asarray(speech.clips[cue].samples) for cue in cues], SAMPLE_RATE, workers)
    scored = []
    for cue, heard in zip(cues, heard_all):
        ref, hyp = words_for_scoring(cue), words_for_scoring(heard)
        scored.append(CueScore(cue, heard, edit_distance(ref, hyp), len(ref)))
    return VoiceScore(speech.backend, spec.name or "(default)", spec.rate, tuple(scored))


__all__ = [
    "CueScore",
    "Recognizer",
    "VoiceScore",
    "edit_distance",
    "read_cues",
    "require_pocketsphinx",
    "score_voice",
    "transcribe_all",
    "words_for_scoring",
]
