"""Nothing is lost and nothing is half-written: limits checked before synthesis, tracks and
their sidecars written as one unit, packs staged, leftovers of killed processes removed,
one naming rule for every command (docs/reliability.md)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from matcue.audio.mp3 import tag_file
from matcue.core import atomic
from matcue.core.errors import MatcueError, RoutineError
from matcue.plan.compile import MAX_CHAPTERS, compile_routine
from matcue.plan.timeline import Chapter
from matcue.routine.loader import loads_routine

ROOT = Path(__file__).resolve().parent.parent
SHORT = "title: {title}\nsteps:\n  - say: Settle in.\n  - pose: Seated\n    hold: 3s\n"


def _timers(n: int) -> str:
    return "title: Many\nsteps:\n" + "".join(f"  - {{timer: Part {i + 1}, duration: 1s}}\n" for i in range(n))


# ----------------------------------------------------------------------------- chapters


def test_255_chapters_compile_and_256_are_refused_at_the_step(fake_voice):
    script = compile_routine(loads_routine(_timers(MAX_CHAPTERS), "many.yaml"))
    assert sum(type(s).__name__ == "ChapterStart" for s in script.segments) == MAX_CHAPTERS
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(_timers(MAX_CHAPTERS + 1), "many.yaml"))
    (problem,) = e.value.problems
    assert str(problem).startswith("many.yaml:258:5: steps[255]: the track has more than 255 chapters")


@pytest.mark.parametrize(
    "head, timers, indent",
    [("", 255, "  "), ("  - say: Welcome.\n", 254, "  "), ("  - section: All\n    steps:\n", 255, "      ")],
)
def test_the_chapter_count_is_the_layouts_exactly(head, timers, indent):
    from matcue.plan.layout import layout

    body = "".join(f"{indent}- {{timer: Part {i + 1}, duration: 1s}}\n" for i in range(timers))
    src = "title: Many\nsteps:\n" + head + body
    script = compile_routine(loads_routine(src))
    assert len(layout(script, {t: 500 for t in script.texts()}).chapters) == MAX_CHAPTERS
    with pytest.raises(RoutineError, match="more than 255 chapters"):
        compile_routine(loads_routine(src + f"{indent}- {{timer: One more, duration: 1s}}\n"))


def test_256_chapters_fail_before_any_speech_is_synthesized(run, tmp_path, fake_voice):
    (tmp_path / "many.yaml").write_text(_timers(256))
    r = run("render", str(tmp_path / "many.yaml"), "-o", str(tmp_path / "out"), "--backend", "fake")
    assert r.exit_code == 1
    assert "more than 255 chapters" in r.stderr
    assert fake_voice.calls == 0
    assert not (tmp_path / "out").exists()


def test_255_chapters_are_all_in_the_tag(tmp_path):
    import lameenc

    enc = lameenc.Encoder()
    enc.set_bit_rate(64)
    enc.set_in_sample_rate(44100)
    enc.set_channels(1)
    mp3 = tmp_path / "t.mp3"
    mp3.write_bytes(enc.encode(bytes(44100 * 2)) + enc.flush())
    chapters = [Chapter(i * 100, (i + 1) * 100, f"Part {i + 1}") for i in range(MAX_CHAPTERS)]
    tag_file(mp3, title="Many", chapters=chapters)
    tags = ID3(mp3)
    assert len(tags.getall("CHAP")) == MAX_CHAPTERS
    (toc,) = tags.getall("CTOC")
    assert len(toc.child_element_ids) == MAX_CHAPTERS


# ----------------------------------------------------------------------------- settings


def test_a_bad_scheduler_address_is_a_usage_error(run, tmp_path):
    roster = tmp_path / "x.yaml"  # a roster that is there: a missing one is a usage error of its own
    roster.write_text("- name: Ana\n")
    for bad in ("nonsense", "tcp://localhost", "tcp://host:99999", "foo://host:1"):
        r = run("render", "tests/data/ok/all-kinds.yaml", "--roster", str(roster), "--scheduler", bad)
        assert r.exit_code == 2, (bad, r.output)
        assert f"expected a Dask scheduler address like tcp://host:8786, got {bad!r}" in r.stderr


def test_an_address_dask_cannot_parse_is_our_error(tmp_path):
    pytest.importorskip("distributed")
    from matcue.batch import TrackJob, _on_dask

    job = TrackJob(routine=str(tmp_path / "r.yaml"), name="r")
    with pytest.raises(MatcueError, match="cannot reach the Dask scheduler at tcp://localhost"):
        _on_dask([job], "tcp://localhost", None)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("MATCUE_JOBS", "abc", "MATCUE_JOBS must be a whole number from 1 to 256, got 'abc'"),
        ("MATCUE_JOBS", "0", "MATCUE_JOBS must be a whole number from 1 to 256, got '0'"),
        ("MATCUE_JOBS", "1000", "MATCUE_JOBS must be a whole number from 1 to 256, got '1000'"),
        ("MATCUE_ENCODER", "mp3", "MATCUE_ENCODER must be one of lame, ffmpeg, got 'mp3'"),
    ],
)
def test_invalid_environment_values_are_errors_before_synthesis(
    run, tmp_path, fake_voice, monkeypatch, name, value, message
):  # noqa: E501
    monkeypatch.setenv(name, value)
    r = run("render", "tests/data/ok/all-kinds.yaml", "-o", str(tmp_path / "out"), "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: {message}")
    assert fake_voice.calls == 0
    d = run("doctor", "-o", str(tmp_path / "out"))
    check = "encoder" if name == "MATCUE_ENCODER" else "jobs"
    assert d.exit_code == 1 and f"problem  {check}: {message}" in d.stdout


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_environment_value_is_unset(run, tmp_path, fake_voice, monkeypatch, value):
    """README: "An empty value ... is the same as not setting the variable"."""
    from matcue.audio.encode import default_encoder, default_jobs
    from matcue.voice.cache import default_cache_dir

    for name in ("MATCUE_JOBS", "MATCUE_ENCODER", "MATCUE_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    unset = (default_jobs(), default_encoder(), default_cache_dir())
    for name in ("MATCUE_JOBS", "MATCUE_ENCODER", "MATCUE_CACHE_DIR"):
        monkeypatch.setenv(name, value)
    assert (default_jobs(), default_encoder(), default_cache_dir()) == unset
    monkeypatch.chdir(tmp_path)
    r = run("render", str(Path(__file__).parent / "data/ok/all-kinds.yaml"), "-o", "out", "--backend", "fake")
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "voice"]  # the cache is ./voice/cache
    assert (tmp_path / "voice" / "cache").is_dir()


# ----------------------------------------------------------------------------- one unit


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_full_disk_on_a_sidecar_leaves_no_part_of_the_track_and_names_the_sidecar(
    run, tmp_path, fake_voice, monkeypatch
):
    out = tmp_path / "out"
    args = ("render", "tests/data/ok/all-kinds.yaml", "-o", str(out), "--backend", "fake", "--no-cover")
    assert run(*args, "--captions", "vtt").exit_code == 0
    before = _files(out)
    assert sorted(before) == ["every-step-kind.mp3", "every-step-kind.vtt"]
    real_fsync = os.fsync

    def full(fd):  # the disk fills up while the captions are written
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # an fd of another thread, closed meanwhile: not the caption's
            return real_fsync(fd)
        if target.startswith(str(out / ".every-step-kind.srt")):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", full)
    r = run(*args, "--bitrate", "64k", "--captions", "vtt,srt,lrc", "--chapters-json")
    assert r.exit_code == 1, (r.output, r.stderr)
    assert r.stderr == (
        f"Error: the disk is full: could not write '{out}/every-step-kind.srt' "
        f"(free some space in the output folder '{out}')\n"
    )
    assert _files(out) == before  # the earlier track and captions, untouched; nothing new


def test_a_pack_that_fails_leaves_no_folder_it_made(run, tmp_path, fake_voice):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (tmp_path / "a.yaml").write_text(SHORT.format(title="First"))
    (tmp_path / "keep").mkdir()
    for args, code in (
        ([str(tmp_path / "missing.yaml")], 1),
        ([str(tmp_path / "a.yaml"), "--profile", str(fifo)], 2),  # a pipe as --profile: a usage error
    ):
        out = tmp_path / "keep" / "new" / "pack"
        r = run("pack", *args, "-o", str(out), "--backend", "fake")
        assert r.exit_code == code, r.output
        assert list((tmp_path / "keep").iterdir()) == []  # neither pack/ nor new/ is left
    out = tmp_path / "keep"  # a folder that was there stays
    assert run("pack", str(tmp_path / "missing.yaml"), "-o", str(out), "--backend", "fake").exit_code == 1
    assert out.is_dir()


def test_a_failed_pack_leaves_the_earlier_pack_as_it_was(run, tmp_path, fake_voice):
    out = tmp_path / "pack"
    (tmp_path / "a.yaml").write_text(SHORT.format(title="First"))
    assert run("pack", str(tmp_path / "a.yaml"), "-o", str(out), "--backend", "fake").exit_code == 0
    before = _files(out)
    assert "first.mp3" in before and "index.html" in before
    (tmp_path / "b.yaml").write_text(SHORT.format(title="Second"))
    (tmp_path / "c.yaml").write_text("title: Broken\nsteps:\n  - pose: X\n")
    r = run("pack", str(tmp_path / "b.yaml"), str(tmp_path / "c.yaml"), "-o", str(out), "--backend", "fake")
    assert r.exit_code == 1
    assert _files(out) == before  # "second.mp3" was rendered, then the pack failed: not moved in
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no staging folder left


@pytest.mark.parametrize("failure", ["disk full", "interrupt"])
def test_a_zip_that_fails_half_way_leaves_no_zip_and_no_earlier_one(run, tmp_path, fake_voice, monkeypatch, failure):
    """The folder holds the new pack by the time its zip is written: a zip of the earlier
    pack left beside it would look like this one's, so it goes too (docs/sharing.md)."""
    import zipfile

    out = tmp_path / "pack"
    (tmp_path / "a.yaml").write_text(SHORT.format(title="First"))
    args = ("pack", str(tmp_path / "a.yaml"), "-o", str(out), "--backend", "fake", "--zip")
    assert run(*args).exit_code == 0
    zip_path = tmp_path / "pack.zip"
    assert zip_path.exists()
    (tmp_path / "a.yaml").write_text(SHORT.format(title="Second"))
    real_write = zipfile.ZipFile.write
    written = []

    def fail_after_one(self, *a, **k):  # the second file does not fit
        if written:
            if failure == "interrupt":
                raise KeyboardInterrupt
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(a)
        return real_write(self, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "write", fail_after_one)
    r = run(*args)
    if failure == "interrupt":
        assert (r.exit_code, r.stderr) == (130, "Interrupted.\n")
    else:
        assert r.exit_code == 1
        assert r.stderr == (
            f"Error: the disk is full: could not write '{zip_path}' (free some space in the output folder "
            f"'{tmp_path}'); the earlier 'pack.zip' was removed: it held the earlier pack\n"
        )
    assert written  # it failed part way
    assert "second.mp3" in _files(out)  # the new pack is in its folder
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "voice-cache") == ["a.yaml", "pack"]


