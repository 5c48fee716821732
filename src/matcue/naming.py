"""The one rule for the file names of the tracks one command writes.

- A routine's track is ``<slug of its title>`` (:func:`matcue.pipeline.slugify`). Two
  routines of one command whose titles give the same slug get ``-2``, ``-3``... in the
  order given (``render a.yaml b.yaml`` and ``pack a.yaml b.yaml`` alike), so neither
  overwrites the other.
- A person's track is ``<routine slug>--<slug of the person's name>``. Two people whose
  names give the same file name are refused (each a located error naming the other):
  their tracks would carry the same title too, so a player could not tell them apart
  (``render --roster`` and ``pack --roster`` alike).
"""

from __future__ import annotations

from .profile import Profile


def unique_stem(stem: str, used: set[str]) -> str:
    """``stem``, or ``stem-2``, ``stem-3``... the first not in ``used`` (which it joins)."""
    name, n = stem, 1
    while name in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name)
    return name


def person_stem(base: str, person: Profile, seen: dict[str, Profile]) -> str:
    """``<base>--<person slug>``, recorded in ``seen``; ValueError with the located message
    when another person of ``seen`` already has that file name."""
    name = f"{base}--{person.slug}"
    other = seen.get(name)
    if other is not None:
        raise ValueError(
            f"{person.mark}: name: {person.name!r} gives the same file name as {other.name!r} at {other.mark} "
            "(give each person a distinct name)"
        )
    seen[name] = person
    return name
