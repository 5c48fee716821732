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
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcue.core.errors import MatcueError, printable_name, shown
from matcue.core.naming import phrase_id
from matcue.core.paths import Unreadable, byte_place, inside, open_regular, read_bounded, shown_folder, size_text
from matcue.core.pcm import SAMPLE_RATE, samples_to_ms
from matcue.voice.base import AnyClip, Clip

INDEX_NAME = "index.yaml"
_NOT_A = {INDEX_NAME: "an index of recordings"}  # what a file that cannot be read is not
AUDIO_EXTENSIONS = frozenset(
    ".m4a .aac .mp4 .mp3 .wav .wave .ogg .oga .opus .webm .weba .mka .flac .caf .aif .aiff .3gp .amr".split()
)
MAX_CLIP_BYTES = 50_000_000  # a phone's two minutes of WAV fit several times over
MAX_CLIP_MS = 120_000  # a phrase may be a long welcome, not a whole session
MAX_FILES = 2000  # files looked at in a folder or a zip
MAX_ZIP_BYTES = 500_000_000
MAX_ZIP_UNPACKED = 2_000_000_000  # all the clips read out of one zip: 2000 phrases of 10 s as WAV fit
MAX_ZIP_RATIO = 100  # unpacked / packed size of one member: speech packs about 1 to 3, silence 10
MAX_INDEX_BYTES = 1_000_000  # index.yaml: 2000 lines of 'id or text: file name' fit many times
SILENT_DBFS = -50.0  # a clip whose loudest 10 ms stay below this is silent
GATE_DB = -12.0  # how far the gate lowers the room between words
HIGH_PASS_HZ = (40.0, 100.0)  # nothing below the first, all above the second (-6 dB near 70 Hz)
DECODE_TIMEOUT_S = 60.0  # ffmpeg's time for one clip (at most two minutes of audio)
PROCESS_VERSION = 2  # bump when the cleaning changes: cached clips are made again (2: zero-phase high-pass)
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
        self.shown = name_shown(str(path))
        self.root = root  # every clip's real path lies in this folder (unless allow_outside)
        self.allow_outside = allow_outside
        self.names: list[str] = []
        self.refused: dict[str, str] = {}  # name -> why it cannot be read
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.odd: list[str] = []  # names with control characters: never read, never shown raw
        self.unpacked = 0  # bytes copied out of the zip so far (at most MAX_ZIP_UNPACKED)

    def where(self, name: str) -> str:
        return name_shown(f"{self.path}/{name}" if self.zip is None else f"{self.path}:{name}")

    @contextlib.contextmanager
    def file(self, name: str) -> Iterator[Path]:
        """The clip ``name`` as a regular file (a zip member is copied to a temporary file)."""
        if self.zip is None:
            yield self.path / name
            return
        info = self.members[name]
        if info.file_size > MAX_CLIP_BYTES:
            raise Unreadable(f"is {size_text(info.file_size)}; at most {size_text(MAX_CLIP_BYTES)} is read")
        ratio = info.file_size // max(info.compress_size, 1)  # audio hardly packs; zeros pack 1000 to 1
        if info.file_size > 1_000_000 and ratio > MAX_ZIP_RATIO:
            raise Unreadable(f"unpacks to {ratio} times its size in the zip; at most {MAX_ZIP_RATIO} to 1 is read")
        if self.unpacked + info.file_size > MAX_ZIP_UNPACKED:
            raise Unreadable(f"would pass {size_text(MAX_ZIP_UNPACKED)} unpacked from one zip; at most that is read")
        with tempfile.TemporaryDirectory(prefix="matcue-rec-") as tmp:
            out = Path(tmp) / "clip"
            try:
                with self.zip.open(info) as src, open(out, "wb") as dst:
                    left = MAX_CLIP_BYTES + 1
                    while left > 0 and (chunk := src.read(min(left, 1 << 20))):
                        dst.write(chunk)
                        left -= len(chunk)
                        self.unpacked += len(chunk)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError, ValueError) as e:
                why = (
                    "it is encrypted"
                    if info.flag_bits & 0x1
                    else str(e).splitlines()[0]
                    if str(e)
                    else type(e).__name__
                )
                raise Unreadable(f"cannot be read from the zip ({why})") from None
            yield out


def name_shown(name: str) -> str:
    """A file name as a message shows it: control and format characters (a terminal escape,
    a line break, a bidirectional override) escaped (:func:`matcue.core.errors.printable_name`)."""
    return printable_name(name)


