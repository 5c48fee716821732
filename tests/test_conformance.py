"""Conformance: every file matcue writes, read back by independent readers.

Nothing here reads a file with matcue's own code. Each variant of one short routine is
rendered once (module-scoped fixtures, the fake voice) through the command line, then:

- mp3val (frame-level validity): no error, no warning;
- eyeD3: tags, chapters, table of contents, cover and the LAME tag, with no warning
  logged (eyeD3 checks the tag's CRC); the tag's CRCs recomputed here from the bytes;
- ffmpeg and mpg123: the decoded length is the script's ``total_ms`` to the sample at
  44.1 kHz, with no warning, and the two decoders agree sample for sample;
- mutagen: CHAP frames in start order, each inside the track, one top-level ordered CTOC;
  the length it computes from the LAME tag;
- the captions by webvtt-py and srt, the chapters JSON against the Podcasting 2.0
  chapters fields (version 1.2).

The variants cover one part and several (``MATCUE_JOBS``), mono and ``--pan-sides``
stereo, 64k and 128k, with and without cover: all eight combinations of the first three,
the cover on in half of them so that every pair of settings meets both ways.

The LAME tag CRC unit tests at the end need none of the tools: they recompute CRC-16/ARC
bit by bit from its definition over the bytes before the CRC field, for every supported
bitrate, mono and stereo, and compare with LAME's own tag frames when ``lame`` is there.
"""

from __future__ import annotations

import html
import io
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

RATE_HZ = 44_100
_MS = timedelta(milliseconds=1)
SAMPLES_PER_FRAME = 1152
LAME_DELAY = 576

ROUTINE = """title: Hips & hamstrings
author: Conformance Teacher
collection: Reader checks
breath: {inhale: 4, exhale: 6}
steps:
  - say: Sit tall & let the breath settle.
  - pose: Pigeon
    cue: Bring your {side} knee forward.
    sides: both
    hold: 2 breaths
    during:
      - at: breath 2
        say: Lift the chest.
  - rest: 10s
    cue: Lie back and rest.
  - timer: Ankle circles
    duration: 20s
    bell_every: 10s
  - rest: 8s
    cue: Rest again, <slowly>.
"""


@dataclass(frozen=True, slots=True)
class Variant:
    jobs: int  # MATCUE_JOBS: 1 = one part; 2 = cut at a silence into two parts
    stereo: bool  # --pan-sides
    kbps: int
    cover: bool

    @property
    def id(self) -> str:
        parts = "one-part" if self.jobs == 1 else "parts"
        return f"{parts}-{'stereo' if self.stereo else 'mono'}-{self.kbps}k-{'cover' if self.cover else 'no-cover'}"

    @property
    def channels(self) -> int:
        return 2 if self.stereo else 1


VARIANTS = [
    Variant(jobs, stereo, kbps, cover=(jobs == 2) ^ stereo ^ (kbps == 128))
    for jobs in (1, 2)
    for stereo in (False, True)
    for kbps in (64, 128)
]


@dataclass(frozen=True, slots=True)
class Track:
    variant: Variant
    mp3: Path
    script: dict[str, Any]  # `matcue script --json`

    @property
    def total_ms(self) -> int:
        return int(self.script["total_ms"])

    @property
    def samples(self) -> int:
        """The script's length in samples at 44.1 kHz (44.1 a ms, halves rounded up)."""
        return (self.total_ms * 441 + 5) // 10

    def sidecar(self, suffix: str) -> Path:
        return self.mp3.with_name(self.mp3.stem + suffix)


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (scripts/setup)")
needs_mp3val = pytest.mark.skipif(shutil.which("mp3val") is None, reason="needs mp3val (scripts/setup-conformance)")
needs_mpg123 = pytest.mark.skipif(shutil.which("mpg123") is None, reason="needs mpg123 (scripts/setup-conformance)")


# ----------------------------------------------------------------- rendering, once a variant


def _cli(args: list[str], env: dict[str, str]) -> str:
    from click.testing import CliRunner

    from matcue.cli.main import cli

    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def routine_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("conformance")
    path = folder / "hips.yaml"
    path.write_text(ROUTINE, encoding="utf-8")
    env = {"MATCUE_CACHE_DIR": str(folder / "voice-cache"), "MATCUE_ENCODER": "lame"}
    return path, env


