"""The teacher's own voice: recorded clips that stand in for synthesized phrases.

A recordings folder (``recordings: FOLDER`` in a routine, or ``--recordings DIR``), or a
zip of one (what the recording page of ``matcue cues --page`` saves), holds clips in any
format ffmpeg reads. A clip stands for a phrase when

- its file name is the phrase's id (``<id>.<ext>``, :func:`matcue.core.naming.phrase_id`,
  as ``matcue cues`` lists them), or
- the folder's ``index.yaml`` maps the phrase's id, or its exact text, to the file
  (``welcome-to-your-practice-543c8d: take3.m4a`` or ``"Welcome to your practice.": hello.m4a``).

Each clip is read within bounds (a regular file inside the folder it must stay in,
symbolic links resolved; at most :data:`MAX_CLIP_BYTES`, :data:`MAX_CLIP_MS` of audio),
decoded by ffmpeg with a high-pass filter (80 Hz: handling noise and rumble), resampled to
the mix rate and mono, trimmed of its leading and trailing silence, gently gated (the
room between words lowered by 12 dB) and brought to full scale; the mixer then levels it
exactly as it levels synthesized speech (:func:`matcue.audio.mixdown.speech_gain`), so both
voices sit at one level. The result is cached by the clip's content
(``<cache>/<sha256>.npy``), so a render reads each clip once.

Problems are reported together, each naming the clip: a missing folder, a clip that is
not audio, is empty, silent or too long, two clips for one phrase, a link leading outside.
A file whose name matches no phrase is a warning (a typo is seen, the render goes on).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcue.core.errors import MatcueError, printable, shown
from matcue.core.naming import phrase_id
from matcue.core.paths import Unreadable, inside, open_regular, read_bounded, shown_folder, size_text
from matcue.core.pcm import SAMPLE_RATE, samples_to_ms
from matcue.voice.base import AnyClip, Clip

INDEX_NAME = "index.yaml"
AUDIO_EXTENSIONS = frozenset(
    ".m4a .aac .mp4 .mp3 .wav .wave .ogg .oga .opus .webm .weba .mka .flac .caf .aif .aiff .3gp .amr".split()
)
MAX_CLIP_BYTES = 50_000_000  # a phone's two minutes of WAV fit several times over
MAX_CLIP_MS = 120_000  # a phrase may be a long welcome, not a whole session
MAX_FILES = 2000  # files looked at in a folder or a zip
MAX_ZIP_BYTES = 500_000_000
SILENT_DBFS = -50.0  # a clip whose loudest 10 ms stay below this is silent
GATE_DB = -12.0  # how far the gate lowers the room between words
PROCESS_VERSION = 1  # bump when the cleaning changes: cached clips are made again
CLIP_HINT = "a recording is an audio file ffmpeg reads: m4a, mp3, wav, ogg, opus, webm, flac"
_FRAME = SAMPLE_RATE // 100  # 10 ms


class RecordingError(MatcueError):
    """One or more recordings that cannot be used; one line each, naming the clip."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Recording:
    text: str
    name: str  # the clip's file name in the folder (or the zip)
    clip: AnyClip


@dataclass(frozen=True, slots=True)
class Recordings:
    """The clips that stand in for phrases, by text, and the warnings to show."""

    clips: dict[str, Recording]
    warnings: tuple[str, ...] = ()

    def names(self) -> dict[str, str]:
        """text -> the clip's file name (layout marks the events with it)."""
        return {t: r.name for t, r in self.clips.items()}


# ----------------------------------------------------------------------------- the source


