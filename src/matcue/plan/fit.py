"""Fit a session to a target length (``--duration``). Pure: a Script and speech lengths in.

Compile does not know how long speech takes, so fitting works on a compiled script and
the lengths of its texts (real ones from the voice, or made up in tests):

1. lay the script out once: its length is a fixed part (speech, bells, pacing gaps,
   transitions, reps) plus the parts ``--duration`` may change (holds, timers, rests,
   breathing exercises, pauses: ``Script.stretches``);
2. find one scale factor for all of them, each kept within its bounds (``fit: {min, max}``,
   else half to twice the written value) and above what its during cues and countdown
   need; round each to whole breaths or rounds, or to 100 ms;
3. give back per-step lengths (``Options.fit``) for a second compile. What whole breaths
   cannot reach is made up in the closing silence, so the result is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from matcue.core.durations import format_ms
from matcue.core.errors import MatcueError, Problem, RoutineError
from matcue.plan.compile import TAIL_KEY, Options, compile_routine
from matcue.plan.layout import COUNT_STEP_MS, layout
from matcue.plan.script import Block, Script, Stretch
from matcue.plan.timeline import BELL_MS as DEFAULT_BELL_MS
from matcue.routine.model import Routine

FINE_MS = 100  # a hold or pause in seconds changes in steps of 100 ms


class FitError(MatcueError):
    """``--duration`` asks for a length this routine cannot take with these settings."""

    def __init__(self, title: str, target_ms: int, shortest_ms: int, longest_ms: int):
        self.title = title
        self.target_ms = target_ms
        self.shortest_ms = shortest_ms
        self.longest_ms = longest_ms
        super().__init__(
            f"cannot fit {title!r} into {format_ms(target_ms)}; with these settings it takes from "
            f"{format_ms(shortest_ms)} (shortest) to {format_ms(longest_ms)} (longest)"
        )


@dataclass(slots=True)
class _Item:
    key: str
    count: int  # occurrences (both sides, sided sections)
    quantum_ms: int  # one step: a breath cycle, a round, or FINE_MS
    written: float  # in quanta
    lo: int  # in quanta
    hi: int
    x: int = 0

    @property
    def step_ms(self) -> int:
        return self.count * self.quantum_ms


def length_range(
    script: Script, speech_ms: Mapping[str, int], bell_ms: Mapping[str, int] = DEFAULT_BELL_MS
) -> tuple[int, int]:
    """The shortest and longest this script can be made by --duration."""
    fixed, items = _items(script, speech_ms, bell_ms)
    return (
        fixed + sum(i.lo * i.step_ms for i in items),
        fixed + sum(i.hi * i.step_ms for i in items),
    )


def fit_plan(
    script: Script,
    speech_ms: Mapping[str, int],
    target_ms: int,
    bell_ms: Mapping[str, int] = DEFAULT_BELL_MS,
) -> tuple[tuple[str, int], ...]:
    """Per-step lengths (``Options.fit``) that make ``script`` last exactly ``target_ms``.

    Raises FitError with the achievable range when the target is out of it.
    """
    fixed, items = _items(script, speech_ms, bell_ms)
    shortest = fixed + sum(i.lo * i.step_ms for i in items)
    longest = fixed + sum(i.hi * i.step_ms for i in items)
    if not shortest <= target_ms <= longest:
        raise FitError(script.title, target_ms, shortest, longest)
    need = target_ms - fixed

    def total(s: float) -> float:
        return sum(min(max(s * i.written, i.lo), i.hi) * i.step_ms for i in items)

    lo_s, hi_s = 0.0, 1.0
    while total(hi_s) < need and hi_s < 1e6:
        hi_s *= 2
    for _ in range(60):
        mid = (lo_s + hi_s) / 2
        lo_s, hi_s = (mid, hi_s) if total(mid) < need else (lo_s, mid)
    for i in items:
        i.x = int(min(max(hi_s * i.written, i.lo), i.hi))  # rounded down: fill up below
    rest = need - sum(i.x * i.step_ms for i in items)
    by_step = sorted(items, key=lambda i: -i.step_ms)
    while rest < 0:  # the lower bounds were rounded up: take whole steps back
        back = next((j for j in by_step if j.x > j.lo), None)
        if back is None:  # pragma: no cover - target >= shortest
            break
        back.x -= 1
        rest += back.step_ms
    progress = True
    while rest > 0 and progress:  # fill with the largest steps that fit, each item in turn
        progress = False
        for i in by_step:
            if i.x < i.hi and i.step_ms <= rest:
                i.x += 1
                rest -= i.step_ms
                progress = True
    plan = [(i.key, i.x * i.quantum_ms if i.quantum_ms == FINE_MS else i.x) for i in items]
    if rest > 0:
        plan.append((TAIL_KEY, rest))
    return tuple(plan)


def _items(script: Script, speech_ms: Mapping[str, int], bell_ms: Mapping[str, int]) -> tuple[int, list[_Item]]:
    """(length of everything --duration leaves alone, the parts it may change)."""
    # unfitted, the track may pass the length limit that the fitted one keeps to
    total = layout(replace(script, max_total_ms=None), speech_ms, bell_ms).total_ms
    need_ms = _needed_ms(script, speech_ms)
    occurs: dict[str, int] = {}  # a pose with both sides holds twice
    for seg in script.segments:
        key = getattr(seg, "fit_key", None)
        if key is not None:
            occurs[key] = occurs.get(key, 0) + 1
    groups: dict[str, tuple[Stretch, int]] = {}
    for s in script.stretches:
        if s.key in occurs:
            groups.setdefault(s.key, (s, occurs[s.key]))
    items: list[_Item] = []
    fixed = total
    for key, (s, count) in groups.items():
        written_ms = s.written * s.unit_ms
        fixed -= count * written_ms
        if s.unit_ms == 1:  # milliseconds, changed in steps of FINE_MS
            q = FINE_MS
            lo = -(-max(s.lo, need_ms.get(key, 0)) // q)
            hi = max(lo, s.hi // q)
            items.append(_Item(key, count, q, written_ms / q, lo, hi))
        else:  # whole breaths or rounds
            lo = max(s.lo, -(-need_ms.get(key, 0) // s.unit_ms))
            items.append(_Item(key, count, s.unit_ms, s.written, lo, max(lo, s.hi)))
    return fixed, items


def _needed_ms(script: Script, speech_ms: Mapping[str, int]) -> dict[str, int]:
    """The shortest each hold may be: its during cues spoken, then its countdown."""
    out: dict[str, int] = {}
    for seg in script.segments:
        if not isinstance(seg, Block) or seg.fit_key is None:
            continue
        count = 0
        if seg.countdown:
            count = (len(seg.countdown) - 1) * COUNT_STEP_MS + speech_ms[seg.countdown[0]]
        cue_end = max((c.offset_ms + speech_ms[c.text] for c in seg.cues), default=0)
        need = cue_end + count + (COUNT_STEP_MS if cue_end else 0)
        out[seg.fit_key] = max(out.get(seg.fit_key, 0), need, COUNT_STEP_MS)
    return out


def fitted_script(
    routine: Routine, script: Script, options: Options, speech_ms: Mapping[str, int], whole: Script | None = None
) -> Script:
    """``script`` compiled again so that it lasts ``options.duration_ms`` (FitError if it cannot).

    ``whole``: ``routine`` is a part of that session (``--only``, ``--from``); the part's
    steps get the lengths they have in the fitted whole, and no closing silence of its."""
    if options.duration_ms is None:
        return script
    try:
        plan = fit_plan(whole or script, speech_ms, options.duration_ms)
        if whole is not None:
            plan = tuple((key, units) for key, units in plan if key != TAIL_KEY)
    except FitError as e:
        at = options.mark("duration_ms")  # a profile's duration: its line
        if at is None:
            raise
        raise RoutineError([Problem(at, "duration", str(e))]) from None
    return compile_routine(routine, replace(options, fit=plan))
