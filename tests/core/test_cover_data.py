"""Cover images whose picture data ends early (:func:`matcue.core.media.read_cover`): a PNG
cut short is a damaged image, never a black picture; every whole PNG is still a cover."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from matcue.core.errors import RoutineError
from matcue.core.media import read_cover
from matcue.routine.loader import load_routine


def routine(folder: Path, body: str) -> Path:
    path = folder / "r.yaml"
    path.write_text("title: T\n" + body + "steps:\n  - say: Hello.\n")
    return path


def cut_png(width: int, height: int, rows: int) -> bytes:
    """A PNG declaring width x height pixels whose picture data (a whole zlib stream, every
    chunk's checksum right) holds only ``rows`` rows: what a download cut short and saved
    with its end chunk, or a hostile file, looks like to Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    idat = zlib.compress(bytes(1 + 3 * width) * rows, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [640, 7000])  # kept as it is (<= 3000 px), and re-encoded
def test_a_png_cover_whose_picture_data_ends_early_is_damaged_not_black(tmp_path, side):
    """Pillow reads a PNG whose compressed rows stop early (a complete zlib stream of one row,
    then IEND) as a whole picture, the rest black: it was embedded, exit 0."""
    (tmp_path / "cut.png").write_bytes(cut_png(side, side, rows=1))
    with pytest.raises(RoutineError) as e:
        load_routine(routine(tmp_path, "cover: cut.png\n"))
    assert [str(p) for p in e.value.problems] == [
        f"{tmp_path}/r.yaml:2:8: cover: cover image '{tmp_path}/cut.png': a damaged image: its picture data ends "
        f"early ({side} x {side} pixels declared) (a JPEG or PNG file, relative to the routine)"
    ]


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
@pytest.mark.parametrize("interlace", [False, True])
def test_every_kind_of_whole_png_is_a_cover(tmp_path, mode, interlace):
    from PIL import Image

    path = tmp_path / "c.png"
    Image.new(mode, (37, 23)).save(path, format="PNG", interlace=interlace)  # odd sizes: partial Adam7 passes
    assert read_cover(path).mime == "image/png"


def test_a_cmyk_jpeg_cover_is_re_encoded_as_rgb(tmp_path):
    """A CMYK JPEG was embedded as it was: many players show such a cover wrongly, or not at all."""
    import io

    from PIL import Image

    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(tmp_path / "c.jpg", format="JPEG")
    cover = read_cover(tmp_path / "c.jpg")
    with Image.open(io.BytesIO(cover.data)) as im:
        assert (cover.mime, im.format, im.mode, im.size) == ("image/jpeg", "JPEG", "RGB", (64, 48))
        r, g, b = im.getpixel((10, 10))
        assert r > 200 and g < 60 and b < 60  # cyan 0, magenta and yellow full: red


@pytest.mark.parametrize("chunk", ["text", "icc"])
def test_a_png_whose_metadata_unpacks_past_a_megabyte_is_said_in_our_words(tmp_path, chunk):
    """A zTXt or iCCP chunk that inflates past Pillow's 1 MB said "a damaged image:
    Decompressed data too large for PngImagePlugin.MAX_TEXT_CHUNK" (Pillow's internals)."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if chunk == "text":
        info.add_text("Comment", "A" * 3_000_000, zip=True)
    options = {"icc_profile": bytes(3_000_000)} if chunk == "icc" else {"pnginfo": info}
    Image.new("RGB", (16, 16)).save(tmp_path / "c.png", **options)
    with pytest.raises(RoutineError) as info_:
        load_routine(routine(tmp_path, "cover: c.png\n"))
    (problem,) = info_.value.problems
    assert "its text or colour profile unpacks to more than 1 MB" in problem.what
    assert "MAX_TEXT_CHUNK" not in problem.what
