"""The command line through click's CliRunner: exit codes, exact messages, --help."""

import json
from pathlib import Path

import pytest

from matcue.cli import main as cli_module
from matcue.plan.timeline import EVENT_KINDS
from matcue.voice.backends.fake import fake_length_ms

DATA = Path(__file__).parent / "data"
GOOD = DATA / "ok" / "all-kinds.yaml"


def test_check_ok(run):
    r = run("check", "tests/data/ok/all-kinds.yaml")
    assert r.exit_code == 0
    assert r.stdout == "tests/data/ok/all-kinds.yaml: ok\n"


def test_check_reports_every_problem_located_and_exits_1(run):
    r = run("check", "tests/data/errors/multi.yaml", "tests/data/ok/all-kinds.yaml")
    assert r.exit_code == 1
    assert r.stderr == (
        "tests/data/errors/multi.yaml:7:11: steps[0].hold: expected a duration like '30s' or '5 breaths', got 'long'\n"
        "tests/data/errors/multi.yaml:8:12: steps[1].pause: a duration cannot be negative, got '-1s'\n"
        "tests/data/errors/multi.yaml:9:11: steps[2].rest: expected a duration like '30s' or '1m30s', got '3x'\n"
        "3 problems found\n"
    )
    assert r.stdout == "tests/data/ok/all-kinds.yaml: ok\n"


def test_usage_errors_exit_2(run):
    assert run("render").exit_code == 2
    assert run("script", "x.yaml", "--level", "expert").exit_code == 2
    assert run("nonsense").exit_code == 2
    r = run("script", "tests/data/ok/all-kinds.yaml", "--set", "novalue", "--backend", "fake")
    assert r.exit_code == 2
    assert "Invalid value for '--set': expected KEY=VALUE, got 'novalue'" in r.stderr


def test_script_json_follows_the_contract(run, fake_voice):
    r = run("script", "tests/data/ok/all-kinds.yaml", "--json", "--backend", "fake")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["title"] == "Every step kind"
    assert isinstance(doc["total_ms"], int)
    assert [c["title"] for c in doc["chapters"]][:3] == ["Introduction", "Hip circles", "Seated forward fold (right)"]
    for e in doc["events"]:
        assert e["kind"] in EVENT_KINDS
        assert isinstance(e["start_ms"], int) and isinstance(e["end_ms"], int)
        assert 0 <= e["start_ms"] < e["end_ms"]
        assert ("text" in e) == (e["kind"] == "speech")
    assert doc["events"] == sorted(doc["events"], key=lambda e: e["start_ms"])
    assert doc["events"][0] == {
        "start_ms": 0,
        "end_ms": fake_length_ms("Welcome. I am Maya.", 150),
        "kind": "speech",
        "text": "Welcome. I am Maya.",
        "source": "synthesized",
    }
    assert {e["source"] for e in doc["events"] if e["kind"] == "speech"} == {"synthesized"}


def test_script_text_and_options(run, fake_voice):
    r = run(
        "script",
        "tests/data/ok/all-kinds.yaml",
        "--backend",
        "fake",
        "--first-side",
        "left",
        "--set",
        "teacher=Ben",
        "--level",
        "advanced",
    )
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Every step kind — ")
    assert "Welcome. I am Ben." in r.stdout
    assert r.stdout.index("Seated forward fold (left)") < r.stdout.index("Seated forward fold (right)")
    assert "Advanced only" in r.stdout


def test_script_of_a_bad_routine_is_located_exit_1(run):
    r = run("script", "tests/data/errors/hold-words.yaml", "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr == (
        "tests/data/errors/hold-words.yaml:6:11: steps[0].hold: expected a duration like '30s' or '5 breaths', "
        "got 'five'\n"
    )


def test_render_bad_routine_writes_nothing(run, tmp_path):
    r = run("render", "tests/data/errors/multi.yaml", "-o", str(tmp_path / "out"), "--backend", "fake")
    assert r.exit_code == 1
    assert "1 routine not rendered" in r.stderr
    assert not list(tmp_path.rglob("*.mp3"))


