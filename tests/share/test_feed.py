"""``matcue pack --feed-url``: feed.xml as two podcast apps' parsers read it (feedparser and
gPodder's podcastparser), the manifest that keeps GUIDs and dates from pack to pack, and
the bad inputs that must leave an earlier pack as it was."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

import audiocheck as ac
from matcue.cli.main import cli
from matcue.core.errors import RenderError
from matcue.share.feed import (
    MANIFEST_NAME,
    FeedError,
    Manifest,
    check_folder,
    load_manifest,
    parse_feed_url,
    podcast_guid,
)

DATA = Path(__file__).parents[1] / "data" / "ok"
E2E, ALL_KINDS = DATA / "e2e.yaml", DATA / "all-kinds.yaml"
URL = "https://studio.example/class/"

pytestmark = [pytest.mark.ffmpeg, pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")]
feedparser = pytest.importorskip("feedparser", reason="feedparser is not installed (pip install -e '.[test]')")
podcastparser = pytest.importorskip("podcastparser", reason="podcastparser is not installed (pip install -e '.[test]')")


def _pack(folder: Path, *routines: Path, extra: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli,
        ["pack", *map(str, routines), "-o", str(folder), "--backend", "fake", "--format", "opus",
         "--feed-url", URL, *extra],
    )  # fmt: skip


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() if p.is_file() else b"<folder>" for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def packs(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One pack of e2e.yaml, then the same folder packed again with all-kinds.yaml added:
    (folder, the first pack's files, the timelines by title)."""
    from matcue.api import VoiceOverrides, build_timeline

    base = tmp_path_factory.mktemp("feed")
    folder = base / "class"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCUE_CACHE_DIR", str(base / "cache"))
        r = _pack(folder, E2E)
        assert r.exit_code == 0, r.output
        assert r.stdout.splitlines()[-1] == str(folder / "feed.xml")
        first = _snapshot(folder)
        r = _pack(folder, E2E, ALL_KINDS)
        assert r.exit_code == 0, r.output
        timelines = {
            tl.title: tl
            for tl in (build_timeline(p, voice=VoiceOverrides(backend="fake")).timeline for p in (E2E, ALL_KINDS))
        }
    return folder, first, timelines


def _in_folder(folder: Path, url: str) -> Path:
    """The file a feed URL names, which must be inside the folder."""
    assert url.startswith(URL), url
    path = folder / unquote(url[len(URL) :])
    assert path.resolve().parent == folder.resolve() and path.is_file(), url
    return path


def test_feedparser_reads_a_podcast(packs) -> None:  # type: ignore[no-untyped-def]
    folder, _, timelines = packs
    d = feedparser.parse((folder / "feed.xml").read_bytes())
    assert not d.bozo, d.get("bozo_exception")
    assert d.version == "rss20"
    assert d.feed.title == "Test collection"
    assert d.feed.language == "en"
    assert [t["term"] for t in d.feed.tags] == ["Health & Fitness"]
    assert _in_folder(folder, d.feed.image["href"]).suffix == ".png"
    assert d.feed.podcast_guid == podcast_guid(URL)
    assert {e.title for e in d.entries} == set(timelines)
    for e in d.entries:
        tl = timelines[e.title]
        (enc,) = e.enclosures
        audio = _in_folder(folder, enc["href"])
        assert audio.suffix == ".opus" and enc["type"] == "audio/ogg"
        assert int(enc["length"]) == audio.stat().st_size
        assert int(e.itunes_duration) == round(ac.duration_ms(ac.decode(audio)) / 1000) == (tl.total_ms + 500) // 1000
        chapters = json.loads(_in_folder(folder, e.podcast_chapters["url"]).read_text())
        assert [c["title"] for c in chapters["chapters"]] == [c.title for c in tl.chapters]
        assert e.podcast_chapters["type"] == "application/json+chapters"
        assert _in_folder(folder, e.image["href"]).name == audio.stem + ".cover.png"
        assert "Total " in e.summary and tl.chapters[1].title.split(" (")[0] in e.summary


