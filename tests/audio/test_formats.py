"""``--format m4a|opus``: the track, its chapters, tags and cover read back with ffprobe and
mutagen; the decoded audio measured against the mix; a missing encoder refused up front."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import audiocheck as ac
from matcue.audio.codec import FORMATS, parse_bitrate
from matcue.audio.formats import ffmetadata, parse_vorbis_time, read_tags, vorbis_time
from matcue.cli.main import cli
from matcue.plan.timeline import Chapter

DATA = Path(__file__).parents[1] / "data" / "ok"
ROUTINE = DATA / "e2e.yaml"

pytestmark = [pytest.mark.ffmpeg, pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")]


def test_vorbis_chapter_times_round_trip() -> None:
    for ms in (0, 1, 999, 61_001, 3_600_000 + 59 * 60_000 + 59_999, 10 * 3_600_000):
        assert parse_vorbis_time(vorbis_time(ms)) == ms
    assert vorbis_time(3_723_004) == "01:02:03.004"
    with pytest.raises(ValueError):
        parse_vorbis_time("1:2:3")


def test_ffmetadata_escapes_titles_and_orders_chapters() -> None:
    text = ffmetadata((Chapter(5000, 9000, "B = #2; c\\d"), Chapter(0, 5000, "A")))
    assert text.splitlines() == [
        ";FFMETADATA1",
        "[CHAPTER]", "TIMEBASE=1/1000", "START=0", "END=5000", "title=A",
        "[CHAPTER]", "TIMEBASE=1/1000", "START=5000", "END=9000", "title=B \\= \\#2\\; c\\\\d",
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", ["opus", "m4a"])
def test_ffmpeg_stopped_by_the_file_size_limit_says_so_and_leaves_nothing(tmp_path, fmt: str) -> None:
    """Past RLIMIT_FSIZE the kernel stops ffmpeg with SIGXFSZ: it said "ffmpeg failed (exit
    status -25): (no output from ffmpeg)" (hostile round three), then "ffmpeg was stopped by
    SIGXFSZ ..." without the file; now it is said as LAME's failure to write is."""
    import os
    import resource
    import signal
    import subprocess
    import sys

    def small() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # matcue gets EFBIG; ffmpeg restores the default

    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nsteps:\n  - say: Hi.\n  - pose: Fold\n    hold: 20s\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "MATCUE_CACHE_DIR": str(tmp_path / "c")}
    subprocess.run([sys.executable, "-m", "matcue", "script", str(routine), "--backend", "fake"], env=env, check=True)
    out = tmp_path / "out"
    out.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "matcue", "render", str(routine), "--backend", "fake", "--format", fmt, "-o", str(out)],
        env=env, capture_output=True, text=True, preexec_fn=small, timeout=120,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    shown = repr(str(out / f"t.{fmt}"))
    assert (
        r.stderr
        == f"Error: could not write {shown}: larger than this system lets a file grow (choose another folder with -o)\n"
    )
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("said", "errno_name"),
    [("No space left on device", "ENOSPC"), ("Disk quota exceeded", "EDQUOT"), ("File too large", "EFBIG")],
)
def test_ffmpeg_that_cannot_write_its_file_is_an_os_error_naming_the_file_not_its_output(tmp_path, said, errno_name):
    """A full disk under ffmpeg (opus, m4a, MATCUE_ENCODER=ffmpeg) printed ffmpeg's own lines
    with the temporary names ('Error writing trailer of out/.t.opus.partial-...: No space
    left on device'): it is now the OSError LAME's full disk is, for the file ffmpeg writes,
    which the render says as "the disk is full: could not write 'out/t.opus' ..."."""
    import errno
    import sys

    from matcue.audio.encode import FfmpegSink

    target = tmp_path / ".t.opus.partial-0123abcd"
    program = (
        f"import sys; sys.stdin.buffer.read(); sys.stderr.write('Error writing trailer of x: {said}'); sys.exit(1)"
    )
    sink = FfmpegSink("ffmpeg", target, "", command=[sys.executable, "-c", program])
    with pytest.raises(OSError) as info:
        sink.close()
    assert (info.value.errno, info.value.filename) == (getattr(errno, errno_name), str(target))


