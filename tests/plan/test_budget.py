"""One budget for every expansion (matcue.core.limits): each limit applies to the expanded value,
and the work of one command is counted and refused before any synthesis starts.

No test here times anything: each shows the refusal happens before the work (no phrase
synthesized, few files read, bounded memory), or runs in a subprocess under a CPU-time
and address-space limit that the old behaviour passed many times over.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from matcue.api import VoiceOverrides, build_timeline, estimate_speech_ms
from matcue.core import limits as budget
from matcue.core.errors import RoutineError
from matcue.core.limits import Limits
from matcue.plan.budget import estimate_events
from matcue.plan.compile import Options, compile_routine
from matcue.plan.layout import layout
from matcue.routine import yamlread, yamlschema
from matcue.routine.loader import load_routine, loads_routine
from matcue.routine.profile import load_roster, loads_profile
from matcue.settings import Output, Settings

ROOT = Path(__file__).resolve().parents[2]
FAKE = VoiceOverrides(backend="fake")


def _check_bounded(cwd: Path, routine: str, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    """``matcue check ROUTINE`` in a subprocess run from ``cwd`` under 20 s of CPU time (and
    ``memory`` bytes of address space): a budget that fails lets it be killed, not hang."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "matcue", "check", routine], capture_output=True, text=True, preexec_fn=limits,
        cwd=cwd, timeout=300,
    )  # fmt: skip


def _problems(e: pytest.ExceptionInfo[RoutineError]) -> list[str]:
    return [str(p) for p in e.value.problems]


# ----------------------------------------------------------------------------- texts after {vars}


