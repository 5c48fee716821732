"""The checks of options that name a file or a folder (matcue.cli.pathoptions), called as
click calls them; the commands' own tests (tests/test_targets.py) run them end to end."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest

from matcue.cli.pathoptions import existing, output_file, output_folder

OPTION = click.Option(["--svg"])


def _refused(check, value) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(click.BadParameter) as e:
        check(None, OPTION, value)
    return e.value.message


def test_an_output_file_is_a_name_that_is_not_empty_a_dash_or_a_folder(tmp_path: Path) -> None:
    assert _refused(output_file, "") == "expected a file name, got an empty name"
    assert _refused(output_file, "-") == "matcue does not write to standard output here: write ./- for a file named '-'"
    assert _refused(output_file, str(tmp_path)) == f"'{tmp_path}' is a folder, not a file"
    assert _refused(output_file, "nod/").endswith("names a folder (it ends in '/'), not a file")
    assert output_file(None, OPTION, str(tmp_path / "x.svg")) == tmp_path / "x.svg"  # type: ignore[arg-type]
    assert output_file(None, OPTION, None) is None  # type: ignore[arg-type]


def test_an_output_folder_is_any_name_but_an_empty_one(tmp_path: Path) -> None:
    assert _refused(output_folder, "  ") == "expected a folder, got an empty name"
    assert output_folder(None, OPTION, str(tmp_path / "new")) == tmp_path / "new"  # type: ignore[arg-type]


def test_an_input_that_must_exist_names_what_is_there_instead(tmp_path: Path) -> None:
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(click.BadParameter, match="is a named pipe, not an audio file"):
        existing(fifo, "--music", "file", "an audio file")
    with pytest.raises(click.BadParameter, match="file '.*nothing' not found"):
        existing(tmp_path / "nothing", "--music", "file", "an audio file")
    with pytest.raises(click.BadParameter, match="is a folder, not an audio file"):
        existing(tmp_path, "--music", "file", "an audio file")
    assert existing(tmp_path, "--recordings", "folder", "a folder", folder_too=True) == tmp_path


# ----------------------------------------------------------------------------- one rule for a loop of links


@pytest.mark.parametrize("option", ["--profile", "--roster", "--music", "--recordings"])
def test_a_loop_of_links_given_to_an_option_is_the_usage_error_a_missing_file_is(tmp_path, monkeypatch, option) -> None:  # type: ignore[no-untyped-def]
    """A file an option names that cannot be read is a usage error (exit 2), a loop of links
    as a missing file: the routine argument and what a routine names are said located (1)."""
    from click.testing import CliRunner

    from matcue.cli.main import cli

    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nsteps:\n  - say: Hello.\n")
    monkeypatch.chdir(tmp_path)
    loop = Path("loop.yaml")
    loop.symlink_to(loop.name)
    for given in (loop, Path("missing.yaml")):
        r = CliRunner().invoke(
            cli, ["render", str(routine), "--backend", "fake", "-o", str(tmp_path), option, str(given)]
        )
        assert r.exit_code == 2, r.output
        assert f"Error: Invalid value for '{option}': " in r.output
    r = CliRunner().invoke(cli, ["render", str(routine), "--backend", "fake", "-o", str(tmp_path), option, str(loop)])
    said = f"Error: Invalid value for '{option}': 'loop.yaml' cannot be read: Too many levels of symbolic links\n"
    assert r.output.endswith(said)


def test_a_loop_of_links_as_the_routine_is_located_as_a_missing_routine_is(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from matcue.cli.main import cli

    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop.name)
    r = CliRunner().invoke(cli, ["check", str(loop), str(tmp_path / "missing.yaml")])
    assert r.exit_code == 1
    assert r.output == (
        f"{loop}:1:1: cannot be read: Too many levels of symbolic links\n"
        f"{tmp_path / 'missing.yaml'}: no such file\n2 problems found\n"
    )
