"""Starter routines for ``matcue new``: the templates in ``matcue/starters/*.yaml``.

Each template starts with the ``# yaml-language-server`` modeline and a comment line
saying what it is (shown by ``matcue new --list``). To add a template, add a YAML file
there: a test checks and renders every one.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from matcue.core import atomic
from matcue.core.errors import MatcueError

DEFAULT_TEMPLATE = "blank"


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    summary: str  # the first comment line after the modeline
    text: str


def templates() -> list[Template]:
    """Every template, by name."""
    out = []
    folder = resources.files("matcue.routine") / "starters"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        text = entry.read_text(encoding="utf-8")
        comments = [line[1:].strip() for line in text.splitlines()[1:3] if line.startswith("#")]
        out.append(Template(entry.name.removesuffix(".yaml"), comments[0] if comments else "", text))
    return out


def template(name: str) -> Template:
    import difflib

    known = {t.name: t for t in templates()}
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else "see 'matcue new --list'"
    raise MatcueError(f"no template named {name!r}: the templates are {', '.join(known)} ({hint})")


def new_routine(name: str, target: str | os.PathLike[str]) -> Path:
    """Write template ``name`` to ``target``; never overwrite a file, never leave a partial one."""
    t = template(name)
    path = Path(target)
    folder = path.parent
    from matcue.core.paths import quoted, require_parent  # quoted: a line break in the name shown escaped

    exists = f"{quoted(path)} already exists: not overwritten (choose another name with -o)"
    if path.exists() or path.is_symlink():
        raise MatcueError(exists)
    require_parent(path, "choose another -o")  # a pipe, a file or a loop where the folder goes
    try:  # locked and named as every temporary file is, so 'doctor --fix' knows a leftover
        tmp = atomic.create_temp(path, "tmp")
    except OSError as e:
        raise MatcueError(f"cannot write into the folder {quoted(folder)}: {atomic.why_not_written(e)}") from None
    try:
        try:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(t.text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:  # a full disk, a file size limit: nothing is left, the reason is said
            raise MatcueError(f"could not write {quoted(path)}: {atomic.why_not_written(e)}") from None
        try:
            os.link(tmp, path)  # fails if the name was taken meanwhile: no overwrite, ever
        except FileExistsError:
            raise MatcueError(exists) from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise MatcueError(f"could not write {quoted(path)}: {atomic.why_not_written(e)}") from None
            # a filesystem without hard links: exclusive create, then the content
            try:
                with open(path, "x", encoding="utf-8", newline="\n") as out:
                    out.write(t.text)
            except FileExistsError:
                raise MatcueError(exists) from None
            except OSError as e2:
                Path(path).unlink(missing_ok=True)
                raise MatcueError(f"could not write {quoted(path)}: {atomic.why_not_written(e2)}") from None
    finally:
        atomic.discard(tmp)
    return path
