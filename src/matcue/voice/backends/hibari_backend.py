"""hibari (PyPI ``hibari-tts``): a small neural English voice, the default.

The voice is distilled from Kokoro-82M and runs on onnxruntime; its model ("heart",
American English) ships inside the wheel, so it installs with matcue and needs no network.
hibari's other voices download from the internet on first use: matcue never asks for
them. It lists and uses only the voices whose model file is already on disk (in the
package, or in hibari's own cache folder, put there by hand or by hibari itself), passes
hibari the file's path, and replaces hibari's downloader with one that refuses, so no
code path here can reach the network.

Nothing is imported until needed: ``available()`` checks that the packages are installed,
that onnxruntime imports, and that the model file matches the sha256 hibari's registry
gives for it, without loading the model. The model is loaded once per process, on the
first phrase that is not in the speech cache (so a warm render never loads it), and is
shared by the synthesis threads, each running onnxruntime with one thread.

Each sentence is synthesized with a fixed seed (the model has a noise component), so the
same text gives bit-identical audio; the 24 kHz float output is resampled to the mix rate
with :func:`matcue.voice.wav.resample` and edge-trimmed like every other voice. A sentence
longer than ``command.MAX_PIECE_CHARS`` is spoken in pieces
(:func:`matcue.voice.backends.command.speak_by_sentence`), so one call's work and memory
are a piece's, whatever the length of the cue.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcue.core.errors import VoiceError, shown
from matcue.core.paths import quoted
from matcue.voice.backends.command import rate_factor, speak_by_sentence
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec
from matcue.voice.wav import PcmAudio, finish_clip_samples, to_int16

DEFAULT_VOICE = "heart"
MODEL_RATE_HZ = 24_000
SEED = 20_240_601  # the noise component's seed: same text, same samples
# words per minute at speed 1.0 on the cue set (tests/data/cues.txt; docs/voices.md)
NATURAL_WPM = 206
MAX_PHONEMES = 400  # the longest phoneme string hibari gives the model at once
TRIM_BELOW_PEAK_DB = -45.0
_LETTER = re.compile(r"[^\W\d_]")  # a phoneme string with no letter has nothing to say
_INLINE_PHONEMES = re.compile(r"\[([^\]]+)\]\(/([^)]*)/\)")  # [word](/phonemes/), from the lexicon


class ModelLoadError(VoiceError):
    """The hibari model (or onnxruntime) cannot be loaded on this machine."""


@dataclass(frozen=True, slots=True)
class VoiceFile:
    """One hibari voice as its registry describes it, and where its model would be."""

    id: str
    path: Path
    sha256: str
    language: str
    description: str
    british: bool


def package_dir() -> Path | None:
    """The installed ``hibari`` package folder, found without importing it."""
    try:
        spec = importlib.util.find_spec("hibari")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def hibari_cache_dir() -> Path:
    """Where hibari keeps the voices it downloaded (its rule: HIBARI_HOME, else the user cache)."""
    env = os.environ.get("HIBARI_HOME")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "hibari"


def registry_voices(pkg: Path) -> list[VoiceFile]:
    """Every voice in hibari's registry (``assets/voices.json``), present on disk or not."""
    try:
        data = json.loads((pkg / "assets" / "voices.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for vid, v in data.items() if isinstance(data, dict) else ():
        try:
            folder = pkg / "assets" if v.get("bundled") else hibari_cache_dir()
            label = f"{v['accent']} English, {v['gender']} (neural, from Kokoro {v['kokoro']})"
            out.append(VoiceFile(vid, folder / v["file"], str(v["sha256"]), str(v["language"]).split("-")[0],
                                 label, bool(v.get("british"))))  # fmt: skip
        except (KeyError, TypeError, AttributeError):
            continue
    return out


_hashes: dict[Path, tuple[float, int, str]] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file's content (remembered per process while the file is unchanged)."""
    st = path.stat()
    known = _hashes.get(path)
    if known and known[:2] == (st.st_mtime, st.st_size):
        return known[2]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    _hashes[path] = (st.st_mtime, st.st_size, h.hexdigest())
    return h.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hibari-tts")
    except PackageNotFoundError:
        return "unknown"


def _refuse_download(url: str, dest: str, sha256: str) -> str:
    raise VoiceError(f"hibari tried to download {url}: matcue never downloads voices (copy the file to {dest})")


class HibariBackend:
    """The hibari neural voice; one model per process, shared by the synthesis threads."""

    name = "hibari"
    languages = ("en",)  # English only (its phonemizer is English): auto never picks it for another language
    parallel = True  # onnxruntime releases the GIL; one intra-op thread per synthesis thread
    default_rate_wpm = 150  # a calm teacher's pace (docs/voices.md)
    sentence_gap_ms = 400

    def __init__(self, package: Path | None = None) -> None:
        self._package = package
        self._lock = threading.Lock()
        self._g2p_lock = threading.Lock()
        self._models: dict[str, Any] = {}  # voice id -> loaded hibari.Hibari
        self._problem: str | None = None  # why the backend cannot speak here (None: not checked yet)
        self.loads = 0  # models loaded in this process (tests and the benchmark read it)

    # ------------------------------------------------------------------ what is here

    def _pkg(self) -> Path | None:
        return self._package if self._package is not None else package_dir()

    def problem(self) -> str:
        """'' when hibari can speak here, else why not (checked once per process)."""
        if self._problem is None:
            self._problem = self._check()
        return self._problem

    def _check(self) -> str:
        pkg = self._pkg()
        if pkg is None:
            return "not installed: pip install hibari-tts (a dependency of matcue)"
        try:
            import onnxruntime  # noqa: F401  (the runtime, not the model)
        except Exception as exc:  # ImportError, or a broken native library
            return f"onnxruntime does not import: {type(exc).__name__}: {exc} (pip install onnxruntime)"
        if not self.voices():
            default = next((v for v in registry_voices(pkg) if v.id == DEFAULT_VOICE), None)
            where = f" ({default.path})" if default else ""
            return f"its model file is missing or corrupt{where}: pip install --force-reinstall hibari-tts"
        return ""

    def available(self) -> bool:
        return not self.problem()

    def voices(self) -> list[VoiceInfo]:
        """The voices whose model file is on disk and matches hibari's registry (never downloaded)."""
        return [VoiceInfo(v.id, v.description, (v.language,)) for v in self._on_disk()]

    def _on_disk(self) -> list[VoiceFile]:
        pkg = self._pkg()
        out = []
        for v in registry_voices(pkg) if pkg else []:
            try:
                if v.path.is_file() and file_sha256(v.path) == v.sha256:
                    out.append(v)
            except OSError:
                continue
        return out

    def voice_file(self, voice: str) -> VoiceFile:
        """The model file of ``voice``; VoiceError when it is not on this machine."""
        found = self._on_disk()
        for v in found:
            if v.id == voice:
                return v
        here = ", ".join(v.id for v in found) or "none"
        raise VoiceError(f"hibari voice {voice!r} is not on this machine (voices here: {here};"
                         " matcue never downloads voices)")  # fmt: skip

    def default_voice(self, language: str) -> str:
        return DEFAULT_VOICE

    def cache_tag(self, spec: VoiceSpec) -> str:
        """What besides the text fixes the audio: the model file's content hash and the seed."""
        v = self.voice_file(spec.name or DEFAULT_VOICE)
        return f"model-sha256={v.sha256};seed={SEED};hibari-tts={_version()}"

    def describe(self) -> list[str]:
        """Lines for ``matcue voices`` / ``doctor``: each voice's model file."""
        return [f"{v.id}: model {v.path}" for v in self._on_disk()]

    # ------------------------------------------------------------------ speaking

    def model(self, voice: str = DEFAULT_VOICE) -> Any:
        """The loaded model of ``voice`` (loaded on first use, once per process)."""
        with self._lock:
            if voice in self._models:
                return self._models[voice]
            problem = self.problem()
            if problem:
                raise ModelLoadError(f"hibari cannot speak here: {problem}")
            vf = self.voice_file(voice)
            try:
                import hibari.voices
                from hibari import Hibari

                hibari.voices.download = _refuse_download  # no code path may reach the network
                tts = Hibari(voice=vf.id, model=str(vf.path), threads=1)
                with self._g2p_lock:
                    tts.phonemize("Warm up, piriformis.")  # loads the G2P and its OOV net now
            except VoiceError:
                raise
            except Exception as exc:
                self._problem = f"its model did not load: {type(exc).__name__}: {exc}"
                raise ModelLoadError(f"hibari cannot load {quoted(vf.path)}: {type(exc).__name__}: {exc}") from exc
            self._models[voice] = tts
            self.loads += 1
            return tts

    def load_problem(self) -> str:
        """'' when the default model loads here (loading it if needed), else why not."""
        try:
            self.model(DEFAULT_VOICE)
        except VoiceError as exc:
            return str(exc)
        return ""

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        if not spec.language.lower().startswith("en"):
            raise VoiceError(f"hibari speaks English only, not {spec.language!r} (choose another --backend)")
        tts = self.model(spec.name or DEFAULT_VOICE)
        for m in _INLINE_PHONEMES.finditer(text):
            unknown = sorted(set(m.group(2)) - set(tts.vocab) - {" "})
            if unknown:
                raise VoiceError(f"hibari has no phoneme {' '.join(map(repr, unknown))} (in the lexicon's"
                                 f" /{m.group(2)}/ for {m.group(1)!r}; misaki/Kokoro phonemes only)")  # fmt: skip
        speed = rate_factor(spec.rate, NATURAL_WPM)

        def speak_one(sentence: str) -> np.ndarray:
            with self._g2p_lock:  # the phonemizer is plain Python with lazy state: one at a time
                chunks = [c for c in tts.phonemize(sentence) if _LETTER.search(c)]
            parts = [tts.from_phonemes(p, speed=speed, seed=SEED) for c in chunks for p in split_long(c)]
            if not parts:
                return np.zeros(0, np.int16)
            audio = np.concatenate(parts) * 32767.0
            return finish_clip_samples(PcmAudio(to_int16(audio), MODEL_RATE_HZ), peak_relative_db=TRIM_BELOW_PEAK_DB)

        samples = speak_by_sentence(text, speak_one, self.sentence_gap_ms)
        if len(samples) == 0:
            raise VoiceError(f"hibari found nothing it can say in {shown(text)}"
                             " (it reads English words; punctuation, emoji and other scripts are skipped)")  # fmt: skip
        return Clip(samples)


def split_long(phonemes: str, limit: int = MAX_PHONEMES) -> list[str]:
    """A phoneme string cut at spaces into pieces of at most ``limit`` characters (a word
    longer than that is cut where it must)."""
    if len(phonemes) <= limit:
        return [phonemes]
    out: list[str] = []
    cur = ""
    for word in phonemes.split(" "):
        while len(word) > limit:
            if cur:
                out.append(cur)
                cur = ""
            out.append(word[:limit])
            word = word[limit:]
        if cur and len(cur) + 1 + len(word) > limit:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        out.append(cur)
    return [p for p in out if p.strip()]


__all__ = ["DEFAULT_VOICE", "HibariBackend", "ModelLoadError", "hibari_cache_dir", "split_long"]
