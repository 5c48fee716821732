"""The Script: what a routine compiles to, an ordered list of segments before speech has
lengths (:func:`matcue.plan.compile.compile_routine` makes it; :func:`matcue.plan.layout.layout`
places it in time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matcue.core.durations import duration_text
from matcue.core.errors import Mark, Problem
from matcue.routine.model import Breath


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
    origin: Origin | None = field(default=None, compare=False)  # where it is written (``matcue cues``)


@dataclass(frozen=True, slots=True)
class Gap:
    """Stated or pacing silence."""

    dur_ms: int
    fit_key: str | None = None  # set when --duration may scale it (see Stretch)
    origin: Origin | None = field(default=None, compare=False)  # a rest's or pause's step (limit messages)


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
    countdown_asked: int = 0  # the step's own countdown: more than ``countdown`` when the hold is too short
    bell_every_ms: int | None = None
    start_bell: bool = True
    side: str | None = None
    fit_key: str | None = None  # set when --duration may scale it (see Stretch)
    kind: str = "pose"  # the step it holds: pose, timer, reps or breathe (the session picture)
    step: str = ""  # the step's name (``title`` is the chapter's, the side included)


@dataclass(frozen=True, slots=True)
class Stretch:
    """A step whose length ``--duration`` may change, in whole units of ``unit_ms``.

    ``written``, ``lo`` and ``hi`` count units: milliseconds (``unit_ms`` 1), breaths or
    rounds (``unit_ms`` one breath cycle). Every occurrence (both sides, sided sections)
    shares the key, so both sides keep the same hold.
    """

    key: str
    title: str
    unit_ms: int
    written: int
    lo: int
    hi: int
    unit: str = "ms"  # "ms", "breaths" or "rounds"


@dataclass(frozen=True, slots=True)
class ChapterStart:
    title: str
    kind: str = ""  # "rest" for a rest (the session picture); "" otherwise
    step: str | None = None  # the step or section it plays, without the side
    side: str | None = None


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
    max_total_ms: int | None = None  # layout refuses a longer track
    origin: Origin | None = None  # the routine, for problems that belong to no one step
    stretches: tuple[Stretch, ...] = ()  # one per occurrence of a step --duration may scale

    def warnings(self) -> list[str]:
        """What the routine asks for that the track cannot give, located, for ``matcue
        check``: a step's countdown longer than its hold (it is cut: a second of hold is
        left before it; the routine's default of 3 is cut unsaid), a ``bell_every`` no
        shorter than its timer (the bell never rings)."""
        out: dict[str, None] = {}
        for seg in self.segments:
            if not isinstance(seg, Block):
                continue
            at, length = seg.origin, duration_text(seg.dur_ms)
            if seg.countdown_asked > len(seg.countdown):
                kept = f"it counts from {len(seg.countdown)}" if seg.countdown else "it is left out"
                what = f"a countdown of {seg.countdown_asked} does not fit the {length} hold: {kept}"
                out.setdefault(str(Problem(at.mark, at.where, what, "shorten the countdown, or lengthen the hold")))
            if seg.bell_every_ms is not None and seg.bell_every_ms >= seg.dur_ms:
                every = duration_text(seg.bell_every_ms)
                what = f"bell_every {every} is not shorter than the {length} timer: the bell never rings"
                out.setdefault(str(Problem(at.mark, at.where, what, "make it shorter than the timer, or leave it out")))
        return list(out)

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