def test_two_titles_that_slug_alike_get_distinct_files(run, tmp_path, fake_voice):
    for name, title in (("a", "Hip opener"), ("b", "Hip Opener!"), ("c", "hip  opener")):
        (tmp_path / f"{name}.yaml").write_text(SHORT.format(title=title))
    out = tmp_path / "out"
    paths = [str(tmp_path / f"{n}.yaml") for n in "abc"]
    r = run("render", *paths, "-o", str(out), "--backend", "fake", "--no-cover")
    assert r.exit_code == 0, r.output
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == [
        f"{out}/hip-opener.mp3", f"{out}/hip-opener-2.mp3", f"{out}/hip-opener-3.mp3"
    ]  # fmt: skip
    titles = {str(ID3(out / f)["TIT2"]) for f in ("hip-opener.mp3", "hip-opener-2.mp3", "hip-opener-3.mp3")}
    assert titles == {"Hip opener", "Hip Opener!", "hip opener"}


def test_render_and_pack_rosters_refuse_names_that_slug_alike_alike(run, tmp_path, fake_voice):
    (tmp_path / "r.yaml").write_text(SHORT.format(title="Hips"))
    (tmp_path / "class.yaml").write_text("- name: Anna\n- name: ANNA!\n")
    msg = (
        f"{tmp_path}/class.yaml:2:3: name: 'ANNA!' gives the same file name as 'Anna' at "
        f"{tmp_path}/class.yaml:1:3 (give each person a distinct name)"
    )
    r = run("render", str(tmp_path / "r.yaml"), "--roster", str(tmp_path / "class.yaml"),
            "-o", str(tmp_path / "out"), "--backend", "fake", "--workers", "1")  # fmt: skip
    assert r.exit_code == 1
    assert msg in r.stderr.splitlines()
    p = run("pack", str(tmp_path / "r.yaml"), "--roster", str(tmp_path / "class.yaml"),
            "-o", str(tmp_path / "pack"), "--backend", "fake")  # fmt: skip
    assert p.exit_code == 1
    assert msg in p.stderr.splitlines()
    assert sorted(x.name for x in (tmp_path / "pack").glob("*.mp3")) == ["hips--anna.mp3"]
    assert sorted(x.name for x in (tmp_path / "out").glob("*.mp3")) == ["hips--anna.mp3"]


