"""The voice a routine is spoken with, checked before anything is spoken: its backend
speaks the routine's language and lists the voice name asked for (:func:`check_voice`).
``matcue.api`` re-exports it; ``render``, ``script`` and ``check`` call it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matcue.core.errors import Problem, RoutineError, shown
from matcue.voice.base import VoiceOverrides

if TYPE_CHECKING:
    from matcue.routine.model import Routine
    from matcue.voice.base import VoiceSpec


def check_voice(routine: Routine, spec: VoiceSpec, overrides: VoiceOverrides = VoiceOverrides()) -> None:
    """Before anything is spoken: refuse a backend that does not speak the routine's
    language, ``auto`` when no installed backend speaks it, and a voice name ``spec``'s
    backend does not list. A located problem where the routine or a profile asks
    (``voice:``, ``language:``), else one named by its option (``--backend``, ``--voice``)."""
    from matcue.languages import language_for
    from matcue.voice.registry import (
        AUTO,
        NoVoiceForLanguage,
        UnknownVoiceError,
        check_voice_name,
        get_backend,
        setup_hint,
        speaking_backends,
        speaks,
    )

    if language_for(spec.language) is None:
        return  # a language matcue has no words for: compile reports it, located, and nothing is spoken
    where = routine.language_mark or routine.mark
    try:
        backend = get_backend(spec.backend, spec.language)
    except NoVoiceForLanguage as e:
        if where is None:
            raise
        raise RoutineError([Problem(where, "language", e.what, e.hint)]) from None
    knows = getattr(backend, "languages", None) is not None or backend.available()
    if spec.backend != AUTO and knows and not speaks(backend, spec.language):
        others = speaking_backends(spec.language)
        hint = f"backends installed here that speak it: {', '.join(others)}" if others else (
            f"no installed backend speaks it: {setup_hint(spec.language)}")  # fmt: skip
        what = f"voice backend {shown(spec.backend)} does not speak {shown(spec.language)}"
        if overrides.backend is None and routine.voice.backend is not None and where is not None:
            raise RoutineError([Problem(routine.voice.backend_mark or where, "voice.backend", what, hint)])
        # a profile's key where the profile writes it; the option by its name
        at, key = (overrides.backend_mark, "voice.backend") if overrides.backend_mark else (None, "--backend")
        raise RoutineError([Problem(at, key, what, hint)])
    if spec.name is None:
        return
    try:
        check_voice_name(backend, spec.name)
    except UnknownVoiceError as e:
        if overrides.name is None and routine.voice.name_mark is not None:
            raise RoutineError([Problem(routine.voice.name_mark, "voice.name", e.what, e.hint)]) from None
        at, key = (overrides.name_mark, "voice.name") if overrides.name_mark else (None, "--voice")
        raise RoutineError([Problem(at, key, e.what, e.hint)]) from None


__all__ = ["check_voice"]
