"""Every file a routine, profile, roster or the user names: one confinement rule, one reader.

A path outside the routine's (or roster's) folder is reported exactly like a missing one;
devices, pipes and folders are refused before they are opened; every read has a byte
limit; a file that is not a routine, profile or roster is never quoted; a cover image may
not declare more pixels than a limit; a voice name must be one the backend lists.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

from matcue.core.errors import RoutineError, VoiceError
from matcue.core.media import MAX_COVER_BYTES, CoverError, read_cover
from matcue.core.paths import MAX_QUOTED_PATH, Unreadable, read_bounded
from matcue.routine.loader import load_routine, loads_routine
from matcue.routine.profile import load_profile, load_roster
from matcue.voice.base import VoiceSpec

ROOT = Path(__file__).resolve().parents[2]
HANG_S = 20  # a read that takes longer than this is a hang
SECRET = "root:x:0:0:secret-line:/root:/bin/bash"


def within(seconds: float, fn):  # type: ignore[no-untyped-def]
    """``fn()``'s result or exception; the test fails if it has not returned in ``seconds``."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed back to the test
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still reading after {seconds} s: a blocking open or an unbounded read"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def messages(e: pytest.ExceptionInfo[RoutineError]) -> list[str]:
    return [str(p) for p in e.value.problems]


def routine(folder: Path, body: str, name: str = "r.yaml") -> Path:
    path = folder / name
    path.write_text("title: T\n" + body + "steps:\n  - say: Hello.\n")
    return path


