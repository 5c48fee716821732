"""The external tools matcue runs, found in one place (ffmpeg, ffprobe)."""

from __future__ import annotations

import shutil

from matcue.core.errors import ToolMissingError


def ffmpeg_path() -> str:
    """The ffmpeg executable, or ToolMissingError."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ToolMissingError("ffmpeg", "ffmpeg")
    return exe
