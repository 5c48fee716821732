"""The one rule for the file names of the tracks one command writes.

- A routine's track is ``<slug of its title>`` (:func:`slugify`). Two
  routines of one command whose titles give the same slug get ``-2``, ``-3``... in the
  order given (``render a.yaml b.yaml`` and ``pack a.yaml b.yaml`` alike), so neither
  overwrites the other.
- A person's track is ``<routine's track name>--<slug of the person's name>`` (the
  routine's track name as above: ``render a.yaml b.yaml --roster`` of two routines whose
  titles slug alike gives ``<slug>--anna`` and ``<slug>-2--anna``). Two people whose
  names give the same file name are refused (each a located error naming the other):
  their tracks would carry the same title too, so a player could not tell them apart
  (``render --roster`` and ``pack --roster`` alike).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol, TypeVar

from matcue.core.errors import Mark


class Person(Protocol):
    """What a track name needs of a person (a profile)."""

    @property
    def name(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def mark(self) -> Mark | None: ...


P = TypeVar("P", bound=Person)


def unique_stem(stem: str, used: set[str]) -> str:
    """``stem``, or ``stem-2``, ``stem-3``... the first not in ``used`` (which it joins)."""
    name, n = stem, 1
    while name in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name)
    return name


_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(title: str, max_len: int = 80) -> str:
    """A safe file name stem from a title: ascii letters, digits and dashes.

    Never empty, never a path (no slashes or dots), never a name Windows reserves (``con``,
    ``nul``, ``com1``...), at most ``max_len`` characters. A title with no Latin letters or
    digits gets ``routine-`` and a hash of the title, so two such titles do not collide;
    so does a slug cut to ``max_len``: its end is 6 hex of a hash of the whole slug, so two
    long titles that differ only after the cut (two long pose names in a preview's title)
    do not share a file.
    """
    norm = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    if len(slug) > max_len:
        import hashlib

        tag = hashlib.sha256(slug.encode("ascii")).hexdigest()[:6]
        slug = f"{slug[: max_len - 7].rstrip('-')}-{tag}"
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-routine"
    if not slug and title.strip():  # a title in another script: keep titles apart
        import hashlib

        slug = "routine-" + hashlib.sha256(" ".join(title.split()).encode("utf-8")).hexdigest()[:8]
    return slug or "routine"


def person_stem(base: str, person: P, seen: dict[str, P]) -> str:
    """``<base>--<person slug>``, recorded in ``seen``; ValueError with the located message
    when another person of ``seen`` already has that file name."""
    name = f"{base}--{person.slug}"
    other = seen.get(name)  # (a roster entry repeated by an alias is refused where the roster is read)
    if other is not None:
        raise ValueError(
            f"{person.mark}: name: {person.name!r} gives the same file name as {other.name!r} at {other.mark} "
            "(give each person a distinct name)"
        )
    seen[name] = person
    return name


PHRASE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{6}")


def phrase_id(text: str) -> str:
    """The stable id of a spoken phrase (a recording's file name, ``matcue cues``): the
    first words of ``text`` as a slug, then 6 hex digits of the sha256 of the text
    (Unicode NFC, spaces collapsed). It depends on nothing but the text, so it survives
    reordering and does not change when another cue does: ``"Welcome to your practice."``
    -> ``welcome-to-your-practice-<hash>``."""
    import hashlib

    norm = " ".join(unicodedata.normalize("NFC", text).split())
    ascii_ = unicodedata.normalize("NFKD", norm).encode("ascii", "ignore").decode("ascii").lower()
    head = ""
    for w in re.findall(r"[a-z0-9]+", ascii_):  # whole words, at most 32 characters
        if head and len(head) + len(w) + 1 > 32:
            break
        head = f"{head}-{w}" if head else w[:32]
    return f"{head or 'phrase'}-{hashlib.sha256(norm.encode('utf-8')).hexdigest()[:6]}"
