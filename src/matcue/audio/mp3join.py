"""Join independently encoded MP3 parts into one gapless file with one correct LAME tag.

Each part is a CBR MPEG-1 Layer III stream written by ffmpeg's libmp3lame with an
Info/LAME tag frame (``-write_xing 1``). The joined file keeps the first part's tag frame,
drops the other parts' tag frames, and rewrites the tag for the whole: frame count, byte
count, seek table, encoder delay (the first part's) and end padding (the last part's),
music length and CRC (combined from the parts' own CRCs, never recomputed over the audio),
and the tag's own CRC. Decoders that honour the LAME tag (ffmpeg, most players) then
trim exactly the first part's delay and the last part's padding.

The tag's own CRC covers every byte of the tag frame before the CRC field, as LAME
computes it: 190 bytes in a stereo MPEG-1 frame (32 bytes of side information), 175 in a
mono one (17 bytes). ffmpeg, when it writes the tag, takes 190 bytes in every frame, so
:func:`reseal` puts LAME's CRC into a mono part ffmpeg wrote. eyeD3 checks the CRC of the
first 190 bytes against bytes 190-191 in every frame; in a mono frame those bytes lie in
the frame's unused remainder after the tag, so :func:`seal` writes that CRC there too
(:data:`COMPAT_CRC_AT`) and both readings agree.

Under 64 kbps a frame is too short for the tag and those two bytes (192 bytes at least):
the tag frame then takes the lowest bitrate at which they fit, 64 kbps, as ffmpeg does
for its tag (:func:`tag_header`). Decoders skip the tag frame; the audio is untouched.

What the parts leave at each join — the earlier part's end padding and the later part's
encoder delay, ``padding + ENCODER_DELAY`` samples — the renderer takes out of a silence
in the PCM it feeds the later part, so the decoded track is sample-aligned with the mix.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

SAMPLES_PER_FRAME = 1152
ENCODER_DELAY = 576  # LAME's encoder delay, written in the tag
_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES_HZ = (44100, 48000, 32000)
_TOC_SIZE = 100
TAG_CRC_AT = 154  # the tag CRC field, from "Info"/"Xing"; it covers every byte before it
LAME_TAG_END = TAG_CRC_AT + 2  # the Info/LAME tag ends here (from "Info"/"Xing")
COMPAT_CRC_AT = 190  # where a reader that assumes stereo MPEG-1 looks for the tag CRC
_STEREO_MODES = {0b00: 1, 0b01: 3, 0b10: 2, 0b11: 0}  # header mode -> LAME tag stereo mode
_SOURCE_44K = 1  # LAME tag source sample frequency: 44.1 kHz
_VBR_METHOD_CBR = 1


class JoinError(ValueError):
    """A part is not the kind of MP3 this module joins."""


@dataclass(frozen=True, slots=True)
class Tag:
    """A part's Info/LAME tag frame and what it says."""

    frame: bytes  # the whole first frame
    offset: int  # of "Info"/"Xing" inside it
    delay: int
    padding: int
    music_bytes: int  # the whole part, tag frame included (ffmpeg's "music length")
    audio_crc: int  # CRC-16 of the audio frames after the tag frame

    @property
    def audio_bytes(self) -> int:
        return self.music_bytes - len(self.frame)


def frame_size(header: int) -> int:
    """Bytes in an MPEG-1 Layer III frame from its 32-bit header; JoinError if not one."""
    if (header >> 21) & 0x7FF != 0x7FF or (header >> 19) & 3 != 3 or (header >> 17) & 3 != 1:
        raise JoinError(f"not an MPEG-1 Layer III frame header: {header:#010x}")
    index = (header >> 12) & 0xF
    rate_index = (header >> 10) & 3
    if index in (0, 15) or rate_index == 3:
        raise JoinError(f"unsupported frame header: {header:#010x}")
    return 144 * _BITRATES_KBPS[index] * 1000 // _RATES_HZ[rate_index] + ((header >> 9) & 1)