# ----------------------------------------------------------------------------- leftovers


def test_a_live_temporary_file_is_not_stale_and_a_dead_ones_is(tmp_path):
    live = atomic.create_temp(tmp_path / "x.mp3")
    assert not atomic.is_stale(live)
    code = (
        "import os, sys\nfrom pathlib import Path\nfrom matcue.core import atomic\n"
        f"p = atomic.create_temp(Path({str(tmp_path / 'y.mp3')!r}))\nos._exit(0)\n"  # dies holding it
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    (dead,) = tmp_path.glob(".y.mp3.partial-*")
    assert atomic.is_stale(dead)
    assert atomic.leftovers(tmp_path) == [dead]
    atomic.discard(live)
    assert not live.exists()


def test_doctor_neither_hangs_nor_claims_deletions_it_did_not_make(tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    cache.mkdir()
    out.mkdir()
    os.mkfifo(cache / "fifo.npy")
    (cache / "empty-dir.npy").mkdir()
    (cache / "full-dir.npy").mkdir()
    (cache / "full-dir.npy" / "keep").write_text("x")
    (out / ".old.mp3.partial-0000").write_bytes(b"half")  # nobody holds it: a killed render's
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "matcue", "doctor", "-o", str(out)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert "problem  speech cache entries: 3 of 3 entries do not load" in r.stdout
    assert "problem  output leftovers: 1 temporary files left by an interrupted render (.old.mp3.partial-0000)" in (
        r.stdout
    )
    r = subprocess.run([*cmd, "--fix"], env=env, capture_output=True, text=True, timeout=120)
    assert (
        "problem  speech cache entries: deleted 2 corrupt entries and 0 temporary files; could not delete "
        "full-dir.npy (Directory not empty) (delete them by hand)"
    ) in r.stdout
    assert "ok       output leftovers: deleted 1 temporary files" in r.stdout
    assert sorted(p.name for p in cache.iterdir()) == ["full-dir.npy"]
    assert list(out.iterdir()) == []


# ----------------------------------------------------------------------------- what a write may replace


def _special(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, 0o666 | __import__("stat").S_IFCHR, os.makedev(1, 7))  # like /dev/full
    else:
        path.mkdir()


def _is_kind(path: Path, kind: str) -> bool:
    import stat

    mode = os.lstat(path).st_mode
    return {"fifo": stat.S_ISFIFO, "device": stat.S_ISCHR, "folder": stat.S_ISDIR}[kind](mode)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_script_svg_never_replaces_a_device_a_pipe_or_a_folder(run, tmp_path, fake_voice, kind):
    target = tmp_path / "picture.svg"
    _special(target, kind)
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "--svg", str(target))
    if kind == "folder":  # the option's check refuses a folder as a usage error
        assert r.exit_code == 2 and r.stderr.endswith(
            f"Error: Invalid value for '--svg': '{target}' is a folder, not a file\n"
        )
    else:
        assert r.exit_code == 1
        what = "a named pipe" if kind == "fifo" else "a device"
        assert f"Error: '{target}' is {what}, not a file matcue may replace" in r.stderr
    assert _is_kind(target, kind)  # still there, still what it was


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_render_never_replaces_a_device_or_a_pipe_with_the_track(run, tmp_path, fake_voice, kind):
    out = tmp_path / "out"
    out.mkdir()
    _special(out / "every-step-kind.mp3", kind)
    r = run("render", "tests/data/ok/all-kinds.yaml", "-o", str(out), "--backend", "fake", "--no-cover")
    assert r.exit_code == 1
    what = "a named pipe" if kind == "fifo" else "a device"
    assert f"'{out / 'every-step-kind.mp3'}' is {what}, not a file matcue may replace" in r.stderr
    assert _is_kind(out / "every-step-kind.mp3", kind)
    assert sorted(p.name for p in out.iterdir()) == ["every-step-kind.mp3"]  # no temporary file left


def test_a_pack_whose_page_name_is_a_folder_moves_nothing_in(run, tmp_path, fake_voice):
    out = tmp_path / "pack"
    (out / "index.html").mkdir(parents=True)
    (out / "keep.txt").write_text("mine")
    (tmp_path / "a.yaml").write_text(SHORT.format(title="First"))
    r = run("pack", str(tmp_path / "a.yaml"), "-o", str(out), "--backend", "fake")
    assert r.exit_code == 1
    assert f"Error: '{out}/index.html' is a folder, not a file matcue may replace" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "keep.txt"]  # nothing moved in, no staging left


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_pack_whose_zip_name_is_taken_renders_and_moves_nothing(run, tmp_path, fake_voice, kind):
    out = tmp_path / "pack"
    zip_target = tmp_path / "pack.zip"
    if kind == "folder":
        zip_target.mkdir()
    else:
        os.mkfifo(zip_target)
    (tmp_path / "a.yaml").write_text(SHORT.format(title="First"))
    r = run("pack", str(tmp_path / "a.yaml"), "-o", str(out), "--backend", "fake", "--zip")
    assert r.exit_code == 1
    what = "a folder" if kind == "folder" else "a named pipe"
    assert f"Error: '{zip_target}' is {what}, not a file matcue may replace" in r.stderr
    assert not fake_voice.calls  # said before anything is spoken
    assert not out.exists() or list(out.iterdir()) == []  # no pack moved in, no staging left


