"""Bad input never hurts and nothing is lost: limits, paths and faults (docs/reliability.md).

Each test here is a row of the table in docs/reliability.md.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from matcue.api import VoiceOverrides, build_timeline, slugify
from matcue.cli.main import cli
from matcue.core.errors import MAX_PROBLEMS, RoutineError, ToolMissingError, VoiceError
from matcue.plan.compile import Options
from matcue.routine.loader import load_routine, loads_routine
from matcue.settings import Output, Settings
from matcue.voice.backends.fake import FakeVoice
from matcue.voice.registry import register_backend, unregister_backend

DATA = Path(__file__).parent / "data"
ROOT = DATA.parent.parent
FAKE = VoiceOverrides(backend="fake")


def _messages(exc: pytest.ExceptionInfo[RoutineError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ----------------------------------------------------------------------------- limits


def test_billion_laughs_fails_fast_with_little_memory():
    path = DATA / "errors" / "billion-laughs.yaml"  # 10^9 steps if the aliases were expanded
    tracemalloc.start()
    start = time.process_time()  # this process's CPU time: a busy machine does not count
    try:
        with pytest.raises(RoutineError) as e:
            load_routine(path)
        seconds = time.process_time() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "the routine has more than 5000 steps (counting included files and YAML aliases)" in str(e.value)
    assert seconds < 2.0
    assert peak < 20_000_000


def test_alias_bomb_of_bad_steps_stops_after_200_problems():
    lines = ["title: Bad laughs", "x0: &l0 [" + ", ".join(["{pose: P}"] * 10) + "]"]
    for i in range(1, 8):
        lines.append(f"x{i}: &l{i} [" + ", ".join([f"{{section: S, steps: *l{i - 1}}}"] * 10) + "]")
    lines.append("steps: *l7")
    start = time.perf_counter()
    with pytest.raises(RoutineError) as e:
        loads_routine("\n".join(lines) + "\n", name="bad.yaml")
    assert time.perf_counter() - start < 2.0
    assert len(e.value.problems) == MAX_PROBLEMS + 1
    assert str(e.value.problems[-1]).endswith("more than 200 problems; stopped looking")


def test_merge_keys_of_merge_keys_do_not_grow():
    lines = ["title: Merges", "m0: &m0 {pose: P, hold: 30s}"]
    for i in range(1, 40):  # each merges the previous twice: 2^40 keys if not deduplicated
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}")
    lines.append("steps: [{<<: *m39}]")
    with pytest.raises(RoutineError) as e:
        loads_routine("\n".join(lines) + "\n", name="m.yaml")
    assert all(p.what.startswith("unknown key 'm") for p in e.value.problems)  # the steps load fine


def test_a_section_that_contains_itself_is_located():
    with pytest.raises(RoutineError) as e:
        loads_routine("title: T\nsteps: &s\n  - section: Again\n    steps: *s\n", name="self.yaml")
    (problem,) = e.value.problems
    assert str(problem).startswith("self.yaml:3:5: steps[0].steps[0]")
    assert problem.what == "sections nest deeper than 32"


def test_too_many_steps():
    src = "title: Many\nsteps:\n" + "".join(f"  - say: Step {i}.\n" for i in range(5001))
    with pytest.raises(RoutineError) as e:
        loads_routine(src, name="many.yaml")
    assert _messages(e) == [
        "many.yaml:5003:5: steps[5000]: the routine has more than 5000 steps (counting included files and YAML "
        "aliases) (split it into several routines)"
    ]
    loads_routine(src.replace("  - say: Step 5000.\n", ""))


def test_include_fan_out_is_bounded(tmp_path):
    for depth in range(6):  # each file includes the next 10 times: 10^6 includes
        nxt = f"  - include: f{depth + 1}.yaml\n" * 10 if depth < 5 else "  - say: leaf\n"
        (tmp_path / f"f{depth}.yaml").write_text("title: Fan\nsteps:\n" + nxt)
    start = time.perf_counter()
    with pytest.raises(RoutineError) as e:
        load_routine(tmp_path / "f0.yaml")
    assert time.perf_counter() - start < 5.0
    assert "more than 5000 steps" in str(e.value) or "more than 500 included files" in str(e.value)


def test_deep_yaml_nesting_is_a_located_error():
    with pytest.raises(RoutineError) as e:
        loads_routine("title: " + "[" * 50_000 + "]" * 50_000, name="deep.yaml")
    assert _messages(e) == ["deep.yaml:1:1: the YAML nests too deeply (nest lists and mappings less deeply)"]


def test_text_length_per_cue():
    with pytest.raises(RoutineError) as e:
        loads_routine(f"title: T\nsteps:\n  - say: {'a' * 2001}\n", name="t.yaml")
    assert _messages(e) == [
        "t.yaml:3:10: steps[0].say: text is 2001 characters long; at most 2000 are allowed (split it into several cues)"
    ]


def test_a_long_title_or_name_is_told_to_be_shortened_not_split_into_cues():
    long = "a" * 2001
    with pytest.raises(RoutineError) as e:
        loads_routine(
            f"title: {long}\nauthor: {long}\nsteps:\n  - pose:\n      beginner: {long}\n    hold: 5s\n", "t.yaml"
        )
    assert [m.rsplit("(", 1)[1] for m in _messages(e)] == ["shorten it)"] * 3


def test_huge_file_is_refused_unread(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("title: Big\nsteps:\n  - say: hi\n" + "#" * 6_000_000 + "\n")
    with pytest.raises(RoutineError) as e:
        load_routine(big)
    assert _messages(e) == [f"{big}:1:1: the file is 6.1 MB; a routine may be at most 5 MB"]


def test_long_values_are_shortened_in_messages():
    with pytest.raises(RoutineError) as e:
        loads_routine(f"title: T\nsteps:\n  - pause: {'9' * 10_000}x\n", name="l.yaml")
    (msg,) = _messages(e)
    assert len(msg) < 200 and " ... " in msg


def test_numbers_that_overflow_are_located_errors():
    src = (
        "title: T\nsteps:\n  - reps: " + "9" * 5000 + "\n    inhale: Up.\n"
        "  - pose: P\n    hold: 1e308\n    during:\n      - at: breath " + "9" * 5000 + "\n        say: Hi.\n"
    )
    with pytest.raises(RoutineError) as e:
        loads_routine(src, name="n.yaml")
    assert [(p.mark.line, p.where) for p in e.value.problems] == [
        (3, "steps[0].reps"),
        (6, "steps[1].hold"),
        (8, "steps[1].during[0].at"),
    ]


def test_total_length_limit_and_max_length_option(run):
    too_long = "tests/data/errors/too-long.yaml"
    assert run("check", too_long, "--max-length", "8h").exit_code == 0
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "--max-length", "1m")
    assert r.exit_code == 1
    assert "the routine is longer than the limit of 1m" in r.stderr
    assert "(shorten it, or raise the limit with --max-length)" in r.stderr
    r = run("check", too_long, "--max-length", "forever")
    assert r.exit_code == 2
    assert "Invalid value for '--max-length': expected a duration like '30s' or '1m30s', got 'forever'" in r.stderr


def test_speech_that_pushes_past_the_limit_is_located():
    from matcue.plan.compile import compile_routine
    from matcue.plan.layout import layout

    routine = loads_routine("title: T\nsteps:\n  - say: Hello.\n  - pose: P\n    hold: 50s\n", name="s.yaml")
    script = compile_routine(routine, Options(max_total_ms=60_000))
    with pytest.raises(RoutineError) as e:
        layout(script, {t: 20_000 for t in script.texts()})
    (problem,) = e.value.problems
    assert problem.mark is not None and problem.mark.path == "s.yaml"
    assert "longer than the limit of 1m" in problem.what


# ----------------------------------------------------------------------------- paths


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "class" / "poses").mkdir(parents=True)
    (tmp_path / "outside.yaml").write_text("- say: From outside.\n")
    (tmp_path / "class" / "poses" / "pigeon.yaml").write_text("- pose: Pigeon\n  hold: 30s\n")
    return tmp_path / "class"


def test_includes_resolve_relative_to_the_including_file(tmp_path):
    folder = _tree(tmp_path)
    (folder / "poses" / "both.yaml").write_text("- include: pigeon.yaml\n")
    (folder / "r.yaml").write_text("title: R\nsteps:\n  - include: poses/both.yaml\n")
    assert [s.name.value for s in load_routine(folder / "r.yaml").steps] == ["Pigeon"]


def test_include_outside_the_routine_folder_needs_allow_outside(tmp_path):
    folder = _tree(tmp_path)
    routine = folder / "r.yaml"
    routine.write_text("title: R\nsteps:\n  - include: ../outside.yaml\n")
    with pytest.raises(RoutineError) as e:
        load_routine(routine)
    assert _messages(e) == [
        f"{routine}:3:14: steps[0].include: included file '{folder}/../outside.yaml' was not found in the "
        f"routine's folder '{os.path.realpath(folder)}' (a path relative to the routine file; pass --allow-outside "
        "to read files outside its folder)"
    ]
    assert load_routine(routine, allow_outside=True).steps[0].text.value == "From outside."


def test_a_nested_include_may_not_escape_the_top_routine_folder(tmp_path):
    folder = _tree(tmp_path)
    (folder / "poses" / "sneaky.yaml").write_text("- include: ../../outside.yaml\n")
    (folder / "r.yaml").write_text("title: R\nsteps:\n  - include: poses/sneaky.yaml\n")
    with pytest.raises(RoutineError, match="was not found in the routine's folder"):
        load_routine(folder / "r.yaml")


def test_a_symlink_that_escapes_counts_as_outside(tmp_path, run):
    folder = _tree(tmp_path)
    (folder / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    (folder / "r.yaml").write_text("title: R\nsteps:\n  - include: link.yaml\n")
    r = run("check", str(folder / "r.yaml"))
    assert r.exit_code == 1 and "was not found in the routine's folder" in r.stderr
    r = run("check", str(folder / "r.yaml"), "--allow-outside")
    assert r.exit_code == 0, r.stderr


def test_a_hard_link_in_the_folder_counts_as_inside(tmp_path, run):
    """Decided (docs/routines.md): a hard link is a name in the folder where it is; only
    someone who may write there can make one, and nothing tells where the file's other
    names are."""
    folder = _tree(tmp_path)
    os.link(tmp_path / "outside.yaml", folder / "hard.yaml")
    assert os.stat(folder / "hard.yaml").st_nlink == 2
    (folder / "r.yaml").write_text("title: R\nsteps:\n  - include: hard.yaml\n")
    r = run("check", str(folder / "r.yaml"))
    assert r.exit_code == 0, r.stderr


def test_a_symlinked_routine_reads_what_it_names_from_where_it_really_is(tmp_path, run, fake_voice):
    real, other = tmp_path / "library", tmp_path / "class"
    real.mkdir()
    other.mkdir()
    (real / "part.yaml").write_text("- say: The real part.\n")
    (other / "part.yaml").write_text("- say: A decoy next to the link.\n")
    (real / "takes").mkdir()
    (real / "r.yaml").write_text("title: R\nrecordings: takes\nsteps:\n  - include: part.yaml\n")
    (other / "r.yaml").symlink_to("../library/r.yaml")
    r = run("script", str(other / "r.yaml"), "--backend", "fake")
    assert r.exit_code == 0, r.stderr
    assert "The real part." in r.stdout and "decoy" not in r.stdout
    from matcue.routine.loader import load_routine

    loaded = load_routine(other / "r.yaml")
    assert loaded.recordings == str(real / "takes")
    assert loaded.included == (str(real / "part.yaml"),)
    # the confinement rule keeps to the same folder: the link's folder is outside it
    (real / "r.yaml").write_text("title: R\nsteps:\n  - include: ../class/part.yaml\n")
    r = run("check", str(other / "r.yaml"))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        f"{other / 'r.yaml'}:3:14: steps[0].include: included file '{real / '../class/part.yaml'}' "
        f"was not found in the routine's folder '{real}'"
    )


@pytest.mark.parametrize(
    "title, slug",
    [
        ("a/b\\c", "a-b-c"),
        ("  \n ", "routine"),
        ("..", "routine-" + __import__("hashlib").sha256(b"..").hexdigest()[:8]),
        ("../../etc/passwd", "etc-passwd"),
        ("tab\there\x00nul\x1b[31m", "tab-here-nul-31m"),
        ("CON", "con-routine"),
        ("nul", "nul-routine"),
        ("COM1", "com1-routine"),
        ("x" * 10_000, "x" * 73 + "-" + __import__("hashlib").sha256(b"x" * 10_000).hexdigest()[:6]),
        ("Утренняя йога", "routine-" + __import__("hashlib").sha256("Утренняя йога".encode()).hexdigest()[:8]),
    ],
)
def test_output_names_are_safe(title, slug):
    assert slugify(title) == slug
    assert "/" not in slug and "\\" not in slug and not slug.startswith(".")


def test_non_latin_titles_do_not_overwrite_each_other():
    assert slugify("ヨガ") != slugify("Утренняя йога")


def test_the_mp3_always_lands_inside_the_output_folder(tmp_path, fake_voice, monkeypatch):
    import matcue.api as pipeline

    written = []
    monkeypatch.setattr("matcue.audio.render.render_mp3", lambda tl, clips, target, **k: written.append(target))
    routine = tmp_path / "r.yaml"
    routine.write_text('title: "../../../tmp/evil/..\\\\CON"\nsteps:\n  - say: hi\n')
    out = tmp_path / "out"
    result = pipeline.render_routine(routine, Settings(voice=FAKE, output=Output(out)))
    assert written == [result.path]
    assert result.path.parent == out
    assert result.path.name == "tmp-evil-con.mp3"


# ----------------------------------------------------------------------------- faults: output


def _render_cli(run, tmp_path, out: Path):
    return run("render", "tests/data/ok/all-kinds.yaml", "-o", str(out), "--backend", "fake", "--no-cover")


def test_full_disk_is_a_clear_error_and_leaves_nothing(run, tmp_path, fake_voice, monkeypatch):
    out = tmp_path / "out"
    real_replace = os.replace

    def full(src, dst, *a, **k):  # os is one module: fail only for the output folder
        if Path(dst).parent == out:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", full)
    r = _render_cli(run, tmp_path, out)
    assert r.exit_code == 1
    assert r.stderr == (
        f"Error: the disk is full: could not write '{out}/every-step-kind.mp3' "
        f"(free some space in the output folder '{out}')\n"
    )
    assert not out.exists()  # nothing left, not even the folder this render made


def test_unwritable_output_folder_is_a_clear_error(run, tmp_path, fake_voice, monkeypatch):
    out = tmp_path / "out"
    real_open = os.open

    def denied(path, *a, **k):  # as root, chmod does not stop us: refuse like a read-only folder
        if Path(path).parent == out:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", denied)
    r = _render_cli(run, tmp_path, out)
    assert r.exit_code == 1
    assert r.stderr == (
        f"Error: cannot write into the output folder '{out}': Permission denied (choose another folder with -o)\n"
    )
    assert not out.exists()  # nothing left, not even the folder this render made


def test_full_disk_while_caching_speech_is_a_clear_error(run, tmp_path, fake_voice, monkeypatch, voice_cache_dir):
    def full(src, dst, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: could not write the voice cache entry '{voice_cache_dir}/")
    assert r.stderr.endswith(".npy': the disk is full (free some space, or set MATCUE_CACHE_DIR to another folder)\n")
    assert not list(voice_cache_dir.glob("*"))  # no entry, no temporary file


def test_output_folder_under_a_file_is_a_clear_error(run, tmp_path, fake_voice):
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "out"
    r = _render_cli(run, tmp_path, out)
    assert r.exit_code == 1
    assert r.stderr == (
        f"Error: cannot use the output folder: '{tmp_path / 'file'}' is a file, not a folder"
        " (choose another folder with -o)\n"
    )


def _in_the_way(tmp_path: Path, kind: str) -> tuple[Path, Path, str]:
    """(the -o given, what is in its way, how that is named) for each kind of obstacle."""
    if kind == "named pipe":
        os.mkfifo(tmp_path / "pipe")
        return tmp_path / "pipe", tmp_path / "pipe", "is a named pipe, not a folder"
    if kind == "device":
        return Path("/dev/null"), Path("/dev/null"), "is a device, not a folder"
    if kind == "dangling link":
        (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
        return tmp_path / "gone", tmp_path / "gone", f"is a link to '{tmp_path / 'nowhere'}', which does not exist"
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "a" / "b", tmp_path / "file", "is a file, not a folder"


@pytest.mark.parametrize("kind", ["named pipe", "device", "dangling link", "file above"])
def test_render_and_doctor_name_what_is_in_the_output_folders_way(run, tmp_path, fake_voice, kind):
    out, obstacle, phrase = _in_the_way(tmp_path, kind)
    r = _render_cli(run, tmp_path, out)
    assert r.exit_code == 1
    assert r.stderr == f"Error: cannot use the output folder: '{obstacle}' {phrase} (choose another folder with -o)\n"
    r = run("doctor", "-o", str(out))
    assert r.exit_code == 1
    assert f"problem  output folder: '{obstacle}' {phrase} (choose another folder with -o) [required]\n" in r.stdout


def test_doctor_shows_an_output_folder_with_a_line_break_escaped(run, tmp_path):
    r = run("doctor", "-o", str(tmp_path / "new\nline\x1b[31m"))
    line = next(x for x in r.stdout.splitlines() if "output folder" in x)
    assert line == f"ok       output folder: {tmp_path}/new\\x0aline\\x1b[31m can be created"


def _under_a_file_size_limit(args: list[str], tmp_path: Path, limit_bytes: int):  # type: ignore[no-untyped-def]
    """``python -m matcue ARGS`` in a real process whose files may not grow past
    ``limit_bytes`` (RLIMIT_FSIZE: what a quota or a small filesystem does to a writer)."""
    import resource
    import signal

    def limit():  # pragma: no cover - runs in the child
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "matcue", *args], capture_output=True, text=True,
                          preexec_fn=limit, env=env, timeout=120, cwd=ROOT)  # fmt: skip


@pytest.mark.parametrize("command", ["render", "pack"])
def test_a_file_too_large_for_the_system_is_named_as_the_user_knows_it(tmp_path, command):
    """The message names the track in the folder asked for, never a temporary name or a
    pack's staging folder, and nothing is left."""
    routine = "tests/data/ok/all-kinds.yaml"
    warm = _under_a_file_size_limit(["script", routine, "--backend", "fake"], tmp_path, 10**9)
    assert warm.returncode == 0, warm.stderr  # the speech is cached; only the 5 MB track is too large
    out = tmp_path / "out"
    out.mkdir()
    r = _under_a_file_size_limit(
        [command, routine, "-o", str(out), "--backend", "fake", "--no-cover"], tmp_path, 1_000_000
    )
    assert r.returncode == 1, r.stderr
    assert r.stderr.endswith(
        f"Error: could not write '{out}/every-step-kind.mp3': larger than this system lets a file grow"
        " (choose another folder with -o)\n"
    ), r.stderr
    assert list(out.iterdir()) == []