def test_vars_are_limited_once_filled_in_and_the_big_text_is_never_built(tmp_path, fake_voice):
    """The 2 KB routine that made `script` run for 17 minutes: 600 placeholders of a
    2000-character value in a text, aliased into 5000 steps."""
    routine = tmp_path / "grow.yaml"
    routine.write_text(
        "title: Grow\nvars:\n  w: " + "x" * 2000 + "\nsteps:\n  - &s {say: \"" + "{w}" * 600 + "\"}\n"
        + "".join("  - *s\n" for _ in range(4999))
    )  # fmt: skip
    tracemalloc.start()
    with pytest.raises(RoutineError) as e:
        build_timeline(routine, voice=FAKE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    got = _problems(e)
    assert got[0] == (
        f"{routine}:5:14: steps[0].say: text is 1200000 characters long once {{vars}} are filled in; "
        "the limit text_chars allows at most 2000 (split it into several cues, or shorten the values it uses)"
    )
    assert len(got) == 201 and got[-1].endswith("more than 200 problems; stopped looking")
    assert fake_voice.calls == 0
    assert peak < 60_000_000  # 5000 texts of 1.2 MB would be 6 GB


def test_set_values_count_too():
    r = loads_routine("title: T\nsteps:\n  - say: '{a} {a}'\n", name="t.yaml")
    with pytest.raises(RoutineError) as e:
        compile_routine(r, Options(vars=(("a", "y" * 1500),)))
    assert "text is 3001 characters long once {vars} are filled in; the limit text_chars allows at most 2000" in str(
        e.value
    )


# ----------------------------------------------------------------------------- the lexicon


@pytest.mark.parametrize("language", ["en", "de", "es", "fr"])
def test_numbers_that_grow_past_spoken_chars_are_located_at_each_cue(language: str) -> None:
    """A 1990-digit number spelled out in words passes spoken_chars: it was reported at the
    routine's 1:1 with a hint about the lexicon, and only the first such cue (hostile round
    three). Now each cue at its own place, with a hint about numbers."""
    from matcue.plan.budget import check_script
    from matcue.voice.lexicon import Lexicon

    text = (
        f"title: T\nlanguage: {language}\nsteps:\n  - say: Hello.\n  - say: x {'9' * 1990} y\n"
        f"  - say: {' '.join(['1234567,89'] * 150)}\n"
    )
    script = compile_routine(loads_routine(text, "r.yaml"))
    with pytest.raises(RoutineError) as e:
        check_script(script, Lexicon(), "k", budget.Work(Limits()))
    got = [(str(p.mark), p.where, p.hint) for p in e.value.problems]
    hint = "write long numbers in words, or shorten the text"
    assert got == [("r.yaml:5:10", "steps[1].say", hint), ("r.yaml:6:10", "steps[2].say", hint)]


def test_a_lexicon_that_grows_each_word_is_refused_before_synthesis(tmp_path, fake_voice):
    routine = tmp_path / "lex.yaml"
    routine.write_text(
        "title: L\nlexicon:\n  a: {say: a, espeak-ng: '" + "[[a]] " * 300 + "'}\nsteps:\n  - say: " + "a " * 30 + "\n"
    )
    with pytest.raises(RoutineError) as e:
        build_timeline(routine, voice=FAKE)
    (msg,) = _problems(e)
    assert msg.startswith(f"{routine}:5:10: steps[0].say: 'a a a a a a a a a a a a a a a a a a  ...' becomes ")
    assert msg.endswith("the limit spoken_chars allows at most 8000 (shorten the lexicon's respellings)")
    assert fake_voice.calls == 0  # the bomb hid in one backend's form; every backend's is checked


# ----------------------------------------------------------------------------- events and speech


def test_millisecond_breaths_are_refused_on_the_command_line_and_in_profiles(run):
    r = run("script", "tests/data/ok/e2e.yaml", "--backend", "fake", "--breath", "0.001:0.001")
    assert r.exit_code == 2
    assert "the inhale must be at least 0.25s, got '0.001:0.001'" in r.stderr
    with pytest.raises(RoutineError) as e:
        loads_profile("name: Anna\nbreath: '0.001:0.001'\n", name="anna.yaml")
    assert _problems(e) == ["anna.yaml:2:9: breath: the inhale must be at least 0.25s, got '0.001:0.001'"]


def test_too_many_events_are_refused_before_any_speech(run, tmp_path, fake_voice):
    """99 hours of the fastest breaths the rules allow: about 3 million events."""
    routine = tmp_path / "fast.yaml"
    routine.write_text(
        "title: Fast\nbreath: {inhale: 0.25, exhale: 0.25, hold_in: 0.001, hold_out: 0.001}\n"
        "steps:\n  - pose: Hold\n    hold: 98h\n"
    )
    r = run("script", str(routine), "--backend", "fake", "--max-length", "99h")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{routine}:4:5: steps[0]: the routine makes about ")  # the hold that passes it
    assert "the limit events allows at most 1000000 (shorten the holds, or slow the breath pattern)" in r.stderr
    assert fake_voice.calls == 0


def test_speech_of_one_command_is_counted_across_its_routines(tmp_path, fake_voice):
    routines = []
    for i in range(3):
        p = tmp_path / f"r{i}.yaml"
        p.write_text(f"title: R{i}\nsteps:\n" + "".join(f"  - say: Routine {i} cue {k}.\n" for k in range(40)))
        routines.append(p)
    with budget.command(Limits(speech_chars=1000)) as work:
        build_timeline(routines[0], voice=FAKE)
        build_timeline(routines[0], voice=FAKE)  # the same track again costs nothing more
        calls = fake_voice.calls
        with pytest.raises(RoutineError) as e:
            build_timeline(routines[1], voice=FAKE)
    (msg,) = _problems(e)
    # charged as each text is filled in: the 21st cue of the second routine passes the budget
    assert msg.startswith(f"{routines[1]}:23:10: steps[20].say: with this text the routine makes 1017 characters")
    assert msg.endswith("the limit speech_chars allows at most 1000 (shorten the texts, or use fewer {vars} in them)")
    assert fake_voice.calls == calls  # refused before the second routine's synthesis
    assert work.bytes_read == 2 * routines[0].stat().st_size + routines[1].stat().st_size


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "tests/data/ok").glob("*.yaml")))
def test_the_event_estimate_bounds_the_laid_out_events(name):
    try:
        r = load_routine(ROOT / "tests/data/ok" / name, allow_outside=True)
        script = compile_routine(r)
        tl = layout(script, {t: estimate_speech_ms(t) for t in script.texts()})
    except RoutineError:
        pytest.skip("not a routine on its own")
    assert len(tl.events) <= estimate_events(script) <= 4 * len(tl.events) + 50


