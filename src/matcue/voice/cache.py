"""Speak many phrases once: a content-addressed cache of synthesized clips.

An entry is ``<cache dir>/<sha256>.npy`` (mono int16 at 44.1 kHz). The key covers the
cache format version, the backend actually used (after ``auto``), the voice, rate,
language, the exact text and whatever else the backend names (``cache_tag``: hibari's
model file hash and seed). Entries are written to a temporary name in the same folder
and moved into place with ``os.replace``, so concurrent renders are safe and an
interrupted one never leaves a half-written entry; an unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from matcue.core.atomic import create_temp, discard, release
from matcue.core.errors import MatcueError, VoiceError, shown
from matcue.voice.base import AnyClip, CachedClip, Clip, VoiceBackend, VoiceSpec
from matcue.voice.lexicon import Lexicon, default_lexicon, speech_text
from matcue.voice.registry import check_voice_name, get_backend

CACHE_FORMAT_VERSION = 1
CACHE_ENV = "MATCUE_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("voice") / "cache"

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """Clips keyed by their exact text, and how many were synthesized vs. read from cache."""

    clips: dict[str, AnyClip]
    synthesized: int
    cached: int
    backend: str
    spoken: dict[str, str] = field(default_factory=dict)  # text -> what the voice was asked to say


def default_cache_dir() -> Path:
    """``$MATCUE_CACHE_DIR`` if set, else ``./voice/cache`` under the working directory; an
    empty value (or only spaces) is unset, as for ``$MATCUE_JOBS`` and ``$MATCUE_ENCODER``."""
    env = os.environ.get(CACHE_ENV, "")
    return Path(env) if env.strip() else Path.cwd() / DEFAULT_CACHE_DIR


def cache_key(text: str, spec: VoiceSpec, backend: str, tag: str = "") -> str:
    """sha256 hex digest identifying one phrase spoken by one voice.

    ``tag`` is what else the backend says fixes its audio (hibari: its model file's content
    hash and its seed), so a new model re-synthesizes instead of mixing two voices."""
    fields: list[object] = [CACHE_FORMAT_VERSION, backend, spec.name, spec.rate, spec.language, text]
    if tag:
        fields.append(tag)
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _voice_name(backend: object, spec: VoiceSpec) -> str | None:
    """The voice that speaks ``spec``: its own name, else the backend's default voice for
    the language (so changing a backend's default never reuses the old voice's clips)."""
    if spec.name:
        return spec.name
    pick = getattr(backend, "default_voice", None)
    if not callable(pick):
        return None
    try:
        return str(pick(spec.language))
    except MatcueError:  # no voice for the language: synthesis reports it
        return None


def cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{key}.npy"


MAX_ENTRY_SAMPLES = 60 * 60 * 44_100  # an hour of speech: no phrase is longer


def load_cached(path: Path) -> CachedClip | None:
    """The clip stored at ``path`` (read lazily), or None when missing, unreadable or malformed.

    Only the header is read here, from a regular file (a pipe or a device in the cache is
    never opened blocking or read; a symbolic link is never followed: the cache writes no
    links, so one leads to a file that is not an entry), and the file must hold all the
    samples it declares;
    the samples are read when the renderer needs them.
    """
    from matcue.core.paths import Unreadable, open_regular

    try:
        fd = open_regular(path, "a speech clip", follow=False)
    except Unreadable:
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                return None
        except (OSError, ValueError, EOFError):
            return None
        if dtype != np.int16 or len(shape) != 1 or fortran or not 0 < shape[0] <= MAX_ENTRY_SAMPLES:
            return None
        n = int(shape[0])
        if os.fstat(f.fileno()).st_size < f.tell() + 2 * n:  # cut short
            return None
    return CachedClip(path, n)


def store(path: Path, clip: Clip) -> None:
    """Write ``clip`` to ``path`` atomically (temp file in the same folder + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = create_temp(path, "tmp")  # locked: 'doctor --fix' tells a live writer from a killed one
    try:
        buf = io.BytesIO()  # numpy writes to a file with fwrite, which can stop short silently
        np.save(buf, np.ascontiguousarray(clip.samples, dtype=np.int16), allow_pickle=False)
        data = buf.getvalue()
        with open(tmp, "wb") as fh:
            fh.write(data)  # Python's own write: every byte, or an OSError (EFBIG, ENOSPC...)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        release(tmp)
    except BaseException:
        discard(tmp)
        raise


def speak_all(
    texts: Iterable[str],
    spec: VoiceSpec,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    lexicon: Lexicon | None = None,
) -> SpeechResult:
    """Speak every distinct text once, reusing cached clips.

    Each text is normalized for ``spec.language`` (numbers, durations, abbreviations) and
    respelled with ``lexicon`` (default: the lexicon of ``spec.language``, English: the
    built-in one extended by the project's ``voice/lexicon.yaml``) just before synthesis.
    The cache is keyed by what is actually spoken, so a lexicon change re-synthesizes only
    the phrases it changes; the returned clips stay keyed by the original texts.

    ``spec.backend`` may be ``auto``; the result says which backend was used. Cache misses
    are synthesized concurrently for subprocess backends. ``progress(done, total)`` is
    called (from this thread) as phrases become ready; ``total`` counts distinct texts.
    Raises VoiceError (or ToolMissingError) naming the first phrase that failed.
    """
    unique = list(dict.fromkeys(texts))
    for text in unique:
        if not text.strip():
            raise VoiceError(f"cannot speak an empty phrase ({shown(text)})")
    backend = get_backend(spec.backend, spec.language)  # auto: a backend that speaks the language
    check_voice_name(backend, spec.name)  # no unlisted name reaches an engine
    resolved = replace(spec, backend=backend.name)
    keyed = replace(resolved, name=_voice_name(backend, spec))  # the voice that will speak
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    check_cache_folder(folder)  # before anything is spoken
    tag_of = getattr(backend, "cache_tag", None)
    tag = str(tag_of(keyed)) if callable(tag_of) else ""

    lex = default_lexicon(language=spec.language) if lexicon is None else lexicon
    spoken = {text: speech_text(text, lex, spec.language, backend.name) for text in unique}

    clips: dict[str, AnyClip] = {}
    misses: list[tuple[str, Path]] = []  # (spoken text, cache entry), each spoken text once
    waiting: dict[str, list[str]] = {}  # spoken text -> the original texts it stands for
    for text in unique:
        say = spoken[text]
        if not say.strip():
            raise VoiceError(f"nothing left to say for {shown(text)} after the lexicon")
        if say in waiting:
            waiting[say].append(text)
            continue
        path = cache_path(folder, cache_key(say, keyed, backend.name, tag))
        clip = load_cached(path)
        if clip is None:
            waiting[say] = [text]
            misses.append((say, path))
        else:
            clips[text] = clip
    cached = len(clips)
    total = len(unique)
    if progress is not None:
        progress(cached, total)

    def on_done(say: str, clip: AnyClip) -> None:
        for text in waiting[say]:
            clips[text] = clip
        if progress is not None:
            progress(len(clips), total)

    if misses:
        _check_writable(folder)  # a folder that takes no file is said before the first phrase is spoken
        _synthesize_misses(backend, resolved, misses, on_done)
    ordered = {text: clips[text] for text in unique}
    return SpeechResult(ordered, synthesized=len(misses), cached=cached, backend=backend.name, spoken=spoken)


CACHE_HINT = "set MATCUE_CACHE_DIR to another folder"


def check_cache_folder(folder: Path) -> None:
    """VoiceError when ``folder`` cannot be the speech cache: what stands in its way (a
    file, a pipe, a link to nothing, at its place or above it), as ``doctor`` says it
    (:func:`matcue.core.paths.folder_problem`)."""
    from matcue.core.paths import folder_problem, quoted

    problem = folder_problem(folder)
    if problem:
        raise VoiceError(f"cannot use the speech cache folder {quoted(folder)}: {problem} ({CACHE_HINT})")


def _check_writable(folder: Path) -> None:
    """VoiceError unless a file can be made in ``folder`` (made when missing): a folder
    the system refuses entries in (``/proc/self``) is said before anything is spoken."""
    from matcue.core.atomic import discard, why_not_written
    from matcue.core.paths import quoted

    try:
        folder.mkdir(parents=True, exist_ok=True)
        discard(create_temp(folder / "probe", "tmp"))
    except OSError as exc:
        raise VoiceError(
            f"cannot write into the speech cache folder {quoted(folder)}: {why_not_written(exc)} ({CACHE_HINT})"
        ) from exc


def _synthesize_one(backend: VoiceBackend, spec: VoiceSpec, text: str, path: Path) -> CachedClip:
    clip = backend.synthesize(text, spec)
    if clip.samples.dtype != np.int16 or clip.samples.ndim != 1 or len(clip.samples) == 0:
        raise VoiceError(f"voice backend {backend.name!r} returned no audio for {shown(text)}")
    try:
        store(path, clip)
    except OSError as exc:
        from matcue.core.atomic import shown_file, why_not_written

        raise VoiceError(
            f"could not write the voice cache entry {shown_file(path)}: {why_not_written(exc)}"
            " (free some space, or set MATCUE_CACHE_DIR to another folder)"
        ) from exc
    return CachedClip(path, len(clip.samples))  # memory stays flat however many phrases


def _synthesize_misses(
    backend: VoiceBackend,
    spec: VoiceSpec,
    misses: list[tuple[str, Path]],
    on_done: Callable[[str, AnyClip], None],
) -> None:
    workers = min(len(misses), os.cpu_count() or 1)
    if not getattr(backend, "parallel", True) or workers <= 1:
        for text, path in misses:
            on_done(text, _synthesize_one(backend, spec, text, path))
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matcue-voice") as pool:
        pending: dict[Future[CachedClip], str] = {
            pool.submit(_synthesize_one, backend, spec, text, path): text for text, path in misses
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    text = pending.pop(future)
                    on_done(text, future.result())  # re-raises the phrase's error
        finally:
            for future in pending:
                future.cancel()


__all__ = [
    "CACHE_ENV",
    "CACHE_FORMAT_VERSION",
    "SpeechResult",
    "cache_key",
    "cache_path",
    "default_cache_dir",
    "load_cached",
    "speak_all",
    "store",
]