@pytest.fixture(scope="module")
def script(routine_file: tuple[Path, dict[str, str]]) -> dict[str, Any]:
    path, env = routine_file
    data = json.loads(_cli(["script", str(path), "--backend", "fake", "--json"], env))
    assert data["total_ms"] > 90_000  # long enough to be cut into parts
    return data


@pytest.fixture(scope="module")
def render_variant(routine_file, script, tmp_path_factory):  # type: ignore[no-untyped-def]
    path, env = routine_file
    done: dict[Variant, Track] = {}

    def get(v: Variant) -> Track:
        if v not in done:
            out = tmp_path_factory.mktemp(v.id)
            args = ["render", str(path), "-o", str(out), "--backend", "fake", "--bitrate", f"{v.kbps}k"]
            args += ["--captions", "vtt,srt", "--chapters-json"]
            args += ["--pan-sides"] if v.stereo else []
            args += [] if v.cover else ["--no-cover"]
            _cli(args, {**env, "MATCUE_JOBS": str(v.jobs)})
            (mp3,) = out.glob("*.mp3")
            done[v] = Track(v, mp3, script)
        return done[v]

    return get


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda v: v.id)
def track(request, render_variant) -> Track:  # type: ignore[no-untyped-def]
    return render_variant(request.param)


@pytest.fixture(scope="module")
def sidecar_track(render_variant) -> Track:  # type: ignore[no-untyped-def]
    return render_variant(VARIANTS[0])


def test_the_parts_variants_are_really_cut_into_parts(routine_file):  # type: ignore[no-untyped-def]
    """MATCUE_JOBS=2 cuts this routine into two parts (so the join is what is read back)."""
    from matcue.api import VoiceOverrides, build_timeline
    from matcue.audio import render

    path, env = routine_file
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", env["MATCUE_CACHE_DIR"])
        built = build_timeline(path, voice=VoiceOverrides(backend="fake"))
    assert len(render.plan_parts(built.timeline, built.clips, 2)) == 2
    assert len(render.plan_parts(built.timeline, built.clips, 1)) == 1


# ----------------------------------------------------------------- bytes, read here


def _id3_size(data: bytes) -> int:
    if data[:3] != b"ID3":
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size + (10 if data[5] & 0x10 else 0)


def _first_frame(data: bytes) -> tuple[bytes, int]:
    """The first MPEG-1 Layer III frame after the ID3v2 tag, and where it starts."""
    start = _id3_size(data)
    (header,) = struct.unpack(">I", data[start : start + 4])
    assert header >> 21 == 0x7FF and (header >> 19) & 3 == 3 and (header >> 17) & 3 == 1
    kbps = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)[(header >> 12) & 0xF]
    assert (header >> 10) & 3 == 0  # 44.1 kHz
    size = 144_000 * kbps // RATE_HZ + ((header >> 9) & 1)
    return data[start : start + size], start


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC from its definition (reflected polynomial 0x8005, init 0, no final xor),
    bit by bit: the checksum LAME writes in its tag."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def crc16_arc_fast(data: bytes) -> int:
    """The same CRC with a byte table (for megabytes of audio)."""
    table = [crc16_arc(bytes([i])) for i in range(256)]
    crc = 0
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def test_crc16_arc_check_value():
    assert crc16_arc(b"123456789") == 0xBB3D  # the catalogue's check value for CRC-16/ARC
    assert crc16_arc_fast(b"123456789") == 0xBB3D


# ----------------------------------------------------------------- mp3val


@needs_mp3val
def test_mp3val_finds_no_problem(track: Track):
    out = subprocess.run(["mp3val", str(track.mp3)], capture_output=True, text=True, check=True).stdout
    problems = [line for line in out.splitlines() if line.startswith(("WARNING", "ERROR", "PROBLEM"))]
    assert problems == []
    (info,) = [line for line in out.splitlines() if line.startswith("INFO")]
    assert "(MPEG 1 Layer III), +ID3v2, CBR" in info
    frames = int(re.search(r"(\d+) MPEG frames", info).group(1))  # type: ignore[union-attr]
    # the frames mp3val counts are the tag frame and the frames the tag counts, which hold
    # the encoder delay, the script's samples and the end padding the tag states
    frame, _ = _first_frame(track.mp3.read_bytes())
    t = frame.find(b"Info")
    (tag_frames,) = struct.unpack(">I", frame[t + 8 : t + 12])
    padding = int.from_bytes(frame[t + 141 : t + 144], "big") & 0xFFF
    assert frames == 1 + tag_frames
    assert tag_frames * SAMPLES_PER_FRAME - LAME_DELAY - padding == track.samples


