"""Cover images whose picture data ends early (:func:`matcue.core.media.read_cover`): a PNG
cut short is a damaged image, never a black picture; every whole PNG is still a cover. A
cover far from square (a strip) is refused: players show a cover square."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from matcue.core.errors import RoutineError
from matcue.core.media import MAX_COVER_ASPECT, CoverError, read_cover
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


def test_a_strip_of_a_million_pixels_by_one_is_a_located_error_not_a_line_of_cover(tmp_path):
    """It was embedded as a 1400 x 1 JPEG, exit 0."""
    from PIL import Image

    Image.new("L", (1_000_000, 1), 128).save(tmp_path / "strip.png")
    with pytest.raises(RoutineError) as e:
        load_routine(routine(tmp_path, "cover: strip.png\n"))
    assert [str(p) for p in e.value.problems] == [
        f"{tmp_path}/r.yaml:2:8: cover: cover image '{tmp_path}/strip.png': the image is 1000000 x 1 pixels, more than"
        " 4 times as wide as it is high (players show a cover square) (crop it to a square, or to at most 4:1)"
    ]


@pytest.mark.parametrize(
    ("size", "fmt", "kept"),
    [
        ((400, 100), "PNG", True),  # 4:1, the most
        ((100, 400), "JPEG", True),
        ((1920, 1080), "JPEG", True),  # a photo
        ((401, 100), "PNG", False),
        ((100, 401), "JPEG", False),
        ((1, 5000), "PNG", False),
        ((6000, 1000), "JPEG", False),  # over 3000 px, so it would be re-encoded: refused first
    ],
)
def test_a_cover_may_be_at_most_four_times_as_long_as_it_is_wide(tmp_path, size, fmt, kept):
    from PIL import Image

    assert MAX_COVER_ASPECT == 4
    path = tmp_path / f"c.{fmt.lower()}"
    Image.new("RGB", size, (200, 100, 50)).save(path, format=fmt)
    if kept:
        assert read_cover(path).mime == f"image/{fmt.lower()}"
        return
    with pytest.raises(CoverError) as e:
        read_cover(path)
    shape = "as wide as it is high" if size[0] > size[1] else "as high as it is wide"
    assert (
        str(e.value)
        == f"the image is {size[0]} x {size[1]} pixels, more than 4 times {shape} (players show a cover square)"
    )
    assert e.value.hint == "crop it to a square, or to at most 4:1"


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
