"""Audio formats a track can be written in: MP3, AAC in M4A, Opus in Ogg.

To add a format: add an :class:`AudioFormat` to ``FORMATS`` (its ffmpeg encoder, the
container ffmpeg writes, its bitrates), then a ``_tag_<name>`` writer and a
``read_<name>`` reader below, and a read-back test in ``tests/audio/test_formats.py``.

- ``mp3``: LAME (:mod:`matcue.audio.encode`), ID3v2.4 tags, CHAP/CTOC chapters, APIC cover.
- ``m4a``: AAC-LC (ffmpeg's native ``aac`` encoder) in an MPEG-4 audio file (ffmpeg's
  ``ipod`` muxer): chapters as a QuickTime chapter track (what Apple apps show; ffmpeg
  writes it from an ``ffmetadata`` input), iTunes tags ``©nam``/``©ART``/``©alb`` and a
  ``covr`` cover written by mutagen.
- ``opus``: Opus (``libopus``) in Ogg: Vorbis comments ``TITLE``, ``ARTIST``, ``ALBUM``,
  chapters as ``CHAPTER001=HH:MM:SS.mmm`` / ``CHAPTER001NAME=...`` (the Vorbis chapter
  extension, which ffmpeg and many players read) and the cover as a
  ``METADATA_BLOCK_PICTURE``, written by mutagen.

The mix is the same for every format; only the encoder and the tags differ. After
writing an M4A or Opus file, its tags are read back with mutagen (:func:`read_tags`) before the file is moved
into place. The default bitrates were chosen by measurement (``scripts/bench-formats``,
docs/sharing.md).
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcue.audio.codec import (
    AudioFormat,
    FormatError,
    format_of,
)
from matcue.core import atomic
from matcue.core.durations import vtt_time
from matcue.core.errors import RenderError
from matcue.core.tools import ffmpeg_path
from matcue.languages import iso639_2
from matcue.plan.timeline import Chapter, Timeline

if TYPE_CHECKING:
    from matcue.audio.mixdown import MixSettings
    from matcue.core.atomic import Unit
    from matcue.core.media import Cover
    from matcue.voice.base import AnyClip


CHAPTER_KEY = "CHAPTER{:03d}"  # Vorbis chapter extension, numbered from 001


@lru_cache(maxsize=8)
def _ffmpeg_encoders(exe: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [exe, "-hide_banner", "-nostdin", "-encoders"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and re.fullmatch(r"[VASFXBD.]{6}", parts[0]):
            names.add(parts[1])
    return frozenset(names)


def require_encoder(fmt: AudioFormat) -> str:
    """The ffmpeg executable when it has ``fmt``'s encoder; FormatError (or ToolMissingError) if not.

    MP3 is encoded by LAME in this process when lameenc is installed, so it needs no check."""
    exe = ffmpeg_path()
    if fmt.encoder not in _ffmpeg_encoders(exe):
        raise FormatError(
            f"--format {fmt.name}: this ffmpeg ({exe}) has no {fmt.encoder} encoder"
            f" (install an ffmpeg built with it, e.g. Debian's 'ffmpeg' package, or choose another format)"
        )
    return exe


# ----------------------------------------------------------------------------- encoding


MAX_M4A_CHAPTER_TITLE_BYTES = 255  # the Nero chapter list ('chpl') gives each title a one-byte length


def ffmetadata(chapters: tuple[Chapter, ...]) -> str:
    """ffmpeg's metadata file with one ``[CHAPTER]`` per chapter, times in ms. A title longer
    than 255 bytes of UTF-8 is cut at a character: ffmpeg cut it inside one, and the file's
    chapter list could not be read back (a 2000-character title in another script)."""

    def esc(text: str) -> str:
        cut = text.encode("utf-8")[:MAX_M4A_CHAPTER_TITLE_BYTES].decode("utf-8", "ignore")
        return re.sub(r"([=;#\\\n])", r"\\\1", cut)

    out = [";FFMETADATA1"]
    for c in sorted(chapters, key=lambda c: (c.start_ms, c.end_ms)):
        out += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={c.start_ms}", f"END={c.end_ms}", f"title={esc(c.title)}"]
    return "\n".join(out) + "\n"


def ffmpeg_command(
    exe: str,
    fmt: AudioFormat,
    out_path: Path,
    bitrate: str,
    channels: int,
    rate_hz: int,
    meta: Path | None,
    language: str | None = None,
) -> list[str]:
    """ffmpeg reading s16le PCM on stdin (and chapters from ``meta``), writing ``out_path``;
    ``language`` (ISO 639-2) is the audio track's language (M4A's track header)."""
    cmd = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "s16le", "-ar", str(rate_hz), "-ac", str(channels), "-i", "pipe:0"]  # fmt: skip
    if meta is not None:
        cmd += ["-f", "ffmetadata", "-i", str(meta), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
    else:
        cmd += ["-map_metadata", "-1", "-map_chapters", "-1"]
    cmd += ["-c:a", fmt.encoder, "-b:a", bitrate, "-ac", str(channels)]
    if language and fmt.name == "m4a":
        cmd += ["-metadata:s:a:0", f"language={language}"]
    if fmt.name == "m4a":
        cmd += ["-movflags", "+faststart"]  # the index first: a podcast app can play while it downloads
    cmd += ["-f", fmt.muxer, str(out_path)]
    return cmd


@dataclass(frozen=True, slots=True)
class TrackEncoding:
    """How a track is encoded: its format, bitrate (``parse_bitrate`` checked it) and, for
    MP3, LAME's ``-q`` (None: ``render.LAME_QUALITY``)."""

    fmt: AudioFormat
    bitrate: str
    quality: int | None = None


