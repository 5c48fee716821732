"""The recording list: every distinct phrase a script speaks, for a teacher to record. Pure.

Each :class:`Phrase` has its stable id (:func:`matcue.core.naming.phrase_id`, which names
its recording ``<id>.<ext>``), its text, where it is used (the routine file's line, the
step, the side, what it is for) and the longest a recording of it may last
(``max_ms``) without running into what follows inside its hold:

- a cue spoken inside a hold (a during cue, a rep's inhale or exhale text, a counted
  breath) has until the next cue starts, or until the countdown may begin (each
  countdown word is given a whole :data:`~matcue.plan.layout.COUNT_STEP_MS`), or until
  the hold ends; the room of a phrase used in several holds is the least of them;
- a countdown word has one count step;
- everything else is spoken between holds, where the session waits for it: no limit
  (None).

The limits do not depend on any voice, so the list is the same wherever it is printed;
rendering with the recordings checks the real lengths (:func:`matcue.plan.layout.layout`).
"""

from __future__ import annotations

from dataclasses import dataclass

from matcue.core.errors import Mark, Problem, RoutineError, shown
from matcue.core.naming import phrase_id
from matcue.plan.layout import COUNT_STEP_MS
from matcue.plan.script import Block, ChapterStart, Origin, Script, Speak


@dataclass(frozen=True, slots=True)
class Use:
    """One place a phrase is spoken."""

    mark: Mark | None  # where its text is written (the step's line for built-in words)
    where: str  # the routine's path to it ("steps[2].during[0].say")
    step: str | None  # the step or section it belongs to (None: before the first)
    side: str | None
    role: str  # cue, countdown or count

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.mark.path if self.mark else None,
            "line": self.mark.line if self.mark else None,
            "column": self.mark.column if self.mark else None,
            "where": self.where,
            "step": self.step,
            "side": self.side,
            "role": self.role,
        }

    def short(self) -> str:
        """``hips.yaml:12 · Fold (left)``: where, in a few words."""
        import os

        from matcue.core.errors import printable_name

        head = f"{printable_name(os.path.basename(self.mark.path))}:{self.mark.line}" if self.mark else "built in"
        step = self.step or "introduction"
        side = f" ({self.side})" if self.side else ""
        return f"{head} \u00b7 {step}{side}" + ("" if self.role == "cue" else f" \u00b7 {self.role}")


@dataclass(frozen=True, slots=True)
class Phrase:
    id: str
    text: str
    uses: tuple[Use, ...]
    max_ms: int | None  # None: spoken between holds, any length fits

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "max_ms": self.max_ms,
            "uses": [u.to_dict() for u in self.uses],
        }


def phrase_list(script: Script) -> list[Phrase]:
    """Every distinct phrase of ``script``, in order of first use."""
    uses: dict[str, list[Use]] = {}
    room: dict[str, int | None] = {}

    def add(text: str, origin: Origin | None, step: str | None, side: str | None, role: str, ms: int | None) -> None:
        uses.setdefault(text, [])
        use = Use(origin.mark if origin else None, origin.where if origin else "", step, side, role)
        if use not in uses[text]:
            uses[text].append(use)
        if ms is not None:
            old = room.get(text)
            room[text] = ms if old is None else min(old, ms)
        else:
            room.setdefault(text, None)

    step: str | None = None
    for seg in script.segments:
        if isinstance(seg, ChapterStart):
            step = seg.step
        elif isinstance(seg, Speak):
            add(seg.text, seg.origin, step, seg.side, "cue", None)
        elif isinstance(seg, Block):
            free = seg.dur_ms - len(seg.countdown) * COUNT_STEP_MS if seg.countdown else seg.dur_ms
            cues = sorted(seg.cues, key=lambda c: c.offset_ms)
            for i, cue in enumerate(cues):
                until = min(free, cues[i + 1].offset_ms) if i + 1 < len(cues) else free
                role = "count" if cue.what == "count" else "cue"
                add(cue.text, cue.origin, seg.step or step, seg.side, role, max(0, until - cue.offset_ms))
            for word in seg.countdown:
                add(word, seg.origin, seg.step or step, seg.side, "countdown", COUNT_STEP_MS)
    merged: dict[str, Phrase] = {}  # by id: spellings of one text (NFC, spacing) are one phrase
    problems: list[Problem] = []
    for t, u in uses.items():
        pid = phrase_id(t)
        have = merged.get(pid)
        if have is None:
            merged[pid] = Phrase(pid, t, tuple(u), room[t])
        elif _same(have.text) == _same(t):
            rooms = [r for r in (have.max_ms, room[t]) if r is not None]
            merged[pid] = Phrase(pid, have.text, (*have.uses, *u), min(rooms) if rooms else None)
        else:  # 6 hex digits and the first words alike: only a text made to collide
            problems.append(
                Problem(u[0].mark, u[0].where, f"this phrase has the id {pid} of {shown(have.text, 50)}", "reword one")
            )
    if problems:
        raise RoutineError(problems)
    return list(merged.values())


def _same(text: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", text).split())
