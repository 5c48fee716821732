"""Compile a Routine into a Script: an ordered list of segments, before speech has lengths.

The :class:`Compiler` holds what one compile knows (level, variables, options, the
segments so far, the stretches ``--duration`` may scale, problems) and its helpers;
:mod:`matcue.plan.expand` expands each step kind; the segment types are in
:mod:`matcue.plan.script`. Pure: no I/O, no voices. :func:`matcue.plan.layout.layout`
places the segments in time once the length of every spoken text is known.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from matcue.core.durations import duration_text
from matcue.core.errors import MAX_PROBLEMS, Mark, Problem, RoutineError, shown
from matcue.core.limits import LIMITS, allows, current
from matcue.core.text import GAP, close_gaps, without_silent
from matcue.languages import CODES as LANGUAGE_CODES
from matcue.languages import TAG_HINT, Language, language_for
from matcue.languages import primary as primary_language
from matcue.languages.base import letters_by_script
from matcue.plan.expand import expand
from matcue.plan.names import name_hint, same_name, step_name, step_names
from matcue.plan.script import Block, ChapterStart, Gap, Origin, Script, SectionStart, Segment, Stretch
from matcue.routine.model import (
    DEFAULT_BREATH,
    LEVELS,
    LV,
    SIDES,
    Breath,
    BreathSpec,
    Fit,
    Hold,
    Leveled,
    Routine,
    Step,
    Text,
    pace_floor,
    paced,
    pick,
)

# The closing silence (ms) and the track's limits; the pacing between segments is in matcue.plan.expand.
TAIL_MS = 1500
TAIL_KEY = "tail"  # Options.fit: extra closing silence, where whole breaths cannot reach a --duration
DEFAULT_MAX_LENGTH_MS = 6 * 3_600_000  # longest track rendered unless --max-length says otherwise
MAX_CHAPTERS = 255  # an ID3 table of contents lists at most 255 chapters (a one-byte count)


@dataclass(frozen=True, slots=True)
class Options:
    """How to compile: the command line's tailoring options."""

    level: str | None = None
    first_side: str | None = None
    vars: tuple[tuple[str, str], ...] = ()
    tones: bool | None = None  # False = --no-tones
    countdown: int | None = None
    max_total_ms: int = DEFAULT_MAX_LENGTH_MS  # --max-length
    verbosity: str | None = None  # brief | normal | full (None: normal)
    pace: float | None = None  # multiplies every breath phase (1.2: each breath 20% longer)
    breath: Breath | None = None  # replaces the breath pattern of poses and reps (--breath 5:7)
    skip: tuple[Text, ...] = ()  # names of steps or sections to leave out (profiles' skip:)
    duration_ms: int | None = None  # --duration: fitted by matcue.plan.fit, not by compile
    fit: tuple[tuple[str, int], ...] = ()  # Stretch key -> units to use instead of the written value
    marks: tuple[tuple[str, Mark], ...] = ()  # field (or vars.NAME) -> where a profile set it, for located errors

    def mark(self, name: str) -> Mark | None:
        """Where a profile set the field ``name``; None when a flag (or nothing) set it."""
        return dict(self.marks).get(name)


class NothingToRender(RoutineError):
    """Every step is left out at this level (``levels:``) or by ``--skip``/``skip:``."""


class _TooLong(Exception):
    """The stated times alone pass the length limit (or the chapters theirs), or too many problems:
    stop compiling."""


# ----------------------------------------------------------------------------- compiling

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")  # a lone brace too: an error, not spoken


