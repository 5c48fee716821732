"""Cover art: the routine's ``cover:`` image, else one drawn from the title and the poses.

A :class:`Cover` is encoded image bytes (JPEG or PNG) and their MIME type, ready for an
ID3 APIC frame and for the share page. A given image is kept as it is when it is a JPEG
or PNG of at most ``MAX_KEEP_PX`` per side; anything else Pillow can read is converted to
a ``COVER_PX`` square-bounded JPEG. The generated cover is a calm, legible ``COVER_PX``
square PNG: a soft gradient, a quiet sun, the title and the list of chapters. It is
deterministic (same title and poses, same bytes).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcue.core.media import (
    COVER_PX,
    Cover,
    CoverError,
    read_cover,
)
from matcue.plan.timeline import Chapter

MAX_POSES_SHOWN = 9
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/Library/Fonts", "C:/Windows/Fonts")
TITLE_FONTS = ("DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf", "Georgia Bold.ttf", "georgiab.ttf")
BODY_FONTS = ("DejaVuSans.ttf", "Arial.ttf", "arial.ttf")

# colours: sage green to warm sand, deep ink text
TOP_RGB = (196, 214, 200)
BOTTOM_RGB = (240, 228, 208)
SUN_RGB = (246, 238, 222)
INK_RGB = (38, 58, 52)
SOFT_INK_RGB = (74, 96, 88)


def _font(names: Sequence[str], size: int) -> Any:
    from PIL import ImageFont

    for folder in FONT_DIRS:
        for name in names:
            f = Path(folder) / name
            if f.is_file():
                try:
                    return ImageFont.truetype(str(f), size)
                except OSError:
                    continue
    return ImageFont.load_default(size=size)


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if not line or draw.textlength(trial, font=font) <= width:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def pose_names(chapters: Sequence[Chapter]) -> list[str]:
    """The steps the chapters play, each once, in order (both sides of "Fold" -> "Fold");
    the introduction plays none."""
    return list(dict.fromkeys(c.step for c in chapters if c.step))


def generate_cover(title: str, poses: Sequence[str], size: int = COVER_PX) -> Cover:
    """A calm square PNG cover with the title and up to ``MAX_POSES_SHOWN`` pose names."""
    from PIL import Image, ImageDraw

    k = size / COVER_PX
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    for y in range(size):  # vertical gradient
        t = y / (size - 1)
        draw.line([(0, y), (size, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(TOP_RGB, BOTTOM_RGB)))
    r = int(230 * k)  # a soft sun, top right
    cx, cy = int(size - 300 * k), int(300 * k)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=SUN_RGB)
    # a horizon line: the mat
    margin = int(120 * k)
    draw.rounded_rectangle(
        [margin, int(size - 170 * k), size - margin, int(size - 150 * k)], radius=int(10 * k), fill=SOFT_INK_RGB
    )

    width = size - 2 * margin
    title_size = 120 if len(title) <= 28 else 96 if len(title) <= 50 else 76
    title_font = _font(TITLE_FONTS, int(title_size * k))
    lines = _wrap(draw, title, title_font, width)[:4]
    y = int(560 * k) if len(lines) <= 2 else int(460 * k)
    for line in lines:
        draw.text((margin, y), line, font=title_font, fill=INK_RGB)
        y += int(title_size * 1.18 * k)

    body_font = _font(BODY_FONTS, int(44 * k))
    y += int(40 * k)
    shown = list(poses[:MAX_POSES_SHOWN])
    if len(poses) > MAX_POSES_SHOWN:
        shown.append(f"and {len(poses) - MAX_POSES_SHOWN} more")
    bottom = size - 200 * k
    for name in shown:
        text = _wrap(draw, name, body_font, width - int(40 * k))[0]
        if y + 56 * k > bottom:
            break
        draw.ellipse([margin, y + int(18 * k), margin + int(14 * k), y + int(32 * k)], fill=SOFT_INK_RGB)
        draw.text((margin + int(36 * k), y), text, font=body_font, fill=SOFT_INK_RGB)
        y += int(60 * k)

    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return Cover(buf.getvalue(), "image/png")


def cover_for(routine_cover: str | None, title: str, chapters: Sequence[Chapter]) -> Cover:
    """The routine's ``cover:`` image when it has one, else a generated cover."""
    if routine_cover:
        try:
            return read_cover(routine_cover)
        except CoverError as e:
            from matcue.core.paths import quoted

            raise CoverError(f"cover image {quoted(routine_cover)}: {e}") from None
    return generate_cover(title, pose_names(chapters))
