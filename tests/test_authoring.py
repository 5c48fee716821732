"""Writing routines: `matcue new` templates, `render --only/--from` previews, `render --watch`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcue.api import build_timeline, check_routine
from matcue.core.errors import RoutineError
from matcue.core.naming import slugify
from matcue.preview import files_of, names_in, select
from matcue.routine.loader import load_routine, loads_routine
from matcue.routine.starters import templates
from matcue.schema import modeline

ROOT = Path(__file__).parent.parent
STRAP = ROOT / "routines" / "supine-strap.yaml"


def test_a_long_or_repeated_only_name_is_shortened_in_the_message_and_the_title():
    """--only with a 100 000-character name printed it whole; --only given 120 times made a
    title of 120 names (hostile round three)."""
    routine = loads_routine("title: T\nsteps:\n  - pose: Fold\n    sides: both\n    hold: 5s\n", "r.yaml")
    with pytest.raises(RoutineError) as e:
        select(routine, "beginner", ("Fold" * 25_000,))
    (problem,) = e.value.problems
    assert len(str(problem)) < 200 and " ... " in str(problem)
    names = ("Fold", "Fold (left)", "Fold (right)") * 40 + tuple(f"Fold{' ' * i}(left)" for i in range(1, 20))
    title = select(routine, "beginner", names).title
    assert title.startswith("T (preview Fold, Fold (left), Fold (right), Fold  (left), ")
    assert title.count(",") == 13  # the 3 names given 40 times once each, 9 more, then "... 9 more, TAG"
    assert re.search(r", \.\.\. 9 more, [0-9a-f]{6}\)$", title), title
    others = names[:-1] + ("Fold (right)",)  # the same first twelve, another set: another file
    assert slugify(select(routine, "beginner", others).title) != slugify(title)


# ----------------------------------------------------------------- matcue new


def test_new_lists_the_templates(run):
    r = run("new", "--list")
    assert r.exit_code == 0
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert names == ["blank", "breathing", "flow", "stretch"]
    assert "sides" in r.stdout.splitlines()[3]


@pytest.mark.parametrize("name", [t.name for t in templates()])
def test_every_template_checks_and_renders(name, run, tmp_path, fake_voice):
    target = tmp_path / f"{name}.yaml"
    r = run("new", name, "-o", str(target))
    assert r.exit_code == 0, r.output
    assert r.stdout == f"{target}\n"
    text = target.read_text()
    assert text.splitlines()[0] == modeline()
    assert check_routine(target) == []
    r = run("render", str(target), "--backend", "fake", "-o", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    mp3 = Path(r.stdout.split("\t")[0])
    assert mp3.stat().st_size > 10_000
    assert fake_voice.calls > 0


def test_blank_shows_every_kind_once():
    import yaml

    from matcue.routine.loader import STEP_KINDS

    text = next(t.text for t in templates() if t.name == "blank")
    shown = [line.strip().removeprefix("# ").removeprefix("- ").split(":")[0] for line in text.splitlines()]
    for kind in STEP_KINDS:
        assert sum(1 for s in shown if s == kind) >= 1, kind
    data = yaml.safe_load(text)
    kinds = []

    def walk(steps):
        for s in steps:
            kinds.append(next(k for k in s if k in STEP_KINDS))
            walk(s.get("steps", []) if "section" in s else [])

    walk(data["steps"])
    assert sorted(kinds) == sorted(k for k in STEP_KINDS if k != "include")  # include: commented


def test_sided_template_has_sides():
    r = load_routine_text(next(t.text for t in templates() if t.name == "stretch"))
    assert any(getattr(s, "sides", None) == "both" for s in r.steps)


def load_routine_text(text: str):
    return loads_routine(text, "starter.yaml")


def test_new_refuses_to_overwrite(run, tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("title: Mine\n")
    r = run("new", "flow", "-o", str(target))
    assert r.exit_code == 1
    assert r.stderr == f"Error: '{target}' already exists: not overwritten (choose another name with -o)\n"
    assert target.read_text() == "title: Mine\n"


def test_new_into_a_missing_or_unwritable_folder(run, tmp_path):
    r = run("new", "-o", str(tmp_path / "nowhere" / "x.yaml"))
    assert r.exit_code == 1
    assert "does not exist" in r.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        r = run("new", "-o", str(locked / "x.yaml"))
        assert r.exit_code == 1
        assert r.stderr == f"Error: cannot write into the folder '{locked}': Permission denied\n"
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_new_when_the_folder_refuses_writing(run, tmp_path, monkeypatch):
    from matcue.core import atomic

    def refused(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "create_temp", refused)
    r = run("new", "-o", str(tmp_path / "x.yaml"))
    assert r.exit_code == 1
    assert r.stderr == f"Error: cannot write into the folder '{tmp_path}': Permission denied\n"
    assert list(tmp_path.iterdir()) == []


def test_new_writes_through_a_temporary_file_doctor_knows(run, tmp_path, monkeypatch):
    """While the template is written, the only new file is a locked temporary that
    names its target, so a killed 'matcue new' leaves what 'doctor --fix' sweeps (its
    own mkstemp name was unknown to the sweep, and unlocked)."""
    from matcue.core import atomic

    seen: list[tuple[str, Path | None, bool]] = []
    real_fsync = os.fsync

    def watch(fd: int) -> None:
        seen.extend((p.name, atomic.target_of(p), atomic.is_stale(p)) for p in tmp_path.iterdir())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watch)
    r = run("new", "stretch", "-o", str(tmp_path / "r.yaml"))
    assert r.exit_code == 0, r.stderr
    assert seen and all(target == tmp_path / "r.yaml" and not stale for _, target, stale in seen), seen
    assert [p.name for p in tmp_path.iterdir()] == ["r.yaml"]


def test_new_on_a_full_disk_says_so_and_leaves_nothing(tmp_path):
    """RLIMIT_FSIZE stands for a full disk: writing the template was exit 3
    ("Unexpected error: OSError: [Errno 27] File too large")."""
    import resource

    def small() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (50, 50))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run(
        [sys.executable, "-m", "matcue", "new", "stretch", "-o", "r.yaml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, preexec_fn=small, timeout=120,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert r.stderr == "Error: could not write 'r.yaml': larger than this system lets a file grow\n"
    assert list(tmp_path.iterdir()) == []


def test_new_unknown_template_is_a_usage_error(run, tmp_path):
    r = run("new", "strech", "-o", str(tmp_path / "x.yaml"))
    assert r.exit_code == 2
    assert "no template 'strech': the templates are blank, breathing, flow, stretch (did you mean 'stretch'?)" in (
        r.stderr
    )
    assert not (tmp_path / "x.yaml").exists()


def test_new_notes_a_missing_schema_file(run, tmp_path):
    r = run("new", "-o", str(tmp_path / "a.yaml"))
    assert "matcue schema --write -o" in r.stderr
    assert run("schema", "--write", "-o", str(tmp_path)).exit_code == 0
    r = run("new", "-o", str(tmp_path / "b.yaml"))
    assert r.stderr == ""


# ----------------------------------------------------------------- matcue schema


def test_schema_prints_and_writes(run, tmp_path):
    import json

    r = run("schema")
    assert json.loads(r.stdout)["title"] == "matcue routine"
    assert json.loads(run("schema", "profile").stdout)["title"] == "matcue profile"
    r = run("schema", "--write", "-o", str(tmp_path))
    assert r.stdout.split() == [
        str(tmp_path / "matcue-routine.schema.json"),
        str(tmp_path / "matcue-profile.schema.json"),
    ]


def test_schema_for_an_unknown_document_is_a_usage_error(run, tmp_path):
    r = run("schema", "rutine", "--write", "-o", str(tmp_path))
    assert r.exit_code == 2
    assert (
        "Error: Invalid value for '[routine|profile]': no schema for 'rutine': the document types are "
        "routine, profile (did you mean 'routine'?)"
    ) in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_schema_write_into_a_missing_folder(run, tmp_path):
    r = run("schema", "--write", "-o", str(tmp_path / "nope"))
    assert r.exit_code == 1
    assert (
        r.stderr == f"Error: the folder '{tmp_path / 'nope'}' does not exist (create it, or choose another with -o)\n"
    )


# ----------------------------------------------------------------- --only / --from


def test_names_include_the_chapters_of_sides():
    names = names_in(load_routine(STRAP).steps, "beginner")
    assert "Strap stretches" in names and "Leg up" in names and "Leg up (left)" in names and "Rest" in names


def _holds(built):
    return [(h.title, h.end_ms - h.start_ms) for h in built.timeline.holds]


def _hold_events(built, title):
    """The events inside the hold named ``title``, relative to its start."""
    h = next(h for h in built.timeline.holds if h.title == title)
    return [
        (e.start_ms - h.start_ms, e.end_ms - h.start_ms, e.kind, e.text)
        for e in built.timeline.events
        if h.start_ms <= e.start_ms < h.end_ms and e.kind != "silence"
    ]


def test_only_a_pose_keeps_its_real_timing(fake_voice):
    full = build_timeline(STRAP)
    part = build_timeline(STRAP, select=lambda r: select(r, "beginner", ("Leg to the side",)))
    assert part.timeline.title == "Supine strap stretches for hips and back (preview Leg to the side)"
    full_holds = [h for h in _holds(full) if h[0].startswith("Leg to the side")]
    assert _holds(part) == full_holds  # both sides (its section has sides), each the full hold
    for side in ("right", "left"):
        t = f"Leg to the side ({side})"
        assert _hold_events(part, t) == _hold_events(full, t)  # tones, cues, countdown, bells
    assert part.timeline.total_ms < full.timeline.total_ms / 2


def test_a_part_of_a_session_fitted_to_a_duration_plays_as_it_does_in_the_fitted_session(fake_voice):
    from matcue.plan.compile import Options

    written = build_timeline(STRAP)
    fitted = Options(duration_ms=written.timeline.total_ms * 3 // 2)
    full = build_timeline(STRAP, fitted)
    assert full.timeline.total_ms == fitted.duration_ms
    part = build_timeline(STRAP, fitted, select=lambda r: select(r, "beginner", ("Leg to the side",)))
    for side in ("right", "left"):
        t = f"Leg to the side ({side})"
        assert _hold_events(part, t) == _hold_events(full, t)  # the hold as long as in the whole session
        assert _hold_events(part, t) != _hold_events(written, t)  # and the fit did change it
    assert part.timeline.total_ms < full.timeline.total_ms / 2  # not stretched to the whole length


def test_only_a_chapter_plays_one_side(fake_voice):
    part = build_timeline(STRAP, select=lambda r: select(r, "beginner", ("leg up (LEFT)",)))
    assert [t for t, _ in _holds(part)] == ["Leg up (left)"]
    assert "Left side." in " ".join(e.text or "" for e in part.timeline.events)


def test_only_is_repeatable_and_from_runs_to_the_end(fake_voice):
    part = build_timeline(STRAP, select=lambda r: select(r, "beginner", ("Leg up", "Rest")))
    assert [t for t, _ in _holds(part)] == ["Leg up (right)", "Leg up (left)"]
    assert [c.title for c in part.timeline.chapters][-1] == "Rest"
    rest = build_timeline(STRAP, select=lambda r: select(r, "beginner", start="Leg across the body"))
    assert [t for t, _ in _holds(rest)] == ["Leg across the body (right)", "Leg across the body (left)"]
    assert [c.title for c in rest.timeline.chapters][-1] == "Rest"


def test_only_an_unknown_name_says_did_you_mean():
    routine = load_routine(STRAP)
    with pytest.raises(RoutineError) as e:
        select(routine, "beginner", ("Leg upp",))
    assert str(e.value) == (
        "--only: no section, step or chapter of 'Supine strap stretches for hips and back' is named 'Leg upp' "
        "(did you mean 'Leg up'?)"
    )


def test_only_thousands_of_unknown_names_stop_at_the_problem_limit():
    """5000 names a routine does not have printed 5000 lines."""
    from matcue.core.errors import MAX_PROBLEMS

    routine = load_routine(STRAP)
    with pytest.raises(RoutineError) as e:
        select(routine, "beginner", tuple(f"zz{i}" for i in range(5000)))
    assert len(e.value.problems) == MAX_PROBLEMS + 1
    assert str(e.value.problems[-1]) == f"--only: more than {MAX_PROBLEMS} problems; stopped looking"


def test_a_name_asked_of_a_routine_that_names_nothing_says_so():
    """The hint was '(names are: )'."""
    routine = loads_routine("title: T\nsteps:\n  - say: Hello.\n  - say: Goodbye.\n", "r.yaml")
    with pytest.raises(RoutineError) as e:
        select(routine, "beginner", ("Fold",))
    assert str(e.value) == (
        "--only: no section, step or chapter of 'T' is named 'Fold' "
        "(this routine has no section, pose or other named step)"
    )


def test_render_only_writes_a_preview_file(run, tmp_path, fake_voice):
    out = tmp_path / "out"
    r = run("render", str(STRAP), "--backend", "fake", "--only", "Leg up (right)", "-o", str(out))
    assert r.exit_code == 0, r.output
    path, length = r.stdout.strip().split("\t")
    assert Path(path).name == "supine-strap-stretches-for-hips-and-back-preview-leg-up-right.mp3"
    minutes, seconds = length.split(":")
    assert 20 < int(minutes) * 60 + float(seconds) < 120  # one side of one pose, not the six-minute session


def test_render_only_unknown_name_writes_nothing(run, tmp_path, fake_voice):
    out = tmp_path / "out"
    r = run("render", str(STRAP), "--backend", "fake", "--only", "Pigeon", "-o", str(out))
    assert r.exit_code == 1
    assert r.stderr.startswith("--only: no section, step or chapter of 'Supine strap stretches for hips and back' ")
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--only", "A", "--from", "B"], "give --only or --from, not both"),
        (["--only", "A", str(STRAP)], "--only takes exactly one ROUTINE"),
        (
            ["--watch", "--roster", str(STRAP)],
            "--watch renders one track: leave out --profile, --roster and --scheduler",
        ),
    ],
)
def test_preview_usage_errors(run, args, message):
    r = run("render", str(STRAP), *args)
    assert r.exit_code == 2
    assert message in r.stderr


# ----------------------------------------------------------------- --watch


def test_files_of_names_the_includes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no project lexicon here
    leg = ROOT / "routines" / "leg-behind-head-prep.yaml"
    files = files_of(leg, load_routine(leg))
    assert {f.name for f in files} == {"leg-behind-head-prep.yaml", "pigeon.yaml"}


def test_files_of_names_every_file_the_render_read_once(tmp_path, monkeypatch):
    """--watch renders again when any file the render read changes: the includes, the
    music, each recorded clip, the project lexicon, the profile (it watched the routine,
    its includes, cover and music only)."""
    from matcue.settings import Settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / "voice").mkdir()
    (tmp_path / "voice" / "lexicon.yaml").write_text("yoga: yoh-gah\n")
    (tmp_path / "takes").mkdir()
    (tmp_path / "takes" / "settle-in.wav").write_bytes(b"")
    (tmp_path / "takes" / ".hidden").write_bytes(b"")
    import wave

    with wave.open(str(tmp_path / "bed.wav"), "wb") as w:  # a second of silence to loop
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    (tmp_path / "part.yaml").write_text("- say: Settle in.\n")
    (tmp_path / "r.yaml").write_text("title: R\nmusic: bed.wav\nrecordings: takes\nsteps:\n  - include: part.yaml\n")
    (tmp_path / "link.yaml").symlink_to("r.yaml")  # the same file twice: watched once
    (tmp_path / "anna.yaml").write_text("name: Anna\n")
    settings = Settings(profile_file="anna.yaml")
    files = files_of("link.yaml", load_routine("r.yaml"), (), settings)
    assert {str(f) for f in files} == {
        "anna.yaml", "bed.wav", str(tmp_path / "part.yaml"), "r.yaml", "takes", "takes/settle-in.wav",
        str(tmp_path / "voice" / "lexicon.yaml"),
    }  # fmt: skip


def _wait_for(proc, lines, pattern, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if pattern in line:
            return
    raise AssertionError(f"{pattern!r} not seen in: {lines}")


@pytest.mark.slow
def test_watch_renders_again_reports_problems_and_stops_on_ctrl_c(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "part.yaml").write_text("- pose: Pigeon\n  hold: 10s\n")
    main = folder / "main.yaml"
    main.write_text("title: Watched\nsteps:\n  - say: Hello.\n  - include: part.yaml\n")
    env = {**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "matcue",
        "render",
        str(main),
        "--watch",
        "--backend",
        "fake",
        "-o",
        str(tmp_path / "o"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    err: list[str] = []
    try:
        _wait_for(proc, err, "watching 2 files")
        first = proc.stdout.readline().split("\t")
        assert first[0].endswith("watched.mp3")
        time.sleep(0.05)
        (folder / "part.yaml").write_text("- pose: Pigeon\n  hold: 40s\n")  # an include changes
        _wait_for(proc, err, "watching")
        second = proc.stdout.readline().split("\t")
        assert second[1] != first[1]  # the new length is printed
        (folder / "part.yaml").write_text("- pose: Pigeon\n  hold: forever\n")  # made invalid
        _wait_for(proc, err, "watching")
        assert any("part.yaml:2:9: steps[0].hold: expected a duration" in line for line in err)
        (folder / "part.yaml").unlink()  # deleted
        _wait_for(proc, err, "watching")
        assert any("deleted:" in line for line in err)
        assert any("part.yaml" in line and "was not found in the routine's folder" in line for line in err)
        (folder / "part.yaml").write_text("- pose: Pigeon\n  hold: 20s\n")  # back again
        _wait_for(proc, err, "watching")
        assert proc.poll() is None  # still watching through all of it
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        rest = proc.stderr.read()
        assert "stopped watching" in rest and "Traceback" not in rest
        assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["watched.mp3"]  # no partial file
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("option", ["--from", "--only"])
def test_an_empty_name_is_refused_not_taken_for_the_whole_session(run, tmp_path, fake_voice, option):
    out = tmp_path / "out"
    r = run("render", str(STRAP), "--backend", "fake", option, "", "-o", str(out))
    assert r.exit_code == 2  # judged before the routine is read, as every name option's empty name
    what = "expected the name of a section, step or chapter, got an empty name"
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for '{option}': {what}"
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schema", "-o", "{tmp}/sw"], "-o is the folder --write writes into: add --write, or leave out -o"),
        (["new", "--list", "stretch"], "--list lists the templates: give it no TEMPLATE and no -o"),
        (["new", "--list", "-o", "{tmp}/z.yaml"], "--list lists the templates: give it no TEMPLATE and no -o"),
        (["new", "", "-o", "{tmp}/z.yaml"], "no template '': the templates are blank, breathing, flow, stretch"),
    ],
)
def test_an_option_a_command_would_ignore_is_a_usage_error(run, tmp_path, args, message):
    """schema -o without --write printed to stdout, 'new --list stretch' listed, 'new \'\'' wrote blank.yaml."""
    r = run(*[a.format(tmp=tmp_path) for a in args])
    assert r.exit_code == 2
    assert message in r.stderr
    assert r.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "file"])
def test_new_into_a_folder_that_is_a_pipe_or_a_file_says_what_it_is(run, tmp_path, kind):
    """It said "the folder 'x' does not exist"."""
    there = tmp_path / "x"
    os.mkfifo(there) if kind == "fifo" else there.write_text("notes")
    r = run("new", "stretch", "-o", str(there / "r.yaml"))
    assert r.exit_code == 1
    what = "a named pipe" if kind == "fifo" else "a file"
    assert r.stderr == f"Error: cannot write '{there}/r.yaml': '{there}' is {what}, not a folder (choose another -o)\n"


@pytest.mark.parametrize("option", ["--only", "--from"])
def test_a_part_that_skip_leaves_out_is_a_usage_error(run, tmp_path, fake_voice, option):
    """It said "nothing to render: every step is left out at level 'beginner' or skipped"."""
    r = run(
        "render", str(STRAP), "--backend", "fake", "-o", str(tmp_path / "out"), option, "Leg up", "--skip", "leg UP"
    )
    assert r.exit_code == 2
    assert f"Error: {option} 'Leg up' is also given to --skip: give the name to one of them" in r.stderr
    assert not fake_voice.calls and not (tmp_path / "out").exists()


def test_new_shows_a_line_break_in_its_folder_escaped_on_one_line(run, tmp_path):
    r = run("new", "-o", str(tmp_path / "x\ny" / "a.yaml"))
    assert r.exit_code == 1
    assert r.stderr == (
        f"Error: the folder '{tmp_path}/x\\x0ay' does not exist (create it first, or choose another -o)\n"
    )