def test_a_pack_zip_too_large_for_the_system_is_an_error_that_says_the_folder_is_whole(tmp_path):
    """The zip is written after the pack folder; past the file size limit it was an
    unexpected error (zipfile's close, exit 3) that left the folder without a word."""
    routine = "tests/data/ok/all-kinds.yaml"
    assert _under_a_file_size_limit(["script", routine, "--backend", "fake"], tmp_path, 10**9).returncode == 0
    whole = tmp_path / "measure" / "class"
    pack = ["pack", routine, "--backend", "fake", "--no-cover", "--zip", "-o"]
    assert _under_a_file_size_limit([*pack, str(whole)], tmp_path, 10**9).returncode == 0
    track, zipped = (whole / "every-step-kind.mp3").stat().st_size, Path(f"{whole}.zip").stat().st_size
    assert zipped > track + 2000
    out = tmp_path / "class"
    r = _under_a_file_size_limit([*pack, str(out)], tmp_path, track + 1000)  # the track fits; the zip does not
    assert r.returncode == 1, r.stderr
    assert r.stderr.endswith(
        f"Error: could not write '{out}.zip': larger than this system lets a file grow "
        f"(the pack folder '{out}' is complete; make room and pack again for the zip)\n"
    ), r.stderr
    assert "every-step-kind.mp3" in {p.name for p in out.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "class", "measure"]  # no zip, no temporary file