# ----------------------------------------------------------------------------- reading


def test_a_flow_list_of_5_mb_is_refused_fast_with_bounded_memory(tmp_path):
    """It took two minutes and 1.5 GB; now a second or so of CPU and little memory."""
    routine = tmp_path / "flow.yaml"
    routine.write_text("title: F\nsteps: [" + ", ".join(["{say: a}"] * 450_000) + "]\n")
    assert 4_000_000 < routine.stat().st_size < yamlread.MAX_FILE_BYTES

    r = _check_bounded(tmp_path, str(routine), memory=600_000_000)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[0] == (
        f"{routine}:2:{len('steps: [') + 1 + 10 * 66_665}: the file has more YAML values than one routine may have, "
        "with its includes; the limit yaml_values allows at most 200000 (split it into smaller routines)"
    )


def test_includes_of_a_large_file_stop_at_the_bytes_read_limit(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_text("- say: Hi.\n" + ("# " + "x" * 98 + "\n") * 45_000)  # 4.5 MB, mostly comments
    routine = tmp_path / "fan.yaml"
    routine.write_text("title: Fan\nsteps:\n" + "  - include: big.yaml\n" * 500)
    reads = []
    compose = yamlread.compose_text
    monkeypatch.setattr(
        yamlread, "compose_text", lambda ctx, data, *a: reads.append(ctx.path) or compose(ctx, data, *a)
    )
    with pytest.raises(RoutineError) as e:
        load_routine(routine)
    assert _problems(e)[-1] == (
        f"{routine}:7:14: steps[4].include: including '{big}' makes {routine.stat().st_size + 5 * big.stat().st_size} "
        "bytes read by one command; the limit bytes_read allows at most 20000000 (include fewer or smaller files)"
    )
    assert len(reads) == 5  # the routine and four includes, not 500


def test_the_bytes_read_limit_counts_the_whole_command(run, tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("title: A\nsteps:\n  - say: Hi.\n" + ("# " + "x" * 98 + "\n") * 45_000)
    r = run("check", *[str(a)] * 5)
    assert r.exit_code == 1
    assert f"{a}:1:1: reading this file makes {5 * a.stat().st_size} bytes read by one command; " in r.stderr
    assert "the limit bytes_read allows at most 20000000 (include fewer or smaller files)" in r.stderr


# ----------------------------------------------------------------------------- rosters


def test_a_roster_of_aliases_shares_one_budget(tmp_path):
    """Each person a value of 400 items by an alias: the roster expands past the budget."""
    roster = tmp_path / "class.yaml"
    skip = ", ".join(f"Pose {i}" for i in range(400))
    roster.write_text(
        f"- {{name: Anna, skip: &s [{skip}]}}\n" + "".join(f"- {{name: P{i}, skip: *s}}\n" for i in range(900))
    )
    tracemalloc.start()
    with pytest.raises(RoutineError) as e:
        load_roster(roster)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    (msg,) = _problems(e)
    assert msg.startswith(f"{roster}:")
    assert msg.endswith(f"the routine expands to more than {yamlschema.MAX_NODES} YAML values (YAML aliases (*name) "
                        "repeat what they refer to; write the steps out or use fewer aliases)")  # fmt: skip
    assert peak < 100_000_000


def test_a_roster_of_aliases_of_one_entry_is_each_alias_refused_unexpanded(tmp_path):
    """900 aliases of one big profile were expanded until the budget stopped them; each is
    now one person given twice, said at its line, and none is read."""
    roster = tmp_path / "class.yaml"
    skip = ", ".join(f"Pose {i}" for i in range(400))
    roster.write_text(f"- &p {{name: Anna, skip: [{skip}]}}\n" + "- *p\n" * 900)
    tracemalloc.start()
    people = load_roster(roster)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert people[0].name == "Anna"  # type: ignore[union-attr]
    assert [str(p) for p in people[1:]] == [
        f"{roster}:{i + 2}:3: [{i + 1}]: the profile at {roster}:1:3 is given twice (the alias *p repeats it);"
        " give each person once"
        for i in range(900)
    ]
    assert peak < 20_000_000


def test_a_roster_has_at_most_1000_people(tmp_path):
    roster = tmp_path / "class.yaml"
    roster.write_text("- &p {name: Anna}\n" + "- *p\n" * 1000)
    with pytest.raises(RoutineError) as e:
        load_roster(roster)
    assert _problems(e) == [f"{roster}:1:1: the roster has 1001 people; the limit profiles allows at most 1000"]


def test_1001_profile_options_are_refused_before_one_is_read(run, tmp_path, fake_voice):
    for i in range(1001):  # each exists (a missing one is a usage error of its option); none is read
        (tmp_path / f"p{i}.yaml").write_text(f"name: P{i}\n")
    args = [a for i in range(1001) for a in ("--profile", str(tmp_path / f"p{i}.yaml"))]
    r = run("render", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "-o", str(tmp_path / "out"), *args)
    assert r.exit_code == 1
    assert r.stderr == "1001 people are given; the limit profiles allows at most 1000\n"
    assert fake_voice.calls == 0 and not (tmp_path / "out").exists()


def test_profile_options_and_a_roster_count_against_one_limit(run, tmp_path, fake_voice):
    roster = tmp_path / "class.yaml"
    roster.write_text("- &p {name: Anna}\n" + "- *p\n" * 998)  # 999 people
    (tmp_path / "a.yaml").write_text("name: Ann\n")
    (tmp_path / "b.yaml").write_text("name: Bob\n")
    profiles = ("--profile", str(tmp_path / "a.yaml"), "--profile", str(tmp_path / "b.yaml"))
    r = run("pack", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "-o", str(tmp_path / "out"),
            "--roster", str(roster), *profiles)  # fmt: skip
    assert r.exit_code == 1
    assert r.stderr == "1001 people are given; the limit profiles allows at most 1000\n"
    assert fake_voice.calls == 0 and not (tmp_path / "out").exists()


def test_the_roster_runner_takes_at_most_the_limit_of_people(tmp_path, fake_voice):
    from matcue.batch import render_for_people
    from matcue.routine.profile import Profile

    routine = tmp_path / "r.yaml"
    routine.write_text("title: R\nsteps:\n  - say: Hello.\n")
    with budget.command(Limits(profiles=3)), pytest.raises(RoutineError) as e:
        render_for_people(routine, [Profile(name=f"P{i}") for i in range(4)], Settings(output=Output(tmp_path / "o")))
    assert _problems(e) == ["4 people are given; the limit profiles allows at most 3"]


def test_a_roster_past_the_command_budget_is_refused_before_any_track_speaks(tmp_path, fake_voice):
    from matcue.batch import render_for_people
    from matcue.routine.profile import Profile

    routine = tmp_path / "r.yaml"
    routine.write_text("title: R\nsteps:\n  - say: 'Hello {who}, settle in and breathe.'\n  - pause: 1s\n")
    people = [Profile(name=f"P{i}", vars=(("who", f"person number {i}"),)) for i in range(60)]
    with budget.command(Limits(speech_chars=1000)):
        with pytest.raises(RoutineError) as e:
            render_for_people(routine, people, Settings(voice=FAKE, output=Output(tmp_path / "out")), workers=1)
    (msg,) = _problems(e)
    assert msg.startswith(f"{routine}:3:10: steps[0].say: with this text the routine makes ")  # filled for a person
    assert "the limit speech_chars allows at most 1000" in msg
    assert fake_voice.calls == 0 and not (tmp_path / "out").exists()


def _words(n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 10)))] = None
    return list(out)


