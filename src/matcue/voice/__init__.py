"""Speech: voice backends behind one small interface, a registry, and a content cache."""

from .base import Clip, VoiceInfo, VoiceSpec

__all__ = ["Clip", "VoiceInfo", "VoiceSpec"]
