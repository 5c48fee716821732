"""Hear a change at once: render part of a routine (``--only``, ``--from``) and re-render
when its files change (``--watch``).

:func:`select` is pure: it cuts a loaded routine down to the named sections, steps or
chapters (a chapter of a sided step is the step on that side), keeping the sections
around them, so what is rendered is what the full session plays there, with its real
holds, tones and voice. :func:`watch` polls the modification times of the routine and
every file it includes (no dependency, works on every filesystem).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from matcue.core.errors import MAX_PROBLEMS, Problem, RoutineError, shown
from matcue.plan.names import name_hint, same_name, step_name
from matcue.routine.model import SIDES, Pose, Routine, Section, Step, Timer
from matcue.settings import Settings

POLL_S = 0.5
MAX_NAMED = 12  # names a preview title lists; the rest are "..."
_SIDED = re.compile(r"(?P<name>.*\S)\s*\((?P<side>right|left)\)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Wanted:
    name: str  # a step or section name
    side: str | None  # a chapter of one side: "Pigeon (left)"
    given: str  # as typed

    @classmethod
    def parse(cls, given: str) -> Wanted:
        m = _SIDED.fullmatch(given)
        if m:
            return cls(m.group("name"), m.group("side").lower(), given)
        return cls(given, None, given)


def names_in(steps: Iterable[Step], level: str, sided: bool = False) -> list[str]:
    """Every name --only and --from accept at ``level``: steps, sections and their chapters
    (``Pigeon (left)`` for a step with sides or inside a section with sides)."""
    out: list[str] = []
    for step in steps:
        if step.levels is not None and level not in step.levels:
            continue
        name = step_name(step, level)
        has_sides = sided or getattr(step, "sides", None) is not None
        if name is not None:
            out.append(name)
            if has_sides:
                out += [f"{name} ({s})" for s in SIDES]
        if isinstance(step, Section):
            out += names_in(step.steps, level, has_sides)
    return list(dict.fromkeys(out))


def select(routine: Routine, level: str, only: tuple[str, ...] = (), start: str | None = None) -> Routine:
    """The routine cut down to the parts named by ``only`` (each kept where it is), or
    from ``start`` to the end. Raises RoutineError for a name the routine does not have."""
    if not only and start is None:
        return routine
    option = "--only" if only else "--from"
    names: tuple[str, ...] = tuple(dict.fromkeys(only)) or ((start,) if start is not None else ())
    wanted = [Wanted.parse(n) for n in names]
    known = names_in(routine.steps, level)
    problems: list[Problem] = []
    for w in wanted:
        if not any(same_name(w.given, n) for n in known):
            if len(problems) == MAX_PROBLEMS:  # 5000 names a routine does not have: 5000 lines
                problems.append(Problem(None, option, f"more than {MAX_PROBLEMS} problems; stopped looking"))
                break
            what = f"no section, step or chapter of {shown(routine.title)} is named {shown(w.given)}"
            problems.append(Problem(None, option, what, name_hint(w.given, known)))
    if problems:
        raise RoutineError(problems)
    if only:
        steps, _ = _keep_only(routine.steps, wanted, level)
    else:
        steps, _, _ = _keep_from(routine.steps, wanted[0], level)
    label = ", ".join(w.given for w in wanted[:MAX_NAMED])
    if len(wanted) > MAX_NAMED:  # the names left out still tell this preview's file from another's
        import hashlib

        tag = hashlib.sha256("\n".join(w.given for w in wanted).encode("utf-8", "surrogatepass")).hexdigest()[:6]
        label += f", ... {len(wanted) - MAX_NAMED} more, {tag}"
    title = f"{routine.title} (preview {'from ' if start else ''}{label})"
    return replace(routine, title=title, steps=steps)


def _hit(step: Step, wanted: list[Wanted], level: str) -> Wanted | None:
    if step.levels is not None and level not in step.levels:
        return None
    name = step_name(step, level)
    if name is None:
        return None
    return next((w for w in wanted if same_name(w.name, name)), None)


def _on_side(step: Step, side: str | None) -> tuple[Step, str | None]:
    """``step`` on one side when it has sides; else the side is for the section around it."""
    if side is None:
        return step, None
    if isinstance(step, (Pose, Timer, Section)) and step.sides is not None:
        return replace(step, sides=side), None
    return step, side


def _keep_only(steps: tuple[Step, ...], wanted: list[Wanted], level: str) -> tuple[tuple[Step, ...], str | None]:
    out: list[Step] = []
    side_for_outer: str | None = None
    for step in steps:
        w = _hit(step, wanted, level)
        if w is not None:
            kept, side = _on_side(step, w.side)
            out.append(kept)
            side_for_outer = side_for_outer or side
        elif isinstance(step, Section):
            inner, side = _keep_only(step.steps, wanted, level)
            if inner:
                kept, side = _on_side(replace(step, steps=inner), side)
                out.append(kept)
                side_for_outer = side_for_outer or side
    return tuple(out), side_for_outer


def _keep_from(steps: tuple[Step, ...], wanted: Wanted, level: str) -> tuple[tuple[Step, ...], bool, str | None]:
    for i, step in enumerate(steps):
        if _hit(step, [wanted], level) is not None:
            kept, side = _on_side(step, wanted.side)
            return (kept, *steps[i + 1 :]), True, side
        if isinstance(step, Section):
            inner, found, side = _keep_from(step.steps, wanted, level)
            if found:
                kept, side = _on_side(replace(step, steps=inner), side)
                return (kept, *steps[i + 1 :]), True, side
    return (), False, None


# ----------------------------------------------------------------------------- watching


def files_of(
    routine_path: str | os.PathLike[str],
    routine: Routine | None,
    problems: Iterable[Problem] = (),
    settings: Settings | None = None,
) -> set[Path]:
    """The files a render read, once each (by real path): what
    :func:`matcue.settings.command_reads` gathers for the routine and ``settings`` (the
    routine, its includes, cover, music and recordings, the project lexicon, a profile),
    a recordings folder with every clip in it; with problems, the files they are in (an
    include that just broke is still watched)."""
    from matcue.core.paths import real_path
    from matcue.settings import command_reads
    from matcue.voice.recordings import MAX_FILES

    named = [Path(p) for _, p in command_reads(routine, settings or Settings(), os.fspath(routine_path))]
    named += [Path(p.mark.path) for p in problems if p.mark is not None and not p.mark.path.startswith("<")]
    files: dict[str, Path] = {}
    for f in named:
        files.setdefault(real_path(f), f)
        if f.is_dir():  # a recordings folder: a clip changed, added or removed
            for clip in sorted(f.iterdir())[:MAX_FILES]:  # as many as the folder may hold
                if not clip.name.startswith(".") and not clip.is_dir():
                    files.setdefault(real_path(clip), clip)
    return set(files.values())


Stamp = tuple[int, int, int] | None


def stamps(files: Iterable[Path]) -> dict[Path, Stamp]:
    out: dict[Path, Stamp] = {}
    for f in files:
        try:
            st = f.stat()
            out[f] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            out[f] = None  # deleted (or unreadable): its return is a change too
    return out


def watch(
    run: Callable[[], set[Path]],
    say: Callable[[str], None],
    *,
    poll_s: float = POLL_S,
    rounds: int | None = None,
) -> int:
    """Call ``run`` (it renders, prints the outcome and returns the files to watch), then
    again each time one of those files changes, until Ctrl-C. Returns the exit status, 0.

    ``rounds``: stop after this many runs (for tests)."""
    done = 0
    try:
        files = run()
        done += 1
        seen = stamps(files)
        say(_watching(files))
        while rounds is None or done < rounds:
            time.sleep(poll_s)
            now = stamps(files)
            if now == seen:
                continue
            time.sleep(min(0.1, poll_s))  # let an editor finish writing
            changed = sorted(str(f) for f in files if now.get(f) != seen.get(f))
            gone = [str(f) for f in files if now.get(f) is None]
            say(f"changed: {', '.join(changed)}" + (f" (deleted: {', '.join(gone)})" if gone else ""))
            files = files | run()  # every file seen stays watched: a deleted or unreadable one, until it is back
            done += 1
            seen = stamps(files)
            say(_watching(files))
    except KeyboardInterrupt:
        say("stopped watching")
    return 0


def _watching(files: set[Path]) -> str:
    n = len(files)
    return f"watching {n} file{'s' if n != 1 else ''} (Ctrl-C stops)"
