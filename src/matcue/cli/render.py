"""``matcue render``: each routine to a track, or a track per person of a roster."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from matcue.cli.authoring import preview_options
from matcue.cli.boundary import fail
from matcue.cli.common import (
    Progress,
    StatusLine,
    check_set,
    echo,
    echo_recordings,
    inputs_first,
    load_people,
    reading_roster,
)
from matcue.cli.options import (
    format_options,
    gathers_settings,
    mix_options,
    output_options,
    parse_scheduler,
    profile_option,
    recordings_option,
    roster_option,
    safety_options,
    tailoring_options,
    workers_option,
)
from matcue.cli.pathoptions import RoutinePath, output_folder
from matcue.core.durations import format_ms
from matcue.core.errors import MatcueError, printable_name
from matcue.core.paths import path_text
from matcue.settings import Settings


@click.command()
@click.argument("routines", nargs=-1, required=True, type=RoutinePath())
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(),  # a file there: "cannot use the output folder" (exit 1)
    callback=output_folder,  # an empty name is a usage error (a Path('') would be '.')
    default=Path("audio_out"),
    show_default=True,
    help="Folder for the MP3 files.",
)
@tailoring_options
@safety_options
@mix_options
@format_options
@output_options()
@recordings_option
@profile_option
@roster_option
@workers_option
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    callback=lambda ctx, param, value: parse_scheduler(value),
    help="Render the tracks on a Dask distributed cluster, e.g. tcp://host:8786 (pip install 'matcue[dask]').",
)
@preview_options
@gathers_settings
def render(
    routines: tuple[Path, ...],
    profile_paths: tuple[Path, ...],
    roster: Path | None,
    workers: int | None,
    scheduler: str | None,
    settings: Settings,
) -> None:
    """Render each ROUTINE to OUTPUT/<slug-of-title>.mp3 and print its path and length.

    Titles that give the same file name get -2, -3... in the order given.
    With --profile or --roster: one track per person, OUTPUT/<routine>--<person>.mp3, and a
    summary table (person, length, file)."""
    from matcue.api import render_routine, track_stems

    check_set(routines, settings)
    if profile_paths or roster or scheduler:
        if not (profile_paths or roster):
            raise click.UsageError("--scheduler renders a roster: give --roster or --profile")
        people = load_people(profile_paths, roster, settings.allow_outside)
        inputs_first(routines, people, settings)
        _render_people(routines, people, reading_roster(settings, roster), workers, scheduler)
        return
    failed = 0
    stems = (
        track_stems(routines, allow_outside=settings.allow_outside, given=settings.given())
        if len(routines) > 1
        else [None]
    )
    for r, stem in zip(routines, stems):
        show = Progress(str(r)) if sys.stderr.isatty() else None
        try:
            result = render_routine(r, settings, progress=show, name=stem)
        except MatcueError as e:
            if not e.located:  # not about this routine (a missing tool): the command stops
                raise
            if show:
                show.clear()
            for line in e.located:  # its located problem lines (a routine's, its recordings')
                echo(line, err=True)
            failed += 1
            continue
        finally:
            if show:
                show.clear()
        if result.built is not None:
            echo_recordings(result.built)
        echo(f"{path_text(result.path)}\t{format_ms(result.total_ms)}")
    if failed:
        raise click.exceptions.Exit(fail(f"{failed} routine{'s' if failed != 1 else ''} not rendered"))


def _render_people(
    routines: Sequence[Path], people: list[Any], settings: Settings, workers: int | None, scheduler: str | None
) -> None:
    """render --profile/--roster: every track, one progress line, then the summary table."""
    from matcue.api import track_stems
    from matcue.batch import render_for_people

    show = _RosterProgress() if sys.stderr.isatty() else None
    results = []
    # two routines whose titles slug alike: the second's people get '<slug>-2--<person>'
    stems = (
        track_stems(routines, allow_outside=settings.allow_outside, given=settings.given())
        if len(routines) > 1
        else [None]
    )
    unloaded = 0  # routines that did not load: the others are rendered, as without a roster
    for r, stem in zip(routines, stems):
        try:
            results += render_for_people(
                r, people, settings, workers=workers, scheduler=scheduler, progress=show, stem=stem
            )
        except MatcueError as e:  # a routine that does not load (its located problems): the others go on
            if len(routines) == 1 or not e.located:
                raise
            for line in e.located:
                echo(line, err=True)
            unloaded += 1
        finally:
            if show:
                show.clear()
    for res in results:
        for line in res.errors:
            echo(line, err=True)
    if results:
        echo(format_roster_table(results), nl=False)
    failed = sum(1 for res in results if not res.ok)
    said = [f"{unloaded} routine{'s' if unloaded != 1 else ''} not rendered"] if unloaded else []
    if failed:
        said.append(f"{failed} of {len(results)} track{'s' if len(results) != 1 else ''} not rendered")
    if said:
        raise click.exceptions.Exit(fail("; ".join(said)))


def format_roster_table(results: list[Any]) -> str:
    """The summary table: person, length, file (or 'not rendered')."""
    rows = [("person", "length", "file")]
    for res in results:
        if res.ok:  # a person's name comes from a file name: a line break in it would forge a row
            rows.append((printable_name(res.person), format_ms(res.total_ms), path_text(_shown_path(res.path))))
        else:
            rows.append((printable_name(res.person or "?"), "-", "not rendered"))
    from matcue.core.text import columns, pad

    widths = [max(columns(r[i]) for r in rows) for i in range(2)]  # a name in CJK takes two columns a character
    return "".join(f"{pad(r[0], widths[0])}  {pad(r[1], widths[1], right=True)}  {r[2]}\n" for r in rows)


def _shown_path(path: str) -> str:
    """A path relative to the current folder when it is inside it."""
    import os

    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class _RosterProgress(StatusLine):
    """One progress line for a roster: tracks done of all, and the last one finished."""

    def __call__(self, done: int, total: int, result: Any) -> None:
        state = "done" if result.ok else "failed"
        self.show(f"rendering tracks: {done}/{total} ({result.person} {state})")
