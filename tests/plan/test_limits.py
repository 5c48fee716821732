"""Limits said right: a length limit applies to the track as it will be (after --duration
fits it, after --pace), and its message is located at what pushed the track past it (a
text, a rest, a hold; a profile's key), with durations that never round to another."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from matcue.core.durations import duration_text
from matcue.core.errors import RoutineError
from matcue.core.limits import Limits, Work
from matcue.plan.budget import check_script
from matcue.plan.compile import Options, compile_routine
from matcue.plan.layout import check_length, layout
from matcue.routine.loader import loads_routine
from matcue.routine.profile import load_roster
from matcue.voice.lexicon import Lexicon

WORDS = " ".join(["word"] * 120)
HINT = "(shorten it, or raise the limit with --max-length)"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_say_that_pushes_past_the_limit_is_where_it_is_located(run, tmp_path, fake_voice):
    late = _write(
        tmp_path, "late3.yaml", f"title: L\nsteps:\n  - pose: A\n    hold: 5s\n  - say: {WORDS}\n  - rest: 3s\n"
    )
    r = run("script", str(late), "--backend", "fake", "--max-length", "30s")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{late}:5:10: steps[1].say: the routine is longer than the limit of 30s here")


def test_the_rest_that_pushes_past_the_limit_is_where_it_is_located(run, tmp_path, fake_voice):
    late = _write(
        tmp_path, "late4.yaml", "title: L\nsteps:\n  - say: Hello there, welcome to this session.\n  - rest: 17s\n"
    )
    r = run("script", str(late), "--backend", "fake", "--max-length", "20s")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{late}:4:5: steps[1]: the routine is longer than the limit of 20s here (at least 2")


def test_a_limit_under_a_second_is_never_shown_as_zero(run):
    r = run("check", "tests/data/ok/e2e.yaml", "--max-length", "0.4s")
    assert r.exit_code == 1
    assert "the routine is longer than the limit of 0.4s here (at least " in r.stderr
    assert "limit of 0s" not in r.stderr


def test_a_duration_under_the_limit_fits_a_routine_written_over_it(run, tmp_path, fake_voice):
    long = _write(tmp_path, "r7.yaml", "title: R7\nsteps:\n  - rest: 3h30m\n  - rest: 3h30m\n")
    r = run("script", str(long), "--backend", "fake", "--duration", "5h", "--json")
    assert r.exit_code == 0, r.stderr
    assert '"total_ms": 18000000' in r.stdout
    r = run("script", str(long), "--backend", "fake")
    assert r.exit_code == 1
    assert f"{long}:4:5: steps[1]: the routine is longer than the limit of 6h here (at least 7h) {HINT}" in r.stderr


def test_a_track_over_the_limit_by_its_guessed_speech_is_refused_before_any_is_spoken(run, tmp_path, fake_voice):
    """300 000 characters of speech were synthesized for more than ten minutes, and only then
    refused for the length ``check`` had refused them for at once."""
    long = _write(tmp_path, "talk.yaml", "title: T\nsteps:\n" + f"  - say: {WORDS}\n" * 20)
    r = run("render", str(long), "--backend", "fake", "--max-length", "5m", "-o", str(tmp_path / "out"))
    assert r.exit_code == 1
    assert r.stderr == (
        f"{long}:9:10: steps[6].say: the routine is longer than the limit of 5m here (at least 5m41.95s with speech, "
        f"guessed before any is spoken) {HINT}\n1 routine not rendered\n"
    )
    assert fake_voice.calls == 0 and not (tmp_path / "out").exists()
    assert run("check", str(long), "--max-length", "5m").stderr.startswith(f"{long}:9:10: steps[6].say: ")


def test_check_and_render_guess_speech_at_the_backends_own_rate(run, tmp_path, fake_voice, monkeypatch):
    """``check`` guessed at 150 words a minute while render's guess before synthesis took the
    backend's tuned rate: near the limit, ``check`` passed a routine render then refused."""
    monkeypatch.setattr(type(fake_voice), "default_rate_wpm", 100, raising=False)
    talk = _write(tmp_path, "slow.yaml", f"title: S\nvoice:\n  backend: fake\nsteps:\n  - say: {WORDS}\n")
    # 120 words: 48s at 150 words a minute, 72s at the backend's 100
    r = run("check", str(talk), "--max-length", "1m")
    assert r.exit_code == 1
    assert r.stderr == (
        f"{talk}:5:10: steps[0].say: the routine is longer than the limit of 1m here (at least 1m12.25s "
        f"with speech) {HINT}\n1 problem found\n"
    )
    r = run("render", str(talk), "--max-length", "1m", "-o", str(tmp_path / "out"))
    assert r.exit_code == 1 and f"{talk}:5:10: steps[0].say: the routine is longer than the limit of 1m" in r.stderr
    assert fake_voice.calls == 0
    assert run("check", str(talk), "--max-length", "80s").exit_code == 0


