"""Expand each step kind into script segments: speech, gaps, bells and holds.

One function per step kind, chosen by :func:`expand` from the step's class; each reads
the step's values for the level being compiled through the :class:`~matcue.plan.compile.Compiler`
(placeholders filled, breath patterns, ``--duration`` stretches, sides) and appends
segments to ``c.out``. A new step kind is expanded here (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from matcue.plan.script import Block, ChapterStart, Cue, Gap, Origin, Ring, SectionStart, Speak
from matcue.routine.model import (
    MIN_HOLD_MS,
    Breath,
    Breathe,
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

if TYPE_CHECKING:
    from matcue.plan.compile import Compiler

# Pacing between segments (ms). Stated times (holds, pauses, rests, transitions) are exact;
# these are the small breaths of silence a teacher leaves between sentences.
GAP_AFTER_NAME_MS = 500
GAP_BEFORE_HOLD_MS = 800
GAP_AFTER_SAY_MS = 700
GAP_AFTER_SECTION_MS = 800
GAP_AFTER_RELEASE_MS = 600
DEFAULT_TRANSITION_MS = 3000
GAP_AFTER_REPS_MS = 1000


def expand(c: Compiler, step: Step) -> None:
    """Append the segments of one step (a section: of its steps, through ``c.steps``)."""
    if isinstance(step, Say):
        say(c, step)
    elif isinstance(step, Pause):
        pause(c, step)
    elif isinstance(step, Section):
        section(c, step)
    elif isinstance(step, (Pose, Timer)):
        held(c, step)
    elif isinstance(step, Reps):
        reps(c, step)
    elif isinstance(step, Breathe):
        breathe(c, step)
    elif isinstance(step, Rest):
        rest(c, step)
    else:  # pragma: no cover - the loader builds only the kinds above
        raise TypeError(step)


def say(c: Compiler, step: Say) -> None:
    if c.brief_drops(step.optional):
        return
    text = c.text(step.text, None)
    assert text is not None
    c.out.append(Speak(text, origin=_origin(c.pick(step.text))))
    pause = c.pick(step.pause_ms)
    if pause is None or pause == 0:
        c.out.append(Gap(GAP_AFTER_SAY_MS if pause is None else 0))
    else:
        key = c.stretch(step, text[:40], pause, 1, "ms", step.fit)
        c.out.append(Gap(c.fitted(key, pause), key, Origin(step.mark, step.where)))


def pause(c: Compiler, step: Pause) -> None:
    dur = c.pick(step.dur_ms)
    key = c.stretch(step, "Pause", dur, 1, "ms", step.fit)
    c.out.append(Gap(c.fitted(key, dur), key, Origin(step.mark, step.where)))


def rest(c: Compiler, step: Rest) -> None:
    rest_title = c.phrases.rest_title
    c.out.append(ChapterStart(c.titled(rest_title), "rest", rest_title, c.side_ctx))
    cue = c.text(step.cue, None)
    if cue:
        c.out.append(Speak(cue, origin=_origin(c.pick(step.cue))))
    dur = c.pick(step.dur_ms)
    key = c.stretch(step, rest_title, dur, 1, "ms", step.fit)
    c.out.append(Gap(c.fitted(key, dur), key, Origin(step.mark, step.where)))
    c.out.append(Ring("soft"))


def section(c: Compiler, step: Section) -> None:
    outer = c.side_ctx
    sides = c.sides(step.sides) if step.sides is not None else (None,)
    for i, side in enumerate(sides):
        c.side_ctx = side if side is not None else outer
        name = c.text(step.name, None)
        assert name is not None
        title = c.titled(name) if step.sides is not None else name
        if _makes_chapters(step.steps, c.level):
            c.out.append(SectionStart(title))
        else:
            c.out.append(ChapterStart(title, step=name, side=c.side_ctx))
        if i > 0:
            c.out.append(Speak(c.phrases.switch_sides, side, Origin(step.mark, step.where)))
            c.out.append(Ring("switch", side))
            c.out.append(Gap(DEFAULT_TRANSITION_MS))
        if c.pick(step.announce, True):
            intro = name.rstrip(".") + "."
            if side is not None and step.sides is not None:
                intro = f"{intro} {c.phrases.side_intro(side)}"
            c.out.append(Speak(intro, side, _origin(c.pick(step.name))))
            c.out.append(Gap(GAP_AFTER_SECTION_MS))
        c.steps(step.steps)
    c.side_ctx = outer


def held(c: Compiler, step: Pose | Timer) -> None:
    name_t = c.pick(step.name)
    sides = c.sides(step.sides)
    origin = Origin(step.mark, step.where)
    transition = c.pick(step.transition_ms, DEFAULT_TRANSITION_MS)
    if isinstance(step, Pose):
        hold = c.pick(step.hold)
        breath: Breath | None = c.breath(step.breath, where=f"{step.where}.breath")
        assert breath is not None
        if hold.breaths is not None:
            key = c.stretch(step, name_t.value, hold.breaths, breath.cycle_ms, "breaths", step.fit)
            hold_ms = c.fitted(key, hold.breaths) * breath.cycle_ms
        else:
            key = c.stretch(step, name_t.value, hold.ms, 1, "ms", step.fit, MIN_HOLD_MS)
            hold_ms = c.fitted(key, hold.ms)
        tone_breath = breath if c.tones_on(step.tones) else None
        bell_every = None
    else:
        written = c.pick(step.duration_ms)
        key = c.stretch(step, name_t.value, written, 1, "ms", step.fit, MIN_HOLD_MS)
        hold_ms = c.fitted(key, written)
        breath = None
        tone_breath = None
        bell_every = c.pick(step.bell_every_ms)
    for i, side in enumerate(sides):
        name = c.fill(name_t, side)
        title = f"{name} ({c.phrases.side_names[side]})" if side else name
        if i > 0:
            c.out.append(ChapterStart(title, step=name, side=side))
            c.out.append(Speak(c.phrases.switch_sides, side, origin))
            c.out.append(Ring("switch", side))
            c.out.append(Gap(transition))
        else:
            c.out.append(ChapterStart(title, step=name, side=side))
        intro = name.rstrip(".") + "."
        if isinstance(step, Pose) and step.sanskrit is not None:
            sanskrit = c.text(step.sanskrit, side)
            intro = f"{name.rstrip('.')}, {sanskrit}."
        if side and step.sides is not None:  # a sided section has announced its side
            intro = f"{intro} {c.phrases.side_intro(side)}"
        c.out.append(Speak(intro, side, _origin(name_t)))
        cue = c.text(step.cue, side)
        if cue:
            c.out.append(Gap(GAP_AFTER_NAME_MS))
            c.out.append(Speak(cue, side, _origin(c.pick(step.cue))))
        c.out.append(Gap(GAP_BEFORE_HOLD_MS))
        cues = tuple(during(c, step, side, hold_ms, breath))
        asked = c.pick(step.countdown, 0) if c.options.countdown is None else 0  # the step's own: Script.warnings
        c.out.append(
            Block(
                dur_ms=hold_ms,
                title=title,
                origin=origin,
                breath=tone_breath,
                cues=cues,
                countdown=c.countdown_words(step.countdown, hold_ms),
                countdown_asked=asked,
                bell_every_ms=bell_every,
                start_bell=True,
                side=side,
                fit_key=key,
                kind="pose" if isinstance(step, Pose) else "timer",
                step=name,
            )
        )
        c.out.append(Ring("end", side))
        release = c.text(step.release, side)
        if release:
            c.out.append(Speak(release, side, _origin(c.pick(step.release))))
        if i + 1 < len(sides):
            c.out.append(Gap(GAP_AFTER_RELEASE_MS))
    c.out.append(Gap(transition))


def during(c: Compiler, step: Pose | Timer, side: str | None, hold_ms: int, breath: Breath | None) -> Iterator[Cue]:
    for d in step.during:
        if c.brief_drops(d.optional):
            continue
        at = c.pick(d.at)
        say_t = c.pick(d.say)
        text = c.fill(say_t, side)
        if at.breath is not None:
            if breath is None:
                c.error(
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
            c.error(
                at.mark,
                f"{d.where}.at",
                f"the cue at {shown} starts after the hold ends (the hold is {_secs(hold_ms)})",
            )
            continue
        yield Cue(offset, text, Origin(say_t.mark, say_t.where))


def reps(c: Compiler, step: Reps) -> None:
    count = c.pick(step.count)
    breath = c.breath(step.breath, where=f"{step.where}.breath")
    inhale = c.text(step.inhale, None)
    exhale = c.text(step.exhale, None)
    every = c.pick(step.speak, "every") == "every"
    name = c.text(step.name, None) or c.phrases.reps_title(count)
    title = c.titled(name)
    c.out.append(ChapterStart(title, step=name, side=c.side_ctx))
    cues: list[Cue] = []
    origin_in = _origin(c.pick(step.inhale))
    origin_out = _origin(c.pick(step.exhale))
    for i in range(count if every else 1):
        start = i * breath.cycle_ms
        if inhale:
            cues.append(Cue(start, inhale, origin_in, "inhale text"))
        if exhale:
            cues.append(Cue(start + breath.inhale_ms + breath.hold_in_ms, exhale, origin_out, "exhale text"))
    c.out.append(
        Block(
            dur_ms=count * breath.cycle_ms,
            title=title,
            origin=Origin(step.mark, step.where),
            breath=breath if c.options.tones is not False else None,
            cues=tuple(cues),
            start_bell=False,
            side=c.side_ctx,
            kind="reps",
            step=name,
        )
    )
    c.out.append(Gap(GAP_AFTER_REPS_MS))


def breathe(c: Compiler, step: Breathe) -> None:
    name = c.text(step.name, None)
    assert name is not None
    pattern = c.breath(step.pattern, exercise=True, where=f"{step.where}.pattern")
    c.out.append(ChapterStart(c.titled(name), step=name, side=c.side_ctx))
    c.out.append(
        Speak(
            f"{name.rstrip('.')}. "
            + c.phrases.pattern(pattern.inhale_ms, pattern.hold_in_ms, pattern.exhale_ms, pattern.hold_out_ms),
            origin=Origin(step.mark, step.where),
        )
    )
    c.out.append(Gap(GAP_BEFORE_HOLD_MS))
    rounds = c.pick(step.rounds)
    if rounds is not None:
        key = c.stretch(step, name, rounds, pattern.cycle_ms, "rounds", step.fit)
        dur_ms = c.fitted(key, rounds) * pattern.cycle_ms
    else:
        written = c.pick(step.duration_ms)
        key = c.stretch(step, name, written, 1, "ms", step.fit, MIN_HOLD_MS)
        dur_ms = c.fitted(key, written)
    block = Block(
        dur_ms=dur_ms,
        title=name,
        origin=Origin(step.mark, step.where),
        breath=pattern if c.options.tones is not False else None,
        start_bell=True,
        side=c.side_ctx,
        fit_key=key,
        kind="breathe",
        step=name,
    )
    if c.pick(step.count, False):
        block = _counted(c, step, pattern, block)
    c.out.append(block)
    c.out.append(Ring("soft"))
    c.out.append(Gap(GAP_AFTER_REPS_MS))


def count_words(pattern: Breath, dur_ms: int) -> int:
    """How many numbers ``count: true`` speaks in ``dur_ms`` of ``pattern`` (one a second
    of every phase, from 1), by arithmetic: known before any is made."""
    cycles, rest = divmod(dur_ms, pattern.cycle_ms)
    n = cycles * sum(ms // 1000 for _, ms in pattern.phases())
    t = 0
    for _, ms in pattern.phases():
        if t >= rest:
            break
        n += min(ms // 1000, -(-(rest - t) // 1000))
        t += ms
    return n


def _counted(c: Compiler, step: Breathe, pattern: Breath, block: Block) -> Block:
    """``block`` with its spoken count, made only when the count is within the events
    budget and the block within the length limit: a count of thousands of hours was
    millions of cues made before the limits refused them."""
    from dataclasses import replace

    from matcue.core.limits import allows, current

    if c.fixed_ms + c.shortest_ms(block) > c.options.max_total_ms:
        return block  # the length limit refuses it as the step ends (Compiler.check_length)
    limits = current().limits
    n = count_words(pattern, block.dur_ms)
    tones = -(-block.dur_ms // pattern.cycle_ms) * len(pattern.phases()) if block.breath is not None else 0
    events = 2 * (1 + n + tones)  # as matcue.plan.budget estimates a block: each event and the silence after it
    if events > limits.events:
        what = f"count: true speaks {n} numbers here; with the breath tones about {events} timeline events"
        what += f"; {allows('events', limits)}"
        c.error(step.mark, step.where, what, "shorten the exercise, or leave out count")
        return block
    origin = Origin(step.mark, step.where)
    cues: list[Cue] = []
    t = 0
    while t < block.dur_ms:
        for _, phase_ms in pattern.phases():
            for k in range(1, phase_ms // 1000 + 1):
                at = t + (k - 1) * 1000
                if at < block.dur_ms:
                    cues.append(Cue(at, c.phrases.count_word(k), origin, "count"))
            t += phase_ms
    return replace(block, cues=tuple(cues))


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
