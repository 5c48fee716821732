"""An output whose name is a symbolic link (docs/reliability.md): matcue replaces its
outputs by renaming a finished file over them, which replaces the link itself. That is
done only when the link leads to a regular file; a link to a device, a named pipe, a
folder, nothing, round in a loop, or to a process's open file (``/proc/self/fd/1``, what
``/dev/stdout`` is) is refused by every atomic write, and stays as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matcue.core.atomic import check_replaceable, write_bytes_atomic
from matcue.core.errors import RenderError

ROUTINE = "tests/data/ok/all-kinds.yaml"
SHORT = "title: Short\nsteps:\n  - say: Settle in.\n  - pose: Seated\n    hold: 3s\n"


def _link(tmp_path: Path, link: Path, kind: str) -> str:
    """Make ``link`` a link of ``kind``; what the refusal calls it."""
    if kind == "device":
        os.symlink("/dev/null", link)
        return "a link to a device"
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        os.symlink(tmp_path / "fifo", link)
        return "a link to a named pipe"
    if kind == "folder":
        (tmp_path / "folder").mkdir()
        os.symlink(tmp_path / "folder", link)
        return "a link to a folder"
    if kind == "nothing":
        os.symlink(tmp_path / "gone", link)
        return f"a link to '{tmp_path / 'gone'}', which does not exist"
    if kind == "loop":
        os.symlink(tmp_path / "loop-b", link)
        os.symlink(link, tmp_path / "loop-b")
        return "a loop of links"
    os.symlink("/proc/self/fd/1", link)  # where /dev/stdout leads
    return "a link to a process's open file"


KINDS = ["device", "fifo", "folder", "nothing", "loop", "stdout"]


@pytest.mark.parametrize("kind", KINDS)
def test_no_atomic_write_replaces_a_link_that_leads_elsewhere_than_a_file(tmp_path, kind):
    if kind == "stdout" and not os.path.ismount("/proc"):
        pytest.skip("no /proc")
    link = tmp_path / "out.svg"
    what = _link(tmp_path, link, kind)
    with pytest.raises(RenderError) as e:
        write_bytes_atomic(link, b"<svg/>")
    assert str(e.value) == f"'{link}' is {what}, not a file matcue may replace (move it away, or write elsewhere)"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_a_link_to_a_regular_file_is_replaced_and_the_file_it_led_to_kept(tmp_path):
    (tmp_path / "mine.svg").write_text("mine")
    link = tmp_path / "out.svg"
    link.symlink_to(tmp_path / "mine.svg")
    check_replaceable(link)
    write_bytes_atomic(link, b"<svg/>")
    assert link.read_bytes() == b"<svg/>" and not link.is_symlink()
    assert (tmp_path / "mine.svg").read_text() == "mine"


@pytest.mark.parametrize("kind", ["device", "fifo", "nothing", "loop", "stdout"])
def test_script_svg_onto_a_link_is_refused_and_the_link_kept(run, tmp_path, fake_voice, kind):
    if kind == "stdout" and not os.path.ismount("/proc"):
        pytest.skip("no /proc")
    link = tmp_path / "mystdout"
    what = _link(tmp_path, link, kind)
    r = run("script", ROUTINE, "--backend", "fake", "--svg", str(link))
    assert r.exit_code == 1, r.output
    assert f"Error: '{link}' is {what}, not a file matcue may replace" in r.stderr
    assert link.is_symlink()


@pytest.mark.parametrize("kind", ["device", "fifo", "loop"])
def test_render_onto_a_link_in_the_output_folder_is_refused(run, tmp_path, fake_voice, kind):
    out = tmp_path / "out"
    out.mkdir()
    track = out / "every-step-kind.mp3"
    what = _link(tmp_path, track, kind)
    r = run("render", ROUTINE, "-o", str(out), "--backend", "fake", "--no-cover")
    assert r.exit_code == 1, r.output
    assert f"'{track}' is {what}, not a file matcue may replace" in r.stderr
    assert track.is_symlink()


def test_pack_zip_onto_a_link_to_a_pipe_is_refused_before_anything_is_spoken(run, tmp_path, fake_voice):
    (tmp_path / "a.yaml").write_text(SHORT)
    zip_target = tmp_path / "pack.zip"
    what = _link(tmp_path, zip_target, "fifo")
    r = run("pack", str(tmp_path / "a.yaml"), "-o", str(tmp_path / "pack"), "--backend", "fake", "--zip")
    assert r.exit_code == 1, r.output
    assert f"Error: '{zip_target}' is {what}, not a file matcue may replace" in r.stderr
    assert not fake_voice.calls
    assert zip_target.is_symlink()


def test_schema_write_onto_a_link_to_a_device_is_refused(run, tmp_path):
    target = tmp_path / "matcue-routine.schema.json"
    what = _link(tmp_path, target, "device")
    r = run("schema", "routine", "--write", "-o", str(tmp_path))
    assert r.exit_code == 1, r.output
    assert f"'{target}' is {what}, not a file matcue may replace" in r.stderr
    assert target.is_symlink()


# ----------------------------------------------------------------------------- outputs that would replace inputs


def _bed(path: Path, seconds: float = 3.0) -> None:
    """A quiet sine as a WAV file (whatever ``path``'s extension: it is read by content)."""
    import wave

    import numpy as np

    t = np.arange(int(22050 * seconds)) / 22050
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 3000).astype("<i2").tobytes())


