"""The voice backend registry: names -> lazily imported factories, plus ``auto``.

Nothing here imports a backend module (let alone pyttsx3) until that backend is asked for.
"""

from __future__ import annotations

import difflib
import importlib
import shutil
import sys
import threading
from collections.abc import Callable

from ..errors import MatcueError, ToolMissingError, VoiceError
from .base import VoiceBackend, VoiceInfo

AUTO = "auto"

Factory = Callable[[], VoiceBackend]

# name -> "module:Class" (imported on first use) or a factory callable
BACKENDS: dict[str, str | Factory] = {
    "espeak-ng": "matcue.voice.espeak:EspeakBackend",
    "pyttsx3": "matcue.voice.pyttsx3_backend:Pyttsx3Backend",
    "fake": "matcue.voice.fake:FakeVoice",
}

_instances: dict[str, VoiceBackend] = {}
_lock = threading.RLock()


def backend_names() -> list[str]:
    """Registered backend names, in registration order (``auto`` not included)."""
    return list(BACKENDS)


def register_backend(name: str, factory: str | Factory) -> None:
    """Add or replace a backend: ``factory`` is ``"module:Class"`` or a zero-arg callable."""
    if not name or name == AUTO:
        raise ValueError(f"invalid backend name {name!r}")
    with _lock:
        BACKENDS[name] = factory
        _instances.pop(name, None)


def unregister_backend(name: str) -> None:
    """Remove a backend added with :func:`register_backend` (no error if absent)."""
    with _lock:
        BACKENDS.pop(name, None)
        _instances.pop(name, None)


def get_backend(name: str = AUTO) -> VoiceBackend:
    """The backend registered as ``name`` (one shared instance per name); ``auto`` resolves.

    Raises MatcueError for an unknown name, with a did-you-mean hint.
    """
    if name == AUTO:
        return resolve_auto()
    with _lock:
        if name in _instances:
            return _instances[name]
        if name not in BACKENDS:
            raise MatcueError(unknown_backend_message(name))
        backend = _build(BACKENDS[name])
        _instances[name] = backend
        return backend


def list_voices(name: str = AUTO) -> tuple[str, list[VoiceInfo]]:
    """The resolved backend's name and its voices (what ``matcue voices`` prints)."""
    backend = get_backend(name)
    if not backend.available():
        raise VoiceError(f"voice backend {backend.name!r} is not available on this machine")
    return backend.name, backend.voices()


def quote_phrase(text: str, limit: int = 60) -> str:
    """``repr`` of a phrase for error messages, shortened in the middle when long."""
    if len(text) <= limit:
        return repr(text)
    keep = (limit - 5) // 2
    return repr(f"{text[:keep]} ... {text[-keep:]}")


def unknown_backend_message(name: str) -> str:
    known = [AUTO, *BACKENDS]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown voice backend {name!r} ({hint}known: {', '.join(known)})"


def resolve_auto() -> VoiceBackend:
    """The clearest backend installed here.

    Linux: ``espeak-ng`` when its program is on PATH, else ``pyttsx3`` when it works.
    macOS and Windows: ``pyttsx3``.
    """
    if sys.platform.startswith("linux"):
        if "espeak-ng" in BACKENDS and shutil.which("espeak-ng"):
            return get_backend("espeak-ng")
        if "pyttsx3" in BACKENDS:
            candidate = get_backend("pyttsx3")
            if candidate.available():
                return candidate
        raise ToolMissingError("espeak-ng", "espeak-ng")
    candidate = get_backend("pyttsx3")
    if candidate.available():
        return candidate
    raise VoiceError(
        "no voice backend is available: install pyttsx3 (pip install pyttsx3)"
        " or espeak-ng and choose it with --backend espeak-ng"
    )


def _build(factory: str | Factory) -> VoiceBackend:
    if callable(factory):
        return factory()
    module_name, _, class_name = factory.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    backend: VoiceBackend = cls()
    return backend


__all__ = [
    "AUTO",
    "BACKENDS",
    "backend_names",
    "get_backend",
    "list_voices",
    "quote_phrase",
    "register_backend",
    "resolve_auto",
    "unknown_backend_message",
    "unregister_backend",
]
