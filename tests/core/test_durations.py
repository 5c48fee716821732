import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcue.core.durations import DurationError, duration_text, format_ms, parse_duration_ms


@pytest.mark.parametrize(
    "text, ms",
    [
        (45, 45_000),
        (7.5, 7_500),
        ("45", 45_000),
        ("7.5", 7_500),
        ("45s", 45_000),
        ("2m", 120_000),
        ("1m30s", 90_000),
        ("1h", 3_600_000),
        ("1h2m3s", 3_723_000),
        ("0.25s", 250),
        ("1m 30s", 90_000),
    ],
)
def test_parses(text, ms):
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "expected a duration like '30s' or '1m30s', got an empty value"),
        ("  ", "expected a duration like '30s' or '1m30s', got an empty value"),
        ("-3s", "a duration cannot be negative, got '-3s'"),
        (-3, "a duration cannot be negative, got -3"),
        ("3x", "expected a duration like '30s' or '1m30s', got '3x'"),
        ("30s1m", "expected a duration like '30s' or '1m30s', got '30s1m' (units go h, m, s, once each)"),
        ("1m1m", "expected a duration like '30s' or '1m30s', got '1m1m' (units go h, m, s, once each)"),
        ("0", "a duration must be more than zero here, got '0'"),
        ("0s", "a duration must be more than zero here, got '0s'"),
        ("nan", "expected a duration like '30s' or '1m30s', got 'nan'"),
        ("1e400", "a duration must be under 100 hours, got '1e400'"),
        ("9" * 400 + "s", "a duration must be under 100 hours, got '" + "9" * 27 + " ... " + "9" * 26 + "s'"),
        (10**400, "a duration must be under 100 hours, got a number of more than 15 digits"),
        (-(10**400), "a duration cannot be negative, got a number of more than 15 digits"),
        (float("inf"), "expected a duration like '30s' or '1m30s', got inf"),
        ("200h", "a duration must be under 100 hours, got '200h'"),
        (True, "expected a duration like '30s' or '1m30s', got True"),
    ],
)
def test_rejects(text, message):
    with pytest.raises(DurationError) as e:
        parse_duration_ms(text)
    assert str(e.value) == message


def test_zero_only_where_allowed():
    assert parse_duration_ms("0", allow_zero=True) == 0
    assert parse_duration_ms("0s", allow_zero=True) == 0


@given(
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
)
def test_unit_strings_round_trip(h, m, s):
    text = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s or not (h or m) else "")
    assert parse_duration_ms(text, allow_zero=True) == ((h * 60 + m) * 60 + s) * 1000


@given(st.text(max_size=12))
def test_any_text_parses_or_raises_duration_error(text):
    try:
        ms = parse_duration_ms(text)
    except DurationError:
        return
    assert isinstance(ms, int) and ms > 0


def test_format_ms():
    assert format_ms(83_500) == "1:23.5"
    assert format_ms(3_723_000) == "1:02:03"
    assert format_ms(0) == "0:00"


@pytest.mark.parametrize(
    "ms, text",
    [(0, "0s"), (400, "0.4s"), (16_500, "16.5s"), (20_050, "20.05s"), (64_000, "1m4s"), (60_000, "1m"),
     (21_600_000, "6h"), (5_430_000, "1h30m30s"), (25_204_500, "7h4.5s")],
)  # fmt: skip
def test_duration_text_never_rounds_to_another_duration(ms, text):
    assert duration_text(ms) == text
    assert parse_duration_ms(text, allow_zero=True) == ms