def _music_routine(tmp_path: Path) -> tuple[Path, Path, bytes]:
    folder = tmp_path / "selfm"
    folder.mkdir()
    _bed(folder / "base.mp3")
    (folder / "base.yaml").write_text("title: Base\nmusic: base.mp3\nsteps: [{say: hi}, {rest: 5s}]\n")
    return folder, folder / "base.mp3", (folder / "base.mp3").read_bytes()


def test_render_never_replaces_the_music_the_routine_uses(run, tmp_path, fake_voice):
    folder, music, before = _music_routine(tmp_path)
    r = run("render", str(folder / "base.yaml"), "--backend", "fake", "-o", str(folder))
    assert r.exit_code == 1, r.output
    assert r.stderr == f"Error: the track '{music}' would replace the music file this routine uses; choose another -o\n"
    assert music.read_bytes() == before
    assert not fake_voice.calls  # said before anything is spoken
    assert sorted(p.name for p in folder.iterdir()) == ["base.mp3", "base.yaml"]


def test_render_captions_never_replace_the_routine_file(run, tmp_path, fake_voice):
    routine = tmp_path / "base.srt"
    routine.write_text("title: Base\nsteps: [{say: hi}, {rest: 5s}]\n")
    r = run("render", str(routine), "--backend", "fake", "--captions", "srt", "-o", str(tmp_path))
    assert r.exit_code == 1, r.output
    assert r.stderr == (
        f"Error: the srt captions '{routine}' would replace the routine file this routine uses; choose another -o\n"
    )
    assert routine.read_text().startswith("title: Base")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.srt"]


def test_a_hard_link_to_an_included_file_is_the_same_file(run, tmp_path, fake_voice):
    (tmp_path / "part.yaml").write_text("- say: Breathe.\n")
    (tmp_path / "r.yaml").write_text("title: Part\nsteps:\n  - include: part.yaml\n")
    out = tmp_path / "out"
    out.mkdir()
    os.link(tmp_path / "part.yaml", out / "part.mp3")
    r = run("render", str(tmp_path / "r.yaml"), "--backend", "fake", "-o", str(out))
    assert r.exit_code == 1, r.output
    assert f"Error: the track '{out / 'part.mp3'}' would replace the included file this routine uses" in r.stderr
    assert (tmp_path / "part.yaml").read_text() == "- say: Breathe.\n"


def test_pack_zip_never_replaces_the_recordings_zip(run, tmp_path, fake_voice):
    import zipfile

    folder = tmp_path / "zp"
    folder.mkdir()
    with zipfile.ZipFile(folder / "class.zip", "w") as z:
        z.writestr("readme.txt", "the teacher's clips")
    before = (folder / "class.zip").read_bytes()
    (folder / "z.yaml").write_text("title: Z\nrecordings: class.zip\nsteps: [{say: hi}]\n")
    r = run("pack", str(folder / "z.yaml"), "--backend", "fake", "-o", str(folder / "class"), "--zip")
    assert r.exit_code == 1, r.output
    zip_target = folder / "class.zip"
    assert (
        r.stderr == f"Error: the zip '{zip_target}' would replace the recordings this routine uses; choose another -o\n"
    )
    assert zip_target.read_bytes() == before
    assert not fake_voice.calls
    assert sorted(p.name for p in folder.iterdir()) == ["class.zip", "z.yaml"]


