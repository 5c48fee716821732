"""The voice backend registry: names -> lazily imported factories, plus ``auto``.

Nothing here imports a backend module (let alone pyttsx3) until that backend is asked for.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from matcue.core.errors import MatcueError, ToolMissingError, VoiceError, shown
from matcue.voice.base import VoiceBackend, VoiceInfo

AUTO = "auto"

Factory = Callable[[], VoiceBackend]

# name -> "module:Class" (imported on first use) or a factory callable
BACKENDS: dict[str, str | Factory] = {
    "espeak-ng": "matcue.voice.backends.espeak:EspeakBackend",
    "pyttsx3": "matcue.voice.backends.pyttsx3_backend:Pyttsx3Backend",
    "fake": "matcue.voice.backends.fake:FakeVoice",
    "flite": "matcue.voice.backends.flite:FliteBackend",
    "rhvoice": "matcue.voice.backends.rhvoice:RHVoiceBackend",
    "pico2wave": "matcue.voice.backends.pico:PicoBackend",
    "mbrola": "matcue.voice.backends.mbrola:MbrolaBackend",
    "hibari": "matcue.voice.backends.hibari_backend:HibariBackend",
}

# What ``auto`` picks on Linux: the first available, clearest first, by the word error
# rates measured on the project's cue set (tests/data/cues.txt, 130 cues; docs/voices.md):
# hibari (the neural voice installed with matcue; clearest in noise by far), then by
# pocketsphinx: RHVoice bdl 0.117, flite rms 0.189, pico2wave 0.295, MBROLA us2 0.299,
# then espeak-ng (0.77-0.83 in the figures); pyttsx3 last.
AUTO_RANKING: tuple[str, ...] = ("hibari", "rhvoice", "flite", "pico2wave", "mbrola", "espeak-ng", "pyttsx3")
# Other languages: the measured starting points of issue 16 first (Whisper base, raw engine
# output; de/es/fr: pico2wave 0.11/0.21/0.43, MBROLA 0.40/0.84/0.64, espeak-ng 0.60/0.72/1.11),
# then the rest of AUTO_RANKING. A backend that does not speak the language is skipped.
LANGUAGE_RANKINGS: dict[str, tuple[str, ...]] = {
    "de": ("pico2wave", "mbrola", "espeak-ng"),
    "es": ("pico2wave", "mbrola", "espeak-ng"),
    "fr": ("pico2wave", "mbrola", "espeak-ng"),
}
# What a backend that speaks every language (the test voice) has as its ``languages``.
EVERY_LANGUAGE = "*"
# Elsewhere (macOS, Windows): hibari, else the platform's voices.
OTHER_PLATFORMS_RANKING: tuple[str, ...] = ("hibari", "pyttsx3")
# The voice the set-up installs from Debian's main section, named when nothing is installed.
SETUP_VOICE = ("flite", "flite")


@dataclass(frozen=True, slots=True)
class BackendVoices:
    """One backend as ``matcue voices`` shows it."""

    name: str
    available: bool
    voices: tuple[VoiceInfo, ...] = ()
    auto: bool = False  # the backend ``auto`` picks here
    problem: str = ""  # why it is unavailable or could not list its voices
    details: tuple[str, ...] = ()  # more lines to show (hibari: its model file, whether it loads)


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
        _listed.pop(name, None)


def unregister_backend(name: str) -> None:
    """Remove a backend added with :func:`register_backend` (no error if absent)."""
    with _lock:
        BACKENDS.pop(name, None)
        _instances.pop(name, None)
        _listed.pop(name, None)


def get_backend(name: str = AUTO, language: str = "en") -> VoiceBackend:
    """The backend registered as ``name`` (one shared instance per name); ``auto`` resolves
    to the clearest installed backend that speaks ``language`` (a BCP 47 tag).

    Raises MatcueError for an unknown name, with a did-you-mean hint. A backend asked for
    by name is returned whatever it speaks (:func:`speaks` tells).
    """
    if name == AUTO:
        return resolve_auto(language)
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


def survey_voices(name: str | None = None, language: str | None = None) -> list[BackendVoices]:
    """Every registered backend (or just ``name``; ``auto`` = the one auto picks) with its
    availability and voices, and which one ``auto`` picks. The test-only ``fake`` backend
    is left out unless asked for by name.

    With ``language``: only the installed backends that speak it, each with only its voices
    for it, and ``auto``'s pick for that language."""
    lang = language or "en"
    try:
        auto_name: str | None = resolve_auto(lang).name
    except MatcueError:
        auto_name = None
    if name is None:
        names = [n for n in BACKENDS if n != "fake"]
        ranked = [n for n in auto_ranking(lang) if n in names]
        names = ranked + [n for n in names if n not in ranked]
    elif name == AUTO:
        if auto_name is None:
            resolve_auto(lang)  # raises the helpful error
        names = [auto_name] if auto_name else []
    else:
        get_backend(name)  # unknown names raise with a did-you-mean hint
        names = [name]
    out = [_survey_one(n, n == auto_name) for n in names]
    if language is None:
        return out
    return [
        replace(e, voices=tuple(v for v in e.voices if voice_speaks(v, language)))
        for e in out
        if e.available and not e.problem and speaks(get_backend(e.name), language)
    ]


