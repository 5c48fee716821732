"""Host names in --scheduler and --feed-url (one IDNA rule), and the spoken count of a
breathing exercise (bounded before it is made)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from matcue.core.errors import RoutineError
from matcue.core.hosts import HostError, ascii_host
from matcue.core.limits import Limits, command
from matcue.plan.compile import Options, compile_routine
from matcue.plan.expand import count_words
from matcue.plan.script import Block
from matcue.routine.loader import loads_routine
from matcue.routine.model import Breath
from matcue.share.feed import FeedError, parse_feed_url

# ----------------------------------------------------------------------------- host names


@pytest.mark.parametrize(
    ("host", "ascii"),
    [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("studio.example.", "studio.example."),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "[::1]"),
    ],
)
def test_an_international_host_name_is_converted_by_idna(host: str, ascii: str) -> None:
    assert ascii_host(host) == ascii


LONG = "a" * 70

BAD_HOSTS = [
    ("a..b", "the host name 'a..b' has an empty label (a dot at the start, or two in a row)"),
    (".", "the host name '.' has an empty label (a dot at the start, or two in a row)"),
    (f"{LONG}.example", "has a label of 70 characters; at most 63"),
    ("ü" * 60, "is not an international domain name IDNA can convert: the label"),
    ("a.b!c", "the host name 'a.b!c' may not contain '!'"),
    ("a\u200bb", "the host name 'a\\u200bb' contains U+200B, which no host name holds"),
    (
        "xn--zz.example",
        "the host name 'xn--zz.example' has the label 'xn--zz', which starts as an international name (xn--) "
        "but is not valid punycode",
    ),
    ("xn--", "has the label 'xn--', which starts as an international name (xn--) but is not valid punycode"),
    (".".join(["b"] * 130), "is 259 characters long; at most 253"),
]


@pytest.mark.parametrize(("host", "message"), BAD_HOSTS)
def test_a_malformed_host_name_is_refused_with_the_reason(host: str, message: str) -> None:
    with pytest.raises(HostError) as e:
        ascii_host(host)
    assert message in str(e.value)


def test_the_feed_url_writes_an_international_host_in_ascii() -> None:
    assert parse_feed_url("https://Bücher.example:8080/klasse") == "https://xn--bcher-kva.example:8080/klasse/"
    assert parse_feed_url("https://[::1]:80/a") == "https://[::1]:80/a/"
    with pytest.raises(FeedError, match="path may|may not contain 'ü'"):
        parse_feed_url("https://bücher.example/ü/")  # a path is percent-encoded, not converted


@pytest.mark.parametrize(("host", "message"), BAD_HOSTS[:4] + BAD_HOSTS[6:8])
def test_a_malformed_host_in_either_option_is_a_usage_error(run, tmp_path: Path, host: str, message: str) -> None:  # type: ignore[no-untyped-def]
    """Each was an exit 3 from the IDNA codec (--scheduler, when Dask looked it up) or a
    feed of links to no host (--feed-url)."""
    roster = tmp_path / "x.yaml"
    roster.write_text("- name: Ana\n")
    r = run("render", "tests/data/ok/all-kinds.yaml", "--roster", str(roster), "--scheduler", f"tcp://{host}:8786")
    assert r.exit_code == 2, r.output
    assert "Error: Invalid value for '--scheduler': " in r.stderr and message in r.stderr
    out = tmp_path / "p"
    r = run(
        "pack", "tests/data/ok/all-kinds.yaml", "-o", str(out), "--backend", "fake", "--feed-url", f"https://{host}/"
    )
    assert r.exit_code == 2, r.output
    assert "Error: Invalid value for '--feed-url': " in r.stderr and message in r.stderr
    assert not out.exists()


def test_the_scheduler_address_is_given_to_dask_in_ascii() -> None:
    from matcue.cli.options import parse_scheduler

    assert parse_scheduler("tcp://bücher.example:8786") == "tcp://xn--bcher-kva.example:8786"
    assert parse_scheduler("tcp://[::1]:8786") == "tcp://[::1]:8786"
    assert parse_scheduler("localhost:8786") == "localhost:8786"


# ----------------------------------------------------------------------------- the spoken count


def _breathe(inhale: int, exhale: int, rounds: int) -> str:
    return (
        f"title: T\nsteps:\n  - breathe: Box\n    pattern: {{inhale: {inhale}, exhale: {exhale}}}\n"
        f"    rounds: {rounds}\n    count: true\n"
    )


@pytest.mark.parametrize(
    ("phases", "dur_ms", "expected"),
    [((3000, 0, 3000, 0), 6000, 6), ((4000, 7000, 8000, 0), 19000, 19), ((2500, 0, 2500, 0), 5000, 4)],
)
def test_count_words_is_the_number_of_count_cues(phases: tuple[int, ...], dur_ms: int, expected: int) -> None:
    assert count_words(Breath(*phases), dur_ms) == expected
    for n in (1, 3):
        script = compile_routine(loads_routine(_breathe(phases[0] // 1000 or 1, phases[2] // 1000 or 1, n)))
        (block,) = [s for s in script.segments if isinstance(s, Block)]
        assert len(block.cues) == count_words(block.breath, block.dur_ms)  # type: ignore[arg-type]


def test_a_count_of_thousands_of_hours_is_refused_before_it_is_made() -> None:
    """4000 hours of counted seconds made 14 million cues (100 s, 3 GB) before the length
    limit refused them; the longest count the phase and rounds limits let through (60 s
    phases, 10000 rounds: 333 hours) is refused before a number is made."""
    started = time.monotonic()
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(_breathe(60, 60, 10000)))
    assert time.monotonic() - started < 10
    assert [p.what for p in e.value.problems] == [
        "the routine is longer than the limit of 6h here (at least 333h20m1.8s)"
    ]


def test_a_count_past_the_events_budget_is_a_located_error() -> None:
    with command(Limits(events=1000)), pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(_breathe(60, 60, 10)), Options())
    (p,) = e.value.problems
    assert (p.mark.line, p.mark.column, p.where) == (3, 5, "steps[0]")  # type: ignore[union-attr]
    assert p.what == (
        "count: true speaks 1200 numbers here; with the breath tones about 2442 timeline events; "
        "the limit events allows at most 1000"
    )
    assert p.hint == "shorten the exercise, or leave out count"


def test_script_of_a_long_counted_exercise_is_linear() -> None:
    """The text script looked for the end of the breath tones again at every spoken count:
    200 minutes of counting took 29 s."""
    from matcue.plan.layout import layout

    script = compile_routine(loads_routine(_breathe(60, 60, 100)))
    tl = layout(script, {t: 300 for t in script.texts()})
    started = time.monotonic()
    text = tl.to_text()
    assert time.monotonic() - started < 3
    assert text.count("\u201c") >= 12_000
