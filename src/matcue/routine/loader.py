"""Load and validate routine YAML into the frozen :class:`~matcue.routine.model.Routine`.

YAML is composed into nodes (``yaml.compose``), never into Python values, so every value
keeps its line and column and text is taken exactly as written (``say: No`` speaks "No").
Every problem found is collected; :class:`~matcue.core.errors.RoutineError` carries them all.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.core import limits as budget
from matcue.core.durations import DurationError, parse_duration_ms
from matcue.core.errors import MAX_PROBLEMS, Mark, Problem, RoutineError, shown
from matcue.core.paths import shown_folder
from matcue.routine.model import (
    BREATH_PRESETS,
    LEVELS,
    MIN_HOLD_MS,
    At,
    Breathe,
    BreathSpec,
    During,
    Fit,
    Hold,
    Leveled,
    Pause,
    Pose,
    Reps,
    Rest,
    Routine,
    Say,
    Section,
    Step,
    Text,
    Timer,
    VoiceSettings,
)

T = TypeVar("T")

MAX_INCLUDE_DEPTH = 16
MAX_TEXT_CHARS = budget.LIMITS.text_chars  # one text as written (after {vars}: compile checks it)
# Limits that keep a mistaken or hostile file from exhausting the machine (docs/reliability.md).
MAX_STEPS = 5000  # steps after includes (and YAML aliases) are expanded, sections counted
MAX_NESTING = 32  # sections inside sections
MAX_NODES = 200_000  # YAML nodes visited while converting: aliases ("billion laughs") count each time
MAX_INCLUDED_FILES = 500  # include files read while loading one routine
MAX_FILE_BYTES = 5_000_000
MAX_DIGITS = 12  # whole numbers longer than this are out of every range
HOLD_HINT = "expected a duration like '30s' or '5 breaths'"
STEP_KINDS = ("say", "pause", "section", "pose", "timer", "reps", "breathe", "rest", "include")


class _Fail(Exception):
    """A problem was recorded; the value being built is unusable."""


class _Abort(Exception):
    """A limit was exceeded: the problem is recorded and loading stops at once."""


class _Budget:
    """What one load may spend, shared by every file it includes."""

    def __init__(self, root_dir: str, allow_outside: bool) -> None:
        self.nodes = 0
        self.steps = 0
        self.files = 0
        self.composed = 0  # YAML values composed, every file counted (limit yaml_values)
        self.work = budget.current()  # the command's tally: bytes read (matcue.core.limits)
        self.root_dir = root_dir  # real path of the top-level routine's folder
        self.allow_outside = allow_outside


class _Ctx:
    def __init__(
        self,
        path: str,
        problems: list[Problem],
        stack: tuple[str, ...],
        budget: _Budget | None = None,
        depth: int = 0,
    ):
        self.path = path
        self.problems = problems
        self.stack = stack  # real paths of the files being loaded, for include cycles
        self.budget = budget or _Budget(os.path.dirname(stack[0]) if stack else os.getcwd(), True)
        self.depth = depth  # sections nesting

    def visit(self, node: Node, where: str) -> None:
        """Count one node converted; aliases make a node count each time it is reached."""
        self.budget.nodes += 1
        if self.budget.nodes > MAX_NODES:
            self.abort(
                node,
                where,
                f"the routine expands to more than {MAX_NODES} YAML values",
                "YAML aliases (*name) repeat what they refer to; write the steps out or use fewer aliases",
            )

    def abort(self, node: Node | None, where: str, what: str, hint: str = "") -> _Abort:
        self.problems.append(Problem(self.mark(node) or Mark(self.path, 1, 1), where, what, hint))
        raise _Abort()

    def mark(self, node: Node | None) -> Mark | None:
        if node is None:
            return None
        return Mark(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: Node | None, where: str, what: str, hint: str = "") -> _Fail:
        self.problems.append(Problem(self.mark(node), where, what, hint))
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems.append(Problem(self.mark(node), where, f"more than {MAX_PROBLEMS} problems; stopped looking"))
            raise _Abort()
        return _Fail()


Conv = Callable[[_Ctx, Node, str], Any]


# ----------------------------------------------------------------------------- scalars


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null", "Null", "NULL"):
        return "nothing"
    return shown(node.value)


def _shape(node: Node) -> str:
    """What a node is, quoting none of it: "a mapping", "a list", "text" or "nothing"."""
    if isinstance(node, (MappingNode, SequenceNode)):
        return _describe(node)
    return "nothing" if _describe(node) == "nothing" else "text"


def _whole(digits: str) -> int | None:
    """``int(digits)``, or None when it has too many digits to be in any range."""
    digits = digits.lstrip("+")
    return int(digits) if len(digits.lstrip("-").lstrip("0")) <= MAX_DIGITS else None


def _scalar(ctx: _Ctx, node: Node, where: str, expected: str) -> str:
    if not isinstance(node, ScalarNode) or _describe(node) == "nothing":
        raise ctx.error(node, where, f"expected {expected}, got {_describe(node)}")
    return str(node.value)


def _text(ctx: _Ctx, node: Node, where: str) -> Text:
    raw = _scalar(ctx, node, where, "text")
    if not raw.strip():
        raise ctx.error(node, where, "expected text, got an empty string")
    bad = unsafe_char(raw)
    if bad is not None:
        raise ctx.error(
            node,
            where,
            f"the text contains the control character U+{ord(bad):04X} at character {raw.index(bad) + 1}",
            "titles and cues may not hold terminal escape codes or other control characters; remove it",
        )
    if len(raw) > MAX_TEXT_CHARS:
        raise ctx.error(
            node,
            where,
            f"text is {len(raw)} characters long; at most {MAX_TEXT_CHARS} are allowed",
            "split it into several cues",
        )
    return Text(" ".join(raw.split()), ctx.mark(node), where)


# Bidirectional overrides and isolates: they reorder what a terminal or a page shows.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe_char(text: str) -> str | None:
    """The first character of ``text`` that no title or cue may hold, else None: a control
    character (C0, DEL, C1: terminal escape codes start with one) other than tab, line feed
    and carriage return (which are whitespace), or a bidirectional override."""
    for ch in text:
        if ch in "\t\n\r":
            continue
        if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS:
            return ch
    return None


def _plain(ctx: _Ctx, node: Node, where: str) -> str:
    return " ".join(_text(ctx, node, where).value.split())


def _duration(allow_zero: bool, min_ms: int = 0) -> Conv:
    def conv(ctx: _Ctx, node: Node, where: str) -> int:
        raw = _scalar(ctx, node, where, "a duration like '30s' or '1m30s'")
        try:
            ms = parse_duration_ms(raw, allow_zero=allow_zero)
        except DurationError as e:
            raise ctx.error(node, where, str(e)) from None
        if 0 < ms < min_ms:
            raise ctx.error(node, where, f"must be at least {min_ms / 1000:g}s, got {shown(raw)}")
        return ms

    conv.scalar = True  # type: ignore[attr-defined]
    conv.allow_zero = allow_zero  # type: ignore[attr-defined]  # read by matcue.schema
    return conv


_BREATHS = re.compile(r"(\S+)\s+breaths?", re.IGNORECASE)


def _hold(ctx: _Ctx, node: Node, where: str) -> Hold:
    """A pose's hold: ``5 breaths`` or a duration of at least :data:`MIN_HOLD_MS`."""
    return _hold_or_bound(ctx, node, where, MIN_HOLD_MS)


