"""The audio formats a track can be written in, as data, and the one bitrate parser.

:mod:`matcue.audio.formats` writes and tags them; :mod:`matcue.audio.encode` runs LAME.
Each format's default bitrate is written here once (chosen by measurement,
docs/sharing.md); the command line, the library and the encoders all read it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from matcue.core.errors import MatcueError, shown
from matcue.core.numbers import whole, with_digits_problem

# the MPEG-1 Layer III bitrates, in kbps: all LAME takes at 44.1 kHz
LAME_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


@dataclass(frozen=True, slots=True)
class AudioFormat:
    name: str  # what --format takes
    extension: str  # of the file, with the dot
    mime: str  # the enclosure type in a feed, the <source type> on the page
    label: str  # what a page calls the file
    encoder: str  # ffmpeg's encoder
    muxer: str  # ffmpeg's output format
    default_bitrate: str
    min_kbps: int
    max_kbps: int


FORMATS: dict[str, AudioFormat] = {
    "mp3": AudioFormat("mp3", ".mp3", "audio/mpeg", "MP3", "libmp3lame", "mp3", "48k", 32, 320),
    "m4a": AudioFormat("m4a", ".m4a", "audio/mp4", "M4A", "aac", "ipod", "32k", 16, 320),
    "opus": AudioFormat("opus", ".opus", "audio/ogg", "Opus", "libopus", "ogg", "48k", 6, 256),
}


class FormatError(MatcueError):
    """An unknown format, a bitrate it does not take, or an encoder ffmpeg lacks."""


def get_format(name: str) -> AudioFormat:
    fmt = FORMATS.get(name)
    if fmt is None:
        raise FormatError(f"unknown audio format {name!r}; expected one of {', '.join(FORMATS)}")
    return fmt


def format_of(path: Path) -> AudioFormat:
    """The format of a file from its extension."""
    for fmt in FORMATS.values():
        if path.suffix == fmt.extension:
            return fmt
    raise FormatError(f"{path.name}: not a file matcue writes ({', '.join(AUDIO_EXTENSIONS)})")


def parse_bitrate(fmt: AudioFormat, bitrate: str | None) -> str:
    """``None`` -> the format's default; ``"48k"`` checked against the format's range."""
    if bitrate is None:
        return fmt.default_bitrate
    m = re.fullmatch(r"([0-9]+)k", bitrate.strip())
    kbps = whole(m.group(1)) if m else None  # None for a digit run too long to be a bitrate
    if fmt.name == "mp3":  # LAME takes the MPEG-1 Layer III bitrates only
        if kbps not in LAME_KBPS:
            raise FormatError(
                with_digits_problem(
                    f"unsupported MP3 bitrate {shown(bitrate)}: choose one of {', '.join(f'{k}k' for k in LAME_KBPS)}"
                    f" (default {fmt.default_bitrate})",
                    bitrate,
                )
            )
    elif kbps is None or not fmt.min_kbps <= kbps <= fmt.max_kbps:
        raise FormatError(
            with_digits_problem(
                f"unsupported {fmt.label} bitrate {shown(bitrate)}: expected {fmt.min_kbps}k to {fmt.max_kbps}k"
                f" (default {fmt.default_bitrate})",
                bitrate,
            )
        )
    return f"{kbps}k"


AUDIO_EXTENSIONS = tuple(f.extension for f in FORMATS.values())


DEFAULT_FORMAT = "mp3"