@pytest.mark.parametrize(
    "command, what",
    [(["pack", "-o", "FOLDER"], "pack file"), (["script", "--svg", "MUSIC"], "picture")],
)
def test_pack_and_svg_never_replace_the_music_the_routine_uses(run, tmp_path, fake_voice, command, what):
    folder, music, before = _music_routine(tmp_path)
    names = ["base.mp3", "base.yaml"]
    if what == "picture":  # --svg takes a name ending in .svg: the music under such a name (a hard link)
        os.link(music, folder / "base.svg")
        names, target = ["base.mp3", "base.svg", "base.yaml"], folder / "base.svg"
    args = [{"FOLDER": str(folder), "MUSIC": str(folder / "base.svg")}.get(a, a) for a in command]
    r = run(args[0], str(folder / "base.yaml"), "--backend", "fake", *args[1:])
    assert r.exit_code == 1, r.output
    shown = target if what == "picture" else music
    assert f"Error: the {what} '{shown}' would replace the music file this routine uses" in r.stderr
    assert music.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == names  # nothing moved in, no staging


@pytest.mark.parametrize("option", ["--profile", "--roster"])
def test_a_persons_captions_never_replace_the_profile_they_come_from(run, tmp_path, fake_voice, option):
    (tmp_path / "base.yaml").write_text("title: Base\nsteps: [{say: hi}]\n")
    people = tmp_path / "base--ana.vtt"  # a profile (or a roster) saved under the captions' name
    people.write_text("name: Ana\n" if option == "--profile" else "- name: Ana\n")
    before = people.read_text()
    args = ["--backend", "fake", option, str(people), "--captions", "vtt", "-o", str(tmp_path)]
    r = run("render", str(tmp_path / "base.yaml"), *args)
    assert r.exit_code == 1, r.output
    assert (
        f"the vtt captions '{people}' would replace the profile file this routine uses; choose another -o" in r.stderr
    )
    assert people.read_text() == before
    assert not fake_voice.calls
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base--ana.vtt", "base.yaml"]


def test_outputs_inside_a_recordings_folder_are_refused():
    from matcue.core.clash import clash

    assert clash([("track", "a/rec/x.mp3")], [("recordings", ".")]).startswith("the track 'a/rec/x.mp3' would be")
    assert clash([("track", "/elsewhere/x.mp3")], [("recordings", "."), ("music file", None)]) == ""


# ----------------------------------------------------------------------------- a loop of links where a folder goes


def _loop(tmp_path: Path) -> Path:
    os.symlink(tmp_path / "loop-b", tmp_path / "loop-a")
    os.symlink(tmp_path / "loop-a", tmp_path / "loop-b")
    return tmp_path / "loop-a"


def test_a_loop_of_links_is_called_a_loop_where_a_folder_goes(tmp_path):
    from matcue.core.paths import folder_problem

    loop = _loop(tmp_path)
    assert folder_problem(loop) == f"'{loop}' is a loop of links"
    assert folder_problem(loop / "sub") == f"'{loop}' is a loop of links"
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert (
        folder_problem(tmp_path / "gone")
        == f"'{tmp_path / 'gone'}' is a link to '{tmp_path / 'nowhere'}', which does not exist"
    )


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ["cues", "tests/data/ok/all-kinds.yaml", "--page"],
            "Error: cannot write the recording page: {loop} is a loop of links\n",
        ),
        (
            ["schema", "--write", "-o"],
            "Error: cannot write the schema files: {loop} is a loop of links (choose another folder with -o)\n",
        ),
    ],
)
def test_commands_say_a_loop_of_links_is_a_loop(run, tmp_path, args, said):
    loop = _loop(tmp_path)
    r = run(*args, str(loop))
    assert r.exit_code == 1, r.output
    assert r.stderr == said.format(loop=f"'{loop}'")


def test_doctor_says_the_output_folder_is_a_loop_of_links(run, tmp_path):
    loop = _loop(tmp_path)
    r = run("doctor", "-o", str(loop))
    assert f"problem  output folder: '{loop}' is a loop of links (choose another folder with -o) [required]" in r.stdout