class _Source:
    """A folder or a zip of clips: its file names, each readable as a path on disk."""

    def __init__(self, path: Path, root: str, allow_outside: bool):
        self.path = path
        self.shown = printable(str(path))
        self.root = root  # every clip's real path lies in this folder (unless allow_outside)
        self.allow_outside = allow_outside
        self.names: list[str] = []
        self.refused: dict[str, str] = {}  # name -> why it cannot be read
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, zipfile.ZipInfo] = {}

    def where(self, name: str) -> str:
        return printable(f"{self.path}/{name}" if self.zip is None else f"{self.path}:{name}")

    @contextlib.contextmanager
    def file(self, name: str) -> Iterator[Path]:
        """The clip ``name`` as a regular file (a zip member is copied to a temporary file)."""
        if self.zip is None:
            yield self.path / name
            return
        info = self.members[name]
        if info.file_size > MAX_CLIP_BYTES:
            raise Unreadable(f"is {size_text(info.file_size)}; a recording may be at most {size_text(MAX_CLIP_BYTES)}")
        with tempfile.TemporaryDirectory(prefix="matcue-rec-") as tmp:
            out = Path(tmp) / "clip"
            with self.zip.open(info) as src, open(out, "wb") as dst:
                left = MAX_CLIP_BYTES + 1
                while left > 0 and (chunk := src.read(min(left, 1 << 20))):
                    dst.write(chunk)
                    left -= len(chunk)
            yield out


def _open_source(path: Path, root: str, allow_outside: bool) -> _Source:
    src = _Source(path, root, allow_outside)
    try:
        st = os.stat(path)
    except OSError:
        raise RecordingError([f"{src.shown}: the recordings folder was not found"]) from None
    if stat.S_ISDIR(st.st_mode):
        _list_folder(src)
    elif stat.S_ISREG(st.st_mode) and path.suffix.lower() == ".zip":
        _list_zip(src)
    else:
        raise RecordingError([f"{src.shown}: is not a folder or a .zip of recordings"])
    return src


def _list_folder(src: _Source) -> None:
    with os.scandir(src.path) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries[:MAX_FILES]:
        if entry.name.startswith("."):
            continue
        real = os.path.realpath(entry.path)
        if not src.allow_outside and not inside(real, src.root):
            src.names.append(entry.name)
            src.refused[entry.name] = (
                f"leads outside the folder {shown_folder(src.root)!r} "
                "(a recording must be a file inside it; pass --allow-outside to read files outside)"
            )
            continue
        try:
            mode = os.stat(entry.path).st_mode
        except OSError:
            continue  # a dangling link: nothing to read
        if stat.S_ISDIR(mode):
            continue
        src.names.append(entry.name)
        if not stat.S_ISREG(mode):
            src.refused[entry.name] = "is a device, a pipe or a socket, not a recording"


def _list_zip(src: _Source) -> None:
    try:
        fd = open_regular(src.path, "a zip of recordings")
        size = os.fstat(fd).st_size
        if size > MAX_ZIP_BYTES:
            os.close(fd)
            raise RecordingError([f"{src.shown}: is {size_text(size)}; at most {size_text(MAX_ZIP_BYTES)} is read"])
        src.zip = zipfile.ZipFile(os.fdopen(fd, "rb"))
    except (zipfile.BadZipFile, OSError, Unreadable) as e:
        raise RecordingError([f"{src.shown}: is not a readable zip ({e})"]) from None
    infos = src.zip.infolist()
    if len(infos) > MAX_FILES:
        raise RecordingError([f"{src.shown}: holds {len(infos)} files; at most {MAX_FILES} are read"])
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        name = parts[-1]
        if info.is_dir() or not name or name.startswith(".") or "__MACOSX" in parts or len(parts) > 2:
            continue  # folders, hidden files, macOS's resource forks, anything nested deeper
        if name in src.members:
            src.refused[name] = f"is in the zip twice ({src.members[name].filename} and {info.filename})"
            continue
        src.members[name] = info
        src.names.append(name)


# ----------------------------------------------------------------------------- matching


