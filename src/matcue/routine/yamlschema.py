"""A small toolkit for reading YAML nodes into typed values, with located problems.

YAML is composed into nodes (:mod:`matcue.routine.yamlread`), never into Python values,
so every value keeps its line and column and text is taken exactly as written
(``say: No`` speaks "No"). A *converter* is a function ``(ctx, node, where) -> value``:
it returns the value, or records a :class:`~matcue.core.errors.Problem` on the
:class:`Context` (``ctx.error(...)``) and raises the :class:`Fail` that ``error`` returns.
``where`` is the dotted path shown in messages (``steps[2].hold``).

Writing a new key table (as :data:`matcue.routine.loader.ROUTINE_KEYS`,
:data:`matcue.routine.profile.PROFILE_KEYS` or a step kind in :mod:`matcue.routine.steps`):

1. Map each key to a converter: the scalars here (:func:`text`, :func:`plain`,
   :func:`duration`, :func:`integer`, :func:`boolean`, :func:`choice`, :func:`level`,
   :func:`levels_list`), wrapped in :func:`leveled` when a value may be given per level,
   or a function of your own written like them (``scalar(...)`` for the raw string,
   ``fields(...)`` for a nested mapping, ``each(...)`` over ``indexed(...)`` for a list).
2. Read a mapping with ``fields(ctx, node, where, table, required, what=...)``: it applies
   YAML merge keys, refuses duplicate and unknown keys (with a "did you mean"), converts
   every value, records every problem, and raises :class:`Fail` when there was any. Keys
   left out are absent from the result: give defaults with ``.get``.
3. Give the key a description in :mod:`matcue.schema` (a step kind's key carries its own):
   the JSON Schema is generated from the same tables and a test fails on a key without one.
   A converter of your own also needs a fragment there (``_known``).

A converter that reads a scalar carries ``scalar = True`` (so :func:`leveled` reads a
mapping under it as a mapping by level); :func:`duration`, :func:`integer` and
:func:`choice` also carry their bounds for :mod:`matcue.schema`. Limits on what one load
may spend (:data:`MAX_NODES` and the command's :mod:`matcue.core.limits`) live on the
context's :class:`LoadBudget`, so a mistaken or hostile file cannot exhaust the machine.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.core import limits as budget
from matcue.core.durations import DurationError, parse_duration_ms
from matcue.core.errors import MAX_PROBLEMS, Mark, Problem, shown
from matcue.core.limits import MAX_BREATH_PHASE_MS, longest_phase
from matcue.core.numbers import NumberError, whole_number, with_digits_problem
from matcue.core.paths import base_folder
from matcue.core.text import blank_text, nothing_visible, unsafe_char, unsafe_what, without_silent
from matcue.routine.model import LEVELS, Leveled, Text

T = TypeVar("T")

MAX_TEXT_CHARS = budget.LIMITS.text_chars  # one text as written (after {vars}: compile checks it)
MAX_NODES = 200_000  # YAML nodes visited while converting: aliases ("billion laughs") count each time


class Fail(Exception):
    """A problem was recorded; the value being built is unusable."""


class Abort(Exception):
    """A limit was exceeded: the problem is recorded and loading stops at once."""


class LoadBudget:
    """What one load may spend, shared by every file it includes."""

    def __init__(self, root_dir: str, allow_outside: bool, given: Collection[str] = ()) -> None:
        self.nodes = 0
        self.steps = 0
        self.files = 0
        self.included: list[str] = []  # real paths of the files included (outputs may not replace them)
        self.composed = 0  # YAML values composed, every file counted (limit yaml_values)
        self.work = budget.current()  # the command's tally: bytes read (matcue.core.limits)
        self.root_dir = root_dir  # real path of the top-level routine's folder
        self.allow_outside = allow_outside
        self.given = frozenset(given)  # top-level keys the command line gives: not read from the file
        self.spoiled: set[Mark] = set()  # values a bad character was found in: reported once, already
        # (id of a list, index) -> the list, where an alias gives its item, and the alias ('*a'):
        # PyYAML gives an alias its anchor's node, so the alias's own place is kept here
        self.aliases: dict[tuple[int, int], tuple[Node, Mark, str]] = {}


class Context:
    def __init__(
        self,
        path: str,
        problems: list[Problem],
        stack: tuple[str, ...],
        budget: LoadBudget | None = None,
        depth: int = 0,
    ):
        self.path = path
        self.base_folder = base_folder(path)  # what the file names is relative to: where it really is
        self.problems = problems
        self.stack = stack  # real paths of the files being loaded, for include cycles
        self.budget = budget or LoadBudget(os.path.dirname(stack[0]) if stack else os.getcwd(), True)
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

    def abort(self, node: Node | None, where: str, what: str, hint: str = "") -> Abort:
        self.problems.append(Problem(self.mark(node) or Mark(self.path, 1, 1), where, what, hint))
        raise Abort()

    def mark(self, node: Node | None) -> Mark | None:
        if node is None:
            return None
        return Mark(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: Node | None, where: str, what: str, hint: str = "") -> Fail:
        """Record a problem at ``node``; one in a value that holds a bad character (already
        reported where it is) is not reported again."""
        if self.mark(node) in self.budget.spoiled:
            return Fail()
        self.problems.append(Problem(self.mark(node), where, what, hint))
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems.append(Problem(self.mark(node), where, f"more than {MAX_PROBLEMS} problems; stopped looking"))
            raise Abort()
        return Fail()


Converter = Callable[[Context, Node, str], Any]


# ----------------------------------------------------------------------------- scalars


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null", "Null", "NULL"):
        return "nothing"
    return shown(node.value)


def shape(node: Node) -> str:
    """What a node is, quoting none of it: "a mapping", "a list", "text" or "nothing"."""
    if isinstance(node, (MappingNode, SequenceNode)):
        return describe(node)
    return "nothing" if describe(node) == "nothing" else "text"


def scalar(ctx: Context, node: Node, where: str, expected: str) -> str:
    if not isinstance(node, ScalarNode) or describe(node) == "nothing":
        raise ctx.error(node, where, f"expected {expected}, got {describe(node)}")
    return str(node.value)


_NAMED_TEXTS = frozenset(
    "title author collection description name sanskrit pose section timer breathe reps language".split()
)


def _spoken_as_a_cue(where: str) -> bool:
    """Whether the text at key path ``where`` is a cue (``steps[0].say``, ``...cue.beginner``),
    which can be split into several; a title, a name or an author cannot."""
    keys = [k for k in re.findall(r"[a-z_]+", where) if k not in LEVELS]
    return not keys or keys[-1] not in _NAMED_TEXTS


def text(ctx: Context, node: Node, where: str) -> Text:
    raw = scalar(ctx, node, where, "text")
    if not raw.strip():
        raise ctx.error(node, where, "expected text, got an empty string")
    bad = unsafe_char(raw)
    if bad is not None:
        what, hint = unsafe_what(bad)
        raise ctx.error(node, where, f"the text contains {what} at character {raw.index(bad) + 1}", hint)
    if nothing_visible(raw):  # the one rule for blank text: titles, names, cues, values alike
        raise ctx.error(node, where, blank_text(raw))
    if len(raw) > MAX_TEXT_CHARS:
        raise ctx.error(
            node,
            where,
            f"text is {len(raw)} characters long; at most {MAX_TEXT_CHARS} are allowed",
            "split it into several cues" if _spoken_as_a_cue(where) else "shorten it",
        )
    return Text(" ".join(without_silent(raw).split()), ctx.mark(node), where)


def plain(ctx: Context, node: Node, where: str) -> str:
    """A name or a title: :func:`text` on one line."""
    return " ".join(text(ctx, node, where).value.split())


def label(ctx: Context, node: Node, where: str) -> str:
    """A title, description, author or collection: :func:`plain`, shown and tagged as written
    and never spoken, so no ``{placeholder}`` is filled in it: a placeholder's name in braces
    (``{teacher}``) is refused here rather than reaching the tags and the page unfilled; other
    braces (``{kept in the title}``) are kept as written."""
    value = plain(ctx, node, where)
    braced = re.search(r"(?<!\{)\{\w+\}(?!\})", value)  # "{{TITLE}}" is braces, not a placeholder
    if braced is not None:
        what = f"shown as written: {{placeholders}} are filled in spoken text only, got {shown(value)}"
        raise ctx.error(node, where, what, f"write the words themselves instead of {braced.group(0)}")
    return value


def duration(allow_zero: bool, min_ms: int = 0, phase: bool = False) -> Converter:
    """A duration of at least ``min_ms`` (when not 0); ``phase``: a breath phase, at most
    :data:`~matcue.core.limits.MAX_BREATH_PHASE_MS` (the one wording, :func:`longest_phase`)."""

    def conv(ctx: Context, node: Node, where: str) -> int:
        raw = scalar(ctx, node, where, "a duration like '30s' or '1m30s'")
        try:
            ms = parse_duration_ms(raw, allow_zero=allow_zero)
        except DurationError as e:
            raise ctx.error(node, where, str(e)) from None
        if 0 < ms < min_ms:
            raise ctx.error(node, where, f"must be at least {min_ms / 1000:g}s, got {shown(raw)}")
        if phase and ms > MAX_BREATH_PHASE_MS:
            raise ctx.error(node, where, longest_phase(raw))
        return ms

    conv.scalar = True  # type: ignore[attr-defined]
    conv.allow_zero = allow_zero  # type: ignore[attr-defined]  # read by matcue.schema
    conv.max_ms = MAX_BREATH_PHASE_MS if phase else None  # type: ignore[attr-defined]  # read by matcue.schema
    return conv


def integer(lo: int, hi: int) -> Converter:
    def conv(ctx: Context, node: Node, where: str) -> int:
        raw = scalar(ctx, node, where, "a whole number").strip()
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise ctx.error(node, where, with_digits_problem(f"expected a whole number, got {shown(raw)}", raw))
        try:
            return whole_number(raw, lo, hi)
        except NumberError as e:
            raise ctx.error(node, where, str(e)) from None

    conv.scalar = True  # type: ignore[attr-defined]
    conv.bounds = (lo, hi)  # type: ignore[attr-defined]  # read by matcue.schema
    return conv


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def boolean(ctx: Context, node: Node, where: str) -> bool:
    raw = scalar(ctx, node, where, "true or false").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ctx.error(node, where, f"expected true or false, got {shown(node.value)}")


boolean.scalar = True  # type: ignore[attr-defined]


def choice(options: tuple[str, ...]) -> Converter:
    def conv(ctx: Context, node: Node, where: str) -> str:
        raw = scalar(ctx, node, where, "one of " + ", ".join(options)).strip()
        if raw not in options:
            raise ctx.error(
                node, where, f"expected one of {', '.join(options)}, got {shown(raw)}", did_you_mean(raw, options)
            )
        return raw

    conv.scalar = True  # type: ignore[attr-defined]
    conv.options = options  # type: ignore[attr-defined]  # read by matcue.schema
    return conv


text.scalar = True  # type: ignore[attr-defined]
plain.scalar = True  # type: ignore[attr-defined]


def did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


# ----------------------------------------------------------------------------- levels


def leveled(conv: Converter) -> Converter:
    """Accept ``conv``'s value, or a mapping from level to such values."""

    def wrapped(ctx: Context, node: Node, where: str) -> Any:
        if isinstance(node, MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
            if getattr(conv, "scalar", False) or any(k in LEVELS for k in keys):
                return level_map(ctx, node, where, conv)
        return conv(ctx, node, where)

    wrapped.scalar = getattr(conv, "scalar", False)  # type: ignore[attr-defined]
    wrapped.inner = conv  # type: ignore[attr-defined]  # read by matcue.schema
    return wrapped


def each(ctx: Context, items: Iterable[tuple[Node, str]], convert: Callable[[Node, str], T]) -> list[T]:
    """Convert every ``(node, where)`` of a list; record every problem, then fail if any."""
    out: list[T] = []
    failed = False
    for item, w in items:
        ctx.visit(item, w)
        try:
            out.append(convert(item, w))
        except Fail:
            failed = True
    if failed:
        raise Fail()
    return out


def indexed(node: SequenceNode, where: str) -> Iterator[tuple[Node, str]]:
    """``(item, "where[i]")`` for each item of a YAML list."""
    return ((item, f"{where}[{i}]") for i, item in enumerate(node.value))


def level_map(ctx: Context, node: MappingNode, where: str, conv: Converter) -> Leveled[Any]:
    values = keyed(ctx, node, where, _not_a_level, conv)
    if not values:
        raise ctx.error(node, where, "a mapping by level must name at least one level")
    return Leveled(tuple(values), ctx.mark(node))


def _not_a_level(key: str) -> tuple[str, str] | None:
    if key in LEVELS:
        return None
    return f"unknown level {shown(key)}", did_you_mean(key, LEVELS) or "levels are beginner, intermediate, advanced"


def keyed(
    ctx: Context, node: MappingNode, where: str, refuse: Callable[[str], tuple[str, str] | None], conv: Converter
) -> list[tuple[str, Any]]:
    """``(key, value)`` for a mapping whose keys are names rather than a fixed table
    (levels, variables): ``refuse(key)`` says what is wrong with a key, ``(what, hint)``,
    or None; ``conv`` converts each value. Every problem is recorded, then Fail if any."""
    values: list[tuple[str, Any]] = []
    failed = False
    for key, value in pairs(ctx, node, where):
        bad = refuse(key.value)
        if bad is not None:
            ctx.error(key, f"{where}.{key.value}", *bad)
            failed = True
            continue
        try:
            values.append((key.value, conv(ctx, value, f"{where}.{key.value}")))
        except Fail:
            failed = True
    if failed:
        raise Fail()
    return values


def levels_list(ctx: Context, node: Node, where: str) -> tuple[str, ...]:
    if isinstance(node, ScalarNode) and describe(node) != "nothing":
        items = [node]
    elif isinstance(node, SequenceNode) and node.value:
        items = list(node.value)
    elif isinstance(node, SequenceNode):
        raise ctx.error(
            node,
            where,
            "an empty list of levels",
            "name at least one of beginner, intermediate, advanced, or leave it out",
        )
    else:
        raise ctx.error(node, where, f"expected a list of levels, got {describe(node)}")
    sub = (lambda i: f"{where}[{i}]") if isinstance(node, SequenceNode) else (lambda i: where)
    return tuple(each(ctx, ((item, sub(i)) for i, item in enumerate(items)), lambda n, w: level(ctx, n, w)))


def level(ctx: Context, node: Node, where: str) -> str:
    raw = scalar(ctx, node, where, "a level (beginner, intermediate or advanced)").strip()
    if raw not in LEVELS:
        hint = did_you_mean(raw, LEVELS) or "levels are beginner, intermediate, advanced"
        raise ctx.error(node, where, f"unknown level {shown(raw)}", hint)
    return raw


level.scalar = True  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- mappings


def is_merge(key: Node) -> bool:
    return isinstance(key, ScalarNode) and key.tag == "tag:yaml.org,2002:merge"


def flatten(ctx: Context, node: MappingNode, where: str, active: tuple[int, ...] = ()) -> None:
    """Apply YAML merge keys (``<<: *defaults``) in place, keeping every node's mark.

    A key given in the mapping itself wins over a merged one; of merged mappings, the
    first listed wins, as in YAML. Each mapping is flattened once and keeps each key once,
    so merges of merges cannot grow exponentially; a mapping that merges itself is an error.
    """
    if not any(is_merge(k) for k, _ in node.value):
        return
    if id(node) in active:
        raise ctx.error(node, where, "a YAML merge (<<) includes the mapping it is in")
    sources: list[MappingNode] = []
    own: list[tuple[Node, Node]] = []
    for k, v in node.value:
        if not is_merge(k):
            own.append((k, v))
            continue
        items = v.value if isinstance(v, SequenceNode) else [v]
        for item in items:
            if not isinstance(item, MappingNode):
                raise ctx.error(item, where, f"a YAML merge (<<) takes mappings, got {describe(item)}")
            sources.append(item)
    chosen: dict[str, tuple[Node, Node]] = {}
    for k, v in own:
        if isinstance(k, ScalarNode):
            chosen.setdefault(k.value, (k, v))
    merged: list[tuple[Node, Node]] = []
    for src in sources:
        flatten(ctx, src, where, (*active, id(node)))
        for k, v in src.value:
            ctx.visit(k, where)
            if isinstance(k, ScalarNode) and k.value not in chosen:
                chosen[k.value] = (k, v)
                merged.append((k, v))
    node.value = [*merged, *own]


def pairs(ctx: Context, node: MappingNode, where: str) -> list[tuple[ScalarNode, Node]]:
    flatten(ctx, node, where)
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


def fields(
    ctx: Context,
    node: Node,
    where: str,
    schema: dict[str, Converter],
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
            flatten(ctx, node, where)
        if not isinstance(node, MappingNode):
            raise ctx.error(node, where, f"expected {what}, got {shape(node)}")
        if not any(isinstance(k, ScalarNode) and k.value in schema for k, _ in node.value):
            raise ctx.error(node, where, f"expected {what}, got a mapping with none of its keys")
    if not isinstance(node, MappingNode):
        raise ctx.error(node, where, f"expected {what}, got {describe(node)}")
    out: dict[str, Any] = {}
    failed = False
    sub = (lambda k: f"{where}.{k}") if where else (lambda k: k)
    for key, value in pairs(ctx, node, where):
        conv = schema.get(key.value)
        if not where and conv is not None and key.value in ctx.budget.given:
            continue  # --recordings over a routine's recordings: (which may be missing)
        if conv is None:
            ctx.error(key, sub(key.value), f"unknown key {key.value!r}", did_you_mean(key.value, list(schema)))
            failed = True
            continue
        try:
            out[key.value] = conv(ctx, value, sub(key.value))
        except Fail:
            failed = True
            out[key.value] = Fail
    for name in required:
        if name not in out:
            ctx.error(node, where, f"missing required key {name!r}")
            failed = True
    if failed:
        raise Fail()
    return out