def test_unknown_backend_is_a_usage_error_in_every_command(run, tmp_path):
    """Which backends exist is known without a routine: a usage error (it exited 1), the
    same words in script, render and voices."""
    for args in (("script", str(GOOD)), ("render", str(GOOD), "-o", str(tmp_path)), ("voices",)):
        r = run(*args, "--backend", "espek")
        assert r.exit_code == 2, args
        assert r.stderr.splitlines()[-1] == (
            "Error: Invalid value for '--backend': unknown voice backend 'espek' (did you mean 'espeak-ng'? "
            "known: auto, espeak-ng, pyttsx3, fake, flite, rhvoice, pico2wave, mbrola, hibari)"
        )


@pytest.mark.parametrize(
    ("args", "option", "what"),
    [
        (("script", str(GOOD), "--backend", ""), "--backend", "a voice backend"),
        (("voices", "--backend", " "), "--backend", "a voice backend"),
        (("script", str(GOOD), "--voice", ""), "--voice", "a voice id"),
        (("script", str(GOOD), "--skip", " "), "--skip", "the name of a step or section"),
        (("render", str(GOOD), "--only", ""), "--only", "the name of a section, step or chapter"),
        (("render", str(GOOD), "--from", ""), "--from", "the name of a section, step or chapter"),
        # a path option: an empty name was Path('') = '.', the current folder ('--roster ""' read it as a roster)
        (("render", str(GOOD), "--roster", ""), "--roster", "a roster file or a folder of profiles"),
        (("pack", str(GOOD), "-o", "x", "--roster", " "), "--roster", "a roster file or a folder of profiles"),
        (("render", str(GOOD), "--profile", ""), "--profile", "a profile file"),
        (("script", str(GOOD), "--music", ""), "--music", "an audio file"),
        (("render", str(GOOD), "--recordings", ""), "--recordings", "a folder or a .zip of recordings"),
    ],
)
def test_an_empty_name_is_a_usage_error_naming_its_option(run, args, option, what):
    r = run(*args)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for '{option}': expected {what}, got an empty name"


@pytest.mark.parametrize("option", ["--only", "--from", "--skip", "--voice", "--backend"])
def test_a_control_character_in_a_name_is_a_usage_error_for_every_name_option(run, option):
    """--only exited 1 where --skip exited 2; U+202E was called a control character."""
    r = run("render", str(GOOD), option, "a\x01")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '{option}': 'a\\x01' contains the control character U+0001 (remove it)"
    )
    r = run("render", str(GOOD), option, "a\u202e")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '{option}': 'a\\u202e' contains the bidirectional formatting character U+202E "
        "(remove it)"
    )


