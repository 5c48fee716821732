"""Every file matcue reads because a routine, profile, roster or the user named it.

Two rules, one function each, so that no reader has its own:

- :func:`confine`: where a named path may point. A path a routine names (``include:``,
  ``cover:``, ``music:``) is relative to the file that names it and must lie inside the
  top-level routine's folder; a path a roster names lies inside the roster's folder.
  Symbolic links are resolved before comparing (a hard link is a name inside the folder
  where it is: it counts as inside, whatever ``st_nlink`` says, docs/routines.md); the
  folder a file's paths are relative to is :func:`base_folder`; ``--allow-outside`` lifts the rule. A
  path refused for being outside is reported exactly like a missing one, so the message
  never tells whether a file outside the folder exists.
- :func:`read_bounded` (and :func:`open_regular` under it): only a regular file is read
  (a device such as ``/dev/zero``, a named pipe, a socket or a folder is refused before it
  is opened, and checked again on the open descriptor, which is opened non-blocking so a
  pipe swapped in cannot stall), and never more than a byte limit, whatever the file's
  stated size.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

from matcue.core.errors import MatcueError, cut_middle, shown


class Unreadable(MatcueError):
    """A named file that cannot be used; ``str()`` is a phrase that follows its path
    ("does not exist", "is a folder, not a routine file", ...)."""

    def __init__(self, reason: str, *, missing: bool = False, size: int | None = None):
        super().__init__(reason)
        self.missing = missing
        self.size = size  # bytes, when the file is refused for being too large


class Outside(Unreadable):
    """A path outside the folder it must stay in (worded like a missing file)."""


def inside(real: str, folder: str) -> bool:
    """Whether the real path ``real`` lies inside the real folder ``folder``."""
    try:
        return os.path.commonpath([real, folder]) == folder
    except ValueError:  # different drives
        return False


def real_path(path: str | Path) -> str:
    """``path`` with its symbolic links resolved; where it cannot be resolved (a link the
    system will not let us read, such as ``/proc/1/cwd``: PermissionError), its absolute
    path as written. Never raises."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def file_identity(path: str | os.PathLike[str]) -> object:
    """What every name of one file shares, to tell that one file is given twice: its device
    and inode (``./a`` and ``a``, a symbolic link to it, a hard link all give the same);
    its real path where it cannot be looked at. Never raises."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return real_path(os.fspath(path))
    return (st.st_dev, st.st_ino)


def lies_inside(path: str | Path, folder: str) -> bool:
    """Whether ``path``, symbolic links resolved, lies inside the real folder ``folder``;
    False when it cannot be resolved at all (what cannot be followed is not known to be
    inside, and is refused like a file outside)."""
    try:
        return inside(os.path.realpath(path), folder)
    except (OSError, ValueError):
        return False


def shown_folder(real: str) -> str:
    """A real path as messages show it: relative to the current folder when it is inside
    it, else whole (``'/tmp/class'``, not ``'../../../tmp/class'``)."""
    try:
        rel = os.path.relpath(real)
    except ValueError:
        return real
    return real if rel == ".." or rel.startswith(".." + os.sep) else rel


def base_folder(path: str | Path) -> Path:
    """The folder the paths a file names are relative to: the folder where the file really
    is, its symbolic link resolved (``class/r.yaml -> ../lib/r.yaml``: ``lib``, where its
    includes are), the same folder :func:`confine` keeps them in. Written as the file's
    own folder when that is the real one, else as :func:`shown_folder` shows it."""
    written = Path(path).parent
    real = os.path.dirname(real_path(path))
    return written if real_path(written) == real else Path(shown_folder(real))


def confine(raw: str, base: str | Path, root: str, *, allow_outside: bool, owner: str = "routine") -> Path:
    """The path ``raw`` names, relative to the folder ``base``, kept inside the real folder ``root``.

    Returns ``base / raw`` (as written, for messages). Raises :class:`Outside` when its real
    path (symbolic links resolved) leaves ``root`` and ``allow_outside`` is false; its text
    is the same as for a missing file: "was not found in the routine's folder 'DIR'".
    """
    target = Path(base) / raw
    if "\0" in raw:
        raise Outside(not_found(owner, root), missing=True)
    if not allow_outside and not lies_inside(target, root):
        raise Outside(not_found(owner, root), missing=True)
    return target


def not_found(owner: str, root: str) -> str:
    """What a missing or refused named file is: one wording for both."""
    return f"was not found in the {owner}'s folder {quoted(shown_folder(root))}"


def outside_hint(owner: str = "routine", raw: str = "", base: str | Path | None = None, root: str = "") -> str:
    """The hint of a file not found; for a Windows path (``sub\\p.yaml``, ``C:/p.yaml``),
    that folders are separated by '/' and the path is relative; for a name the folder holds
    in another Unicode form (:func:`other_form`), that name."""
    other = other_form_hint(Path(base) / raw, root) if base is not None and root else None
    if other is not None:
        return other
    if re.match(r"[A-Za-z]:[\\/]", raw):
        return f"a Windows path: write it relative to the {owner} file, with '/' between folders"
    if "\\" in raw:
        return f"folders are separated by '/': write {shown(raw.replace(chr(92), '/'))}, relative to the {owner} file"
    return f"a path relative to the {owner} file; pass --allow-outside to read files outside its folder"


MAX_LISTED = 2000  # entries of a folder read to find a name in another Unicode form


def other_form_hint(target: Path, root: str) -> str | None:
    """The hint for a missing ``target`` whose name is there in another Unicode form, else None."""
    other = other_form(target, root)
    if other is None:
        return None
    return (
        f"the folder holds {shown(other)}, the same letters in another Unicode form (an accent typed "
        "as a separate mark, as a Mac writes it): write the name as it is there, or rename the file"
    )


def other_form(target: Path, root: str) -> str | None:
    """The name a folder inside ``root`` holds where ``target``'s first missing part is in
    another Unicode form ("cafe\u0301.yaml" for "café.yaml"), else None. Only folders inside
    ``root`` are listed (a file outside is never named), at most :data:`MAX_LISTED` entries."""
    parts = target.parts
    for i in range(1, len(parts) + 1):
        here = Path(*parts[:i])
        if os.path.lexists(here):
            continue
        parent, name = Path(*parts[: i - 1]) if i > 1 else Path("."), parts[i - 1]
        if not lies_inside(parent, root):
            return None
        want = unicodedata.normalize("NFC", name)
        try:
            with os.scandir(parent) as entries:
                for n, entry in enumerate(entries):
                    if n >= MAX_LISTED:
                        break
                    if entry.name != name and unicodedata.normalize("NFC", entry.name) == want:
                        return entry.name
        except OSError:
            pass
        return None
    return None


def kind_name(mode: int) -> str:
    """What a file of ``mode`` (``st_mode``) is, for a message: "a file", "a folder", "a
    named pipe", "a device", "a socket", "a link"."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a link" if stat.S_ISLNK(mode) else "not a file"


