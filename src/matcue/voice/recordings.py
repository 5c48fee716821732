"""The teacher's own voice: recorded clips that stand in for synthesized phrases.

A recordings folder (``recordings: FOLDER`` in a routine, or ``--recordings DIR``), or a
zip of one (what the recording page of ``matcue cues --page`` saves), holds clips in any
format ffmpeg reads. A clip stands for a phrase when

- its file name is the phrase's id (``<id>.<ext>``, :func:`matcue.core.naming.phrase_id`,
  as ``matcue cues`` lists them), or
- the folder's ``index.yaml`` maps the phrase's id, or its exact text, to the file
  (``welcome-to-your-practice-543c8d: take3.m4a`` or ``"Welcome to your practice.": hello.m4a``).

Each clip is read within bounds (a regular file inside the folder it must stay in,
symbolic links resolved; at most :data:`MAX_CLIP_BYTES`,
:data:`matcue.voice.cleaning.MAX_CLIP_MS` of audio),
decoded by ffmpeg with a high-pass filter (80 Hz: handling noise and rumble), resampled to
the mix rate and mono, trimmed of its leading and trailing silence, gently gated (the
room between words lowered by 12 dB) and brought to full scale; the mixer then levels it
exactly as it levels synthesized speech (:func:`matcue.audio.mixdown.speech_gain`), so both
voices sit at one level. The result is cached by the clip's content
(``<cache>/<sha256>.npy``), so a render reads each clip once.

Problems are reported together, each naming the clip: a missing folder, a clip that is
not audio, is empty, silent or too long, two clips for one phrase, a link leading outside.
A folder beside the clips is never looked into: one named ``index.yaml`` or like a clip is
an error, any other a warning. A file whose name matches no phrase is a warning (a typo is
seen, the render goes on), and so is a zip member whose name leads out of the zip (never read).
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

from matcue.core.errors import LinesError, is_control, printable_name, shown
from matcue.core.naming import phrase_id
from matcue.core.paths import (
    Unreadable,
    kind_name,
    lies_inside,
    open_regular,
    read_bounded,
    real_path,
    shown_folder,
    size_text,
)
from matcue.core.text import (
    without_silent,
)
from matcue.voice.base import AnyClip, Clip
from matcue.voice.cleaning import PROCESS_VERSION, clean, decode
from matcue.voice.recindex import INDEX_NAME, file_hint, read_index

_NOT_A = {INDEX_NAME: "an index of recordings"}  # what a file that cannot be read is not
AUDIO_EXTENSIONS = frozenset(
    ".m4a .aac .mp4 .mp3 .wav .wave .ogg .oga .opus .webm .weba .mka .flac .caf .aif .aiff .3gp .amr".split()
)
MAX_CLIP_BYTES = 50_000_000  # a phone's two minutes of WAV fit several times over
MAX_FILES = 2000  # files looked at in a folder or a zip
MAX_ZIP_BYTES = 500_000_000
MAX_ZIP_UNPACKED = 2_000_000_000  # all the clips read out of one zip: 2000 phrases of 10 s as WAV fit
MAX_ZIP_RATIO = 100  # unpacked / packed size of one member: speech packs about 1 to 3, silence 10


class RecordingError(LinesError):
    """One or more recordings that cannot be used; one line each, naming the clip."""


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
        self.leading_out: list[str] = []  # zip members named "../x", "/x" or "C:\\x": never read
        # folders beside the clips (never looked into): name -> (its path in the source,
        # whether one that is named like no clip is a warning; a zip's own folder is not)
        self.folders: dict[str, tuple[str, bool]] = {}
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
    return any(is_control(ch) for ch in name)


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
        if not src.allow_outside and not lies_inside(entry.path, src.root):
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
        if stat.S_ISDIR(mode):
            src.folders[entry.name] = (entry.name, True)  # never looked into (_folder_problems)
            continue
        src.names.append(entry.name)
        if not stat.S_ISREG(mode):
            src.refused[entry.name] = f"is {kind_name(mode)}, not {_NOT_A.get(entry.name, 'a recording')}"


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
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            src.leading_out.append(info.filename)  # never read, whatever it is named
            continue
        if "__MACOSX" in parts or any(p.startswith(".") for p in parts):
            continue  # macOS's resource forks, hidden files and folders
        _zip_folder(src, [p for p in parts if p] if info.is_dir() else parts[:-1])
        if info.is_dir() or not name or len(parts) > 2:
            continue  # folders, anything nested deeper than the zip's own folder
        if _odd_name(name):
            src.odd.append(name)
            continue
        if name in src.members:
            twice = f"{name_shown(src.members[name].filename)} and {name_shown(info.filename)}"
            src.refused[name] = f"is in the zip twice ({twice})"
            continue
        src.members[name] = info
        src.names.append(name)


def _zip_folder(src: _Source, folders: list[str]) -> None:
    """Notes the folder a zip member is in (or a folder entry is) when it lies beside the
    clips: at the top (a folder named like a clip or the index; any other name may be the
    zipped folder itself) or in the zipped folder (any name)."""
    at = folders[:2]
    if not at or any(map(_odd_name, at)):
        return
    src.folders.setdefault(at[-1], ("/".join(at) + "/", len(at) > 1))


# ----------------------------------------------------------------------------- matching


def find_recordings(
    path: Path,
    texts: Sequence[str],
    *,
    root: str | None = None,
    allow_outside: bool = False,
    cache_dir: Path | None = None,
    elsewhere: Sequence[str] = (),
) -> Recordings:
    """The clips of the folder or zip ``path`` that stand for ``texts`` (a script's phrases).

    ``root``: the real folder every clip must lie in (the routine's folder for a routine's
    ``recordings:``; by default the recordings folder itself). Raises RecordingError with
    every problem found; files that match no phrase come back as warnings. Texts that are
    the same words (Unicode NFC, spacing aside) share one id and one clip. ``elsewhere``:
    what the routine speaks outside the part played (a preview, ``--only``): a clip for
    one of those is neither read nor warned about."""
    root = root or real_path(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    src = _open_source(Path(path), root, allow_outside)
    try:
        return _match(src, texts, cache_dir, elsewhere)
    finally:
        if src.zip is not None:
            src.zip.close()


def _same(text: str) -> str:
    """A text as an index's key and a cue are compared: spacing, Unicode spelling and the
    format characters that show nothing (:func:`matcue.core.text.without_silent`) aside."""
    return " ".join(unicodedata.normalize("NFC", without_silent(text)).split())


def _match(src: _Source, texts: Sequence[str], cache_dir: Path | None, elsewhere: Sequence[str] = ()) -> Recordings:
    ids: dict[str, list[str]] = {}  # id -> the texts it stands for (one, or spellings of it)
    for t in texts:
        ids.setdefault(phrase_id(t), []).append(t)
    by_text = {_same(t): phrase_id(t) for t in texts}
    other = {phrase_id(t) for t in elsewhere} | {_same(t) for t in elsewhere}  # not played: left alone
    problems: list[str] = []
    warnings = [f"{src.where(n)}: a file name with control characters is not read" for n in src.odd]
    warnings += [f"{src.where(n)}: a name leading out of the zip is not read" for n in src.leading_out]
    chosen: dict[str, list[str]] = {}  # id -> clip names
    indexed: set[str] = set()
    if INDEX_NAME in src.refused:
        problems.append(f"{src.where(INDEX_NAME)}: {src.refused[INDEX_NAME]}")
    elif INDEX_NAME in src.names:
        for key, name, mark in read_index(src, problems, MAX_FILES):
            pid = key if key in ids else by_text.get(_same(key))
            if name == INDEX_NAME or (name in src.folders and name not in src.names):
                what = "the index itself" if name == INDEX_NAME else "a folder"
                problems.append(f"{mark}: {shown(name)} is {what}, not a recording (the index names a clip beside it)")
            elif name not in src.names:
                hint = file_hint(name, src.names)
                problems.append(
                    f"{mark}: {shown(name)} is not in the recordings (the index names a file beside it{hint})"
                )
            elif pid is None and (key in other or _same(key) in other):
                pass
            elif pid is None:
                warnings.append(f"{mark}: {shown(key)} matches no phrase this routine speaks with these settings")
            elif name not in chosen.get(pid, []):
                chosen.setdefault(pid, []).append(name)
            indexed.add(name)
    _folder_problems(src, ids, problems, warnings)
    for name in src.names:
        if name == INDEX_NAME or name in indexed:
            continue
        if name.lower() in (INDEX_NAME, "index.yml"):
            warnings.append(
                f"{src.where(name)}: is not read as the index (the index of recordings is named {INDEX_NAME})"
            )
            continue
        stem, ext = os.path.splitext(name)
        if stem.lower() in ids:
            chosen.setdefault(stem.lower(), []).append(name)
        elif stem.lower() in other:
            continue
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


def _folder_problems(src: _Source, ids: dict[str, list[str]], problems: list[str], warnings: list[str]) -> None:
    """A folder beside the clips is never looked into: one named like the index or like a
    clip is an error (the teacher meant a file), any other a warning (its files are not read)."""
    files = {os.path.splitext(n)[0].lower() for n in src.names}
    for name, (path, said) in sorted(src.folders.items()):
        stem = os.path.splitext(name)[0].lower()
        where = src.where(path)
        if name in src.names:
            continue  # a zip holding a file and a folder of one name: the file is read
        if name == INDEX_NAME:
            problems.append(
                f"{where}: is a folder, not an index of recordings (an index is a file of 'id: file' lines)"
            )
        elif (name.lower() in ids or stem in ids) and not {name.lower(), stem} & files:
            problems.append(f"{where}: is a folder, not a recording (a clip is an audio file named by its phrase's id)")
        elif said:
            warnings.append(f"{where}: is a folder; the files in it are not read (clips lie beside it, not in it)")


def _guess(stem: str, ids: dict[str, list[str]]) -> str:
    import difflib

    close = difflib.get_close_matches(stem.lower(), list(ids), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else " (matcue cues lists the phrases and their ids)"


# ----------------------------------------------------------------------------- clips


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
        samples = clean(decode(path))
    clip = Clip(samples)
    try:
        store(entry, clip)
    except OSError:
        return clip  # an unwritable cache costs time, not the render
    return load_cached(entry) or clip
