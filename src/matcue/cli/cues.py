"""``matcue cues``: the recording list of a routine (the phrases to record, their ids and limits)."""

from __future__ import annotations

from pathlib import Path

import click

from matcue.cli.common import check_set, echo
from matcue.cli.options import gathers_settings, recordings_option, safety_options, tailoring_options
from matcue.cli.pathoptions import RoutinePath, output_folder
from matcue.core.errors import MatcueError, printable
from matcue.settings import Settings


@click.command()
@click.argument("routine", type=RoutinePath())
@tailoring_options
@safety_options
@recordings_option
@click.option("--csv", "as_csv", is_flag=True, help="Print the list as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.option(
    "--page",
    "page_dir",
    type=click.Path(),  # a file there: "cannot use the output folder" (exit 1)
    callback=output_folder,  # an empty name is a usage error (a Path('') would be '.')
    metavar="DIR",
    help="Also write an offline recording page into DIR: record each phrase in the browser, save a zip of clips.",
)
@gathers_settings
def cues(routine: Path, as_csv: bool, as_json: bool, page_dir: Path | None, settings: Settings) -> None:
    """List every phrase ROUTINE speaks, to record in your own voice.

    Each phrase has a stable id (from its text: a clip named <id>.m4a, .mp3, .wav... in the
    routine's 'recordings:' folder stands in for it), where it is used, and the longest a
    recording may last without running past its place ('any' between holds). The tailoring
    options choose the session, as for render."""
    from matcue.cues import cue_list, to_csv, to_json, to_table, write_page

    if as_csv and as_json:
        raise click.UsageError("give --csv or --json, not both")
    check_set((routine,), settings)
    if page_dir is not None:  # before the list is printed: a pipe or a file where the folder goes
        from matcue.core.paths import folder_problem

        problem = folder_problem(page_dir)
        if problem:
            raise MatcueError(f"cannot write the recording page: {problem}")
    cl = cue_list(routine, settings)
    for w in cl.warnings:
        click.echo(f"warning: {printable(w)}", err=True)
    if as_json:
        click.echo(to_json(cl), nl=False)  # JSON escapes control characters itself
    else:
        echo(to_csv(cl) if as_csv else to_table(cl), nl=False)
    if page_dir is not None:
        from matcue.core.atomic import why_not_written
        from matcue.core.paths import folders_made, path_text, quoted, remove_empty

        made = folders_made(page_dir)
        try:
            path = write_page(cl, page_dir)
        except OSError as exc:  # a full disk: no page, and no empty folder of ours left
            remove_empty(made)
            why = why_not_written(exc)
            raise MatcueError(f"cannot write the recording page into {quoted(page_dir)}: {why}") from exc
        click.echo(f"recording page: {path_text(path)}", err=True)
