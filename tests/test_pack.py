"""``matcue pack``: the class pack folder, its playlist, share page and zip (no browser here;
see test_browser.py for the page in Chromium)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import audiocheck as ac
from matcue.cli.main import cli
from matcue.core.durations import format_length
from matcue.plan.timeline import Chapter, Event, Hold, Timeline
from matcue.share.page import card_rows, format_hold, safety_cues, to_m3u8
from matcue.share.sidecars import speech_cues, to_lrc, to_podcast_chapters, to_srt, to_vtt

DATA = Path(__file__).parent / "data" / "ok"
ROUTINES = [DATA / "all-kinds.yaml", DATA / "e2e.yaml"]

pytestmark = [
    pytest.mark.ffmpeg,
    pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed"),
]


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """A pack of two routines made with the fake voice: (folder, CLI stdout, timelines)."""
    from matcue.api import VoiceOverrides, build_timeline

    base = tmp_path_factory.mktemp("pack")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        r = CliRunner().invoke(
            cli, ["pack", *map(str, ROUTINES), "-o", str(base / "class"), "--backend", "fake", "--zip"],
            catch_exceptions=False,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        timelines = [build_timeline(p, voice=VoiceOverrides(backend="fake")).timeline for p in ROUTINES]
    return base / "class", r.stdout, timelines


def _mp3s(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mp3"))


def test_pack_lists_what_it_wrote(pack):
    folder, out, timelines = pack
    lines = out.splitlines()
    assert len(lines) == 5
    assert lines[2:] == [str(folder / "playlist.m3u8"), str(folder / "index.html"), str(folder) + ".zip"]
    names = sorted(p.name for p in folder.iterdir())
    stems = sorted(p.stem for p in _mp3s(folder))
    expected = sorted(
        [f"{s}{ext}" for s in stems for ext in (".mp3", ".vtt", ".srt", ".lrc", ".chapters.json", ".cover.png")]
        + ["index.html", "playlist.m3u8"]
    )
    assert names == expected  # and no temporary files


def test_each_mp3_has_its_chapters_and_cover(pack):
    folder, _, timelines = pack
    by_title = {tl.title: tl for tl in timelines}
    for path in _mp3s(folder):
        probed = ac.probe(path)
        tl = by_title[probed["format"]["tags"]["title"]]
        assert [(int(c["start"]), int(c["end"]), c["tags"]["title"]) for c in probed["chapters"]] == [
            (c.start_ms, c.end_ms, c.title) for c in tl.chapters
        ]
        streams = subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)], capture_output=True, text=True
        ).stdout
        pics = [s for s in json.loads(streams)["streams"] if s.get("disposition", {}).get("attached_pic")]
        assert len(pics) == 1 and pics[0]["width"] == pics[0]["height"] == 1400
        assert (folder / f"{path.stem}.cover.png").stat().st_size > 0


def test_every_caption_and_chapter_time_matches_the_timed_script(pack):
    folder, _, timelines = pack
    by_title = {tl.title: tl for tl in timelines}
    for path in _mp3s(folder):
        tl = by_title[ac.probe(path)["format"]["tags"]["title"]]
        assert (folder / f"{path.stem}.vtt").read_text(encoding="utf-8") == to_vtt(tl)
        assert (folder / f"{path.stem}.srt").read_text(encoding="utf-8") == to_srt(tl)
        assert (folder / f"{path.stem}.lrc").read_text(encoding="utf-8") == to_lrc(tl)
        assert (folder / f"{path.stem}.chapters.json").read_text(encoding="utf-8") == to_podcast_chapters(tl, path.name)
        # and the page's embedded cue and chapter data
        page = (folder / "index.html").read_text(encoding="utf-8")
        data = json.loads(re.search(r'<script type="application/json" id="matcue-data">(.*?)</script>', page).group(1))
        track = next(t for t in data["tracks"] if t["file"] == path.name)
        assert track["total_ms"] == tl.total_ms
        assert track["cues"] == [[c.start_ms, c.end_ms, c.text] for c in speech_cues(tl)]
        assert track["chapters"] == [[c.start_ms, c.end_ms, c.title] for c in tl.chapters]
        # the decoded audio is as long as the script says
        assert abs(ac.duration_ms(ac.decode(path)) - tl.total_ms) <= 20


def test_playlist_has_true_durations_titles_and_relative_paths(pack):
    folder, _, timelines = pack
    lines = (folder / "playlist.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    entries = list(zip(lines[1::2], lines[2::2]))
    assert sorted(rel for _, rel in entries) == [p.name for p in _mp3s(folder)]
    for (info, rel), tl in zip(entries, timelines):
        assert (folder / rel).is_file() and "/" not in rel
        secs, label = info.removeprefix("#EXTINF:").split(",", 1)
        assert int(secs) == round(tl.total_ms / 1000)
        assert abs(float(ac.probe(folder / rel)["format"]["duration"]) - int(secs)) <= 0.6
        assert label.endswith(tl.title)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "srcset", "poster", "data", "action") and v is not None:
                self.refs.append((tag, k, v))


def test_the_page_needs_no_network(pack):
    folder, _, _ = pack
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"(https?:)?//[a-z0-9]", page, re.IGNORECASE), "no absolute or protocol-relative URLs"
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"<link\b", page) and not re.search(r"<script[^>]*\bsrc=", page)
    parser = _Refs()
    parser.feed(page)
    assert parser.refs
    for tag, attr, ref in parser.refs:
        if ref.startswith("#"):
            continue
        assert ":" not in ref and not ref.startswith("/"), (tag, attr, ref)
        assert (folder / ref).is_file(), ref  # every local reference exists in the pack


def test_the_page_shows_players_chapters_captions_and_cards(pack):
    folder, _, timelines = pack
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert page.count("<audio ") == 2 and page.count('<track kind="captions"') == 2
    for tl in timelines:
        assert f">{format_length(tl.total_ms)}</span>" in page
        assert page.count('class="chapter"') == sum(len(t.chapters) for t in timelines)
    assert "@media print" in page and "Routine card" in page


def test_zip_holds_the_pack_under_its_folder_name(pack):
    folder, _, _ = pack
    with zipfile.ZipFile(str(folder) + ".zip") as zf:
        assert zf.testzip() is None
        names = sorted(zf.namelist())
    assert names == sorted(f"class/{p.name}" for p in folder.iterdir())


def test_a_pack_without_zip_warns_of_the_zip_an_earlier_pack_left(run, tmp_path, fake_voice):
    """The zip of an earlier ``pack --zip`` stayed beside a pack made again without --zip,
    holding other tracks than the folder, and nothing said so."""
    folder = tmp_path / "class"
    assert run("pack", str(ROUTINES[1]), "-o", str(folder), "--backend", "fake", "--zip").exit_code == 0
    earlier = (tmp_path / "class.zip").read_bytes()
    r = run("pack", str(ROUTINES[1]), "-o", str(folder), "--backend", "fake")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == (
        f"warning: '{folder}.zip' beside the pack is not this pack: it was left by an earlier one "
        "(pack with --zip to write it again, or remove it)\n"
    )
    assert (tmp_path / "class.zip").read_bytes() == earlier  # never removed: it may be the teacher's
    r = run("pack", str(ROUTINES[1]), "-o", str(tmp_path / "other"), "--backend", "fake")
    assert (r.exit_code, r.stderr) == (0, "")


def test_pack_of_a_bad_routine_is_located_and_exits_1(tmp_path):
    r = CliRunner().invoke(
        cli, ["pack", "tests/data/errors/hold-words.yaml", "-o", str(tmp_path / "p"), "--backend", "fake"]
    )
    assert r.exit_code == 1
    assert "hold-words.yaml:" in r.output
    assert not (tmp_path / "p" / "index.html").exists()


def test_pack_needs_an_output_folder():
    r = CliRunner().invoke(cli, ["pack", str(ROUTINES[0])])
    assert r.exit_code == 2 and "Missing option '-o' / '--output'" in r.output


# ----------------------------------------------------------------------------- pure parts


def test_card_rows_fold_sides_and_keep_holds():
    tl = Timeline("t", 100_000, (), (), holds=(
        Hold(0, 20_000, "Arrive", "Arrive"),
        Hold(25_000, 55_000, "Pigeon (right)", "Pigeon", "right"),
        Hold(60_000, 90_000, "Pigeon (left)", "Pigeon", "left"),
        Hold(90_000, 97_500, "Twist (left)", "Twist", "left"),
    ))  # fmt: skip
    rows = [(r.name, r.sides, r.hold_ms) for r in card_rows(tl)]
    assert rows == [("Arrive", (), 20_000), ("Pigeon", ("right", "left"), 30_000), ("Twist", ("left",), 7_500)]
    assert [format_hold(ms) for ms in (20_000, 60_000, 90_000, 7_500)] == ["20 s", "1 min", "1 min 30 s", "7.5 s"]


def test_safety_cues_are_the_spoken_warnings_once_each():
    tl = Timeline("t", 10_000, (), (
        Event(0, 1, "speech", text="Never force the knee."),
        Event(2, 3, "speech", text="Breathe in."),
        Event(4, 5, "speech", text="If you feel sharp pain, stop."),
        Event(6, 7, "speech", text="Never force the knee."),
        Event(8, 9, "speech", text="Unstoppable and forceful are not safety words."),
    ))  # fmt: skip
    assert safety_cues(tl) == ("Never force the knee.", "If you feel sharp pain, stop.")


def test_m3u8_format():
    a = Timeline("Evening, calm", 391_240, (Chapter(0, 391_240, "x"),), (), artist="Maya")
    b = Timeline("Morning", 59_499, (), ())
    assert to_m3u8([("a.mp3", a), ("b.mp3", b)]) == (
        "#EXTM3U\n#EXTINF:391,Maya - Evening, calm\na.mp3\n#EXTINF:59,Morning\nb.mp3\n"
    )


def test_pack_for_a_roster_has_a_track_per_person_and_reports_a_bad_profile(tmp_path, fake_voice):
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: Anna\n  level: advanced\n- name: Ben\n  pace: 9\n- name: Chloe\n  first_side: left\n")
    r = CliRunner().invoke(
        cli, ["pack", str(DATA / "e2e.yaml"), "--roster", str(roster), "-o", str(tmp_path / "pk"), "--backend", "fake"],
        catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{roster}:4:9: [1].pace: ")
    assert r.stderr.endswith("1 problem: those tracks are not in the pack\n")
    mp3s = [p.name for p in _mp3s(tmp_path / "pk")]
    assert mp3s == ["end-to-end-check--anna.mp3", "end-to-end-check--chloe.mp3"]
    titles = [ac.probe(tmp_path / "pk" / m)["format"]["tags"]["title"] for m in mp3s]
    assert titles == ["End to end check \u2014 Anna", "End to end check \u2014 Chloe"]
    page = (tmp_path / "pk" / "index.html").read_text()
    assert "end-to-end-check--anna.mp3" in page and "end-to-end-check--chloe.mp3" in page
    playlist = (tmp_path / "pk" / "playlist.m3u8").read_text()
    assert playlist.count("#EXTINF") == 2


def test_pack_for_a_roster_into_a_relative_folder(tmp_path, monkeypatch, fake_voice):
    """`pack r.yaml --roster class.yaml -o out` (a relative folder, as a teacher types it)
    was exit 3: the workers name their tracks by absolute path, the staging folder was
    relative, and moving the tracks in failed (hostile round three)."""
    monkeypatch.chdir(tmp_path)
    Path("class.yaml").write_text("- name: Anna\n- name: Ben\n")
    r = CliRunner().invoke(
        cli, ["pack", str(DATA / "e2e.yaml"), "--roster", "class.yaml", "-o", "out", "--backend", "fake"],
        catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert [line.split("\t")[0] for line in r.stdout.splitlines()[:2]] == [
        "out/end-to-end-check--anna.mp3",
        "out/end-to-end-check--ben.mp3",
    ]
    assert [p.name for p in _mp3s(tmp_path / "out")] == ["end-to-end-check--anna.mp3", "end-to-end-check--ben.mp3"]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_pack_roster_needs_one_routine(tmp_path):
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: Anna\n")
    r = CliRunner().invoke(cli, ["pack", *map(str, ROUTINES), "--roster", str(roster), "-o", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert "a roster packs one routine: give exactly one ROUTINE" in r.stderr


# ----------------------------------------------------------------------------- options shared with render

TINY = "title: Tiny\nsteps:\n  - say: Hello and welcome.\n  - pause: 2s\n"


def _pack(run, *args: str):  # type: ignore[no-untyped-def]
    return run("pack", *args, "--backend", "fake")


def test_pack_no_cover_and_captions_do_what_they_do_for_render(run, tmp_path, fake_voice):
    from mutagen.id3 import ID3

    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    out = tmp_path / "class"
    r = _pack(run, str(routine), "-o", str(out), "--no-cover", "--captions", "srt")
    assert r.exit_code == 0, r.stderr
    assert ID3(out / "tiny.mp3").getall("APIC") == []
    names = sorted(p.name for p in out.iterdir())
    assert names == ["index.html", "playlist.m3u8", "tiny.chapters.json", "tiny.mp3", "tiny.srt"]
    assert "Hello and welcome." in (out / "tiny.srt").read_text()
    page = (out / "index.html").read_text()
    assert 'href="tiny.srt"' in page and "tiny.vtt" not in page and "tiny.cover" not in page
    r = _pack(run, str(routine), "-o", str(tmp_path / "default"))  # the default: every format, a cover
    assert r.exit_code == 0, r.stderr
    assert len(ID3(tmp_path / "default" / "tiny.mp3").getall("APIC")) == 1
    assert {"tiny.vtt", "tiny.srt", "tiny.lrc"} <= {p.name for p in (tmp_path / "default").iterdir()}


def test_pack_max_length_refuses_a_long_routine(run, tmp_path, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    r = _pack(run, str(routine), "-o", str(tmp_path / "class"), "--max-length", "1s")
    assert r.exit_code == 1
    assert "the routine is longer than the limit of 1s" in r.stderr
    assert "(shorten it, or raise the limit with --max-length)" in r.stderr
    assert not list((tmp_path / "class").glob("*.mp3"))


def test_pack_allow_outside_lets_an_include_outside_the_folder_load(run, tmp_path, fake_voice):
    home = tmp_path / "class"
    home.mkdir()
    (tmp_path / "shared.yaml").write_text("title: Shared\nsteps:\n  - say: Shared words.\n")
    routine = home / "r.yaml"
    routine.write_text("title: R\nsteps:\n  - say: Hello.\n  - include: ../shared.yaml\n")
    r = _pack(run, str(routine), "-o", str(tmp_path / "out"))
    assert r.exit_code == 1 and "pass --allow-outside" in r.stderr
    r = _pack(run, str(routine), "-o", str(tmp_path / "out"), "--allow-outside")
    assert r.exit_code == 0, r.stderr
    assert "Shared words." in (tmp_path / "out" / "r.vtt").read_text()


def test_pack_roster_is_rendered_by_the_roster_runner_with_render_names(run, tmp_path, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: Anna\n  pace: 1.2\n- name: Ben Ö\n")
    r = _pack(run, str(routine), "--roster", str(roster), "-o", str(tmp_path / "pack"), "--workers", "2")
    assert r.exit_code == 0, r.stderr
    r = run("render", str(routine), "--roster", str(roster), "-o", str(tmp_path / "render"), "--backend", "fake")
    assert r.exit_code == 0, r.stderr
    packed = sorted(p.name for p in (tmp_path / "pack").glob("*.mp3"))
    assert (
        packed == sorted(p.name for p in (tmp_path / "render").glob("*.mp3")) == ["tiny--anna.mp3", "tiny--ben-o.mp3"]
    )
    page = (tmp_path / "pack" / "index.html").read_text()
    assert "Tiny — Anna" in page and "Tiny — Ben Ö" in page


def test_a_name_collision_in_a_pack_roster_is_the_render_message(run, tmp_path, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: Anna\n- name: anna\n")
    r = _pack(run, str(routine), "--roster", str(roster), "-o", str(tmp_path / "pack"))
    rendered = run("render", str(routine), "--roster", str(roster), "-o", str(tmp_path / "r"), "--backend", "fake")
    message = (
        f"{roster}:2:3: name: 'anna' gives the same file name as 'Anna' at {roster}:1:3"
        " (give each person a distinct name)"
    )
    assert message in r.stderr and message in rendered.stderr
    assert r.exit_code == rendered.exit_code == 1
    assert [p.name for p in (tmp_path / "pack").glob("*.mp3")] == ["tiny--anna.mp3"]


def test_one_roster_entry_repeated_by_an_alias_is_said_to_be_in_twice(run, tmp_path, fake_voice):
    """It said "'Dup' gives the same file name as 'Dup' at r.yaml:1:3", one place named twice;
    then it was said at the anchor (1:3), not at the alias."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    roster = tmp_path / "class.yaml"
    roster.write_text("- &p {name: Dup}\n- name: Other\n- *p\n")
    r = run("render", str(routine), "--roster", str(roster), "-o", str(tmp_path / "r"), "--backend", "fake")
    assert r.exit_code == 1
    assert (
        f"{roster}:3:3: [2]: the profile at {roster}:1:3 is given twice (the alias *p repeats it); "
        "give each person once" in r.stderr
    )


