"""The names of a routine's steps and sections, as ``skip:``, ``--skip``, ``--only`` and
``--from`` match them (:func:`same_name`: spaces collapsed, case folded, composed), and the hint for a
name the routine does not have."""

from __future__ import annotations

import difflib
import unicodedata

from matcue.routine.model import LEVELS, Rest, Section, Step, Text, pick


def step_name(step: Step, level: str) -> str | None:
    """The name a profile's ``skip:`` matches: a section's, pose's, timer's, exercise's or reps' name."""
    value = getattr(step, "name", None)
    if value is None:
        return "Rest" if isinstance(step, Rest) else None  # in every language: skip: [Rest]
    t = pick(value, level)
    return t.value if isinstance(t, Text) else None


def same_name(a: str, b: str) -> bool:
    """Whether two names are one: spaces collapsed, case folded, composed (NFC: a name
    typed as "Cafe\u0301" is the pose "Café")."""
    return _key(a) == _key(b)


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def name_hint(given: str, known: list[str]) -> str:
    """The hint for a name a routine does not have: the closest name, else the names (the
    first twelve), else that it names none."""
    close = difflib.get_close_matches(given[:200], known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if not known:
        return "this routine has no section, pose or other named step"
    return "names are: " + ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")


def step_names(steps: tuple[Step, ...]) -> list[str]:
    """Every step and section name, at every level, in order (for ``skip:`` and its hints)."""
    out: list[str] = []
    for step in steps:
        for level in LEVELS:
            name = step_name(step, level)
            if name is not None and name not in out:
                out.append(name)
        if isinstance(step, Section):
            out.extend(n for n in step_names(step.steps) if n not in out)
    return out