def find_recordings(
    path: Path,
    texts: Sequence[str],
    *,
    root: str | None = None,
    allow_outside: bool = False,
    cache_dir: Path | None = None,
) -> Recordings:
    """The clips of the folder or zip ``path`` that stand for ``texts`` (a script's phrases).

    ``root``: the real folder every clip must lie in (the routine's folder for a routine's
    ``recordings:``; by default the recordings folder itself). Raises RecordingError with
    every problem found; files that match no phrase come back as warnings."""
    root = root or os.path.realpath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    src = _open_source(Path(path), root, allow_outside)
    ids = {phrase_id(t): t for t in texts}
    by_text = {" ".join(t.split()): t for t in texts}
    problems: list[str] = []
    warnings: list[str] = []
    chosen: dict[str, list[str]] = {}  # text -> clip names
    indexed: set[str] = set()
    if INDEX_NAME in src.names:
        for key, name, mark in _read_index(src, problems):
            text = ids.get(key) or by_text.get(" ".join(key.split()))
            if name not in src.names:
                problems.append(f"{mark}: {name!r} is not in the recordings (the index names a file beside it)")
            elif text is None:
                warnings.append(f"{mark}: {shown(key)} matches no phrase this routine speaks with these settings")
            else:
                chosen.setdefault(text, []).append(name)
            indexed.add(name)
    for name in src.names:
        if name == INDEX_NAME or name in indexed:
            continue
        stem, ext = os.path.splitext(name)
        text = ids.get(stem.lower())
        if text is not None:
            chosen.setdefault(text, []).append(name)
        elif ext.lower() in AUDIO_EXTENSIONS or name in src.refused:
            warnings.append(
                f"{src.where(name)}: matches no phrase this routine speaks with these settings{_guess(stem, ids)}"
            )
    clips: dict[str, Recording] = {}
    for text, names in chosen.items():
        if len(names) > 1:
            problems.append(
                f"{src.shown}: {len(names)} recordings for the phrase {shown(text, 50)} ({phrase_id(text)}): "
                + ", ".join(names) + " (keep one)"
            )  # fmt: skip
            continue
        name = names[0]
        if name in src.refused:
            problems.append(f"{src.where(name)}: {src.refused[name]}")
            continue
        try:
            clips[text] = Recording(text, name, _clip(src, name, cache_dir))
        except Unreadable as e:
            problems.append(f"{src.where(name)}: {e}")
    if src.zip is not None:
        src.zip.close()
    if problems:
        raise RecordingError(problems)
    return Recordings({t: clips[t] for t in texts if t in clips}, tuple(warnings))


def _guess(stem: str, ids: dict[str, str]) -> str:
    import difflib

    close = difflib.get_close_matches(stem.lower(), list(ids), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else " (matcue cues lists the phrases and their ids)"


def _read_index(src: _Source, problems: list[str]) -> list[tuple[str, str, str]]:
    """(id or text, file name, where it is written) for each entry of ``index.yaml``."""
    import yaml

    where = src.where(INDEX_NAME)
    try:
        with src.file(INDEX_NAME) as p:
            raw = read_bounded(p, 1_000_000, "an index of recordings")
        node = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
    except (Unreadable, UnicodeDecodeError, yaml.YAMLError) as e:
        problems.append(f"{where}: cannot be read as YAML ({str(e).splitlines()[0]})")
        return []
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"{where}: expected a mapping of phrase ids (or exact texts) to file names")
        return []
    out = []
    for k, v in node.value[:MAX_FILES]:
        mark = f"{where}:{k.start_mark.line + 1}:{k.start_mark.column + 1}"
        if not isinstance(k, yaml.ScalarNode) or not isinstance(v, yaml.ScalarNode) or not v.value.strip():
            problems.append(f"{mark}: expected 'id or text: file name'")
            continue
        out.append((k.value, v.value.strip(), mark))
    return out


# ----------------------------------------------------------------------------- cleaning