def test_a_name_the_routine_lacks_is_exit_1_named_by_its_option(run, tmp_path):
    """--only, --skip and --voice are judged against the routine (and its backend): exit 1,
    the option named as a located problem names its place, the value escaped on one line."""
    r = run("render", str(GOOD), "--only", "a\nb", "-o", str(tmp_path), "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr.startswith("--only: no section, step or chapter of 'Every step kind' is named 'a\\nb'")
    r = run("script", str(GOOD), "--skip", "a\nb", "--backend", "fake")
    assert r.exit_code == 1
    assert r.stderr.startswith("--skip: no step or section of 'Every step kind' is named 'a\\nb'")
    r = run("script", str(GOOD), "--backend", "fake", "--voice", "fak")
    assert r.exit_code == 1
    assert (
        r.stderr
        == "--voice: backend 'fake' has no voice 'fak' (did you mean 'fake'? voices: fake; see 'matcue voices')\n"
    )


def test_a_profiles_voice_is_named_as_its_key_where_the_profile_writes_it(run, tmp_path):
    """A profile's voice.name was reported unlocated (script) or at 1:1 (render)."""
    profile = tmp_path / "anna.yaml"
    profile.write_text("name: Anna\nvoice: {backend: fake, name: fak}\n", encoding="utf-8")
    said = f"{profile}:2:30: voice.name: backend 'fake' has no voice 'fak' "
    said += "(did you mean 'fake'? voices: fake; see 'matcue voices')"
    r = run("script", str(GOOD), "--profile", str(profile))
    assert (r.exit_code, r.stderr) == (1, said + "\n")
    r = run("render", str(GOOD), "--profile", str(profile), "-o", str(tmp_path / "out"))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == said
    r = run("script", str(GOOD), "--profile", str(profile), "--voice", "fake")  # the option wins: no problem
    assert r.exit_code == 0


@pytest.mark.parametrize("command", ["check", "script", "render", "pack", "cues"])
def test_an_empty_routine_argument_is_a_usage_error_in_every_command(run, command, tmp_path):
    """It was the current folder: "'.' is a folder, not a routine file", exit 1."""
    args = ("-o", str(tmp_path / "out")) if command in ("render", "pack") else ()
    for empty in ("", "  "):
        r = run(command, empty, *args)
        assert r.exit_code == 2
        arg = "ROUTINE" if command in ("script", "cues") else "ROUTINES..."
        assert r.stderr.splitlines()[-1] == (
            f"Error: Invalid value for '{arg}': expected a path to a routine file, got an empty name"
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ("vtt,,srt", "an empty item (item 2 of 'vtt,,srt')"),
        ("vtt,", "an empty item (item 2 of 'vtt,')"),
        ("", "an empty value"),
        (" ", "an empty value"),
        ("VTX", "'VTX'"),
        ("vtt,xx", "'xx' in 'vtt,xx'"),
    ],
)
def test_captions_with_an_empty_or_unknown_item_are_a_usage_error(run, tmp_path, value, got):
    """'vtt,,srt' and '' wrote a track and no word about the empty item."""
    for command in ("render", "pack"):
        r = run(command, str(GOOD), "--captions", value, "-o", str(tmp_path / "out"))
        assert r.exit_code == 2
        assert r.stderr.splitlines()[-1] == (
            "Error: Invalid value for '--captions': expected a comma-separated list of vtt, srt, lrc (or 'all'), "
            f"got {got}"
        )
    assert not (tmp_path / "out").exists()


def test_unexpected_errors_exit_3_with_a_hint(run, monkeypatch):
    import matcue.api

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(matcue.api, "check_routine", boom)
    r = run("check", "tests/data/ok/all-kinds.yaml")
    assert r.exit_code == 3
    assert r.stderr == (
        "Unexpected error: RuntimeError: kaput\n"
        "This is a bug in matcue. Rerun with --traceback to see where it happened.\n"
    )
    r = run("--traceback", "check", "tests/data/ok/all-kinds.yaml")
    assert r.exit_code == 3
    assert "Traceback (most recent call last)" in r.stderr and "kaput" in r.stderr


def test_ctrl_c_exits_130(run, monkeypatch):
    import matcue.api

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(matcue.api, "check_routine", interrupted)
    r = run("check", "tests/data/ok/all-kinds.yaml")
    assert r.exit_code == 130
    assert r.stderr == "Interrupted.\n"


def test_main_returns_exit_codes(monkeypatch, capsys):
    monkeypatch.chdir(DATA.parent.parent)
    assert cli_module.main(["check", "tests/data/ok/all-kinds.yaml"]) == 0
    assert cli_module.main(["check", "tests/data/errors/zero.yaml"]) == 1
    assert cli_module.main(["check"]) == 2


def test_help_is_pinned(run):
    r = run("--help")
    assert r.stdout == (
        "Usage: matcue [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Turn a yoga, stretching or mobility routine written in YAML into a guided MP3:\n"
        "  spoken cues, breath-pacing tones, bells and countdowns, with chapters.\n"
        "\n"
        "Options:\n"
        "  --version    Show the version and exit.\n"
        "  --traceback  Show the full traceback of an unexpected error.\n"
        "  -h, --help   Show this message and exit.\n"
        "\n"
        "Commands:\n"
        "  check   Validate routines and print every problem found.\n"
        "  cues    List every phrase ROUTINE speaks, to record in your own voice.\n"
        "  doctor  Check tools, voices, speech cache and output folder.\n"
        "  new     Start a routine from a template.\n"
        "  pack    Write a class pack: MP3s, captions, a playlist and a share page.\n"
        "  render  Render each ROUTINE to OUTPUT/<slug-of-title>.mp3 and print its...\n"
        "  schema  Print or write the JSON Schema of routines and profiles.\n"
        "  script  Print the timed script of ROUTINE (no audio is written).\n"
        "  voices  List every backend's voices and auto's pick.\n"
    )