@pytest.mark.parametrize("where", ["routine", "project"])
def test_a_huge_lexicon_costs_time_in_proportion_to_its_size(tmp_path, where):
    """A routine lexicon of 20 000 words over 40 cues of 60 words took 94 s to check (a
    regular expression per word per cue); a project lexicon of 90 000 words took 45 s (read
    three times, a 90 000-way alternation tried at every character). Now a few seconds."""
    words = _words(20_000 if where == "routine" else 90_000, seed=7)
    cue = " ".join(words[i % 50] if i % 3 else "breathe" for i in range(60))
    steps = "".join(f"  - pose: P{i}\n    cue: {cue}\n    hold: 10s\n" for i in range(40))
    entries = "".join(f"  {w}: {w[::-1]}\n" for w in words)
    if where == "routine":
        (tmp_path / "r.yaml").write_text(f"title: T\nlexicon:\n{entries}steps:\n{steps}")
    else:
        (tmp_path / "voice").mkdir()
        (tmp_path / "voice" / "lexicon.yaml").write_text(entries.replace("  ", "", 1).replace("\n  ", "\n"))
        (tmp_path / "r.yaml").write_text(f"title: T\nsteps:\n{steps}")

    r = _check_bounded(tmp_path, "r.yaml")
    assert (r.returncode, r.stdout) == (0, "r.yaml: ok\n"), r.stderr


