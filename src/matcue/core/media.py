"""Media files a routine names, read and checked before anything renders, within bounds:
an image for ``cover:`` (:func:`read_cover`) and an audio file for ``music:``
(:func:`probe_music`, :func:`ffmpeg_decode`). The loader checks them at load time; the
audio stage decodes them (``matcue.audio.cover``, ``matcue.audio.ambience``).
"""

from __future__ import annotations

import io
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from matcue.core.errors import MatcueError, RenderError

COVER_PX = 1400


MAX_KEEP_PX = 3000


# Limits for a given image (docs/reliability.md): a small file may declare a huge picture.
MAX_COVER_BYTES = 20_000_000


MAX_COVER_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; decoded as RGB, 150 MB
# Players show a cover square: a panorama of 3:1 still reads as a picture there, a strip of
# 1 000 000 x 1 became a 1400 x 1 line. The long side may be at most this many times the short.
MAX_COVER_ASPECT = 4


class CoverError(MatcueError):
    """A cover image that cannot be used; ``hint`` says what to do, when there is more to say."""

    def __init__(self, what: str, hint: str = ""):
        super().__init__(what)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Cover:
    data: bytes
    mime: str  # image/jpeg or image/png

    @property
    def extension(self) -> str:
        return ".jpg" if self.mime == "image/jpeg" else ".png"


