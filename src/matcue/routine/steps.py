"""The step kinds: each kind's keys, converters, descriptions and model in one table.

:data:`STEP_TABLE` maps a kind's name (the key that makes a mapping that kind of step,
``- pose: Pigeon``) to its :class:`StepKind`: the model class it builds
(:mod:`matcue.routine.model`), its keys in the order the JSON Schema lists them (the kind
key first), each with its converter (:mod:`matcue.routine.yamlschema`), the model field
it fills, and the description and example the schema shows; the keys it requires; and a
rule across keys. :mod:`matcue.routine.loader` reads a step through this table and
:mod:`matcue.schema` describes it from the same table, so the two cannot drift.

Adding a step kind (docs/architecture.md): add its model class to
:mod:`matcue.routine.model` and to ``Step``, add a :class:`StepKind` here (keys shared with
other kinds are the ``Key`` constants below), then expand it into segments in
:mod:`matcue.plan.expand`. ``section`` and ``include`` are the two structural kinds: the
loader reads their nested steps and included files itself.

Also here: the converters of values that steps use (holds, breath patterns, cue times,
spoken text at several lengths, ``fit:`` bounds, during-cues).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.core.durations import DURATION_HINT, DurationError, parse_duration_ms
from matcue.core.errors import shown
from matcue.core.numbers import whole, with_digits_problem
from matcue.routine.model import (
    BREATH_PRESETS,
    MIN_BREATH_PHASE_MS,
    MIN_HOLD_MS,
    At,
    Breathe,
    BreathSpec,
    During,
    Fit,
    Hold,
    Pause,
    Pose,
    Reps,
    Rest,
    Say,
    Section,
    Step,
    Text,
    Timer,
)
from matcue.routine.yamlschema import (
    Context,
    Converter,
    boolean,
    choice,
    describe,
    did_you_mean,
    duration,
    each,
    fields,
    indexed,
    integer,
    leveled,
    levels_list,
    scalar,
    text,
)

HOLD_HINT = "expected a duration like '30s' or '5 breaths'"


_BREATHS = re.compile(r"(\S+)\s+breaths?", re.IGNORECASE)


def hold(ctx: Context, node: Node, where: str) -> Hold:
    """A pose's hold: ``5 breaths`` or a duration of at least :data:`MIN_HOLD_MS`."""
    return _hold_or_bound(ctx, node, where, MIN_HOLD_MS)


def bound(ctx: Context, node: Node, where: str) -> Hold:
    """A ``fit:`` bound: breaths or any duration."""
    return _hold_or_bound(ctx, node, where, 0)


def _hold_or_bound(ctx: Context, node: Node, where: str, min_ms: int) -> Hold:
    raw = scalar(ctx, node, where, "a duration like '30s' or '5 breaths'")
    m = _BREATHS.fullmatch(raw.strip())
    if m:
        n = m.group(1)
        if not re.fullmatch(r"[0-9]+", n) or whole(n) == 0:
            msg = f"the number of breaths must be a whole number of at least 1, got {shown(raw)}"
            raise ctx.error(node, where, with_digits_problem(msg, n))
        count = whole(n)
        if count is None or count > 10_000:
            raise ctx.error(node, where, f"{shown(raw)} is too many breaths (at most 10000)")
        return Hold(breaths=count, mark=ctx.mark(node))
    try:
        ms = parse_duration_ms(raw)
    except DurationError as e:
        raise ctx.error(node, where, str(e).replace(DURATION_HINT, HOLD_HINT, 1)) from None
    if ms < min_ms:
        raise ctx.error(node, where, f"a hold must be at least {min_ms / 1000:g}s, got {shown(raw)}")
    return Hold(ms=ms, mark=ctx.mark(node))


hold.scalar = True  # type: ignore[attr-defined]


MIN_BELL_EVERY_MS = 1000

BREATH_KEYS = {
    "inhale": duration(False, MIN_BREATH_PHASE_MS, phase=True),
    "exhale": duration(False, MIN_BREATH_PHASE_MS, phase=True),
    "hold_in": duration(True, phase=True),
    "hold_out": duration(True, phase=True),
}