def test_yaml_values_are_counted_across_the_files_of_one_command(tmp_path):
    """A roster of a thousand profiles of 2400 vars each (28 MB) ran for minutes: each file
    had the yaml_values allowance of its own. The command has one (yaml_values_read)."""
    people = tmp_path / "class"
    people.mkdir()
    for i in range(4):
        (people / f"p{i}.yaml").write_text(f"name: P{i}\nvars:\n" + "".join(f"  v{j}: x\n" for j in range(200)))
    with budget.command(budget.Limits(yaml_values_read=1000)) as work:
        out = load_roster(people)
    assert [p.name for p in out[:2] if not isinstance(p, RoutineError)] == ["P0", "P1"]
    assert work.yaml_values == 2 * (1 + 2 + 2 + 2 * 200)  # two files composed; the third refused by the count first
    for i in (2, 3):
        assert isinstance(out[i], RoutineError)
        (msg,) = [str(p) for p in out[i].problems]
        assert msg.startswith(f"{people / f'p{i}.yaml'}:")
        assert msg.endswith(
            ": reading this file makes more than 1000 YAML values composed by one command (every routine, "
            "include, profile and roster file counted); the limit yaml_values_read allows at most 1000 "
            "(give fewer or smaller files)"
        )


def test_one_file_over_the_yaml_values_limit_is_still_said_as_the_files(tmp_path):
    routine = tmp_path / "r.yaml"
    routine.write_text("title: R\nsteps:\n" + "  - say: Hi.\n" * 300)
    with budget.command(budget.Limits(yaml_values=500, yaml_values_read=10_000)), pytest.raises(RoutineError) as e:
        load_routine(routine)
    (msg,) = _problems(e)
    assert msg.endswith("the file has more YAML values than one routine may have, with its includes; "
                        "the limit yaml_values allows at most 500 (split it into smaller routines)")  # fmt: skip


# ----------------------------------------------------------------------------- speech as it is filled in


def _filled_routine(tmp_path: Path, cues: int) -> Path:
    """A routine of about 40 KB whose texts fill into 3 MB of speech: one 1,500-character value, used by each cue."""
    routine = tmp_path / "r.yaml"
    value = "word " * 300
    routine.write_text(
        f'title: R\nvars:\n  a: "{value}"\nsteps:\n' + "".join(f'  - say: "{{a}} {i}"\n' for i in range(cues))
    )
    return routine


def test_speech_is_charged_as_each_text_is_filled_in_once_for_every_level(tmp_path):
    from matcue.api import check_routine

    routine = _filled_routine(tmp_path, 40)
    with budget.command(Limits(speech_chars=10_000)):
        problems = [str(p) for p in check_routine(routine)]
    assert problems == [  # the seventh 1,501-character text passes 10,000; the other levels do not say it again
        f"{routine}:11:10: steps[6].say: with this text the routine makes 10507 characters of speech for this "
        "command; the limit speech_chars allows at most 10000 (shorten the texts, or use fewer {vars} in them)"
    ]


def test_a_small_routine_that_fills_into_megabytes_of_speech_is_refused_fast(tmp_path):
    """`check` of it ran for minutes (every text filled, checked and spelled out, three times);
    now it stops at the text that passes the command's speech budget."""
    routine = _filled_routine(tmp_path, 2000)
    assert routine.stat().st_size < 45_000

    r = _check_bounded(tmp_path, "r.yaml")
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[0].startswith("r.yaml:670:10: steps[665].say: with this text the routine makes ")
    assert r.stderr.splitlines()[-1] == "1 problem found"