def _clip(src: _Source, name: str, cache_dir: Path | None) -> AnyClip:
    """The cleaned clip of ``name``, from the cache when this content was cleaned before."""
    from matcue.voice.cache import cache_path, default_cache_dir, load_cached, store

    with src.file(name) as path:
        data = read_bounded(path, MAX_CLIP_BYTES, "a recording")
        if not data:
            raise Unreadable("is empty (0 bytes)")
        key = hashlib.sha256(f"recording:{PROCESS_VERSION}:".encode() + data).hexdigest()
        entry = cache_path(Path(cache_dir) if cache_dir is not None else default_cache_dir(), key)
        cached = load_cached(entry)
        if cached is not None:
            return cached
        samples = clean(_decode(path))
    clip = Clip(samples)
    try:
        store(entry, clip)
    except OSError:
        return clip  # an unwritable cache costs time, not the render
    return load_cached(entry) or clip


def _decode(path: Path) -> np.ndarray:
    """Mono float32 at the mix rate, high-passed; Unreadable when it is not audio or too long."""
    from matcue.core.media import MusicError, ffmpeg_decode

    limit_s = MAX_CLIP_MS / 1000 + 0.5
    try:
        raw = ffmpeg_decode(
            path, limit_s, ["-af", "highpass=f=80", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
        )
    except MusicError:
        raise Unreadable(f"cannot be decoded as audio ({CLIP_HINT})") from None
    x = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if len(x) == 0:
        raise Unreadable(f"holds no audio ({CLIP_HINT})")
    if samples_to_ms(len(x)) > MAX_CLIP_MS:
        raise Unreadable(
            f"lasts more than {MAX_CLIP_MS // 1000} s; a recording is one phrase, at most {MAX_CLIP_MS // 1000} s"
        )
    return x


def clean(x: np.ndarray) -> np.ndarray:
    """A decoded clip (float32 mono) trimmed, gated and at full scale, as int16.

    Trim: 10 ms frames; speech is what comes within 40 dB of the loudest frame, 10 dB
    above the room (the quietest tenth of the frames) and above -60 dBFS; 60 ms are kept
    before the first such frame and 150 ms after the last, so a soft onset or a trailing
    breath is not cut. Gate: frames below the room's level plus
    8 dB (at most 30 dB under the loudest) are lowered by 12 dB, with 50 ms ramps.
    Unreadable when the clip is silent."""
    n = len(x) // _FRAME
    if n == 0:
        raise Unreadable("is silent (shorter than 10 ms)")
    frames = x[: n * _FRAME].reshape(n, _FRAME).astype(np.float64)
    db = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))
    peak = float(db.max())
    if peak < SILENT_DBFS:
        raise Unreadable(f"is silent (its loudest moment is {peak:.0f} dBFS)")
    room = float(np.percentile(db, 10))  # the quiet between words, or the room before them
    loud = np.flatnonzero(db >= max(peak - 40.0, room + 10.0, -60.0))
    start = max(0, loud[0] * _FRAME - SAMPLE_RATE * 60 // 1000)
    stop = min(len(x), (loud[-1] + 1) * _FRAME + SAMPLE_RATE * 150 // 1000)
    y = x[start:stop].astype(np.float32)
    first, last = start // _FRAME, min(n, -(-stop // _FRAME))
    part = db[first:last]
    floor = float(np.percentile(part, 10))
    gate = min(floor + 8.0, peak - 30.0)
    gain = np.where(part >= gate, 1.0, 10 ** (GATE_DB / 20))
    gain = np.convolve(gain, np.ones(5) / 5, mode="same")  # 50 ms ramps
    centres = (np.arange(first, last) * _FRAME + _FRAME / 2) - start
    y *= np.interp(np.arange(len(y)), centres, gain).astype(np.float32)
    top = float(np.abs(y).max())
    y *= np.float32(10 ** (-1 / 20) / top)  # -1 dBFS
    return np.clip(np.rint(y * 32767), -32768, 32767).astype(np.int16)
