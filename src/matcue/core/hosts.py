"""Host names in the addresses the command line takes (``--scheduler``, ``--feed-url``).

One rule for both: an international domain name (``bücher.example``) is converted label by
label with the standard library's IDNA codec (IDNA 2003: ``xn--bcher-kva.example``); a
name it cannot convert, a label that is empty or longer than 63 characters, a name longer
than 253, a label starting or ending with '-', a character no host name holds and an
``xn--`` label that is not valid punycode
are each refused with the reason (:class:`HostError`), which the options turn into a usage
error (exit 2), before anything connects or is written.
"""

from __future__ import annotations

import re
import unicodedata
from encodings import idna

from matcue.core.errors import shown

MAX_LABEL_CHARS = 63  # RFC 1035: a label of a domain name
MAX_HOST_CHARS = 253  # RFC 1035: a whole name, written without the final dot
_DOTS = re.compile("[.\u3002\uff0e\uff61]")  # what IDNA reads as the dot between labels
_LABEL = re.compile(r"[A-Za-z0-9_-]+")  # letters, digits, hyphens (and '_', which some networks use)


class HostError(ValueError):
    """A host name that is no name a network can look up: the reason, for a message."""


def ascii_host(host: str) -> str:
    """``host`` as an address holds it, in ASCII: an IPv6 literal (``[::1]``) as given, a
    non-ASCII name converted by IDNA; :class:`HostError` saying why it is no host name."""
    if host.startswith("["):
        return host  # an IPv6 literal: its own syntax, checked by the option that takes it
    final_dot = host.endswith(".") and len(host) > 1
    name = host[:-1] if final_dot else host
    odd = next((ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")), None)
    if odd is not None:
        raise HostError(f"the host name {shown(host)} contains U+{ord(odd):04X}, which no host name holds")
    labels = _DOTS.split(name)
    out = []
    for label in labels:
        if not label:
            raise HostError(f"the host name {shown(host)} has an empty label (a dot at the start, or two in a row)")
        if len(label) > MAX_LABEL_CHARS:
            raise HostError(
                f"the host name {shown(host)} has a label of {len(label)} characters; at most {MAX_LABEL_CHARS}"
            )
        try:
            ascii_label = idna.ToASCII(label).decode("ascii")
        except UnicodeError as e:
            raise HostError(
                f"the host name {shown(host)} is not an international domain name IDNA can convert: "
                f"the label {shown(label)}: {e}"
            ) from None
        if len(ascii_label) > MAX_LABEL_CHARS:
            raise HostError(
                f"the host name {shown(host)} has a label of {len(ascii_label)} characters once converted "
                f"by IDNA; at most {MAX_LABEL_CHARS}"
            )
        bad = sorted(set(_LABEL.sub("", ascii_label)))
        if bad:
            raise HostError(f"the host name {shown(host)} may not contain {''.join(bad)!r}")
        if ascii_label.lower().startswith("xn--"):
            try:
                ok = len(ascii_label) > 4 and idna.ToUnicode(ascii_label) != ascii_label
            except UnicodeError:
                ok = False
            if not ok:
                raise HostError(
                    f"the host name {shown(host)} has the label {shown(ascii_label)}, which starts as an "
                    "international name (xn--) but is not valid punycode: write the name itself, or its "
                    "punycode as IDNA gives it"
                )
        if ascii_label.startswith("-") or ascii_label.endswith("-"):
            raise HostError(f"the host name {shown(host)} has a label that starts or ends with '-'")
        out.append(ascii_label)
    converted = ".".join(out)
    if len(converted) > MAX_HOST_CHARS:
        raise HostError(f"the host name {shown(host)} is {len(converted)} characters long; at most {MAX_HOST_CHARS}")
    return converted + ("." if final_dot else "")
