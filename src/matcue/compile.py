"""Compile a Routine into a Script: an ordered list of segments, before speech has lengths.

Pure: no I/O, no voices. :func:`matcue.layout.layout` places the segments in time once the
length of every spoken text is known.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import Mark, Problem, RoutineError
from .model import (
    DEFAULT_BREATH,
    LEVELS,
    LV,
    SIDES,
    Breath,
    Breathe,
    BreathSpec,
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
    pick,
)
from .phrases import Phrases, phrases_for

# Pacing between segments (ms). Stated times (holds, pauses, rests, transitions) are exact;
# these are the small breaths of silence a teacher leaves between sentences.
GAP_AFTER_NAME_MS = 500
GAP_BEFORE_HOLD_MS = 800
GAP_AFTER_SAY_MS = 700
GAP_AFTER_SECTION_MS = 800
GAP_AFTER_RELEASE_MS = 600
DEFAULT_TRANSITION_MS = 3000
GAP_AFTER_REPS_MS = 1000
TAIL_MS = 1500


# ----------------------------------------------------------------------------- the script


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a spoken text came from, for located errors."""

    mark: Mark | None
    where: str


@dataclass(frozen=True, slots=True)
class Speak:
    """Speech placed after the previous segment; takes as long as the clip."""

    text: str
    side: str | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """Stated or pacing silence."""

    dur_ms: int


@dataclass(frozen=True, slots=True)
class Ring:
    """A bell placed after the previous segment; takes the bell's length."""

    sound: str
    side: str | None = None


@dataclass(frozen=True, slots=True)
class Cue:
    """Speech inside a hold, starting ``offset_ms`` after the hold starts."""

    offset_ms: int
    text: str
    origin: Origin
    what: str = "cue"  # how an overrun is described: "cue", "inhale text"...


@dataclass(frozen=True, slots=True)
class Block:
    """A fixed-length hold: start bell, breath tones, timed cues, countdown ending at its end."""

    dur_ms: int
    title: str
    origin: Origin
    breath: Breath | None = None  # tones follow this pattern when set
    cues: tuple[Cue, ...] = ()
    countdown: tuple[str, ...] = ()  # words, first spoken first; the last ends with the hold
    bell_every_ms: int | None = None
    start_bell: bool = True
    side: str | None = None


@dataclass(frozen=True, slots=True)
class ChapterStart:
    title: str


@dataclass(frozen=True, slots=True)
class SectionStart:
    """The next chapter begins here (so a section's announcement belongs to it)."""

    title: str


Segment = Speak | Gap | Ring | Block | ChapterStart | SectionStart


@dataclass(frozen=True, slots=True)
class Script:
    title: str
    segments: tuple[Segment, ...]
    artist: str | None = None
    album: str | None = None
    level: str = "beginner"
    language: str = "en"

    def texts(self) -> list[str]:
        """Every distinct text to be spoken, in order of first use."""
        seen: dict[str, None] = {}
        for seg in self.segments:
            if isinstance(seg, Speak):
                seen.setdefault(seg.text)
            elif isinstance(seg, Block):
                for cue in seg.cues:
                    seen.setdefault(cue.text)
                for word in seg.countdown:
                    seen.setdefault(word)
        return list(seen)


@dataclass(frozen=True, slots=True)
class Options:
    """How to compile: the command line's tailoring options."""

    level: str | None = None
    first_side: str | None = None
    vars: tuple[tuple[str, str], ...] = ()
    tones: bool | None = None  # False = --no-tones
    countdown: int | None = None


