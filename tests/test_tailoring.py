"""Tailoring a session (--duration, --pace, --breath, --verbosity, profiles) and rosters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcue.core.errors import RoutineError
from matcue.plan.compile import Options, compile_routine
from matcue.plan.fit import FitError, fitted_script, length_range
from matcue.plan.layout import layout
from matcue.routine.loader import load_routine, loads_routine
from matcue.routine.profile import load_profile, load_roster, parse_breath
from matcue.settings import Output, Settings, tailor

ROOT = Path(__file__).parent.parent
HAMSTRING = ROOT / "routines" / "hamstring-stretch.yaml"
PROFILES = ROOT / "routines" / "profiles"
DATA = Path(__file__).parent / "data" / "profiles"


def made_up_lengths(texts: list[str]) -> dict[str, int]:
    """Speech lengths without a voice: 60 ms a character, 300 ms more."""
    return {t: 60 * len(t) + 300 for t in texts}


def fitted_total(routine, options: Options) -> int:
    script = compile_routine(routine, options)
    script = fitted_script(routine, script, options, made_up_lengths(script.texts()))
    return layout(script, made_up_lengths(script.texts())).total_ms


# ----------------------------------------------------------------------------- --duration (pure)


@pytest.mark.parametrize("level", ["beginner", "advanced"])
@pytest.mark.parametrize("pace", [1.0, 1.3])
@pytest.mark.parametrize("target_ms", [8 * 60_000 + 30_000, 10 * 60_000])
def test_duration_is_met_at_each_level_and_pace(level, pace, target_ms):
    routine = load_routine(HAMSTRING)
    total = fitted_total(routine, Options(level=level, pace=pace, duration_ms=target_ms))
    assert abs(total - target_ms) <= 1000


def test_holds_in_breaths_change_by_whole_breaths_and_both_sides_alike():
    routine = load_routine(HAMSTRING)
    opts = Options(duration_ms=8 * 60_000)
    script = compile_routine(routine, opts)
    script = fitted_script(routine, script, opts, made_up_lengths(script.texts()))
    holds = [s for s in script.segments if type(s).__name__ == "Block" and s.title.startswith("Seated hamstring")]
    for h in holds:
        assert h.dur_ms % 10_000 == 0  # a breath of the routine is 4 s + 6 s
    by_title: dict[str, set[int]] = {}
    for h in holds:
        by_title.setdefault(h.title.split(" (")[0], set()).add(h.dur_ms)
    assert all(len(lengths) == 1 for lengths in by_title.values())  # each side gets the same hold


def test_fit_bounds_are_respected():
    routine = loads_routine(
        "title: T\nsteps:\n  - timer: Plank\n    duration: 1m\n    fit: {min: 50s, max: 70s}\n  - rest: 1m\n",
        "t.yaml",
    )
    script = compile_routine(routine)
    lengths = made_up_lengths(script.texts())
    shortest, longest = length_range(script, lengths)
    fixed = layout(script, lengths).total_ms - 120_000
    assert (shortest, longest) == (fixed + 50_000 + 30_000, fixed + 70_000 + 120_000)


def test_impossible_duration_names_the_achievable_range():
    routine = load_routine(HAMSTRING)
    with pytest.raises(FitError) as e:
        fitted_total(routine, Options(duration_ms=60 * 60_000))
    assert e.value.target_ms == 3_600_000
    assert e.value.shortest_ms < e.value.longest_ms < 3_600_000


# ----------------------------------------------------------------------------- other options


def test_pace_and_breath_change_the_breath_pattern():
    routine = load_routine(HAMSTRING)
    lengths = lambda s: made_up_lengths(s.texts())  # noqa: E731

    def inhales(opts: Options) -> set[int]:
        s = compile_routine(routine, opts)
        return {e.dur_ms for e in layout(s, lengths(s)).events if e.kind == "inhale"}

    assert inhales(Options()) == {4000}
    assert inhales(Options(pace=1.2)) == {4800}
    assert inhales(Options(breath=parse_breath("5:7"))) == {5000, 4000}  # the exercise keeps its pattern
    assert parse_breath("4:2:6:2").cycle_ms == 14_000


def test_a_paced_breathing_exercise_announces_counts_a_teacher_would_say():
    routine = load_routine(HAMSTRING)
    texts = compile_routine(routine, Options(pace=1.3)).texts()  # 4:6 becomes 5.2 s : 7.8 s
    assert "Arrive. Breathe in for five, out for eight." in texts
    texts = compile_routine(routine, Options(pace=1.125)).texts()  # 4.5 s : 6.75 s
    assert "Arrive. Breathe in for four and a half, out for seven." in texts


def test_verbosity_chooses_wording_and_drops_optional_cues():
    routine = load_routine(HAMSTRING)

    def texts(v):
        return compile_routine(routine, Options(verbosity=v)).texts()

    brief, normal, full = texts("brief"), texts("normal"), texts("full")
    assert "Stay down, hands towards your knee." in brief
    assert "Imagine the breath moving up the back of your leg." not in brief
    assert "Imagine the breath moving up the back of your leg." in normal
    assert any("Keep the left knee soft" in t for t in full)
    assert normal == texts(None)
    assert len(brief) < len(normal) < len(full) + 1


def test_skip_leaves_out_a_step_and_an_unknown_name_is_located():
    routine = load_routine(HAMSTRING)
    dev = load_profile(PROFILES / "dev.yaml")
    script = compile_routine(routine, tailor(dev, Options()))
    assert not any("Second round" in t for t in script.texts())
    yuri = load_profile(DATA / "skip-unknown.yaml")
    with pytest.raises(RoutineError) as e:
        compile_routine(routine, tailor(yuri, Options()))
    assert str(e.value) == (
        f"{DATA / 'skip-unknown.yaml'}:4:5: skip[1]: no step or section of 'Seated hamstring stretch' "
        "is named 'Assisted entry' (names are: Arrive, Hamstring stretch, Warm-up reps, Seated hamstring stretch, "
        "Second round, a longer hold, Seated hamstring stretch, longer hold)"
    )


def test_command_line_overrides_the_profile():
    anna = load_profile(PROFILES / "anna.yaml")
    opts = tailor(anna, Options(level="advanced", vars=(("teacher", "Ben"),)))
    assert (opts.level, opts.first_side, opts.verbosity, opts.duration_ms) == ("advanced", "left", "brief", 480_000)


# ----------------------------------------------------------------------------- profiles


def test_example_profiles_and_roster_validate():
    people = load_roster(PROFILES / "class.yaml")
    assert len(people) == 8 and all(not isinstance(p, RoutineError) for p in people)
    assert len(load_roster(PROFILES)) == 8  # the folder form skips the roster file itself


def test_profile_errors_are_located():
    with pytest.raises(RoutineError) as e:
        load_profile(DATA / "bad.yaml")
    path = DATA / "bad.yaml"
    assert str(e.value) == (
        f"{path}:2:1: levle: unknown key 'levle' (did you mean 'level'?)\n"
        f"{path}:3:7: pace: expected a number from 0.8 to 1.5, got 2 (1.2 makes every breath 20% longer)\n"
        f"{path}:4:9: breath: expected inhale:exhale seconds like '5:7' or '4:2:6:2', got '5-7'\n"
        f"{path}:5:11: duration: expected a duration like '30s' or '1m30s', got 'soon'"
    )


# ----------------------------------------------------------------------------- command line


def test_script_json_has_the_fitted_total(run, fake_voice):
    r = run("script", "routines/hamstring-stretch.yaml", "--backend", "fake", "--duration", "8m", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["total_ms"] == 480_000
    r = run("script", "routines/hamstring-stretch.yaml", "--backend", "fake", "--profile", str(PROFILES / "ben.yaml"))
    assert r.stdout.startswith("Seated hamstring stretch — 11:00 (660000 ms)\n")


def test_impossible_duration_is_refused_exit_1(run, fake_voice):
    r = run("script", "routines/hamstring-stretch.yaml", "--backend", "fake", "--duration", "1h")
    assert r.exit_code == 1
    assert r.stderr == (
        "Error: cannot fit 'Seated hamstring stretch' into 1:00:00; with these settings it takes from "
        "5:52.2 (shortest) to 9:49.2 (longest)\n"
    )


def test_roster_of_8_renders_every_track_with_a_summary(run, fake_voice, tmp_path):
    from mutagen.id3 import ID3

    out = tmp_path / "out"
    r = run("render", "routines/hamstring-stretch.yaml", "--roster", str(PROFILES / "class.yaml"),
            "--backend", "fake", "-o", str(out), "--workers", "2")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["person", "length", "file"]
    assert [line.split()[0] for line in lines[1:]] == ["Anna", "Ben", "Chloe", "Dev", "Elif", "Farid", "Hugo", "Grace"]
    assert "8:00" in lines[1] and "11:00" in lines[2]
    files = sorted(p.name for p in out.glob("*.mp3"))
    assert len(files) == 8 and "seated-hamstring-stretch--anna.mp3" in files
    assert str(ID3(out / "seated-hamstring-stretch--anna.mp3")["TIT2"]) == "Seated hamstring stretch — Anna"


def test_a_roster_folders_summary_names_each_bad_profile_file(run, fake_voice, tmp_path):
    import os

    roster = tmp_path / "class"
    roster.mkdir()
    (roster / "anna.yaml").write_text("name: Anna\n")
    (roster / "bad.yaml").write_text("name: [\n")
    (roster / "dir.yaml").mkdir()  # named like a profile: said, not skipped
    os.symlink(tmp_path / "nowhere.yaml", roster / "gone.yaml")
    os.symlink("/dev/zero", roster / "zero.yaml")
    r = run("render", "routines/hamstring-stretch.yaml", "--roster", str(roster),
            "--backend", "fake", "-o", str(tmp_path / "out"))  # fmt: skip
    assert r.exit_code == 1
    rows = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert rows == ["Anna", "bad.yaml", "dir.yaml", "gone.yaml", "zero.yaml"]  # never the routine's path
    assert f"{roster / 'dir.yaml'}: is a folder, not a profile file" in r.stderr
    assert "4 of 5 tracks not rendered" in r.stderr


def test_a_parallel_roster_is_planned_longest_first_with_each_phrase_spoken_once(fake_voice, tmp_path):
    from matcue.batch import TrackJob, longest_first, plan_track

    people = load_roster(PROFILES / "class.yaml")
    jobs = [TrackJob(str(HAMSTRING), p.slug, p, Settings(voice=_fake_voice(), output=Output(tmp_path))) for p in people]
    order = longest_first(jobs)
    spoken = fake_voice.calls
    lengths = [plan_track(jobs[i]) for i in order]
    assert sorted(order) == list(range(8))
    assert lengths == sorted(lengths, reverse=True) and lengths[0] == 660_000  # Ben's 11:00 first
    assert fake_voice.calls == spoken > 40  # planning again (as each worker does) speaks nothing


def test_one_bad_profile_does_not_stop_the_others(run, fake_voice, tmp_path):
    out = tmp_path / "out"
    # the roster names profiles in routines/profiles/, outside its folder: --allow-outside
    r = run("render", "routines/hamstring-stretch.yaml", "--roster", str(DATA / "class-with-bad.yaml"),
            "--profile", str(DATA / "skip-unknown.yaml"), "--backend", "fake", "-o", str(out),
            "--allow-outside")  # fmt: skip
    assert r.exit_code == 1
    assert sorted(p.name for p in out.glob("*.mp3")) == [
        "seated-hamstring-stretch--anna.mp3",
        "seated-hamstring-stretch--chloe.mp3",
    ]
    assert f"{DATA / 'class-with-bad.yaml'}:3:9: [1].pace: expected a number from 0.8 to 1.5, got 3" in r.stderr
    assert "[3]: profile file" in r.stderr and "missing.yaml' does not exist" in r.stderr
    assert "skip-unknown.yaml:4:5: skip[1]: no step or section" in r.stderr
    assert r.stderr.endswith("3 of 5 tracks not rendered\n")
    assert "not rendered" in r.stdout


@pytest.mark.ffmpeg
def test_rendered_length_matches_the_duration_and_the_script(run, fake_voice, tmp_path):
    import audiocheck as ac

    if not ac.have_ffmpeg():
        pytest.skip("needs ffmpeg")
    out = tmp_path / "out"
    r = run("render", "routines/hamstring-stretch.yaml", "--backend", "fake", "--duration", "7m30s",
            "--pace", "1.1", "-o", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    measured = ac.duration_ms(ac.decode(out / "seated-hamstring-stretch.mp3"))
    assert abs(measured - 450_000) <= 1000


# ----------------------------------------------------------------------------- Dask


def test_roster_on_a_local_dask_cluster(tmp_path, voice_cache_dir):
    distributed = pytest.importorskip("distributed")
    from matcue.batch import render_for_people

    people = load_roster(PROFILES / "class.yaml")[:3]
    with distributed.LocalCluster(
        n_workers=2, processes=True, host="127.0.0.1", threads_per_worker=1, dashboard_address=None
    ) as cluster:
        results = render_for_people(
            HAMSTRING,
            people,
            Settings(voice=_fake_voice(), output=Output(tmp_path)),
            scheduler=cluster.scheduler_address,
        )
    assert [r.person for r in results] == ["Anna", "Ben", "Chloe"]
    assert all(r.ok for r in results), [r.errors for r in results]
    assert [r.total_ms for r in results] == [480_000, 660_000, 420_000]
    assert sorted(p.name for p in tmp_path.glob("*.mp3")) == [
        "seated-hamstring-stretch--anna.mp3",
        "seated-hamstring-stretch--ben.mp3",
        "seated-hamstring-stretch--chloe.mp3",
    ]


def _fake_voice():
    from matcue.api import VoiceOverrides

    return VoiceOverrides(backend="fake")


def test_an_empty_roster_entry_is_an_empty_name_not_the_folder(tmp_path):
    roster = tmp_path / "class.yaml"
    roster.write_text("- ''\n- '  '\n- name: Anna\n")
    empty, blank, anna = load_roster(roster)
    assert str(empty) == f"{roster}:1:3: [0]: expected a path to a profile file, got an empty name"
    assert str(blank) == f"{roster}:2:3: [1]: expected a path to a profile file, got an empty name"
    assert anna.name == "Anna"  # type: ignore[union-attr]


def test_a_roster_folder_reads_profiles_whatever_the_case_of_their_suffix(tmp_path):
    """u.YAML was skipped without a word while y.yml was read."""
    (tmp_path / "a.yaml").write_text("name: A\n")
    (tmp_path / "u.YAML").write_text("name: U\n")
    (tmp_path / "y.Yml").write_text("name: Y\n")
    (tmp_path / "notes.txt").write_text("name: N\n")
    people = load_roster(tmp_path)
    assert sorted(p.name for p in people) == ["A", "U", "Y"]