def test_a_long_chapter_title_in_another_script_is_cut_at_a_character(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """ffmpeg cut an M4A chapter title at 255 bytes, inside a two-byte 'ü', and the chapter
    list could not be read back: a 300-character pose name was exit 3 (hostile round three)."""
    title = ffmetadata((Chapter(0, 1000, "ü" * 300 + "="),)).splitlines()[-1]
    assert title == "title=" + "ü" * 127
    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nsteps:\n  - pose: " + "ü" * 300 + "\n    hold: 5s\n", encoding="utf-8")
    r = run("render", str(routine), "--backend", "fake", "--format", "m4a", "-o", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    assert [t for _, t in read_tags(tmp_path / "out" / "t.m4a").chapters] == ["ü" * 127]


@pytest.mark.parametrize(
    ("fmt", "given", "expected"),
    [("opus", None, "48k"), ("m4a", None, "32k"), ("mp3", None, "48k"), ("opus", "16k", "16k"), ("m4a", "064k", "64k")],
)
def test_bitrate_defaults_and_parsing(fmt: str, given: str | None, expected: str) -> None:
    assert parse_bitrate(FORMATS[fmt], given) == expected


@pytest.mark.parametrize(
    ("fmt", "bitrate", "message"),
    [
        ("opus", "4k", "unsupported Opus bitrate '4k': expected 6k to 256k (default 48k)"),
        ("m4a", "96", "unsupported M4A bitrate '96': expected 16k to 320k (default 32k)"),
        ("mp3", "100k", "unsupported MP3 bitrate '100k': choose one of 32k, 40k, 48k, 56k, 64k, 80k, 96k, 112k, "
                        "128k, 160k, 192k, 224k, 256k, 320k (default 48k)"),
    ],
)  # fmt: skip
def test_a_bitrate_the_format_does_not_take_is_a_usage_error(run, fmt: str, bitrate: str, message: str) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    r = run("render", str(ROUTINE), "--format", fmt, "--bitrate", bitrate, "-o", "/nonexistent/never")
    assert r.exit_code == 2
    assert f"Invalid value for '--bitrate': {message}" in " ".join(r.output.split())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):  # type: ignore[no-untyped-def]
    """e2e.yaml rendered with the fake voice as MP3 (the reference), M4A and Opus."""
    from matcue.api import VoiceOverrides, build_timeline

    base = tmp_path_factory.mktemp("formats")
    out: dict[str, Path] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        for fmt in ("mp3", "m4a", "opus"):
            r = CliRunner().invoke(
                cli, ["render", str(ROUTINE), "-o", str(base / fmt), "--backend", "fake", "--format", fmt,
                      "--chapters-json"],
                catch_exceptions=False,
            )  # fmt: skip
            assert r.exit_code == 0, r.output
            (path,) = (base / fmt).glob("*" + FORMATS[fmt].extension)
            out[fmt] = path
        timeline = build_timeline(ROUTINE, voice=VoiceOverrides(backend="fake")).timeline
    return out, timeline


@pytest.mark.parametrize("fmt", ["m4a", "opus"])
def test_file_is_the_format_with_chapters_tags_and_cover(rendered, fmt: str) -> None:  # type: ignore[no-untyped-def]
    files, tl = rendered
    path = files[fmt]
    assert path.suffix == FORMATS[fmt].extension
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, path.stem + ".chapters.json"])
    probed = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-show_streams", "-of", "json", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    streams = probed["streams"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    assert [s["codec_name"] for s in audio] == [{"m4a": "aac", "opus": "opus"}[fmt]]
    assert probed["format"]["format_name"] == {"m4a": "mov,mp4,m4a,3gp,3g2,mj2", "opus": "ogg"}[fmt]
    # ffprobe: the chapters, start and title (and for M4A the end), in order
    chapters = probed["chapters"]
    assert [(round(float(c["start_time"]) * 1000), c["tags"]["title"]) for c in chapters] == [
        (c.start_ms, c.title) for c in tl.chapters
    ]
    if fmt == "m4a":
        assert [round(float(c["end_time"]) * 1000) for c in chapters] == [c.end_ms for c in tl.chapters]
        assert probed["format"]["tags"]["major_brand"].strip() == "M4A"
    tags = probed["format"].get("tags", {}) if fmt == "m4a" else audio[0].get("tags", {})
    lower = {k.lower(): v for k, v in tags.items()}
    assert (lower["title"], lower["artist"], lower["album"]) == (tl.title, tl.artist, tl.album)
    pics = [s for s in streams if s.get("disposition", {}).get("attached_pic")]
    assert len(pics) == 1 and pics[0]["width"] == pics[0]["height"] == 1400
    # mutagen: the same tags, chapters and the cover's bytes
    back = read_tags(path)
    assert (back.title, back.artist, back.album) == (tl.title, tl.artist, tl.album)
    assert back.chapters == tuple((c.start_ms, c.title) for c in tl.chapters)
    mp3_cover = read_tags(files["mp3"]).cover
    assert back.cover is not None and back.cover == mp3_cover and back.cover[:8] == b"\x89PNG\r\n\x1a\n"
    # the chapters JSON names this file
    sidecar = json.loads((path.parent / (path.stem + ".chapters.json")).read_text())
    assert sidecar["fileName"] == path.name
    # the routine's language: Opus's LANGUAGE comment, M4A's audio track (ISO 639-2)
    if fmt == "opus":
        assert back.language == lower["language"] == "en"
    else:
        assert audio[0]["tags"]["language"] == "eng"