def test_podcastparser_reads_episodes_chapters_and_transcripts(packs) -> None:  # type: ignore[no-untyped-def]
    folder, _, timelines = packs
    p = podcastparser.parse(URL + "feed.xml", io.BytesIO((folder / "feed.xml").read_bytes()))
    assert p["title"] == "Test collection" and p["itunes_categories"] == [["Health & Fitness"]]
    assert _in_folder(folder, p["cover_url"]).is_file()
    assert len(p["episodes"]) == 2
    for ep in p["episodes"]:
        tl = timelines[ep["title"]]
        (enc,) = ep["enclosures"]
        audio = _in_folder(folder, enc["url"])
        assert enc["file_size"] == audio.stat().st_size and enc["mime_type"] == "audio/ogg"
        assert ep["total_time"] == (tl.total_ms + 500) // 1000
        assert [(c["start"], c["title"]) for c in ep["chapters"]] == [
            (c.start_ms // 1000, c.title) for c in tl.chapters
        ]
        vtt = _in_folder(folder, ep["transcript_url"])
        assert vtt.suffix == ".vtt" and vtt.read_text().startswith("WEBVTT")
        assert json.loads(_in_folder(folder, ep["chapters_json_url"]).read_text())["fileName"] == audio.name
        assert ep["guid"].startswith("urn:uuid:")


def test_second_pack_keeps_earlier_guids_and_dates(packs) -> None:  # type: ignore[no-untyped-def]
    folder, first, _ = packs
    before = feedparser.parse(first["feed.xml"])
    after = feedparser.parse((folder / "feed.xml").read_bytes())
    (old,) = before.entries
    by_guid = {e.id: e for e in after.entries}
    assert len(by_guid) == 2
    kept = by_guid[old.id]
    assert (kept.title, kept.published) == (old.title, old.published)
    (new,) = [e for e in after.entries if e.id != old.id]
    assert new.published_parsed >= kept.published_parsed
    assert after.entries[0].id == new.id  # newest first
    manifest = load_manifest(folder)
    assert sorted(i.stem for i in manifest.items) == sorted(Path(e.enclosures[0]["href"]).stem for e in after.entries)


def test_a_changed_track_keeps_its_guid_and_gets_its_new_length(packs, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder, _, _ = packs
    copy = tmp_path / "class"
    shutil.copytree(folder, copy)
    before = {e.title: e for e in feedparser.parse((copy / "feed.xml").read_bytes()).entries}
    r = _pack(copy, E2E, ALL_KINDS, extra=("--bitrate", "12k"))
    assert r.exit_code == 0, r.output
    after = {e.title: e for e in feedparser.parse((copy / "feed.xml").read_bytes()).entries}
    assert set(after) == set(before)
    for title, e in after.items():
        assert (e.id, e.published) == (before[title].id, before[title].published)
        audio = _in_folder(copy, e.enclosures[0]["href"])
        assert int(e.enclosures[0]["length"]) == audio.stat().st_size < int(before[title].enclosures[0]["length"])


def test_the_feed_lists_only_the_transcripts_written(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``--captions lrc``: no SRT or VTT beside the tracks, so the feed names none."""
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "class"
    r = _pack(folder, E2E, extra=("--captions", "lrc"))
    assert r.exit_code == 0, r.output
    assert not list(folder.glob("*.vtt")) and not list(folder.glob("*.srt")) and list(folder.glob("*.lrc"))
    xml = (folder / "feed.xml").read_text(encoding="utf-8")
    assert "podcast:transcript" not in xml
    assert "podcast:chapters" in xml  # the chapters file is always written
    r = _pack(tmp_path / "vtt", E2E, extra=("--captions", "vtt"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "vtt" / "feed.xml").read_text(encoding="utf-8").count("<podcast:transcript ") == 1


def test_without_feed_url_no_feed_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(cli, ["pack", str(E2E), "-o", str(tmp_path / "p"), "--backend", "fake"])
    assert r.exit_code == 0, r.output
    names = {p.name for p in (tmp_path / "p").iterdir()}
    assert "feed.xml" not in names and MANIFEST_NAME not in names and "index.html" in names


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ftp://studio.example/class/",
            "expected the http:// or https:// address of the folder as served, like https://studio.example/class/",
        ),
        (
            "studio.example/class/",
            "expected the http:// or https:// address of the folder as served, like https://studio.example/class/",
        ),
        (
            "https://studio.example/class/?week=3",
            "the address may not have a query ('?...'): give the folder's address",
        ),
        (
            "https://studio.example/class/#now",
            "the address may not have a fragment ('#...'): give the folder's address",
        ),
        ("https:///class/", "the address has no host name: give one, like https://studio.example/class/"),
        ("https://me:pw@studio.example/class/", "the address may not hold a user name or password"),
        (
            'https://studio.example/a"b<c>/',
            "the address may not contain '\"<>' (write it percent-encoded, e.g. %22 for a double quote)",
        ),
        ("https://studio.example/cl\u00e4ss/", "the address may not contain '\u00e4' (write it percent-encoded"),
        ("https://studio.example:0/class/", "port 0 is no port a server listens on"),
        # hostile round three: a 5000-character host rendered the pack, then its QR code was exit 3
        ("https://" + "a" * 5000 + ".example/", "the address is 5017 characters; at most 2000"),
        ("https://studio.example/100%/", "a '%' starts an escape of two hex digits (write a '%' itself as %25)"),
    ],
)
def test_bad_feed_urls_are_usage_errors(tmp_path, url: str, message: str) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(cli, ["pack", str(E2E), "-o", str(tmp_path / "p"), "--backend", "fake", "--feed-url", url])
    assert r.exit_code == 2
    assert f"Error: Invalid value for '--feed-url': {message}" in r.output
    assert not (tmp_path / "p").exists()


def test_feed_url_gets_its_trailing_slash() -> None:
    assert parse_feed_url("HTTPS://studio.example/class") == "https://studio.example/class/"
    assert parse_feed_url("http://localhost:8000/") == "http://localhost:8000/"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "{path}:1:2: not JSON: Expecting property name enclosed in double quotes"),
        ("[]", "{path}: top level: expected an object, got list"),
        ('{"version": 7, "items": {}}', "{path}: version: expected 1, got 7"),
        ('{"version": 1, "items": []}', "{path}: items: expected an object of items by file stem"),
        ('{"version": 1, "items": {"x": {"guid": 5}}}', "{path}: items.x.guid: expected str, got 5"),
        (
            '{"version": 1, "items": {}, "files": ["../../etc/passwd"]}',
            "{path}: files: expected a list of file names in the folder",
        ),
        # hostile round three: each was exit 3 (an int of 5000 digits, arrays 100 000 deep,
        # a date past the last one once moved to UTC; a lone surrogate: test_bad_characters.py)
        (
            '{"version": 1, "items": {}, "n": ' + "9" * 5000 + "}",
            "{path}: not a manifest matcue wrote: it holds a number too long to read",
        ),
        ("[" * 100_000 + "]" * 100_000, "{path}: not a manifest matcue wrote: it nests too deeply"),
        (
            '{"version": 1, "items": {"x": {"guid": "g", "pub_date": "9999-12-31T23:59:59-12:00"}}}',
            "{path}: items.x.pub_date: not a date: '9999-12-31T23:59:59-12:00'",
        ),
    ],
)
def test_a_manifest_edited_into_nonsense_stops_the_pack(packs, tmp_path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    folder, _, _ = packs
    copy = tmp_path / "class"
    shutil.copytree(folder, copy)
    (copy / MANIFEST_NAME).write_text(text)
    before = _snapshot(copy)
    r = _pack(copy, E2E, ALL_KINDS)
    assert r.exit_code == 1
    fix = "restore it, or delete it to start the feed afresh (earlier episodes then get new GUIDs)"
    assert r.output == f"Error: {message.format(path=copy / MANIFEST_NAME)} ({fix})\n"
    assert _snapshot(copy) == before  # nothing written, the earlier pack intact


def test_a_manifest_that_is_a_pipe_a_device_or_a_folder_is_refused_unread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A FIFO in the manifest's place blocked the pack for ever, a link to /dev/zero filled
    memory: only a regular file of bounded size is read."""
    import os

    fix = "restore it, or delete it to start the feed afresh (earlier episodes then get new GUIDs)"
    for kind, make in (
        ("a named pipe", os.mkfifo),
        ("a device", lambda p: os.symlink("/dev/zero", p)),
        ("a folder", os.mkdir),
    ):
        folder = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        make(folder / MANIFEST_NAME)
        with pytest.raises(FeedError) as e:
            load_manifest(folder)
        assert (
            str(e.value)
            == f"{folder / MANIFEST_NAME}: cannot read the manifest: it is {kind}, not a feed manifest ({fix})"
        )


def test_a_kept_items_transcript_and_chapters_are_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An earlier item stays in the feed from the manifest alone: its transcript is a file
    in the folder (not '../../etc/passwd') and its chapters start at 0 or later."""
    item = {"guid": "g", "pub_date": "2026-01-01T00:00:00+00:00", "title": "T", "file": "a.mp3", "mime": "audio/mpeg",
            "length": 1, "duration_ms": 1, "description": "", "chapters": "a.chapters.json"}  # fmt: skip
    for extra, where in (
        ({"transcripts": [["../../etc/passwd", "text/vtt"]]}, "transcripts"),
        ({"transcripts": [], "chapter_list": [[-5000, "x"]]}, "chapter_list"),
    ):
        (tmp_path / MANIFEST_NAME).write_text(json.dumps({"version": 1, "items": {"a": {**item, **extra}}}))
        with pytest.raises(FeedError, match=rf": items\.a\.{where}: expected"):
            load_manifest(tmp_path)


def test_a_folder_with_other_files_stops_the_pack(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _, _ = packs
    copy = tmp_path / "class"
    shutil.copytree(folder, copy)
    (copy / "notes.docx").write_text("private")
    (copy / "drafts").mkdir()
    before = _snapshot(copy)
    r = _pack(copy, E2E)
    assert r.exit_code == 1
    assert r.output == (
        f"Error: the pack folder '{copy}' holds files a pack does not write: drafts/, notes.docx "
        "(the feed publishes the whole folder: move them out, or pack into another folder)\n"
    )
    assert _snapshot(copy) == before


@pytest.mark.parametrize("name", ["index.html", "feed.xml"])
@pytest.mark.parametrize("kind", ["a named pipe", "a folder"])
def test_a_pipe_or_a_folder_where_a_pack_file_goes_is_said_as_without_a_feed(tmp_path, name, kind) -> None:
    import os

    (os.mkfifo if kind == "a named pipe" else os.mkdir)(tmp_path / name)
    with pytest.raises(RenderError) as e:
        check_folder(tmp_path, Manifest(None, (), ()))
    assert (
        str(e.value)
        == f"'{tmp_path / name}' is {kind}, not a file matcue may replace (move it away, or write elsewhere)"
    )


def test_a_stray_file_with_a_line_break_is_named_on_one_line(tmp_path) -> None:
    (tmp_path / "x\nError: forged").write_text("")
    with pytest.raises(FeedError) as e:
        check_folder(tmp_path, Manifest(None, (), ()))
    assert str(e.value) == (
        f"the pack folder '{tmp_path}' holds files a pack does not write: x\\x0aError: forged "
        "(the feed publishes the whole folder: move them out, or pack into another folder)"
    )


def test_check_folder_takes_an_earlier_pack_without_a_feed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("index.html", "playlist.m3u8", "a-b.mp3", "a-b.chapters.json", "a-b.cover.jpg", "a-b.vtt"):
        (tmp_path / name).write_text("x")
    check_folder(tmp_path, Manifest(None, (), ()))  # no error
    (tmp_path / "a-b.mp3.bak").write_text("x")
    with pytest.raises(Exception, match="a-b.mp3.bak"):
        check_folder(tmp_path, Manifest(None, (), ()))


def test_manifest_round_trips(packs) -> None:  # type: ignore[no-untyped-def]
    folder, _, _ = packs
    m = load_manifest(folder)
    assert m.url == URL and len(m.items) == 2
    assert all(i.pub_date.tzinfo is not None and i.pub_date <= datetime.now(UTC) for i in m.items)
    assert json.loads(m.to_json()) == json.loads((folder / MANIFEST_NAME).read_text())


def test_hostile_text_stays_text_in_the_feed() -> None:
    from matcue.share.feed import Channel, Item, to_feed_xml

    nasty = 'Hips <b>&amp; "knees"</b> ]]> \x01 </channel>'
    item = Item(
        "hips", "urn:uuid:1", datetime(2026, 1, 5, tzinfo=UTC), nasty, nasty, "hips.mp3", "audio/mpeg", 10, 61_000,
        nasty, "hips.cover.png", "hips.chapters.json", (("hips.vtt", "text/vtt"),), ((0, nasty),),
    )  # fmt: skip
    xml = to_feed_xml(Channel(nasty, nasty, nasty, "en", None), Manifest(URL, (item,), ()))
    d = feedparser.parse(xml.encode("utf-8"))
    assert not d.bozo, d.get("bozo_exception")
    clean = nasty.replace("\x01", "")
    assert d.feed.title == clean and d.entries[0].title == clean
    p = podcastparser.parse(URL + "feed.xml", io.BytesIO(xml.encode("utf-8")))
    assert p["episodes"][0]["chapters"] == [{"start": 0, "title": clean}]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("mime", 'text/html"><x', "mime: expected one of audio/mpeg, audio/mp4, audio/ogg, got 'text/html\"><x'"),
        ("length", 10**29, f"length: {10**29} bytes; no track is larger than {2**40}"),
        ("duration_ms", 10**23, f"duration_ms: {10**23} ms; no track lasts 100 hours"),
        ("chapter_list", [[10**23, "Late"]], "chapter_list: a start outside the track (0 to {duration} ms)"),
        (
            "transcripts",
            [["a.vtt", 'text/html"><x']],
            "transcripts: a type that is not one of application/x-subrip, text/vtt",
        ),
    ],
)
def test_a_kept_items_values_are_checked_before_they_reach_the_feed(packs, tmp_path, key, value, message) -> None:  # type: ignore[no-untyped-def]
    """Each was written into feed.xml as it stood: a type attribute closing early, a length
    of 30 digits, a chapter at 27777777777777777:46:39.999."""
    folder, _, _ = packs
    copy = tmp_path / "class"
    shutil.copytree(folder, copy)
    raw = json.loads((copy / MANIFEST_NAME).read_text())
    stem, item = next(iter(raw["items"].items()))
    item[key] = value
    (copy / MANIFEST_NAME).write_text(json.dumps(raw))
    before = _snapshot(copy)
    r = _pack(copy, E2E, ALL_KINDS)
    assert r.exit_code == 1
    fix = "restore it, or delete it to start the feed afresh (earlier episodes then get new GUIDs)"
    said = message.format(duration=item["duration_ms"])
    assert r.output == f"Error: {copy / MANIFEST_NAME}: items.{stem}.{said} ({fix})\n"
    assert _snapshot(copy) == before