def path_text(path: str | Path) -> str:
    """A path as a message shows it: a line break, a tab or a character a terminal would
    act on written as an escape (``\\x0a``, ``\\x1b``: :func:`~matcue.core.errors.printable_name`)."""
    from matcue.core.errors import printable_name

    return printable_name(str(path))


MAX_QUOTED_PATH = 160  # characters of a path a message shows; a longer one keeps its two ends


def quoted(path: str | Path) -> str:
    """:func:`path_text` in quotes, for a message: ``'out'``. A path longer than
    MAX_QUOTED_PATH characters is cut in the middle (``'/home/... ...x/cover.png'``): its
    start says where, its end which file (a path may be 4096 characters long)."""
    return f"'{cut_middle(path_text(path), MAX_QUOTED_PATH)}'"


def nearest_existing(path: str | Path) -> Path:
    """``path`` or its nearest ancestor that exists (a link that leads nowhere exists), or
    that cannot be looked at for another reason than being absent (a folder we may not
    enter: EACCES; a name too long: ENAMETOOLONG), so that the reason is said for it
    instead of a folder above being taken for it."""
    import errno

    probe = Path(path)
    while probe.parent != probe:
        try:
            os.lstat(probe)
            break
        except (FileNotFoundError, NotADirectoryError):
            probe = probe.parent
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # a loop: said for the link above
                probe = probe.parent
                continue
            break
        except ValueError:  # a NUL in the name
            break
    return probe