# ----------------------------------------------------------------- eyeD3


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _eyed3_load(path: Path) -> tuple[Any, list[str]]:
    import eyed3

    logger = logging.getLogger("eyed3")
    handler = _Records()
    logger.addHandler(handler)
    try:
        audio = eyed3.load(path)
    finally:
        logger.removeHandler(handler)
    return audio, [r.getMessage() for r in handler.records]


def test_eyed3_reads_tags_chapters_toc_and_cover_without_warning(track: Track):
    from PIL import Image

    audio, warnings = _eyed3_load(track.mp3)
    assert warnings == []
    tag = audio.tag
    assert tag.version == (2, 4, 0)
    assert (tag.title, tag.artist, tag.album) == ("Hips & hamstrings", "Conformance Teacher", "Reader checks")
    want = [(c["title"], c["start_ms"], c["end_ms"]) for c in track.script["chapters"]]
    chapters = sorted(tag.chapters, key=lambda c: c.times.start)
    assert [(c.title, c.times.start, c.times.end) for c in chapters] == want
    (toc,) = list(tag.table_of_contents)
    assert toc.toplevel and toc.ordered
    assert toc.child_ids == [c.element_id for c in chapters]
    images = list(tag.images)
    if track.variant.cover:
        (image,) = images
        assert image.picture_type == image.FRONT_COVER
        picture = Image.open(io.BytesIO(image.image_data))
        assert image.mime_type == Image.MIME[picture.format]
        assert picture.size[0] == picture.size[1] >= 600
    else:
        assert images == []


def test_eyed3_reads_the_lame_tag_and_its_crcs_hold(track: Track):
    audio, warnings = _eyed3_load(track.mp3)
    assert warnings == []  # eyeD3 logs "Lame tag CRC check failed" when its reading fails
    info = audio.info
    assert info.sample_freq == RATE_HZ and info.bit_rate == (False, track.variant.kbps)
    assert info.mode == ("Joint stereo" if track.variant.stereo else "Mono")
    lame = info.lame_tag
    frames = info.xing_header.numFrames
    assert lame["encoder_version"] == "LAME3.100"
    assert lame["vbr_method"] == "Constant Bitrate" and lame["bitrate"] == (track.variant.kbps, "Constant")
    assert lame["sample_freq"] == "44.1 kHz"
    assert lame["stereo_mode"] == ("Joint" if track.variant.stereo else "Mono")
    assert lame["encoder_delay"] == LAME_DELAY
    assert frames * SAMPLES_PER_FRAME - LAME_DELAY - lame["encoder_padding"] == track.samples
    data = track.mp3.read_bytes()
    frame, start = _first_frame(data)
    assert lame["music_length"] == len(data) - start  # the tag frame and the audio
    assert lame["music_crc"] == crc16_arc_fast(data[start + len(frame) :])
    t = frame.find(b"Info")
    assert t == (36 if track.variant.stereo else 21)  # after the header and the side information
    assert lame["infotag_crc"] == crc16_arc(frame[:190])  # what eyeD3 reads, at byte 190
    assert int.from_bytes(frame[t + 154 : t + 156], "big") == crc16_arc(frame[: t + 154])  # LAME's field


# ----------------------------------------------------------------- decoders


def _decode(cmd: list[str]) -> tuple[np.ndarray, str]:
    done = subprocess.run(cmd, capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype="<i2"), done.stderr.decode("utf-8", "replace")