def _odd_name(name: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)


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
        entries = []
        for entry in it:
            if entry.name.startswith("."):
                continue
            entries.append(entry)
            if len(entries) > MAX_FILES:
                raise RecordingError([f"{src.shown}: holds more than {MAX_FILES} files; at most {MAX_FILES} are read"])
    for entry in sorted(entries, key=lambda e: e.name):
        if _odd_name(entry.name):
            src.odd.append(entry.name)
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
            src.names.append(entry.name)
            src.refused[entry.name] = "is a link to nothing (its target is gone)"
            continue
        if not stat.S_ISDIR(mode):
            src.names.append(entry.name)
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            src.refused[entry.name] = f"is a device, a pipe or a socket, not {_NOT_A.get(entry.name, 'a recording')}"


def _zip_entries(f: object) -> int | None:
    """The number of entries the zip's end record declares (ZIP64 too), read from its last
    64 kB before anything else is parsed; None when no end record is found."""
    assert hasattr(f, "seek") and hasattr(f, "read")
    size = f.seek(0, os.SEEK_END)
    tail_at = max(0, size - (1 << 16) - 22)
    f.seek(tail_at)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    zip64 = tail.rfind(b"PK\x06\x06", 0, at)
    if count == 0xFFFF and zip64 >= 0 and len(tail) >= zip64 + 40:
        (count,) = struct.unpack("<Q", tail[zip64 + 32 : zip64 + 40])
    f.seek(0)
    return int(count)