def test_the_guessed_length_walks_the_script_as_layout_does():
    script = compile_routine(
        loads_routine("title: G\nsteps:\n  - say: One.\n  - pose: A\n    hold: 10s\n  - say: Two.\n", name="g.yaml"),
        Options(max_total_ms=60_000),
    )
    guess = dict.fromkeys(script.texts(), 1000)
    total = layout(script, guess).total_ms
    check_length(script, guess)  # the track as laid out: within the limit
    with pytest.raises(RoutineError) as e:
        check_length(replace(script, max_total_ms=total - 1), guess)
    (problem,) = e.value.problems
    assert str(problem).startswith("g.yaml:6:10: steps[2].say: the routine is longer than the limit of ")
    assert str(problem).endswith(f"(it lasts {duration_text(total)} with speech, guessed before any is spoken) {HINT}")
    check_length(replace(script, max_total_ms=None), guess)


def test_the_events_limit_is_located_at_the_step_that_passes_it():
    routine = loads_routine(
        "title: E\nsteps:\n  - say: Hi.\n  - pose: A\n    hold: 100 breaths\n  - pose: B\n    hold: 100 breaths\n",
        name="e.yaml",
    )
    script = compile_routine(routine)
    with pytest.raises(RoutineError) as e:
        check_script(script, Lexicon(), "e", Work(Limits(events=600)))
    (problem,) = e.value.problems
    assert str(problem).startswith("e.yaml:6:5: steps[2]: the routine makes about ")


# ----------------------------------------------------------------------------- the breath floor, paced

FLOOR = "pace 0.8 makes the inhale 0.2s; inhale and exhale must be at least 0.25s each"


def test_pace_cannot_take_a_routines_breath_under_the_floor(run, tmp_path, fake_voice):
    fast = _write(
        tmp_path,
        "fast.yaml",
        "title: F\nbreath: {inhale: 0.25, exhale: 0.25}\nsteps:\n  - pose: A\n    hold: 10 breaths\n",
    )
    r = run("script", str(fast), "--backend", "fake", "--pace", "0.8", "--json")
    assert r.exit_code == 1
    assert r.stderr == f"{fast}:2:9: breath: {FLOOR} (slow the pace, or lengthen the breath)\n"


def test_pace_and_breath_flags_under_the_floor_are_a_usage_error(run):
    r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", "--breath", "0.25:0.25", "--pace", "0.8")
    assert r.exit_code == 2
    assert f"Invalid value for '--pace': with --breath 0.25:0.25, {FLOOR}\n" in r.stderr


def test_a_profiles_pace_under_the_floor_is_located_at_the_profile(run, tmp_path, fake_voice):
    profile = _write(tmp_path, "p.yaml", "name: P\npace: 0.8\n")
    r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", "--breath", "0.3:0.3", "--profile", str(profile))
    assert r.exit_code == 1
    assert r.stderr == f"{profile}:2:7: pace: {FLOOR} (slow the pace, or lengthen the breath)\n"