@dataclass
class Compiler:
    routine: Routine
    options: Options
    phrases: Language
    level: str
    vars: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    out: list[Segment] = field(default_factory=list)
    side_ctx: str | None = None  # the side of the enclosing `sides:` section
    stretches: list[Stretch] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)  # indexes into options.skip that matched
    fixed_ms: int = 0  # stated time (gaps and holds) of the segments so far
    counted: int = 0  # segments of ``out`` added into fixed_ms
    chapters: int = 0  # chapters the segments so far make (an untitled opening counts as one)

    # --- helpers

    def pick(self, value: LV | None, default=None):  # type: ignore[no-untyped-def]
        if value is None:
            return default
        return pick(value, self.level)

    def error(self, mark: Mark | None, where: str, what: str, hint: str = "") -> None:
        self.problems.append(Problem(mark, where, what, hint))
        if len(self.problems) >= MAX_PROBLEMS:  # as the loader: aliases can repeat one problem thousands of times
            self.problems.append(Problem(mark, where, f"more than {MAX_PROBLEMS} problems; stopped looking"))
            raise _TooLong()

    def fill(self, text: Text, side: str | None) -> str:
        """Replace {side}, {other_side} and {var} (unknown ones are problems), held to the text limit."""
        raw = text.wording(self.options.verbosity or "normal")
        size = len(raw)

        def sub(m: re.Match[str]) -> str:
            nonlocal size
            value = value_of(m)
            size += len(value) - len(m.group(0))
            return value if size <= LIMITS.text_chars else ""

        def value_of(m: re.Match[str]) -> str:
            token = m.group(0)
            if token in ("{{", "}}"):
                return token[0]
            if m.group(1) is None:  # a lone brace: it would be spoken (or dropped) as it stands
                where = "starts no placeholder" if token == "{" else "ends no placeholder"
                hint = "write {name} for a placeholder, '{{' or '}}' for a brace"
                self.error(text.mark, text.where, f"the text has a {token!r} that {where}", hint)
                return ""
            name = m.group(1).strip()
            forms = self.phrases.side_placeholders()
            own = name[len("other_") :] if name.startswith("other_") else name
            if own in forms:
                if side is None:
                    self.error(text.mark, text.where, f"{{{name}}} is used in a step without sides",
                               "add 'sides: both', 'sides: left' or 'sides: right' to the step")  # fmt: skip
                    return name
                other = SIDES[1 - SIDES.index(side)]
                return forms[own][side if own == name else other]
            if name in self.vars:
                value = self.vars[name]
                if "{" in value or "}" in value:  # a value is not filled in again: its braces would be spoken
                    at = self.options.mark(f"vars.{name}")  # a profile's value: said at its line
                    self.error(
                        *((at, f"vars.{name}") if at else (text.mark, text.where)),
                        f"the value of {{{name}}} holds braces ({shown(value)}); a value is not filled in again",
                        "write the words themselves in the value",
                    )  # fmt: skip
                    return value.replace("{", "").replace("}", "")
                return value or GAP  # --set name= leaves the name out, and the space it leaves (close_gaps)
            sided = [n for f in self.phrases.side_placeholders() for n in (f, f"other_{f}")]
            close = difflib.get_close_matches(name, [*self.vars, *sided], n=1, cutoff=0.6)
            hint = f"did you mean {{{close[0]}}}?" if close else "define it under 'vars' or pass --set NAME=VALUE"
            self.error(text.mark, text.where, f"unknown placeholder {{{name}}}", hint)
            return name

        filled = _PLACEHOLDER.sub(sub, raw)
        if size > LIMITS.text_chars:
            what = f"text is {size} characters long once {{vars}} are filled in; {allows('text_chars')}"
            self.error(text.mark, text.where, what, "split it into several cues, or shorten the values it uses")
            return filled[: LIMITS.text_chars]
        out = " ".join(without_silent(close_gaps(filled)).split())  # a {var} from --set: the routine's text rule
        current().speak(out, text.mark, text.where)  # charged before any work on it
        self.check_speakable(text, out)
        return out

    @cached_property
    def foreign_lexicon_words(self) -> tuple[str, ...]:
        """The routine's lexicon words with letters of a script the language's voices cannot read."""
        return tuple(word for word, _ in self.routine.lexicon if self.phrases.foreign_letters(word))

    def check_speakable(self, text: Text, filled: str) -> None:
        """A text (placeholders filled) must hold something the voice can say: letters of
        the language's script (words the routine's lexicon respells excepted)."""
        if not any(unicodedata.category(ch)[0] in "LN" for ch in filled):
            self.error(
                text.mark, text.where, f"there is nothing to say in {shown(filled)}: no letters or digits",
                "write the words to speak, or use a 'pause:' step for silence",
            )  # fmt: skip
            return
        foreign = self.phrases.foreign_letters(filled)
        if foreign:  # a respelled word accounts for its letters; only a word with such letters can
            rest = filled
            for word in self.foreign_lexicon_words:
                if word.casefold() in rest.casefold():
                    rest = re.sub(re.escape(word), " ", rest, flags=re.IGNORECASE)
            foreign = self.phrases.foreign_letters(rest)
        if foreign:
            self.error(
                text.mark, text.where,
                f"{shown(filled)} has letters no voice for language {self.routine.language!r} can read "
                f"({letters_by_script(foreign)})",
                "write it in Latin letters, or give a respelling under 'lexicon:'",
            )  # fmt: skip

    def text(self, value: LV[Text] | None, side: str | None) -> str | None:
        t = self.pick(value)
        return None if t is None else self.fill(t, side if side is not None else self.side_ctx)

    def titled(self, title: str) -> str:
        """A chapter title, with the side when inside a sided section."""
        return f"{title} ({self.phrases.side_names[self.side_ctx]})" if self.side_ctx else title

    def breath_source(self, spec: LV[BreathSpec] | None, exercise: bool, where: str) -> tuple[Mark | None, str]:
        """Where a pace problem of a step's pattern is said: a profile's pace (its line);
        else where the pattern is written: a profile's breath, the step's, the routine's."""
        if self.options.mark("pace"):
            return self.options.mark("pace"), "pace"
        if self.options.breath is not None and not exercise:
            return self.options.mark("breath"), ("breath" if self.options.mark("breath") else "pace")
        if self.pick(spec) is not None:
            return self.pick(spec).mark, where
        if self.pick(self.routine.breath) is not None:
            return self.pick(self.routine.breath).mark, "breath"
        return None, "pace"

    def breath(self, spec: LV[BreathSpec] | None, exercise: bool = False, where: str = "breath") -> Breath:
        """The pattern of a step; ``--breath`` replaces it (not a breathing exercise's), ``--pace`` scales it."""
        if self.options.breath is not None and not exercise:
            out = self.options.breath
        else:
            base = DEFAULT_BREATH
            routine_spec = self.pick(self.routine.breath)
            if routine_spec is not None:
                base = routine_spec.over(base)
            own = self.pick(spec)
            out = own.over(base) if own is not None else base
        pace = self.options.pace
        if pace is not None and pace != 1:
            why = pace_floor(out, pace)
            if why is not None:
                self.error(*self.breath_source(spec, exercise, where), why, "slow the pace, or lengthen the breath")
            out = paced(out, pace)
        return out

    # --- --duration: what may stretch, and the lengths chosen by matcue.plan.fit

    def stretch(
        self, step: Step, title: str, written: int, unit_ms: int, unit: str, fit: LV[Fit] | None, min_ms: int = 0
    ) -> str:
        """Record a step --duration may scale; return its key. ``min_ms``: the shortest it
        may become (a hold's :data:`~matcue.routine.model.MIN_HOLD_MS`)."""
        key = f"{step.mark}|{step.where}"
        bounds = self.pick(fit)
        if bounds is not None and unit == "ms" and any(b is not None and b.breaths for b in (bounds.min, bounds.max)):
            # two breaths are no length for a hold of 30s: the range came out in milliseconds
            what = "the bounds are in breaths, but this step is timed in seconds"
            self.error(bounds.mark, f"{step.where}.fit", what, "give them in seconds, like {min: 20s, max: 2m}")
            bounds = None
        lo = _units(bounds.min, unit_ms, up=True) if bounds and bounds.min else None
        hi = _units(bounds.max, unit_ms, up=False) if bounds and bounds.max else None
        if unit == "ms":
            lo = max(min(min_ms, written), written // 2 if lo is None else lo)
            hi = written * 2 if hi is None else hi
        else:
            lo = max(1, -(-written // 2)) if lo is None else max(1, lo)
            hi = written * 2 if hi is None else hi
        self.stretches.append(Stretch(key, title, unit_ms, written, lo, max(lo, hi), unit))
        return key

    def fitted(self, key: str, written: int) -> int:
        return dict(self.options.fit).get(key, written)

    def sides(self, value: LV[str] | None) -> tuple[str | None, ...]:
        sides = self.pick(value)
        if sides is None:
            return (self.side_ctx,)
        if sides == "both":
            first = self.options.first_side or self.routine.first_side
            return (first, SIDES[1 - SIDES.index(first)])
        return (sides,)

    def countdown_words(self, step_countdown: LV[int] | None, hold_ms: int) -> tuple[str, ...]:
        n = self.options.countdown
        if n is None:
            n = self.pick(step_countdown, self.pick(self.routine.countdown, 3))
        n = min(n, max(0, hold_ms // 1000 - 1))  # leave at least a second of hold before it
        return tuple(self.phrases.count_word(i) for i in range(n, 0, -1))

    def tones_on(self, step_tones: LV[bool] | None) -> bool:
        if self.options.tones is False:
            return False
        return bool(self.pick(step_tones, self.pick(self.routine.tones, True)))

    # --- steps

    def steps(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            if step.levels is not None and self.level not in step.levels:
                continue
            if self.is_skipped(step):
                continue
            self.step(step)
            self.check_length(step)

    def is_skipped(self, step: Step) -> bool:
        if not self.options.skip:
            return False
        name = step_name(step, self.level)
        if name is None:
            return False
        hit = False
        for i, wanted in enumerate(self.options.skip):
            if same_name(wanted.value, name):
                self.skipped.add(i)
                hit = True
        return hit

    def brief_drops(self, optional: LV[bool]) -> bool:
        return self.options.verbosity == "brief" and bool(self.pick(optional, False))

    def check_length(self, step: Step) -> None:
        """Stop as soon as the stated times alone pass the limit (speech only adds to them),
        or the chapters pass what a track's chapter list holds (:data:`MAX_CHAPTERS`)."""
        for k, seg in enumerate(self.out[self.counted :], start=self.counted):
            if isinstance(seg, (Gap, Block)):
                self.fixed_ms += self.shortest_ms(seg)
            elif isinstance(seg, ChapterStart):
                self.chapters += 1
            if k == 0 and not isinstance(seg, (ChapterStart, SectionStart)):
                self.chapters += 1  # the opening before the first chapter is a chapter of its own
        self.counted = len(self.out)
        if self.chapters > MAX_CHAPTERS:
            self.error(
                step.mark,
                step.where,
                f"the track has more than {MAX_CHAPTERS} chapters from here on; an MP3's chapter list holds "
                f"at most {MAX_CHAPTERS}",
                "split the routine into several routines",
            )
            raise _TooLong()
        limit = self.options.max_total_ms
        if self.fixed_ms > limit:
            self.error(
                step.mark,
                step.where,
                f"the routine is longer than the limit of {duration_text(limit)} here"
                f" (at least {duration_text(self.fixed_ms)})",
                "shorten it, or raise the limit with --max-length",
            )
            raise _TooLong()

    def shortest_ms(self, seg: Gap | Block) -> int:
        """A segment's stated length, or before ``--duration`` is fitted (no plan yet) the
        shortest fitting may make it: the length limit holds for the track as it will be."""
        if seg.fit_key is None or self.options.duration_ms is None or self.options.fit:
            return seg.dur_ms
        s = next(s for s in reversed(self.stretches) if s.key == seg.fit_key)
        return seg.dur_ms * s.lo // max(1, s.written)

    def step(self, step: Step) -> None:
        expand(self, step)


def _units(h: Hold, unit_ms: int, up: bool) -> int:
    """A bound in units of ``unit_ms``: breaths as written or converted, ms rounded inwards."""
    ms = h.ms if h.ms is not None else (h.breaths or 0) * unit_ms
    if unit_ms == 1:
        return ms
    if h.breaths is not None:
        return h.breaths
    return -(-ms // unit_ms) if up else ms // unit_ms


def placeholder_names(routine: Routine) -> set[str]:
    """Every ``{name}`` the routine's texts use (every level and wording) and every name
    its ``vars:`` define: the names ``--set`` may give."""
    import dataclasses

    names = {k for k, _ in routine.vars}
    stack: list[object] = [routine.steps, routine.vars]
    while stack:
        obj = stack.pop()
        if isinstance(obj, Text):
            for wording in (obj.value, obj.brief, obj.full):
                for m in _PLACEHOLDER.finditer(wording or ""):
                    if m.group(1) is not None:
                        names.add(m.group(1).strip())
        elif isinstance(obj, (tuple, list)):
            stack.extend(obj)
        elif isinstance(obj, Leveled):
            stack.extend(v for _, v in obj.values)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
    return names


def resolve_level(routine: Routine, options: Options) -> str:
    return options.level or routine.level or LEVELS[0]


def compile_routine(routine: Routine, options: Options = Options()) -> Script:
    """Routine -> Script for one level. Raises RoutineError with every problem found."""
    phrases = language_for(routine.language)
    if phrases is None:
        where = routine.language_mark or routine.mark
        if primary_language(routine.language) is None:  # 'en-', 'en US', 'en_US.UTF-8'
            problem = Problem(where, "language", f"{shown(routine.language)} is not a language tag", TAG_HINT)
        else:
            what = f"no built-in phrases for language {shown(routine.language)}"
            problem = Problem(where, "language", what, "supported: " + ", ".join(LANGUAGE_CODES))
        raise RoutineError([problem])
    variables = {k: v.value for k, v in routine.vars}
    variables.update(dict(options.vars))
    c = Compiler(routine, options, phrases, resolve_level(routine, options), variables)
    forms = phrases.side_placeholders()
    for name, value in routine.vars:  # a side form of this language would win over the variable unseen
        if name.removeprefix("other_") in forms:
            c.problems.append(
                Problem(
                    value.mark,
                    f"vars.{name}",
                    f"{{{name}}} is set by sided steps in a routine in {routine.language!r} and cannot be a variable",
                    "give the variable another name",
                )
            )
    try:
        c.steps(routine.steps)
    except _TooLong:
        pass
    empty = not c.out and not c.problems
    c.out.append(Gap(TAIL_MS + dict(options.fit).get(TAIL_KEY, 0)))
    names = step_names(routine.steps) if options.skip else []
    try:
        for i, wanted in enumerate(options.skip):
            if i not in c.skipped and not any(same_name(wanted.value, n) for n in names):
                what = f"no step or section of {shown(routine.title)} is named {shown(wanted.value)}"
                c.error(wanted.mark, wanted.where, what, name_hint(wanted.value, names))
    except _TooLong:  # the problem limit was reached here
        pass
    if c.problems:
        raise RoutineError(_unique(c.problems))
    if empty:
        by = " or skipped" if options.skip else ""
        hint = "check the steps' 'levels:' and the names given to --skip or a profile's 'skip:'"
        what = f"nothing to render: every step is left out at level {c.level!r}{by}"
        raise NothingToRender([Problem(routine.mark, "steps", what, hint)])
    return Script(
        title=routine.title,
        segments=tuple(c.out),
        artist=routine.author,
        album=routine.collection,
        level=c.level,
        language=routine.language,
        max_total_ms=options.max_total_ms,
        origin=Origin(routine.mark, ""),
        stretches=tuple(c.stretches),
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