def _list_zip(src: _Source) -> None:
    try:
        fd = open_regular(src.path, "a zip of recordings")
        size = os.fstat(fd).st_size
        if size > MAX_ZIP_BYTES:
            os.close(fd)
            raise RecordingError([f"{src.shown}: is {size_text(size)}; at most {size_text(MAX_ZIP_BYTES)} is read"])
        f = os.fdopen(fd, "rb")
        declared = _zip_entries(f)
        if declared is not None and declared > MAX_FILES:
            f.close()
            raise RecordingError([f"{src.shown}: holds {declared} files; at most {MAX_FILES} are read"])
        src.zip = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, Unreadable, ValueError, NotImplementedError) as e:
        raise RecordingError([f"{src.shown}: is not a readable zip ({e})"]) from None
    infos = src.zip.infolist()
    if len(infos) > MAX_FILES:
        raise RecordingError([f"{src.shown}: holds {len(infos)} files; at most {MAX_FILES} are read"])
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        name = parts[-1]
        if info.is_dir() or not name or name.startswith(".") or "__MACOSX" in parts or len(parts) > 2:
            continue  # folders, hidden files, macOS's resource forks, anything nested deeper
        if _odd_name(name):
            src.odd.append(name)
            continue
        if name in src.members:
            twice = f"{name_shown(src.members[name].filename)} and {name_shown(info.filename)}"
            src.refused[name] = f"is in the zip twice ({twice})"
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
    every problem found; files that match no phrase come back as warnings. Texts that are
    the same words (Unicode NFC, spacing aside) share one id and one clip."""
    root = root or os.path.realpath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    src = _open_source(Path(path), root, allow_outside)
    try:
        return _match(src, texts, cache_dir)
    finally:
        if src.zip is not None:
            src.zip.close()


def _same(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _match(src: _Source, texts: Sequence[str], cache_dir: Path | None) -> Recordings:
    ids: dict[str, list[str]] = {}  # id -> the texts it stands for (one, or spellings of it)
    for t in texts:
        ids.setdefault(phrase_id(t), []).append(t)
    by_text = {_same(t): phrase_id(t) for t in texts}
    problems: list[str] = []
    warnings = [f"{src.where(n)}: a file name with control characters is not read" for n in src.odd]
    chosen: dict[str, list[str]] = {}  # id -> clip names
    indexed: set[str] = set()
    if INDEX_NAME in src.refused:
        problems.append(f"{src.where(INDEX_NAME)}: {src.refused[INDEX_NAME]}")
    elif INDEX_NAME in src.names:
        for key, name, mark in _read_index(src, problems):
            pid = key if key in ids else by_text.get(_same(key))
            if name not in src.names:
                problems.append(f"{mark}: {name!r} is not in the recordings (the index names a file beside it)")
            elif pid is None:
                warnings.append(f"{mark}: {shown(key)} matches no phrase this routine speaks with these settings")
            elif name not in chosen.get(pid, []):
                chosen.setdefault(pid, []).append(name)
            indexed.add(name)
    for name in src.names:
        if name == INDEX_NAME or name in indexed:
            continue
        stem, ext = os.path.splitext(name)
        if stem.lower() in ids:
            chosen.setdefault(stem.lower(), []).append(name)
        elif ext.lower() in AUDIO_EXTENSIONS or name in src.refused:
            warnings.append(
                f"{src.where(name)}: matches no phrase this routine speaks with these settings{_guess(stem, ids)}"
            )
    clips: dict[str, Recording] = {}
    for pid, names in chosen.items():
        spellings = ids[pid]
        if len({_same(t) for t in spellings}) > 1:
            problems.append(
                f"{src.where(names[0])}: the id {pid} stands for two phrases, "
                + " and ".join(shown(t, 50) for t in dict.fromkeys(spellings))
                + " (reword one of them)"
            )  # fmt: skip
            continue
        if len(names) > 1:
            problems.append(
                f"{src.shown}: {len(names)} recordings for the phrase {shown(spellings[0], 50)} ({pid}): "
                + ", ".join(map(name_shown, names)) + " (keep one)"
            )  # fmt: skip
            continue
        name = names[0]
        if name in src.refused:
            problems.append(f"{src.where(name)}: {src.refused[name]}")
            continue
        try:
            clip = _clip(src, name, cache_dir)
        except Unreadable as e:
            problems.append(f"{src.where(name)}: {e}")
            continue
        for t in spellings:
            clips[t] = Recording(t, name, clip)
    if problems:
        raise RecordingError(problems)
    return Recordings({t: clips[t] for t in texts if t in clips}, tuple(warnings))


def _guess(stem: str, ids: dict[str, list[str]]) -> str:
    import difflib

    close = difflib.get_close_matches(stem.lower(), list(ids), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else " (matcue cues lists the phrases and their ids)"


def _read_index(src: _Source, problems: list[str]) -> list[tuple[str, str, str]]:
    """(id or text, file name, where it is written) for each entry of ``index.yaml``."""
    import yaml

    where = src.where(INDEX_NAME)
    try:
        with src.file(INDEX_NAME) as p:
            raw = read_bounded(p, MAX_INDEX_BYTES, "an index of recordings")
    except Unreadable as e:
        problems.append(f"{where}: cannot be read: it {e}")
        return []
    try:
        node = yaml.compose(raw.decode("utf-8").removeprefix("\ufeff"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError as e:
        problems.append(f"{where}:{byte_place(raw, e.start)}: is not UTF-8 text (save it as UTF-8)")
        return []
    except yaml.YAMLError as e:  # a syntax error at its place; a character YAML does not allow
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        what = " ".join(str(getattr(e, "problem", None) or getattr(e, "context", None) or e).split())
        problems.append(f"{at}: YAML syntax error: {what[:200]}")
        return []
    except RecursionError:
        problems.append(f"{where}:1:1: the YAML nests too deeply (an index is 'id or text: file name' lines)")
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
            path, limit_s, ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"], timeout_s=DECODE_TIMEOUT_S
        )
    except MusicError as e:
        what = str(e)
        raise Unreadable(f"cannot be decoded as audio ({CLIP_HINT})" if what.startswith("cannot") else what) from None
    x = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if len(x) == 0:
        raise Unreadable(f"holds no audio ({CLIP_HINT})")
    if samples_to_ms(len(x)) > MAX_CLIP_MS:
        raise Unreadable(
            f"lasts more than {MAX_CLIP_MS // 1000} s; a recording is one phrase, at most {MAX_CLIP_MS // 1000} s"
        )
    return high_pass(np.clip(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), -16.0, 16.0)).astype(np.float32)


def high_pass(x: np.ndarray, rate_hz: int = SAMPLE_RATE) -> np.ndarray:
    """``x`` without what lies under 80 Hz (handling noise, rumble, a DC offset): its mean
    taken away, then, in the frequency domain, nothing under 40 Hz and a raised-cosine
    slope to full level at 100 Hz. Zero phase and no start-up transient, so a clip that is
    only an offset comes out silent."""
    y = x - float(np.mean(x))
    spectrum = np.fft.rfft(y)
    f = np.fft.rfftfreq(len(y), 1 / rate_hz)
    ramp = np.clip((f - HIGH_PASS_HZ[0]) / (HIGH_PASS_HZ[1] - HIGH_PASS_HZ[0]), 0.0, 1.0)
    return np.fft.irfft(spectrum * (0.5 - 0.5 * np.cos(np.pi * ramp)), len(y))


def clean(x: np.ndarray) -> np.ndarray:
    """A decoded clip (float32 mono) trimmed, gated and at full scale, as int16.

    Trim: 10 ms frames; speech is what comes within 40 dB of the loudest frame, 10 dB
    above the room (the quietest tenth of the frames) and above -60 dBFS; 60 ms are kept
    before the first such frame and 150 ms after the last, so a soft onset or a trailing
    breath is not cut. Gate: frames below the room's level plus 8 dB (at most 30 dB under
    the loudest) are lowered by 12 dB, with 50 ms ramps. Unreadable when the clip is silent
    or holds no speech (never 10 dB above its quietest tenth)."""
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
    if len(loud) == 0:  # never 10 dB above its quietest moments: a hum, a tone or the room alone
        raise Unreadable(
            f"holds no speech: its level stays within {peak - room:.0f} dB of its quietest moments "
            "(a steady tone, a hum or only the room)"
        )
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
