"""What the commands share: the ``--set`` checks, the progress lines and :func:`echo`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from matcue.core.errors import MatcueError, RoutineError, printable, printable_name, shown
from matcue.settings import Settings


def echo(text: str = "", **kwargs: Any) -> None:
    """``click.echo`` of a line made of file names and values: control and format characters
    (a terminal escape code in a file name) written escaped, as the error boundary does
    (:func:`matcue.core.errors.printable`). Every line a command prints goes through it,
    except JSON, which escapes them itself."""
    click.echo(printable(text), **kwargs)


def check_set(routines: Sequence[Path], settings: Settings) -> None:
    """``--set NAME=...`` for a name no routine uses is a usage error, not silently ignored."""
    if not settings.session.vars:
        return
    from matcue.api import unused_set_names

    names = [k for k, _ in settings.session.vars]
    unused = unused_set_names(routines, names, allow_outside=settings.allow_outside, given=settings.given())
    if unused:
        name, hint = unused[0]
        which = "the routine never uses" if len(routines) == 1 else "none of the routines uses"
        name = printable_name(name)  # a line break in the name is shown escaped, on the one line
        what = f"{{{name}}} cannot be set" if name in ("side", "other_side") else f"{which} {{{name}}}"
        raise click.BadParameter(f"{what} ({hint})", param_hint="'--set'")


def load_people(profile_paths: Sequence[Path], roster: Path | None, allow_outside: bool) -> list[Any]:
    """The profiles of ``--profile`` and ``--roster``, in order; one that does not load as its error."""
    from matcue.routine.profile import check_people, load_profile, load_roster

    check_people(len(profile_paths))  # before 1001 profiles are read
    people: list[Any] = []
    for path in profile_paths:
        try:
            people.append(load_profile(path))
        except RoutineError as e:
            people.append(e)
    if roster:
        people.extend(load_roster(roster, allow_outside=allow_outside, given=profile_paths))
        check_people(len(people))
    return people


def inputs_first(routines: Sequence[Path], people: list[Any], settings: Settings) -> None:
    """Input files before output: a routine that does not load (its located problems) and a
    ``--profile`` that does not load are said before an output folder that cannot be used
    stops the command, as a roster's problems are (read first), and as a single render says
    a routine's problems before its output's (:func:`matcue.api.build_timeline`'s ``ready``)."""
    from matcue.core.paths import require_folder
    from matcue.routine.loader import load_routine

    try:
        require_folder(settings.output.folder)
    except MatcueError:
        for routine in routines:
            try:
                load_routine(routine, allow_outside=settings.allow_outside, given=settings.given())
            except RoutineError as e:
                for line in e.located:
                    echo(line, err=True)
        for person in people:
            for line in person.located if isinstance(person, MatcueError) else ():
                echo(line, err=True)
        raise


def reading_roster(settings: Settings, roster: Path | None) -> Settings:
    """``settings`` with a roster file among what the command reads (no output may replace
    it); a folder of profiles adds nothing here: its profile files are each named."""
    if roster is None or roster.is_dir():
        return settings
    return replace(settings, also_read=(*settings.also_read, ("roster file", str(roster))))


class StatusLine:
    """One line of status on the terminal (stderr), rewritten in place and cleared at the end."""

    shown = False

    def show(self, text: str) -> None:
        sys.stderr.write(f"\r{printable_name(text)}\x1b[K")  # one line: a line break in a name is escaped
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


class Progress(StatusLine):
    """A one-line progress display of one render on the terminal (stderr)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, stage: str, done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        label = {"speech": "speaking cues", "tracks": "rendering tracks"}.get(stage, "mixing and encoding")
        self.show(f"{self.name}: {label} {pct:3d}%")


def refuse_control(value: str, option: str, shown: str = "") -> None:
    """A usage error for an option value holding a character no text may hold (the
    loader's rule, :func:`matcue.core.text.unsafe_char`): a control character, half of a
    character, a byte that is not UTF-8 (Python reads one as U+DC80-U+DCFF), a noncharacter."""
    from matcue.core.text import unsafe_char, unsafe_what

    bad = unsafe_char(value)
    if bad is not None:
        what = unsafe_what(bad)[0]
        raise click.BadParameter(f"{shown + ' ' if shown else ''}contains {what} (remove it)", param_hint=f"'{option}'")


def named(what: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """The click callback of every option that names something (``--backend``, ``--voice``,
    ``--skip``, ``--only``, ``--from``): an empty name (or only spaces) and a character no
    text may hold (:func:`refuse_control`) are usage errors naming the option, judged
    before any routine is read; None and a repeatable option's ``()`` stay as they are.
    Whether the name is one the routine has is the command's to say (exit 1)."""

    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        option = param.opts[-1] if param.opts else str(param.name)
        for v in value if isinstance(value, tuple) else (value,):
            if not isinstance(v, str):
                continue
            if not v.strip():
                raise click.BadParameter(f"expected {what}, got an empty name", param_hint=f"'{option}'")
            refuse_control(v, option, shown(v))
        return value

    return check


def voice_backend(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The click callback of ``--backend``: a name (:func:`named`) that is ``auto`` or a
    registered backend. Which backends exist is known without a routine, so an unknown one
    is a usage error (exit 2) with a did-you-mean, as every command says it."""
    named("a voice backend")(ctx, param, value)
    if value is not None:
        from matcue.voice.registry import AUTO, backend_names, unknown_backend_message

        if value != AUTO and value not in backend_names():
            raise click.BadParameter(unknown_backend_message(value), param_hint=f"'{param.opts[-1]}'")
    return value


def check_title(value: str, option: str) -> str:
    """``value`` if it may be a title, the rules a routine's ``title:`` follows: some
    visible text, no control character, one line, at most the length of one text."""
    from matcue.core.limits import LIMITS
    from matcue.core.text import blank_text, nothing_visible, without_silent

    refuse_control(value, option)
    if "\n" in value or "\r" in value:
        raise click.BadParameter("a title is one line: remove the line break", param_hint=f"'{option}'")
    if not value.strip():
        raise click.BadParameter("expected text, got an empty string", param_hint=f"'{option}'")
    if nothing_visible(value):
        raise click.BadParameter(blank_text(value), param_hint=f"'{option}'")
    if len(value) > LIMITS.text_chars:
        what = f"the title is {len(value)} characters long; at most {LIMITS.text_chars} are allowed"
        raise click.BadParameter(what, param_hint=f"'{option}'")
    return " ".join(without_silent(value).split())


def parse_set(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``--set NAME=VALUE`` pairs; a value of blank text (:func:`matcue.core.text.nothing_visible`),
    spaces only too, is refused as in a ``vars:`` value; an empty one (``--set name=``) leaves
    the name out of a cue, with the space or comma it leaves (:func:`matcue.core.text.close_gaps`)."""
    from matcue.core.text import blank_text, nothing_visible

    out = []
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {shown(v)}", param_hint="'--set'")
        refuse_control(v, "--set", shown(v))
        if val and nothing_visible(val):  # the loader's rule for a vars: value
            raise click.BadParameter(f"{key.strip()}: {blank_text(val)}", param_hint="'--set'")
        out.append((key.strip(), val))
    return tuple(out)


def echo_recordings(built: Any) -> None:
    """On stderr: the warnings about the teacher's recordings, and how many phrases they
    spoke (``render``, ``script``)."""
    rec = built.recordings
    if rec is None:
        return
    for w in rec.warnings:
        click.echo(f"warning: {printable(w)}", err=True)
    total = len(built.script.texts())
    click.echo(
        f"{len(rec.clips)} of {total} phrase{'s' if total != 1 else ''} from recordings, "
        f"{total - len(rec.clips)} synthesized",
        err=True,
    )
