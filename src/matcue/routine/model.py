"""The Routine model: frozen, every node knows where it came from (file:line:col).

A value that may depend on the level is stored as a :class:`Leveled`; the compiler
resolves it with :func:`pick` for the level being rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar, Union

from matcue.core.errors import Mark

LEVELS = ("beginner", "intermediate", "advanced")
MIN_BREATH_PHASE_MS = (
    250  # an inhale or exhale, as used (after --pace): shorter ones would make millions of tone events
)
MIN_HOLD_MS = 1000  # the shortest hold, timer or timed exercise: shorter ones ring the start and end bells at once
SIDES = ("right", "left")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Leveled(Generic[T]):
    """A value given per level, e.g. ``hold: {beginner: 30s, advanced: 2m}``."""

    values: tuple[tuple[str, T], ...]
    mark: Mark | None = None

    def resolve(self, level: str) -> T:
        given = dict(self.values)
        if level in given:
            return given[level]
        i = LEVELS.index(level)
        for lv in reversed(LEVELS[:i]):  # nearest named level below
            if lv in given:
                return given[lv]
        for lv in LEVELS[i + 1 :]:  # else nearest above
            if lv in given:
                return given[lv]
        raise KeyError(level)  # unreachable: a Leveled names at least one level


LV = Union[T, Leveled[T]]


def pick(value: LV[T], level: str) -> T:
    """Resolve a possibly level-dependent value."""
    if isinstance(value, Leveled):
        return value.resolve(level)
    return value


@dataclass(frozen=True, slots=True)
class Text:
    """Spoken text exactly as written, with placeholders still in it."""

    value: str  # the normal wording (or, when none is given, the full, else the brief one)
    mark: Mark | None = None
    where: str = ""
    brief: str | None = None  # `cue: {brief: ..., normal: ..., full: ...}`
    full: str | None = None

    def wording(self, verbosity: str = "normal") -> str:
        """The text for ``--verbosity``: brief and full fall back to normal (docs/tailoring.md)."""
        if verbosity == "brief" and self.brief is not None:
            return self.brief
        if verbosity == "full" and self.full is not None:
            return self.full
        return self.value


@dataclass(frozen=True, slots=True)
class Breath:
    """A breath pattern in milliseconds per phase."""

    inhale_ms: int
    exhale_ms: int
    hold_in_ms: int = 0
    hold_out_ms: int = 0

    @property
    def cycle_ms(self) -> int:
        return self.inhale_ms + self.hold_in_ms + self.exhale_ms + self.hold_out_ms

    def phases(self) -> tuple[tuple[str, int], ...]:
        """(kind, dur_ms) for one cycle, zero-length phases left out."""
        out = (
            ("inhale", self.inhale_ms),
            ("hold_in", self.hold_in_ms),
            ("exhale", self.exhale_ms),
            ("hold_out", self.hold_out_ms),
        )
        return tuple(p for p in out if p[1] > 0)

    def scaled(self, factor: float) -> Breath:
        return Breath(
            round(self.inhale_ms * factor),
            round(self.exhale_ms * factor),
            round(self.hold_in_ms * factor),
            round(self.hold_out_ms * factor),
        )


def paced(b: Breath, pace: float) -> Breath:
    """``b`` with every phase multiplied by ``pace``, to the nearest 100 ms."""

    def sc(ms: int) -> int:
        return int(round(ms * pace / 100)) * 100 if ms else 0

    return Breath(max(100, sc(b.inhale_ms)), max(100, sc(b.exhale_ms)), sc(b.hold_in_ms), sc(b.hold_out_ms))


def pace_floor(b: Breath, pace: float) -> str | None:
    """Why ``b`` paced by ``pace`` breaks the breath floor (an inhale or exhale as used of at
    least :data:`MIN_BREATH_PHASE_MS`), or None."""
    p = paced(b, pace)
    for name, ms in (("inhale", p.inhale_ms), ("exhale", p.exhale_ms)):
        if ms < MIN_BREATH_PHASE_MS:
            return (
                f"pace {pace:g} makes the {name} {ms / 1000:g}s; inhale and exhale must be at least "
                f"{MIN_BREATH_PHASE_MS / 1000:g}s each"
            )
    return None


DEFAULT_BREATH = Breath(4000, 6000)

BREATH_PRESETS: dict[str, Breath] = {
    "box": Breath(inhale_ms=4000, hold_in_ms=4000, exhale_ms=4000, hold_out_ms=4000),
    "4-7-8": Breath(inhale_ms=4000, hold_in_ms=7000, exhale_ms=8000),
    "coherent": Breath(inhale_ms=5500, exhale_ms=5500),
    "relax": Breath(inhale_ms=4000, exhale_ms=8000),
}


@dataclass(frozen=True, slots=True)
class BreathSpec:
    """A breath pattern as written: only the given phases; the rest come from the default."""

    inhale_ms: int | None = None
    exhale_ms: int | None = None
    hold_in_ms: int | None = None
    hold_out_ms: int | None = None
    preset: str | None = None
    mark: Mark | None = None

    def over(self, base: Breath) -> Breath:
        if self.preset is not None:
            base = BREATH_PRESETS[self.preset]
        return Breath(
            inhale_ms=base.inhale_ms if self.inhale_ms is None else self.inhale_ms,
            exhale_ms=base.exhale_ms if self.exhale_ms is None else self.exhale_ms,
            hold_in_ms=base.hold_in_ms if self.hold_in_ms is None else self.hold_in_ms,
            hold_out_ms=base.hold_out_ms if self.hold_out_ms is None else self.hold_out_ms,
        )


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold: exactly one of ``ms`` or ``breaths``."""

    ms: int | None = None
    breaths: int | None = None
    mark: Mark | None = None