def name_problem(path: str | Path) -> str:
    """'' when every name in ``path`` is one the system takes; else why not, in words
    ("'d/aaa...' cannot be used: File name too long (the name 'aaa...' is 300 bytes; at
    most 255 are allowed)"). A name too long is found here, before anything is made or spoken, even
    where no folder of it exists yet (the system says so only on the first write)."""
    import errno

    there = nearest_existing(path)
    try:
        limit = os.pathconf(there if os.path.isdir(there) else there.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for name in Path(path).parts:
        size = len(os.fsencode(name))
        if size > limit:
            long_name = f"the name {quoted(name)} is {size} bytes; at most {limit} are allowed"
            return f"{quoted(path)} cannot be used: {os.strerror(errno.ENAMETOOLONG)} ({long_name})"
    return ""


MAX_LINK_HOPS = 40  # links followed in a row, as the kernel does; more is a loop


def _proc_device() -> int | None:
    try:
        return os.stat("/proc").st_dev if os.path.ismount("/proc") else None
    except OSError:
        return None


def link_end(path: str | Path, *, proc_ok: bool = False) -> tuple[int | None, str]:
    """Where the symbolic link ``path`` leads: ``(st_mode, "")`` of what is at its end, or
    ``(None, phrase)`` when it leads nowhere a file could be: "a loop of links", "a link
    to '/gone', which does not exist", "a link to a process's open file" (a link in
    ``/proc``, such as ``/dev/stdout``, whose text does not say where it leads; followed
    like any other when ``proc_ok``)."""
    proc = None if proc_ok else _proc_device()
    hop = str(path)
    for _ in range(MAX_LINK_HOPS):
        try:
            st = os.lstat(hop)
        except OSError:
            break
        if not stat.S_ISLNK(st.st_mode):
            return st.st_mode, ""
        if proc is not None and st.st_dev == proc:
            return None, "a link to a process's open file"
        try:
            hop = os.path.join(os.path.dirname(hop), os.readlink(hop))
        except OSError as exc:
            return None, f"a link that cannot be followed ({exc.strerror or exc})"
    else:
        return None, "a loop of links"
    try:
        return os.stat(path).st_mode, ""
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            return None, "a loop of links"
        try:
            text = os.readlink(path)
        except OSError:
            text = str(hop)
        return None, f"a link to {quoted(text)}, which does not exist"


def collapse_dotdot(path: str | Path) -> Path:
    """``path`` with each ``NAME/..`` taken out where NAME is a folder or is not there yet
    (``a/../out.mp3`` is ``out.mp3``), the one rule for an output's name: writing it made
    the folder ``a`` only to step out of it, and left it behind, empty. Where NAME is a
    symbolic link (``..`` is then beside where it leads) or a file, the name is kept as
    given, for the system to follow or refuse."""
    parts: list[str] = []
    for part in Path(path).parts:
        before = os.path.join(*parts) if parts else ""
        if part == ".." and parts and parts[-1] != ".." and before != os.sep:
            if not os.path.lexists(before) or (os.path.isdir(before) and not os.path.islink(before)):
                parts.pop()
                continue
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def folders_made(folder: str | Path) -> list[Path]:
    """The folders ``folder.mkdir(parents=True)`` would make, deepest first (call it before)."""
    there = nearest_existing(folder)
    return [p for p in (Path(folder), *Path(folder).parents) if p != there and there in p.parents]


def remove_empty(folders: list[Path]) -> None:
    """Remove each folder of :func:`folders_made`, deepest first, while it is empty: a
    command that failed leaves no folder it made and put nothing into."""
    for folder in folders:
        try:
            folder.rmdir()  # only when empty
        except (FileNotFoundError, ValueError):
            continue  # never made (the command failed before): the folders above may have been
        except OSError as exc:
            import errno

            if exc.errno == errno.ENAMETOOLONG:  # could never be made
                continue
            break


def folder_problem(folder: str | Path) -> str:
    """'' when ``folder`` is a folder or could be made one (what stands in its way is
    absent); else a phrase naming what is in the way: "'out' is a named pipe, not a
    folder", "'out' is a link to '/gone', which does not exist"."""
    name = name_problem(folder)
    if name:
        return name
    probe = nearest_existing(folder)
    try:
        st = os.lstat(probe)
    except (OSError, ValueError) as exc:  # EACCES, ENAMETOOLONG: the reason, in the system's words
        return f"{quoted(probe)} cannot be used: {getattr(exc, 'strerror', None) or exc}"
    mode, problem = link_end(probe, proc_ok=True) if stat.S_ISLNK(st.st_mode) else (st.st_mode, "")
    if mode is None:
        return f"{quoted(probe)} is {problem}"
    if not stat.S_ISDIR(mode):
        return f"{quoted(probe)} is {kind_name(mode)}, not a folder"
    return ""


OUTPUT_HINT = "choose another folder with -o"


def require_folder(folder: str | Path, hint: str = OUTPUT_HINT) -> None:
    """RenderError "cannot use the output folder: WHY (HINT)" unless ``folder`` is a folder
    or could be made one (:func:`folder_problem`). Every command that writes into an output
    folder calls this before it does any work, so a pipe, a file, a device or a broken link
    where the folder goes is refused first, and in the same words."""
    from matcue.core.errors import RenderError

    why = folder_problem(folder)
    if why:
        raise RenderError(f"cannot use the output folder: {why} ({hint})")


def require_parent(path: str | Path, hint: str) -> None:
    """MatcueError unless the folder ``path`` is written into is a folder: what stands in
    its way ("cannot write 'd/x.svg': 'd' is a loop of links (HINT)", a file, a pipe, a name
    too long), or "the folder 'd' does not exist (create it first, or HINT)"; a name in
    ``path`` longer than the system takes is said first. Every option
    naming a file matcue writes (``script --svg``, ``new -o``) is checked here before the
    command does any work."""
    from matcue.core.errors import MatcueError

    too_long = name_problem(path)  # a name in it longer than the system takes
    if too_long:
        raise MatcueError(f"{too_long} ({hint})")
    folder = Path(path).parent
    problem = folder_problem(folder)
    if problem:
        raise MatcueError(f"cannot write {quoted(path)}: {problem} ({hint})")
    if not folder.is_dir():
        raise MatcueError(f"the folder {quoted(folder)} does not exist (create it first, or {hint})")


def _kind_problem(mode: int, what: str) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return f"is {kind_name(mode)}, not {what}"


def open_regular(path: str | Path, what: str = "a file", *, follow: bool = True) -> int:
    """A read-only descriptor of ``path`` when it is a regular file; :class:`Unreadable` otherwise.

    The kind is checked before opening (a pipe is never opened) and again on the open
    descriptor (a pipe swapped in between cannot block: the open is non-blocking).
    ``what`` names what the file should be, for the message ("a routine file").
    ``follow=False`` is for a file matcue wrote itself (a speech cache entry): a symbolic
    link there is not one of its files, so it is refused ("is a link"), never followed.
    """
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL in the path
        raise Unreadable("does not exist", missing=True) from None
    except OSError as e:
        raise Unreadable(f"cannot be read: {e.strerror or e}") from None
    problem = _kind_problem(st.st_mode, what)
    if problem:
        raise Unreadable(problem)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)  # a link swapped in after the lstat: ELOOP
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise Unreadable("does not exist", missing=True) from None
    except OSError as e:
        raise Unreadable(f"cannot be read: {e.strerror or e}") from None
    problem = _kind_problem(os.fstat(fd).st_mode, what)
    if problem:
        os.close(fd)
        raise Unreadable(problem)
    return fd


