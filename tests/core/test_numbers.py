"""Every parser of a number a person typed (a flag, an environment variable, a profile or
routine value) refuses huge digit runs, 1e309, nan and inf with its own error, never an
OverflowError or Python's 4300-digit ValueError (docs/reliability.md)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcue.audio.codec import FORMATS, FormatError, parse_bitrate
from matcue.audio.encode import default_jobs
from matcue.core.durations import DurationError, parse_duration_ms
from matcue.core.errors import MatcueError, RoutineError
from matcue.core.numbers import NumberError, decimal_number, whole, whole_number
from matcue.routine.loader import loads_routine
from matcue.routine.profile import BreathFormatError, loads_profile, parse_breath, parse_pace

_DIGITS = st.integers(1, 6000).map(lambda n: "9" * n)
NUMBERS = st.one_of(
    _DIGITS,
    st.sampled_from(["1e309", "-1e309", "nan", "inf", "-inf", "-0", "0", "+0", "-0.0", "1e-400", "0.000001", "00007"]),
    st.builds(lambda a, b: f"{a}.{b}", _DIGITS, _DIGITS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
)


def _refused_or(parse, exc, text):
    try:
        parse(text)
    except exc as e:
        assert len(str(e)) < 300, str(e)


@given(NUMBERS)
@example("9" * 306 + ":1")
@settings(max_examples=200, deadline=None)
def test_any_number_string_is_a_value_or_our_error_in_every_parser(text):
    _refused_or(parse_duration_ms, DurationError, text)
    _refused_or(lambda t: parse_duration_ms(t + "s"), DurationError, text)
    _refused_or(lambda t: parse_duration_ms(f"{t}h{t}m"), DurationError, text)
    _refused_or(lambda t: whole_number(t, 1, 256), NumberError, text)
    _refused_or(lambda t: decimal_number(t, 0.8, 1.5), NumberError, text)
    _refused_or(parse_pace, ValueError, text)
    _refused_or(parse_breath, BreathFormatError, f"{text}:1")
    _refused_or(parse_breath, BreathFormatError, f"4:{text}:6:{text}")
    _refused_or(lambda t: parse_bitrate(FORMATS["mp3"], f"{t}k"), FormatError, text)
    _refused_or(lambda t: parse_bitrate(FORMATS["opus"], f"{t}k"), FormatError, text)


@given(NUMBERS)
@settings(max_examples=60, deadline=None)
def test_any_number_in_a_routine_is_a_value_or_a_located_error(text):
    yaml = (
        f"title: T\nbreath: {{inhale: '{text}', exhale: 4}}\nsteps:\n  - pose: A\n    hold: '{text}'\n"
        f"  - pose: B\n    hold: '{text} breaths'\n  - reps: '{text}'\n    inhale: Up.\n"
    )
    try:
        loads_routine(yaml, "r.yaml")
    except RoutineError as e:
        assert all(len(str(p)) < 400 for p in e.problems)


@given(NUMBERS)
@settings(max_examples=60, deadline=None)
def test_any_number_in_a_profile_or_matcue_jobs_is_a_value_or_our_error(text):
    import os

    try:
        loads_profile(
            f"name: P\nduration: '{text}'\npace: '{text}'\nbreath: '{text}:{text}'\ncountdown: '{text}'\n", "p.yaml"
        )
    except RoutineError as e:
        assert all(len(str(p)) < 400 for p in e.problems)
    saved = os.environ.get("MATCUE_JOBS")
    os.environ["MATCUE_JOBS"] = text
    try:
        _refused_or(lambda t: default_jobs(), MatcueError, text)
    finally:
        if saved is None:
            del os.environ["MATCUE_JOBS"]
        else:
            os.environ["MATCUE_JOBS"] = saved


@given(st.one_of(st.integers(-(10**4000), 10**4000), st.floats()))
@settings(max_examples=100, deadline=None)
def test_any_python_number_is_a_duration_or_our_error(value):
    _refused_or(parse_duration_ms, DurationError, value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("9" * 5000, "expected a whole number from 1 to 256, got 999999999999 ... 999999999999"),
        ("1000", "expected a whole number from 1 to 256, got 1000"),
        ("007", "7"),
        ("1e3", "expected a whole number from 1 to 256, got '1e3'"),
    ],
)
def test_whole_number(text, message):
    try:
        assert str(whole_number(text, 1, 256)) == message
    except NumberError as e:
        assert str(e) == message


def test_whole_refuses_a_digit_run_past_every_range_without_converting_it():
    assert whole("0" * 5000 + "12") == 12
    assert whole("9" * 5000) is None


@pytest.mark.parametrize(
    "env, message",
    [
        ("9" * 5000, "MATCUE_JOBS must be a whole number from 1 to 256, got '99999999999999999 ... 99999999999999999'"
         " (unset it to use one per core)"),
        ("nan", "MATCUE_JOBS must be a whole number from 1 to 256, got 'nan' (unset it to use one per core)"),
    ],
)  # fmt: skip
def test_a_huge_matcue_jobs_is_an_error_naming_it(monkeypatch, env, message):
    monkeypatch.setenv("MATCUE_JOBS", env)
    with pytest.raises(MatcueError) as e:
        default_jobs()
    assert str(e.value) == message


@pytest.mark.parametrize(
    "raw, message",
    [
        ("9" * 306 + ":1", "a phase may be at most 60s, got '"
         + "9" * 27 + " ... " + "9" * 25 + ":1'"),
        ("1e309:1", "expected inhale:exhale seconds like '5:7' or '4:2:6:2', got '1e309:1'"),
        ("abc", "expected inhale:exhale seconds like '5:7' or '4:2:6:2', got 'abc'"),
        ("-1:4", "expected inhale:exhale seconds like '5:7' or '4:2:6:2', got '-1:4'"),
        ("0:4", "the inhale must be at least 0.25s, got '0:4'"),
        ("4:0", "the exhale must be at least 0.25s, got '4:0'"),
        ("4:61:4:0", "a phase may be at most 60s, got '4:61:4:0'"),
    ],
)  # fmt: skip
def test_a_huge_breath_phase_is_refused(raw, message):
    with pytest.raises(BreathFormatError) as e:
        parse_breath(raw)
    assert str(e.value) == message


@pytest.mark.parametrize("phase", ["inhale", "exhale", "hold_in", "hold_out"])
def test_a_routines_breath_phase_has_the_profiles_upper_limit_and_wording(phase):
    """A routine's inhale had no upper limit (99h was taken) while a profile's and
    --breath's were 60s: one limit (core/limits.py MAX_BREATH_PHASE_MS) for all."""
    from matcue.core.limits import MAX_BREATH_PHASE_MS

    assert MAX_BREATH_PHASE_MS == 60_000
    ok = loads_routine(f"title: T\nbreath: {{{phase}: 60}}\nsteps:\n  - say: Hi.\n")
    assert getattr(ok.breath, f"{phase}_ms") == 60_000
    with pytest.raises(RoutineError) as e:
        loads_routine(f"title: T\nbreath: {{{phase}: 60.001}}\nsteps:\n  - say: Hi.\n", "r.yaml")
    assert str(e.value) == f"r.yaml:2:{12 + len(phase)}: breath.{phase}: a phase may be at most 60s, got '60.001'"
    pattern = {
        "inhale": "60.001:4:4:0",
        "hold_in": "4:60.001:4:0",
        "exhale": "4:0:60.001:0",
        "hold_out": "4:0:4:60.001",
    }
    with pytest.raises(BreathFormatError) as b:
        parse_breath(pattern[phase])
    assert str(b.value) == f"a phase may be at most 60s, got '{pattern[phase]}'"