@pytest.mark.parametrize("command", ["check", "render", "script", "cues"])
def test_safety_options_documented(run, command):
    out = run(command, "--help").stdout
    for opt in ("--max-length", "--allow-outside"):
        assert opt in out


@pytest.mark.parametrize("command", ["render", "script", "pack"])
def test_shared_options_documented(run, command):
    out = run(command, "--help").stdout
    for opt in (
        "--level",
        "--first-side",
        "--voice",
        "--rate",
        "--backend",
        "--set",
        "--no-tones",
        "--duration",
        "--pace",
        "--breath",
        "--verbosity",
        "--countdown",
        "--skip",
    ):
        assert opt in out


MP3_RATES = "32k, 40k, 48k, 56k, 64k, 80k, 96k, 112k, 128k, 160k, 192k, 224k, 256k, 320k"


@pytest.mark.parametrize(
    "command",
    [("render",), ("pack",), ("render", "--only", "Intro"), ("render", "--roster", "routines/profiles/class.yaml")],
)
@pytest.mark.parametrize(
    "flags, message",
    [
        (("--bitrate", "100k"), f"unsupported MP3 bitrate '100k': choose one of {MP3_RATES} (default 48k)"),
        (
            ("--bitrate", "100k", "--format", "mp3"),
            f"unsupported MP3 bitrate '100k': choose one of {MP3_RATES} (default 48k)",
        ),
        (("--bitrate", "4k", "--format", "opus"), "unsupported Opus bitrate '4k': expected 6k to 256k (default 48k)"),
        (
            ("--format", "m4a", "--bitrate", "400k"),
            "unsupported M4A bitrate '400k': expected 16k to 320k (default 32k)",
        ),
    ],
)
def test_a_bitrate_the_format_does_not_take_is_a_usage_error_everywhere(run, tmp_path, command, flags, message):
    out = tmp_path / "out"
    r = run(*command, str(GOOD), "-o", str(out), "--backend", "fake", *flags)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for '--bitrate': {message}"
    assert not out.exists()


def test_the_library_refuses_a_bad_bitrate_before_any_speech(tmp_path, fake_voice):
    from matcue.api import render_routine
    from matcue.audio.codec import FormatError
    from matcue.settings import Output, Settings
    from matcue.voice.base import VoiceOverrides

    settings = Settings(voice=VoiceOverrides("fake"), output=Output(tmp_path, bitrate="100k"))
    with pytest.raises(FormatError, match=r"unsupported MP3 bitrate '100k': choose one of 32k, .* \(default 48k\)"):
        render_routine(GOOD, settings)
    assert fake_voice.calls == 0


def test_script_takes_every_flag_that_changes_the_timed_script(run):
    """A flag of render's that changes the timed script is taken by script too."""
    from matcue.cli.check import script
    from matcue.cli.render import render

    timing = {"--level", "--first-side", "--backend", "--voice", "--rate", "--set", "--no-tones", "--duration",
              "--pace", "--breath", "--verbosity", "--countdown", "--skip", "--max-length", "--allow-outside",
              "--profile"}  # fmt: skip

    def flags(command):  # type: ignore[no-untyped-def]
        return {o for p in command.params for o in p.opts}

    assert timing <= flags(render) and timing <= flags(script)