def _bound(ctx: _Ctx, node: Node, where: str) -> Hold:
    """A ``fit:`` bound: breaths or any duration."""
    return _hold_or_bound(ctx, node, where, 0)


def _hold_or_bound(ctx: _Ctx, node: Node, where: str, min_ms: int) -> Hold:
    raw = _scalar(ctx, node, where, "a duration like '30s' or '5 breaths'")
    m = _BREATHS.fullmatch(raw.strip())
    if m:
        n = m.group(1)
        if not re.fullmatch(r"\d+", n) or _whole(n) == 0:
            raise ctx.error(
                node, where, f"the number of breaths must be a whole number of at least 1, got {shown(raw)}"
            )
        count = _whole(n)
        if count is None or count > 10_000:
            raise ctx.error(node, where, f"{shown(raw)} is too many breaths (at most 10000)")
        return Hold(breaths=count, mark=ctx.mark(node))
    try:
        ms = parse_duration_ms(raw)
    except DurationError as e:
        msg = str(e)
        if msg.startswith("expected a duration"):
            msg = f"{HOLD_HINT}, got {shown(raw)}"
        raise ctx.error(node, where, msg) from None
    if ms < min_ms:
        raise ctx.error(node, where, f"a hold must be at least {min_ms / 1000:g}s, got {shown(raw)}")
    return Hold(ms=ms, mark=ctx.mark(node))


_hold.scalar = True  # type: ignore[attr-defined]


def _int(lo: int, hi: int) -> Conv:
    def conv(ctx: _Ctx, node: Node, where: str) -> int:
        raw = _scalar(ctx, node, where, "a whole number").strip()
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ctx.error(node, where, f"expected a whole number, got {shown(raw)}")
        n = _whole(raw)
        if n is None or not lo <= n <= hi:
            got = n if n is not None else shown(raw, 30)[1:-1]
            raise ctx.error(node, where, f"expected a whole number from {lo} to {hi}, got {got}")
        return n

    conv.scalar = True  # type: ignore[attr-defined]
    conv.bounds = (lo, hi)  # type: ignore[attr-defined]  # read by matcue.schema
    return conv


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _bool(ctx: _Ctx, node: Node, where: str) -> bool:
    raw = _scalar(ctx, node, where, "true or false").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ctx.error(node, where, f"expected true or false, got {shown(node.value)}")


_bool.scalar = True  # type: ignore[attr-defined]


def _choice(options: tuple[str, ...]) -> Conv:
    def conv(ctx: _Ctx, node: Node, where: str) -> str:
        raw = _scalar(ctx, node, where, "one of " + ", ".join(options)).strip()
        if raw not in options:
            raise ctx.error(
                node, where, f"expected one of {', '.join(options)}, got {shown(raw)}", _did_you_mean(raw, options)
            )
        return raw

    conv.scalar = True  # type: ignore[attr-defined]
    conv.options = options  # type: ignore[attr-defined]  # read by matcue.schema
    return conv


_text.scalar = True  # type: ignore[attr-defined]
_plain.scalar = True  # type: ignore[attr-defined]


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


# ----------------------------------------------------------------------------- levels


