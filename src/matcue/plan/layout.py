"""Layout: place a Script in time once every spoken text has a length. Pure.

Every time is an integer millisecond. Sequential segments follow each other; a hold
(:class:`~matcue.plan.compile.Block`) has a fixed length, its cues at fixed offsets inside it
and its countdown ending exactly when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from matcue.core.durations import duration_text
from matcue.core.errors import Problem, RoutineError, shown
from matcue.languages import language_for
from matcue.plan.script import Block, ChapterStart, Gap, Origin, Ring, Script, SectionStart, Segment, Speak
from matcue.plan.timeline import BELL_MS as DEFAULT_BELL_MS  # how long each bell sounds, decay included
from matcue.plan.timeline import Chapter, Event, Hold, Rest, Timeline

COUNT_STEP_MS = 1000  # one countdown word per second
INTRO_TITLE = "Introduction"


def layout(
    script: Script,
    speech_ms: Mapping[str, int],
    bell_ms: Mapping[str, int] = DEFAULT_BELL_MS,
    recorded: Mapping[str, str] | None = None,
) -> Timeline:
    """Script + speech lengths -> Timeline. Raises RoutineError for cues that do not fit.

    ``recorded``: the texts the teacher recorded, each with its clip's file name: their
    events name it, and a clip that does not fit its place is refused with that name and
    by how much it overruns (a recorded countdown word too, which would push the next)."""
    rec: Mapping[str, str] = recorded or {}
    events: list[Event] = []
    explicit_silence: list[Event] = []
    chapters: list[tuple[int, ChapterStart]] = []
    holds: list[Hold] = []
    problems: list[Problem] = []
    total = 0
    pending: int | None = None

    for seg, t, total, over in _walk(script, speech_ms, bell_ms):
        if isinstance(seg, Speak):
            events.append(
                Event(t, total, "speech", text=seg.text, side=seg.side, role="cue", recording=rec.get(seg.text))
            )
        elif isinstance(seg, Gap):
            if seg.dur_ms > 0:
                explicit_silence.append(Event(t, total, "silence"))
        elif isinstance(seg, Ring):
            events.append(Event(t, total, "bell", sound=seg.sound, side=seg.side))
        elif isinstance(seg, SectionStart):
            if pending is None:
                pending = t
        elif isinstance(seg, ChapterStart):
            chapters.append((t if pending is None else pending, seg))
            pending = None
        elif isinstance(seg, Block):
            events.extend(_block(seg, t, speech_ms, bell_ms, problems, rec))
            holds.append(Hold(t, total, seg.title, seg.step, seg.side, seg.kind))
        else:  # pragma: no cover
            raise TypeError(seg)
        if over is not None:
            problems.append(over)

    if problems:
        # one problem per source text: a repeated rep cue that overruns is reported once (each
        # recorded countdown word of a hold is its own)
        first: dict[tuple[object, str, str], Problem] = {}
        for p in problems:
            first.setdefault((p.mark, p.where, p.what.split(" at ")[0]), p)
        raise RoutineError(list(first.values()))
    events.extend(explicit_silence)
    events.extend(_fill_silence(events, total))
    events.sort(key=_order)
    lang = language_for(script.language)
    laid, rests = _chapters(chapters, total, script.title, lang.intro_title if lang else INTRO_TITLE)
    return Timeline(
        title=script.title,
        total_ms=total,
        chapters=laid,
        events=tuple(events),
        artist=script.artist,
        album=script.album,
        holds=tuple(holds),
        rests=rests,
        level=script.level,
        language=script.language,
    )


_KIND_ORDER = {"silence": 0, "bell": 1, "inhale": 2, "hold": 2, "exhale": 2, "speech": 3}


def _order(e: Event) -> tuple[int, int, int]:
    return (e.start_ms, _KIND_ORDER.get(e.kind, 9), e.end_ms)


def _too_long(where: Origin | None, t: int, limit: int, last: bool, guessed: bool = False) -> Problem:
    """The track passed ``limit`` at ``t``, made so by ``where`` (a segment's origin)."""
    speech = "with speech, guessed before any is spoken" if guessed else "with speech"
    length = f"(it lasts {duration_text(t)} {speech})" if last else f"here (at least {duration_text(t)} {speech})"
    return Problem(
        where.mark if where else None,
        where.where if where else "",
        f"the routine is longer than the limit of {duration_text(limit)} {length}",
        "shorten it, or raise the limit with --max-length",
    )


def check_length(script: Script, speech_ms: Mapping[str, int], bell_ms: Mapping[str, int] = DEFAULT_BELL_MS) -> None:
    """Refuse a track over ``script.max_total_ms`` from guessed speech lengths, before any
    phrase is synthesized (``check`` refuses it by the same guess): a routine of 300 000
    characters of speech was synthesized for more than ten minutes only to be refused
    by its length. The walk of :func:`layout`, without placing anything."""
    for *_, over in _walk(script, speech_ms, bell_ms, guessed=True):
        if over is not None:
            raise RoutineError([over])


def _walk(
    script: Script, speech_ms: Mapping[str, int], bell_ms: Mapping[str, int], guessed: bool = False
) -> Iterator[tuple[Segment, int, int, Problem | None]]:
    """Each segment with the times it starts and ends, and the problem when it takes the
    track past ``script.max_total_ms`` (the walk stops there): one walk for :func:`layout`
    and :func:`check_length`."""
    t, where, limit = 0, script.origin, script.max_total_ms  # where: what made the track this long
    for seg in script.segments:
        end = t + _lasts(seg, speech_ms, bell_ms)
        if isinstance(seg, (Speak, Gap, Block)) and seg.origin is not None:
            where = seg.origin  # a text, a rest or pause, a hold
        if limit is not None and end > limit:
            yield seg, t, end, _too_long(where, end, limit, seg is script.segments[-1], guessed)
            return
        yield seg, t, end, None
        t = end


def _lasts(seg: Segment, speech_ms: Mapping[str, int], bell_ms: Mapping[str, int]) -> int:
    """How long ``seg`` lasts (a chapter or section start: no time)."""
    if isinstance(seg, Speak):
        return speech_ms[seg.text]
    if isinstance(seg, Ring):
        return bell_ms[seg.sound]
    if isinstance(seg, (Gap, Block)):
        return seg.dur_ms
    return 0


def _block(
    b: Block,
    t0: int,
    speech_ms: Mapping[str, int],
    bell_ms: Mapping[str, int],
    problems: list[Problem],
    rec: Mapping[str, str],
) -> list[Event]:
    end = t0 + b.dur_ms
    out: list[Event] = []
    if b.start_bell:
        out.append(Event(t0, t0 + bell_ms["start"], "bell", sound="start", side=b.side))
    if b.bell_every_ms:
        k = 1
        while t0 + k * b.bell_every_ms < end - bell_ms["interval"]:
            at = t0 + k * b.bell_every_ms
            out.append(Event(at, at + bell_ms["interval"], "bell", sound="interval", side=b.side))
            k += 1
    if b.breath is not None:
        t = t0
        while t < end:
            for phase, dur in b.breath.phases():
                if t >= end:
                    break
                kind = phase if phase in ("inhale", "exhale") else "hold"
                stop = min(t + dur, end)
                out.append(Event(t, stop, kind, side=b.side))
                t = stop

    # The countdown: each word ends on a whole second before the end, the last at the end.
    # Words too slow to fit inside the hold are dropped from the front ("three, two, one"
    # becomes "two, one"), so the countdown never starts before the hold.
    words = b.countdown
    for word in dict.fromkeys(words):  # a recorded word is never dropped: it must fit its second
        if word in rec and speech_ms[word] > COUNT_STEP_MS:
            problems.append(
                Problem(
                    b.origin.mark,
                    b.origin.where,
                    f"the countdown word {shown(word)}, recorded in {shown(rec[word])}, takes "
                    f"{_fine(speech_ms[word], speech_ms[word] - COUNT_STEP_MS)} and runs "
                    f"{_over(speech_ms[word] - COUNT_STEP_MS)} into the next word (each has {_s(COUNT_STEP_MS)})",
                    f"record it again, at most {_s(COUNT_STEP_MS)}",
                )
            )
    count_events = _countdown(words, end, speech_ms, b.side, rec)
    while count_events and (count_events[0].start_ms < t0 or count_events[-1].end_ms > end):
        words = words[1:]
        count_events = _countdown(words, end, speech_ms, b.side, rec)
    free_until = count_events[0].start_ms if count_events else end
    limit_what = "the countdown" if count_events else "the end of the hold"

    cues = sorted(b.cues, key=lambda c: c.offset_ms)
    for i, cue in enumerate(cues):
        start = t0 + cue.offset_ms
        stop = start + speech_ms[cue.text]
        clip = rec.get(cue.text)
        if clip is not None and (stop > free_until or i + 1 < len(cues) and stop > t0 + cues[i + 1].offset_ms):
            room_end = min(free_until, t0 + cues[i + 1].offset_ms) if i + 1 < len(cues) else free_until
            into = "the next cue" if room_end < free_until else limit_what
            problems.append(
                Problem(
                    cue.origin.mark,
                    cue.origin.where,
                    f"the {cue.what} {shown(cue.text)} at {_s(cue.offset_ms)}, recorded in {shown(clip)}, takes "
                    f"{_fine(stop - start, stop - room_end)} and runs {_over(stop - room_end)} into {into} at "
                    f"{_s(room_end - t0)}",
                    f"record it again, at most {_fine(room_end - start, stop - room_end)}, or start it earlier",
                )
            )
        elif i + 1 < len(cues) and stop > t0 + cues[i + 1].offset_ms:
            nxt = cues[i + 1]
            problems.append(
                Problem(
                    cue.origin.mark,
                    cue.origin.where,
                    f"the {cue.what} at {_s(cue.offset_ms)} takes {_s(stop - start)} and runs into the next "
                    f"cue at {_s(nxt.offset_ms)}",
                    "shorten the text or move the cues apart",
                )
            )
        elif stop > free_until:
            problems.append(
                Problem(
                    cue.origin.mark,
                    cue.origin.where,
                    f"the {cue.what} at {_s(cue.offset_ms)} takes {_s(stop - start)} and runs into "
                    f"{limit_what} at {_s(free_until - t0)}",
                    "start it earlier or shorten it",
                )
            )
        role = "count" if cue.what == "count" else "cue"
        out.append(Event(start, stop, "speech", text=cue.text, side=b.side, role=role, recording=clip))
    out.extend(count_events)
    return out


def _countdown(
    words: tuple[str, ...], end: int, speech_ms: Mapping[str, int], side: str | None, rec: Mapping[str, str]
) -> list[Event]:
    """Each word ends on a whole second before ``end``, the last at ``end`` (later if crowded)."""
    out: list[Event] = []
    prev_end = None
    n = len(words)
    for i, word in enumerate(words):
        stop = end - (n - 1 - i) * COUNT_STEP_MS
        start = stop - speech_ms[word]
        if prev_end is not None and start < prev_end:
            start, stop = prev_end, prev_end + speech_ms[word]
        out.append(Event(start, stop, "speech", text=word, side=side, role="countdown", recording=rec.get(word)))
        prev_end = stop
    return out


def _s(ms: int) -> str:
    return f"{ms / 1000:.1f}s"


def _over(ms: int) -> str:
    """An overrun: ``2.3s``, or ``49 ms`` when a tenth of a second would round it away."""
    return _s(ms) if ms >= 100 else f"{ms} ms"


def _fine(ms: int, over_ms: int) -> str:
    """A length beside an overrun: to the millisecond when the overrun is under 100 ms."""
    return _s(ms) if over_ms >= 100 else f"{ms / 1000:.3f}s"


def _fill_silence(events: list[Event], total: int) -> list[Event]:
    """Silence events for every stretch where nothing is placed."""
    spans = sorted((e.start_ms, e.end_ms) for e in events)
    out: list[Event] = []
    t = 0
    for s, e in spans:
        if s > t:
            out.append(Event(t, s, "silence"))
        t = max(t, e)
    if t < total:
        out.append(Event(t, total, "silence"))
    return out


def _chapters(
    starts: list[tuple[int, ChapterStart]], total: int, title: str, intro: str = INTRO_TITLE
) -> tuple[tuple[Chapter, ...], tuple[Rest, ...]]:
    """The chapters (an introduction before the first when it starts late; the routine's
    title as the one chapter when there is none), and the rests among them."""
    starts = [(min(s, total), c) for s, c in starts]
    if not starts:
        starts = [(0, ChapterStart(title, step=title))]
    elif starts[0][0] > 0:
        starts.insert(0, (0, ChapterStart(intro)))
    out: list[Chapter] = []
    rests: list[Rest] = []
    for i, (s, c) in enumerate(starts):
        e = starts[i + 1][0] if i + 1 < len(starts) else total
        if e > s:
            out.append(Chapter(s, e, c.title, c.step, c.side))
            if c.kind == "rest":
                rests.append(Rest(s, e))
    return tuple(out), tuple(rests)