@pytest.mark.parametrize("command", ["check", "script", "cues", "render"])
@pytest.mark.parametrize("kind", ["missing", "fifo", "device", "long"])
def test_a_bad_recordings_option_is_the_same_usage_error_in_every_command(run, tmp_path, command, kind):
    import os

    target = {
        "missing": tmp_path / "nowhere",
        "fifo": tmp_path / "pipe",
        "device": Path("/dev/zero"),
        "long": tmp_path / ("a" * 300),
    }[kind]
    if kind == "fifo":
        os.mkfifo(target)
    extra = [] if command == "check" else ["--backend", "fake"]
    r = run(
        command, str(GOOD), "--recordings", str(target), *extra, *(["-o", str(tmp_path)] if command == "render" else [])
    )
    assert r.exit_code == 2, r.output
    last = r.stderr.splitlines()[-1]
    assert last.startswith("Error: Invalid value for '--recordings': ")
    expected = {
        "missing": f"folder '{target}' not found",
        "fifo": f"'{target}' is a named pipe, not a folder or a .zip of recordings",
        "device": "'/dev/zero' is a device, not a folder or a .zip of recordings",
        "long": "cannot be read: File name too long",
    }[kind]
    assert expected in last and len(last) < 300


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_music_that_is_a_pipe_or_a_device_is_named_for_what_it_is(run, tmp_path, kind):
    import os

    target = tmp_path / "pipe" if kind == "fifo" else Path("/dev/zero")
    if kind == "fifo":
        os.mkfifo(target)
    r = run("script", str(GOOD), "--backend", "fake", "--music", str(target))
    assert r.exit_code == 2
    what = "a named pipe" if kind == "fifo" else "a device"
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for '--music': '{target}' is {what}, not an audio file"


@pytest.mark.parametrize("command", ["script", "render"])
def test_music_that_is_not_audio_is_refused_before_any_synthesis(run, tmp_path, fake_voice, command):
    import shutil

    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    target = tmp_path / "notaudio.mp3"
    target.write_text("just text\n")
    out = ("-o", str(tmp_path / "out")) if command == "render" else ()
    r = run(command, str(GOOD), "--backend", "fake", "--music", str(target), *out)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--music': music file '{target}' cannot be decoded as audio "
        "(an audio file such as MP3, OGG, FLAC, WAV or M4A)"
    )  # the words check says of the routine's music:
    assert fake_voice.calls == 0 and not (tmp_path / "out").exists()


def test_a_pipe_where_a_folder_goes_is_named_by_cues_page_and_schema_write(run, tmp_path):
    import os

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    r = run("cues", str(GOOD), "--page", str(pipe))
    assert r.exit_code == 1
    assert (
        r.stderr.splitlines()[-1] == f"Error: cannot write the recording page: '{pipe}' is a named pipe, not a folder"
    )
    r = run("schema", "--write", "-o", str(pipe))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == (
        f"Error: cannot write the schema files: '{pipe}' is a named pipe, not a folder (choose another folder with -o)"
    )


def test_a_feed_url_with_an_escape_code_is_refused_for_it(run, tmp_path):
    r = run("pack", str(GOOD), "-o", str(tmp_path / "o"), "--backend", "fake", "--feed-url", "https://x.org/\x1b[31m")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1].endswith("the address may not contain control characters")
    assert "\x1b" not in r.stderr


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--duration", "0", "a duration must be more than zero here, got '0'"),
        ("--duration", "20m-25m", "expected a duration like '30s' or '1m30s', got '20m-25m'"),
        ("--duration", "25:00", "expected a duration like '30s' or '1m30s', got '25:00' (not a clock time: write "
         "'25m' for minutes and seconds, '25h' for hours and minutes)"),
        ("--duration", "２０m", "expected a duration like '30s' or '1m30s', got '２０m' ('２' is FULLWIDTH DIGIT TWO; "
         "numbers take the digits 0-9; write '20m')"),
        ("--duration", "20 Min", "expected a duration like '30s' or '1m30s', got '20 Min' (the units are h, m and s; "
         "write '20m')"),
        ("--duration", "100h", "a duration must be under 100 hours, got '100h'"),
        ("--rate", "１５０", "expected a whole number from 60 to 500, got '１５０' ('１' is FULLWIDTH DIGIT ONE; "
         "numbers take the digits 0-9)"),
        ("--countdown", "٣", "expected a whole number from 0 to 60, got '٣' ('٣' is ARABIC-INDIC DIGIT THREE; "
         "numbers take the digits 0-9)"),
        ("--pace", "1_2", "expected a number from 0.8 to 1.5, got '1_2' (numbers take the digits 0-9, without '_')"),
    ],
)  # fmt: skip
def test_number_options_are_usage_errors_saying_what_to_write(run, option, value, message):
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", option, value)
    assert r.exit_code == 2, r.output
    assert f"Invalid value for '{option}': {message}\n" in r.stderr