def test_a_profiles_duration_that_cannot_fit_is_located_at_the_profile(run, tmp_path, fake_voice):
    profile = _write(tmp_path, "d.yaml", 'name: D\nduration: "5s "\n')
    r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", "--profile", str(profile))
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{profile}:2:11: duration: cannot fit ")


def test_a_flag_wins_over_the_profile_and_so_does_its_place(tmp_path):
    from matcue.routine.profile import load_profile
    from matcue.settings import tailor

    profile = load_profile(_write(tmp_path, "d.yaml", "name: D\nduration: 20m\npace: 1.2\n"))
    options = tailor(profile, Options(duration_ms=60_000))
    assert options.mark("duration_ms") is None
    assert str(options.mark("pace")) == f"{tmp_path / 'd.yaml'}:3:7"


# ----------------------------------------------------------------------------- other files, other numbers


def test_an_empty_roster_is_said_to_be_empty(tmp_path):
    roster = _write(tmp_path, "class.yaml", "[]\n")
    with pytest.raises(RoutineError) as e:
        load_roster(roster)
    assert [str(p) for p in e.value.problems] == [
        f"{roster}:1:1: expected a list of profiles: '- name: Anna' or '- anna.yaml', got an empty list"
    ]


@pytest.mark.parametrize("kind", ["profile", "roster"])
def test_an_oversized_profile_or_roster_is_named_for_what_it_is(tmp_path, kind):
    from matcue.routine.profile import load_profile

    big = _write(tmp_path, "big.yaml", "name: Big\n" + "#" * 5_400_000 + "\n")
    with pytest.raises(RoutineError) as e:
        load_profile(big) if kind == "profile" else load_roster(big)
    assert [str(p) for p in e.value.problems] == [f"{big}:1:1: the file is 5.5 MB; a {kind} may be at most 5 MB"]


def test_a_huge_number_flag_is_a_short_usage_error(run):
    nines = "9" * 5000
    for flag in ("--rate", "--countdown", "--pace"):
        r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", flag, nines)
        assert r.exit_code == 2, flag
        assert len(r.stderr) < 300, flag
    r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", "--breath", nines + ":1")
    assert r.exit_code == 2
    assert len(r.stderr) < 400


def test_a_huge_matcue_jobs_is_an_error_naming_it(run, tmp_path, monkeypatch, fake_voice):
    monkeypatch.setenv("MATCUE_JOBS", "9" * 5000)
    r = run("render", "tests/data/ok/e2e.yaml", "--backend", "fake", "-o", str(tmp_path / "x"))
    assert r.exit_code == 1
    assert "Error: MATCUE_JOBS must be a whole number from 1 to 256, got '99999999999999999 ... " in r.stderr
    r = run("doctor")
    assert "MATCUE_JOBS must be a whole number from 1 to 256" in r.stdout + r.stderr


def test_a_deleted_working_folder_is_a_clear_error(run, tmp_path, monkeypatch):
    routine = Path("tests/data/ok/e2e.yaml").resolve()
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)  # monkeypatch (through run) goes back to the project at the end
    gone.rmdir()
    from click.testing import CliRunner

    from matcue.cli.main import cli

    r = CliRunner().invoke(cli, ["check", str(routine)], catch_exceptions=False)
    assert r.exit_code == 1
    assert r.stderr == (
        "Error: the working folder no longer exists (it was deleted or moved away); "
        "cd to a folder that exists and run matcue again\n"
    )


def test_a_duration_flag_over_the_limit_is_a_usage_error(run):
    r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", "--duration", "7h")
    assert r.exit_code == 2
    assert "Invalid value for '--duration': 7h is longer than the limit of 6h (raise the limit with --max-length)" in (
        r.stderr
    )