def small_png(width: int, height: int) -> bytes:
    """A valid PNG that declares width x height pixels in a few hundred kB (all black)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


# ----------------------------------------------------------------------------- confinement


@pytest.mark.parametrize(
    ("key", "kind"), [("include", "included file"), ("cover", "cover image"), ("music", "music file")]
)
def test_an_outside_file_reads_exactly_like_a_missing_one(tmp_path, key, kind):
    home = tmp_path / "class"
    home.mkdir()
    (tmp_path / "outside.txt").write_text(SECRET + "\n")
    where = "  - include: {}\n" if key == "include" else f"{key}: {{}}\n"

    def message(raw: str) -> str:
        if key == "include":
            path = home / "r.yaml"
            path.write_text("title: T\nsteps:\n  - say: Hello.\n" + where.format(raw))
        else:
            path = routine(home, where.format(raw))
        with pytest.raises(RoutineError) as e:
            load_routine(path)
        (msg,) = messages(e)
        return msg.replace(raw, "NAME")

    existing, missing = message("../outside.txt"), message("../nowhere.txt")
    assert existing == missing
    assert f"{kind} '{home}/NAME' was not found in the routine's folder" in existing
    assert "pass --allow-outside" in existing and SECRET not in existing
    # a system file by absolute path: the same words as a path that does not exist
    assert message("/etc/passwd") == message("/etc/no-such-file-here")


def test_a_symlink_out_of_the_folder_counts_as_outside(tmp_path):
    home = tmp_path / "class"
    home.mkdir()
    outside = tmp_path / "photo.png"
    outside.write_bytes(small_png(4, 4))
    (home / "art.png").symlink_to(outside)
    with pytest.raises(RoutineError) as e:
        load_routine(routine(home, "cover: art.png\n"))
    assert "was not found in the routine's folder" in messages(e)[0]
    assert load_routine(routine(home, "cover: art.png\n"), allow_outside=True).cover == str(home / "art.png")


def test_cover_and_music_inside_the_folder_still_work(tmp_path):
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "c.png").write_bytes(small_png(8, 8))
    r = load_routine(routine(tmp_path, "cover: art/c.png\n"))
    assert r.cover == str(tmp_path / "art" / "c.png")
    assert read_cover(r.cover).mime == "image/png"


def test_roster_entries_are_confined_and_outside_files_are_never_quoted(tmp_path):
    home = tmp_path / "class"
    home.mkdir()
    (tmp_path / "passwd").write_text(SECRET + "\n" * 3)
    (home / "anna.yaml").write_text("name: Anna\n")
    roster = home / "roster.yaml"
    roster.write_text("- anna.yaml\n- ../passwd\n- ../nowhere\n")
    anna, outside, missing = load_roster(roster)
    assert anna.name == "Anna"
    assert str(outside) == str(missing).replace("nowhere", "passwd").replace("3:3: [2]", "2:3: [1]")
    assert str(outside) == (
        f"{roster}:2:3: [1]: profile file '{home}/../passwd' was not found in the roster's folder "
        f"'{os.path.realpath(home)}' (a path relative to the roster file; pass --allow-outside to read files "
        "outside its folder)"
    )
    # even when allowed to read it, a file that is not a profile is not quoted
    loaded = load_roster(roster, allow_outside=True)
    text = str(loaded[1])
    assert "expected a profile (a mapping with 'name'), got text" in text
    assert "secret-line" not in text and "/bin/bash" not in text


def test_a_roster_folder_symlink_out_is_confined(tmp_path):
    home = tmp_path / "class"
    home.mkdir()
    (home / "anna.yaml").write_text("name: Anna\n")
    (tmp_path / "ben.yaml").write_text("name: Ben\n")
    (home / "ben.yaml").symlink_to(tmp_path / "ben.yaml")
    anna, ben = load_roster(home)
    assert anna.name == "Anna"
    assert isinstance(ben, RoutineError) and "was not found in the roster's folder" in str(ben)
    assert [p.name for p in load_roster(home, allow_outside=True)] == ["Anna", "Ben"]  # type: ignore[union-attr]


def test_a_config_file_named_as_a_profile_is_not_quoted(tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("password: hunter2\napi_key: s3cr3t\n")
    with pytest.raises(RoutineError) as e:
        load_profile(conf)
    assert messages(e) == [
        f"{conf}:1:1: expected a profile (a mapping with 'name'), got a mapping with none of its keys"
    ]
    with pytest.raises(RoutineError) as e:
        load_routine(conf)
    assert messages(e) == [
        f"{conf}:1:1: expected a routine (a mapping with 'title' and 'steps'), got a mapping with none of its keys"
    ]


def test_an_included_file_that_is_not_a_routine_is_not_quoted(tmp_path):
    (tmp_path / "notes.txt").write_text("- " + SECRET + "\n- another line\n")
    path = tmp_path / "r.yaml"
    path.write_text("title: T\nsteps:\n  - include: notes.txt\n")
    with pytest.raises(RoutineError) as e:
        load_routine(path)
    assert messages(e) == [
        f"{tmp_path}/notes.txt:1:1: expected a routine (a mapping with 'steps') or a list of steps, got a list "
        "without steps"
    ]


def test_a_system_file_given_as_a_routine_is_not_quoted(run):
    r = run("check", "/etc/passwd")
    assert r.exit_code == 1
    assert "root:" not in r.stderr and "/bin/" not in r.stderr
    assert "expected a routine (a mapping with 'title' and 'steps'), got" in r.stderr


# ----------------------------------------------------------------------------- devices, pipes, folders


def test_read_bounded_refuses_devices_pipes_and_folders(tmp_path, fifo):
    for path, what in [("/dev/zero", "is a device"), (str(fifo), "is a named pipe"), (str(tmp_path), "is a folder")]:
        with pytest.raises(Unreadable) as e:
            within(HANG_S, lambda path=path: read_bounded(path, 1000, "a routine file"))
        assert what in str(e.value) and "not a routine file" in str(e.value)


def test_read_bounded_limits_what_is_read_not_the_stated_size():
    # /proc files state a size of 0 and hold more: the limit applies to the bytes read
    assert os.stat("/proc/self/maps").st_size == 0 or pytest.skip("no /proc here")
    with pytest.raises(Unreadable, match="larger than"):
        read_bounded("/proc/self/maps", 10)
    assert len(read_bounded("/proc/self/maps", 10_000_000)) > 10


@pytest.mark.parametrize("kind", ["routine", "profile", "roster", "include", "cover", "music"])
@pytest.mark.parametrize("special", ["fifo", "dev-zero"])
def test_no_named_file_blocks_or_reads_a_device(tmp_path, kind, special):
    if special == "fifo":
        target = tmp_path / "thing"
        os.mkfifo(target)
    else:
        target = Path("/dev/zero")
    link = tmp_path / "thing.yaml"  # a link inside the folder, so the confinement rule lets it pass
    link.symlink_to(target)
    if kind == "routine":
        load = lambda: load_routine(link)  # noqa: E731
    elif kind == "profile":
        load = lambda: load_profile(link)  # noqa: E731
    elif kind == "roster":
        load = lambda: load_roster(link)  # noqa: E731
    else:
        body = "  - include: thing.yaml\n" if kind == "include" else ""
        head = f"{kind}: thing.yaml\n" if kind != "include" else ""
        r = tmp_path / "r.yaml"
        r.write_text(f"title: T\n{head}steps:\n  - say: Hello.\n{body}")
        load = lambda: load_routine(r, allow_outside=True)  # noqa: E731
    with pytest.raises(RoutineError) as e:
        within(HANG_S, load)
    text = "\n".join(messages(e))
    assert ("is a named pipe, not a" if special == "fifo" else "is a device, not a") in text, text


def test_the_cli_refuses_a_fifo_and_dev_zero_without_hanging(tmp_path, fifo):
    env = {**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    for path, what in ((str(fifo), "a named pipe"), ("/dev/zero", "a device")):
        res = subprocess.run(
            [sys.executable, "-m", "matcue", "check", path], capture_output=True, text=True, timeout=60, env=env
        )
        assert res.returncode == 1
        assert res.stderr == f"{path}:1:1: is {what}, not a routine file\n1 problem found\n"


def test_a_cache_entry_that_is_a_pipe_or_a_folder_is_a_miss(tmp_path, fake_voice, voice_cache_dir):
    from matcue.voice.cache import cache_key, cache_path, load_cached, speak_all

    spec = VoiceSpec(backend="fake")
    first = speak_all(["Soften the jaw.", "Breathe."], spec)
    entries = [first.clips[t].path for t in ("Soften the jaw.", "Breathe.")]  # type: ignore[union-attr]
    for entry in entries:
        entry.unlink()
    os.mkfifo(entries[0])
    entries[1].mkdir()
    assert within(HANG_S, lambda: load_cached(entries[0])) is None
    assert load_cached(entries[1]) is None
    assert cache_path(voice_cache_dir, cache_key("x", spec, "fake")).name.endswith(".npy")


def test_a_cache_entry_cut_short_or_not_int16_is_a_miss(tmp_path, fake_voice):
    from matcue.voice.cache import load_cached, speak_all

    clip = speak_all(["Soften the jaw."], VoiceSpec(backend="fake")).clips["Soften the jaw."]
    path = clip.path  # type: ignore[union-attr]
    good = load_cached(path)
    assert good is not None and good.n_samples == clip.n_samples  # type: ignore[union-attr]
    assert np.array_equal(good.samples, np.load(path))
    data = path.read_bytes()
    path.write_bytes(data[:-2])
    assert load_cached(path) is None
    np.save(path, np.zeros(10, dtype=np.float32))
    assert load_cached(path) is None


# ----------------------------------------------------------------------------- cover images


@pytest.mark.parametrize(
    ("side", "shown"),
    [(13_000, "is 13000 x 13000 pixels, more than"), (20_000, "has more pixels than")],
)
def test_a_decompression_bomb_cover_is_a_located_error_without_a_library_warning(tmp_path, side, shown):
    (tmp_path / "bomb.png").write_bytes(small_png(side, side))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning Pillow raised would fail the test
        with pytest.raises(RoutineError) as e:
            load_routine(routine(tmp_path, "cover: bomb.png\n"))
    assert messages(e) == [
        f"{tmp_path}/r.yaml:2:8: cover: cover image '{tmp_path}/bomb.png': the image {shown} the 50 million a "
        "cover may have (resize it to about 1400 x 1400)"
    ]


def test_a_cover_bomb_fails_fast_with_little_memory(tmp_path):
    (tmp_path / "bomb.png").write_bytes(small_png(13_000, 13_000))
    code = (  # the peak is reset first: a forked child starts with its parent's peak (a big pytest's)
        "import time, sys\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "from matcue.core.media import read_cover, CoverError\n"
        "t = time.monotonic()\n"
        "try:\n    read_cover(sys.argv[1])\nexcept CoverError:\n    pass\n"
        "hwm = [line for line in open('/proc/self/status') if line.startswith('VmHWM:')][0].split()[1]\n"
        "print(time.monotonic() - t, hwm)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "bomb.png")], capture_output=True, text=True, timeout=120
    )
    seconds, max_rss_kb = res.stdout.split()
    assert float(seconds) < 5 and int(max_rss_kb) < 200_000, res.stdout  # not the 1.4 GB it took


def test_a_cover_file_over_the_byte_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.truncate(MAX_COVER_BYTES + 1_000_000)  # sparse: no disk used
    with pytest.raises(CoverError, match=r"^is 21 MB; at most 20 MB is read$"):
        read_cover(big)


# ----------------------------------------------------------------------------- voices


def test_a_voice_name_the_backend_does_not_list_is_a_located_error(tmp_path, fake_voice):
    from matcue.api import build_timeline

    path = tmp_path / "r.yaml"
    path.write_text(
        "title: T\nvoice:\n  backend: fake\n  name: http://127.0.0.1:9/voice.flitevox\nsteps:\n  - say: Hi.\n"
    )
    with pytest.raises(RoutineError) as e:
        build_timeline(path)
    assert messages(e) == [
        f"{path}:4:9: voice.name: backend 'fake' has no voice 'http://127.0.0.1:9/voice.flitevox' "
        "(voices: fake; see 'matcue voices')"
    ]
    assert fake_voice.calls == 0  # type: ignore[attr-defined]


def test_check_reports_a_voice_name_the_backend_does_not_list(run, tmp_path, fake_voice):
    path = tmp_path / "r.yaml"
    path.write_text("title: T\nvoice:\n  backend: fake\n  name: fak\nsteps:\n  - say: Hi.\n")
    r = run("check", str(path))
    assert r.exit_code == 1
    assert (
        f"{path}:4:9: voice.name: backend 'fake' has no voice 'fak' "
        "(did you mean 'fake'? voices: fake; see 'matcue voices')"
    ) in r.stderr
    assert fake_voice.calls == 0  # type: ignore[attr-defined]
    path.write_text("title: T\nvoice:\n  backend: fake\n  name: fake\nsteps:\n  - say: Hi.\n")
    assert run("check", str(path)).exit_code == 0


def test_a_voice_typo_on_the_command_line_has_a_did_you_mean(run, tmp_path, fake_voice):
    r = run("script", str(routine(tmp_path, "")), "--backend", "fake", "--voice", "fak")
    assert r.exit_code == 1
    assert (
        r.stderr
        == "--voice: backend 'fake' has no voice 'fak' (did you mean 'fake'? voices: fake; see 'matcue voices')\n"
    )


def test_no_unlisted_voice_name_reaches_an_engine_command_line(monkeypatch, voice_cache_dir):
    """flite fetched a URL given as its voice: the name is refused before any command runs."""
    from matcue.voice import registry
    from matcue.voice.backends.flite import FliteBackend
    from matcue.voice.cache import speak_all

    ran: list[list[str]] = []
    monkeypatch.setattr(FliteBackend, "_exe", lambda self: "flite")
    monkeypatch.setattr(
        subprocess, "run", lambda cmd, **k: ran.append(cmd) or subprocess.CompletedProcess(cmd, 0, b"Voices: rms slt")
    )
    registry.register_backend("flite-test", lambda: FliteBackend())
    try:
        for name in ("http://127.0.0.1:9/x.flitevox", "/tmp/voice.flitevox", "rsm"):
            with pytest.raises(VoiceError, match="has no voice"):
                speak_all(["Hi."], VoiceSpec(backend="flite-test", name=name))
    finally:
        registry.unregister_backend("flite-test")
    assert ran == [["flite", "-lv"]]  # the voices were listed once; nothing was spoken


# ----------------------------------------------------------------------------- encodings


def test_a_utf16_file_with_a_bom_loads_like_utf8(tmp_path):
    text = "title: Détente\nsteps:\n  - say: Breathe in.\n  - pose: Śavāsana\n    hold: 30s\n"
    expected = loads_routine(text, name=str(tmp_path / "r.yaml"))
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        path = tmp_path / "r.yaml"
        data = text.encode(codec)
        if codec == "utf-16-be":
            data = b"\xfe\xff" + data
        path.write_bytes(data)
        got = load_routine(path)
        assert got == expected
        assert got.steps[1].mark == expected.steps[1].mark


def test_utf16_without_a_bom_says_what_to_do(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes("title: T\nsteps:\n  - say: Hi.\n".encode("utf-16-le"))
    with pytest.raises(RoutineError) as e:
        load_routine(path)
    assert messages(e) == [
        f"{path}:1:1: this is a binary file, not a routine (it looks like UTF-16 text without a byte-order mark: "
        "save it as UTF-8)"
    ]


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
def test_a_control_character_deep_in_a_file_is_reported_where_it_is(tmp_path, char):
    path = tmp_path / "r.yaml"
    filler = "".join(f"  - say: Line {i}.\n" for i in range(800))  # past the first 8 kB
    path.write_text(f"title: T\nsteps:\n{filler}  - say: Bad{char}here.\n")
    with pytest.raises(RoutineError) as e:
        load_routine(path)
    assert messages(e) == [
        f"{path}:803:13: the character U+{ord(char):04X} (a control character) cannot be in a routine "
        "(a routine is plain text: delete it)"
    ]


# ----------------------------------------------------------------------------- music


@pytest.mark.skipif(not __import__("shutil").which("ffmpeg"), reason="needs ffmpeg")
def test_a_music_playlist_is_not_followed_and_a_bad_file_shows_no_decoder_output(tmp_path):
    """ffmpeg would open the files (or URLs) a playlist names: only audio demuxers are allowed."""
    from matcue.core.media import MusicError, probe_music

    song = tmp_path / "song.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=1", str(song)], check=True, timeout=60
    )
    probe_music(song)  # a real audio file passes
    playlist = tmp_path / "list.m3u8"
    playlist.write_text("#EXTM3U\n#EXTINF:1,\nsong.wav\n")
    concat = tmp_path / "list.txt"
    concat.write_text("ffconcat version 1.0\nfile 'song.wav'\n")  # plain ffmpeg decodes this one
    for path in (playlist, concat):
        with pytest.raises(MusicError) as e:
            probe_music(path)
        assert str(e.value) == "cannot be decoded as audio"


def test_what_stands_in_a_folders_way_is_named(tmp_path: Path) -> None:
    import os

    from matcue.core.paths import folder_problem

    assert folder_problem(tmp_path) == ""
    assert folder_problem(tmp_path / "new" / "deeper") == ""  # can be made
    (tmp_path / "file").write_text("")
    assert folder_problem(tmp_path / "file" / "sub") == f"'{tmp_path / 'file'}' is a file, not a folder"
    os.mkfifo(tmp_path / "pipe")
    assert folder_problem(tmp_path / "pipe") == f"'{tmp_path / 'pipe'}' is a named pipe, not a folder"
    assert folder_problem("/dev/null") == "'/dev/null' is a device, not a folder"
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert folder_problem(tmp_path / "gone") == (
        f"'{tmp_path / 'gone'}' is a link to '{tmp_path / 'nowhere'}', which does not exist"
    )
    (tmp_path / "to-dir").symlink_to(tmp_path)
    assert folder_problem(tmp_path / "to-dir") == ""
    odd = tmp_path / "line\nbreak"
    odd.write_text("")
    assert folder_problem(odd) == f"'{tmp_path}/line\\x0abreak' is a file, not a folder"


@pytest.mark.parametrize("key", ["include", "cover", "music"])
def test_a_long_named_path_is_shown_cut_in_the_middle(run, tmp_path, key):
    name = "d/" * 60 + "x" * 3000 + ".end"
    step = f"  - include: {name}\n" if key == "include" else ""
    top = f"{key}: {name}\n" if key != "include" else ""
    (tmp_path / "r.yaml").write_text(f"title: T\n{top}steps:\n{step}  - pose: M\n    hold: 5s\n")
    r = run("check", str(tmp_path / "r.yaml"))
    assert r.exit_code == 1
    line = next(x for x in r.stderr.splitlines() if f"{key}:" in x)
    assert len(line) < 2 * MAX_QUOTED_PATH + 200  # not 3000 characters
    assert f"'{tmp_path}/d/d/" in line and "xxx.end'" in line and " ... " in line


def test_collapse_dotdot_takes_out_a_folder_stepped_out_of(tmp_path: Path) -> None:
    from matcue.core.paths import collapse_dotdot

    (tmp_path / "real").mkdir()
    (tmp_path / "far" / "away").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "far" / "away")
    (tmp_path / "file").write_text("x")
    assert collapse_dotdot(tmp_path / "a" / ".." / "b.mp3") == tmp_path / "b.mp3"  # 'a' not there
    assert collapse_dotdot(tmp_path / "a" / "b" / ".." / ".." / "c") == tmp_path / "c"
    assert collapse_dotdot(tmp_path / "real" / ".." / "out") == tmp_path / "out"
    assert collapse_dotdot(tmp_path / "link" / ".." / "out") == tmp_path / "link" / ".." / "out"  # is far/out
    assert collapse_dotdot(tmp_path / "file" / ".." / "out") == tmp_path / "file" / ".." / "out"  # refused later
    assert collapse_dotdot("../x") == Path("../x")
    assert collapse_dotdot("a/..") == Path(".")


def test_a_name_missing_but_in_another_unicode_form_is_named_in_the_hint(tmp_path, monkeypatch):
    """'include: café.yaml' (composed) where the folder holds 'cafe\\u0301.yaml' (as a Mac
    or a macOS zip writes it) said only "was not found", naming a file that looks like the
    one there. The hint names the file on disk; a folder outside the routine's is never
    listed (its names are not said)."""
    from matcue.core.paths import other_form, outside_hint
    from matcue.routine.loader import load_routine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "cafe\u0301.yaml").write_text("title: P\nsteps:\n  - say: Part.\n")
    (tmp_path / "r.yaml").write_text("title: T\nsteps:\n  - include: café.yaml\n")
    with pytest.raises(RoutineError) as info:
        load_routine(Path("r.yaml"))
    (problem,) = info.value.problems
    assert problem.hint == (
        "the folder holds 'cafe\u0301.yaml', the same letters in another Unicode form (an accent typed "
        "as a separate mark, as a Mac writes it): write the name as it is there, or rename the file"
    )
    assert other_form(Path("café.yaml"), str(tmp_path)) == "cafe\u0301.yaml"
    assert other_form(Path("cafe\u0301.yaml"), str(tmp_path)) is None  # it is there
    outside = tmp_path / "out"
    outside.mkdir()
    (outside / "cafe\u0301.yaml").write_text("x")
    inner = tmp_path / "in"
    inner.mkdir()
    assert other_form(inner / ".." / "out" / "café.yaml", str(inner)) is None
    assert outside_hint("routine", "../out/café.yaml", inner, str(inner)).startswith("a path relative")


def test_a_recordings_folder_missing_but_in_another_unicode_form_is_named_in_the_hint(tmp_path, monkeypatch):
    from matcue.routine.loader import load_routine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "Aufnahmen-Kla\u0308ger").mkdir()
    (tmp_path / "r.yaml").write_text("title: T\nrecordings: Aufnahmen-Kläger\nsteps:\n  - say: Hi.\n")
    with pytest.raises(RoutineError) as info:
        load_routine(Path("r.yaml"))
    (problem,) = info.value.problems
    assert problem.hint.startswith(
        "the folder holds 'Aufnahmen-Kla\u0308ger', the same letters in another Unicode form"
    )
    (tmp_path / "r.yaml").write_text("title: T\nrecordings: nowhere\nsteps:\n  - say: Hi.\n")
    with pytest.raises(RoutineError) as info:
        load_routine(Path("r.yaml"))
    assert (
        info.value.problems[0].hint
        == "a folder of clips named by their ids ('matcue cues' lists them), relative to the routine"
    )