def test_the_mp3_names_its_language(rendered) -> None:  # type: ignore[no-untyped-def]
    files, _ = rendered
    assert read_tags(files["mp3"]).language == "eng"  # ID3 TLAN, ISO 639-2
    probed = json.loads(
        subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json", str(files["mp3"])],
                       capture_output=True, text=True, check=True).stdout
    )  # fmt: skip
    assert probed["format"]["tags"]["language"] == "eng"


@pytest.mark.parametrize("fmt", ["m4a", "opus"])
def test_decoded_audio_follows_the_mp3(rendered, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """Same length (to 30 ms), same loudness (to 1 LU), the same 100 ms level envelope."""
    files, tl = rendered
    ref = ac.decode(files["mp3"])
    got = ac.decode(files[fmt])
    assert abs(ac.duration_ms(got) - tl.total_ms) < 30
    n = min(len(ref), len(got))
    step = ac.ms_to_samples(100)
    env_ref = np.array([np.sqrt(np.mean(ref[i : i + step] ** 2)) for i in range(0, n - step, step)])
    env_got = np.array([np.sqrt(np.mean(got[i : i + step] ** 2)) for i in range(0, n - step, step)])
    assert np.corrcoef(env_ref, env_got)[0, 1] > 0.98
    lufs_ref, _ = ac.loudness(files["mp3"])
    lufs_got, peak_got = ac.loudness(files[fmt])
    assert abs(lufs_ref - lufs_got) < 1.0
    assert peak_got < 0.0


def test_file_sizes_follow_the_bitrates(rendered) -> None:  # type: ignore[no-untyped-def]
    files, tl = rendered
    for fmt, path in files.items():
        kbps = int(FORMATS[fmt].default_bitrate[:-1])
        audio_bytes = kbps * 1000 / 8 * tl.total_ms / 1000
        size = path.stat().st_size - len(read_tags(path).cover or b"")
        assert 0.5 * audio_bytes < size < 1.3 * audio_bytes, (fmt, size, audio_bytes)


def _fake_ffmpeg(tmp_path: Path, without: str) -> Path:
    """A folder with an ``ffmpeg`` that lists the real encoders except ``without``."""
    import shutil

    real = shutil.which("ffmpeg")
    folder = tmp_path / "bin"
    folder.mkdir()
    exe = folder / "ffmpeg"
    exe.write_text(
        "#!/bin/sh\n"
        f'if [ "$3" = "-encoders" ]; then "{real}" "$@" | grep -v " {without} "; exit 0; fi\n'
        f'exec "{real}" "$@"\n'
    )
    exe.chmod(0o755)
    return folder


@pytest.mark.parametrize("command", ["render", "pack"])
def test_missing_encoder_is_refused_before_anything_is_written(tmp_path, monkeypatch, command) -> None:  # type: ignore[no-untyped-def]
    import os

    folder = _fake_ffmpeg(tmp_path, "libopus")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier")
    r = CliRunner().invoke(cli, [command, str(ROUTINE), "-o", str(out), "--backend", "fake", "--format", "opus"])
    assert r.exit_code == 1
    assert r.output == (
        f"Error: --format opus: this ffmpeg ({folder / 'ffmpeg'}) has no libopus encoder (install an ffmpeg built "
        "with it, e.g. Debian's 'ffmpeg' package, or choose another format)\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
