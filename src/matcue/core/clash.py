"""No output replaces what the command reads.

Before anything is rendered, every file a command will write (a track, its sidecars, a
pack's files, its zip, a script's SVG) is compared with every file it reads (the routine,
its includes, its cover, its music, its recordings, a roster and its profiles): the same
real path (symbolic links resolved), the same file under another name (a hard link), or,
for a folder read (a recordings folder), a path inside it, is refused, naming both: "the
track 'selfm/base.mp3' would replace the music file this routine uses; choose another -o".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from matcue.core.errors import RenderError
from matcue.core.paths import inside, quoted, real_path

Named = tuple[str, "str | Path | None"]  # (what it is, "track"; its path, None: not used)


def _same(out: str, read: str) -> bool:
    if real_path(out) == real_path(read):
        return True
    try:
        return os.path.samefile(out, read)  # a hard link: another name for the same file
    except (OSError, ValueError):
        return False  # the output does not exist yet: it replaces nothing


def clash(outputs: Iterable[Named], reads: Iterable[Named]) -> str:
    """'' when no output is a file read; else what the first clash is (a phrase)."""
    named = [(what, str(p)) for what, p in reads if p]
    for out_what, out in ((w, o) for w, o in outputs if o):
        for read_what, read in named:
            if _same(str(out), read):
                return f"the {out_what} {quoted(out)} would replace the {read_what} this routine uses"
            if os.path.isdir(read) and inside(real_path(out), real_path(read)):
                folder = f"the {read_what} folder {quoted(read)}"
                return f"the {out_what} {quoted(out)} would be written into {folder} this routine uses"
    return ""


def check_outputs(outputs: Iterable[Named], reads: Iterable[Named], hint: str = "choose another -o") -> None:
    """RenderError when an output would replace (or be written into) a file read."""
    problem = clash(outputs, reads)
    if problem:
        raise RenderError(f"{problem}; {hint}")


__all__ = ["check_outputs", "clash"]
