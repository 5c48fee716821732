"""The external programs matcue runs, found in one place: ffmpeg and the voice engines'
command-line tools. A missing one is a :class:`~matcue.core.errors.ToolMissingError`
naming the Debian package that provides it."""

from __future__ import annotations

import shutil

from matcue.core.errors import ToolMissingError


def find_tool(program: str, package: str) -> str:
    """The full path of ``program``, or ToolMissingError naming the Debian ``package``."""
    exe = shutil.which(program)
    if exe is None:
        raise ToolMissingError(program, package)
    return exe


def ffmpeg_path() -> str:
    """The ffmpeg executable, or ToolMissingError."""
    return find_tool("ffmpeg", "ffmpeg")


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None