def _survey_one(n: str, auto: bool) -> BackendVoices:
    backend = get_backend(n)
    try:
        ok = backend.available()
    except MatcueError as exc:
        return BackendVoices(n, False, auto=auto, problem=str(exc))
    if not ok:
        return BackendVoices(n, False, auto=False, problem=unavailable_reason(backend, n))
    try:
        found = tuple(backend.voices())
    except MatcueError as exc:
        return BackendVoices(n, True, auto=auto, problem=str(exc))
    return BackendVoices(n, True, found, auto=auto, details=tuple(load_report(backend)))


def unavailable_reason(backend: VoiceBackend, name: str) -> str:
    """Why ``backend`` cannot speak here: its own account (``problem()``) or the install hint."""
    own = getattr(backend, "problem", None)
    reason = own() if callable(own) else ""
    return str(reason) if reason else _install_hint(name)


def load_report(backend: VoiceBackend) -> list[str]:
    """For a backend with a model (hibari): each model file, and whether it loads (it is
    loaded here, once per process); [] for the others."""
    describe = getattr(backend, "describe", None)
    check = getattr(backend, "load_problem", None)
    if not callable(describe) or not callable(check):
        return []
    problem = check()
    return [*describe(), f"model loads: {'yes' if not problem else 'no: ' + problem}"]


_INSTALL_HINTS = {
    "hibari": "pip install hibari-tts (a dependency of matcue)",
    "espeak-ng": "apt-get install espeak-ng",
    "flite": "apt-get install flite (scripts/setup)",
    "rhvoice": "apt-get install rhvoice rhvoice-english (contrib/non-free: scripts/setup-voices)",
    "pico2wave": "apt-get install libttspico-utils (non-free: scripts/setup-voices)",
    "mbrola": "apt-get install mbrola mbrola-us2 (contrib/non-free: scripts/setup-voices)",
    "pyttsx3": "pip install pyttsx3, and libespeak-ng1 on Linux",
}


def _install_hint(name: str) -> str:
    hint = _INSTALL_HINTS.get(name)
    return f"not installed: {hint}" if hint else "not available on this machine"


def unknown_backend_message(name: str) -> str:
    known = [AUTO, *BACKENDS]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown voice backend {shown(name)} ({hint}known: {', '.join(known)})"


class UnknownVoiceError(VoiceError):
    """A voice name the backend does not list; ``what`` and ``hint`` make a located problem."""

    def __init__(self, what: str, hint: str):
        super().__init__(f"{what} ({hint})")
        self.what = what
        self.hint = hint


_listed: dict[str, tuple[str, ...]] = {}  # backend name -> the voice ids it lists (once per process)


def listed_voice_ids(backend: VoiceBackend) -> tuple[str, ...]:
    """The ids ``backend`` lists (``matcue voices``), asked once per process and backend."""
    with _lock:
        if backend.name not in _listed:
            _listed[backend.name] = tuple(v.id for v in backend.voices())
        return _listed[backend.name]


def check_voice_name(backend: VoiceBackend, name: str | None) -> None:
    """Refuse a voice name ``backend`` does not list (a typo, a path, a URL...), so that no
    name reaches an engine's command line unchecked. None (the default voice) passes.

    Raises :class:`UnknownVoiceError` with a did-you-mean hint, or VoiceError when the
    backend cannot list its voices (then no name can be checked, and none is used).
    """
    if name is None:
        return
    try:
        ids = listed_voice_ids(backend)
    except ToolMissingError:
        raise
    except MatcueError as exc:
        raise VoiceError(f"cannot check the voice {shown(name)} of backend {backend.name!r}: {exc}") from None
    if name in ids:
        return
    close = difflib.get_close_matches(name, list(ids), n=1, cutoff=0.5)
    listed = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
    hint = (f"did you mean {close[0]!r}? " if close else "") + f"voices: {listed or 'none'}; see 'matcue voices'"
    raise UnknownVoiceError(f"backend {backend.name!r} has no voice {shown(name)}", hint)


SETUP_LANGUAGES = ("en", "de", "es", "fr")  # the languages scripts/setup-voices has a voice list for


def setup_hint(language: str) -> str:
    """What to run for a voice that speaks ``language``: scripts/setup-voices when it has a
    list for it, else what it would say itself."""
    code = primary_subtag(language)
    if code in SETUP_LANGUAGES:
        return f"run scripts/setup-voices --language {code}"
    return (
        "scripts/setup-voices knows de, es, fr and en; espeak-ng speaks most languages: sudo apt-get install espeak-ng"
    )


