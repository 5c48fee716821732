"""Temporary files that say whether their writer is alive, and files written as one unit.

Every temporary file matcue writes next to an output (``.NAME.partial-XXXX``,
``.NAME.XXXX.tmp``) is created here and holds an exclusive ``flock`` for as long as its
writer has it open. The kernel drops the lock when the process ends, however it ends
(``kill -9`` included), so :func:`is_stale` tells a leftover of a dead process from a file
another render is still writing, and :func:`sweep` removes only the former. A render
sweeps its own target's leftovers before it writes; ``matcue doctor --fix`` sweeps the
output folder and the speech cache.

:class:`Unit`: a track and its sidecars (captions, chapters) are staged as locked
temporary files and moved into place together only once every one of them is written:
a full disk or an interruption leaves the earlier files as they were and no new one.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; leftovers are judged by age
    fcntl = None  # type: ignore[assignment]

STALE_WITHOUT_LOCKS_S = 24 * 3600  # where locks do not exist, a temporary file this old is a leftover

_held: dict[str, int] = {}  # temporary path -> the descriptor that holds its lock


def check_replaceable(target: Path) -> None:
    """RenderError unless ``target`` is absent, a regular file or a symbolic link that
    leads to a regular file: matcue replaces its outputs by renaming a finished file over
    them, and must never do that to a folder, a device (``/dev/full``), a named pipe or a
    socket that happens to have the output's name, nor to a link that leads to one (or
    nowhere, or round in a loop, or to a process's open file such as ``/dev/stdout``):
    the rename would replace the link, and what it stands for, with a file. Every atomic
    write checks its target here first."""
    from matcue.core.errors import RenderError
    from matcue.core.paths import kind_name, link_end, quoted

    try:
        st = os.lstat(target)
    except OSError:
        return  # absent (or unreadable: the write itself will say so)
    if stat.S_ISREG(st.st_mode):
        return
    if stat.S_ISLNK(st.st_mode):
        mode, problem = link_end(target)
        if mode is not None and stat.S_ISREG(mode):
            return
        what = problem if mode is None else f"a link to {kind_name(mode)}"
    else:
        what = kind_name(st.st_mode)
    raise RenderError(
        f"{quoted(public_path(target))} is {what}, not a file matcue may replace (move it away, or write elsewhere)"
    )


def create_temp(target: Path, kind: str = "partial", into: list[Path] | None = None) -> Path:
    """A new, empty, locked hidden file beside ``target``: ``.NAME.partial-XXXXXXXX``
    (``kind`` "partial") or ``.NAME.XXXXXXXX.tmp`` (``kind`` "tmp"). OSError when the
    folder cannot be written. :func:`release` (or :func:`discard`) ends the lock.

    ``into``: the list of files its caller will discard, which gets the name before the
    file exists, so an interrupt at any instant leaves no file the caller does not know of."""
    check_replaceable(target)
    folder = target.parent
    for _ in range(100):
        token = secrets.token_hex(4)
        name = f".{target.name}.partial-{token}" if kind == "partial" else f".{target.name}.{token}.tmp"
        candidate = folder / name
        _held[str(candidate)] = -1  # known before it exists: an interrupt anywhere here leaves it to discard_all
        if into is not None:
            into.append(candidate)
        try:
            fd = os.open(candidate, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:  # not made: another's name, or the folder refused it
            del _held[str(candidate)]
            if into is not None:
                into.remove(candidate)
            if isinstance(exc, FileExistsError):
                continue
            raise
        _held[str(candidate)] = fd
        lock_fd(fd)
        return candidate
    raise FileExistsError(f"cannot create a temporary file in {shown_file(folder)}")


STAGE_PREFIX = ".pack.partial-"  # a folder built whole, then moved into its parent (a pack)


def why_not_written(exc: OSError) -> str:
    """Why a write failed, in words: "the disk is full", "larger than this system lets a
    file grow" (File too large), or the system's own reason."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.EFBIG:
        return "larger than this system lets a file grow"
    return exc.strerror or str(exc)


