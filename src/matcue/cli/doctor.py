"""``matcue doctor``: check the tools, voices, speech cache and output folder, say what to fix.

Each check gives one :class:`Check`: ok or a problem, and what to do about a problem.
A required check that fails means ``render`` cannot work here (exit 1).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from matcue.cli.boundary import EXIT_ERROR
from matcue.cli.common import echo
from matcue.cli.pathoptions import output_folder
from matcue.core.errors import MatcueError
from matcue.core.tools import have_ffmpeg


@dataclass(frozen=True, slots=True)
class Check:
    """One line of ``matcue doctor``: ``ok  name: detail`` or ``problem  name: detail (what to do)``."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = False

    def __str__(self) -> str:
        status = "ok" if self.ok else "problem"
        fix = f" ({self.fix})" if self.fix and not self.ok else ""
        need = " [required]" if self.required and not self.ok else ""
        return f"{status:<8} {self.name}: {self.detail}{fix}{need}"


def check_tools() -> list[Check]:
    """ffmpeg and ffprobe on PATH, the MP3 encoder ``render`` will use, and ``$MATCUE_JOBS``."""
    from matcue.audio.render import default_encoder, default_jobs

    try:
        encoder: str | None = default_encoder()
    except MatcueError as exc:
        encoder, bad_env = None, str(exc)
    out = []
    for tool in ("ffmpeg", "ffprobe"):
        exe = shutil.which(tool)
        needed = tool == "ffmpeg" and encoder == "ffmpeg"
        if exe:
            out.append(Check(tool, True, exe))
        else:
            what = "needed to encode MP3s" if needed else "used to read MP3s back (tests, probing)"
            out.append(Check(tool, False, f"not installed; {what}", "sudo apt-get install ffmpeg", required=needed))
    try:
        default_jobs()  # shown only when it is wrong
    except MatcueError as exc:
        out.append(Check("jobs", False, str(exc), "fix or unset MATCUE_JOBS", required=True))
    if encoder is None:
        out.append(Check("encoder", False, bad_env, "fix or unset MATCUE_ENCODER", required=True))
        return out
    detail = "LAME in this process (lameenc)" if encoder == "lame" else "ffmpeg (libmp3lame)"
    out.append(Check("encoder", encoder == "lame" or have_ffmpeg(), detail, "pip install lameenc"))
    return out


def check_voices() -> list[Check]:
    """Every registered backend's availability (the test-only ``fake`` left out), and auto's pick."""
    from matcue.voice.registry import backend_names, get_backend, load_report, resolve_auto, unavailable_reason

    out = []
    for name in backend_names():
        if name == "fake" or "~" in name:
            continue
        details: list[str] = []
        try:
            backend = get_backend(name)
            ok = backend.available()
            problem = "" if ok else unavailable_reason(backend, name)
            details = load_report(backend) if ok else []
        except MatcueError as exc:
            ok, problem = False, str(exc)
        except Exception as exc:  # a broken plugin must not break the doctor
            ok, problem = False, f"fails to load: {type(exc).__name__}: {exc}"
        loads = all("model loads: no" not in d for d in details)
        detail = "available" + (f" ({'; '.join(details)})" if details else "") if ok else problem
        out.append(Check(f"voice {name}", ok and loads, detail))
    try:
        picked = resolve_auto().name
        out.append(Check("voice auto", True, f"speaks with {picked}"))
    except MatcueError as exc:
        out.append(Check("voice auto", False, "no voice backend is installed", str(exc), required=True))
    return out