# ----------------------------------------------------------------------------- compiling

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass
class _Compiler:
    routine: Routine
    options: Options
    phrases: Phrases
    level: str
    vars: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    out: list[Segment] = field(default_factory=list)
    side_ctx: str | None = None  # the side of the enclosing `sides:` section

    # --- helpers

    def pick(self, value: LV | None, default=None):  # type: ignore[no-untyped-def]
        if value is None:
            return default
        return pick(value, self.level)

    def error(self, mark: Mark | None, where: str, what: str, hint: str = "") -> None:
        self.problems.append(Problem(mark, where, what, hint))

    def fill(self, text: Text, side: str | None) -> str:
        """Replace {side}, {other_side} and {var}; unknown placeholders are problems."""

        def sub(m: re.Match[str]) -> str:
            token = m.group(0)
            if token in ("{{", "}}"):
                return token[0]
            name = m.group(1).strip()
            if name in ("side", "other_side"):
                if side is None:
                    self.error(
                        text.mark,
                        text.where,
                        f"{{{name}}} is used in a step without sides",
                        "add 'sides: both', 'sides: left' or 'sides: right' to the step",
                    )
                    return name
                other = SIDES[1 - SIDES.index(side)]
                return self.phrases.side_names[side if name == "side" else other]
            if name in self.vars:
                return self.vars[name]
            close = difflib.get_close_matches(name, [*self.vars, "side", "other_side"], n=1, cutoff=0.6)
            hint = f"did you mean {{{close[0]}}}?" if close else "define it under 'vars' or pass --set NAME=VALUE"
            self.error(text.mark, text.where, f"unknown placeholder {{{name}}}", hint)
            return name

        return " ".join(_PLACEHOLDER.sub(sub, text.value).split())

    def text(self, value: LV[Text] | None, side: str | None) -> str | None:
        t = self.pick(value)
        return None if t is None else self.fill(t, side if side is not None else self.side_ctx)

    def titled(self, title: str) -> str:
        """A chapter title, with the side when inside a sided section."""
        return f"{title} ({self.phrases.side_names[self.side_ctx]})" if self.side_ctx else title

    def breath(self, spec: LV[BreathSpec] | None) -> Breath:
        base = DEFAULT_BREATH
        routine_spec = self.pick(self.routine.breath)
        if routine_spec is not None:
            base = routine_spec.over(base)
        own = self.pick(spec)
        return own.over(base) if own is not None else base

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
            self.step(step)

    def step(self, step: Step) -> None:
        if isinstance(step, Say):
            text = self.text(step.text, None)
            assert text is not None
            self.out.append(Speak(text))
            self.out.append(Gap(self.pick(step.pause_ms, GAP_AFTER_SAY_MS)))
        elif isinstance(step, Pause):
            self.out.append(Gap(self.pick(step.dur_ms)))
        elif isinstance(step, Section):
            self.section(step)
        elif isinstance(step, (Pose, Timer)):
            self.held(step)
        elif isinstance(step, Reps):
            self.reps(step)
        elif isinstance(step, Breathe):
            self.breathe(step)
        elif isinstance(step, Rest):
            self.out.append(ChapterStart(self.titled("Rest")))
            cue = self.text(step.cue, None)
            if cue:
                self.out.append(Speak(cue))
            self.out.append(Gap(self.pick(step.dur_ms)))
            self.out.append(Ring("soft"))
        else:  # pragma: no cover - the loader builds only the kinds above
            raise TypeError(step)

    def section(self, step: Section) -> None:
        outer = self.side_ctx
        sides = self.sides(step.sides) if step.sides is not None else (None,)
        for i, side in enumerate(sides):
            self.side_ctx = side if side is not None else outer
            name = self.text(step.name, None)
            assert name is not None
            title = self.titled(name) if step.sides is not None else name
            if _makes_chapters(step.steps, self.level):
                self.out.append(SectionStart(title))
            else:
                self.out.append(ChapterStart(title))
            if i > 0:
                self.out.append(Speak(self.phrases.switch_sides, side))
                self.out.append(Ring("switch", side))
                self.out.append(Gap(DEFAULT_TRANSITION_MS))
            if self.pick(step.announce, True):
                intro = name.rstrip(".") + "."
                if side is not None and step.sides is not None:
                    intro = f"{intro} {self.phrases.side_intro(side)}"
                self.out.append(Speak(intro, side))
                self.out.append(Gap(GAP_AFTER_SECTION_MS))
            self.steps(step.steps)
        self.side_ctx = outer

    def held(self, step: Pose | Timer) -> None:
        name_t = self.pick(step.name)
        sides = self.sides(step.sides)
        origin = Origin(step.mark, step.where)
        transition = self.pick(step.transition_ms, DEFAULT_TRANSITION_MS)
        if isinstance(step, Pose):
            hold = self.pick(step.hold)
            breath: Breath | None = self.breath(step.breath)
            assert breath is not None
            if hold.breaths is not None:
                hold_ms = hold.breaths * breath.cycle_ms
            else:
                hold_ms = hold.ms
            tone_breath = breath if self.tones_on(step.tones) else None
            bell_every = None
        else:
            hold_ms = self.pick(step.duration_ms)
            breath = None
            tone_breath = None
            bell_every = self.pick(step.bell_every_ms)
        for i, side in enumerate(sides):
            name = self.fill(name_t, side)
            title = f"{name} ({self.phrases.side_names[side]})" if side else name
            if i > 0:
                self.out.append(ChapterStart(title))
                self.out.append(Speak(self.phrases.switch_sides, side))
                self.out.append(Ring("switch", side))
                self.out.append(Gap(transition))
            else:
                self.out.append(ChapterStart(title))
            intro = name.rstrip(".") + "."
            if isinstance(step, Pose) and step.sanskrit is not None:
                sanskrit = self.text(step.sanskrit, side)
                intro = f"{name.rstrip('.')}, {sanskrit}."
            if side and step.sides is not None:  # a sided section has announced its side
                intro = f"{intro} {self.phrases.side_intro(side)}"
            self.out.append(Speak(intro, side))
            cue = self.text(step.cue, side)
            if cue:
                self.out.append(Gap(GAP_AFTER_NAME_MS))
                self.out.append(Speak(cue, side))
            self.out.append(Gap(GAP_BEFORE_HOLD_MS))
            cues = tuple(self.during(step, side, hold_ms, breath))
            self.out.append(
                Block(
                    dur_ms=hold_ms,
                    title=title,
                    origin=origin,
                    breath=tone_breath,
                    cues=cues,
                    countdown=self.countdown_words(step.countdown, hold_ms),
                    bell_every_ms=bell_every,
                    start_bell=True,
                    side=side,
                )
            )
            self.out.append(Ring("end", side))
            release = self.text(step.release, side)
            if release:
                self.out.append(Speak(release, side))
            if i + 1 < len(sides):
                self.out.append(Gap(GAP_AFTER_RELEASE_MS))
        self.out.append(Gap(transition))

    def during(self, step: Pose | Timer, side: str | None, hold_ms: int, breath: Breath | None) -> Iterator[Cue]:
        for d in step.during:
            at = self.pick(d.at)
            say_t = self.pick(d.say)
            text = self.fill(say_t, side)
            if at.breath is not None:
                if breath is None:
                    self.error(
                        at.mark,
                        f"{d.where}.at",
                        "'at: breath N' needs a breath pattern; a timer has none",
                        "use a time like 'at: 15s'",
                    )
                    continue
                offset = (at.breath - 1) * breath.cycle_ms
                shown = f"breath {at.breath}"
            else:
                assert at.ms is not None
                offset = at.ms
                shown = _secs(at.ms)
            if offset >= hold_ms:
                self.error(
                    at.mark,
                    f"{d.where}.at",
                    f"the cue at {shown} starts after the hold ends (the hold is {_secs(hold_ms)})",
                )
                continue
            yield Cue(offset, text, Origin(say_t.mark, say_t.where))

    def reps(self, step: Reps) -> None:
        count = self.pick(step.count)
        breath = self.breath(step.breath)
        inhale = self.text(step.inhale, None)
        exhale = self.text(step.exhale, None)
        every = self.pick(step.speak, "every") == "every"
        title = self.titled(self.text(step.name, None) or f"{count} breaths with movement")
        self.out.append(ChapterStart(title))
        cues: list[Cue] = []
        origin_in = _origin(self.pick(step.inhale))
        origin_out = _origin(self.pick(step.exhale))
        for i in range(count if every else 1):
            start = i * breath.cycle_ms
            if inhale:
                cues.append(Cue(start, inhale, origin_in, "inhale text"))
            if exhale:
                cues.append(Cue(start + breath.inhale_ms + breath.hold_in_ms, exhale, origin_out, "exhale text"))
        self.out.append(
            Block(
                dur_ms=count * breath.cycle_ms,
                title=title,
                origin=Origin(step.mark, step.where),
                breath=breath if self.options.tones is not False else None,
                cues=tuple(cues),
                start_bell=False,
                side=self.side_ctx,
            )
        )
        self.out.append(Gap(GAP_AFTER_REPS_MS))

    def breathe(self, step: Breathe) -> None:
        name = self.text(step.name, None)
        assert name is not None
        pattern = self.breath(step.pattern)
        self.out.append(ChapterStart(self.titled(name)))
        self.out.append(
            Speak(
                f"{name.rstrip('.')}. "
                + self.phrases.pattern(pattern.inhale_ms, pattern.hold_in_ms, pattern.exhale_ms, pattern.hold_out_ms)
            )
        )
        self.out.append(Gap(GAP_BEFORE_HOLD_MS))
        rounds = self.pick(step.rounds)
        dur_ms = rounds * pattern.cycle_ms if rounds is not None else self.pick(step.duration_ms)
        cues: list[Cue] = []
        if self.pick(step.count, False):
            origin = Origin(step.mark, step.where)
            t = 0
            while t < dur_ms:
                for _, phase_ms in pattern.phases():
                    for k in range(1, phase_ms // 1000 + 1):
                        at = t + (k - 1) * 1000
                        if at < dur_ms:
                            cues.append(Cue(at, self.phrases.count_word(k), origin, "count"))
                    t += phase_ms
        self.out.append(
            Block(
                dur_ms=dur_ms,
                title=name,
                origin=Origin(step.mark, step.where),
                breath=pattern if self.options.tones is not False else None,
                cues=tuple(cues),
                start_bell=True,
                side=self.side_ctx,
            )
        )
        self.out.append(Ring("soft"))
        self.out.append(Gap(GAP_AFTER_REPS_MS))


def _origin(t: Text | None) -> Origin:
    return Origin(t.mark, t.where) if t is not None else Origin(None, "")


def _secs(ms: int) -> str:
    return f"{ms / 1000:g}s"


def _makes_chapters(steps: tuple[Step, ...], level: str) -> bool:
    for s in steps:
        if s.levels is not None and level not in s.levels:
            continue
        if isinstance(s, (Pose, Timer, Reps, Breathe, Rest)):
            return True
        if isinstance(s, Section):  # a nested section always makes a chapter
            return True
    return False


def resolve_level(routine: Routine, options: Options) -> str:
    return options.level or routine.level or LEVELS[0]


def compile_routine(routine: Routine, options: Options = Options()) -> Script:
    """Routine -> Script for one level. Raises RoutineError with every problem found."""
    phrases = phrases_for(routine.language)
    if phrases is None:
        raise RoutineError(
            [
                Problem(
                    routine.mark, "language", f"no built-in phrases for language {routine.language!r}", "supported: en"
                )
            ]
        )
    variables = {k: v.value for k, v in routine.vars}
    variables.update(dict(options.vars))
    c = _Compiler(routine, options, phrases, resolve_level(routine, options), variables)
    c.steps(routine.steps)
    c.out.append(Gap(TAIL_MS))
    if c.problems:
        raise RoutineError(_unique(c.problems))
    return Script(
        title=routine.title,
        segments=tuple(c.out),
        artist=routine.author,
        album=routine.collection,
        level=c.level,
        language=routine.language,
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