def primary_subtag(tag: str) -> str:
    """The primary subtag of a language tag, lower case: ``en-GB`` -> ``en``, ``de_DE`` -> ``de``."""
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


def spoken_languages(backend: VoiceBackend) -> frozenset[str]:
    """The languages (primary subtags) ``backend`` speaks, from the backend itself: its
    ``languages`` attribute when it has one (an engine with one language, like hibari and
    flite, or :data:`EVERY_LANGUAGE` for the test voice), else the ``languages`` of the
    voices it lists. Empty when it cannot list its voices (not installed here)."""
    own: tuple[str, ...] | None = getattr(backend, "languages", None)
    if own is not None:
        return frozenset(lang if lang == EVERY_LANGUAGE else primary_subtag(lang) for lang in own)
    try:
        listed = backend.voices()
    except MatcueError:
        return frozenset()
    return frozenset(primary_subtag(lang) for v in listed for lang in v.languages if lang.strip())


def speaks(backend: VoiceBackend, language: str) -> bool:
    """True when ``backend`` has a voice for ``language`` (a BCP 47 tag; its primary subtag counts)."""
    langs = spoken_languages(backend)
    return EVERY_LANGUAGE in langs or primary_subtag(language) in langs


def voice_speaks(voice: VoiceInfo, language: str) -> bool:
    """True when ``voice`` lists ``language`` (by primary subtag) or every language."""
    langs = {lang if lang == EVERY_LANGUAGE else primary_subtag(lang) for lang in voice.languages}
    return EVERY_LANGUAGE in langs or primary_subtag(language) in langs


def auto_ranking(language: str = "en") -> tuple[str, ...]:
    """The order ``auto`` tries the backends in for ``language`` on Linux: the language's
    measured ranking (:data:`LANGUAGE_RANKINGS`) first, then :data:`AUTO_RANKING`."""
    first = LANGUAGE_RANKINGS.get(primary_subtag(language), ())
    return first + tuple(n for n in AUTO_RANKING if n not in first)


def speaking_backends(language: str) -> list[str]:
    """The installed backends that speak ``language``, in ``auto``'s order for it (``fake``,
    the test voice, left out)."""
    ranked = auto_ranking(language)
    names = [n for n in ranked if n in BACKENDS] + [n for n in BACKENDS if n not in ranked and n != "fake"]
    out = []
    for name in names:
        backend = get_backend(name)
        try:
            if backend.available() and speaks(backend, language):
                out.append(name)
        except MatcueError:
            continue
    return out


class NoVoiceForLanguage(VoiceError):
    """No installed backend speaks the routine's language; ``what`` and ``hint`` make a
    located problem at ``language:``."""

    def __init__(self, language: str):
        self.what = f"no installed voice speaks {shown(language)}"
        self.hint = f"{setup_hint(language)}; see 'matcue voices'"
        super().__init__(f"{self.what} ({self.hint})")


def resolve_auto(language: str = "en") -> VoiceBackend:
    """The clearest backend installed here that speaks ``language``.

    Linux: the first available backend of :func:`auto_ranking` that speaks it (English:
    hibari, RHVoice, flite, pico2wave, MBROLA, espeak-ng, pyttsx3; German, Spanish, French:
    pico2wave, MBROLA, espeak-ng first). macOS and Windows: hibari, else ``pyttsx3``.
    A backend that is installed but cannot work here (hibari without a working onnxruntime
    or with a damaged model file) is not available, so ``auto`` falls to the next one; one
    that does not speak the language is never picked (:class:`NoVoiceForLanguage` when
    none does).
    """
    linux = sys.platform.startswith("linux")
    installed = False
    for name in auto_ranking(language) if linux else OTHER_PLATFORMS_RANKING:
        if name not in BACKENDS:
            continue
        candidate = get_backend(name)
        if candidate.available():
            installed = True
            if speaks(candidate, language):
                return candidate
    if installed or primary_subtag(language) != "en":
        raise NoVoiceForLanguage(language)
    if linux:
        raise ToolMissingError(*SETUP_VOICE)
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
    "AUTO_RANKING",
    "BACKENDS",
    "EVERY_LANGUAGE",
    "LANGUAGE_RANKINGS",
    "BackendVoices",
    "NoVoiceForLanguage",
    "UnknownVoiceError",
    "auto_ranking",
    "backend_names",
    "check_voice_name",
    "get_backend",
    "list_voices",
    "listed_voice_ids",
    "load_report",
    "primary_subtag",
    "register_backend",
    "resolve_auto",
    "speaking_backends",
    "speaks",
    "spoken_languages",
    "survey_voices",
    "unavailable_reason",
    "unknown_backend_message",
    "unregister_backend",
    "voice_speaks",
]
