"""The expansion budget of a compiled script, checked before any synthesis (see
:mod:`matcue.core.limits` for the limits themselves)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from matcue.core.errors import Problem, RoutineError
from matcue.core.limits import Work, allows, current

if TYPE_CHECKING:
    from matcue.core.errors import Mark
    from matcue.plan.script import Origin, Script
    from matcue.voice.lexicon import Lexicon


def estimate_events(script: Script) -> int:
    """An upper bound of the events :func:`matcue.plan.layout.layout` makes from ``script``,
    counted without laying it out: every segment, every breath phase and interval bell of
    every hold, twice over for the silences between them."""
    return sum(n for n, _ in _events_by_segment(script)) + 1


def _events_by_segment(script: Script) -> list[tuple[int, Origin | None]]:
    """Each segment's share of :func:`estimate_events`, with the step it comes from (the
    last one written before it, for a segment of its own without one)."""
    from matcue.plan.script import Block, Gap, Ring, Speak

    out: list[tuple[int, Origin | None]] = []
    origin = script.origin
    for seg in script.segments:
        n = 0
        if isinstance(seg, (Speak, Gap, Ring)):
            n = 1
        elif isinstance(seg, Block):
            n = 1 + len(seg.cues) + len(seg.countdown)
            if seg.bell_every_ms:
                n += seg.dur_ms // seg.bell_every_ms
            if seg.breath is not None:
                cycles = -(-seg.dur_ms // seg.breath.cycle_ms)
                n += cycles * len(seg.breath.phases())
        if isinstance(seg, (Speak, Gap, Block)) and seg.origin is not None:
            origin = seg.origin
        out.append((2 * n, origin))
    return out


def _where_events_pass(script: Script, room: int) -> tuple[Mark | None, str]:
    """The step at which the script's events pass ``room`` (what the command has left)."""
    total = 0
    for n, origin in _events_by_segment(script):
        total += n
        if total > room and origin is not None:
            return origin.mark, origin.where
    return (script.origin.mark if script.origin is not None else None), ""


def check_script(script: Script, lexicon: Lexicon, key: object, work: Work | None = None) -> None:
    """Before any synthesis: every text as the voice gets it (for every backend the lexicon
    respells for) within ``spoken_chars``, then the script's events and speech charged to
    ``work`` (default: the running command's). Raises a located RoutineError."""
    from matcue.voice.lexicon import speech_text

    work = work if work is not None else current()
    limits = work.limits
    mark = script.origin.mark if script.origin is not None else None
    texts = script.texts()
    written = _origins(script)
    backends = sorted({b for _, forms in lexicon.entries for b, _ in forms} | {""})
    problems: list[Problem] = []
    for text in texts:
        origin = written.get(text)
        at, where = (origin.mark, origin.where) if origin is not None and origin.mark is not None else (mark, "speech")
        if len(text) > limits.text_chars:  # not from a routine's own text: compile checks those
            what = f"{_shown(text)} is {len(text)} characters long; {allows('text_chars', limits)}"
            problems.append(Problem(at, where, what))
            continue
        spoken = [speech_text(text, lexicon, script.language, b) for b in backends]
        unsayable = _unsayable(text, dict(zip(backends, spoken, strict=True)), script.language)
        if unsayable is not None:
            problems.append(Problem(at, where, *unsayable))
            continue
        longest = max(len(t) for t in spoken)
        if longest > limits.spoken_chars:
            plain = len(speech_text(text, type(lexicon)(), script.language))
            hint = (
                "write long numbers in words, or shorten the text"
                if plain > limits.spoken_chars
                else "shorten the lexicon's respellings"
            )
            what = (
                f"{_shown(text)} becomes {longest} characters once the lexicon respells it and numbers are "
                f"spelled out; {allows('spoken_chars', limits)}"
            )
            problems.append(Problem(at, where, what, hint))
    if problems:
        raise RoutineError(problems)
    events = estimate_events(script)
    room = limits.events - work.events
    passed = _where_events_pass(script, room) if events > room else None
    work.track(key, events, texts, mark, events_at=passed)


# a backend's own phonemes in a respelling: espeak-ng's [[...]], hibari's [word](/.../)
_PHONEMES = re.compile(r"\[\[[^\]]*\]\]|\[[^\]]*\]\(/[^)]*/\)")


def _unsayable(text: str, spoken: dict[str, str], language: str) -> tuple[str, str] | None:
    """What the lexicon made of ``text`` that a voice cannot say, for the first backend it
    happens to (the rule :meth:`matcue.plan.compile.Compiler.check_speakable` applies to
    the text as written): letters in a script the language's voices cannot read
    (``Asana: асана`` in English), with the hint. A respelling without letters is refused
    where it is written (:func:`matcue.voice.lexicon.entry_problem`); phonemes for one
    backend are that backend's, never looked into."""
    from matcue.languages import language_for
    from matcue.languages.base import letters_by_script
    from matcue.voice.lexicon import Lexicon, speech_text

    plain = speech_text(text, Lexicon(), language)
    phrases = language_for(language)
    for backend, said in spoken.items():
        if said == plain:
            continue  # the lexicon changed nothing: the text as written was checked
        rest = _PHONEMES.sub(" ", said)
        for_backend = f" for {backend}" if backend else ""
        foreign = phrases.foreign_letters(rest) if phrases is not None else ""
        if foreign:
            what = (
                f"{_shown(text)} is said as {_shown(said)}{for_backend} once the lexicon respells it: letters "
                f"no voice for language {language!r} can read ({letters_by_script(foreign)})"
            )
            return what, "respell its lexicon entry in Latin letters"
    return None


def _origins(script: Script) -> dict[str, Origin]:
    """Each spoken text -> where it is first written (a countdown word: its hold)."""
    from matcue.plan.script import Block, Speak

    out: dict[str, Origin] = {}
    for seg in script.segments:
        if isinstance(seg, Speak) and seg.origin is not None:
            out.setdefault(seg.text, seg.origin)
        elif isinstance(seg, Block):
            for cue in seg.cues:
                out.setdefault(cue.text, cue.origin)
            for word in seg.countdown:
                out.setdefault(word, seg.origin)
    return out


def _shown(text: str, limit: int = 40) -> str:
    """The start of a long text (its end says nothing new here), unlike :func:`errors.shown`."""
    return repr(text if len(text) <= limit else f"{text[: limit - 4]} ...")
