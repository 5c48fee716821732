"""Speech: voice backends behind one small interface, a registry, and a content cache."""

from matcue.voice.base import Clip, VoiceBackend, VoiceInfo, VoiceSpec
from matcue.voice.cache import SpeechResult, default_cache_dir, speak_all
from matcue.voice.registry import (
    backend_names,
    get_backend,
    list_voices,
    register_backend,
    unregister_backend,
)

__all__ = [
    "Clip",
    "SpeechResult",
    "VoiceBackend",
    "VoiceInfo",
    "VoiceSpec",
    "backend_names",
    "default_cache_dir",
    "get_backend",
    "list_voices",
    "register_backend",
    "speak_all",
    "unregister_backend",
]
