"""Profiles: one person's tailoring settings in a small YAML file, and rosters of them.

```yaml
name: Anna
level: beginner
duration: 25m
pace: 1.2
first_side: left
breath: "5:7"
verbosity: brief
skip: [Assisted entry]
vars: {teacher: Maya}
voice: {rate: 140}
```

Validated with the YAML schema toolkit (:mod:`matcue.routine.yamlschema`), so every
problem is located (``PATH:LINE:COL: where: what (hint)``). Precedence when rendering: the routine's values,
then the profile's, then options given on the command line (:func:`matcue.settings.tailor`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.core import limits as budget
from matcue.core.durations import DurationError, parse_duration_ms
from matcue.core.errors import Mark, Problem, RoutineError, shown
from matcue.core.limits import MAX_BREATH_PHASE_MS, longest_phase
from matcue.core.numbers import decimal_number, with_digits_problem
from matcue.core.paths import file_identity, kind_name, lies_inside, not_found, outside_hint, quoted
from matcue.routine.loader import variables, voice_settings
from matcue.routine.model import LEVELS, MIN_BREATH_PHASE_MS, Breath, Text, VoiceSettings
from matcue.routine.steps import VERBOSITIES
from matcue.routine.yamlread import alias_at, compose_file, compose_text, named_file
from matcue.routine.yamlschema import (
    MAX_NODES,
    Abort,
    Context,
    Fail,
    boolean,
    choice,
    describe,
    duration,
    each,
    fields,
    integer,
    plain,
    scalar,
    shape,
    text,
)

PACE_MIN, PACE_MAX = 0.8, 1.5
PROFILE_SUFFIXES = (".yaml", ".yml")


class BreathFormatError(ValueError):
    pass


def parse_breath(raw: str) -> Breath:
    """``"5:7"`` (inhale:exhale) or ``"4:2:6:2"`` (inhale:hold_in:exhale:hold_out), in seconds."""
    parts = raw.strip().split(":")
    if len(parts) not in (2, 4) or not all(re.fullmatch(r"[0-9]+(\.[0-9]+)?", p.strip()) for p in parts):
        what = f"expected inhale:exhale seconds like '5:7' or '4:2:6:2', got {shown(raw)}"
        raise BreathFormatError(with_digits_problem(what, raw))
    try:  # the one duration parser: a digit run too long for a float is refused there
        ms = [parse_duration_ms(p, allow_zero=True) for p in parts]
    except DurationError:
        ms = [MAX_BREATH_PHASE_MS + 1] * len(parts)
    if len(ms) == 2:
        inhale, exhale, hold_in, hold_out = ms[0], ms[1], 0, 0
    else:
        inhale, hold_in, exhale, hold_out = ms
    if max(ms) > MAX_BREATH_PHASE_MS:
        raise BreathFormatError(longest_phase(raw))
    for name, phase in (("inhale", inhale), ("exhale", exhale)):  # the routine's own rule: no millisecond breaths
        if phase < MIN_BREATH_PHASE_MS:
            raise BreathFormatError(f"the {name} must be at least {MIN_BREATH_PHASE_MS / 1000:g}s, got {shown(raw)}")
    return Breath(inhale, exhale, hold_in, hold_out)


def parse_pace(raw: str) -> float:
    return decimal_number(raw, PACE_MIN, PACE_MAX)


@dataclass(frozen=True, slots=True)
class Profile:
    """One person's settings; None (or empty) = not set, the routine's value applies."""

    name: str
    path: str = "<string>"
    mark: Mark | None = None
    level: str | None = None
    duration_ms: int | None = None
    pace: float | None = None
    breath: Breath | None = None
    first_side: str | None = None
    verbosity: str | None = None
    skip: tuple[Text, ...] = ()
    vars: tuple[tuple[str, str], ...] = ()
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    tones: bool | None = None
    countdown: int | None = None
    marks: tuple[tuple[str, Mark], ...] = ()  # field (duration_ms, pace, breath..., vars.NAME) -> its value's place

    @property
    def slug(self) -> str:
        from matcue.core.naming import slugify

        return slugify(self.name)


# ----------------------------------------------------------------------------- loading


def pace_number(ctx: Context, node: Node, where: str) -> float:
    raw = scalar(ctx, node, where, f"a number from {PACE_MIN} to {PACE_MAX}")
    try:
        return parse_pace(raw)
    except ValueError as e:
        raise ctx.error(node, where, str(e), "1.2 makes every breath 20% longer") from None


def breath_ratio(ctx: Context, node: Node, where: str) -> Breath:
    raw = scalar(ctx, node, where, "a breath pattern like '5:7'")
    try:
        return parse_breath(raw)
    except BreathFormatError as e:
        raise ctx.error(node, where, str(e)) from None


def skip_names(ctx: Context, node: Node, where: str) -> tuple[Text, ...]:
    items = [node] if isinstance(node, ScalarNode) and describe(node) != "nothing" else None
    if items is None:
        if not isinstance(node, SequenceNode):
            raise ctx.error(node, where, f"expected a list of step or section names, got {describe(node)}")
        items = list(node.value)
    named = ((item, f"{where}[{i}]") for i, item in enumerate(items))
    return tuple(each(ctx, named, lambda n, w: text(ctx, n, w)))


PROFILE_KEYS = {
    "name": plain,
    "level": choice(LEVELS),
    "duration": duration(False),
    "pace": pace_number,
    "breath": breath_ratio,
    "first_side": choice(("right", "left")),
    "verbosity": choice(VERBOSITIES),
    "skip": skip_names,
    "vars": variables,
    "voice": voice_settings,
    "tones": boolean,
    "countdown": integer(0, 60),
}


def _profile(ctx: Context, node: Node, where: str) -> Profile:
    f = fields(ctx, node, where, PROFILE_KEYS, ("name",), what="a profile (a mapping with 'name')")
    return Profile(
        name=f["name"],
        path=ctx.path,
        mark=ctx.mark(node),
        level=f.get("level"),
        duration_ms=f.get("duration"),
        pace=f.get("pace"),
        breath=f.get("breath"),
        first_side=f.get("first_side"),
        verbosity=f.get("verbosity"),
        skip=f.get("skip", ()),
        vars=tuple((k, t.value) for k, t in f.get("vars", ())),
        voice=f.get("voice", VoiceSettings()),
        tones=f.get("tones"),
        countdown=f.get("countdown"),
        marks=(
            *(
                (_FIELDS.get(str(k.value), str(k.value)), mark)
                for k, v in node.value
                if isinstance(k, ScalarNode) and k.value in f and (mark := ctx.mark(v)) is not None
            ),
            *((f"vars.{k}", t.mark) for k, t in f.get("vars", ()) if t.mark is not None),  # each value's place
        ),
    )


_FIELDS = {"duration": "duration_ms"}  # a profile key -> its field of Profile and Options


def _ctx(path: str) -> Context:
    return Context(path, [], (os.path.realpath(path),))


def _finish(ctx: Context, root: Node | None, where: str = "") -> Profile:
    profile = None
    if root is not None:
        try:
            profile = _profile(ctx, root, where)
        except (Fail, Abort):
            pass
    if ctx.problems or profile is None:
        raise RoutineError(ctx.problems)
    return profile


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Load and validate a profile file. Raises RoutineError with every problem found."""
    ctx = _ctx(str(path))
    return _finish(ctx, compose_file(ctx, Path(path), "a profile file"))