def read_tag(path: Path) -> Tag:
    """The Info/LAME tag of a part written by ffmpeg with ``-write_xing 1`` (no ID3)."""
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4:
            raise JoinError(f"{path.name}: empty")
        frame = head + f.read(frame_size(struct.unpack(">I", head)[0]) - 4)
    tag = max(frame.find(b"Info"), frame.find(b"Xing"))
    if tag < 0 or tag + 156 > len(frame):
        raise JoinError(f"{path.name}: the first frame carries no Info/LAME tag")
    v = int.from_bytes(frame[tag + 141 : tag + 144], "big")
    music_bytes, audio_crc = struct.unpack_from(">IH", frame, tag + 148)
    return Tag(frame, tag, v >> 12, v & 0xFFF, music_bytes, audio_crc)


def frame_sizes(path: Path, *, has_tag: bool = True) -> np.ndarray:
    """Sizes of the audio frames of a part (after its tag frame, if it has one)."""
    sizes = frame_sizes_from(path, 0)
    return sizes[1:] if has_tag else sizes


def frame_sizes_from(path: Path, offset: int, chunk_bytes: int = 1 << 20) -> np.ndarray:
    """Sizes of the frames from byte ``offset`` on (after a reserved tag slot), as uint16:
    2 bytes a frame, so two hours of audio (260 000 frames) take half a megabyte."""
    sizes = array("H")
    with open(path, "rb") as f:
        f.seek(offset)
        buf = b""
        while True:
            more = f.read(chunk_bytes)
            buf += more
            pos = 0
            while pos + 4 <= len(buf):
                size = frame_size(struct.unpack_from(">I", buf, pos)[0])
                if pos + size > len(buf):
                    break
                sizes.append(size)
                pos += size
            buf = buf[pos:]
            if not more:
                break
    if buf:
        raise JoinError(f"{path.name}: {len(buf)} stray bytes at the end")
    return np.frombuffer(sizes, dtype=np.uint16)


def first_header(path: Path, offset: int = 0) -> int:
    with open(path, "rb") as f:
        f.seek(offset)
        head = f.read(4)
    if len(head) < 4:
        raise JoinError(f"{path.name}: no audio frames")
    return int(struct.unpack(">I", head)[0])


def join_into(first: Path, others: list[Path], chunk_bytes: int = 1 << 20) -> None:
    """Append the other parts' audio to ``first`` and rewrite its tag for the whole file."""
    tags = [read_tag(first), *(read_tag(p) for p in others)]
    parts = [frame_sizes(first)]
    with open(first, "r+b") as out:
        out.seek(0, 2)
        for path, tag in zip(others, tags[1:]):
            parts.append(frame_sizes(path))
            with open(path, "rb") as f:
                f.seek(len(tag.frame))
                while chunk := f.read(chunk_bytes):
                    out.write(chunk)
        out.seek(0)
        sizes = np.concatenate(parts)
        out.write(whole_tag(tags, sizes))


def whole_tag(tags: list[Tag], sizes: np.ndarray) -> bytes:
    """The first part's tag frame, rewritten to describe all the parts joined."""
    head = tags[0]
    frame = bytearray(head.frame)
    t = head.offset
    audio_bytes = int(np.sum(np.asarray(sizes, dtype=np.int64)))
    if audio_bytes != sum(tag.audio_bytes for tag in tags):
        raise JoinError("the parts' frames do not add up to what their tags say")
    total_bytes = len(frame) + audio_bytes
    struct.pack_into(">II", frame, t + 8, len(sizes), total_bytes)
    frame[t + 16 : t + 16 + _TOC_SIZE] = _toc(len(frame), sizes, total_bytes)
    frame[t + 141 : t + 144] = ((head.delay << 12) | min(tags[-1].padding, 0xFFF)).to_bytes(3, "big")
    crc = 0
    for tag in tags:
        crc = crc16_combine(crc, tag.audio_crc, tag.audio_bytes)
    struct.pack_into(">IHH", frame, t + 148, total_bytes, crc, 0)
    seal(frame, t)
    return bytes(frame)


