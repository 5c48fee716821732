"""Speak each phrase under a timeout, retrying once: no voice backend can hang a render.

The subprocess backends time out on their own; a backend that runs in this process (a
plugin registered with :func:`matcue.voice.registry.register_backend`) may not. The
pipeline speaks through :class:`GuardedVoice`, which runs each ``synthesize`` call in a
worker thread, waits at most ``timeout_s``, tries a failed or stuck phrase once more
(unless the backend sets ``retries_itself``, as pyttsx3 does), and then raises
:class:`~matcue.core.errors.VoiceError` naming the phrase. A stuck call is left behind in its
(daemon) thread; it cannot write a cache entry, since entries are written by the cache
after ``synthesize`` returns.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from matcue.core.errors import ToolMissingError, VoiceError
from matcue.voice.base import Clip, VoiceBackend, VoiceInfo, VoiceSpec

BASE_TIMEOUT_S = 60.0  # per phrase, plus a little per character
PER_CHAR_TIMEOUT_S = 0.05
ATTEMPTS = 2  # the first try and one retry

_ids = itertools.count(1)


def phrase_timeout_s(text: str) -> float:
    return BASE_TIMEOUT_S + PER_CHAR_TIMEOUT_S * len(text)


class GuardedVoice:
    """A backend that speaks through ``inner`` with a timeout and one retry per phrase.

    It has the inner backend's ``name`` (so cache keys are unchanged) and its capabilities.
    """

    def __init__(self, inner: VoiceBackend, timeout_s: float | None = None, attempts: int = ATTEMPTS):
        self.inner = inner
        self.name = inner.name
        self.timeout_s = timeout_s
        self.attempts = attempts

    def __getattr__(self, attr: str) -> Any:  # parallel, default_rate_wpm...
        return getattr(self.inner, attr)

    def available(self) -> bool:
        return self.inner.available()

    def voices(self) -> list[VoiceInfo]:
        return self.inner.voices()

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        from matcue.core.errors import shown

        timeout = self.timeout_s if self.timeout_s is not None else phrase_timeout_s(text)
        problem = ""
        for _ in range(self.attempts):
            box: dict[str, Any] = {}

            def run(box: dict[str, Any] = box) -> None:
                try:
                    box["clip"] = self.inner.synthesize(text, spec)
                except BaseException as exc:  # handed to the waiting thread
                    box["error"] = exc

            worker = threading.Thread(target=run, name="matcue-voice-guard", daemon=True)
            worker.start()
            worker.join(timeout)
            if worker.is_alive():
                problem = f"no result within {timeout:g} s"
                continue
            error = box.get("error")
            if error is None:
                return box["clip"]
            if isinstance(error, (ToolMissingError, KeyboardInterrupt, SystemExit)):
                raise error  # retrying cannot help
            if self.attempts == 1 and isinstance(error, VoiceError):
                raise error  # a backend that retries itself has said what it tried
            problem = str(error) or type(error).__name__
        tries = {1: "once", 2: "twice"}.get(self.attempts, f"{self.attempts} times")
        raise VoiceError(f"voice backend {self.name!r} failed {tries} to speak {shown(text)}: {problem}")


@contextmanager
def guarded_voice(spec: VoiceSpec, timeout_s: float | None = None) -> Iterator[VoiceSpec]:
    """A spec whose backend is ``spec.backend`` (``auto`` resolved) behind :class:`GuardedVoice`.

    The guarded backend is registered under a private name for the duration of the block,
    so :func:`matcue.voice.cache.speak_all` uses it like any other backend.
    """
    from matcue.voice.registry import get_backend, register_backend, unregister_backend

    inner = get_backend(spec.backend, spec.language)
    key = f"{inner.name}~guarded-{next(_ids)}"
    # a backend that retries a failed phrase itself (pyttsx3) is not retried again
    guarded = GuardedVoice(inner, timeout_s, attempts=1 if getattr(inner, "retries_itself", False) else ATTEMPTS)
    register_backend(key, lambda: guarded)
    try:
        yield replace(spec, backend=key)
    finally:
        unregister_backend(key)