def loads_profile(text: str, name: str = "<string>") -> Profile:
    ctx = _ctx(name)
    return _finish(ctx, compose_text(ctx, text, "a profile file"))


def load_roster(
    path: str | os.PathLike[str], *, allow_outside: bool = False, given: Sequence[str | os.PathLike[str]] = ()
) -> list[Profile | RoutineError]:
    """The profiles of a roster, in order; a bad one is its RoutineError, so the rest still render.

    A roster is a folder of profile files (sorted by name), or a YAML list whose items are
    profiles written inline or paths of profile files relative to the roster. Every file
    it names lies inside the roster's folder (symbolic links resolved) unless
    ``allow_outside`` (:func:`matcue.core.paths.confine`). A profile file named twice (by
    another name, a link to it, or among ``given``, the ``--profile`` files) is the error of
    its second entry. A roster that cannot be read at all raises RoutineError.
    """
    p = Path(path)
    limits = budget.current().limits
    seen: dict[object, str] = {file_identity(g): "first given with --profile" for g in given}  # a file -> where
    if p.is_dir():
        folder = os.path.realpath(p)
        files = sorted(  # u.YAML too; hidden files are not profiles (an editor's '.#u.yaml', a Mac's '._u.yaml')
            f for f in p.iterdir() if f.suffix.lower() in PROFILE_SUFFIXES and not f.name.startswith(".")
        )
        if len(files) > limits.profiles:
            raise RoutineError([Problem(None, str(p), _too_many(len(files), limits))])
        out_dir: list[Profile | RoutineError] = []
        for f in files:
            ctx = _ctx(str(f))
            if not allow_outside and not lies_inside(f, folder):
                problem = Problem(None, str(f), f"{not_found('roster', folder)} ({outside_hint('roster')})")
                out_dir.append(RoutineError([problem], source=str(f)))
                continue
            kind = _not_regular(f)  # named like a profile, so meant as one: said, not skipped
            if kind:  # a folder, a pipe, a device: the file itself, which has no line to point at
                out_dir.append(RoutineError([Problem(None, str(f), f"is {kind}, not a profile file")], source=str(f)))
                continue
            key = file_identity(f)
            if key in seen:  # a link to another profile of the folder
                twice = Problem(None, str(f), f"the profile file is given twice ({seen[key]})")
                out_dir.append(RoutineError([twice], source=str(f)))
                continue
            seen[key] = f"first as {quoted(f.name)}"
            root = compose_file(ctx, f, "a profile file")
            if isinstance(root, SequenceNode):
                continue  # a roster kept next to its profiles
            out_dir.append(_try(partial(_finish, ctx, root), source=str(f)))
        if not out_dir:
            raise RoutineError([Problem(None, str(p), "the folder has no profile files (*.yaml)")])
        return out_dir
    ctx = _ctx(str(p))
    root = compose_file(ctx, p, "a roster file")
    if root is None or ctx.problems:  # a bad character in the roster itself: every one said, no entry read
        raise RoutineError(ctx.problems)
    if not isinstance(root, SequenceNode) or not root.value:
        where_hint = "a list of profiles: '- name: Anna' or '- anna.yaml'"
        got = "an empty list" if isinstance(root, SequenceNode) else shape(root)
        raise RoutineError([Problem(ctx.mark(root), "", f"expected {where_hint}, got {got}")])
    if len(root.value) > limits.profiles:
        raise RoutineError([Problem(ctx.mark(root), "", _too_many(len(root.value), limits))])
    ctx.budget.root_dir = os.path.dirname(os.path.realpath(p))  # entries are confined to the roster's folder
    ctx.budget.allow_outside = allow_outside
    out: list[Profile | RoutineError] = []
    targets: dict[int, Path] = {}  # entry -> the profile file it names
    for i, item in enumerate(root.value):
        again = _repeated(ctx, root, i, targets)
        if again is not None:
            out.append(again)
            continue
        if isinstance(item, MappingNode):
            inner = Context(str(p), [], ctx.stack, ctx.budget)  # one budget for the roster: aliases count each time
            out.append(_try(partial(_finish, inner, item, f"[{i}]")))
            if ctx.budget.nodes > MAX_NODES:  # the roster as a whole is too big: stop here
                raise RoutineError(inner.problems)
        elif isinstance(item, ScalarNode) and describe(item) != "nothing":
            entry = Context(str(p), [], ctx.stack, ctx.budget)
            try:
                target = named_file(
                    entry, item, f"[{i}]", item.value.strip(), "profile file", "a profile file", "roster"
                )
            except Fail:
                out.append(RoutineError(entry.problems))
                continue
            if os.path.realpath(target) == os.path.realpath(p):
                itself = f"profile file {quoted(target)} is this roster itself (list the profiles' files)"
                out.append(RoutineError([Problem(ctx.mark(item), f"[{i}]", itself)]))
                continue
            key = file_identity(target)
            if key in seen:  # 'anna.yaml' and './anna.yaml', a link to it, an alias ('*a'): one person
                what = f"profile file {quoted(item.value.strip())} is given twice ({seen[key]})"
                out.append(RoutineError([Problem(ctx.mark(item), f"[{i}]", what)], source=str(target)))
                continue
            seen[key] = f"first at {ctx.mark(item)}"
            targets[i] = target
            out.append(_try(partial(load_profile, target), source=str(target)))
        else:
            out.append(
                RoutineError([Problem(ctx.mark(item), f"[{i}]", f"expected a profile or a path, got {describe(item)}")])
            )
    return out