def breath(ctx: Context, node: Node, where: str) -> BreathSpec:
    if isinstance(node, ScalarNode) and describe(node) != "nothing":
        name = node.value.strip()
        if name not in BREATH_PRESETS:
            raise ctx.error(
                node,
                where,
                f"unknown breath pattern {shown(name)}; presets are {', '.join(BREATH_PRESETS)}",
                did_you_mean(name, list(BREATH_PRESETS)),
            )
        return BreathSpec(preset=name, mark=ctx.mark(node))
    f = fields(ctx, node, where, BREATH_KEYS, what="a breath pattern like {inhale: 4, exhale: 6}")
    return BreathSpec(
        inhale_ms=f.get("inhale"),
        exhale_ms=f.get("exhale"),
        hold_in_ms=f.get("hold_in"),
        hold_out_ms=f.get("hold_out"),
        mark=ctx.mark(node),
    )


def full_breath(ctx: Context, node: Node, where: str) -> BreathSpec:
    """A breathing exercise's pattern: a preset, or inline with inhale and exhale given."""
    spec = breath(ctx, node, where)
    if spec.preset is None and (spec.inhale_ms is None or spec.exhale_ms is None):
        raise ctx.error(node, where, "a breathing pattern needs both 'inhale' and 'exhale'")
    return spec


_AT = re.compile(r"breath\s+(\S+)", re.IGNORECASE)


def at(ctx: Context, node: Node, where: str) -> At:
    raw = scalar(ctx, node, where, "a time like '15s' or 'breath 3'").strip()
    m = _AT.fullmatch(raw)
    if m:
        n = whole(m.group(1)) if re.fullmatch(r"[0-9]+", m.group(1)) else 0
        if n is None or n > 10_000:
            raise ctx.error(node, where, f"{shown(raw)} is past any hold (at most breath 10000)")
        if n < 1:
            msg = f"expected 'breath N' with N a whole number of at least 1, got {shown(raw)}"
            raise ctx.error(node, where, with_digits_problem(msg, raw))
        return At(breath=n, mark=ctx.mark(node))
    try:
        return At(ms=parse_duration_ms(raw, allow_zero=True), mark=ctx.mark(node))
    except DurationError as e:
        msg = str(e).replace(DURATION_HINT, "expected a time like '15s' or 'breath 3'", 1)
        raise ctx.error(node, where, msg) from None


at.scalar = True  # type: ignore[attr-defined]

VERBOSITIES = ("brief", "normal", "full")


def spoken(ctx: Context, node: Node, where: str) -> Text:
    """Spoken text: a string, or the same cue at several lengths ``{brief: ..., normal: ..., full: ...}``."""
    if not isinstance(node, MappingNode):
        return text(ctx, node, where)
    f = fields(ctx, node, where, {v: text for v in VERBOSITIES}, what="text, or a mapping like {brief: ..., full: ...}")
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


def fit(ctx: Context, node: Node, where: str) -> Fit:
    """``fit: {min: 20s, max: 2m}`` (or breaths): how far --duration may take a step."""
    f = fields(ctx, node, where, {"min": bound, "max": bound}, what="bounds like {min: 20s, max: 2m}")
    lo, hi = f.get("min"), f.get("max")
    if lo is not None and hi is not None and (lo.breaths is None) != (hi.breaths is None):
        raise ctx.error(node, where, "give both bounds in seconds or both in breaths")
    if lo is not None and hi is not None and (lo.ms or lo.breaths or 0) > (hi.ms or hi.breaths or 0):
        raise ctx.error(node, where, "'min' is more than 'max'")
    return Fit(lo, hi, ctx.mark(node))


DURING_KEYS = {"at": leveled(at), "say": leveled(spoken), "optional": leveled(boolean)}


