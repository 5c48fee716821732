"""A profile's problems are said where they are: one profile given twice (by ``--profile``,
in a roster, or both) is refused naming the second place, before any track is rendered;
a profile's ``vars:`` and ``pace:`` problems are located at the profile's own lines, not at
the routine's text or breath pattern they meet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matcue.core.errors import RoutineError
from matcue.plan.compile import Options, compile_routine
from matcue.routine.loader import loads_routine
from matcue.routine.profile import load_profile, load_roster
from matcue.settings import tailor

ROUTINE = "title: Test\nsteps:\n  - say: Hello {teacher}.\n  - pose: Tree\n    hold: 5s\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the current folder, with a routine r.yaml, a profile a.yaml and a
    symbolic link link.yaml to it."""
    (tmp_path / "r.yaml").write_text(ROUTINE)
    (tmp_path / "a.yaml").write_text("name: Anna\nvars: {teacher: Maya}\n")
    os.symlink("a.yaml", tmp_path / "link.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- given twice


@pytest.mark.parametrize(
    "second, message",
    [
        ("a.yaml", "profile file 'a.yaml' is given twice"),
        ("./a.yaml", "profile file 'a.yaml' is given twice"),
        ("link.yaml", "profile file 'link.yaml' is given twice: it is the same file as 'a.yaml'"),
    ],
)
@pytest.mark.parametrize("command", ["render", "pack"])
def test_one_profile_given_twice_is_a_usage_error_before_any_track(run, folder, fake_voice, command, second, message):
    """It rendered Anna's track, then said "name: 'Anna' is in the roster twice (an alias
    repeats this entry)" of two --profile options, exit 1."""
    out = folder / "out"
    r = run(command, str(folder / "r.yaml"), "-o", str(out), "--profile", "a.yaml", "--profile", second)
    assert r.exit_code == 2, r.output
    assert f"Error: Invalid value for '--profile': {message}\n" in r.stderr
    assert not out.exists() and fake_voice.calls == 0  # type: ignore[attr-defined]


def test_a_hard_link_to_a_profile_is_the_same_profile(run, folder):
    os.link(folder / "a.yaml", folder / "hard.yaml")
    r = run("render", "r.yaml", "-o", "out", "--profile", "a.yaml", "--profile", "hard.yaml", "--backend", "fake")
    assert r.exit_code == 2
    assert "profile file 'hard.yaml' is given twice: it is the same file as 'a.yaml'" in r.stderr


def test_one_profile_file_twice_in_a_roster_is_the_error_of_its_second_entry(folder):
    (folder / "class.yaml").write_text("- a.yaml\n- name: Bob\n- ./a.yaml\n- link.yaml\n")
    people = load_roster(folder / "class.yaml")
    assert [p.name for p in people[:2]] == ["Anna", "Bob"]  # type: ignore[union-attr]
    assert [str(p) for p in people[2:]] == [
        f"{folder}/class.yaml:3:3: [2]: profile file './a.yaml' is given twice (first at {folder}/class.yaml:1:3)",
        f"{folder}/class.yaml:4:3: [3]: profile file 'link.yaml' is given twice (first at {folder}/class.yaml:1:3)",
    ]


def test_a_roster_entry_given_with_profile_too_is_located_and_the_rest_render(run, folder, fake_voice):
    (folder / "class.yaml").write_text("- name: Bob\n  vars: {teacher: Kim}\n- link.yaml\n")
    r = run("render", "r.yaml", "-o", "out", "--profile", "a.yaml", "--roster", "class.yaml", "--backend", "fake")
    assert r.exit_code == 1
    assert "class.yaml:3:3: [1]: profile file 'link.yaml' is given twice (first given with --profile)\n" in r.stderr
    assert r.stderr.endswith("1 of 3 tracks not rendered\n")
    assert sorted(p.name for p in (folder / "out").glob("*.mp3")) == ["test--anna.mp3", "test--bob.mp3"]


def test_a_link_in_a_roster_folder_to_another_profile_there_is_refused(folder):
    people_dir = folder / "class"
    people_dir.mkdir()
    (people_dir / "a.yaml").write_text("name: Anna\n")
    os.symlink("a.yaml", people_dir / "b.yaml")
    people = load_roster(people_dir)
    assert people[0].name == "Anna"  # type: ignore[union-attr]
    assert str(people[1]) == f"{people_dir}/b.yaml: the profile file is given twice (first as 'a.yaml')"
    again = load_roster(people_dir, given=[people_dir / "a.yaml"])
    assert [str(p) for p in again] == [
        f"{people_dir}/a.yaml: the profile file is given twice (first given with --profile)",
        f"{people_dir}/b.yaml: the profile file is given twice (first given with --profile)",
    ]


# ----------------------------------------------------------------------------- located in the profile


def _compiled(routine: str, profile: Path, given: Options = Options()) -> str:
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(routine, "r.yaml"), tailor(load_profile(profile), given))
    return str(e.value)


def test_a_loop_in_a_profiles_vars_is_located_at_the_profile(tmp_path):
    """It was located at the routine's cue ("r.yaml:3:10: steps[0].say: the value of
    {teacher} holds braces"), a line with nothing wrong on it."""
    profile = tmp_path / "p.yaml"
    profile.write_text('name: Pat\nvars:\n  teacher: "{x}"\n  x: "{teacher}"\n')
    assert _compiled(ROUTINE, profile) == (
        f"{profile}:3:12: vars.teacher: the value of {{teacher}} holds braces ('{{x}}'); a value is not filled "
        "in again (write the words themselves in the value)"
    )
    # --set replaces the profile's value: its problem is the cue's again
    assert _compiled(ROUTINE, profile, Options(vars=(("teacher", "{y}"),))).startswith(
        "r.yaml:3:10: steps[0].say: the value of {teacher} holds braces ('{y}')"
    )


def test_a_profiles_pace_that_breaks_the_breath_floor_is_located_at_the_profile(tmp_path):
    """It was located at the routine's breath pattern ("r.yaml:2:9: breath: pace 0.8 makes
    the inhale 0.2s"), which is within the rules."""
    profile = tmp_path / "p.yaml"
    profile.write_text("name: Pat\npace: 0.8\n")
    routine = "title: T\nbreath: {inhale: 0.3, exhale: 0.3}\nsteps:\n  - pose: P\n    hold: 3 breaths\n"
    floor = "pace 0.8 makes the inhale 0.2s; inhale and exhale must be at least 0.25s each"
    assert _compiled(routine, profile) == f"{profile}:2:7: pace: {floor} (slow the pace, or lengthen the breath)"
    own = "title: T\nsteps:\n  - breathe: B\n    pattern: {inhale: 0.3, exhale: 4}\n    rounds: 2\n"
    assert _compiled(own, profile).startswith(f"{profile}:2:7: pace: {floor}")  # an exercise's own pattern too
    # a pace given on the command line: the pattern's place, as before
    assert _compiled(routine, tmp_path / "p.yaml", Options(pace=0.8)).startswith(f"r.yaml:2:9: breath: {floor}")
