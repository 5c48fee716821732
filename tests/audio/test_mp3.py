"""ID3 tags and chapters, read back with ffprobe and mutagen."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3, CTOCFlags

import audiocheck as ac
from matcue.audio import mp3, render
from matcue.plan.timeline import Chapter, Event, Timeline

pytestmark = [
    pytest.mark.ffmpeg,
    pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed"),
]

# Titles whose lengths disagree with their start order: mutagen alone would write the
# CHAP frames by size (its issue #506) and ffprobe would list them in that order.
TITLES = [
    "Arrive and settle: a long opening chapter title to make a big frame",
    "Cat",
    "Seated forward fold, right side",
    "Dog",
    "Pigeon (Eka Pada Rajakapotasana), left",
    "Ā",
    "Savasana",
    "Twist, right",
    "Twist, left",
    "A much longer closing chapter that still fits",
    "Sun salutation A",
    "End",
]


def _silent_mp3(path: Path, dur_ms: int) -> Path:
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi",
            "-i", f"anullsrc=r=44100:cl=mono:d={dur_ms / 1000}",
            "-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def _chapters(titles: list[str], step_ms: int = 5000) -> list[Chapter]:
    return [Chapter(i * step_ms, (i + 1) * step_ms, t) for i, t in enumerate(titles)]


def test_chapters_come_back_in_start_order(tmp_path: Path) -> None:
    path = _silent_mp3(tmp_path / "a.mp3", 60_000)
    chapters = _chapters(TITLES)
    mp3.tag_file(
        path,
        title="Evening flow",
        artist="Studio",
        album="Classes",
        length_ms=60_000,
        chapters=chapters,
    )
    info = ac.probe(path)
    got = [(c["tags"]["title"], c["start_time"], c["end_time"]) for c in info["chapters"]]
    want = [(c.title, f"{c.start_ms / 1000:.6f}", f"{c.end_ms / 1000:.6f}") for c in chapters]
    assert got == want


def test_chapters_given_out_of_order_are_sorted(tmp_path: Path) -> None:
    path = _silent_mp3(tmp_path / "a.mp3", 60_000)
    chapters = _chapters(TITLES)
    shuffled = chapters[5:] + chapters[:5][::-1]
    mp3.tag_file(path, title="x", chapters=shuffled)
    assert [c["tags"]["title"] for c in ac.probe(path)["chapters"]] == TITLES


def test_ctoc_lists_chapters_in_order(tmp_path: Path) -> None:
    path = _silent_mp3(tmp_path / "a.mp3", 60_000)
    mp3.tag_file(path, title="x", chapters=_chapters(TITLES))
    tags = ID3(path)
    toc = tags["CTOC:toc"]
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == [f"ch{i}" for i in range(len(TITLES))]
    for i, title in enumerate(TITLES):
        chap = tags[f"CHAP:ch{i}"]
        assert (chap.start_time, chap.end_time) == (i * 5000, (i + 1) * 5000)
        assert chap.sub_frames["TIT2"].text == [title]
    # the CHAP frames also sit in the file in start order (what ffmpeg relies on)
    assert [k for k in tags if k.startswith("CHAP")] == [f"CHAP:ch{i}" for i in range(len(TITLES))]


def test_text_tags(tmp_path: Path) -> None:
    path = _silent_mp3(tmp_path / "a.mp3", 3000)
    mp3.tag_file(path, title="Hüftöffner — Abend", artist="Studio Ōm", album="Evening", length_ms=3000)
    tags = ac.probe(path)["format"]["tags"]
    assert tags["title"] == "Hüftöffner — Abend"
    assert tags["artist"] == "Studio Ōm"
    assert tags["album"] == "Evening"
    id3 = ID3(path)
    assert id3["TLEN"].text == ["3000"]
    assert "CTOC:toc" not in id3  # no chapters, no table


def test_missing_artist_and_album_are_skipped(tmp_path: Path) -> None:
    path = _silent_mp3(tmp_path / "a.mp3", 3000)
    mp3.tag_file(path, title="Only a title")
    id3 = ID3(path)
    assert "TPE1" not in id3 and "TALB" not in id3
    assert ac.probe(path)["format"]["tags"] == {"title": "Only a title"}


def test_retagging_replaces_the_old_tag(tmp_path: Path) -> None:
    path = _silent_mp3(tmp_path / "a.mp3", 30_000)
    mp3.tag_file(path, title="Old", artist="Old artist", chapters=_chapters(TITLES[:5]))
    mp3.tag_file(path, title="New", chapters=_chapters(["One", "A second, longer one"]))
    info = ac.probe(path)
    assert info["format"]["tags"] == {"title": "New"}
    assert [c["tags"]["title"] for c in info["chapters"]] == ["One", "A second, longer one"]
    assert ac.duration_ms(ac.decode(path)) == pytest.approx(30_000, abs=30)


def test_tags_do_not_disturb_the_audio(tmp_path: Path) -> None:
    total_ms = 20_000
    events = (
        Event(1000, 5000, "inhale"),
        Event(5000, 11000, "exhale"),
        Event(12000, 14500, "bell", sound="start"),
    )
    tl = Timeline("Tagged", total_ms, tuple(_chapters(["Breath", "A bell rings here"], 10_000)), events)
    out = render.render_mp3(tl, {}, tmp_path / "tagged.mp3")
    pcm = ac.decode(out)
    assert ac.duration_ms(pcm) == pytest.approx(total_ms, abs=20)
    assert ac.onset_ms(pcm, 11500, 12500, threshold_dbfs=-45) == pytest.approx(12000, abs=20)
    info = ac.probe(out)
    assert [c["tags"]["title"] for c in info["chapters"]] == ["Breath", "A bell rings here"]
    assert info["format"]["tags"]["title"] == "Tagged"
    assert ID3(out)["TLEN"].text == [str(total_ms)]


def test_many_chapters(tmp_path: Path) -> None:
    """Dozens of chapters (ids past ch9 sort wrongly as strings) stay in start order."""
    titles = [("x" * ((i * 7) % 23)) + f" pose {i}" for i in range(40)]
    path = _silent_mp3(tmp_path / "a.mp3", 40 * 1500)
    mp3.tag_file(path, title="x", chapters=_chapters(titles, 1500))
    assert [c["tags"]["title"] for c in ac.probe(path)["chapters"]] == titles
    assert ID3(path)["CTOC:toc"].child_element_ids == [f"ch{i}" for i in range(40)]