def _toc(first_size: int, frame_sizes: np.ndarray | list[int], total_bytes: int) -> bytes:
    """The Xing seek table: where (of 256) in the file each percent of the frames begins."""
    toc = np.zeros(_TOC_SIZE, dtype=np.uint8)
    sizes = np.asarray(frame_sizes, dtype=np.int64)
    n = len(sizes)
    if n:
        starts = first_size + np.concatenate([[0], np.cumsum(sizes)[:-1]])
        marks = np.arange(1, _TOC_SIZE) * n // _TOC_SIZE
        toc[1:] = np.minimum(255, 256 * starts[marks] // total_bytes)
    return toc.tobytes()


def info_frame(
    first_header: int,
    sizes: np.ndarray,
    delay: int,
    padding: int,
    music_crc: int,
    encoder: bytes = b"LAME3.100",
) -> bytes:
    """A CBR Info/LAME tag frame (as LAME writes it) for audio frames of ``sizes`` bytes.

    ``first_header`` is the header of the first audio frame: the tag frame has the same
    mode, without the padding bit, at the same bitrate or the lowest one above at which
    the tag fits (:func:`tag_header`). Decoders read the encoder delay and end padding
    from it and trim them, so the decoded length is exact.
    """
    header = tag_header(first_header)
    frame = bytearray(frame_size(header))
    t = tag_offset(header)
    struct.pack_into(">I", frame, 0, header)
    frame[t : t + 4] = b"Info"
    struct.pack_into(">I", frame, t + 4, 0x0F)  # frames, bytes, TOC and quality present
    frame[t + 120 : t + 120 + len(encoder[:9])] = encoder[:9]
    frame[t + 129] = _VBR_METHOD_CBR  # tag revision 0
    frame[t + 140] = min(255, _BITRATES_KBPS[(first_header >> 12) & 0xF])
    frame[t + 144] = _SOURCE_44K << 6 | _STEREO_MODES[(first_header >> 6) & 3] << 2
    total_bytes = len(frame) + int(np.sum(np.asarray(sizes, dtype=np.int64)))
    struct.pack_into(">II", frame, t + 8, len(sizes), total_bytes)
    frame[t + 16 : t + 16 + _TOC_SIZE] = _toc(len(frame), sizes, total_bytes)
    frame[t + 141 : t + 144] = ((delay << 12) | min(padding, 0xFFF)).to_bytes(3, "big")
    struct.pack_into(">IH", frame, t + 148, total_bytes, music_crc)
    seal(frame, t)
    return bytes(frame)


def tag_offset(header: int) -> int:
    """Where "Info"/"Xing" starts in an MPEG-1 frame: after the header and side information."""
    return 4 + (17 if (header >> 6) & 3 == 3 else 32)


def tag_header(audio_header: int) -> int:
    """The tag frame's header for a stream whose frames have ``audio_header``: the same
    version, rate and mode, no padding slot, no CRC protection, at the audio's bitrate or
    the lowest above it at which the Info/LAME tag and the CRC at byte 190 fit."""
    frame_size(audio_header)  # JoinError if not an MPEG-1 Layer III header
    base = (audio_header & ~(1 << 9) & ~(0xF << 12)) | 1 << 16  # protection bit set = no CRC
    for index in range((audio_header >> 12) & 0xF, 15):
        header = base | index << 12
        if max(tag_offset(header) + LAME_TAG_END, COMPAT_CRC_AT + 2) <= frame_size(header):
            return header
    raise JoinError(f"no bitrate fits an Info tag frame for {audio_header:#010x}")  # cannot happen


def seal(frame: bytearray, offset: int) -> None:
    """Write the tag CRC of a tag frame whose "Info"/"Xing" is at ``offset``, last.

    The CRC-16 of every byte before the CRC field (LAME's rule); in a mono frame also the
    CRC-16 of the first 190 bytes at byte 190, after the tag (see the module docstring).
    """
    at = offset + TAG_CRC_AT
    struct.pack_into(">H", frame, at, crc16(bytes(frame[:at])))
    if at < COMPAT_CRC_AT and COMPAT_CRC_AT + 2 <= len(frame):
        struct.pack_into(">H", frame, COMPAT_CRC_AT, crc16(bytes(frame[:COMPAT_CRC_AT])))


def reseal(path: Path) -> None:
    """Rewrite the tag CRC of the part ``path`` (see :func:`seal`)."""
    tag = read_tag(path)
    frame = bytearray(tag.frame)
    seal(frame, tag.offset)
    with open(path, "r+b") as f:
        f.write(frame)


# --- CRC-16/ARC (ffmpeg's AV_CRC_16_ANSI_LE): table, and combination without the data --


def _table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _table()


def crc16(data: bytes, crc: int = 0) -> int:
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _gf2_times(matrix: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= matrix[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, m) for m in matrix]


_LANES = 4096
_NP_TABLE = np.array(_CRC_TABLE, dtype=np.uint16)


def crc16_fast(data: bytes | memoryview, crc: int = 0) -> int:
    """``crc16`` for megabytes: 4096 lanes stepped together in numpy, then folded in a tree."""
    a = np.frombuffer(data, dtype=np.uint8)
    lane_len = len(a) // _LANES
    if lane_len < 16:
        return crc16(bytes(data), crc)
    lanes = np.ascontiguousarray(a[: _LANES * lane_len].reshape(_LANES, lane_len).T)
    c = np.zeros(_LANES, dtype=np.uint16)
    for row in lanes:
        c = _NP_TABLE[(c ^ row) & 0xFF] ^ (c >> 8)
    span = lane_len
    while len(c) > 1:  # combine neighbours: crc(A||B) = shift_len(B)(crc A) ^ crc B
        c = _apply(_shift_matrix(span), c[0::2]) ^ c[1::2]
        span *= 2
    total = int(_apply(_shift_matrix(_LANES * lane_len), np.array([crc], dtype=np.uint16))[0]) ^ int(c[0])
    return crc16(bytes(a[_LANES * lane_len :]), total)


def _apply(matrix: tuple[int, ...], v: np.ndarray) -> np.ndarray:
    out = np.zeros_like(v)
    for bit, column in enumerate(matrix):
        out ^= ((v >> bit) & 1) * np.uint16(column)
    return out


@lru_cache(maxsize=64)
def _shift_matrix(nbytes: int) -> tuple[int, ...]:
    """The GF(2) operator that runs a CRC register through ``nbytes`` zero bytes."""
    result = tuple(1 << i for i in range(16))  # identity
    byte_op = _one_zero_byte()
    power = byte_op
    while nbytes:
        if nbytes & 1:
            result = tuple(_gf2_times(list(power), col) for col in result)
        nbytes >>= 1
        if nbytes:
            power = tuple(_gf2_times(list(power), col) for col in power)
    return result


@lru_cache(maxsize=1)
def _one_zero_byte() -> tuple[int, ...]:
    """Columns of the operator for one zero byte: the CRC of each single-bit register."""
    cols = []
    for i in range(16):
        reg = 1 << i
        reg = _CRC_TABLE[reg & 0xFF] ^ (reg >> 8)
        cols.append(reg)
    return tuple(cols)


def crc16_combine(crc_a: int, crc_b: int, len_b: int) -> int:
    """CRC of A followed by B, from the CRCs of A and B and the length of B (zlib's method)."""
    if len_b <= 0:
        return crc_a
    # the operator for one zero bit in the reflected register
    odd = [0xA001] + [1 << i for i in range(15)]
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len_b & 1:
            crc_a = _gf2_times(even, crc_a)
        len_b >>= 1
        if not len_b:
            break
        odd = _gf2_square(even)
        if len_b & 1:
            crc_a = _gf2_times(odd, crc_a)
        len_b >>= 1
        if not len_b:
            break
    return crc_a ^ crc_b