@dataclass(frozen=True, slots=True)
class Fit:
    """How far ``--duration`` may shorten or lengthen a step: ``fit: {min: 20s, max: 2m}``.

    A bound left out is half (min) or twice (max) the written value.
    """

    min: Hold | None = None
    max: Hold | None = None
    mark: Mark | None = None


@dataclass(frozen=True, slots=True)
class At:
    """When a during-cue starts: ``ms`` after the hold starts, or at the start of inhale ``breath``."""

    ms: int | None = None
    breath: int | None = None
    mark: Mark | None = None


@dataclass(frozen=True, slots=True)
class During:
    at: LV[At]
    say: LV[Text]
    mark: Mark | None = None
    where: str = ""
    optional: LV[bool] = False  # left out with --verbosity brief


@dataclass(frozen=True, slots=True)
class StepBase:
    mark: Mark | None
    where: str
    levels: tuple[str, ...] | None  # None = every level


@dataclass(frozen=True, slots=True)
class Say(StepBase):
    text: LV[Text]
    pause_ms: LV[int] | None = None
    optional: LV[bool] = False  # left out with --verbosity brief
    fit: LV[Fit] | None = None  # bounds of the pause for --duration


@dataclass(frozen=True, slots=True)
class Pause(StepBase):
    dur_ms: LV[int]
    fit: LV[Fit] | None = None


@dataclass(frozen=True, slots=True)
class Section(StepBase):
    name: LV[Text]
    steps: tuple[Step, ...]
    announce: LV[bool] = True
    sides: LV[str] | None = None  # "both": the whole section once per side, {side} inside


@dataclass(frozen=True, slots=True)
class Pose(StepBase):
    name: LV[Text]
    hold: LV[Hold]
    sanskrit: LV[Text] | None = None
    cue: LV[Text] | None = None
    sides: LV[str] | None = None  # None, "both", "left", "right"
    during: tuple[During, ...] = ()
    countdown: LV[int] | None = None
    release: LV[Text] | None = None
    transition_ms: LV[int] | None = None
    breath: LV[BreathSpec] | None = None
    tones: LV[bool] | None = None
    fit: LV[Fit] | None = None


@dataclass(frozen=True, slots=True)
class Timer(StepBase):
    name: LV[Text]
    duration_ms: LV[int]
    cue: LV[Text] | None = None
    bell_every_ms: LV[int] | None = None
    during: tuple[During, ...] = ()
    countdown: LV[int] | None = None
    sides: LV[str] | None = None
    release: LV[Text] | None = None
    transition_ms: LV[int] | None = None
    fit: LV[Fit] | None = None


@dataclass(frozen=True, slots=True)
class Reps(StepBase):
    count: LV[int]
    inhale: LV[Text] | None = None
    exhale: LV[Text] | None = None
    breath: LV[BreathSpec] | None = None
    speak: LV[str] = "every"  # "every" | "first"
    name: LV[Text] | None = None


@dataclass(frozen=True, slots=True)
class Breathe(StepBase):
    name: LV[Text]
    pattern: LV[BreathSpec]
    rounds: LV[int] | None = None
    duration_ms: LV[int] | None = None
    count: LV[bool] = False
    fit: LV[Fit] | None = None


@dataclass(frozen=True, slots=True)
class Rest(StepBase):
    dur_ms: LV[int]
    cue: LV[Text] | None = None
    fit: LV[Fit] | None = None


Step = Union[Say, Pause, Section, Pose, Timer, Reps, Breathe, Rest]


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    backend: str | None = None
    name: str | None = None
    rate: int | None = None
    name_mark: Mark | None = field(default=None, compare=False)  # where ``name`` is written
    backend_mark: Mark | None = field(default=None, compare=False)  # where ``backend`` is written


@dataclass(frozen=True, slots=True)
class Routine:
    title: str
    steps: tuple[Step, ...]
    path: str = "<string>"
    description: str | None = None
    author: str | None = None
    collection: str | None = None
    language: str = "en"
    level: str | None = None
    first_side: str = "right"
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    breath: LV[BreathSpec] | None = None
    tones: LV[bool] = True
    countdown: LV[int] = 3
    vars: tuple[tuple[str, Text], ...] = ()
    mark: Mark | None = None
    # pronunciation: (word, ((backend or "" for any, respelling), ...)), over the built-in lexicon
    lexicon: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    cover: str | None = None  # path of the cover image (resolved against the routine's folder)
    music: str | None = None  # ambience looped under the session (resolved like cover)
    recordings: str | None = None  # the teacher's recorded cues: a folder or a zip (resolved like cover)
    recordings_mark: Mark | None = field(default=None, compare=False)  # where ``recordings`` is written
    language_mark: Mark | None = field(default=None, compare=False)  # where ``language`` is written
    included: tuple[str, ...] = field(default=(), compare=False)  # real paths of the files it includes

    def files_read(self) -> list[tuple[str, str]]:
        """What rendering this routine reads, as (what it is, path): the routine file, the
        files it includes, its cover, music and recordings; no output may replace one
        (:func:`matcue.core.clash.check_outputs`)."""
        named: list[tuple[str, str | None]] = [("routine file", self.path)]
        named += [("included file", p) for p in self.included]
        named += [("cover image", self.cover), ("music file", self.music), ("recordings", self.recordings)]
        return [(what, p) for what, p in named if p is not None and p and p != "<string>"]