def _leveled(conv: Conv) -> Conv:
    """Accept ``conv``'s value, or a mapping from level to such values."""

    def wrapped(ctx: _Ctx, node: Node, where: str) -> Any:
        if isinstance(node, MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
            if getattr(conv, "scalar", False) or any(k in LEVELS for k in keys):
                return _level_map(ctx, node, where, conv)
        return conv(ctx, node, where)

    wrapped.scalar = getattr(conv, "scalar", False)  # type: ignore[attr-defined]
    wrapped.inner = conv  # type: ignore[attr-defined]  # read by matcue.schema
    return wrapped


def _each(ctx: _Ctx, items: Iterable[tuple[Node, str]], convert: Callable[[Node, str], T]) -> list[T]:
    """Convert every ``(node, where)`` of a list; record every problem, then fail if any."""
    out: list[T] = []
    failed = False
    for item, w in items:
        ctx.visit(item, w)
        try:
            out.append(convert(item, w))
        except _Fail:
            failed = True
    if failed:
        raise _Fail()
    return out


def _indexed(node: SequenceNode, where: str) -> Iterator[tuple[Node, str]]:
    """``(item, "where[i]")`` for each item of a YAML list."""
    return ((item, f"{where}[{i}]") for i, item in enumerate(node.value))


def _level_map(ctx: _Ctx, node: MappingNode, where: str, conv: Conv) -> Leveled[Any]:
    values: list[tuple[str, Any]] = []
    failed = False
    for key, value in _pairs(ctx, node, where):
        if key.value not in LEVELS:
            ctx.error(
                key,
                f"{where}.{key.value}",
                f"unknown level {shown(key.value)}",
                _did_you_mean(key.value, LEVELS) or "levels are beginner, intermediate, advanced",
            )
            failed = True
            continue
        try:
            values.append((key.value, conv(ctx, value, f"{where}.{key.value}")))
        except _Fail:
            failed = True
    if failed:
        raise _Fail()
    if not values:
        raise ctx.error(node, where, "a mapping by level must name at least one level")
    return Leveled(tuple(values), ctx.mark(node))


def _levels_list(ctx: _Ctx, node: Node, where: str) -> tuple[str, ...]:
    if isinstance(node, ScalarNode) and _describe(node) != "nothing":
        items = [node]
    elif isinstance(node, SequenceNode) and node.value:
        items = list(node.value)
    else:
        raise ctx.error(node, where, f"expected a list of levels, got {_describe(node)}")
    sub = (lambda i: f"{where}[{i}]") if isinstance(node, SequenceNode) else (lambda i: where)
    return tuple(_each(ctx, ((item, sub(i)) for i, item in enumerate(items)), lambda n, w: _level(ctx, n, w)))


def _level(ctx: _Ctx, node: Node, where: str) -> str:
    raw = _scalar(ctx, node, where, "a level (beginner, intermediate or advanced)").strip()
    if raw not in LEVELS:
        hint = _did_you_mean(raw, LEVELS) or "levels are beginner, intermediate, advanced"
        raise ctx.error(node, where, f"unknown level {shown(raw)}", hint)
    return raw


_level.scalar = True  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- mappings


def _is_merge(key: Node) -> bool:
    return isinstance(key, ScalarNode) and key.tag == "tag:yaml.org,2002:merge"


def _flatten(ctx: _Ctx, node: MappingNode, where: str, active: tuple[int, ...] = ()) -> None:
    """Apply YAML merge keys (``<<: *defaults``) in place, keeping every node's mark.

    A key given in the mapping itself wins over a merged one; of merged mappings, the
    first listed wins, as in YAML. Each mapping is flattened once and keeps each key once,
    so merges of merges cannot grow exponentially; a mapping that merges itself is an error.
    """
    if not any(_is_merge(k) for k, _ in node.value):
        return
    if id(node) in active:
        raise ctx.error(node, where, "a YAML merge (<<) includes the mapping it is in")
    sources: list[MappingNode] = []
    own: list[tuple[Node, Node]] = []
    for k, v in node.value:
        if not _is_merge(k):
            own.append((k, v))
            continue
        items = v.value if isinstance(v, SequenceNode) else [v]
        for item in items:
            if not isinstance(item, MappingNode):
                raise ctx.error(item, where, f"a YAML merge (<<) takes mappings, got {_describe(item)}")
            sources.append(item)
    chosen: dict[str, tuple[Node, Node]] = {}
    for k, v in own:
        if isinstance(k, ScalarNode):
            chosen.setdefault(k.value, (k, v))
    merged: list[tuple[Node, Node]] = []
    for src in sources:
        _flatten(ctx, src, where, (*active, id(node)))
        for k, v in src.value:
            ctx.visit(k, where)
            if isinstance(k, ScalarNode) and k.value not in chosen:
                chosen[k.value] = (k, v)
                merged.append((k, v))
    node.value = [*merged, *own]


def _pairs(ctx: _Ctx, node: MappingNode, where: str) -> list[tuple[ScalarNode, Node]]:
    _flatten(ctx, node, where)
    out: list[tuple[ScalarNode, Node]] = []
    seen: set[str] = set()
    for key, value in node.value:
        ctx.visit(key, where)
        if not isinstance(key, ScalarNode):
            raise ctx.error(key, where, "keys must be plain words")
        if key.value in seen:
            raise ctx.error(key, f"{where}.{key.value}" if where else key.value, f"duplicate key {key.value!r}")
        seen.add(key.value)
        out.append((key, value))
    return out


def _fields(
    ctx: _Ctx,
    node: Node,
    where: str,
    schema: dict[str, Conv],
    required: tuple[str, ...] = (),
    what: str = "a mapping",
) -> dict[str, Any]:
    """Convert a mapping by ``schema``; record every problem, then fail if there were any.

    At the top of a file (``where`` empty) nothing of the file is quoted until it has the
    shape asked for, a mapping with at least one of the schema's keys: a file named by
    mistake (a system file, say) is only said not to be a routine or a profile.
    """
    if not where:
        if isinstance(node, MappingNode):
            _flatten(ctx, node, where)
        if not isinstance(node, MappingNode):
            raise ctx.error(node, where, f"expected {what}, got {_shape(node)}")
        if not any(isinstance(k, ScalarNode) and k.value in schema for k, _ in node.value):
            raise ctx.error(node, where, f"expected {what}, got a mapping with none of its keys")
    if not isinstance(node, MappingNode):
        raise ctx.error(node, where, f"expected {what}, got {_describe(node)}")
    out: dict[str, Any] = {}
    failed = False
    sub = (lambda k: f"{where}.{k}") if where else (lambda k: k)
    for key, value in _pairs(ctx, node, where):
        conv = schema.get(key.value)
        if conv is None:
            ctx.error(key, sub(key.value), f"unknown key {key.value!r}", _did_you_mean(key.value, list(schema)))
            failed = True
            continue
        try:
            out[key.value] = conv(ctx, value, sub(key.value))
        except _Fail:
            failed = True
            out[key.value] = _Fail
    for name in required:
        if name not in out:
            ctx.error(node, where, f"missing required key {name!r}")
            failed = True
    if failed:
        raise _Fail()
    return out


MIN_BREATH_PHASE_MS = 250  # an inhale or exhale; shorter ones would make millions of tone events
MIN_BELL_EVERY_MS = 1000

_BREATH_KEYS = {
    "inhale": _duration(False, MIN_BREATH_PHASE_MS),
    "exhale": _duration(False, MIN_BREATH_PHASE_MS),
    "hold_in": _duration(True),
    "hold_out": _duration(True),
}


def _breath(ctx: _Ctx, node: Node, where: str) -> BreathSpec:
    if isinstance(node, ScalarNode) and _describe(node) != "nothing":
        name = node.value.strip()
        if name not in BREATH_PRESETS:
            raise ctx.error(
                node,
                where,
                f"unknown breath pattern {name!r}; presets are {', '.join(BREATH_PRESETS)}",
                _did_you_mean(name, list(BREATH_PRESETS)),
            )
        return BreathSpec(preset=name, mark=ctx.mark(node))
    f = _fields(ctx, node, where, _BREATH_KEYS, what="a breath pattern like {inhale: 4, exhale: 6}")
    return BreathSpec(
        inhale_ms=f.get("inhale"),
        exhale_ms=f.get("exhale"),
        hold_in_ms=f.get("hold_in"),
        hold_out_ms=f.get("hold_out"),
        mark=ctx.mark(node),
    )


def _full_breath(ctx: _Ctx, node: Node, where: str) -> BreathSpec:
    """A breathing exercise's pattern: a preset, or inline with inhale and exhale given."""
    spec = _breath(ctx, node, where)
    if spec.preset is None and (spec.inhale_ms is None or spec.exhale_ms is None):
        raise ctx.error(node, where, "a breathing pattern needs both 'inhale' and 'exhale'")
    return spec


_AT = re.compile(r"breath\s+(\S+)", re.IGNORECASE)


def _at(ctx: _Ctx, node: Node, where: str) -> At:
    raw = _scalar(ctx, node, where, "a time like '15s' or 'breath 3'").strip()
    m = _AT.fullmatch(raw)
    if m:
        n = _whole(m.group(1)) if re.fullmatch(r"\d+", m.group(1)) else 0
        if n is None or n > 10_000:
            raise ctx.error(node, where, f"{shown(raw)} is past any hold (at most breath 10000)")
        if n < 1:
            raise ctx.error(node, where, f"expected 'breath N' with N a whole number of at least 1, got {shown(raw)}")
        return At(breath=n, mark=ctx.mark(node))
    try:
        return At(ms=parse_duration_ms(raw, allow_zero=True), mark=ctx.mark(node))
    except DurationError as e:
        msg = str(e)
        if msg.startswith("expected a duration"):
            msg = f"expected a time like '15s' or 'breath 3', got {shown(raw)}"
        raise ctx.error(node, where, msg) from None


_at.scalar = True  # type: ignore[attr-defined]

VERBOSITIES = ("brief", "normal", "full")


def _spoken(ctx: _Ctx, node: Node, where: str) -> Text:
    """Spoken text: a string, or the same cue at several lengths ``{brief: ..., normal: ..., full: ...}``."""
    if not isinstance(node, MappingNode):
        return _text(ctx, node, where)
    f = _fields(
        ctx, node, where, {v: _text for v in VERBOSITIES}, what="text, or a mapping like {brief: ..., full: ...}"
    )
    if not f:
        raise ctx.error(node, where, "expected at least one of brief, normal, full")
    normal = f.get("normal") or f.get("full") or f.get("brief")
    assert normal is not None  # f names at least one of them
    return Text(
        normal.value,
        ctx.mark(node),
        where,
        brief=f["brief"].value if "brief" in f else None,
        full=f["full"].value if "full" in f else None,
    )


def _fit(ctx: _Ctx, node: Node, where: str) -> Fit:
    """``fit: {min: 20s, max: 2m}`` (or breaths): how far --duration may take a step."""
    f = _fields(ctx, node, where, {"min": _bound, "max": _bound}, what="bounds like {min: 20s, max: 2m}")
    lo, hi = f.get("min"), f.get("max")
    if lo is not None and hi is not None and (lo.breaths is None) != (hi.breaths is None):
        raise ctx.error(node, where, "give both bounds in seconds or both in breaths")
    if lo is not None and hi is not None and (lo.ms or lo.breaths or 0) > (hi.ms or hi.breaths or 0):
        raise ctx.error(node, where, "'min' is more than 'max'")
    return Fit(lo, hi, ctx.mark(node))


_DURING_KEYS = {"at": _leveled(_at), "say": _leveled(_spoken), "optional": _leveled(_bool)}


def _during(ctx: _Ctx, node: Node, where: str) -> tuple[During, ...]:
    if not isinstance(node, SequenceNode):
        raise ctx.error(node, where, f"expected a list of cues like '- at: 15s', got {_describe(node)}")

    def cue(item: Node, w: str) -> During:
        f = _fields(ctx, item, w, _DURING_KEYS, required=("at", "say"), what="a cue like {at: 15s, say: ...}")
        return During(f["at"], f["say"], ctx.mark(item), w, f.get("optional", False))

    return tuple(_each(ctx, _indexed(node, where), cue))


# ----------------------------------------------------------------------------- steps

_L = _leveled
_COMMON: dict[str, Conv] = {"levels": _levels_list}
_SIDES = _L(_choice(("both", "left", "right")))

_STEP_SCHEMAS: dict[str, tuple[dict[str, Conv], tuple[str, ...]]] = {
    "say": ({"say": _L(_spoken), "pause": _L(_duration(True)), "optional": _L(_bool), "fit": _L(_fit)}, ()),
    "pause": ({"pause": _L(_duration(False)), "fit": _L(_fit)}, ()),
    "pose": (
        {
            "pose": _L(_text),
            "sanskrit": _L(_text),
            "cue": _L(_spoken),
            "hold": _L(_hold),
            "sides": _SIDES,
            "during": _during,
            "countdown": _L(_int(0, 60)),
            "release": _L(_spoken),
            "transition": _L(_duration(True)),
            "breath": _L(_breath),
            "tones": _L(_bool),
            "fit": _L(_fit),
        },
        ("hold",),
    ),
    "timer": (
        {
            "timer": _L(_text),
            "cue": _L(_spoken),
            "duration": _L(_duration(False, MIN_HOLD_MS)),
            "bell_every": _L(_duration(False, MIN_BELL_EVERY_MS)),
            "during": _during,
            "countdown": _L(_int(0, 60)),
            "sides": _SIDES,
            "release": _L(_spoken),
            "transition": _L(_duration(True)),
            "fit": _L(_fit),
        },
        ("duration",),
    ),
    "reps": (
        {
            "reps": _L(_int(1, 1000)),
            "inhale": _L(_spoken),
            "exhale": _L(_spoken),
            "breath": _L(_breath),
            "speak": _L(_choice(("every", "first"))),
            "name": _L(_text),
        },
        (),
    ),
    "breathe": (
        {
            "breathe": _L(_text),
            "pattern": _L(_full_breath),
            "rounds": _L(_int(1, 10_000)),
            "duration": _L(_duration(False, MIN_HOLD_MS)),
            "count": _L(_bool),
            "fit": _L(_fit),
        },
        ("pattern",),
    ),
    "rest": ({"rest": _L(_duration(False)), "cue": _L(_spoken), "fit": _L(_fit)}, ()),
    "section": (
        {"section": _L(_text), "steps": lambda c, n, w: n, "announce": _L(_bool), "sides": _SIDES},
        ("steps",),
    ),
    "include": ({"include": lambda c, n, w: n}, ()),
}


def _kind_of(ctx: _Ctx, node: MappingNode, where: str) -> str:
    _flatten(ctx, node, where)
    keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
    kinds = [k for k in keys if k in STEP_KINDS]
    if len(kinds) > 1:  # `pause` is also a key of `say`: there it is not a second kind
        kinds = [k for k in kinds if not any(k in _STEP_SCHEMAS[o][0] for o in kinds if o != k)] or kinds
    if len(kinds) > 1:
        raise ctx.error(
            node,
            where,
            f"a step has exactly one kind, got {' and '.join(repr(k) for k in kinds)}",
            "split it into two steps",
        )
    if not kinds:
        known = {k for schema, _ in _STEP_SCHEMAS.values() for k in schema} | set(_COMMON)
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.value not in known:
                hint = _did_you_mean(key.value, STEP_KINDS)
                raise ctx.error(
                    key,
                    f"{where}.{key.value}",
                    f"unknown step kind {key.value!r}",
                    hint or "step kinds are " + ", ".join(STEP_KINDS),
                )
        raise ctx.error(node, where, "a step needs one kind key: " + ", ".join(STEP_KINDS))
    return kinds[0]


def _steps(ctx: _Ctx, node: Node, where: str) -> list[Step]:
    if not isinstance(node, SequenceNode):
        raise ctx.error(node, where, f"expected a list of steps, got {_describe(node)}")
    return [step for made in _each(ctx, _indexed(node, where), lambda n, w: _step(ctx, n, w)) for step in made]


def _step(ctx: _Ctx, node: Node, where: str) -> list[Step]:
    if not isinstance(node, MappingNode):
        if isinstance(node, ScalarNode) and node.value.strip() in STEP_KINDS:
            raise ctx.error(
                node, where, f"step {node.value.strip()!r} has no value", f"write '{node.value.strip()}: ...'"
            )
        raise ctx.error(node, where, f"expected a step like '- say: ...', got {_describe(node)}")
    kind = _kind_of(ctx, node, where)
    if kind != "include":
        ctx.budget.steps += 1
        if ctx.budget.steps > MAX_STEPS:
            ctx.abort(
                node,
                where,
                f"the routine has more than {MAX_STEPS} steps (counting included files and YAML aliases)",
                "split it into several routines",
            )
    schema, required = _STEP_SCHEMAS[kind]
    f = _fields(ctx, node, where, {**schema, **_COMMON}, required)
    base: dict[str, Any] = dict(mark=ctx.mark(node), where=where, levels=f.get("levels"))
    if kind == "include":
        return _include(ctx, f["include"], f"{where}.include", base["levels"])
    if kind == "say":
        return [
            Say(**base, text=f["say"], pause_ms=f.get("pause"), optional=f.get("optional", False), fit=f.get("fit"))
        ]
    if kind == "pause":
        return [Pause(**base, dur_ms=f["pause"], fit=f.get("fit"))]
    if kind == "rest":
        return [Rest(**base, dur_ms=f["rest"], cue=f.get("cue"), fit=f.get("fit"))]
    if kind == "section":
        if ctx.depth >= MAX_NESTING:
            raise ctx.error(
                node, where, f"sections nest deeper than {MAX_NESTING}", "a YAML alias may refer to its own section"
            )
        ctx.depth += 1
        try:
            steps = _steps(ctx, f["steps"], f"{where}.steps")
        finally:
            ctx.depth -= 1
        if not steps:
            raise ctx.error(f["steps"], f"{where}.steps", "a section needs at least one step")
        return [
            Section(
                **base, name=f["section"], steps=tuple(steps), announce=f.get("announce", True), sides=f.get("sides")
            )
        ]
    if kind == "pose":
        return [
            Pose(
                **base,
                name=f["pose"],
                hold=f["hold"],
                sanskrit=f.get("sanskrit"),
                cue=f.get("cue"),
                sides=f.get("sides"),
                during=f.get("during", ()),
                countdown=f.get("countdown"),
                release=f.get("release"),
                transition_ms=f.get("transition"),
                breath=f.get("breath"),
                tones=f.get("tones"),
                fit=f.get("fit"),
            )
        ]
    if kind == "timer":
        return [
            Timer(
                **base,
                name=f["timer"],
                duration_ms=f["duration"],
                cue=f.get("cue"),
                bell_every_ms=f.get("bell_every"),
                during=f.get("during", ()),
                countdown=f.get("countdown"),
                sides=f.get("sides"),
                release=f.get("release"),
                transition_ms=f.get("transition"),
                fit=f.get("fit"),
            )
        ]
    if kind == "reps":
        if "inhale" not in f and "exhale" not in f:
            raise ctx.error(node, where, "reps need an 'inhale' or an 'exhale' text (or both)")
        return [
            Reps(
                **base,
                count=f["reps"],
                inhale=f.get("inhale"),
                exhale=f.get("exhale"),
                breath=f.get("breath"),
                speak=f.get("speak", "every"),
                name=f.get("name"),
            )
        ]
    assert kind == "breathe"
    if ("rounds" in f) == ("duration" in f):
        raise ctx.error(node, where, "a breathing exercise needs exactly one of 'rounds' or 'duration'")
    return [
        Breathe(
            **base,
            name=f["breathe"],
            pattern=f["pattern"],
            rounds=f.get("rounds"),
            duration_ms=f.get("duration"),
            count=f.get("count", False),
            fit=f.get("fit"),
        )
    ]


def _include(ctx: _Ctx, node: Node, where: str, levels: tuple[str, ...] | None) -> list[Step]:
    raw = _scalar(ctx, node, where, "a path to a routine file")
    if not raw.strip() or "\0" in raw:
        raise ctx.error(node, where, f"expected a path to a routine file, got {_describe(node)}")
    target = _named(ctx, node, where, raw.strip(), "included file", "a routine file")
    real = os.path.realpath(target)
    budget = ctx.budget
    if real in ctx.stack:
        chain = " -> ".join([*(shown_folder(p) for p in ctx.stack[ctx.stack.index(real) :]), shown_folder(real)])
        raise ctx.error(node, where, f"include cycle: {chain}")
    if len(ctx.stack) > MAX_INCLUDE_DEPTH:
        raise ctx.error(node, where, f"includes nest deeper than {MAX_INCLUDE_DEPTH} files")
    budget.files += 1
    if budget.files > MAX_INCLUDED_FILES:
        ctx.abort(node, where, f"more than {MAX_INCLUDED_FILES} included files are read for this routine")
    _check_read(ctx, node, where, target)
    inner = _Ctx(str(target), ctx.problems, (*ctx.stack, real), budget, ctx.depth)
    root = _compose(inner, target)
    if root is None:
        raise _Fail()
    if isinstance(root, SequenceNode):
        if not any(isinstance(item, MappingNode) and _has_kind(item) for item in root.value):
            raise inner.error(root, "", "expected a routine (a mapping with 'steps') or a list of steps, got a list "
                              "without steps")  # fmt: skip
        steps = _steps(inner, root, "steps")
    else:
        f = _fields(
            inner, root, "", _ROUTINE_SCHEMA, ("steps",), what="a routine (a mapping with 'steps') or a list of steps"
        )
        steps = f["steps"]
        if isinstance(root, MappingNode):
            _refuse_included_settings(inner, root)
    if levels is not None:
        steps = [_restrict(s, levels) for s in steps]
    return steps


def _check_read(ctx: _Ctx, node: Node, where: str, target: Path) -> None:
    """Stop before reading an include that would pass the command's bytes_read limit."""
    work = ctx.budget.work
    try:
        size = target.stat().st_size
    except OSError:
        return
    if work.bytes_read + size > work.limits.bytes_read:
        ctx.abort(
            node,
            where,
            f"including {str(target)!r} makes {work.bytes_read + size} bytes read by one command; "
            f"{budget.allows('bytes_read', work.limits)}",
            "include fewer or smaller files",
        )


# Settings of an included routine that would change how its steps sound: an include gives
# only its steps, so these are refused rather than silently ignored (docs/routines.md).
INCLUDE_REFUSED = ("breath", "countdown", "tones", "vars", "lexicon")
_STEP_SETTINGS = ("breath", "countdown", "tones")  # a step may set these itself


def _refuse_included_settings(ctx: _Ctx, root: MappingNode) -> None:
    for key, _ in root.value:
        if isinstance(key, ScalarNode) and key.value in INCLUDE_REFUSED:
            ctx.error(
                key, key.value,
                f"an included file gives only its steps, so its '{key.value}' would be ignored",
                f"set '{key.value}' in the including routine"
                + (", or on the steps themselves" if key.value in _STEP_SETTINGS else ""),
            )  # fmt: skip


def _has_kind(node: MappingNode) -> bool:
    return any(isinstance(k, ScalarNode) and (k.value in STEP_KINDS or _is_merge(k)) for k, _ in node.value)


def _restrict(step: Step, levels: tuple[str, ...]) -> Step:
    from dataclasses import replace

    own = step.levels
    merged = tuple(lv for lv in LEVELS if lv in levels and (own is None or lv in own))
    return replace(step, levels=merged)


def _named(ctx: _Ctx, node: Node, where: str, raw: str, kind: str, what: str, owner: str = "routine") -> Path:
    """The file a routine names (``include:``, ``cover:``, ``music:``), relative to the
    routine that names it: confined to the top routine's folder (:func:`matcue.core.paths.confine`)
    and a regular file. Otherwise a located problem; a path outside the folder reads
    exactly like a missing one."""
    from matcue.core.paths import Unreadable, confine, not_found, open_regular, outside_hint

    budget = ctx.budget
    target = Path(ctx.path).parent / raw
    try:
        confine(raw, Path(ctx.path).parent, budget.root_dir, allow_outside=budget.allow_outside, owner=owner)
        os.close(open_regular(target, what))
    except Unreadable as e:
        if e.missing and not budget.allow_outside:
            raise ctx.error(
                node, where, f"{kind} {str(target)!r} {not_found(owner, budget.root_dir)}", outside_hint(owner)
            ) from None
        raise ctx.error(node, where, f"{kind} {str(target)!r} {e}") from None
    return target


# ----------------------------------------------------------------------------- routine


def _vars(ctx: _Ctx, node: Node, where: str) -> tuple[tuple[str, Text], ...]:
    if not isinstance(node, MappingNode):
        raise ctx.error(node, where, f"expected a mapping of names to text, got {_describe(node)}")
    out = []
    failed = False
    for key, value in _pairs(ctx, node, where):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.value):
            ctx.error(key, f"{where}.{key.value}", f"variable names are letters, digits and '_', got {key.value!r}")
            failed = True
            continue
        if key.value in ("side", "other_side"):
            ctx.error(key, f"{where}.{key.value}", f"{{{key.value}}} is set by sided steps and cannot be a variable")
            failed = True
            continue
        try:
            out.append((key.value, _text(ctx, value, f"{where}.{key.value}")))
        except _Fail:
            failed = True
    if failed:
        raise _Fail()
    return tuple(out)