@needs_ffmpeg
@needs_mpg123
def test_ffmpeg_and_mpg123_decode_the_scripted_length_to_the_sample(track: Track):
    ch = track.variant.channels
    by_ffmpeg, ffmpeg_log = _decode(
        ["ffmpeg", "-nostdin", "-v", "warning", "-i", str(track.mp3), "-f", "s16le", "-ac", str(ch), "pipe:1"]
    )
    assert ffmpeg_log == ""
    by_mpg123, mpg123_log = _decode(["mpg123", "-s", str(track.mp3)])
    assert not re.search(r"(?i)warning|error|note:", mpg123_log), mpg123_log
    assert f"L III cbr{track.variant.kbps} 44100 {'j-s' if ch == 2 else 'mono'}" in mpg123_log
    assert len(by_ffmpeg) == len(by_mpg123) == track.samples * ch
    # the two decoders trim the same delay: the same samples, but for rounding
    diff = np.abs(by_ffmpeg.astype(np.int32) - by_mpg123.astype(np.int32))
    assert int(diff.max()) <= 2
    assert np.abs(by_ffmpeg).max() > 3000  # and there is sound in it


# ----------------------------------------------------------------- mutagen


def test_mutagen_chapters_in_start_order_inside_the_track_under_one_ordered_toc(track: Track):
    from mutagen.id3 import ID3, CTOCFlags
    from mutagen.mp3 import MP3, BitrateMode

    tags = ID3(track.mp3)
    chaps = tags.getall("CHAP")  # in the order of the file
    starts = [c.start_time for c in chaps]
    assert starts == sorted(starts) and len(chaps) == len(track.script["chapters"])
    for c in chaps:
        assert 0 <= c.start_time < c.end_time <= track.total_ms
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c["title"] for c in track.script["chapters"]]
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == [c.element_id for c in chaps]
    assert tags.getall("TLEN")[0].text == [str(track.total_ms)]
    info = MP3(track.mp3).info
    assert (info.sample_rate, info.channels, info.bitrate) == (
        RATE_HZ,
        track.variant.channels,
        track.variant.kbps * 1000,
    )
    assert info.bitrate_mode == BitrateMode.CBR and info.encoder_info.startswith("LAME 3.100")
    assert not info.sketchy
    assert round(info.length * RATE_HZ) == track.samples  # from the LAME tag's delay and padding


# ----------------------------------------------------------------- captions and chapters JSON


def _speech(script: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [
        (e["start_ms"], e["end_ms"], " ".join(e["text"].split())) for e in script["events"] if e["kind"] == "speech"
    ]


def test_webvtt_py_reads_the_captions(sidecar_track: Track):
    import webvtt

    vtt = webvtt.read(str(sidecar_track.sidecar(".vtt")))
    got = [(c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), html.unescape(c.text)) for c in vtt.captions]
    # webvtt-py leaves character references as written; & and < are escaped as WebVTT asks
    raw = " ".join(c.raw_text for c in vtt.captions)
    assert "&amp;" in raw and "&lt;slowly&gt;" in raw and "<" not in raw
    assert got == _speech(sidecar_track.script)
    assert [c.identifier for c in vtt.captions] == [str(i) for i in range(1, len(got) + 1)]