def render_track(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    out_path: Path,
    encoding: TrackEncoding,
    *,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    settings: MixSettings | None = None,
    unit: Unit | None = None,
) -> Path:
    """Mix and encode the timeline to ``out_path`` as ``encoding`` says, tagged, atomically;
    ``unit``: staged in it instead of moved into place (:class:`matcue.core.atomic.Unit`)."""
    from matcue.audio import render
    from matcue.audio.mixdown import MixSettings

    settings = settings or MixSettings()
    fmt, bitrate, quality = encoding.fmt, encoding.bitrate, encoding.quality
    if fmt.name == "mp3":
        mp3 = render.Mp3Encoding(bitrate, quality=render.LAME_QUALITY if quality is None else quality)
        return render.render_mp3(
            timeline, clips, out_path, encoding=mp3, progress=progress, jobs=jobs, settings=settings, unit=unit
        )
    output = render.FfmpegOutput(
        exe=require_encoder(fmt),
        command=lambda exe, tmp, meta, channels, rate: ffmpeg_command(
            exe, fmt, tmp, bitrate, channels, rate, meta, iso639_2(timeline.language)
        ),
        tag=lambda tmp: write_tags(tmp, fmt, timeline),
        chapters_file=ffmetadata(timeline.chapters) if fmt.name == "m4a" else None,
    )
    return render.render_with_ffmpeg(
        timeline, clips, out_path, output, progress=progress, jobs=jobs, settings=settings, unit=unit
    )


# ----------------------------------------------------------------------------- tags


def write_tags(path: Path, fmt: AudioFormat, timeline: Timeline) -> None:
    """Tag an M4A or Opus file ``path`` (title, artist, album, chapters, cover) and read the
    tags back (MP3 is tagged by :func:`matcue.audio.mp3.write_tags` on the render's own path)."""
    cover = timeline.cover
    try:
        if fmt.name == "m4a":
            _tag_m4a(path, timeline, cover)
        else:
            _tag_opus(path, timeline, cover)
        back = read_tags(path, fmt)
    except (OSError, ValueError) as exc:  # mutagen's errors are ValueErrors / OSErrors
        raise RenderError(f"cannot write tags to {atomic.shown_file(path)}: {atomic.failure_text(exc, path)}") from exc
    if back.title != timeline.title or len(back.chapters) != len(timeline.chapters) or back.has_cover != bool(cover):
        raise RenderError(f"the tags read back from {atomic.shown_file(path)} differ from the tags written")


def _tag_m4a(path: Path, timeline: Timeline, cover: Cover | None) -> None:
    from mutagen.mp4 import MP4, MP4Cover

    f = MP4(path)
    if f.tags is None:
        f.add_tags()
    tags = f.tags
    assert tags is not None
    tags.clear()
    tags["\xa9nam"] = [timeline.title]
    if timeline.artist:
        tags["\xa9ART"] = [timeline.artist]
    if timeline.album:
        tags["\xa9alb"] = [timeline.album]
    tags["\xa9too"] = ["matcue"]
    if cover is not None:
        kind = MP4Cover.FORMAT_JPEG if cover.mime == "image/jpeg" else MP4Cover.FORMAT_PNG
        tags["covr"] = [MP4Cover(cover.data, imageformat=kind)]
    f.save()


vorbis_time = vtt_time  # ``HH:MM:SS.mmm``: the Vorbis chapter extension writes time as WebVTT does


