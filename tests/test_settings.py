"""Settings (matcue.settings): one precedence rule, defaults < routine < profile < flags,
tested for every field of the session and the voice."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from matcue.api import voice_spec
from matcue.plan.compile import Options, compile_routine, resolve_level
from matcue.routine.loader import loads_routine
from matcue.routine.model import Text, VoiceSettings
from matcue.routine.profile import Profile, parse_breath
from matcue.settings import ADDED, Settings, overlay, tailor
from matcue.voice.base import VoiceOverrides

# field -> (a profile's value, a flag's value); "added" fields add up instead
SESSION = {
    "level": ("intermediate", "advanced"),
    "first_side": ("left", "right"),
    "duration_ms": (600_000, 900_000),
    "pace": (1.2, 0.9),
    "breath": (parse_breath("4:6"), parse_breath("5:7")),
    "verbosity": ("brief", "full"),
    "countdown": (5, 0),
    "tones": (False, True),
    "skip": ((Text("Warm up", None, "skip[0]"),), (Text("Rest", None, "--skip"),)),
    "vars": ((("teacher", "Anna"),), (("teacher", "Ben"),)),
}
VOICE = {"backend": ("flite", "espeak-ng"), "name": ("slt", "en-us"), "rate": (140, 170)}


def test_the_table_covers_every_field_a_profile_sets():
    profile_fields = {f.name for f in fields(Profile)} - {"name", "path", "mark", "marks", "voice"}
    assert profile_fields == set(SESSION)  # a new field must get its row here
    marks = {"backend_mark", "name_mark"}  # where a profile writes them, not settings (below)
    assert {f.name for f in fields(VoiceOverrides)} - marks == set(VOICE)
    assert set(SESSION) <= {f.name for f in fields(Options)}


def test_a_profiles_voice_keeps_where_it_is_written_unless_a_flag_replaces_it():
    from matcue.core.errors import Mark

    at_backend, at_name = Mark("p.yaml", 2, 18), Mark("p.yaml", 2, 30)
    voice = VoiceSettings(backend="fake", name="fak", backend_mark=at_backend, name_mark=at_name)
    person = Profile(name="P", voice=voice)
    tailored = Settings().for_person(person).voice
    assert (tailored.backend_mark, tailored.name_mark) == (at_backend, at_name)
    flagged = Settings(voice=VoiceOverrides(name="fake")).for_person(person).voice
    assert (flagged.backend_mark, flagged.name_mark) == (at_backend, None)


@pytest.mark.parametrize("name", SESSION)
def test_session_precedence(name):
    from_profile, from_flag = SESSION[name]
    default = getattr(Options(), name)
    person = Profile(name="P", **{name: from_profile})
    flags = Options(**{name: from_flag})
    # default: neither sets it (None or empty: the routine's value, else the default, applies)
    assert getattr(Settings().for_person(Profile(name="P")).session, name) == default
    # the profile wins over the default
    assert getattr(Settings().for_person(person).session, name) == from_profile
    # the flag wins over the default, with or without a profile
    assert getattr(Settings(session=flags).for_person(None).session, name) == from_flag
    both = getattr(Settings(session=flags).for_person(person).session, name)
    if name in ADDED:  # both apply, the flag's after the profile's (a later vars entry wins)
        assert both == (*from_profile, *from_flag)
    else:
        assert both == from_flag


@pytest.mark.parametrize("name", VOICE)
def test_voice_precedence_over_the_routine(name):
    from_routine = {"backend": "pico2wave", "name": "en-GB", "rate": 120}[name]
    from_profile, from_flag = VOICE[name]
    value = from_routine if name != "rate" else str(from_routine)
    routine = loads_routine(f"title: T\nvoice:\n  {name}: {value}\nsteps:\n  - say: Hello.\n", "r.yaml")
    person = Profile(name="P", voice=VoiceSettings(**{name: from_profile}))
    flags = Settings(voice=VoiceOverrides(**{name: from_flag}))

    def spoken(settings: Settings) -> object:
        return getattr(voice_spec(routine, settings.voice), name)

    assert spoken(Settings()) == from_routine  # the routine's over the default
    assert spoken(Settings().for_person(person)) == from_profile  # the profile's over the routine's
    assert spoken(flags.for_person(person)) == from_flag  # the flag's over all
    bare = loads_routine("title: T\nsteps:\n  - say: Hello.\n", "r.yaml")
    assert voice_spec(bare, VoiceOverrides()).backend == "auto"  # the default


SIDED = """title: T
level: intermediate
first_side: left
countdown: 0
steps:
  - pose: Pigeon
    sides: both
    hold: 30s
"""


def _first_side(options: Options) -> str:
    script = compile_routine(loads_routine(SIDED, "r.yaml"), options)
    return script.texts()[0]  # "Pigeon. Left side."


def test_the_routine_level_and_first_side_lose_to_a_profile_and_a_flag():
    routine = loads_routine(SIDED, "r.yaml")
    assert resolve_level(loads_routine("title: T\nsteps:\n  - say: Hi.\n", "r"), Options()) == "beginner"
    assert resolve_level(routine, tailor(None, Options())) == "intermediate"  # the routine's
    person = Profile(name="P", level="advanced", first_side="right")
    assert resolve_level(routine, tailor(person, Options())) == "advanced"
    assert resolve_level(routine, tailor(person, Options(level="beginner"))) == "beginner"
    assert _first_side(tailor(None, Options())) == "Pigeon. Left side."  # the routine's
    assert _first_side(tailor(person, Options())) == "Pigeon. Right side."
    assert _first_side(tailor(person, Options(first_side="left"))) == "Pigeon. Left side."


def test_overlay_keeps_what_the_top_leaves_unset():
    base = Options(level="advanced", vars=(("a", "1"),), max_total_ms=1000)
    assert overlay(base, Options()) == replace_max(base)
    assert overlay(base, None) is base
    assert overlay(base, Options(vars=(("a", "2"),))).vars == (("a", "1"), ("a", "2"))


def replace_max(o: Options) -> Options:
    from dataclasses import replace

    return replace(o, max_total_ms=Options().max_total_ms)


def test_settings_output_default_is_the_format_default():
    from matcue.audio.codec import DEFAULT_FORMAT

    out = Settings().output
    assert out.fmt == DEFAULT_FORMAT and out.bitrate is None and out.folder == Path("audio_out")


def test_every_flag_of_a_settings_concern_becomes_a_setting() -> None:
    """A flag added to a concern's decorator but not to SETTING_FLAGS would reach the
    command as an unexpected keyword (exit 3); and no name there is stale."""
    import click

    from matcue.cli import options

    @options.mix_options
    @options.format_options
    @options.tailoring_options
    @options.safety_options
    @options.output_options()
    @options.recordings_option
    @click.command()
    def every(**kw: object) -> None: ...

    names = {p.name for p in every.params}
    assert names - {"out_dir"} <= set(options.SETTING_FLAGS)
    assert set(options.SETTING_FLAGS) - names <= {"out_dir"}  # -o is each command's own (its default differs)
