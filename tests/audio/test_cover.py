"""Cover art: the routine's cover file or a generated one, embedded as ID3 APIC."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from PIL import Image

import audiocheck as ac
from matcue.api import VoiceOverrides, render_routine
from matcue.audio import mp3
from matcue.audio.cover import generate_cover, pose_names
from matcue.core.media import COVER_PX, Cover, CoverError, read_cover
from matcue.plan.timeline import Chapter
from matcue.routine.loader import loads_routine
from matcue.settings import Output, Settings

ROUTINE = Path(__file__).parents[1] / "data" / "ok" / "all-kinds.yaml"


def test_generated_cover_is_a_deterministic_square_png():
    a = generate_cover("Evening hamstrings", ["Seated forward fold", "Pigeon", "Savasana"])
    b = generate_cover("Evening hamstrings", ["Seated forward fold", "Pigeon", "Savasana"])
    assert a == b and a.mime == "image/png" and a.extension == ".png"
    with Image.open(io.BytesIO(a.data)) as im:
        assert im.format == "PNG" and im.size == (COVER_PX, COVER_PX)
    assert generate_cover("Evening hamstrings", ["Pigeon"]).data != a.data


def test_generated_cover_survives_long_titles_and_many_poses():
    c = generate_cover("A very long routine title " * 6, [f"Pose number {i} with a long name" * 3 for i in range(30)])
    with Image.open(io.BytesIO(c.data)) as im:
        assert im.size == (COVER_PX, COVER_PX)


def test_pose_names_drop_sides_repeats_and_the_introduction():
    steps = [(None, None), ("Fold", "right"), ("Fold", "left"), ("Rest", None), ("Fold", "right")]
    chapters = [Chapter(i, i + 1, f"{s} ({d})" if d else str(s), s, d) for i, (s, d) in enumerate(steps)]
    assert pose_names(chapters) == ["Fold", "Rest"]


def test_the_cover_lists_the_steps_of_an_example_not_its_chapter_titles(fake_voice) -> None:
    """Sided chapters are titled "Name (right)"; the cover reads each chapter's step."""
    from matcue.api import VoiceOverrides, build_timeline

    routine = Path(__file__).resolve().parents[2] / "routines" / "hamstring-stretch.yaml"
    tl = build_timeline(routine, voice=VoiceOverrides(backend="fake")).timeline
    sided = [c for c in tl.chapters if c.side]
    assert sided and all(c.step and c.title == f"{c.step} ({c.side})" for c in sided)
    names = pose_names(tl.chapters)
    assert "Introduction" not in names and not any(n.endswith(("(left)", "(right)")) for n in names)
    assert len(names) == len(set(names)) and {c.step for c in sided} <= set(names)


def _image(path: Path, fmt: str, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, (120, 160, 140)).save(path, fmt)
    return path


def test_jpeg_and_png_are_kept_as_they_are(tmp_path):
    jpg = _image(tmp_path / "a.jpg", "JPEG")
    png = _image(tmp_path / "a.png", "PNG")
    assert read_cover(jpg) == Cover(jpg.read_bytes(), "image/jpeg")
    assert read_cover(png) == Cover(png.read_bytes(), "image/png")


def test_other_formats_and_huge_images_become_a_bounded_jpeg(tmp_path):
    gif = read_cover(_image(tmp_path / "a.gif", "GIF"))
    big = read_cover(_image(tmp_path / "big.png", "PNG", (4000, 2000)))
    assert gif.mime == big.mime == "image/jpeg"
    with Image.open(io.BytesIO(big.data)) as im:
        assert im.size == (COVER_PX, COVER_PX // 2)


def test_unreadable_covers_say_why(tmp_path):
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(CoverError, match="^no such file$"):
        read_cover(tmp_path / "nope.png")
    with pytest.raises(CoverError, match=r"^not an image \(JPEG or PNG expected\)$"):
        read_cover(tmp_path / "notes.txt")
    with pytest.raises(CoverError, match="^is a folder, not an image file$"):
        read_cover(tmp_path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_cut_off_image_is_a_damaged_one(tmp_path, fmt):
    """A JPEG cut short passed as it was and went into the tags (a PNG was refused)."""
    buf = io.BytesIO()
    noise = Image.effect_noise((600, 600), 60).convert("RGB")
    noise.save(buf, fmt)
    whole, cut = tmp_path / f"whole.{fmt.lower()}", tmp_path / f"cut.{fmt.lower()}"
    whole.write_bytes(buf.getvalue())
    cut.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert read_cover(whole).data == buf.getvalue()  # kept byte for byte
    with pytest.raises(CoverError, match="^a damaged image: "):
        read_cover(cut)


def test_cover_path_is_relative_to_the_routine_file(tmp_path):
    (tmp_path / "art").mkdir()
    _image(tmp_path / "art" / "cover.png", "PNG")
    routine = loads_routine("title: T\ncover: art/cover.png\nsteps:\n  - say: Hi.\n", str(tmp_path / "r.yaml"))
    assert routine.cover == str(tmp_path / "art" / "cover.png")
    assert loads_routine("title: T\nsteps:\n  - say: Hi.\n").cover is None


# ----------------------------------------------------------------------------- in the MP3

TITLES = ["Arrive and settle: a long opening chapter title", "Cat", "Seated forward fold, right", "Ā", "End"]


def _streams(path: Path) -> list[dict]:
    cmd = ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"]


@pytest.mark.parametrize("size", [(64, 64), (1400, 1400)])
@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_apic_keeps_chapters_in_start_order(tmp_path, size):
    path = tmp_path / "a.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono:d=30",
         "-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", str(path)],
        check=True,
    )  # fmt: skip
    cover = generate_cover("Flow", ["Cat"], size=size[0])
    chapters = [Chapter(i * 5000, (i + 1) * 5000, t) for i, t in enumerate(TITLES)]
    mp3.tag_file(path, title="Flow", chapters=chapters, cover=cover)
    probed = ac.probe(path)["chapters"]
    assert [c["tags"]["title"] for c in probed] == TITLES
    assert [int(c["start"]) for c in probed] == [c.start_ms for c in chapters]
    pictures = [s for s in _streams(path) if s.get("disposition", {}).get("attached_pic")]
    assert len(pictures) == 1 and pictures[0]["codec_name"] == "png"
    assert pictures[0]["width"] == size[0]
    apic = ID3(path).getall("APIC")
    assert len(apic) == 1 and apic[0].type == 3 and apic[0].data == cover.data  # 3: front cover


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_render_embeds_the_routine_cover_or_none_with_no_cover(tmp_path, fake_voice):
    art = _image(tmp_path / "art.jpg", "JPEG", (300, 300))
    routine = tmp_path / "r.yaml"
    routine.write_text(ROUTINE.read_text(encoding="utf-8").replace("title:", "cover: art.jpg\ntitle:", 1))
    shutil.copytree(ROUTINE.parent / "poses", tmp_path / "poses")  # the routine includes poses/pigeon.yaml
    voice = VoiceOverrides(backend="fake")
    with_cover = render_routine(routine, Settings(voice=voice, output=Output(tmp_path / "a")))
    assert ID3(with_cover.path).getall("APIC")[0].data == art.read_bytes()
    assert [s["codec_name"] for s in _streams(with_cover.path)] == ["mp3", "mjpeg"]
    without = render_routine(routine, Settings(voice=voice, output=Output(tmp_path / "b", cover=False)))
    assert ID3(without.path).getall("APIC") == []
    assert [s["codec_name"] for s in _streams(without.path)] == ["mp3"]
    assert ac.probe(without.path)["chapters"] == ac.probe(with_cover.path)["chapters"]