def target_of(path: Path) -> Path | None:
    """The file a temporary name made by :func:`create_temp` stands in for
    (``.NAME.partial-XXXXXXXX`` or ``.NAME.XXXXXXXX.tmp`` -> ``NAME``), else None."""
    import re

    m = re.fullmatch(r"\.(.+)\.(?:partial-[0-9a-f]{8}|[0-9a-f]{8}\.tmp)", Path(path).name)
    return Path(path).with_name(m.group(1)) if m else None


def public_path(path: Path) -> Path:
    """``path`` as the user knows it: a temporary file is the file it stands in for, and
    a file in a staging folder (``STAGE_PREFIX`` + ``XXXX``) is where it is moved to. A
    message never shows our temporary names."""
    p = target_of(Path(path)) or Path(path)
    return Path(*[part for part in p.parts if not part.startswith(STAGE_PREFIX)])


def shown_file(path: Path) -> str:
    """``path`` as a message shows it: :func:`public_path` (never a temporary name), quoted
    as every message quotes a path (:func:`matcue.core.paths.quoted`: ``'out/x.mp3'``, a
    line break or an escape code escaped, a very long path cut in the middle)."""
    from matcue.core.paths import quoted

    return quoted(public_path(path))


def failure_text(exc: BaseException, path: Path) -> str:
    """Why writing ``path`` failed, for a message: an OSError's reason
    (:func:`why_not_written`), else the error's text with ``path`` in it (quoted or not)
    shown as :func:`shown_file` shows it: the file a temporary name stands for, quoted (a
    tagging library names the file it was given)."""
    if isinstance(exc, OSError) and exc.strerror:
        return why_not_written(exc)
    text, name = str(exc), str(path)
    for written in (f"'{name}'", f'"{name}"', name):
        text = text.replace(written, shown_file(path))
    return text


def lock_fd(fd: int) -> None:
    """Hold an exclusive lock on the open file ``fd`` until it is closed (a no-op where
    ``flock`` does not exist)."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def release(path: Path) -> None:
    """Drop the lock of a temporary file made by :func:`create_temp` (renamed or deleted)."""
    fd = _held.pop(str(path), None)
    if fd is not None and fd >= 0:
        os.close(fd)


def discard(path: Path) -> None:
    """Delete a temporary file made by :func:`create_temp` and drop its lock."""
    try:
        Path(path).unlink(missing_ok=True)
    finally:
        release(path)


def discard_all() -> None:
    """Delete every temporary file this process made and has neither renamed nor deleted:
    what an interrupted command does on its way out, whatever instant the interrupt hit
    (between making a file and handing it to the code that would have cleaned it up)."""
    for path in list(_held):
        try:
            discard(Path(path))
        except OSError:
            pass


def is_stale(path: Path) -> bool:
    """Whether ``path`` is a regular file no live process holds (a leftover). Never opens a
    FIFO or a device for reading, so it never blocks."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if str(path) in _held:
        return False
    if fcntl is None:  # pragma: no cover - Windows
        import time

        return time.time() - st.st_mtime > STALE_WITHOUT_LOCKS_S
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a live writer holds it
    finally:
        os.close(fd)
    return True


def leftovers(folder: Path, target_name: str = "*") -> list[Path]:
    """Temporary files in ``folder`` (of ``target_name``, or of any file) that no live
    process holds."""
    patterns = (f".{target_name}.partial-*", f".{target_name}.*.tmp" if target_name != "*" else ".*.tmp")
    found: dict[Path, None] = {}
    for pattern in patterns:
        for p in sorted(Path(folder).glob(pattern)):
            if is_stale(p):
                found[p] = None
    return list(found)