def during(ctx: Context, node: Node, where: str) -> tuple[During, ...]:
    if not isinstance(node, SequenceNode):
        raise ctx.error(node, where, f"expected a list of cues like '- at: 15s', got {describe(node)}")

    def cue(item: Node, w: str) -> During:
        f = fields(ctx, item, w, DURING_KEYS, required=("at", "say"), what="a cue like {at: 15s, say: ...}")
        return During(f["at"], f["say"], ctx.mark(item), w, f.get("optional", False))

    return tuple(each(ctx, indexed(node, where), cue))


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a step kind: its converter, the model field it fills, and its docs."""

    name: str
    convert: Converter
    doc: str  # the JSON Schema's description
    example: Any  # the JSON Schema's example (it must validate)
    field: str = ""  # the model's field; "" = the key's name


@dataclass(frozen=True, slots=True)
class StepKind:
    """A step kind: the model it builds, its keys (the kind key first), the keys it needs
    besides the kind key, and a rule across keys (the problem, or None)."""

    name: str
    model: Callable[..., Step] | None  # None: ``include`` gives the steps of another file
    keys: tuple[Key, ...]
    required: tuple[str, ...] = ()
    rule: Callable[[dict[str, Any]], str | None] | None = None

    @property
    def table(self) -> dict[str, Converter]:
        """The converter of every key a step of this kind may have, ``levels`` included."""
        return {k.name: k.convert for k in (*self.keys, *COMMON_KEYS)}

    def make(self, base: dict[str, Any], values: dict[str, Any]) -> Step:
        """The model of a step from its converted ``values`` (keys left out keep the
        model's defaults) and ``base`` (mark, where, levels)."""
        assert self.model is not None
        given = {k.field or k.name: values[k.name] for k in self.keys if k.name in values}
        return self.model(**base, **given)


_L = leveled
_SIDES = _L(choice(("both", "left", "right")))


def nested_steps(ctx: Context, node: Node, where: str) -> Node:
    """A section's ``steps:``, kept as the node: the loader reads them (and counts the nesting)."""
    return node


def included_path(ctx: Context, node: Node, where: str) -> Node:
    """An ``include:``, kept as the node: the loader reads the file it names."""
    return node


def _needs_inhale_or_exhale(values: dict[str, Any]) -> str | None:
    if "inhale" not in values and "exhale" not in values:
        return "reps need an 'inhale' or an 'exhale' text (or both)"
    return None


def _needs_rounds_or_duration(values: dict[str, Any]) -> str | None:
    if ("rounds" in values) == ("duration" in values):
        return "a breathing exercise needs exactly one of 'rounds' or 'duration'"
    return None


# keys shared by several kinds (a kind may give its own description instead)
LEVELS_KEY = Key("levels", levels_list, "Play this step only at these levels.", ["intermediate", "advanced"])
COMMON_KEYS = (LEVELS_KEY,)  # keys every step kind has
OPTIONAL = Key("optional", _L(boolean), "Left out at verbosity brief.", False)
FIT = Key("fit", _L(fit), "How far --duration may stretch or shrink this step.", {"min": "20s", "max": "2m"})
CUE = Key("cue", _L(spoken), "Spoken after the name, before the hold starts.", "Extend your {side} leg.")
SIDES = Key("sides", _SIDES, "both: the whole step for each side in turn; left or right: one side.", "both")
DURING = Key("during", during, "Cues spoken during the hold, each at an offset.",
             [{"at": "15s", "say": "Relax your shoulders."}])  # fmt: skip
COUNTDOWN = Key("countdown", _L(integer(0, 60)), "Seconds counted aloud at the end of the hold (0 = off).", 3)
RELEASE = Key("release", _L(spoken), "Spoken after the end bell.", "Slowly roll back up.")
TRANSITION = Key("transition", _L(duration(True)), "Silence after the step (and before the second side).", "10s",
                 "transition_ms")  # fmt: skip
BREATH = Key("breath", _L(breath), "This step's breath pattern, seconds per phase, or a preset name.",
             {"inhale": 4, "exhale": 6})  # fmt: skip

STEP_TABLE: dict[str, StepKind] = {
    "say": StepKind("say", Say, (
        Key("say", _L(spoken), "Kind 'say': this text is spoken.", "Find a comfortable seat on your mat.", "text"),
        Key("pause", _L(duration(True)), "Silence after the text (default a short gap).", "2s", "pause_ms"),
        OPTIONAL,
        FIT,
    )),
    "pause": StepKind("pause", Pause, (
        Key("pause", _L(duration(False)), "Kind 'pause': silence for this long.", "5s", "dur_ms"),
        FIT,
    )),
    "section": StepKind("section", Section, (
        Key("section", _L(text), "Kind 'section': a chapter named this, holding its own steps.", "Warm-up", "name"),
        Key("steps", nested_steps, "The section's steps.", [{"say": "Warm up slowly."}]),
        Key("announce", _L(boolean), "Speak the section's name at its start (default true).", True),
        Key("sides", _SIDES, "Play the whole section for both sides, or one.", "both"),
    ), required=("steps",)),
    "pose": StepKind("pose", Pose, (
        Key("pose", _L(text), "Kind 'pose': a held pose with this name, bells, breath tones and a countdown.",
            "Pigeon", "name"),
        Key("sanskrit", _L(text), "The pose's Sanskrit name, spoken after its name.", "Janu Sirsasana"),
        CUE,
        Key("hold", _L(hold), "How long the pose is held: a duration or 'N breaths'.", "5 breaths"),
        SIDES,
        DURING,
        COUNTDOWN,
        RELEASE,
        TRANSITION,
        BREATH,
        Key("tones", _L(boolean), "Breath-pacing tones during this hold.", True),
        FIT,
    ), required=("hold",)),
    "timer": StepKind("timer", Timer, (
        Key("timer", _L(text), "Kind 'timer': a timed hold with this name, no breath tones; optional interval bells.",
            "Plank", "name"),
        Key("cue", _L(spoken), "Spoken after the name, before the timer starts.", "Circle your hips slowly."),
        Key("duration", _L(duration(False, MIN_HOLD_MS)), "How long the timer runs.", "1m", "duration_ms"),
        Key("bell_every", _L(duration(False, MIN_BELL_EVERY_MS)),
            "An interval bell this often during the timer (at least 1s).", "30s", "bell_every_ms"),
        DURING,
        COUNTDOWN,
        SIDES,
        RELEASE,
        TRANSITION,
        FIT,
    ), required=("duration",)),
    "reps": StepKind("reps", Reps, (
        Key("reps", _L(integer(1, 1000)), "Kind 'reps': this many breath cycles, with a cue on each inhale and exhale.",
            5, "count"),
        Key("inhale", _L(spoken), "Spoken as each inhale tone starts.", "Inhale, reach the arms up."),
        Key("exhale", _L(spoken), "Spoken as each exhale tone starts.", "Exhale, sink a little deeper."),
        Key("breath", _L(breath), "The breath pattern of the cycles.", {"inhale": 3, "exhale": 3}),
        Key("speak", _L(choice(("every", "first"))), "every: the texts on every cycle; first: only on the first.",
            "every"),
        Key("name", _L(text), "The chapter title of the reps (default 'N breaths with movement').", "Sun breaths"),
    ), rule=_needs_inhale_or_exhale),
    "breathe": StepKind("breathe", Breathe, (
        Key("breathe", _L(text), "Kind 'breathe': a breathing exercise with this name.", "Box breathing", "name"),
        Key("pattern", _L(full_breath), "The breathing pattern: inline phases or a preset name.", "box"),
        Key("rounds", _L(integer(1, 10_000)), "How many cycles of the pattern (give rounds or duration).", 6),
        Key("duration", _L(duration(False, MIN_HOLD_MS)), "How long the exercise lasts (give rounds or duration).",
            "3m", "duration_ms"),
        Key("count", _L(boolean), "Speak the seconds of each phase.", False),
        FIT,
    ), required=("pattern",), rule=_needs_rounds_or_duration),
    "rest": StepKind("rest", Rest, (
        Key("rest", _L(duration(False)), "Kind 'rest': the cue, then silence for this long, then a soft bell.", "2m",
            "dur_ms"),
        Key("cue", _L(spoken), "Spoken before the silence.", "Lie back and let the breath be natural."),
        FIT,
    )),
    "include": StepKind("include", None, (
        Key("include", included_path, "Kind 'include': the steps of another routine file, relative to this one.",
            "poses/pigeon.yaml"),
    )),
}  # fmt: skip
STEP_KINDS = tuple(STEP_TABLE)
