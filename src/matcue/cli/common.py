"""What the commands share: building options from flags, voice overrides, progress lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from matcue.plan.compile import Options


def _options(
    level: str | None,
    first_side: str | None,
    set_vars: tuple[str, ...],
    no_tones: bool,
    max_total_ms: int | None = None,
    tailoring: dict[str, Any] | None = None,
) -> Options:
    from matcue.routine.model import Text

    extra: dict[str, Any] = {} if max_total_ms is None else {"max_total_ms": max_total_ms}
    t = tailoring or {}
    return Options(
        level=level,
        first_side=first_side,
        vars=_parse_set(set_vars),
        tones=False if no_tones else None,
        duration_ms=t.get("duration"),
        pace=t.get("pace"),
        breath=t.get("breath"),
        verbosity=t.get("verbosity"),
        countdown=t.get("countdown"),
        skip=tuple(Text(n, None, "--skip") for n in t.get("skip_names", ())),
        **extra,
    )


def _voice(backend: str | None, voice_name: str | None, rate: int | None):  # type: ignore[no-untyped-def]
    from matcue.api import VoiceOverrides

    return VoiceOverrides(backend=backend, name=voice_name, rate=rate)


def _check_set(routines: tuple[Path, ...], set_vars: tuple[str, ...], allow_outside: bool = False) -> None:
    """``--set NAME=...`` for a name no routine uses is a usage error, not silently ignored."""
    if not set_vars:
        return
    from matcue.api import unused_set_names

    names = [k for k, _ in _parse_set(set_vars)]
    unused = unused_set_names(routines, names, allow_outside=allow_outside)
    if unused:
        name, hint = unused[0]
        which = "the routine never uses" if len(routines) == 1 else "none of the routines uses"
        what = f"{{{name}}} cannot be set" if name in ("side", "other_side") else f"{which} {{{name}}}"
        raise click.BadParameter(f"{what} ({hint})", param_hint="'--set'")


class _StatusLine:
    """One line of status on the terminal (stderr), rewritten in place and cleared at the end."""

    shown = False

    def show(self, text: str) -> None:
        sys.stderr.write(f"\r{text}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


class _Progress(_StatusLine):
    """A one-line progress display of one render on the terminal (stderr)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, stage: str, done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        label = "speaking cues" if stage == "speech" else "mixing and encoding"
        self.show(f"{self.name}: {label} {pct:3d}%")


def _refuse_control(value: str, option: str, shown: str = "") -> None:
    """A usage error for an option value holding a control character (the loader's rule)."""
    from matcue.routine.yamlschema import unsafe_char

    bad = unsafe_char(value)
    if bad is not None:
        what = f"{shown + ' ' if shown else ''}contains the control character U+{ord(bad):04X} (remove it)"
        raise click.BadParameter(what, param_hint=f"'{option}'")


def _parse_set(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {v!r}", param_hint="'--set'")
        _refuse_control(v, "--set", repr(v))
        out.append((key.strip(), val))
    return tuple(out)