def _writable(folder: Path) -> str:
    """'' when a file can be created in ``folder`` (or in the parent that would hold it), else why not."""
    from matcue.core.paths import folder_problem, nearest_existing, quoted

    why = folder_problem(folder)
    if why:
        return why
    probe = nearest_existing(folder)
    try:
        fd, name = tempfile.mkstemp(prefix=".matcue-doctor-", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return f"cannot write into {quoted(probe)}: {exc.strerror or exc}"
    return ""


def check_cache(cache_dir: Path | None = None, fix: bool = False) -> list[Check]:
    """The speech cache folder is writable and every entry loads; ``fix`` deletes bad entries
    and temporary files left by a killed render."""
    from matcue.voice.cache import default_cache_dir, load_cached

    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    why = _writable(folder)
    from matcue.core.paths import path_text

    out = [
        Check("speech cache folder", not why, why or f"{path_text(folder)} is writable", "set MATCUE_CACHE_DIR", True)
    ]
    if not folder.is_dir():
        return out
    entries = sorted(folder.glob("*.npy"))
    # a folder, FIFO or device named like an entry is never opened (reading a FIFO blocks)
    odd = [p for p in entries if not _regular(p)]
    bad = odd + [p for p in entries if _regular(p) and load_cached(p) is None]
    leftovers = atomic_leftovers(folder)
    if fix:
        deleted, failed = _delete([*bad, *leftovers])
        gone = set(deleted)
        n_bad, n_tmp = sum(p in gone for p in bad), sum(p in gone for p in leftovers)
        detail = f"deleted {n_bad} corrupt entries and {n_tmp} temporary files"
        if failed:
            detail += f"; could not delete {_names(failed)}"
            out.append(Check("speech cache entries", False, detail, "delete them by hand"))
        else:
            out.append(Check("speech cache entries", True, detail))
    elif not bad and not leftovers:
        out.append(Check("speech cache entries", True, f"{len(entries)} entries, all load"))
    else:
        detail = f"{len(bad)} of {len(entries)} entries do not load" + (f" ({_names(bad)})" if bad else "")
        if leftovers:
            detail += f"; {len(leftovers)} temporary files left by an interrupted render"
        out.append(Check("speech cache entries", False, detail, "run 'matcue doctor --fix' to delete them"))
    return out


def _names(files: Sequence[Path | tuple[Path, str]]) -> str:
    """Up to three of ``files`` (paths, or (path, why not)) by name for a line, ", ..." when
    there are more; a name is written as path_text writes it, so a line break or an escape
    code in a file name cannot make a line of its own."""
    from matcue.core.paths import path_text

    def one(f: Path | tuple[Path, str]) -> str:
        return path_text(f.name) if isinstance(f, Path) else f"{path_text(f[0].name)} ({f[1]})"

    return ", ".join(one(f) for f in files[:3]) + (", ..." if len(files) > 3 else "")


def _regular(path: Path) -> bool:
    import stat

    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _delete(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    from matcue.core.atomic import delete_all

    return delete_all(paths)


def atomic_leftovers(folder: Path) -> list[Path]:
    """Temporary files in ``folder`` left by a process that is gone (:mod:`matcue.core.atomic`)."""
    from matcue.core.atomic import leftovers

    return leftovers(folder)


def check_output(out_dir: Path, fix: bool = False) -> list[Check]:
    """The output folder can be written; no temporary file of a killed render is left in
    it (``fix`` deletes them)."""
    from matcue.core.paths import path_text

    why = _writable(Path(out_dir))
    shown = path_text(out_dir)
    detail = why or (f"{shown} is writable" if Path(out_dir).is_dir() else f"{shown} can be created")
    out = [Check("output folder", not why, detail, "choose another folder with -o", True)]
    if not Path(out_dir).is_dir():
        return out
    from matcue.core.atomic import STAGE_PREFIX, remove_folders, stale_folders

    stages = stale_folders(Path(out_dir), STAGE_PREFIX)  # a killed pack's staging folder
    left = [*atomic_leftovers(Path(out_dir)), *stages]
    if not left:
        return out
    if not fix:
        what = f"{len(left)} temporary files left by an interrupted render ({_names(left)})"
        return [*out, Check("output leftovers", False, what, "run 'matcue doctor --fix' to delete them")]
    deleted, failed = _delete([p for p in left if p not in stages])
    gone, not_gone = remove_folders(stages)
    deleted, failed = [*deleted, *gone], [*failed, *not_gone]
    if failed:
        return [*out, Check("output leftovers", False, f"could not delete {_names(failed)}", "delete them by hand")]
    return [*out, Check("output leftovers", True, f"deleted {len(deleted)} temporary files")]


def run_doctor(out_dir: Path = Path("audio_out"), cache_dir: Path | None = None, fix: bool = False) -> list[Check]:
    """Every check, in the order ``matcue doctor`` prints them."""
    return [*check_tools(), *check_voices(), *check_cache(cache_dir, fix), *check_output(out_dir, fix)]


@click.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(),
    callback=output_folder,
    default=Path("audio_out"),
    show_default=True,
    help="The output folder to check.",
)
@click.option(
    "--fix", is_flag=True, help="Delete speech cache entries that do not load and temporary files a killed render left."
)
def doctor(out_dir: Path, fix: bool) -> None:
    """Check tools, voices, speech cache and output folder."""
    checks = run_doctor(out_dir, fix=fix)
    for c in checks:
        echo(str(c))
    failed = [c for c in checks if c.required and not c.ok]
    problems = [c for c in checks if not c.ok]
    if failed:
        click.echo(f"{len(failed)} required check{'s' if len(failed) != 1 else ''} failed", err=True)
        raise click.exceptions.Exit(EXIT_ERROR)
    click.echo(f"ready to render ({len(problems)} optional problem{'s' if len(problems) != 1 else ''})")