def test_pack_profile_is_a_track_for_that_person_as_render_profile_gives(run, tmp_path, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    person = tmp_path / "cara.yaml"
    person.write_text("name: Cara\nverbosity: brief\n")
    r = _pack(run, str(routine), "--profile", str(person), "-o", str(tmp_path / "pack"))
    assert r.exit_code == 0, r.stderr
    assert [p.name for p in (tmp_path / "pack").glob("*.mp3")] == ["tiny--cara.mp3"]
    r = _pack(run, str(routine), str(routine), "--profile", str(person), "-o", str(tmp_path / "two"))
    assert r.exit_code == 2
    assert "Invalid value for '--profile': a roster packs one routine: give exactly one ROUTINE" in r.stderr


def test_a_pack_folder_that_takes_no_new_file_is_our_error(run, tmp_path, fake_voice, monkeypatch):
    """The staging folder could not be made (`-o /sys/kernel` as root): an unexpected error, exit 3."""
    import tempfile

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(1, "Operation not permitted")

    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    (tmp_path / "pack").mkdir()
    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    r = run("pack", str(routine), "-o", str(tmp_path / "pack"), "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr.endswith(
        f"Error: cannot write into the output folder '{tmp_path / 'pack'}': Operation not permitted"
        " (choose another folder with -o)\n"
    ), r.stderr


def test_the_zip_is_named_from_the_working_folder_as_the_pack_folder_was(tmp_path, monkeypatch):
    """'-o p --zip' said and printed '/home/me/class/p.zip' (the folder resolved to find
    its name), where every other path is shown as written: now 'p.zip'; '-o .' is still the
    zip of the working folder by its name, beside it."""
    from click.testing import CliRunner

    from matcue.cli.main import cli
    from matcue.pack import zip_path_for

    monkeypatch.chdir(tmp_path)
    assert zip_path_for(Path("p")) == Path("p.zip")
    assert zip_path_for(Path(".")) == tmp_path.parent / f"{tmp_path.name}.zip"
    (tmp_path / "r.yaml").write_text("title: T\nsteps:\n  - say: Hi.\n")
    (tmp_path / "p.zip").mkdir()
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["pack", "r.yaml", "--backend", "fake", "-o", "p", "--zip"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: 'p.zip' is a folder, not a file matcue may replace (move it away, or write elsewhere)\n"
    )
