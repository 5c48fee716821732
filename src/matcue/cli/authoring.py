"""Commands for writing routines: ``schema``, ``new``, and ``render --only/--from/--watch``.

Registered on the main group by :mod:`matcue.cli.main`; every command runs inside its one
error boundary. The work is done by :mod:`matcue.schema`, :mod:`matcue.routine.starters` and
:mod:`matcue.preview`.
"""

from __future__ import annotations

import difflib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcue.cli.common import echo, named
from matcue.cli.pathoptions import output_file, output_folder
from matcue.core.durations import format_ms
from matcue.core.errors import MatcueError, RoutineError, printable, shown
from matcue.core.paths import path_text
from matcue.settings import Settings


def _document(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from matcue.schema import DOCUMENT_TYPES

    if value is None or value in DOCUMENT_TYPES:
        return value
    close = difflib.get_close_matches(value, DOCUMENT_TYPES, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise click.BadParameter(f"no schema for {value!r}: the document types are {', '.join(DOCUMENT_TYPES)}{hint}")


@click.command(short_help="Print or write the JSON Schema of routines and profiles.")
@click.argument("document", required=False, callback=_document, metavar="[routine|profile]")
@click.option("--write", is_flag=True, help="Write the schema files into FOLDER instead of printing one.")
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(),  # a file there: "cannot use the output folder" (exit 1)
    callback=output_folder,  # an empty name is a usage error (a Path('') would be '.')
    metavar="FOLDER",
    default=Path("routines"),
    show_default=True,
    help="The folder --write writes into (the one that holds your routines).",
)
def schema(document: str | None, write: bool, folder: Path) -> None:
    """Print the JSON Schema (draft 2020-12) of a routine (the default) or a profile.

    With --write, write both schema files (or just the one named) into FOLDER,
    matcue-routine.schema.json and matcue-profile.schema.json, for editors that use yaml-language-server (VS Code's YAML
    extension, Neovim...): a routine whose first line is

      # yaml-language-server: $schema=matcue-routine.schema.json

    gets its keys completed and its mistakes underlined as you type."""
    from matcue.api import output_error
    from matcue.schema import DOCUMENT_TYPES, schema_text, write_schemas

    if not write:
        source = click.get_current_context().get_parameter_source("folder")
        if source == click.core.ParameterSource.COMMANDLINE:  # it was ignored: the schema went to stdout
            raise click.UsageError("-o is the folder --write writes into: add --write, or leave out -o")
        click.echo(schema_text(document or "routine"), nl=False)
        return
    if not folder.is_dir():
        from matcue.core.paths import folder_problem, quoted

        problem = folder_problem(folder)  # a pipe or a file there "does not exist" otherwise
        if problem:
            raise MatcueError(f"cannot write the schema files: {problem} (choose another folder with -o)")
        raise MatcueError(f"the folder {quoted(folder)} does not exist (create it, or choose another with -o)")
    try:
        written = write_schemas(folder, (document,) if document else DOCUMENT_TYPES)
    except OSError as e:
        raise output_error(e, folder) from e
    for path in written:
        echo(path_text(path))


@click.command(short_help="Start a routine from a template.")
@click.argument("template", required=False)
@click.option(
    "-o",
    "--output",
    callback=output_file,
    help="The file to write (default: TEMPLATE.yaml here). An existing file is never overwritten.",
)
@click.option("--list", "list_templates", is_flag=True, help="List the templates and what each is.")
def new(template: str | None, output: Path | None, list_templates: bool) -> None:
    """Write a starter routine from TEMPLATE (default: blank) and print its path.

    The templates: stretch (a sequence with sides), breathing (a breathing session),
    flow (reps synced to the breath, then a hold), blank (every kind of step, commented).
    Each starts with the yaml-language-server modeline for editors."""
    from matcue.routine.starters import DEFAULT_TEMPLATE, new_routine, templates
    from matcue.schema import SCHEMA_FILES

    known = templates()
    if list_templates and (template is not None or output is not None):  # they were ignored
        raise click.UsageError("--list lists the templates: give it no TEMPLATE and no -o")
    if list_templates:
        width = max(len(t.name) for t in known)
        for t in known:
            click.echo(f"{t.name:<{width}}  {t.summary}")
        return
    name = DEFAULT_TEMPLATE if template is None else template  # '' is no template (it wrote blank.yaml)
    if name not in {t.name for t in known}:
        names = [t.name for t in known]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise click.BadParameter(f"no template {name!r}: the templates are {', '.join(names)}{hint}")
    path = new_routine(name, output or Path(f"{name}.yaml"))
    echo(path_text(path))
    if not (path.parent / SCHEMA_FILES["routine"]).is_file():
        folder = path_text(path.parent)
        note = "note: for completion in your editor, write the schema beside it: matcue schema --write -o"
        echo(f"{note} {folder}", err=True)


# ----------------------------------------------------------------------------- render


def preview_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``render --only NAME``, ``--from NAME`` and ``--watch``: handled here, else ``f``."""

    @functools.wraps(f)
    def wrapper(*args: Any, only: tuple[str, ...], start: str | None, watch: bool, **kw: Any) -> Any:
        if not (only or start is not None or watch):
            return f(*args, **kw)
        return _preview(only, start, watch, kw)

    for d in reversed(
        [
            click.option(
                "--only", multiple=True, metavar="NAME", callback=named("the name of a section, step or chapter"),
                help="Render just this section, step or chapter (e.g. 'Pigeon (left)'; repeatable) "
                "into a preview file; a name the routine does not have is an error (exit 1), as for --skip.",
            ),
            click.option(
                "--from", "start", metavar="NAME", callback=named("the name of a section, step or chapter"),
                help="Render from this section, step or chapter to the end.",
            ),
            click.option(
                "--watch", is_flag=True,
                help="Render again each time a file the render read changes (the routine, its includes, cover, music, "
                "recordings, lexicon); Ctrl-C stops (exit 0).",
            ),
        ]
    ):  # fmt: skip
        wrapper = d(wrapper)
    return wrapper


def _preview(only: tuple[str, ...], start: str | None, watch: bool, kw: dict[str, Any]) -> None:
    from matcue.cli.common import check_set, echo
    from matcue.cli.options import settings_from
    from matcue.preview import watch as watch_files

    routines = kw["routines"]
    option = "--watch" if watch and not (only or start is not None) else ("--only" if only else "--from")
    if len(routines) != 1:
        raise click.UsageError(f"{option} takes exactly one ROUTINE")
    if only and start is not None:
        raise click.UsageError("give --only or --from, not both")
    if kw["profile_paths"] or kw["roster"] or kw["scheduler"]:
        raise click.UsageError(f"{option} renders one track: leave out --profile, --roster and --scheduler")
    settings = settings_from(kw)
    check_set(tuple(routines), settings)  # as render does
    run = functools.partial(_render_part, routines[0], only, start, settings, watching=watch)
    if not watch:
        run()
        return
    watch_files(run, lambda line: echo(line, err=True))


def _render_part(
    path: Path, only: tuple[str, ...], start: str | None, settings: Settings, *, watching: bool
) -> set[Path]:
    """Render once; print the file and its length, or (when watching) the problems. Returns
    the files the routine read."""
    from dataclasses import replace

    from matcue.api import render_routine
    from matcue.cli.common import Progress
    from matcue.plan.compile import resolve_level
    from matcue.plan.names import same_name
    from matcue.preview import files_of, select
    from matcue.routine.model import Routine

    skipped = [s.value for s in settings.session.skip]
    both = next(
        (n for n in (*only, *([start] if start is not None else [])) if any(same_name(n, s) for s in skipped)), None
    )
    if both is not None:  # it said "nothing to render: every step is left out ... or skipped"
        option = "--only" if both in only else "--from"
        raise click.UsageError(f"{option} {shown(both)} is also given to --skip: give the name to one of them")
    part: Callable[[Routine], Routine] | None = None
    if only or start is not None:
        part = lambda r: select(r, resolve_level(r, settings.session), only, start)  # noqa: E731
        # a part is a preview: drafted, no cover (--watch alone renders the session itself, in full)
        settings = replace(settings, output=replace(settings.output, cover=False, draft=True))
    show = Progress(str(path)) if sys.stderr.isatty() else None
    try:
        result = render_routine(path, settings, progress=show, select=part)
    except MatcueError as e:
        if not watching:
            raise
        if show:
            show.clear()
        for line in e.located or (printable(f"Error: {e}"),):  # as the error boundary says it
            click.echo(line, err=True)
        if e.located:
            n = len(e.located)
            click.echo(f"{n} problem{'s' if n != 1 else ''} found", err=True)
        return files_of(path, None, e.problems if isinstance(e, RoutineError) else (), settings)
    finally:
        if show:
            show.clear()
    assert result.built is not None
    from matcue.cli.common import echo_recordings

    echo_recordings(result.built)
    echo(f"{path_text(result.path)}\t{format_ms(result.total_ms)}")
    return files_of(path, result.built.routine, (), settings)


def register(group: click.Group) -> None:
    group.add_command(schema)
    group.add_command(new)