@pytest.mark.parametrize("kind", ["file", "fifo", "file above", "link to nothing", "proc"])
def test_a_cache_folder_that_is_not_a_folder_is_said_before_anything_is_spoken(
    run, tmp_path, monkeypatch, fake_voice, kind
):
    cache = tmp_path / "cache"
    if kind == "file":
        cache.write_text("x")
        why = f"'{cache}' is a file, not a folder"
    elif kind == "fifo":
        os.mkfifo(cache)
        why = f"'{cache}' is a named pipe, not a folder"
    elif kind == "file above":  # what stands in its way is higher up: doctor's words for it
        (tmp_path / "afile").write_text("x")
        cache = tmp_path / "afile" / "sub"
        why = f"'{tmp_path / 'afile'}' is a file, not a folder"
    elif kind == "link to nothing":
        cache.symlink_to(tmp_path / "gone")
        why = f"'{cache}' is a link to '{tmp_path / 'gone'}', which does not exist"
    else:
        if not os.path.isdir("/proc/self"):
            pytest.skip("no /proc")
        cache = Path("/proc/self")  # a folder that takes no new file
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(cache))
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "fake")
    assert r.exit_code == 1
    if kind == "proc":
        assert r.stderr.startswith("Error: cannot write into the speech cache folder '/proc/self': ")
        assert r.stderr.endswith(" (set MATCUE_CACHE_DIR to another folder)\n")
    else:
        assert (
            r.stderr
            == f"Error: cannot use the speech cache folder '{cache}': {why} (set MATCUE_CACHE_DIR to another folder)\n"
        )
    assert not fake_voice.calls


def test_doctor_fix_removes_a_killed_packs_staging_folder_and_keeps_a_live_one(run, tmp_path):
    from matcue.pack import STAGE_LOCK, STAGE_PREFIX

    out = tmp_path / "pack"
    dead = out / f"{STAGE_PREFIX}dead"
    dead.mkdir(parents=True)
    (dead / "first.mp3").write_bytes(b"half")
    (dead / f".{STAGE_LOCK}.partial-0000").write_bytes(b"")  # its writer is gone: no lock held
    live = out / f"{STAGE_PREFIX}live"
    live.mkdir()
    atomic.create_temp(live / STAGE_LOCK)  # held by this process, as a pack in progress holds it
    r = run("doctor", "-o", str(out))
    assert f"output leftovers: 1 temporary files left by an interrupted render ({dead.name})" in r.stdout
    r = run("doctor", "--fix", "-o", str(out))
    assert "output leftovers: deleted 1 temporary files" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == [live.name]
