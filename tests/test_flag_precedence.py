"""Settings precedence, defaults < routine < profile < flags, for the routine's files: a
``--recordings`` (``--music``) on the command line is used instead of the routine's
``recordings:`` (``music:``), which is then not read, so a missing one is no error, in
every command that has the option (:class:`matcue.settings.Loading`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcue.cli.main import cli
from matcue.routine.loader import load_routine
from matcue.settings import Loading, Settings

ROUTINE = "title: Flags win\nrecordings: nothere\nsteps:\n  - say: Hello.\n"


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    (tmp_path / "clips").mkdir()
    p = tmp_path / "r.yaml"
    p.write_text(ROUTINE)
    return p


def test_a_missing_routine_recordings_folder_is_an_error_without_the_flag(routine: Path) -> None:
    r = CliRunner().invoke(cli, ["check", str(routine)])
    assert r.exit_code == 1
    assert r.output.startswith(f"{routine}:2:13: recordings: recordings '")
    assert r.output.endswith(
        "(a folder of clips named by their ids ('matcue cues' lists them), relative to the routine)\n1 problem found\n"
    )


@pytest.mark.parametrize("command", [["check"], ["cues"], ["script", "--backend", "fake"]])
def test_recordings_flag_wins_over_a_missing_routine_recordings_folder(routine: Path, command: list[str]) -> None:
    r = CliRunner().invoke(cli, [*command, str(routine), "--recordings", str(routine.parent / "clips")])
    assert r.exit_code == 0, r.output
    assert "nothere" not in r.output


def test_settings_given_names_the_keys_the_flags_give(tmp_path: Path) -> None:
    from dataclasses import replace

    s = Settings()
    assert s.given() == ()
    assert s.loading() == Loading()
    s = replace(s, recordings=tmp_path)
    assert s.given() == ("recordings",)
    s = replace(s, mix=replace(s.mix, music=tmp_path / "bed.wav"))
    assert s.given() == ("recordings", "music")
    assert s.loading() == Loading(recordings=tmp_path, music=tmp_path / "bed.wav")
    assert Loading(allow_outside=True, music=tmp_path).given() == ("music",)
    assert replace(s, allow_outside=True).loading().allow_outside


def test_a_given_key_is_not_read_from_the_routine(routine: Path) -> None:
    assert load_routine(routine, given=("recordings",)).recordings is None
    with pytest.raises(Exception, match="was not found"):
        load_routine(routine)


def test_a_given_music_key_is_not_read_from_the_routine(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text("title: T\nmusic: nothere.wav\nsteps:\n  - say: Hi.\n")
    assert load_routine(p, given=("music",)).music is None
    with pytest.raises(Exception, match=r"2:8: music: music file '.*/nothere\.wav' was not found"):
        load_routine(p)


def test_a_set_name_is_found_in_a_routine_whose_recordings_the_flag_replaces(routine: Path) -> None:
    """--set's check loads the routine as the command does: with --recordings, its missing
    'recordings:' is not read, so the routine's {name} is seen (it was "never uses {name}")."""
    routine.write_text(ROUTINE.replace("Hello.", "Hello {name}."))
    args = ["script", str(routine), "--backend", "fake", "--set", "name=Bo"]
    r = CliRunner().invoke(cli, [*args, "--recordings", str(routine.parent / "clips")])
    assert r.exit_code == 0, r.output
    assert "\u201cHello Bo.\u201d" in r.output


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (scripts/setup)")
MUSIC_ROUTINE = "title: Music flag\nmusic: {music}\nsteps:\n  - say: Hello.\n"


@pytest.fixture
def bed(tmp_path: Path) -> Path:
    path = tmp_path / "bed.wav"
    tone = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=220:d=3", str(path)]
    subprocess.run(tone, check=True)
    return path


@needs_ffmpeg
@pytest.mark.parametrize("music", ["nothere.mp3", "broken.mp3"])
def test_a_bad_routine_music_is_an_error_without_the_flag(tmp_path: Path, music: str) -> None:
    (tmp_path / "broken.mp3").write_text("not audio\n")
    (tmp_path / "r.yaml").write_text(MUSIC_ROUTINE.format(music=music))
    r = CliRunner().invoke(cli, ["script", str(tmp_path / "r.yaml"), "--backend", "fake"])
    assert r.exit_code == 1
    assert r.output.startswith(f"{tmp_path / 'r.yaml'}:2:8: music: music file '{tmp_path / music}' ")
    assert r.output.endswith(("folder)\n", "M4A)\n"))


@needs_ffmpeg
@pytest.mark.parametrize("music", ["nothere.mp3", "broken.mp3"])
@pytest.mark.parametrize("command", ["script", "render", "pack", "render --profile", "render --only"])
def test_music_flag_wins_over_a_missing_or_broken_routine_music(
    tmp_path: Path, bed: Path, music: str, command: str, fake_voice: object
) -> None:
    """Every command with --music: the routine's music: is replaced, so it is not read."""
    (tmp_path / "broken.mp3").write_text("not audio\n")
    routine = tmp_path / "r.yaml"
    routine.write_text(MUSIC_ROUTINE.format(music=music).replace("- say: Hello.", "- pose: Easy\n    hold: 2s"))
    (tmp_path / "ann.yaml").write_text("name: Ann\n")
    name, *rest = command.split()
    extra = {"--profile": ["--profile", str(tmp_path / "ann.yaml")], "--only": ["--only", "Easy"]}.get(
        rest[0] if rest else "", []
    )
    out = ["-o", str(tmp_path / "out")] if name != "script" else []
    args = [name, str(routine), "--backend", "fake", "--music", str(bed), *out, *extra]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert music not in r.output
    if name != "script":
        made = sorted(p.name for p in (tmp_path / "out").glob("*.mp3"))
        want = {"render": "music-flag.mp3", "pack": "music-flag.mp3", "render --profile": "music-flag--ann.mp3"}
        assert made == [want.get(command, "music-flag-preview-easy.mp3")]