# ----------------------------------------------------------------------------- -o a file; --profile and --roster


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ["render", ROUTINE, "--backend", "fake", "-o"],
            "cannot use the output folder: {f} (choose another folder with -o)",
        ),
        (
            ["pack", ROUTINE, "--backend", "fake", "-o"],
            "cannot use the output folder: {f} (choose another folder with -o)",
        ),
        (["schema", "--write", "-o"], "cannot write the schema files: {f} (choose another folder with -o)"),
        (["cues", ROUTINE, "--page"], "cannot write the recording page: {f}"),
    ],
)
def test_an_output_folder_that_is_a_file_is_one_error_of_ours(run, tmp_path, fake_voice, args, said):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    r = run(*args, str(afile))
    assert r.exit_code == 1, r.output
    assert r.stderr.endswith("Error: " + said.format(f=f"'{afile}' is a file, not a folder") + "\n"), r.stderr
    assert afile.read_text() == "mine"


@pytest.mark.parametrize("command", ["render", "pack", "script"])
@pytest.mark.parametrize("option", ["--profile", "--roster"])
@pytest.mark.parametrize("kind", ["missing", "folder", "fifo"])
def test_profile_and_roster_are_usage_errors_like_recordings(run, tmp_path, fake_voice, command, option, kind):
    if command == "script" and option == "--roster":
        pytest.skip("script takes one --profile")
    given = tmp_path / "given"
    wanted = "a profile file" if option == "--profile" else "a roster file or a folder of profiles"
    if kind == "missing":
        said = f"file '{given}' not found"
    elif kind == "fifo":
        os.mkfifo(given)
        said = f"'{given}' is a named pipe, not {wanted}"
    else:
        given.mkdir()
        if option == "--roster":
            pytest.skip("a folder of profiles is a roster")
        said = f"'{given}' is a folder, not {wanted}"
    out = ["-o", str(tmp_path / "out")] if command != "script" else []
    r = run(command, ROUTINE, "--backend", "fake", *out, option, str(given))
    assert r.exit_code == 2, r.output
    assert f"Error: Invalid value for '{option}': {said}\n" in r.stderr
    assert not fake_voice.calls


# ----------------------------------------------------------------------------- every file a command reads


@pytest.mark.parametrize(
    "command, output, what",
    [
        (["render", "--captions", "srt", "-o", "out"], "out/base.srt", "srt captions"),
        (["pack", "-o", "out"], "out/index.html", "pack file"),
        (["script", "--svg", "out/picture.svg"], "out/picture.svg", "picture"),
    ],
)
def test_no_output_replaces_the_project_lexicon(run, tmp_path, fake_voice, monkeypatch, command, output, what):
    (tmp_path / "base.yaml").write_text("title: Base\nsteps: [{say: hi}]\n")
    (tmp_path / "out").mkdir()
    (tmp_path / output).write_text("yoga: yoh-gah\n")
    (tmp_path / "voice").mkdir()
    os.symlink(tmp_path / output, tmp_path / "voice" / "lexicon.yaml")  # the lexicon kept where an output goes
    monkeypatch.chdir(tmp_path)
    r = run(command[0], "base.yaml", "--backend", "fake", *command[1:])
    assert r.exit_code == 1, r.output
    hint = "choose another path for --svg" if command[0] == "script" else "choose another -o"
    assert r.stderr == f"Error: the {what} '{output}' would replace the project lexicon this routine uses; {hint}\n"
    assert (tmp_path / output).read_text() == "yoga: yoh-gah\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [Path(output).name]


@pytest.mark.parametrize("command", ["render", "pack"])
@pytest.mark.parametrize("victim", ["roster file", "profile file"])
def test_no_track_replaces_the_roster_file_or_another_persons_profile(run, tmp_path, fake_voice, command, victim):
    (tmp_path / "base.yaml").write_text("title: Base\nsteps: [{say: hi}]\n")
    (tmp_path / "ana.yaml").write_text("name: Ana\n")
    kept = tmp_path / "base--ana.vtt"  # named like Ana's captions: the roster (of paths), or Bo's profile
    roster = kept if victim == "roster file" else tmp_path / "class.yaml"
    if victim == "profile file":
        kept.write_text("name: Bo\n")
    roster.write_text("- ana.yaml\n" if victim == "roster file" else "- ana.yaml\n- base--ana.vtt\n")
    before = {p.name: p.read_text() for p in tmp_path.iterdir() if p.is_file()}
    args = ["--backend", "fake", "--roster", str(roster), "--captions", "vtt", "-o", str(tmp_path)]
    r = run(command, str(tmp_path / "base.yaml"), *args)
    assert r.exit_code == 1, r.output
    said = f"the vtt captions '{kept}' would replace the {victim} this routine uses; choose another -o"
    if command == "render":  # Ana's track is refused, located at her profile; Bo's is rendered
        assert f"{tmp_path / 'ana.yaml'}:1:1: {said}\n" in r.stderr
        assert not (tmp_path / "base--ana.mp3").exists()
    else:  # the pack moves nothing in
        assert r.stderr == f"Error: {said.replace('vtt captions', 'pack file')}\n"
        assert {p.name for p in tmp_path.iterdir()} - {"voice-cache"} == set(before)
    assert kept.read_text() == before[kept.name]


