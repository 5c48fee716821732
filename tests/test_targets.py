"""Output targets are checked before any work, in one wording whatever the command: an
output folder (``-o``) with a pipe, a file, a device or a broken link in its way, an output
file option naming ``-`` or nothing, files written as one unit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROUTINE = "tests/data/ok/all-kinds.yaml"
REPO = Path(__file__).resolve().parent.parent


def _obstacle(tmp_path: Path, kind: str) -> tuple[Path, Path, str]:
    """(the -o given, what is in its way, how that is named)."""
    if kind == "named pipe":
        os.mkfifo(tmp_path / "pipe")
        return tmp_path / "pipe", tmp_path / "pipe", "is a named pipe, not a folder"
    if kind == "under a pipe":
        os.mkfifo(tmp_path / "pipe")
        return tmp_path / "pipe" / "sub", tmp_path / "pipe", "is a named pipe, not a folder"
    if kind == "device":
        return Path("/dev/null"), Path("/dev/null"), "is a device, not a folder"
    if kind == "link loop":
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        return tmp_path / "loop", tmp_path / "loop", "is a loop of links"
    if kind == "under a dangling link":
        (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
        return (
            tmp_path / "gone" / "sub",
            tmp_path / "gone",
            f"is a link to '{tmp_path / 'nowhere'}', which does not exist",
        )
    (tmp_path / "file").write_text("")
    if kind == "a file":
        return tmp_path / "file", tmp_path / "file", "is a file, not a folder"
    return tmp_path / "file" / "sub", tmp_path / "file", "is a file, not a folder"


COMMANDS = {
    "render": ["render", ROUTINE],
    "render --profile": ["render", ROUTINE, "--profile", "tests/data/profiles/skip-unknown.yaml"],
    "pack": ["pack", ROUTINE],
    "pack --zip": ["pack", ROUTINE, "--zip"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "kind", ["named pipe", "under a pipe", "device", "link loop", "under a dangling link", "under a file", "a file"]
)
def test_every_command_refuses_what_is_in_the_output_folders_way_before_speaking(
    run, tmp_path, fake_voice, command, kind
):
    out, obstacle, phrase = _obstacle(tmp_path, kind)
    r = run(*COMMANDS[command], "-o", str(out), "--backend", "fake", "--no-cover")
    assert r.exit_code == 1, r.output
    assert r.stderr == f"Error: cannot use the output folder: '{obstacle}' {phrase} (choose another folder with -o)\n"
    assert fake_voice.calls == 0  # nothing synthesized first


@pytest.mark.parametrize("blocked", ["matcue-routine.schema.json", "matcue-profile.schema.json"])
def test_schema_write_writes_both_files_or_neither(run, tmp_path, blocked):
    os.mkfifo(tmp_path / blocked)
    r = run("schema", "--write", "-o", str(tmp_path))
    assert r.exit_code == 1
    assert r.stderr == (
        f"Error: '{tmp_path / blocked}' is a named pipe, not a file matcue may replace"
        " (move it away, or write elsewhere)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [blocked]  # the other one not written, no temporary file


FILE_OPTIONS = {
    "script --svg": ("script", str(REPO / ROUTINE), "--backend", "fake", "--svg"),
    "new -o": ("new", "stretch", "-o"),
}


@pytest.mark.parametrize("option", FILE_OPTIONS)
@pytest.mark.parametrize(
    "value,message",
    [
        ("", "expected a file name, got an empty name"),
        ("-", "matcue does not write to standard output here: write ./- for a file named '-'"),
        ("{tmp}/new/", "'{tmp}/new/' names a folder (it ends in '/'), not a file"),
        ("{tmp}", "'{tmp}' is a folder, not a file"),
    ],
)
def test_an_output_file_option_refuses_an_empty_name_a_dash_and_a_folder_first(
    run, tmp_path, monkeypatch, option, value, message
):
    monkeypatch.chdir(tmp_path)
    r = run(*FILE_OPTIONS[option], value.format(tmp=tmp_path))
    hint = "'-o' / '--output'" if option == "new -o" else "'--svg'"
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for {hint}: {message.format(tmp=tmp_path)}"
    assert r.stdout == ""
    assert not (tmp_path / "-").exists() and not (tmp_path / "new").exists()


@pytest.mark.parametrize("option", ["render -o", "pack -o", "schema --write -o", "cues --page", "doctor -o"])
def test_an_empty_output_folder_is_a_usage_error_everywhere(run, tmp_path, monkeypatch, option):
    routine = str(REPO / ROUTINE)
    args = {
        "render -o": ("render", routine, "--backend", "fake", "-o"),
        "pack -o": ("pack", routine, "--backend", "fake", "-o"),
        "schema --write -o": ("schema", "--write", "-o"),
        "cues --page": ("cues", routine, "--page"),
        "doctor -o": ("doctor", "-o"),
    }[option]
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    r = run(*args, "")
    assert os.listdir(".") == []  # the empty name was not the current folder
    hint = "'--page'" if option == "cues --page" else "'-o' / '--output'"
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for {hint}: expected a folder, got an empty name"


def test_script_svg_onto_a_pipe_is_refused_before_the_script_is_printed(run, tmp_path, fake_voice):
    os.mkfifo(tmp_path / "pipe.svg")
    r = run("script", ROUTINE, "--backend", "fake", "--svg", str(tmp_path / "pipe.svg"))
    assert r.exit_code == 1
    assert r.stdout == "" and fake_voice.calls == 0
    assert r.stderr == (
        f"Error: '{tmp_path / 'pipe.svg'}' is a named pipe, not a file matcue may replace"
        " (move it away, or write elsewhere)\n"
    )


def test_cues_page_onto_a_device_is_refused_before_the_list_is_printed(run):
    r = run("cues", ROUTINE, "--page", "/dev/null")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr == "Error: cannot write the recording page: '/dev/null' is a device, not a folder\n"


def _failing_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every tag writer fails, naming the file it was given (as mutagen does)."""
    from matcue.audio import formats, mp3

    def mp3_fails(self, path, *a, **k):  # type: ignore[no-untyped-def]
        raise mp3.ID3Error(f"bad frame in {path}")

    def other_fails(path, *a, **k):  # type: ignore[no-untyped-def]
        raise ValueError(f"bad tag in {path}")

    monkeypatch.setattr(mp3.ID3, "save", mp3_fails)
    monkeypatch.setattr(formats, "_tag_opus", other_fails)