def test_srt_reads_the_captions(sidecar_track: Track):
    import srt

    subs = list(srt.parse(sidecar_track.sidecar(".srt").read_text(encoding="utf-8")))
    got = [(s.start // _MS, s.end // _MS, s.content) for s in subs]
    # SubRip has no escapes: markup characters in a cue are written as look-alikes
    shown = str.maketrans({"<": "\u2039", ">": "\u203a", "{": "(", "}": ")"})
    assert got == [(a, b, t.replace("-->", "->").translate(shown)) for a, b, t in _speech(sidecar_track.script)]
    assert any("\u2039" in t for _, _, t in got)  # the track has a cue with markup characters
    assert [s.index for s in subs] == list(range(1, len(subs) + 1))
    # composed back by srt: the same text (srt ends the last cue with a blank line too)
    text = sidecar_track.sidecar(".srt").read_text(encoding="utf-8")
    assert srt.compose(subs, reindex=False).rstrip("\n") == text.rstrip("\n")


# Podcasting 2.0 JSON chapters, version 1.2: the fields the format defines
_TOP_FIELDS = {"version": str, "chapters": list, "author": str, "title": str, "podcastName": str,
               "description": str, "fileName": str, "waypoints": bool}  # fmt: skip
_CHAPTER_FIELDS = {"startTime": (int, float), "title": str, "img": str, "url": str, "toc": bool,
                   "endTime": (int, float), "location": dict}  # fmt: skip


def _is(value: object, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that JSON's true/false are not numbers."""
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def test_chapters_json_has_the_podcasting_2_fields(sidecar_track: Track):
    text = sidecar_track.sidecar(".chapters.json").read_text(encoding="utf-8")
    doc = json.loads(text, parse_constant=_reject_constant)
    assert {"version", "chapters"} <= doc.keys() <= _TOP_FIELDS.keys()
    for key, value in doc.items():
        assert _is(value, _TOP_FIELDS[key]), key
    assert re.fullmatch(r"1\.2(\.\d+)?", doc["version"])
    assert doc["fileName"] == sidecar_track.mp3.name
    assert doc["title"] == "Hips & hamstrings" and doc["author"] == "Conformance Teacher"
    chapters = doc["chapters"]
    for ch in chapters:
        assert "startTime" in ch and ch.keys() <= _CHAPTER_FIELDS.keys()
        for key, value in ch.items():
            assert _is(value, _CHAPTER_FIELDS[key]), key
        assert 0 <= ch["startTime"] < ch["endTime"] <= sidecar_track.total_ms / 1000
    starts = [ch["startTime"] for ch in chapters]
    assert starts == sorted(starts)  # the format assumes ascending startTime
    from mutagen.id3 import ID3

    chaps = ID3(sidecar_track.mp3).getall("CHAP")  # the MP3's own chapters, read by mutagen
    assert [(round(ch["startTime"] * 1000), round(ch["endTime"] * 1000), ch["title"]) for ch in chapters] == [
        (c.start_time, c.end_time, c.sub_frames["TIT2"].text[0]) for c in chaps
    ]


# ----------------------------------------------------------------- the LAME tag CRC, unit tests


def _audio_header(kbps: int, stereo: bool, padding: bool = False) -> int:
    index = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320).index(kbps)
    mode = 0b01 if stereo else 0b11  # joint stereo, as LAME chooses; or mono
    return 0xFFFB0000 | index << 12 | int(padding) << 9 | mode << 6


@pytest.mark.parametrize("stereo", [False, True], ids=["mono", "stereo"])
def test_tag_crc_covers_exactly_the_bytes_before_it_at_every_bitrate(stereo: bool):
    from matcue.audio import encode, mp3join

    for kbps in encode.LAME_KBPS:
        size = 144_000 * kbps // RATE_HZ
        sizes = np.array([size, size + 1, size] * 40, dtype=np.uint16)
        frame = mp3join.info_frame(_audio_header(kbps, stereo, True), sizes, LAME_DELAY, 900, 0x1234)
        (header,) = struct.unpack(">I", frame[:4])
        t = frame.find(b"Info")
        assert t == (36 if stereo else 21), kbps
        assert (header >> 6) & 3 == (0b01 if stereo else 0b11) and not (header >> 9) & 1
        crc_at = t + 154
        assert int.from_bytes(frame[crc_at : crc_at + 2], "big") == crc16_arc(frame[:crc_at]), kbps
        # bytes 190-191 hold the CRC of the 190 before them: LAME's field in stereo, in
        # mono the same reading for readers that take 190 bytes (eyeD3)
        assert int.from_bytes(frame[190:192], "big") == crc16_arc(frame[:190]), kbps
        assert not any(frame[crc_at + 2 : 190]), kbps  # nothing else after the tag
        assert frame[t + 141 : t + 144] == (LAME_DELAY << 12 | 900).to_bytes(3, "big")
        assert len(frame) == 144_000 * max(kbps, 64) // RATE_HZ, kbps  # 64 kbps at least: 192 bytes fit


@pytest.mark.parametrize("stereo", [False, True], ids=["mono", "stereo"])
def test_tag_crc_of_parts_joined(tmp_path: Path, stereo: bool):
    """Parts with their own tag frames (as ffmpeg writes them), joined: the whole's tag CRC."""
    from matcue.audio import mp3join

    paths = []
    for i, n in enumerate((30, 45, 12)):
        header = _audio_header(64, stereo)
        size = 144_000 * 64 // RATE_HZ
        audio = b"".join(struct.pack(">I", header) + bytes([i + 1]) * (size - 4) for _ in range(n))
        frame = mp3join.info_frame(header, np.full(n, size, dtype=np.uint16), LAME_DELAY, 800 if i < 2 else 300, 0)
        frame = bytearray(frame)
        t = frame.find(b"Info")
        struct.pack_into(">H", frame, t + 152, crc16_arc_fast(audio))  # the part's music CRC
        path = tmp_path / f"part{i}.mp3"
        path.write_bytes(bytes(frame) + audio)
        paths.append(path)
    mp3join.join_into(paths[0], paths[1:])
    data = paths[0].read_bytes()
    frame, _ = _first_frame(data)
    t = frame.find(b"Info")
    assert int.from_bytes(frame[t + 154 : t + 156], "big") == crc16_arc(frame[: t + 154])
    assert int.from_bytes(frame[190:192], "big") == crc16_arc(frame[:190])
    assert int.from_bytes(frame[t + 152 : t + 154], "big") == crc16_arc_fast(data[len(frame) :])


def _wav(path: Path, channels: int, seconds: float = 2.0) -> Path:
    t = np.arange(int(RATE_HZ * seconds)) / RATE_HZ
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    pcm = np.repeat(tone[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(pcm.tobytes())
    return path


@pytest.mark.skipif(shutil.which("lame") is None, reason="needs lame (scripts/setup-conformance)")
@pytest.mark.parametrize("stereo", [False, True], ids=["mono", "stereo"])
@pytest.mark.parametrize("kbps", [64, 128])
def test_the_rule_is_lames_own(tmp_path: Path, stereo: bool, kbps: int):
    """LAME's own tag frame: its CRC is the CRC of the bytes before the field, which is what
    matcue's seal writes into the same frame."""
    from matcue.audio import mp3join

    wav = _wav(tmp_path / "tone.wav", 2 if stereo else 1)
    out = tmp_path / "lame.mp3"
    subprocess.run(
        ["lame", "--quiet", "-b", str(kbps), "--cbr", "--resample", "44.1", "-m", "j" if stereo else "m",
         str(wav), str(out)],
        check=True, env={**os.environ, "LANG": "C"},
    )  # fmt: skip
    frame, _ = _first_frame(out.read_bytes())
    t = frame.find(b"Info")
    assert t == (36 if stereo else 21) and frame[t + 120 : t + 124] == b"LAME"
    stored = int.from_bytes(frame[t + 154 : t + 156], "big")
    assert stored == crc16_arc(frame[: t + 154])
    resealed = bytearray(frame)
    resealed[t + 154 : t + 156] = b"\0\0"
    mp3join.seal(resealed, t)
    assert resealed[: t + 156] == frame[: t + 156]


@needs_ffmpeg
@pytest.mark.parametrize("jobs", [1, 2], ids=["one-part", "parts"])
def test_ffmpeg_encoder_mono_tag_crc(tmp_path: Path, jobs: int):
    """The ffmpeg encoder: its own tag (one part) is resealed; parts are joined and sealed."""
    from matcue.audio import render
    from matcue.plan.compile import compile_routine
    from matcue.plan.layout import layout
    from matcue.routine.loader import loads_routine
    from matcue.voice.backends.fake import fake_samples
    from matcue.voice.base import Clip

    script = compile_routine(loads_routine(ROUTINE))
    clips = {t: Clip(fake_samples(t, 150)) for t in script.texts()}
    tl = layout(script, {t: c.length_ms for t, c in clips.items()})
    assert len(render.plan_parts(tl, clips, jobs)) == jobs
    path = render.render_mp3(tl, clips, tmp_path / "ff.mp3", jobs=jobs, encoding=render.Mp3Encoding("64k", "ffmpeg"))
    frame, _ = _first_frame(path.read_bytes())
    t = frame.find(b"Info")
    assert t == 21
    assert int.from_bytes(frame[t + 154 : t + 156], "big") == crc16_arc(frame[: t + 154])


def test_every_check_the_docs_name_is_a_test_here():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "sharing.md").read_text(encoding="utf-8")
    section = doc.split("## Read by other software", 1)[1]
    named = set(re.findall(r"`(test_\w+)`", section))
    assert len(named) >= 8 and named <= {name for name in globals() if name.startswith("test_")}