def _lexicon(ctx: _Ctx, node: Node, where: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``lexicon: {word: respelling}`` or ``{word: {say: ..., espeak-ng: "[[...]]"}}``."""
    if not isinstance(node, MappingNode):
        raise ctx.error(
            node, where, f"expected a mapping of words to respellings, got {_describe(node)}",
            "like {Sirsasana: sheer-shah-sah-nah}",
        )  # fmt: skip
    out = []
    failed = False
    for key, value in _pairs(ctx, node, where):
        here = f"{where}.{key.value}"
        if not re.search(r"\w", key.value):
            ctx.error(key, here, f"a lexicon key must be a word or phrase, got {key.value!r}")
            failed = True
            continue
        try:
            if isinstance(value, MappingNode):
                from matcue.voice.registry import backend_names

                known = ("say", *backend_names())
                forms = []
                for k, v in _pairs(ctx, value, here):
                    if k.value not in known:
                        raise ctx.error(
                            k, f"{here}.{k.value}", f"unknown voice backend {k.value!r} in a lexicon entry",
                            _did_you_mean(k.value, known) or "keys are 'say' or a backend: " + ", ".join(known[1:]),
                        )  # fmt: skip
                    forms.append(("" if k.value == "say" else k.value, _plain(ctx, v, f"{here}.{k.value}")))
                if not forms:
                    raise ctx.error(value, here, "expected a respelling or a mapping like {say: ..., espeak-ng: ...}")
            else:
                value_text = _scalar(ctx, value, here, "a respelling")
                if not value_text.strip():
                    raise ctx.error(value, here, "expected a respelling, got an empty string")
                forms = [("", " ".join(value_text.split()))]
            out.append((" ".join(key.value.split()), tuple(forms)))
        except _Fail:
            failed = True
    if failed:
        raise _Fail()
    return tuple(out)


def _backend(ctx: _Ctx, node: Node, where: str) -> str:
    """A voice backend's name: ``auto`` or one the registry knows (plugins included)."""
    from matcue.voice.registry import AUTO, backend_names

    name = _plain(ctx, node, where)
    known = [AUTO, *(n for n in backend_names() if n != "fake")]
    if name != AUTO and name not in backend_names():
        hint = _did_you_mean(name, known) or "backends: " + ", ".join(known)
        raise ctx.error(node, where, f"unknown voice backend {shown(name)}", hint)
    return name


_VOICE_KEYS = {"backend": _backend, "name": _plain, "rate": _int(60, 500)}


def _voice(ctx: _Ctx, node: Node, where: str) -> VoiceSettings:
    f = _fields(ctx, node, where, _VOICE_KEYS, what="voice settings like {backend: auto, rate: 150}")
    name_mark = next((ctx.mark(v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == "name"), None)
    return VoiceSettings(backend=f.get("backend"), name=f.get("name"), rate=f.get("rate"), name_mark=name_mark)


def _cover(ctx: _Ctx, node: Node, where: str) -> str:
    """``cover: PATH``: an image file (JPEG or PNG), relative to the routine file."""
    from matcue.core.media import CoverError, read_cover

    raw = _scalar(ctx, node, where, "a path to an image file").strip()
    if not raw:
        raise ctx.error(node, where, "expected a path to an image file, got an empty string")
    target = _named(ctx, node, where, raw, "cover image", "an image file")
    try:
        read_cover(target)
    except CoverError as e:
        hint = e.hint or "a JPEG or PNG file, relative to the routine"
        raise ctx.error(node, where, f"cover image {str(target)!r}: {e}", hint) from None
    return str(target)


def _music(ctx: _Ctx, node: Node, where: str) -> str:
    """``music: PATH``: an audio file looped under the session, relative to the routine file,
    inside the routine's folder (unless --allow-outside), that ffmpeg can decode."""
    from matcue.core.media import MusicError, probe_music

    raw = _scalar(ctx, node, where, "a path to an audio file")
    if not raw.strip() or "\0" in raw:
        raise ctx.error(node, where, f"expected a path to an audio file, got {_describe(node)}")
    target = _named(ctx, node, where, raw.strip(), "music file", "an audio file")
    try:
        probe_music(target)
    except MusicError as e:
        raise ctx.error(node, where, f"music file {str(target)!r} {e}", e.hint) from None
    return str(target)


_ROUTINE_SCHEMA: dict[str, Conv] = {
    "title": _plain,
    "cover": _cover,
    "music": _music,
    "description": _plain,
    "author": _plain,
    "collection": _plain,
    "language": _plain,
    "level": _level,
    "first_side": _choice(("right", "left")),
    "voice": _voice,
    "breath": _L(_breath),
    "tones": _L(_bool),
    "countdown": _L(_int(0, 60)),
    "vars": _vars,
    "lexicon": _lexicon,
    "steps": lambda ctx, node, where: _nonempty_steps(ctx, node, where),
}


def _nonempty_steps(ctx: _Ctx, node: Node, where: str) -> list[Step]:
    steps = _steps(ctx, node, where)
    if not steps:
        raise ctx.error(node, where, "the routine has no steps")
    return steps


def _compose(ctx: _Ctx, path: Path, what: str = "a routine file") -> Node | None:
    """Read (a regular file, at most MAX_FILE_BYTES) and compose one YAML file; record a
    located problem and return None on failure."""
    from matcue.core.paths import Unreadable, read_bounded

    try:
        data = read_bounded(path, MAX_FILE_BYTES, what)
    except Unreadable as e:
        if e.missing:
            ctx.problems.append(Problem(None, ctx.path, "no such file"))
        elif e.size is not None:
            ctx.problems.append(
                Problem(
                    Mark(ctx.path, 1, 1),
                    "",
                    f"the file is {e.size // 1_000_000} MB; a routine may be at most {MAX_FILE_BYTES // 1_000_000} MB",
                )
            )
        else:
            ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", str(e)))
        return None
    return _compose_text(ctx, data)


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _decode(ctx: _Ctx, data: bytes) -> str | None:
    """The text of a file: UTF-8 (a BOM allowed), or UTF-16/32 with a BOM (what Windows
    Notepad saves as "Unicode"); None with a located problem when it is neither."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                name = codec.upper()
                ctx.problems.append(
                    Problem(Mark(ctx.path, 1, 1), "", f"the file starts as {name} text but is not valid {name}",
                            "save it as UTF-8")
                )  # fmt: skip
                return None
    head = data[:8192]
    if b"\0" in head and _looks_binary(head):
        hint = ""
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            hint = "it looks like UTF-16 text without a byte-order mark: save it as UTF-8"
        ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", "this is a binary file, not a routine", hint))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        ctx.problems.append(Problem(Mark(ctx.path, line, col), "", "the file is not UTF-8 text", "save it as UTF-8"))
        return None


def _looks_binary(head: bytes) -> bool:
    """Whether the start of a file that holds a NUL byte is binary data rather than text
    with a stray control character (reported where it is)."""
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if controls * 20 > len(head):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < len(head) - 3  # not just a character cut at the end of the sample
    return False


_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line break


def _text_mark(path: str, text: str, pos: int) -> Mark:
    """The line and column of character ``pos`` of ``text``, counted as YAML counts them."""
    line, start = 1, 0
    for m in _LINE_BREAK.finditer(text, 0, pos):
        line, start = line + 1, m.end()
    return Mark(path, line, pos - start + 1)


def _compose_text(ctx: _Ctx, data: bytes | str) -> Node | None:
    if isinstance(data, bytes):
        try:
            ctx.budget.work.read(len(data), Mark(ctx.path, 1, 1))
        except RoutineError as e:
            ctx.problems.extend(e.problems)
            return None
        decoded = _decode(ctx, data)
        if decoded is None:
            return None
        text = decoded.removeprefix("\ufeff")
    else:
        text = data.removeprefix("\ufeff")
        if len(text) > MAX_FILE_BYTES:
            ctx.problems.append(
                Problem(Mark(ctx.path, 1, 1), "", f"the text is longer than {MAX_FILE_BYTES} characters")
            )
            return None
    try:
        root = _compose_bounded(ctx, text)
    except _TooManyValues as e:
        ctx.problems.append(Problem(Mark(ctx.path, e.line, e.column), "", e.what, e.hint))
        return None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(str(e.problem or "invalid YAML").split())
        context = " ".join(str(e.context or "").split())
        start = e.context_mark
        hint = ""
        if "\t" in text and ("tab" in what or "found character" in what):
            hint = "indent with spaces, not tabs"
        elif "end of stream" in what and start is not None and context:
            # point at what was opened and never closed, not at the end of the file
            mark = start
            inside = context.removeprefix("while scanning ").removeprefix("while parsing ").replace("scalar", "text")
            what = f"the file ends inside {inside} that starts here"
            hint = "close the quote or bracket"
        elif "mapping values are not allowed here" in what:
            hint = "check this line's indentation, or quote a text that contains ': '"
        elif (
            context
            and start is not None
            and mark is not None
            and (start.line, start.column)
            != (
                mark.line,
                mark.column,
            )
        ):
            hint = f"{context} that starts at {start.line + 1}:{start.column + 1}"
        elif context:
            hint = context
        loc = Mark(ctx.path, mark.line + 1, mark.column + 1) if mark else None
        ctx.problems.append(Problem(loc, "", f"YAML syntax error: {what}", hint))
        return None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow: say where it is
        name = unicodedata.name(chr(e.character), "") if isinstance(e.character, int) else ""
        code = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        char = f"{code} {name}".strip() if name else f"{code} (a control character)"
        ctx.problems.append(
            Problem(_text_mark(ctx.path, text, e.position), "", f"the character {char} cannot be in a routine",
                    "a routine is plain text: delete it")
        )  # fmt: skip
        return None
    except yaml.YAMLError as e:
        ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", f"YAML syntax error: {e}"))
        return None
    except RecursionError:
        ctx.problems.append(
            Problem(Mark(ctx.path, 1, 1), "", "the YAML nests too deeply", "nest lists and mappings less deeply")
        )
        return None
    if root is None:
        ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", "the routine is empty", "it needs a 'title' and 'steps'"))
        return None
    return root


class _TooManyValues(Exception):
    def __init__(self, mark: Any, limits: budget.Limits) -> None:
        self.line: int = mark.line + 1 if mark is not None else 1
        self.column: int = mark.column + 1 if mark is not None else 1
        self.what = (
            f"the file has more YAML values than one routine may have, with its includes; "
            f"{budget.allows('yaml_values', limits)}"
        )
        self.hint = "split it into smaller routines"


class _CountingLoader(yaml.SafeLoader):
    """The pure-Python composer (marks and messages as always), stopping at the limit."""

    count_left = 0
    limits = budget.LIMITS

    def compose_node(self, parent: Node | None, index: int) -> Node | None:  # type: ignore[override]
        self.count_left -= 1
        if self.count_left < 0:
            raise _TooManyValues(self.peek_event().start_mark, self.limits)
        return super().compose_node(parent, index)


def _compose_bounded(ctx: _Ctx, text: str) -> Node | None:
    """``yaml.compose`` that counts every value against the load's yaml_values limit, so a
    5 MB flow list is refused after the limit's worth of values, not composed whole. The
    fast C parser (when PyYAML has it) counts first, so the refusal costs about a second."""
    b = ctx.budget
    limits = b.work.limits
    left = limits.yaml_values - b.composed
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        n = 0
        try:
            for event in yaml.parse(text, Loader=fast):
                if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)):
                    n += 1
                    if n > left:
                        raise _TooManyValues(event.start_mark, limits)
        except yaml.YAMLError:
            pass  # the composer below reports it, with its own wording
    loader = _CountingLoader(text)
    loader.count_left, loader.limits = left, limits
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
        b.composed += left - max(loader.count_left, 0)
    return root  # type: ignore[no-any-return]


def _build(ctx: _Ctx, root: Node) -> Routine:
    f = _fields(
        ctx, root, "", _ROUTINE_SCHEMA, ("title", "steps"), what="a routine (a mapping with 'title' and 'steps')"
    )
    steps = f["steps"]
    voice = f.get("voice", VoiceSettings())
    return Routine(
        title=f["title"],
        steps=tuple(steps),
        path=ctx.path,
        description=f.get("description"),
        author=f.get("author"),
        collection=f.get("collection"),
        language=f.get("language", "en"),
        level=f.get("level"),
        first_side=f.get("first_side", "right"),
        voice=voice,
        breath=f.get("breath"),
        tones=f.get("tones", True),
        countdown=f.get("countdown", 3),
        vars=f.get("vars", ()),
        lexicon=f.get("lexicon", ()),
        mark=ctx.mark(root),
        cover=f.get("cover"),
        music=f.get("music"),
    )


def load_routine(path: str | os.PathLike[str], *, allow_outside: bool = False) -> Routine:
    """Load and validate a routine file. Raises RoutineError with every problem found.

    Includes may not leave the routine's folder (symbolic links resolved) unless
    ``allow_outside``.
    """
    p = Path(path)
    problems: list[Problem] = []
    real = os.path.realpath(p)
    ctx = _Ctx(str(path), problems, (real,), _Budget(os.path.dirname(real), allow_outside))
    root = _compose(ctx, p)
    return _finish(ctx, root)


def loads_routine(text: str, name: str = "<string>", *, allow_outside: bool = False) -> Routine:
    """Load a routine from a string; ``name`` is the path shown in errors and used for includes."""
    problems: list[Problem] = []
    real = os.path.realpath(name)
    ctx = _Ctx(name, problems, (real,), _Budget(os.path.dirname(real), allow_outside))
    root = _compose_text(ctx, text)
    return _finish(ctx, root)


def _finish(ctx: _Ctx, root: Node | None) -> Routine:
    routine = None
    if root is not None:
        try:
            routine = _build(ctx, root)
        except (_Fail, _Abort):
            pass
    if ctx.problems or routine is None:
        raise RoutineError(ctx.problems)
    return routine
