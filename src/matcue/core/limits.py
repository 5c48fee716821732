"""One budget for the work of one command, checked before any synthesis starts.

A routine, profile or roster may be mistaken or hostile: small files can expand into huge
work (``{vars}`` filled into every text, a lexicon respelling each word as a page, breaths
of a millisecond, includes of one large file, a roster of aliases). Every limit here is
applied to the EXPANDED value, and the work of one command (events, speech characters,
bytes read) is counted across every routine, include, profile and track it handles.

:class:`Limits` names every number (docs/reliability.md lists them with their tests);
:class:`Work` is the tally of one command. The CLI opens one per command
(:func:`command`); library calls outside one get a fresh tally for each call. Going over a
limit is a located :class:`~matcue.core.errors.RoutineError` naming the limit and its number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from matcue.core.errors import Mark, Problem, RoutineError, shown


@dataclass(frozen=True, slots=True)
class Limits:
    """What one command may spend. Each field is a limit's name in messages and docs."""

    text_chars: int = 2000  # one spoken text, after {vars} and {side} are filled in
    spoken_chars: int = 8000  # one text as the voice gets it (lexicon respellings, numbers spelled out)
    speech_chars: int = 1_000_000  # every distinct text of one command, after {vars}
    events: int = 1_000_000  # timeline events of one command, counted from the script before speech
    bytes_read: int = 20_000_000  # routine, include, profile and roster files read by one command
    yaml_values: int = 200_000  # YAML values composed for one routine or roster with its includes
    yaml_values_read: int = 500_000  # YAML values composed by one command: every file, each time it is read
    profiles: int = 1000  # people in one roster


LIMITS = Limits()

# The longest phase of a breath pattern (an inhale, a hold, an exhale): a routine's
# ``breath:``, a breathing exercise's, a profile's ``breath:`` and ``--breath`` alike.
MAX_BREATH_PHASE_MS = 60_000


def longest_phase(raw: str) -> str:
    """What a breath phase over :data:`MAX_BREATH_PHASE_MS` is told, wherever it is written."""
    return f"a phase may be at most {MAX_BREATH_PHASE_MS // 1000}s, got {shown(raw)}"


def allows(limit: str, limits: Limits = LIMITS) -> str:
    """``"the limit spoken_chars allows at most 8000"``: how every message names a limit."""
    return f"the limit {limit} allows at most {getattr(limits, limit)}"


class OverBudget(RoutineError):
    """The command's budget is spent: nothing more of it (another level, another track) is worth trying."""


@dataclass(slots=True)
class Work:
    """The tally of one command against its :class:`Limits`."""

    limits: Limits = LIMITS
    events: int = 0
    speech_chars: int = 0
    bytes_read: int = 0
    yaml_values: int = 0  # YAML values composed by the command (limit yaml_values_read)
    texts: set[str] = field(default_factory=set)  # distinct texts charged (synthesized once each)
    tracks: set[object] = field(default_factory=set)  # tracks whose events are charged

    def read(self, n_bytes: int, mark: Mark) -> None:
        """Charge a file read; over the limit is a problem at the file."""
        self.bytes_read += n_bytes
        if self.bytes_read > self.limits.bytes_read:
            raise RoutineError(
                [Problem(mark, "", f"reading this file makes {self.bytes_read} bytes read by one command; "
                         f"{allows('bytes_read', self.limits)}", "include fewer or smaller files")]
            )  # fmt: skip

    def speak(self, text: str, mark: Mark | None, where: str) -> None:
        """Charge a spoken text as soon as it is filled in, before any of the work on it
        (checking its letters, spelling out its numbers, respelling it): each distinct text
        once, so a routine of small texts that fill into megabytes is refused at the text
        where its speech passes the limit, not minutes later."""
        if text in self.texts and self.speech_chars <= self.limits.speech_chars:
            return
        if text not in self.texts:
            self.texts.add(text)
            self.speech_chars += len(text)
        if self.speech_chars > self.limits.speech_chars:  # and stays so for every later text
            what = (
                f"with this text the routine makes {self.speech_chars} characters of speech for this command; "
                f"{allows('speech_chars', self.limits)}"
            )
            raise OverBudget([Problem(mark, where, what, "shorten the texts, or use fewer {vars} in them")])

    def track(
        self,
        key: object,
        events: int,
        texts: Iterable[str],
        mark: Mark | None,
        events_at: tuple[Mark | None, str] | None = None,
    ) -> None:
        """Charge one track's events and its texts not charged before; each track once.
        ``events_at``: where the events pass the limit (the step), else ``mark``."""
        problems: list[Problem] = []
        if key not in self.tracks:
            self.tracks.add(key)
            self.events += events
            if self.events > self.limits.events:
                what = (
                    f"the routine makes about {events} timeline events, {self.events} for this command; "
                    f"{allows('events', self.limits)}"
                )
                at, where = events_at or (mark, "")
                problems.append(Problem(at, where, what, "shorten the holds, or slow the breath pattern"))
        new = [t for t in dict.fromkeys(texts) if t not in self.texts]
        self.texts.update(new)
        added = sum(len(t) for t in new)
        self.speech_chars += added
        if self.speech_chars > self.limits.speech_chars:
            what = (
                f"the routine has {added} characters of speech, {self.speech_chars} for this command; "
                f"{allows('speech_chars', self.limits)}"
            )
            problems.append(Problem(mark, "", what, "shorten the texts, or use fewer {vars} in them"))
        if problems:
            raise RoutineError(problems)


_current: ContextVar[Work | None] = ContextVar("matcue_work", default=None)


@contextmanager
def command(limits: Limits = LIMITS) -> Iterator[Work]:
    """The budget of one command: every charge inside the block goes to one :class:`Work`."""
    work = Work(limits)
    token = _current.set(work)
    try:
        yield work
    finally:
        _current.reset(token)


def current() -> Work:
    """The running command's tally, or a fresh one (a library call outside a command)."""
    work = _current.get()
    return work if work is not None else Work()


# ----------------------------------------------------------------------------- a script's work