# ----------------------------------------------------------------------------- paths the system refuses


LONG_NAME = "a" * 300


@pytest.mark.parametrize(
    "args",
    [
        ["render", "BASE", "--backend", "fake", "-o", "OUT"],
        ["pack", "BASE", "--backend", "fake", "--zip", "-o", "OUT"],
        ["cues", "BASE", "--page", "OUT"],
        ["schema", "--write", "-o", "OUT"],
    ],
)
def test_a_name_too_long_for_the_system_is_said_first_and_leaves_no_folder(run, tmp_path, fake_voice, args):
    """A folder name over the system's limit was found only when the first file was
    written (after the speech), and the folder made above it was left behind."""
    (tmp_path / "base.yaml").write_text("title: Base\nsteps: [{say: hi}]\n")
    out = tmp_path / "d" / LONG_NAME / "x"
    r = run(*[{"BASE": str(tmp_path / "base.yaml"), "OUT": str(out)}.get(a, a) for a in args])
    assert r.exit_code == 1, r.output
    from matcue.core.paths import quoted

    said = f"{quoted(out)} cannot be used: File name too long (the name {quoted(LONG_NAME)} is 300 bytes; at most 255"
    assert said in r.stderr and "Traceback" not in r.stderr
    assert not fake_voice.calls
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "voice-cache") == ["base.yaml"]


def test_a_path_the_system_will_not_look_into_is_named_with_its_reason(tmp_path, monkeypatch):
    """EACCES (``/proc/1/cwd/...`` for a user), ENAMETOOLONG: the path named, the reason in
    the system's words; the folder above is not taken for it."""
    import errno

    from matcue.core import paths

    locked = tmp_path / "locked"
    locked.mkdir()
    real_lstat = os.lstat

    def lstat(p, *a, **k):  # type: ignore[no-untyped-def]
        if str(p).startswith(str(locked / "in")):
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real_lstat(p, *a, **k)

    monkeypatch.setattr(paths.os, "lstat", lstat)
    assert paths.nearest_existing(locked / "inner" / "x") == locked / "inner" / "x"
    assert paths.folder_problem(locked / "inner" / "x") == f"'{locked}/inner/x' cannot be used: Permission denied"
    monkeypatch.undo()
    made = paths.folders_made(tmp_path / "new" / LONG_NAME)
    (tmp_path / "new").mkdir()
    paths.remove_empty(made)  # the long one could never be made: the one above goes still
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("command", "made"),
    [
        (["render", ROUTINE, "--backend", "fake", "--captions", "srt", "-o", "T/a/../out"], "out"),
        (["pack", ROUTINE, "--backend", "fake", "-o", "T/a/../out"], "out"),
        (["script", ROUTINE, "--backend", "fake", "--svg", "T/a/../s.svg"], "s.svg"),
        (["cues", ROUTINE, "--page", "T/a/../out"], "out"),
        (["new", "-o", "T/a/../n.yaml"], "n.yaml"),
    ],
)
def test_an_output_that_steps_out_of_a_folder_leaves_no_folder_behind(run, tmp_path, fake_voice, command, made):
    """-o a/../out made the folder 'a', empty, only to step out of it."""
    (tmp_path / "t").mkdir()
    r = run(*[a.replace("T/", f"{tmp_path}/t/") for a in command])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == [made]


