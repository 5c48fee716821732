"""Captions (WebVTT, SRT, LRC) and Podcasting 2.0 chapters from a timeline.

Regenerate the golden files after an intended change with ``MATCUE_UPDATE_GOLDEN=1 pytest``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import audiocheck as ac
from matcue.api import VoiceOverrides, build_timeline
from matcue.cli.main import cli
from matcue.plan.timeline import Chapter, Event, Timeline
from matcue.share import sidecars
from matcue.share.sidecars import lrc_time, ms_to_cs, speech_cues, to_lrc, to_podcast_chapters, to_srt, to_vtt

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "sidecars"
ROUTINE = Path(__file__).parents[1] / "data" / "ok" / "all-kinds.yaml"

TIMELINE = Timeline(
    title="Evening [hips] & hamstrings",
    total_ms=3_725_005,
    chapters=(
        Chapter(0, 12_345, "Introduction"),
        Chapter(12_345, 3_600_000, "Pigeon <Eka Pada> (right)"),
        Chapter(3_600_000, 3_725_005, "Rest"),
    ),
    events=(
        Event(0, 2_004, "speech", text="Find a comfortable seat."),
        Event(2_004, 12_345, "silence"),
        Event(12_345, 12_600, "bell", sound="start"),
        Event(12_345, 16_345, "inhale"),
        Event(12_995, 15_005, "speech", text="Breathe  in, & lengthen\n the spine -->", side="right"),
        Event(16_345, 22_345, "exhale"),
        Event(3_599_994, 3_600_000, "speech", text="One."),
        Event(3_600_000, 3_725_005, "silence"),
    ),
    artist="Studio Maya",
    album="Evening classes",
)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MATCUE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, make",
    [
        ("evening.vtt", to_vtt),
        ("evening.srt", to_srt),
        ("evening.lrc", to_lrc),
        ("evening.chapters.json", lambda tl: to_podcast_chapters(tl, "evening.mp3")),
    ],
)
def test_golden_sidecars(name, make):
    _golden(name, make(TIMELINE))


def test_cues_are_speech_only_in_start_order_even_if_events_are_not():
    shuffled = Timeline("t", 10_000, (), (
        Event(5_000, 6_000, "speech", text="second"),
        Event(0, 1_000, "inhale"),
        Event(1_000, 2_500, "speech", text="first"),
        Event(5_000, 5_500, "speech", text="overlapping, shorter"),
    ))  # fmt: skip
    assert [(c.start_ms, c.end_ms, c.text) for c in speech_cues(shuffled)] == [
        (1_000, 2_500, "first"),
        (5_000, 5_500, "overlapping, shorter"),
        (5_000, 6_000, "second"),
    ]


@pytest.mark.parametrize(
    "ms, expected",
    [
        (0, "00:00.00"),
        (4, "00:00.00"),
        (5, "00:00.01"),  # halves round up
        (1_004, "00:01.00"),
        (1_005, "00:01.01"),
        (1_994, "00:01.99"),
        (1_995, "00:02.00"),
        (59_995, "01:00.00"),  # carries into the minutes
        (3_599_994, "59:59.99"),
        (3_599_995, "60:00.00"),  # LRC minutes go past 59
        (6_000_000, "100:00.00"),
    ],
)
def test_lrc_rounds_to_the_nearest_centisecond_halves_up(ms, expected):
    assert lrc_time(ms) == expected


@given(st.integers(0, 10**8))
def test_lrc_time_is_within_5_ms_and_monotonic(ms):
    m, s = lrc_time(ms).split(":")
    whole, cs = s.split(".")
    back_ms = (int(m) * 60 + int(whole)) * 1000 + int(cs) * 10  # exact, no float rounding
    assert abs(back_ms - ms) <= 5
    assert ms_to_cs(ms) <= ms_to_cs(ms + 1)


VTT_CUE = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})")


def _ms(h: str, m: str, s: str, f: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f)


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**6)), max_size=20))
def test_vtt_and_srt_times_are_the_speech_events_exactly(spans):
    events = tuple(Event(a, a + d, "speech", text=f"cue {i}") for i, (a, d) in enumerate(spans))
    tl = Timeline("t", 2 * 10**7, (), events)
    expected = sorted((e.start_ms, e.end_ms) for e in events)
    for text, sep in ((to_vtt(tl), "."), (to_srt(tl), ",")):
        found = [m.groups() for m in VTT_CUE.finditer(text.replace(sep, "."))]
        got = [(_ms(*g[:4]), _ms(*g[4:])) for g in found]
        assert sorted(got) == expected == got


def test_vtt_escapes_markup():
    assert "Breathe in, &amp; lengthen the spine --&gt;" in to_vtt(TIMELINE)
    assert "-->" not in to_srt(TIMELINE).split("\n")[-6]  # SRT has no escapes: the arrow is shortened


def _one_cue(text: str) -> Timeline:
    return Timeline(
        title=text,
        total_ms=5_000,
        chapters=(Chapter(0, 5_000, "Intro"),),
        events=(Event(0, 2_000, "speech", text=text), Event(2_000, 5_000, "silence")),
    )


LRC_TAG = re.compile(r"\[[^\]]*\]|<\d+:\d+(\.\d+)?>")
SRT_MARKUP = re.compile(r"<[^>]*>|\{[^}]*\}")


def test_srt_shows_markup_in_a_cue_instead_of_letting_a_player_read_it():
    srt = to_srt(_one_cue("Relax <b>now</b> {\\an8}<font color=red>x</font>"))
    cue = srt.split("\n")[2]
    assert cue == "Relax \u2039b\u203anow\u2039/b\u203a (\\an8)\u2039font color=red\u203ax\u2039/font\u203a"


def test_lrc_cue_lines_cannot_forge_tags_or_time_stamps():
    lrc = to_lrc(_one_cue("[ti:Forged] and [00:59.00] then <00:03.00>word"))
    lines = lrc.splitlines()
    assert lines[0] == "[ti:(ti:Forged) and (00:59.00) then \u203900:03.00\u203aword]"
    assert lines[-1] == "[00:00.00](ti:Forged) and (00:59.00) then \u203900:03.00\u203aword"


@given(st.text(alphabet=st.sampled_from("[]<>{}:.0123456789ab ti-"), min_size=1, max_size=40))
def test_no_cue_text_adds_markup_to_srt_or_a_tag_to_lrc(text):
    tl = _one_cue(text)
    if not text.strip():
        return
    srt_cue = to_srt(tl).split("\n")[2]
    assert not SRT_MARKUP.search(srt_cue) and "-->" not in srt_cue
    lrc_lines = to_lrc(tl).splitlines()
    assert all(len(LRC_TAG.findall(line)) == 1 and line.startswith("[") for line in lrc_lines)


def test_podcast_chapters_follow_the_spec_fields():
    d = json.loads(to_podcast_chapters(TIMELINE))
    assert d["version"] == "1.2.0"
    assert d["chapters"][0] == {"startTime": 0, "endTime": 12.345, "title": "Introduction"}
    assert [c["startTime"] for c in d["chapters"]] == [0, 12.345, 3600]
    assert set(d) == {"version", "title", "author", "podcastName", "chapters"}


def test_lrc_headers_skip_missing_artist_and_album():
    tl = Timeline("Just a title", 61_500, (), ())
    assert to_lrc(tl) == "[ti:Just a title]\n[length:01:02]\n[re:matcue]\n"


def test_write_sidecars_is_atomic_and_names_files_after_the_mp3(tmp_path):
    mp3 = tmp_path / "evening.mp3"
    written = sidecars.write_sidecars(TIMELINE, mp3, ("lrc", "vtt"), chapters_json=True)
    assert [p.name for p in written] == ["evening.lrc", "evening.vtt", "evening.chapters.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temporary files
    assert (tmp_path / "evening.vtt").read_text(encoding="utf-8") == to_vtt(TIMELINE)


# ----------------------------------------------------------------------------- the render command


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_render_writes_the_sidecars_from_the_timed_script(tmp_path, fake_voice):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli,
        ["render", str(ROUTINE), "-o", str(out), "--backend", "fake", "--captions", "vtt,srt,lrc", "--chapters-json"],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    mp3 = Path(r.stdout.split("\t")[0])
    tl = build_timeline(ROUTINE, voice=VoiceOverrides(backend="fake")).timeline
    assert (out / f"{mp3.stem}.vtt").read_text(encoding="utf-8") == to_vtt(tl)
    assert (out / f"{mp3.stem}.srt").read_text(encoding="utf-8") == to_srt(tl)
    assert (out / f"{mp3.stem}.lrc").read_text(encoding="utf-8") == to_lrc(tl)
    chapters = json.loads((out / f"{mp3.stem}.chapters.json").read_text(encoding="utf-8"))["chapters"]
    probed = ac.probe(mp3)["chapters"]
    assert [round(c["startTime"] * 1000) for c in chapters] == [int(p["start"]) for p in probed]
    assert [(c.start_ms, c.end_ms) for c in tl.chapters] == [(int(p["start"]), int(p["end"])) for p in probed]
    assert [c["title"] for c in chapters] == [p["tags"]["title"] for p in probed]


def test_render_rejects_unknown_caption_formats(tmp_path):
    r = CliRunner().invoke(cli, ["render", str(ROUTINE), "-o", str(tmp_path), "--captions", "vtt,ass"])
    assert r.exit_code == 2
    assert "Invalid value for '--captions': expected a comma-separated list of vtt, srt, lrc (or 'all')" in r.output
    assert not any(tmp_path.iterdir())