def read_cover(path: str | Path) -> Cover:
    """Read an image file for use as a cover; CoverError says why when it cannot be used."""
    from PIL import Image, UnidentifiedImageError

    from matcue.core.paths import Unreadable, read_bounded

    try:
        data = read_bounded(path, MAX_COVER_BYTES, "an image file")
    except Unreadable as e:
        raise CoverError("no such file" if e.missing else str(e)) from None
    size: tuple[int, int] | None = None  # known once the header is read
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the limit below is lower
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                size = im.size
                if size[0] * size[1] > MAX_COVER_PIXELS:
                    raise _too_many_pixels(size)
                if max(size) > MAX_COVER_ASPECT * min(size):
                    raise _too_long(size)
                if fmt == "PNG":
                    _png_complete(data, size)  # Pillow takes a picture cut short for a whole one
                if fmt == "PNG" and max(size) <= MAX_KEEP_PX:
                    im.verify()  # every chunk's checksum, and the end of the image
                    return Cover(data, "image/png")
                if fmt == "JPEG" and max(size) <= MAX_KEEP_PX and im.mode in ("RGB", "L"):  # CMYK: re-encoded
                    im.draft("RGB", (COVER_PX // 4, COVER_PX // 4))  # decoded at 1/8 scale: a cut-off file fails
                    im.load()  # (a JPEG's verify() reads nothing)
                    return Cover(data, "image/jpeg")
                im.draft("RGB", (COVER_PX, COVER_PX))  # a JPEG decodes at a reduced scale
                im.load()
                rgb = im.convert("RGB")
    except Image.DecompressionBombError:  # Pillow's own limit, past ours: refused in the header
        raise _too_many_pixels(size) from None
    except UnidentifiedImageError:
        raise CoverError("not an image (JPEG or PNG expected)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise CoverError(_damage(e)) from None
    rgb.thumbnail((COVER_PX, COVER_PX))
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=88)
    return Cover(buf.getvalue(), "image/jpeg")


def _damage(e: Exception) -> str:
    """What is wrong with an image Pillow could not read, in our words: Pillow's own message
    named its internals ("Decompressed data too large for PngImagePlugin.MAX_TEXT_CHUNK",
    for a PNG whose text or colour profile unpacks past its 1 MB limit: a zip bomb in the
    metadata)."""
    if "MAX_TEXT_CHUNK" in str(e):
        return "its text or colour profile unpacks to more than 1 MB (save the picture again without its metadata)"
    return f"a damaged image: {e}"


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey+alpha, RGBA
# Adam7: (first column, first row, column step, row step) of each of the seven passes
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _png_complete(data: bytes, size: tuple[int, int]) -> None:
    """CoverError unless the PNG ``data`` holds every row its header declares. Pillow reads
    a picture whose compressed data ends early (a download cut short, a hostile file) as a
    whole one, the missing rows black. The data is inflated a megabyte at a time and only
    counted, so a picture of 50 million pixels costs time, not memory."""
    import struct
    import zlib

    pos, idat, header = 8, [], b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if len(header) < 13:
        return  # Pillow has refused it already, or will
    depth, colour, interlace = header[8], header[9], header[12]
    bits = depth * _PNG_CHANNELS.get(colour, 4)
    width, height = size
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    expected = 0
    for x0, y0, dx, dy in passes:
        cols, rows = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if cols > 0 and rows > 0:
            expected += rows * (1 + (cols * bits + 7) // 8)  # a filter byte, then the row
    inflate, got = zlib.decompressobj(), 0
    try:
        for chunk in idat:
            while chunk and got <= expected:
                got += len(inflate.decompress(chunk, 1 << 20))
                chunk = inflate.unconsumed_tail
        while not inflate.eof and got <= expected:
            out = inflate.decompress(b"", 1 << 20)
            if not out:
                break
            got += len(out)
    except zlib.error:
        got = -1
    if got < expected:
        raise CoverError(f"a damaged image: its picture data ends early ({width} x {height} pixels declared)")


def _too_many_pixels(size: tuple[int, int] | None) -> CoverError:
    limit = f"{MAX_COVER_PIXELS // 1_000_000} million"
    shown = f"is {size[0]} x {size[1]} pixels, more than" if size else "has more pixels than"
    return CoverError(f"the image {shown} the {limit} a cover may have", f"resize it to about {COVER_PX} x {COVER_PX}")


def _too_long(size: tuple[int, int]) -> CoverError:
    wide = size[0] > size[1]
    shape = "as wide as it is high" if wide else "as high as it is wide"
    return CoverError(
        f"the image is {size[0]} x {size[1]} pixels, more than {MAX_COVER_ASPECT} times {shape}"
        " (players show a cover square)",
        f"crop it to a square, or to at most {MAX_COVER_ASPECT}:1",
    )


MAX_MUSIC_BYTES = 1_000_000_000  # a music file larger than this is refused unread


# Demuxers ffmpeg may use for a music file: audio files only, never a playlist (HLS, concat,
# ...) that would make it open other files or the network.
MUSIC_FORMATS = "mp3,ogg,flac,wav,mov,matroska,aac,aiff,w64,caf,wv,ape,asf,opus,amr"
# ffmpeg's heap while it decodes a file from a stranger: a normal decode takes under 60 MB,
# but a header can make it take far more (a WAV declaring 1 Hz, resampled, took 1 GB)
DECODE_MEMORY_BYTES = 256 * 1024 * 1024


def _bounded_memory() -> None:  # in the child, before ffmpeg runs: past this, its allocations fail
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (DECODE_MEMORY_BYTES, DECODE_MEMORY_BYTES))


MIN_LOOP_MS = 500  # a music file shorter than this cannot be looped smoothly
MUSIC_HINT = "an audio file such as MP3, OGG, FLAC, WAV or M4A"


class MusicError(RenderError):
    """A music file that cannot be used; ``str()`` follows its path ("cannot be decoded ...")."""

    def __init__(self, what: str, hint: str = ""):
        super().__init__(what)
        self.hint = hint


def ffmpeg_decode(path: Path, seconds: float, output: list[str], timeout_s: float | None = None) -> bytes:
    """Decode the first ``seconds`` of the regular file ``path`` with ffmpeg, given the file
    on its standard input (opened here: never a device or a pipe), audio demuxers only, its
    heap at most :data:`DECODE_MEMORY_BYTES`.
    Returns what ffmpeg wrote to its standard output (``pipe:1`` in ``output``);
    ``timeout_s``: how long it may take (MusicError past it)."""
    from matcue.core.paths import Unreadable, open_regular, size_text
    from matcue.core.tools import ffmpeg_path

    exe = ffmpeg_path()
    try:
        fd = open_regular(path, "an audio file")
    except Unreadable as e:
        raise MusicError(str(e)) from None
    try:
        size = os.fstat(fd).st_size
        if size > MAX_MUSIC_BYTES:
            raise MusicError(f"is {size_text(size)}; at most {size_text(MAX_MUSIC_BYTES)} is read")
        source = "file:/dev/stdin" if os.path.exists("/dev/stdin") else str(path)
        cmd = [
            exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-protocol_whitelist", "file,pipe", "-format_whitelist", MUSIC_FORMATS, "-i", source,
            "-vn", "-t", f"{seconds:.3f}", *output,
        ]  # fmt: skip
        try:
            res = subprocess.run(cmd, stdin=fd, capture_output=True, timeout=timeout_s, preexec_fn=_bounded_memory)
        except subprocess.TimeoutExpired:
            raise MusicError(f"took more than {timeout_s:g} s to decode", MUSIC_HINT) from None
    finally:
        os.close(fd)
    if res.returncode != 0:
        raise MusicError("cannot be decoded as audio", MUSIC_HINT)
    return res.stdout


def probe_music(path: Path) -> None:
    """Check that ``path`` is a music file ffmpeg decodes (MusicError says why not); a
    machine without ffmpeg is not checked here (rendering reports the missing tool)."""
    from matcue.core.errors import ToolMissingError

    rate = 8000  # enough to count samples: 16-bit mono at 8 kHz
    try:
        pcm = ffmpeg_decode(Path(path), 1.0, ["-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"])
    except ToolMissingError:
        return
    if len(pcm) < 2 * rate * MIN_LOOP_MS // 1000:  # rendering would refuse it: say so at its line
        raise MusicError(f"is too short to loop (under {MIN_LOOP_MS} ms)", "use a longer recording")
