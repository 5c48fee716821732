"""ID3v2.4 tags and chapters for a rendered MP3 (mutagen).

Tags: TIT2 title, TPE1 artist, TALB album (each skipped when None), TLEN length in ms,
TLAN the routine's language (ISO 639-2).
Chapters: one CHAP frame per chapter (element ids ``ch0``, ``ch1``... in start order,
times in ms, a TIT2 sub-frame with the title) under one top-level, ordered CTOC
(``toc``) that lists them in start order.

Frame order matters: ffmpeg/ffprobe ignore the CTOC and list chapters in the order the
CHAP frames appear in the file, and mutagen writes frames ordered by their size
(mutagen issue #506, still so in 1.48), so chapters with titles of different lengths
come out shuffled. After mutagen has saved the tag, ``_order_chap_frames`` rewrites the
frame area of the tag in place, same size, with the CHAP frames in start order. It works
on the ID3v2 byte layout, not on mutagen internals, and the result is read back with
mutagen before returning.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mutagen.id3 import APIC, CHAP, CTOC, ID3, TALB, TIT2, TLAN, TLEN, TPE1, CTOCFlags, Encoding, PictureType
from mutagen.id3 import error as ID3Error

from matcue.core import atomic
from matcue.core.errors import RenderError
from matcue.languages import iso639_2
from matcue.plan.timeline import Chapter, Timeline

if TYPE_CHECKING:
    from matcue.core.media import Cover

TOC_ELEMENT_ID = "toc"
CHAPTER_ID_PREFIX = "ch"
NO_BYTE_OFFSET = 0xFFFFFFFF  # CHAP start/end byte offsets: unused, times are authoritative
ID3_HEADER_BYTES = 10
FRAME_HEADER_BYTES = 10
ID3_VERSION = 4


def write_tags(path: Path, timeline: Timeline) -> None:
    """Tag ``path`` with the timeline's title, artist, album, length and chapters."""
    tag_file(
        path,
        title=timeline.title,
        artist=timeline.artist,
        album=timeline.album,
        length_ms=timeline.total_ms,
        chapters=timeline.chapters,
        cover=timeline.cover,
        language=iso639_2(timeline.language),
    )


def tag_file(
    path: Path,
    *,
    title: str,
    artist: str | None = None,
    album: str | None = None,
    length_ms: int | None = None,
    chapters: Iterable[Chapter] = (),
    cover: Cover | None = None,
    language: str | None = None,
) -> None:
    """Replace any ID3v2 tag of ``path`` with these tags and chapters (ID3v2.4); ``language``
    (ISO 639-2, "eng") is the TLAN frame."""
    ordered = sorted(chapters, key=lambda c: (c.start_ms, c.end_ms))
    tags = ID3()
    tags.add(TIT2(encoding=Encoding.UTF8, text=[title]))
    if artist is not None:
        tags.add(TPE1(encoding=Encoding.UTF8, text=[artist]))
    if album is not None:
        tags.add(TALB(encoding=Encoding.UTF8, text=[album]))
    if length_ms is not None:
        tags.add(TLEN(encoding=Encoding.UTF8, text=[str(int(length_ms))]))
    if language:
        tags.add(TLAN(encoding=Encoding.UTF8, text=[language]))
    if cover is not None:
        tags.add(APIC(encoding=Encoding.UTF8, mime=cover.mime, type=PictureType.COVER_FRONT, desc="", data=cover.data))
    for frame in _chapter_frames(ordered):
        tags.add(frame)
    try:
        tags.save(path, v2_version=ID3_VERSION)
        if ordered:
            _order_chap_frames(path)
        ID3(path)  # read back: the rewritten tag must parse
    except (ID3Error, OSError) as exc:
        raise RenderError(f"cannot write tags to {atomic.shown_file(path)}: {atomic.failure_text(exc, path)}") from exc


def chapter_element_id(index: int) -> str:
    return f"{CHAPTER_ID_PREFIX}{index}"


def _chapter_frames(ordered: list[Chapter]) -> list[CHAP | CTOC]:
    ids = [chapter_element_id(i) for i in range(len(ordered))]
    frames: list[CHAP | CTOC] = []
    if ordered:
        frames.append(
            CTOC(
                element_id=TOC_ELEMENT_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[],
            )
        )
    for element_id, ch in zip(ids, ordered):
        frames.append(
            CHAP(
                element_id=element_id,
                start_time=int(ch.start_ms),
                end_time=int(ch.end_ms),
                start_offset=NO_BYTE_OFFSET,
                end_offset=NO_BYTE_OFFSET,
                sub_frames=[TIT2(encoding=Encoding.UTF8, text=[ch.title])],
            )
        )
    return frames


# --- raw frame reordering ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RawFrame:
    frame_id: bytes
    raw: bytes  # header and body


def _order_chap_frames(path: Path) -> None:
    """Rewrite the tag's frames in place: other frames first, then CHAP by start time."""
    with open(path, "rb+") as f:
        header = f.read(ID3_HEADER_BYTES)
        body_size = _parse_tag_header(header)
        body = f.read(body_size)
        if len(body) != body_size:
            raise RenderError(f"the ID3 tag of {atomic.shown_file(path)} is cut short")
        frames = _split_frames(body)
        new_body = _reordered(frames)
        if len(new_body) > body_size:
            raise RenderError(f"the ID3 frames of {atomic.shown_file(path)} do not fit their tag")  # cannot happen
        new_body += b"\x00" * (body_size - len(new_body))
        if new_body != body:
            f.seek(ID3_HEADER_BYTES)
            f.write(new_body)


def _parse_tag_header(header: bytes) -> int:
    if len(header) != ID3_HEADER_BYTES or header[:3] != b"ID3":
        raise RenderError("no ID3v2 tag at the start of the file")
    major, flags = header[3], header[5]
    if major != ID3_VERSION or flags & 0xD0:  # unsynchronisation, extended header, footer
        raise RenderError(f"unexpected ID3v2.{major} tag layout (flags {flags:#04x})")
    return _syncsafe(header[6:10])


def _syncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def _split_frames(body: bytes) -> list[_RawFrame]:
    frames: list[_RawFrame] = []
    pos = 0
    while pos + FRAME_HEADER_BYTES <= len(body) and body[pos] != 0:
        frame_id = body[pos : pos + 4]
        size = _syncsafe(body[pos + 4 : pos + 8])
        end = pos + FRAME_HEADER_BYTES + size
        if end > len(body):
            raise RenderError(f"ID3 frame {frame_id!r} runs past the end of the tag")
        frames.append(_RawFrame(frame_id, body[pos:end]))
        pos = end
    return frames


def _chap_sort_key(frame: _RawFrame) -> tuple[int, int, str]:
    """(start ms, chapter number, element id): start order, ties as in the CTOC."""
    data = frame.raw[FRAME_HEADER_BYTES:]
    nul = data.index(b"\x00")  # element id: latin-1, NUL-terminated; then 4 x uint32
    element_id = data[:nul].decode("latin-1")
    (start_ms,) = struct.unpack(">I", data[nul + 1 : nul + 5])
    suffix = element_id.removeprefix(CHAPTER_ID_PREFIX)
    number = int(suffix) if suffix.isdigit() else -1
    return int(start_ms), number, element_id


def _reordered(frames: list[_RawFrame]) -> bytes:
    others = [fr for fr in frames if fr.frame_id != b"CHAP"]
    chaps = [fr for fr in frames if fr.frame_id == b"CHAP"]
    chaps.sort(key=_chap_sort_key)
    return b"".join(fr.raw for fr in others + chaps)