def _repeated(ctx: Context, roster: SequenceNode, i: int, targets: dict[int, Path]) -> RoutineError | None:
    """The error of entry ``i`` when it is an alias (``- *a``) of an earlier entry, located
    at the alias: one person given twice, whatever the entry holds (an inline profile, a
    path, or a bad one, whose problems its first entry says). None for any other entry."""
    alias = alias_at(ctx, roster, i)
    item = roster.value[i]
    first = next((j for j in range(i) if roster.value[j] is item), None)
    if alias is None or first is None:
        return None
    at, name = alias
    if isinstance(item, ScalarNode):
        what = f"profile file {quoted(item.value.strip())} is given twice (first at {ctx.mark(item)})"
        target = targets.get(first)
        return RoutineError([Problem(at, f"[{i}]", what)], source=None if target is None else str(target))
    what = f"the profile at {ctx.mark(item)} is given twice (the alias {name} repeats it); give each person once"
    return RoutineError([Problem(at, f"[{i}]", what)])


def _not_regular(path: Path) -> str:
    """What ``path`` (links followed) is when it is there and not a regular file ("a named
    pipe", "a folder"); '' otherwise (a file, or nothing: reading it says so)."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return ""
    return "" if stat.S_ISREG(mode) else kind_name(mode)


def check_people(n: int) -> None:
    """RoutineError when one command is given more than the limit profiles allows of people,
    however they are given (``--profile`` options and a roster count together)."""
    limits = budget.current().limits
    if n > limits.profiles:
        raise RoutineError([Problem(None, "", f"{n} people are given; {budget.allows('profiles', limits)}")])


def _too_many(n: int, limits: budget.Limits) -> str:
    return f"the roster has {n} people; {budget.allows('profiles', limits)}"


def _try(load: Callable[[], Profile], source: str | None = None) -> Profile | RoutineError:
    try:
        return load()
    except RoutineError as e:
        if source is not None and e.source is None:
            e.source = source
        return e