@pytest.mark.parametrize("command", ["render", "pack"])
@pytest.mark.parametrize("given", ["--profile", "--roster"])
def test_a_profile_that_does_not_load_is_said_before_an_unusable_output_folder(
    run, tmp_path, fake_voice, command, given
):
    """Input files before output: a --profile that did not load was not said at all when the
    output folder stopped the command (a roster file's problems were said, read first)."""
    people = tmp_path / "class"
    people.mkdir()
    bad = people / "anna.yaml"
    bad.write_text("name: Anna\npace: 9\n")
    afile = tmp_path / "afile"
    afile.write_text("mine")
    r = run(
        command, ROUTINE, "--backend", "fake", "-o", str(afile), given, str(bad if given == "--profile" else people)
    )
    assert r.exit_code == 1, r.output
    assert r.stderr == (
        f"{bad}:2:7: pace: expected a number from 0.8 to 1.5, got 9 (1.2 makes every breath 20% longer)\n"
        f"Error: cannot use the output folder: '{afile}' is a file, not a folder (choose another folder with -o)\n"
    )
    assert fake_voice.calls == 0 and afile.read_text() == "mine"


BAD_LOAD = "title: Bad\nsteps:\n  - pose: Seated\n    hold: five\n"
BAD_COMPILE = "title: Bad\nsteps:\n  - pose: Seated\n    hold: 3s\n  - say: Hello {nme}.\n"
SAID = {
    BAD_LOAD: "4:11: steps[0].hold: expected a duration like '30s' or '5 breaths', got 'five'",
    BAD_COMPILE: "5:10: steps[1].say: unknown placeholder {nme} (define it under 'vars' or pass --set NAME=VALUE)",
}


@pytest.mark.parametrize("bad", [BAD_LOAD, BAD_COMPILE], ids=["load", "compile"])
@pytest.mark.parametrize("command", ["one", "captions", "two", "only"])
def test_a_routines_problem_is_said_before_an_unusable_output_folder(run, tmp_path, fake_voice, bad, command):
    """Inputs before outputs: a single render checked its output folder before it loaded
    the routine, so a bad routine and a file where the folder goes said only the folder.
    The routine's problem is said (its load's or its compile's), and nothing else: its
    track is not rendered, so the folder is not used. With a second, good routine, that
    one stops the command at the folder. A preview (--only) of a part without the bad
    step compiles, so its folder is said."""
    routine = tmp_path / "bad.yaml"
    routine.write_text(bad)
    good = tmp_path / "good.yaml"
    good.write_text(SHORT)
    afile = tmp_path / "afile"
    afile.write_text("mine")
    routines = [str(routine), str(good)] if command == "two" else [str(routine)]
    extra = {"captions": ["--captions", "vtt,srt"], "only": ["--only", "Seated"]}.get(command, [])
    r = run("render", *routines, "--backend", "fake", "-o", str(afile), *extra)
    assert r.exit_code == 1, r.output
    folder = f"Error: cannot use the output folder: '{afile}' is a file, not a folder (choose another folder with -o)\n"
    said = f"{routine}:{SAID[bad]}\n"
    if command == "two":
        assert r.stderr == f"{said}{folder}"
    elif command == "only":
        assert r.stderr == (said if bad == BAD_LOAD else folder)
    else:
        assert r.stderr == f"{said}1 routine not rendered\n"
    assert fake_voice.calls == 0 and afile.read_text() == "mine"


@pytest.mark.parametrize("command", [["pack"], ["pack", "--profile"], ["render", "--profile"], ["render", "--roster"]])
def test_a_routine_that_does_not_load_is_said_before_an_unusable_output_folder_of_a_pack_or_roster(
    run, tmp_path, fake_voice, command
):
    """pack (every routine, as a roster's people) and render --profile/--roster say the
    routines that do not load, then the profiles, then the output folder's error."""
    routine = tmp_path / "bad.yaml"
    routine.write_text(BAD_LOAD)
    people = tmp_path / "class"
    people.mkdir()
    bad = people / "anna.yaml"
    bad.write_text("name: Anna\npace: 9\n")
    afile = tmp_path / "afile"
    afile.write_text("mine")
    name, *given = command
    extra = [*given, str(bad if given == ["--profile"] else people)] if given else []
    r = run(name, str(routine), "--backend", "fake", "-o", str(afile), *extra)
    assert r.exit_code == 1, r.output
    said = f"{routine}:{SAID[BAD_LOAD]}\n"
    if given:
        said += f"{bad}:2:7: pace: expected a number from 0.8 to 1.5, got 9 (1.2 makes every breath 20% longer)\n"
    folder = f"Error: cannot use the output folder: '{afile}' is a file, not a folder (choose another folder with -o)\n"
    assert r.stderr == f"{said}{folder}"
    assert fake_voice.calls == 0 and afile.read_text() == "mine"
