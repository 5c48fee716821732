"""The recording page: one offline HTML file that walks a teacher through the phrases of her
routines, records each in her own voice and saves them as one ZIP of clips named by phrase id
(``<id>.webm``, ``.ogg`` or ``.m4a``, whichever the browser records), for ``recordings:``.

Pure text, like :mod:`matcue.share.page`: the page's CSS and JS are inline in
``templates/record.html``, it fetches nothing and works opened from ``file://``. The phrases
travel as JSON in ``<script type="application/json" id="data">`` and the page's script builds
the list from them with ``textContent``, so a phrase's text is never markup. The template is
filled in one pass (:func:`matcue.share.escape.fill`), and the page's Content-Security-Policy
lets only its own script and style run (by hash), plays takes from ``blob:`` URLs and loads
nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import resources

from matcue.share import escape

TEMPLATE = "templates/record.html"

# a phrase id is a file name on every system: lower-case letters, digits and hyphens
_ID = re.compile(r"[a-z0-9-]+")

# the template's own script and style, allowed by hash (the JSON data block has a type, so it
# is not matched: it is never run)


def template() -> str:
    """The page's template, as shipped in the package."""
    return resources.files("matcue.share").joinpath(TEMPLATE).read_text(encoding="utf-8")


def content_security_policy(template: str) -> str:
    """The page's policy (:func:`matcue.share.escape.page_policy`): media from ``blob:``
    only (the takes it plays back); no pictures, frames or forms."""
    return escape.page_policy(template, "media-src blob:")


def _phrase(p: Mapping[str, object]) -> dict[str, object]:
    """One phrase as the page's data: checked, since its id becomes a file name."""
    pid, text, max_ms, uses = p.get("id"), p.get("text"), p.get("max_ms"), p.get("uses", [])
    if not isinstance(pid, str) or not _ID.fullmatch(pid):
        raise ValueError(f"a phrase id is lower-case letters, digits and hyphens, got {pid!r}")
    if not isinstance(text, str):
        raise ValueError(f"phrase {pid}: its text is not a string: {text!r}")
    if max_ms is not None and (isinstance(max_ms, bool) or not isinstance(max_ms, int) or max_ms <= 0):
        raise ValueError(f"phrase {pid}: max_ms is a positive number of milliseconds or None, got {max_ms!r}")
    if not isinstance(uses, list | tuple) or not all(isinstance(u, str) for u in uses):
        raise ValueError(f"phrase {pid}: uses is a list of strings, got {uses!r}")
    return {"id": pid, "text": text, "max_ms": max_ms, "uses": list(uses)}


def recording_page(title: str, phrases: Sequence[Mapping[str, object]], zip_name: str) -> str:
    """The whole recording page for ``phrases`` (each with ``id``, ``text``, ``max_ms`` and
    ``uses``), titled ``title``; its Save button downloads the takes as ``zip_name``.

    A phrase id that is not ``[a-z0-9-]+``, the same id twice, or a ``zip_name`` with a
    folder in it is a :class:`ValueError`."""
    data = [_phrase(p) for p in phrases]
    seen: set[object] = set()
    for p in data:
        if p["id"] in seen:
            raise ValueError(f"the phrase id {p['id']} is there twice")
        seen.add(p["id"])
    if not zip_name or "/" in zip_name or "\\" in zip_name:
        raise ValueError(f"the zip's name is a file name, not a path: {zip_name!r}")
    page = template()
    return escape.fill(
        page,
        {
            "CSP": content_security_policy(page),
            "TITLE": title,
            "DATA": {"zip_name": zip_name, "phrases": data},
        },
    )