def test_a_huge_pace_is_refused_in_a_short_message():
    with pytest.raises(ValueError) as e:
        parse_pace("9" * 5000)
    assert str(e.value) == "expected a number from 0.8 to 1.5, got 999999999999 ... 999999999999"


def test_a_huge_bitrate_is_refused():
    with pytest.raises(FormatError) as e:
        parse_bitrate(FORMATS["mp3"], "9" * 5000 + "k")
    assert str(e.value).startswith("unsupported MP3 bitrate '" + "9" * 27 + " ... ")


FULLWIDTH_3 = "('３' is FULLWIDTH DIGIT THREE; numbers take the digits 0-9)"


@pytest.mark.parametrize(
    "parse, text, message",
    [
        (lambda t: whole_number(t, 1, 256), "３", f"expected a whole number from 1 to 256, got '３' {FULLWIDTH_3}"),
        (lambda t: whole_number(t, 1, 256), "1_0", "expected a whole number from 1 to 256, got '1_0' "
         "(numbers take the digits 0-9, without '_')"),
        (lambda t: decimal_number(t, 0.8, 1.5), "１.2", "expected a number from 0.8 to 1.5, got '１.2' "
         "('１' is FULLWIDTH DIGIT ONE; numbers take the digits 0-9)"),
        (parse_pace, "1.٢", "expected a number from 0.8 to 1.5, got '1.٢' "
         "('٢' is ARABIC-INDIC DIGIT TWO; numbers take the digits 0-9)"),
        (parse_breath, "5:３", f"expected inhale:exhale seconds like '5:7' or '4:2:6:2', got '5:３' {FULLWIDTH_3}"),
        (lambda t: parse_bitrate(FORMATS["opus"], t), "９６k", "unsupported Opus bitrate '９６k': expected 6k to "
         "256k (default 48k) ('９' is FULLWIDTH DIGIT NINE; numbers take the digits 0-9)"),
    ],
)  # fmt: skip
def test_every_number_reader_takes_the_digits_0_to_9_only_and_says_so(parse, text, message):
    with pytest.raises((ValueError, MatcueError)) as e:
        parse(text)
    assert str(e.value) == message


def test_matcue_jobs_takes_the_digits_0_to_9_only(monkeypatch):
    monkeypatch.setenv("MATCUE_JOBS", "３")
    with pytest.raises(MatcueError) as e:
        default_jobs()
    want = f"MATCUE_JOBS must be a whole number from 1 to 256, got '３' {FULLWIDTH_3[:-1]}"
    assert str(e.value) == want + "; unset it to use one per core)"


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９𝟎𝟏_.:", min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_a_number_with_a_digit_outside_0_to_9_is_never_read(text):
    """int() and float() take any script's digits and "1_000"; no reader of ours does."""
    if text.isascii() and "_" not in text:
        return
    for parse, exc in ((lambda t: whole_number(t, 0, 10**9), NumberError),
                       (lambda t: decimal_number(t, 0, 10**9), NumberError), (parse_duration_ms, DurationError),
                       (parse_breath, BreathFormatError)):  # fmt: skip
        with pytest.raises(exc):
            parse(text)