@pytest.mark.parametrize("command", ["check", "script", "cues", "render"])
def test_a_broken_recordings_index_is_the_same_located_line_in_every_command(run, tmp_path, fake_voice, command):
    import zipfile

    routine = tmp_path / "ok.yaml"
    routine.write_text("title: t\nsteps:\n  - pose: P\n    hold: 10s\n")
    takes = tmp_path / "t.zip"
    with zipfile.ZipFile(takes, "w") as z:
        z.writestr("index.yaml", "a: [\n")
    extra = {"script": ["--backend", "fake"], "render": ["--backend", "fake", "-o", str(tmp_path / "out")]}
    r = run(command, str(routine), "--recordings", str(takes), *extra.get(command, []))
    assert r.exit_code == 1
    line = f"{takes}:index.yaml:2:1: YAML syntax error: expected the node content, but found '<stream end>'"
    assert r.stderr.splitlines()[0] == line  # never "Error: ..." (script and cues said that)
    assert not (tmp_path / "out").exists()


def test_check_warns_of_a_countdown_longer_than_its_hold_and_a_bell_that_never_rings(run, tmp_path: Path) -> None:
    """countdown: 5 on a 3s hold counted from 2, and bell_every: 20s on a 10s timer never rang, unsaid."""
    routine = tmp_path / "w.yaml"
    routine.write_text(
        "title: W\nsteps:\n"
        "  - {pose: Fold, hold: 3s, countdown: 5}\n"
        "  - {timer: Sit, duration: 10s, bell_every: 20s}\n"
        "  - {pose: Twist, hold: 1s, countdown: 1}\n"  # 1s hold: even one word is left out
        "  - {pose: Short, hold: 2s}\n"  # the default countdown of 3, cut unsaid
        "  - {timer: Ok, duration: 30s, bell_every: 10s}\n"
    )
    r = run("check", str(routine))
    assert r.exit_code == 0, r.output
    assert r.stdout == f"{routine}: ok\n"
    assert r.stderr == (
        f"warning: {routine}:3:5: steps[0]: a countdown of 5 does not fit the 3s hold: it counts from 2"
        " (shorten the countdown, or lengthen the hold)\n"
        f"warning: {routine}:4:5: steps[1]: bell_every 20s is not shorter than the 10s timer: the bell never rings"
        " (make it shorter than the timer, or leave it out)\n"
        f"warning: {routine}:5:5: steps[2]: a countdown of 1 does not fit the 1s hold: it is left out"
        " (shorten the countdown, or lengthen the hold)\n"
    )


def test_a_closed_standard_output_is_an_error_not_a_silent_exit_0(tmp_path):
    """``matcue script r.yaml >&-`` printed nothing and exited 0 (click writes nowhere when
    there is no stdout); '> /dev/full' was already "cannot write the output: ..."."""
    import os
    import subprocess
    import sys

    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nsteps:\n  - say: Hi.\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src"), "MATCUE_CACHE_DIR": str(tmp_path / "c")}
    r = subprocess.run(
        [sys.executable, "-m", "matcue", "script", str(routine), "--backend", "fake"],
        env=env, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1), timeout=60,
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr == f"Error: cannot write the output: {cli_module.STDOUT_CLOSED}\n"
    assert cli_module.STDOUT_CLOSED == "standard output is closed (send it to a file, or to /dev/null)"
