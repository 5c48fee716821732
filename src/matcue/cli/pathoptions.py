"""The click callbacks and checks of options that name a file or a folder: an output file
(``--svg``, ``new -o``), an output folder (``-o``, ``cues --page``), an input that must exist
(``--music``, ``--recordings``, ``--profile``, ``--roster``). Each is a usage error (exit 2)
naming what is there instead; one file given twice to a repeatable option (``--profile``)
is one too. Every output name, file or folder, is taken with its ``NAME/..`` steps taken
out (:func:`matcue.core.paths.collapse_dotdot`): ``-o a/../out`` made an empty ``a``."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcue.core.errors import shown


def output_file(ctx: click.Context, param: click.Parameter, value: str | os.PathLike[str] | None) -> Path | None:
    """The click callback of every option naming a file matcue writes (``script --svg``,
    ``new -o``), so the target is checked before the command does any work. An empty name,
    ``-`` (matcue never writes to standard output through a file option) and a folder are
    usage errors; a named pipe, a device, a socket or a loop of links there, or in the way
    of its folder, is refused as every write refuses it (exit 1:
    :func:`matcue.core.paths.require_parent`, :func:`matcue.core.atomic.check_replaceable`)."""
    from matcue.core.atomic import check_replaceable
    from matcue.core.paths import collapse_dotdot, quoted, require_parent

    if value is None:
        return None
    value = os.fspath(value)  # a default is a Path
    if not value.strip():
        raise click.BadParameter("expected a file name, got an empty name")
    if value == "-":
        raise click.BadParameter("matcue does not write to standard output here: write ./- for a file named '-'")
    path = collapse_dotdot(value)  # a/../x.svg: no folder 'a' made to step out of
    option = param.opts[-1]
    require_parent(path, "choose another -o" if "-o" in param.opts else f"choose another path for {option}")
    if not path.is_symlink() and stat.S_ISDIR(_mode(path, option)):  # a link: check_replaceable says
        raise click.BadParameter(f"{quoted(value)} is a folder, not a file")
    if value.endswith(("/", os.sep)):
        raise click.BadParameter(f"{quoted(value)} names a folder (it ends in '/'), not a file")
    check_replaceable(path)
    return path


def output_file_ending(suffix: str, kind: str) -> Callable[[click.Context, click.Parameter, Any], Path | None]:
    """:func:`output_file` for a file of one format (``--svg``): a name that does not end in
    ``suffix`` (in any case) is a usage error, as ``--svg s.png`` wrote an SVG picture under
    a PNG name."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | os.PathLike[str] | None) -> Path | None:
        from matcue.core.paths import quoted

        path = output_file(ctx, param, value)
        if path is not None and not path.name.lower().endswith(suffix):
            named = path.with_suffix(suffix) if path.suffix else path.with_name(path.name + suffix)
            raise click.BadParameter(
                f"{quoted(path)} does not end in {suffix}: it would be {kind} (name it {quoted(named)})"
            )
        return path

    return callback


def output_folder(ctx: click.Context, param: click.Parameter, value: str | os.PathLike[str] | None) -> Path | None:
    """The click callback of every option naming a folder matcue writes into (``-o``,
    ``cues --page``): an empty name is a usage error (it was the current folder); what is
    in the folder's way is refused by the command before any work
    (:func:`matcue.core.paths.require_folder`)."""
    if value is None:
        return None
    if not os.fspath(value).strip():  # a default is a Path
        raise click.BadParameter("expected a folder, got an empty name")
    from matcue.core.paths import collapse_dotdot

    return collapse_dotdot(os.fspath(value))  # a/../out: no folder 'a' made to step out of


class RoutinePath(click.ParamType):
    """The routine argument of every command (``check``, ``script``, ``render``, ``pack``,
    ``cues``): an empty name (or only spaces) is a usage error naming the argument (it was
    the current folder, "'.' is a folder, not a routine file"); what the name leads to is
    the command's to say, located (exit 1)."""

    name = "path"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        if isinstance(value, Path):
            return value
        text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else str(value)
        if not text.strip():
            self.fail("expected a path to a routine file, got an empty name", param, ctx)
        return Path(text)


def _mode(path: Path, option: str) -> int:
    """The file kind of ``path`` (0: not there). A name the system refuses (longer than it
    takes) is a usage error saying so: ``Path.is_file`` raised it, exit 3."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return 0
    except OSError as e:
        raise click.BadParameter(
            f"{shown(str(path))} cannot be read: {e.strerror or e}", param_hint=f"'{option}'"
        ) from None


def existing(given: str | Path, option: str, noun: str, wanted: str, *, folder_too: bool = False) -> Path:
    """``given`` as a Path when it is a regular file (or, with ``folder_too``, a folder); else
    a usage error naming what is there: "NOUN 'x' not found", "'x' is a named pipe, not
    WANTED" (a pipe or a device was "not found"). An empty name (or only spaces) is "got an
    empty name": as a Path it was '.', the current folder, read as a roster or said to be
    "'.' is a folder"."""
    from matcue.core.paths import kind_name, quoted

    if isinstance(given, str) and not given.strip():
        raise click.BadParameter(f"expected {wanted}, got an empty name", param_hint=f"'{option}'")
    path = Path(given)
    mode = _mode(path, option)
    if mode == 0:
        raise click.BadParameter(f"{noun} {quoted(path)} not found", param_hint=f"'{option}'")
    if not (stat.S_ISREG(mode) or (folder_too and stat.S_ISDIR(mode))):
        raise click.BadParameter(f"{quoted(path)} is {kind_name(mode)}, not {wanted}", param_hint=f"'{option}'")
    return path


def given_twice(paths: tuple[Path, ...], option: str, wanted: str) -> None:
    """A usage error when two of ``paths`` are one file (:func:`matcue.core.paths.file_identity`:
    the same name twice, ``./a`` and ``a``, a symbolic link to it)."""
    from matcue.core.paths import file_identity, quoted

    first: dict[object, Path] = {}
    for path in paths:
        other = first.setdefault(file_identity(path), path)
        if other is not path:
            same = "" if str(other) == str(path) else f": it is the same file as {quoted(other)}"
            raise click.BadParameter(f"{wanted} {quoted(path)} is given twice{same}", param_hint=f"'{option}'")


def decodable_music(path: Path) -> None:
    """A usage error unless ffmpeg decodes ``path`` (:func:`matcue.core.media.probe_music`,
    which the routine's ``music:`` goes through when it loads)."""
    from matcue.core.media import MusicError, probe_music
    from matcue.core.paths import quoted

    try:
        probe_music(path)
    except MusicError as e:
        hint = f" ({e.hint})" if e.hint else ""
        raise click.BadParameter(f"music file {quoted(path)} {e}{hint}", param_hint="'--music'") from None