def stale_folders(folder: Path, prefix: str) -> list[Path]:
    """Staging folders ``prefix*`` in ``folder`` (a pack's ``.pack.partial-XXXX``) that no
    live process holds: none of the locked temporary files inside is held."""
    found = []
    for d in sorted(Path(folder).glob(f"{prefix}*")):
        if not d.is_dir() or d.is_symlink():
            continue
        locks = [p for p in d.glob(".*.partial-*") if p.is_file()]
        if all(is_stale(p) for p in locks):
            found.append(d)
    return found


def remove_folders(folders: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Delete each folder with what it holds: (deleted, [(folder, why not)])."""
    import shutil

    deleted: list[Path] = []
    failed: list[tuple[Path, str]] = []
    for d in folders:
        try:
            shutil.rmtree(d)
            deleted.append(d)
        except OSError as exc:
            failed.append((d, exc.strerror or str(exc)))
    return deleted, failed


def sweep(folder: Path, target_name: str = "*") -> tuple[list[Path], list[tuple[Path, str]]]:
    """Delete the leftovers of :func:`leftovers`: (deleted, [(path, why not)])."""
    return delete_all(leftovers(folder, target_name))


def delete_all(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Delete each path (a file, or an empty folder: a folder's contents are not ours to
    judge): (deleted, [(path, why not)])."""
    deleted: list[Path] = []
    failed: list[tuple[Path, str]] = []
    for p in paths:
        try:
            if p.is_dir() and not p.is_symlink():
                p.rmdir()
            else:
                p.unlink()
            deleted.append(p)
        except OSError as exc:
            failed.append((p, exc.strerror or str(exc)))
    return deleted, failed


class Unit:
    """Files that appear together or not at all: stage each, then :meth:`commit`.

    Staged files are locked temporary files beside their targets. :meth:`commit` moves
    them into place (the first staged last, so a track's sidecars are in place when the
    track appears); :meth:`abort` deletes whatever is staged and not committed. An OSError
    while staging names the target it was for (``filename``)."""

    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path]] = []  # (temporary, target)
        self.made: list[Path] = []  # every temporary file made, named before it exists

    def stage(self, target: Path) -> Path:
        """A locked temporary file for ``target`` (empty; the caller writes it)."""
        try:
            tmp = create_temp(Path(target), "partial", into=self.made)
        except OSError as exc:
            raise _named(exc, target) from exc
        self.staged.append((tmp, Path(target)))
        return tmp

    def stage_bytes(self, target: Path, data: bytes) -> Path:
        """Stage ``target`` with ``data`` written and synced."""
        tmp = self.stage(target)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise _named(exc, target) from exc
        return tmp

    def commit(self) -> None:
        """Move every staged file into place, then sync the folders (every target is
        checked first, so a folder in the way moves none of them)."""
        for _, target in self.staged:
            check_replaceable(target)
        folders: dict[Path, None] = {}
        for tmp, target in reversed(self.staged):
            os.replace(tmp, target)
            release(tmp)
            folders[target.parent] = None
        self.staged, self.made = [], []
        for folder in folders:
            fsync_dir(folder)

    def abort(self) -> None:
        """Delete every staged file not committed (and one an interrupt cut off before it
        was staged)."""
        for tmp in self.made:
            discard(tmp)
        self.staged, self.made = [], []


def _named(exc: OSError, target: Path) -> OSError:
    out = OSError(exc.errno, exc.strerror or str(exc))
    out.filename = str(target)
    return out


def fsync_dir(folder: Path) -> None:
    """Sync a folder's entries (a rename's durability); silently skipped where refused."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Sync a written file's contents to disk (before it is moved into place)."""
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def publish(tmp: Path, target: Path) -> Path:
    """Move a finished temporary file beside ``target`` into place, durably: the file is
    synced, replaces ``target`` (atomic: same folder), then the folder is synced."""
    fsync_file(tmp)
    os.replace(tmp, target)
    fsync_dir(target.parent)
    return target


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to a temporary file, then move it into place."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a locked temporary file beside it (:class:`Unit`)."""
    unit = Unit()
    try:
        unit.stage_bytes(path, data)
        unit.commit()
    finally:
        unit.abort()  # nothing left to abort once committed
