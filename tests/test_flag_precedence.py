"""Settings precedence, defaults < routine < profile < flags, for the routine's files: a
``--recordings`` on the command line is used instead of the routine's ``recordings:``,
which is then not read, so a missing one is no error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from matcue.cli.main import cli
from matcue.routine.loader import load_routine
from matcue.settings import Settings

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
    s = replace(s, recordings=tmp_path)
    assert s.given() == ("recordings",)


def test_a_given_key_is_not_read_from_the_routine(routine: Path) -> None:
    assert load_routine(routine, given=("recordings",)).recordings is None
    with pytest.raises(Exception, match="was not found"):
        load_routine(routine)
