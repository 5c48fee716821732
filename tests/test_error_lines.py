"""How an error reaches the user: an error made of located problem lines says each line
as it is (``MatcueError.located``), wherever it is reported (the error boundary, render's
per-routine report, a roster's failed track); an output that cannot be written is said
before any work: a named pipe or a device where a file goes, a loop of links or a file
where its folder goes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matcue.core.errors import Mark, MatcueError, Problem, RenderError, RoutineError
from matcue.voice.recordings import RecordingError

SHORT = "title: Short\nsteps:\n  - say: Hello there.\n"


def _bad_recordings(tmp_path: Path) -> tuple[Path, str]:
    """A routine whose recordings index is a list; the located line its error is."""
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "index.yaml").write_text("- a\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\nrecordings: rec\nsteps:\n  - say: Hello there.\n")
    return bad, f"{tmp_path}/rec/index.yaml: expected a mapping of phrase ids (or exact texts) to file names"


# ----------------------------------------------------------------------------- located lines


def test_every_error_says_its_located_lines():
    plain = RenderError("the disk is full")
    assert plain.located == ()
    problems = [Problem(Mark("r.yaml", 2, 3), "steps[0]", "unknown key"), Problem(None, "--skip", "no step \x1b")]
    routine = RoutineError(problems)
    assert routine.located == ("r.yaml:2:3: steps[0]: unknown key", "--skip: no step \\x1b")
    assert str(routine) == "\n".join(routine.located)
    recordings = RecordingError(["rec/a.wav: is silent", "rec/\x1b[31m.wav: is a named pipe"])
    assert recordings.located == ("rec/a.wav: is silent", "rec/\\x1b[31m.wav: is a named pipe")
    assert recordings.problems == ("rec/a.wav: is silent", "rec/\x1b[31m.wav: is a named pipe")
    assert isinstance(recordings, MatcueError) and str(recordings) == "\n".join(recordings.located)


def test_the_boundary_says_the_recordings_lines_without_error(run, tmp_path, fake_voice):
    bad, line = _bad_recordings(tmp_path)
    r = run("script", str(bad), "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr == f"{line}\n"
    assert fake_voice.calls == 0


def test_render_reports_a_routines_recordings_lines_and_renders_the_next(run, tmp_path, fake_voice):
    bad, line = _bad_recordings(tmp_path)
    (tmp_path / "good.yaml").write_text(SHORT)
    out = tmp_path / "out"
    r = run("render", str(bad), str(tmp_path / "good.yaml"), "--backend", "fake", "--no-cover", "-o", str(out))
    assert r.exit_code == 1
    assert r.stderr == f"{line}\n1 routine not rendered\n"
    assert [p.name for p in out.iterdir()] == ["short.mp3"]


def test_a_roster_track_whose_recordings_fail_says_the_located_line(run, tmp_path, fake_voice):
    bad, line = _bad_recordings(tmp_path)
    (tmp_path / "anna.yaml").write_text("name: Anna\n")
    r = run("render", str(bad), "--profile", str(tmp_path / "anna.yaml"), "--backend", "fake", "-o", str(tmp_path))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == line
    assert "Error: " not in r.stderr


# ----------------------------------------------------------------------------- outputs refused before any work


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("output", ["short.mp3", "short.vtt"])
def test_a_pipe_or_a_device_where_a_render_output_goes_is_refused_before_speech(
    run, tmp_path, fake_voice, kind, output
):
    (tmp_path / "r.yaml").write_text(SHORT)
    out = tmp_path / "out"
    out.mkdir()
    target = out / output
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/null")
    r = run("render", str(tmp_path / "r.yaml"), "--backend", "fake", "--captions", "vtt", "-o", str(out))
    assert r.exit_code == 1
    what = "a named pipe" if kind == "fifo" else "a link to a device"
    assert (
        r.stderr == f"Error: '{target}' is {what}, not a file matcue may replace (move it away, or write elsewhere)\n"
    )
    assert fake_voice.calls == 0
    assert sorted(p.name for p in out.iterdir()) == [output]


@pytest.mark.parametrize(
    "name, people", [("short.mp3", []), ("index.html", []), ("short.cover.png", []), ("short--anna.vtt", ["anna"])]
)
def test_a_pipe_where_a_pack_file_goes_is_refused_before_speech(run, tmp_path, fake_voice, name, people):
    """The pack is built in a staging folder and moved in: a pipe in the folder was found
    only then, after every track was spoken and encoded."""
    (tmp_path / "r.yaml").write_text(SHORT)
    (tmp_path / "anna.yaml").write_text("name: Anna\n")
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / name)
    profiles = [arg for p in people for arg in ("--profile", str(tmp_path / f"{p}.yaml"))]
    r = run("pack", str(tmp_path / "r.yaml"), "--backend", "fake", "-o", str(out), *profiles)
    assert r.exit_code == 1
    target = out / name
    assert (
        r.stderr
        == f"Error: '{target}' is a named pipe, not a file matcue may replace (move it away, or write elsewhere)\n"
    )
    assert fake_voice.calls == 0
    assert sorted(p.name for p in out.iterdir()) == [name]


def _loop(tmp_path: Path) -> Path:
    os.symlink(tmp_path / "loop-b", tmp_path / "loop-a")
    os.symlink(tmp_path / "loop-a", tmp_path / "loop-b")
    return tmp_path / "loop-a"


@pytest.mark.parametrize(
    "args, hint",
    [
        (["script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "--svg"], "choose another path for --svg"),
        (["new", "stretch", "-o"], "choose another -o"),
    ],
)
@pytest.mark.parametrize("kind", ["loop", "file"])
def test_a_loop_or_a_file_where_the_folder_of_an_output_file_goes_is_ours_and_said_first(
    run, tmp_path, fake_voice, args, hint, kind
):
    """A loop of links there was a usage error (exit 2: "cannot be read: Too many levels of
    symbolic links"); a file there was said after the speech was synthesized."""
    if kind == "loop":
        folder, what = _loop(tmp_path), "a loop of links"
    else:
        folder, what = tmp_path / "afile", "a file, not a folder"
        folder.write_text("mine")
    target = folder / "x.out"
    r = run(*args, str(target))
    assert r.exit_code == 1, r.output
    assert r.stderr == f"Error: cannot write '{target}': '{folder}' is {what} ({hint})\n"
    assert fake_voice.calls == 0
    assert r.stdout == ""


# ----------------------------------------------------------------------------- a roster folder's entries


def test_a_pipe_in_a_roster_folder_is_said_for_the_file_not_at_1_1(run, tmp_path, fake_voice):
    """A named pipe has no line: it was 'p.yaml:1:1: is a named pipe, not a profile file'.
    Said as a folder named like a profile is, and never opened (opening a pipe blocks)."""
    roster = tmp_path / "class"
    roster.mkdir()
    (roster / "anna.yaml").write_text("name: Anna\n")
    os.mkfifo(roster / "p.yaml")
    (tmp_path / "r.yaml").write_text(SHORT)
    r = run("render", str(tmp_path / "r.yaml"), "--roster", str(roster), "--backend", "fake", "-o", str(tmp_path / "o"))
    assert r.exit_code == 1
    assert r.stderr == f"{roster / 'p.yaml'}: is a named pipe, not a profile file\n1 of 2 tracks not rendered\n"
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["Anna", "p.yaml"]


@pytest.mark.parametrize(
    "args, hint",
    [
        (["script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "--svg"], "choose another path for --svg"),
        (["new", "stretch", "-o"], "choose another -o"),
    ],
)
def test_an_output_file_name_too_long_for_the_system_is_said_first(run, tmp_path, fake_voice, args, hint):
    """It was found when the file was written, after the script was printed (the speech
    synthesized)."""
    from matcue.core.paths import quoted

    target = tmp_path / ("a" * 300 + ".out")
    r = run(*args, str(target))
    assert r.exit_code == 1, r.output
    name = quoted(target.name)
    assert r.stderr == (
        f"Error: {quoted(target)} cannot be used: File name too long (the name {name} is 304 bytes;"
        f" at most 255 are allowed) ({hint})\n"
    )
    assert fake_voice.calls == 0 and r.stdout == ""


def test_every_error_made_of_problem_lines_gives_them_as_located() -> None:
    """The lexicon's and the feed manifest's problems are located lines as a routine's are,
    so the error boundary prints them without 'Error: ' (they were merged in after
    ``located`` came, and said the lines with 'Error: ' in front)."""
    from matcue.share.feed import FeedError
    from matcue.voice.lexicon import LexiconError

    lexicon = LexiconError([Problem(Mark("voice/lexicon.yaml", 2, 6), "", "the character U+0001 cannot be here")])
    assert lexicon.located == ("voice/lexicon.yaml:2:6: the character U+0001 cannot be here",)
    feed = FeedError(["feed.manifest.json:1:39: files[0]: half of a character", "x.json:2:1: \x1b[31m"])
    assert feed.located == ("feed.manifest.json:1:39: files[0]: half of a character", "x.json:2:1: \\x1b[31m")
    assert LexiconError("one message").located == () and FeedError("one message").located == ()
