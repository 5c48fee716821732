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


@pytest.mark.parametrize(
    "text, ms",
    [("1.5m", 90_000), ("0.5h", 1_800_000), ("2.5 m", 150_000), ("1.1h", 3_960_000), ("0.001s", 1),
     ("1.2345m", 74_070), ("99h59m59.999s", 359_999_999), (0.1, 100), ("1.50000000000000000000s", 1_500),
     ("0" * 5000 + "1s", 1_000), ("1.2e1", 12_000), ("5.", 5_000), (".5s", 500)],
)  # fmt: skip
def test_decimals_are_read_exactly(text, ms):
    assert parse_duration_ms(text) == ms


HINT = "expected a duration like '30s' or '1m30s', got"


@pytest.mark.parametrize(
    "text, message",
    [
        ("2.5 min", f"{HINT} '2.5 min' (the units are h, m and s; write '2.5m')"),
        ("1,5 min", f"{HINT} '1,5 min' (a decimal takes a point; the units are h, m and s; write '1.5m')"),
        ("2,5 minutos", f"{HINT} '2,5 minutos' (a decimal takes a point; the units are h, m and s; write '2.5m')"),
        ("30S", f"{HINT} '30S' (the units are h, m and s, in lower case; write '30s')"),
        ("2Min", f"{HINT} '2Min' (the units are h, m and s; write '2m')"),
        ("1H30M", f"{HINT} '1H30M' (the units are h, m and s, in lower case; write '1h30m')"),
        ("1:30", f"{HINT} '1:30' (not a clock time: write '1m30s' for minutes and seconds, '1h30m' for hours "
         "and minutes)"),
        ("0:45", f"{HINT} '0:45' (not a clock time: write '45s' for minutes and seconds, '45m' for hours and "
         "minutes)"),
        ("1:02:03", f"{HINT} '1:02:03' (not a clock time: write '1h2m3s')"),
        ("999:99:99", f"{HINT} '999:99:99' (not a clock time)"),
        ("３０s", f"{HINT} '３０s' ('３' is FULLWIDTH DIGIT THREE; numbers take the digits 0-9; write '30s')"),
        ("٣٠", f"{HINT} '٣٠' ('٣' is ARABIC-INDIC DIGIT THREE; numbers take the digits 0-9; write '30')"),
        ("𝟑𝟎s", f"{HINT} '𝟑𝟎s' ('𝟑' is MATHEMATICAL BOLD DIGIT THREE; numbers take the digits 0-9; write '30s')"),
        ("1_000s", f"{HINT} '1_000s' (numbers take the digits 0-9, without '_'; write '1000s')"),
        ("20m-25m", f"{HINT} '20m-25m'"),
        ("1.0005s", "a duration is counted in whole milliseconds (at most 3 decimals of a second), got '1.0005s'"),
        ("0.0001s", "a duration is counted in whole milliseconds (at most 3 decimals of a second), got '0.0001s'"),
        ("1e-400", "a duration is counted in whole milliseconds (at most 3 decimals of a second), got '1e-400'"),
        ("100h", "a duration must be under 100 hours, got '100h'"),
        ("1e999999999", "a duration must be under 100 hours, got '1e999999999'"),
        ("-1e400", "a duration cannot be negative, got '-1e400'"),
    ],
)  # fmt: skip
def test_refused_forms_say_what_to_write(text, message):
    with pytest.raises(DurationError) as e:
        parse_duration_ms(text)
    assert str(e.value) == message


_UNITS = {"h": 3_600_000, "m": 60_000, "s": 1_000}


@given(st.integers(0, 99), st.integers(0, 999), st.sampled_from("hms"))
def test_a_decimal_of_a_unit_is_exact_or_refused(whole, thousandths, unit):
    text = f"{whole}.{thousandths:03d}{unit}"
    exact = (whole * 1000 + thousandths) * _UNITS[unit]  # in micro-units: exact integers
    if exact % 1000 or exact >= 360_000_000_000:
        with pytest.raises(DurationError):
            parse_duration_ms(text, allow_zero=True)
    else:
        assert parse_duration_ms(text, allow_zero=True) == exact // 1000


@given(st.integers(0, 359_999_999))
def test_every_millisecond_written_as_seconds_reads_back(ms):
    assert parse_duration_ms(f"{ms // 1000}.{ms % 1000:03d}", allow_zero=True) == ms
    assert parse_duration_ms(duration_text(ms), allow_zero=True) == ms


_OTHER_DIGITS = st.sampled_from("０１２３４５６７８９٠١٢٣٤٥٦٧٨٩۰۱۲۳४५𝟎𝟏𝟐𝟑𝟗")


@given(st.integers(1, 99), _OTHER_DIGITS, st.sampled_from(["", "s", "m", "h"]))
def test_a_digit_of_another_script_is_refused_by_name(n, digit, unit):
    text = f"{n}{digit}{unit}"
    with pytest.raises(DurationError) as e:
        parse_duration_ms(text)
    assert "numbers take the digits 0-9" in str(e.value)
