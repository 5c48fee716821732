"""The table of audio formats and the one bitrate parser every command and encoder uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcue.audio.codec import FORMATS, LAME_KBPS, FormatError, format_of, get_format, parse_bitrate
from matcue.audio.encode import DEFAULT_BITRATE, lame_kbps


def test_every_lame_bitrate_is_taken_and_normalised() -> None:
    for kbps in LAME_KBPS:
        assert parse_bitrate(FORMATS["mp3"], f" {kbps}k") == f"{kbps}k"
        assert lame_kbps(f"{kbps}k") == kbps


@pytest.mark.parametrize("bad", ["100k", "96", "96 kbps", "0k", "-96k", "330k", ""])
def test_an_mp3_bitrate_lame_lacks_is_refused_with_the_choices(bad: str) -> None:
    with pytest.raises(FormatError) as e:
        parse_bitrate(FORMATS["mp3"], bad)
    assert str(e.value) == (
        f"unsupported MP3 bitrate {bad!r}: choose one of "
        "32k, 40k, 48k, 56k, 64k, 80k, 96k, 112k, 128k, 160k, 192k, 224k, 256k, 320k (default 48k)"
    )
    with pytest.raises(FormatError):
        lame_kbps(bad)  # the encoder checks through the same parser


@pytest.mark.parametrize("name", ["m4a", "opus"])
def test_other_formats_take_their_range(name: str) -> None:
    fmt = FORMATS[name]
    assert parse_bitrate(fmt, f"{fmt.min_kbps}k") == f"{fmt.min_kbps}k"
    assert parse_bitrate(fmt, f"{fmt.max_kbps}k") == f"{fmt.max_kbps}k"
    for bad in (f"{fmt.min_kbps - 1}k", f"{fmt.max_kbps + 1}k", "fast"):
        with pytest.raises(FormatError, match=f"expected {fmt.min_kbps}k to {fmt.max_kbps}k"):
            parse_bitrate(fmt, bad)


def test_defaults_come_from_the_table() -> None:
    for fmt in FORMATS.values():
        assert parse_bitrate(fmt, None) == fmt.default_bitrate
        assert parse_bitrate(fmt, fmt.default_bitrate) == fmt.default_bitrate  # a default is valid
    assert DEFAULT_BITRATE == FORMATS["mp3"].default_bitrate


def test_formats_by_name_and_by_file() -> None:
    assert get_format("opus") is FORMATS["opus"]
    assert format_of(Path("a/b.m4a")) is FORMATS["m4a"]
    with pytest.raises(FormatError, match="unknown audio format 'flac'; expected one of mp3, m4a, opus"):
        get_format("flac")
    with pytest.raises(FormatError, match=r"x.wav: not a file matcue writes \(.mp3, .m4a, .opus\)"):
        format_of(Path("x.wav"))