def _picture_block(cover: Cover) -> str:
    """A FLAC picture block (front cover), base64: Ogg's ``METADATA_BLOCK_PICTURE``."""
    from io import BytesIO

    from mutagen.flac import Picture
    from PIL import Image

    pic = Picture()
    pic.type = 3  # front cover
    pic.mime = cover.mime
    pic.data = cover.data
    with Image.open(BytesIO(cover.data)) as im:
        pic.width, pic.height = im.size
        pic.depth = 24
    return base64.b64encode(pic.write()).decode("ascii")


def _tag_opus(path: Path, timeline: Timeline, cover: Cover | None) -> None:
    from mutagen.oggopus import OggOpus

    f = OggOpus(path)
    assert f.tags is not None
    f.tags.clear()
    f.tags["TITLE"] = [timeline.title]
    if timeline.artist:
        f.tags["ARTIST"] = [timeline.artist]
    if timeline.album:
        f.tags["ALBUM"] = [timeline.album]
    f.tags["ENCODER"] = ["matcue"]
    f.tags["LANGUAGE"] = [timeline.language]
    for i, c in enumerate(sorted(timeline.chapters, key=lambda c: (c.start_ms, c.end_ms)), 1):
        key = CHAPTER_KEY.format(i)
        f.tags[key] = [vorbis_time(c.start_ms)]
        f.tags[key + "NAME"] = [c.title]
    if cover is not None:
        f.tags["METADATA_BLOCK_PICTURE"] = [_picture_block(cover)]
    f.save()


@dataclass(frozen=True, slots=True)
class ReadTags:
    """What mutagen reads back from a file: the tags a player shows."""

    title: str | None
    artist: str | None
    album: str | None
    chapters: tuple[tuple[int, str], ...]  # (start ms, title), in order
    has_cover: bool
    cover: bytes | None = None
    language: str | None = None  # MP3: TLAN (ISO 639-2); Opus: LANGUAGE (the routine's tag); M4A: None


def read_tags(path: Path, fmt: AudioFormat | None = None) -> ReadTags:
    """Title, artist, album, chapter starts and cover of a file matcue wrote (mutagen)."""
    fmt = fmt or format_of(path)
    if fmt.name == "m4a":
        from mutagen.mp4 import MP4

        f = MP4(path)
        t: Any = f.tags or {}
        covers = t.get("covr", [])
        chapters = tuple((round(c.start * 1000), c.title) for c in (f.chapters or []))

        def one(key: str) -> str | None:
            v = t.get(key)
            return str(v[0]) if v else None

        return ReadTags(one("\xa9nam"), one("\xa9ART"), one("\xa9alb"), chapters, bool(covers),
                        bytes(covers[0]) if covers else None)  # fmt: skip
    if fmt.name == "opus":
        from mutagen.flac import Picture
        from mutagen.oggopus import OggOpus

        tags = OggOpus(path).tags
        assert tags is not None

        def first(key: str) -> str | None:
            v = tags.get(key)
            return v[0] if v else None

        found = []
        i = 1
        while (at := first(CHAPTER_KEY.format(i))) is not None:
            found.append((parse_vorbis_time(at), first(CHAPTER_KEY.format(i) + "NAME") or ""))
            i += 1
        pics = tags.get("METADATA_BLOCK_PICTURE", [])
        data = Picture(base64.b64decode(pics[0])).data if pics else None
        return ReadTags(
            first("TITLE"), first("ARTIST"), first("ALBUM"), tuple(found), bool(pics), data, first("LANGUAGE")
        )
    from mutagen.id3 import ID3

    id3 = ID3(path)

    def text(frame: str) -> str | None:
        v = id3.get(frame)
        return str(v.text[0]) if v is not None else None

    chaps = sorted(id3.getall("CHAP"), key=lambda c: c.start_time)
    pics = id3.getall("APIC")
    return ReadTags(
        text("TIT2"), text("TPE1"), text("TALB"),
        tuple((int(c.start_time), str(c.sub_frames["TIT2"].text[0])) for c in chaps), bool(pics),
        pics[0].data if pics else None, text("TLAN"),
    )  # fmt: skip


def parse_vorbis_time(text: str) -> int:
    m = re.fullmatch(r"(\d+):(\d\d):(\d\d)(?:\.(\d{1,3}))?", text.strip())
    if not m:
        raise ValueError(f"not a chapter time: {text!r}")
    h, mi, s, frac = m.groups()
    return ((int(h) * 60 + int(mi)) * 60 + int(s)) * 1000 + int((frac or "0").ljust(3, "0"))
