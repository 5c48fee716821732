"""The voice interface shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from matcue.core.errors import Mark
from matcue.core.pcm import SAMPLE_RATE, samples_to_ms


@dataclass(frozen=True, slots=True)
class VoiceSpec:
    """Which voice speaks, and how fast. ``backend`` is a registry name (or ``auto``)."""

    backend: str = "auto"
    name: str | None = None  # backend voice id; None = the backend's default for language
    rate: int = 150  # words per minute
    language: str = "en"


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    id: str
    name: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Clip:
    """Spoken audio: mono int16 samples at ``SAMPLE_RATE``, edge silence trimmed."""

    samples: np.ndarray

    @property
    def length_ms(self) -> int:
        return samples_to_ms(len(self.samples))


class CachedClip:
    """A clip stored in the speech cache, read from disk each time its samples are used.

    A long routine has hundreds of phrases; holding them all would make memory grow with
    the length of the session. The renderer reads a clip when its speech event starts
    and drops it when the event ends, so memory stays flat.
    """

    __slots__ = ("n_samples", "path")

    def __init__(self, path: Path, n_samples: int):
        self.path = path
        self.n_samples = n_samples

    @property
    def samples(self) -> np.ndarray:
        import os

        from matcue.core.errors import VoiceError
        from matcue.core.paths import Unreadable, open_regular, quoted

        try:
            fd = open_regular(self.path, "a speech clip", follow=False)
        except Unreadable as e:
            raise VoiceError(f"speech cache entry {quoted(self.path)} {e} (run 'matcue doctor --fix')") from None
        with os.fdopen(fd, "rb") as f:
            samples = np.load(f, allow_pickle=False)
        if len(samples) != self.n_samples:
            raise ValueError(f"speech cache entry {quoted(self.path)} changed while in use")
        return samples

    @property
    def length_ms(self) -> int:
        return samples_to_ms(self.n_samples)


AnyClip = Clip | CachedClip  # what the speech stage hands to layout and render


class VoiceBackend(Protocol):
    """What every backend provides. Instances are cheap; heavy imports happen lazily."""

    name: str

    def available(self) -> bool:
        """True when the backend can speak on this machine (tool installed, module importable)."""
        ...

    def voices(self) -> list[VoiceInfo]: ...

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        """Speak ``text``; raise ``VoiceError`` (or ``ToolMissingError``) on failure."""
        ...


__all__ = ["SAMPLE_RATE", "AnyClip", "CachedClip", "Clip", "VoiceBackend", "VoiceInfo", "VoiceSpec"]


@dataclass(frozen=True, slots=True)
class VoiceOverrides:
    """Voice settings from the command line or a profile; None = take the routine's, then
    the default. ``backend_mark`` and ``name_mark``: where a profile writes the value it
    gives (None: the command line's, or not given), so a problem with it is located there."""

    backend: str | None = None
    name: str | None = None
    rate: int | None = None
    backend_mark: Mark | None = field(default=None, compare=False)
    name_mark: Mark | None = field(default=None, compare=False)