def byte_place(data: bytes, pos: int) -> str:
    """``LINE:COLUMN`` (1-based) of the byte ``pos`` of ``data``: where a decoding error is."""
    line = data.count(b"\n", 0, pos) + 1
    column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"{line}:{column}"


def size_text(n: int) -> str:
    """Bytes as a message shows a limit: "5 MB", "20 MB", "800 kB"; a size between whole
    megabytes to the tenth, rounded up ("1.1 MB"), so a file just over a limit never reads
    as the limit itself ("is 1 MB; at most 1 MB")."""
    if n >= 1_000_000:
        return f"{n // 1_000_000} MB" if n % 1_000_000 == 0 else f"{-(-n // 100_000) / 10:g} MB"
    return f"{-(-n // 1000)} kB"


def read_bounded(path: str | Path, limit: int, what: str = "a file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (:class:`Unreadable`
    when it is not a regular file, cannot be read or holds more than ``limit`` bytes).

    The limit is applied to what is read, not to the size the file claims; a file larger
    than the limit by its stated size is refused unread.
    """
    fd = open_regular(path, what)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise Unreadable(f"is {size_text(size)}; at most {size_text(limit)} is read", size=size)
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise Unreadable(f"cannot be read: {e.strerror or e}") from None
    if len(data) > limit:
        raise Unreadable(f"is larger than {size_text(limit)}; at most {size_text(limit)} is read", size=len(data))
    return data


__all__ = [
    "Outside",
    "Unreadable",
    "base_folder",
    "byte_place",
    "confine",
    "folder_problem",
    "folders_made",
    "nearest_existing",
    "path_text",
    "quoted",
    "inside",
    "kind_name",
    "lies_inside",
    "real_path",
    "link_end",
    "name_problem",
    "not_found",
    "open_regular",
    "outside_hint",
    "read_bounded",
    "remove_empty",
    "require_folder",
    "require_parent",
    "shown_folder",
    "size_text",
]