@pytest.mark.parametrize("command", ["render", "render --format opus", "pack"])
def test_a_failed_tag_write_names_the_track_not_a_temporary_file(run, tmp_path, fake_voice, monkeypatch, command):
    import shutil

    fmt = "opus" if "opus" in command else "mp3"
    if fmt == "opus" and shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    _failing_tags(monkeypatch)
    out = tmp_path / "new" / "out"
    args = ("--format", "opus") if fmt == "opus" else ()
    r = run(command.split()[0], ROUTINE, "--backend", "fake", "--no-cover", "-o", str(out), *args)
    assert r.exit_code == 1
    track = out / f"every-step-kind.{fmt}"
    bad = "bad tag" if fmt == "opus" else "bad frame"
    assert r.stderr == f"Error: cannot write tags to '{track}': {bad} in '{track}'\n"
    assert not (tmp_path / "new").exists()  # the folders it made, left empty, are removed


def test_a_roster_whose_every_track_fails_leaves_no_folder_it_made(run, tmp_path, fake_voice, monkeypatch):
    _failing_tags(monkeypatch)
    out = tmp_path / "new" / "out"
    profiles = [a for p in ("a", "b") for a in ("--profile", str(_profile(tmp_path, p)))]
    r = run("render", ROUTINE, "--backend", "fake", "--no-cover", "-o", str(out), "--workers", "1", *profiles)
    assert r.exit_code == 1
    assert (
        f"cannot write tags to '{out}/every-step-kind--a.mp3': bad frame in '{out}/every-step-kind--a.mp3'" in r.stderr
    )
    assert not (tmp_path / "new").exists()


def test_the_roster_runner_makes_the_folder_once_before_the_tracks_run(tmp_path, monkeypatch):
    """Tracks run at once in several processes: the folder is made before any starts (no
    track removes it under another when it fails) and removed after all, when empty."""
    from matcue import batch
    from matcue.routine.profile import Profile
    from matcue.settings import Output, Settings

    out = tmp_path / "new" / "out"
    seen = []

    def tracks(jobs, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(out.is_dir())
        return [batch.TrackResult(job.profile.name, "", errors=("failed",)) for job in jobs]

    monkeypatch.setattr(batch, "render_tracks", tracks)
    settings = Settings(output=Output(out))
    results = batch.render_for_people(REPO / ROUTINE, [Profile(name="A"), Profile(name="B")], settings, workers=2)
    assert [r.ok for r in results] == [False, False]
    assert seen == [True] and not (tmp_path / "new").exists()


def _profile(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\n")
    return path
