"""Property tests: any input ends in a routine (and a valid timeline) or a located RoutineError.

Never another exception, never a hang. The default profile runs in seconds; ``make fuzz``
(``MATCUE_FUZZ=1``) runs thousands of examples per property.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matcue.core.errors import RoutineError
from matcue.plan.compile import Options, compile_routine
from matcue.plan.layout import layout
from matcue.routine.loader import load_routine, loads_routine
from matcue.routine.model import LEVELS, Routine

FUZZ = os.environ.get("MATCUE_FUZZ", "") not in ("", "0")
SETTINGS = settings(
    max_examples=3000 if FUZZ else 60,
    deadline=5000 if FUZZ else 3000,  # ms per example: a slow example fails, not just a hung one
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not FUZZ,  # the default run is the same every time
    print_blob=True,
)
HANG_S = 20  # an example running longer than this is a hang


class Hang(Exception):
    pass


@contextmanager
def no_hang(seconds: int = HANG_S):
    """Fail an example that runs too long, even inside a loop that never returns."""

    def alarm(signum, frame):
        raise Hang(f"example ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def assert_located(e: RoutineError) -> None:
    assert e.problems, "a RoutineError with no problem"
    for p in e.problems:
        assert p.mark is not None, f"problem without a location: {p}"
        assert p.mark.line >= 1 and p.mark.column >= 1, str(p)
        assert p.what, str(p)


def load_text(text: str) -> Routine | None:
    with no_hang():
        try:
            return loads_routine(text, name="fuzz.yaml")
        except RoutineError as e:
            assert_located(e)
            return None


# ----------------------------------------------------------------------------- YAML-ish text

KEYS = [
    "title", "steps", "say", "pause", "pose", "timer", "reps", "breathe", "rest", "include", "section",
    "hold", "cue", "sides", "during", "at", "duration", "rounds", "pattern", "levels", "level", "breath",
    "inhale", "exhale", "hold_in", "hold_out", "vars", "tones", "countdown", "bell_every", "<<", "lexicon",
    "voice", "rate", "announce", "count", "speak", "release", "transition", "sanskrit", "first_side",
]  # fmt: skip
VALUES = [
    "30s", "1m30s", "5 breaths", "0", "-1", "1e308", "99999999999999999999", "both", "left", "box", "yes",
    "breath 3", "{side}", "{x}", "{{", "}}", "~", "''", '"', "'", "[", "]", "{", "}", "&a", "*a", "!!binary",
    "!!python/object:os.system", "|", ">", "\t", "\ufeff", "\r\n", "beginner", "advanced", "1h", "2.5 breaths",
    "%YAML 1.1", "---", "...", "?", "-", "#", "@", "`", "\x00", "\x85", "\u2028",
]  # fmt: skip
fragment = st.one_of(
    st.sampled_from(KEYS).map(lambda k: k + ": "),
    st.sampled_from(VALUES),
    st.sampled_from(["\n", "\n  ", "\n    ", "\n  - ", "\n      - ", ", ", ": ", " "]),
    st.text(max_size=8),
)
yamlish = st.lists(fragment, max_size=60).map("".join)
routine_prefix = st.sampled_from(["", "title: T\nsteps:\n  - ", "title: T\nsteps:\n", "- "])


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_loads_or_is_a_located_error(text):
    load_text(text)


@SETTINGS
@given(routine_prefix, yamlish)
def test_yaml_like_text_loads_or_is_a_located_error(prefix, text):
    load_text(prefix + text)


_BLANK_CHARS = st.characters(
    categories=("Mn", "Me", "Mc", "Zs", "Cf"),
    exclude_characters="\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)


@SETTINGS
@given(st.text(_BLANK_CHARS, min_size=1, max_size=40).filter(str.strip), st.sampled_from(["title", "say", "pose"]))
def test_text_of_only_marks_spaces_and_format_characters_is_blank_where_it_is(blank, key):
    """Whatever combining marks, spaces and format characters a text is made of, it is
    the one blank error at its place, never a cue that fails later or a floating title."""
    quoted = json.dumps(blank, ensure_ascii=False)  # a JSON string is a YAML double-quoted one
    title, step = ("T", f"{key}: {quoted}") if key != "title" else (quoted, "say: Hi.")
    src = f"title: {title}\nsteps:\n  - {step}\n" + ("    hold: 5s\n" if key == "pose" else "")
    try:
        loads_routine(src, "r.yaml")
    except RoutineError as e:
        problems = [str(p) for p in e.problems]
    else:
        raise AssertionError(f"blank text {blank!r} was taken")
    assert len(problems) == 1 and "expected text, got only spaces, invisible or combining characters (U+" in problems[0]
    assert problems[0].startswith(
        "r.yaml:1:8: title: " if key == "title" else f"r.yaml:3:{7 + len(key)}: steps[0].{key}: "
    )


@settings(SETTINGS, max_examples=SETTINGS.max_examples // 3 or 1)
@given(st.binary(max_size=300) | yamlish.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_in_a_file_load_or_are_a_located_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        path.write_bytes(data)
        with no_hang():
            try:
                load_routine(path)
            except RoutineError as e:
                assert_located(e)


# ----------------------------------------------------------------------------- structured routines

durations = st.one_of(
    st.integers(-10, 400_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["30s", "1m30s", "1h", "0", "0.3", "-1s", "2 mins", "1e308", "99h", "0.001", "", "5m5m"]),
)
holds = st.one_of(durations, st.integers(-2, 12_000).map(lambda n: f"{n} breaths"))
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["Breathe.", "Fold {side}.", "Hi {teacher}.", "{other_side} up", "{{x}}", "{nope}", " "]),
)
counts = st.one_of(st.integers(-5, 12_000), st.sampled_from(["99999999999999999999", "x", "3.5"]))
sides = st.sampled_from(["both", "left", "right", "middle"])


def leveled(values):
    return values | st.dictionaries(st.sampled_from([*LEVELS, "expert"]), values, min_size=1, max_size=3)


breath = st.one_of(
    st.sampled_from(["box", "4-7-8", "coherent", "relax", "fast"]),
    st.fixed_dictionaries({"inhale": durations, "exhale": durations}, optional={"hold_in": durations}),
)
during = st.lists(
    st.fixed_dictionaries(
        {"at": st.one_of(durations, st.integers(-1, 12_000).map(lambda n: f"breath {n}")), "say": texts}
    ),
    max_size=3,
)
common = {"levels": st.lists(st.sampled_from([*LEVELS, "expert"]), min_size=1, max_size=2)}


def step_strategy(inner):
    return st.one_of(
        st.fixed_dictionaries({"say": leveled(texts)}, optional={"pause": durations, **common}),
        st.fixed_dictionaries({"pause": leveled(durations)}),
        st.fixed_dictionaries(
            {"pose": texts, "hold": leveled(holds)},
            optional={
                "cue": texts,
                "sides": sides,
                "during": during,
                "countdown": counts,
                "breath": breath,
                "transition": durations,
                "release": texts,
                "tones": st.booleans(),
                "sanskrit": texts,
                **common,
            },
        ),  # fmt: skip
        st.fixed_dictionaries(
            {"timer": texts, "duration": leveled(durations)},
            optional={"bell_every": durations, "during": during, "sides": sides, "countdown": counts},
        ),
        st.fixed_dictionaries(
            {"reps": leveled(counts), "inhale": texts},
            optional={"exhale": texts, "speak": st.sampled_from(["every", "first"]), "breath": breath},
        ),
        st.fixed_dictionaries(
            {"breathe": texts, "pattern": breath},
            optional={"rounds": counts, "duration": durations, "count": st.booleans()},
        ),
        st.fixed_dictionaries({"rest": durations}, optional={"cue": texts}),
        st.fixed_dictionaries(
            {"section": texts, "steps": st.lists(inner, max_size=3)},
            optional={"sides": sides, "announce": st.booleans()},
        ),
    )


steps = st.recursive(step_strategy(st.fixed_dictionaries({"say": texts})), step_strategy, max_leaves=12)
routines = st.fixed_dictionaries(
    {"title": texts, "steps": st.lists(steps, min_size=0, max_size=6)},
    optional={
        "level": st.sampled_from([*LEVELS, "expert"]),
        "breath": breath,
        "countdown": counts,
        "vars": st.dictionaries(st.sampled_from(["teacher", "x", "side", "9bad"]), texts, max_size=2),
        "first_side": sides,
        "tones": st.booleans(),
    },
)
options = st.builds(
    Options,
    level=st.sampled_from([None, *LEVELS]),
    first_side=st.sampled_from([None, "left", "right"]),
    tones=st.sampled_from([None, False]),
    max_total_ms=st.sampled_from([6 * 3_600_000, 60_000, 3_600_000]),
)


def speech_lengths(texts_: list[str], seed: int, scale: int) -> dict[str, int]:
    """Made-up, deterministic speech lengths (1 ms .. scale ms)."""
    return {t: 1 + (zlib.crc32(t.encode("utf-8", "surrogatepass")) ^ seed) % scale for t in texts_}


def assert_valid_timeline(tl) -> None:
    assert isinstance(tl.total_ms, int) and tl.total_ms > 0
    last = -1
    for e in tl.events:
        assert isinstance(e.start_ms, int) and isinstance(e.end_ms, int)
        assert 0 <= e.start_ms < e.end_ms <= tl.total_ms, e
        assert e.start_ms >= last
        last = e.start_ms
    assert tl.chapters and tl.chapters[0].start_ms == 0 and tl.chapters[-1].end_ms == tl.total_ms
    for a, b in zip(tl.chapters, tl.chapters[1:]):
        assert a.end_ms == b.start_ms and a.start_ms < a.end_ms


@SETTINGS
@given(routines, options, st.integers(0, 2**32 - 1), st.sampled_from([1, 2_000, 20_000, 400_000]))
def test_random_routines_compile_and_lay_out_or_are_located_errors(doc, opts, seed, scale):
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    routine = load_text(text)
    if routine is None:
        return
    with no_hang():
        try:
            script = compile_routine(routine, opts)
            tl = layout(script, speech_lengths(script.texts(), seed, scale))
        except RoutineError as e:
            assert_located(e)
            return
    assert_valid_timeline(tl)
    assert tl.total_ms <= opts.max_total_ms


# ----------------------------------------------------------------------------- named paths

PARTS = ["..", ".", "", "a", "b", "x.png", "etc", "passwd", "home", "r.yaml"]
path_parts = st.lists(st.sampled_from(PARTS), max_size=5)


# where a named path may start: the routine's folder, the temporary folder above it, or a
# place outside that cannot even be resolved (as root in a container, /proc/1/cwd raises
# PermissionError) or leads into a process's files
STARTS = ["", "TOP", "/proc/1/cwd", "/proc/1/root", "/proc/self/fd/0", "/proc/self/cwd", "/proc/1/root/etc"]


@settings(SETTINGS, max_examples=SETTINGS.max_examples // 3 or 1)
@given(path_parts, st.sampled_from(STARTS), st.sampled_from(["include", "cover", "music", "recordings"]))
@example(["..", "x.png"], "", "cover")  # a file beside the folder
@example(["..", "a", "passwd"], "", "include")  # in a folder that does not exist yet
@example(["a", "..", "..", "etc", "passwd"], "", "music")
@example([], "/proc/1/cwd", "cover")  # a link the system will not let us resolve
@example(["x.png"], "/proc/1/root", "include")
@example(["etc", "passwd"], "/proc/1/root", "recordings")
def test_a_named_path_never_tells_whether_a_file_outside_exists(parts, start, key):
    """Whatever path a routine names, the message is the same before and after a file is
    put there outside the routine's folder, and quotes nothing of that file; a path that
    leaves the folder for a place that cannot be resolved is "not found", like any other."""
    from matcue.core.paths import inside

    secret = "root:x:0:0:secret-line"
    with tempfile.TemporaryDirectory() as top:
        home = Path(top) / "home"
        home.mkdir()
        raw = "/".join(parts) or "."
        if start:
            raw = f"{top if start == 'TOP' else start}/{raw}"
        routine = home / "r.yaml"
        named = f"steps:\n  - include: {raw!r}\n" if key == "include" else f"{key}: {raw!r}\nsteps:\n  - say: Hi.\n"
        routine.write_text("title: T\n" + named)

        def messages() -> list[str]:
            with no_hang():
                try:
                    load_routine(routine)
                except RoutineError as e:
                    assert_located(e)
                    return [str(p) for p in e.problems]
            return []

        before = messages()
        if start.startswith("/proc"):
            assert len(before) == 1 and "was not found in the routine's folder" in before[0], before
            return
        target = os.path.realpath(home / raw)
        if inside(target, os.path.realpath(top)) and not inside(target, os.path.realpath(home)):
            if not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                Path(target).write_text(secret + "\n")
                assert messages() == before
        assert all(secret not in m for m in messages())
