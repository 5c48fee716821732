"""Settings: what a person's profile and the command line change, merged in one place.

The command line's value wins where given, then the profile's, then the routine's, then
the default.
"""

from __future__ import annotations

from dataclasses import replace

from matcue.plan.compile import Options
from matcue.routine.profile import Profile
from matcue.voice.base import VoiceOverrides


def tailor(profile: Profile | None, given: Options) -> Options:
    """The options to compile with: the command line's where given, else the profile's."""
    if profile is None:
        return given
    p = profile

    def first(a, b):  # type: ignore[no-untyped-def]
        return a if a is not None else b

    return replace(
        given,
        level=first(given.level, p.level),
        first_side=first(given.first_side, p.first_side),
        vars=(*p.vars, *given.vars),  # later wins
        tones=first(given.tones, p.tones),
        countdown=first(given.countdown, p.countdown),
        verbosity=first(given.verbosity, p.verbosity),
        pace=first(given.pace, p.pace),
        breath=first(given.breath, p.breath),
        skip=(*p.skip, *given.skip),
        duration_ms=first(given.duration_ms, p.duration_ms),
    )


def tailor_voice(profile: Profile | None, given: VoiceOverrides) -> VoiceOverrides:
    """Voice settings: the command line's where given, else the profile's (else the routine's)."""
    if profile is None:
        return given
    v = profile.voice
    return VoiceOverrides(backend=given.backend or v.backend, name=given.name or v.name, rate=given.rate or v.rate)
