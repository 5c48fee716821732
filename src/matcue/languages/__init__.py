"""Languages as data: one module per language, each a :class:`~matcue.languages.base.Language`
with the phrases matcue speaks itself (breath and side words, "Switch sides.", the
countdown, breathing-exercise announcements, chapter names), a number and duration
reader, and the words of the pages it writes.

``language:`` in a routine is a BCP 47 tag (``en``, ``en-GB``, ``de``, ``es-MX``, ``fr``);
its primary subtag chooses the module. To add a language: a module here with a
``Language`` subclass named ``LANGUAGE``, its code in :data:`CODES`, and its tests
(``tests/languages/``); docs/languages.md says the rest.
"""

from __future__ import annotations

import importlib
import re
from functools import cache

from matcue.languages.base import Language

CODES = ("en", "de", "es", "fr")  # every language with a module
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


TAG_HINT = "a BCP 47 tag is a language, then subtags joined by '-': en, en-GB, de, es-MX, fr"


def primary(tag: str) -> str | None:
    """The primary subtag of a BCP 47 tag, lower case ("en-GB" -> "en"); None when ``tag`` is
    not a tag."""
    tag = tag.strip()
    if not _TAG.fullmatch(tag):
        return None
    return re.split(r"[-_]", tag)[0].lower()


def canonical(tag: str) -> str:
    """``tag`` as BCP 47 writes it, for the files that carry it (the page's ``lang``, the
    feed's ``<language>``, the captions' header, Opus and M4A tags): subtags joined by ``-``
    (never ``_``), the language lower case, a script title case, a region upper case
    (``" DE_at "`` -> ``"de-AT"``, ``"zh_hant_tw"`` -> ``"zh-Hant-TW"``). A text that is not
    a tag comes back as given (stripped), for the located error that names it."""
    tag = tag.strip()
    if primary(tag) is None:
        return tag
    first, *rest = re.split(r"[-_]", tag)
    out = [first.lower()]
    for i, sub in enumerate(rest):
        if len(sub) == 1:  # an extension or private-use singleton: the rest is lower case
            out += [x.lower() for x in rest[i:]]
            break
        if len(sub) == 4 and sub.isalpha() and i == 0:
            out.append(sub.title())
        elif (len(sub) == 2 and sub.isalpha()) or (len(sub) == 3 and sub.isdigit()):
            out.append(sub.upper())
        else:
            out.append(sub.lower())
    return "-".join(out)


@cache
def language_for(tag: str) -> Language | None:
    """The language of ``tag`` (``en``, ``en-GB``, ``en_us``...); None when matcue has none."""
    code = primary(tag)
    if code not in CODES:
        return None
    module = importlib.import_module(f"matcue.languages.{code}")
    lang: Language = module.LANGUAGE
    return lang


def iso639_2(tag: str) -> str | None:
    """The three-letter code of ``tag``'s language ("de-AT" -> "deu"); None when unknown."""
    lang = language_for(tag)
    return lang.iso639_2 or None if lang else None


__all__ = ["CODES", "Language", "canonical", "iso639_2", "language_for", "primary"]