@pytest.mark.parametrize(
    "args",
    [
        ["check", "tests/data/ok/all-kinds.yaml"],
        ["schema"],
        ["script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "--json"],
    ],
)
def test_output_to_a_full_disk_is_our_error(tmp_path, args):
    """'> plan.json' on a full disk (here /dev/full) was an unexpected error (exit 3)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "matcue", *args], stdout=full, stderr=subprocess.PIPE, text=True,
                           env=env, timeout=120, cwd=ROOT)  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert r.stderr == "Error: cannot write the output: the disk is full\n"


def test_a_recording_page_too_large_for_the_system_leaves_no_folder(tmp_path):
    """It said "File too large" and left the empty folder it had made."""
    page = tmp_path / "sv" / "page"
    r = _under_a_file_size_limit(["cues", "tests/data/ok/all-kinds.yaml", "--page", str(page)], tmp_path, 2000)
    assert r.returncode == 1, r.stderr
    assert r.stderr.endswith(
        f"Error: cannot write the recording page into '{page}': larger than this system lets a file grow\n"
    ), r.stderr
    assert not (tmp_path / "sv").exists()


def test_a_speech_cache_entry_too_large_for_the_system_is_said_in_words(tmp_path):
    r = _under_a_file_size_limit(["script", "tests/data/ok/all-kinds.yaml", "--backend", "fake"], tmp_path, 100_000)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith(f"Error: could not write the voice cache entry '{tmp_path / 'cache'}/")
    assert r.stderr.endswith(
        ".npy': larger than this system lets a file grow (free some space, or set MATCUE_CACHE_DIR to another folder)\n"
    ), r.stderr
    entries = list((tmp_path / "cache").iterdir())
    assert [p.name for p in entries if p.name.startswith(".")] == []  # no temporary file left
    for p in entries:  # the entries that fit are whole; none was cut short (numpy's fwrite stops silently)
        assert len(np.load(p, allow_pickle=False)) > 0


# ----------------------------------------------------------------------------- faults: tools


def test_missing_ffmpeg_names_the_package(monkeypatch):
    from matcue.core.tools import ffmpeg_path

    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolMissingError) as e:
        ffmpeg_path()
    assert str(e.value) == (
        "ffmpeg is not installed (install the 'ffmpeg' package, e.g. 'sudo apt-get install ffmpeg', "
        "or run scripts/setup)"
    )


def test_missing_espeak_names_the_package(run, monkeypatch):
    monkeypatch.setenv("PATH", "")
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "espeak-ng")
    assert r.exit_code == 1
    assert r.stderr == (
        "Error: espeak-ng is not installed (install the 'espeak-ng' package, e.g. 'sudo apt-get install espeak-ng', "
        "or run scripts/setup)\n"
    )


# ----------------------------------------------------------------------------- faults: voices


class FlakyVoice(FakeVoice):
    """Fails (or hangs) on the first ``bad_tries`` attempts at ``phrase``."""

    name = "flaky"

    def __init__(self, phrase: str, bad_tries: int, hang: bool = False):
        super().__init__()
        self.phrase = phrase
        self.bad_tries = bad_tries
        self.hang = hang
        self.release = threading.Event()

    def synthesize(self, text, spec):
        if text == self.phrase and self.bad_tries > 0:
            self.bad_tries -= 1
            if self.hang:
                self.release.wait(30)
            raise VoiceError("the engine crashed")
        return super().synthesize(text, spec)


@pytest.fixture
def flaky(voice_cache_dir, monkeypatch):
    monkeypatch.setattr("matcue.voice.guard.BASE_TIMEOUT_S", 0.3)
    monkeypatch.setattr("matcue.voice.guard.PER_CHAR_TIMEOUT_S", 0.0)
    made = []

    def register(voice):
        register_backend("flaky", lambda: voice)
        made.append(voice)
        return voice

    yield register
    for v in made:
        v.release.set()
    unregister_backend("flaky")


ROUTINE = DATA / "ok" / "all-kinds.yaml"
PHRASE = "Welcome. I am Maya."


def test_a_phrase_that_fails_once_is_retried(flaky):
    voice = flaky(FlakyVoice(PHRASE, bad_tries=1))
    built = build_timeline(ROUTINE, voice=VoiceOverrides(backend="flaky"))
    assert PHRASE in built.clips
    assert voice.texts.count(PHRASE) == 1  # the second attempt succeeded


def test_a_phrase_that_keeps_failing_is_reported_with_the_phrase(flaky, run):
    flaky(FlakyVoice(PHRASE, bad_tries=2))
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "flaky")
    assert r.exit_code == 1
    assert r.stderr == (
        "Error: voice backend 'flaky' failed twice to speak 'Welcome. I am Maya.': the engine crashed\n"
    )


def test_a_phrase_that_hangs_times_out_and_is_reported(flaky):
    flaky(FlakyVoice(PHRASE, bad_tries=2, hang=True))
    start = time.perf_counter()
    with pytest.raises(VoiceError) as e:
        build_timeline(ROUTINE, voice=VoiceOverrides(backend="flaky"))
    assert time.perf_counter() - start < 5
    assert str(e.value) == "voice backend 'flaky' failed twice to speak 'Welcome. I am Maya.': no result within 0.3 s"


def test_a_phrase_that_hangs_once_is_retried(flaky):
    voice = flaky(FlakyVoice(PHRASE, bad_tries=1, hang=True))
    built = build_timeline(ROUTINE, voice=VoiceOverrides(backend="flaky"))
    assert PHRASE in built.clips
    voice.release.set()


def test_a_backend_that_retries_itself_is_not_retried_again(flaky):
    voice = FlakyVoice(PHRASE, bad_tries=1)
    voice.retries_itself = True  # as pyttsx3: its own synthesize() already tried twice
    flaky(voice)
    with pytest.raises(VoiceError) as e:
        build_timeline(ROUTINE, voice=VoiceOverrides(backend="flaky"))
    assert str(e.value) == "the engine crashed"  # the backend's own report, not wrapped
    assert voice.bad_tries == 0 and PHRASE not in voice.texts  # one attempt, not two


def test_the_guard_leaves_no_trace_in_the_registry(fake_voice):
    from matcue.voice.registry import BACKENDS

    before = set(BACKENDS)
    build_timeline(ROUTINE, voice=FAKE)
    assert set(BACKENDS) == before


# ----------------------------------------------------------------------------- doctor


class _Up:
    name = "up"

    def available(self):
        return True


class _Down:
    name = "down"

    def available(self):
        return False


@pytest.fixture
def doctor_world(tmp_path, monkeypatch):
    """Fake tools and voices: ffmpeg present, ffprobe missing, one voice up and one down."""
    import matcue.audio.render
    import matcue.cli.doctor
    import matcue.voice.registry as registry

    monkeypatch.setattr(matcue.audio.render, "default_encoder", lambda: "lame")
    monkeypatch.setattr(matcue.cli.doctor.shutil, "which", lambda tool: "/usr/bin/ffmpeg" if tool == "ffmpeg" else None)
    monkeypatch.setattr(registry, "BACKENDS", {"up": lambda: _Up(), "down": lambda: _Down()})
    monkeypatch.setattr(registry, "_instances", {})
    monkeypatch.setattr(registry, "resolve_auto", lambda: _Up())
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(cache))
    np.save(cache / "good.npy", np.ones(10, dtype=np.int16))
    (cache / "bad.npy").write_bytes(b"\x93NUMPY truncated")
    (cache / ".abc-123.tmp").write_bytes(b"half")
    monkeypatch.chdir(tmp_path)
    return cache


def test_doctor_output_is_pinned(doctor_world):
    r = CliRunner().invoke(cli, ["doctor"], catch_exceptions=False)
    cache = doctor_world
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "ok       ffmpeg: /usr/bin/ffmpeg\n"
        "problem  ffprobe: not installed; used to read MP3s back (tests, probing) (sudo apt-get install ffmpeg)\n"
        "ok       encoder: LAME in this process (lameenc)\n"
        "ok       voice up: available\n"
        "problem  voice down: not available on this machine\n"
        "ok       voice auto: speaks with up\n"
        f"ok       speech cache folder: {cache} is writable\n"
        "problem  speech cache entries: 1 of 2 entries do not load (bad.npy); 1 temporary files left by an "
        "interrupted render (run 'matcue doctor --fix' to delete them)\n"
        "ok       output folder: audio_out can be created\n"
        "ready to render (3 optional problems)\n"
    )


def test_doctor_fix_deletes_corrupt_entries(doctor_world):
    r = CliRunner().invoke(cli, ["doctor", "--fix"], catch_exceptions=False)
    assert "ok       speech cache entries: deleted 1 corrupt entries and 1 temporary files\n" in r.stdout
    assert sorted(p.name for p in doctor_world.iterdir()) == ["good.npy"]
    r = CliRunner().invoke(cli, ["doctor"], catch_exceptions=False)
    assert "ok       speech cache entries: 1 entries, all load\n" in r.stdout


def test_doctor_fails_when_a_required_check_fails(doctor_world, tmp_path, monkeypatch):
    import matcue.voice.registry as registry

    def nothing():
        raise ToolMissingError("flite", "flite")

    monkeypatch.setattr(registry, "resolve_auto", nothing)
    (tmp_path / "file").write_text("")
    r = CliRunner().invoke(cli, ["doctor", "-o", str(tmp_path / "file" / "out")], catch_exceptions=False)
    assert r.exit_code == 1
    assert (
        "problem  voice auto: no voice backend is installed (flite is not installed (install the 'flite' package, "
        "e.g. 'sudo apt-get install flite', or run scripts/setup)) [required]\n" in r.stdout
    )
    assert (
        f"problem  output folder: '{tmp_path / 'file'}' is a file, not a folder (choose another folder with -o) "
        "[required]\n" in r.stdout
    )
    assert r.stderr == "2 required checks failed\n"


# ----------------------------------------------------------------------------- the corpus via the CLI


CORPUS = sorted((DATA / "errors").glob("*.yaml")) + sorted((DATA / "errors").glob("*.bin"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_no_corpus_file_gives_a_traceback_or_audio(run, tmp_path, path, fake_voice):
    rel = str(path.relative_to(ROOT))
    r = run("check", rel)
    assert r.exit_code == 1 and "Traceback" not in r.stderr and "Unexpected error" not in r.stderr
    r = run("render", rel, "-o", str(tmp_path / "out"), "--backend", "fake")
    assert r.exit_code == 1 and "Traceback" not in r.stderr and "Unexpected error" not in r.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
