"""One escaping rule for every value a page shows: escaped for the context it lands in.

The share page (:mod:`matcue.share.page`) is filled from a template whose placeholders name
their context, ``{{CONTEXT:NAME}}``:

- ``text``: HTML text (``<``, ``>``, ``&`` and quotes become entities);
- ``attr``: a double-quoted attribute value (the same entities, so no quote closes it);
- ``url``: a relative link to a file of the pack, in an attribute: percent-encoded, so no
  ``javascript:`` or other scheme survives, then escaped as an attribute;
- ``json``: JSON inside ``<script type="application/json">``: ``<``, ``>``, ``&``, U+2028
  and U+2029 as ``\\uXXXX`` escapes, so no ``</script>`` or ``<!--`` can end the block;
- ``html``: markup this module's callers built from escaped parts (never raw input).

:func:`xml` is the same escaping for XML (the feed and the SVG timeline), without the
characters XML 1.0 cannot hold.

:func:`fill` replaces every placeholder in ONE pass over the template: a value is never
scanned for placeholders again, so a title containing ``{{json:DATA}}`` shows literally.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping
from urllib.parse import quote

from matcue.core.text import to_json as to_json_text

CONTEXTS = ("text", "attr", "url", "json", "html")
PLACEHOLDER = re.compile(r"\{\{(" + "|".join(CONTEXTS) + r"):([A-Z_]+)\}\}")
_JSON_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


def text(value: object) -> str:
    """``value`` as HTML text."""
    return html.escape(str(value), quote=True)


def attr(value: object) -> str:
    """``value`` inside a double-quoted attribute."""
    return html.escape(str(value), quote=True)


# Characters XML 1.0 cannot carry: C0 controls but tab and line breaks, surrogates, U+FFFE, U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml(value: object) -> str:
    """``value`` as XML text or a double-quoted attribute value (the feed, the SVG
    timeline): escaped as :func:`attr` escapes, characters XML cannot hold dropped, so
    what is written is always well-formed."""
    return html.escape(_NOT_XML.sub("", str(value)), quote=True)


def url(name: str) -> str:
    """A relative URL to the file ``name`` next to the page, for an ``href`` or ``src``.

    Percent-encoded, ``:`` and ``/`` too, so ``javascript:x`` or ``//host/x`` is the name
    of a file in the page's folder, never a scheme, a host or another folder."""
    return attr(quote(str(name), safe="-._~"))


def script_json(value: object) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element."""
    data = to_json_text(value, indent=None, separators=(",", ":"))
    return _JSON_UNSAFE_RE.sub(lambda m: _JSON_UNSAFE[m.group(0)], data)


_ESCAPES = {"text": text, "attr": attr, "url": url, "json": script_json, "html": str}


class TemplateError(ValueError):
    """A template and its values do not match (a programming error, not a user's)."""


def fill(template: str, values: Mapping[str, object]) -> str:
    """Every ``{{CONTEXT:NAME}}`` of ``template`` replaced, in one pass, by ``values[NAME]``
    escaped for CONTEXT. A placeholder with no value, or a value no placeholder uses, is a
    :class:`TemplateError`."""
    used: set[str] = set()

    def sub(m: re.Match[str]) -> str:
        context, name = m.group(1), m.group(2)
        if name not in values:
            raise TemplateError(f"no value for the placeholder {m.group(0)}")
        used.add(name)
        return _ESCAPES[context](values[name])  # type: ignore[operator]

    out = PLACEHOLDER.sub(sub, template)
    unused = set(values) - used
    if unused:
        raise TemplateError(f"values no placeholder uses: {', '.join(sorted(unused))}")
    return out


_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def page_policy(template: str, *sources: str) -> str:
    """The Content-Security-Policy of a page matcue writes: nothing by default; the
    template's own inline ``<script>`` and ``<style>`` bodies by hash; then ``sources``
    (``"media-src blob:"``...); no base URI, no form targets. Inline event handlers, other
    scripts and every remote load are refused."""
    inline = _INLINE.findall(template)
    hashes = {kind: [csp_hash(body) for k, body in inline if k == kind] for kind in ("script", "style")}
    return "; ".join((
        "default-src 'none'",
        "script-src " + " ".join(hashes["script"]),
        "style-src " + " ".join(hashes["style"]),
        *sources,
        "base-uri 'none'",
        "form-action 'none'",
    ))  # fmt: skip


def csp_hash(source: str) -> str:
    """The Content-Security-Policy source (``'sha256-...'``) that allows exactly this inline
    ``<script>`` or ``<style>`` body."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
