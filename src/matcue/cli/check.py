"""``matcue check`` and ``matcue script``: a routine checked, or its timed script printed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from matcue.cli.boundary import fail
from matcue.cli.common import check_set, echo, echo_recordings
from matcue.cli.options import (
    gathers_settings,
    mix_options,
    must_exist,
    recordings_option,
    safety_options,
    tailoring_options,
)
from matcue.cli.pathoptions import RoutinePath, output_file_ending
from matcue.core.errors import printable
from matcue.core.paths import path_text
from matcue.core.text import to_json as to_json_text
from matcue.settings import Loading, Settings

if TYPE_CHECKING:
    from matcue.routine.model import Routine


@click.command()
@click.argument("routines", nargs=-1, required=True, type=RoutinePath())
@safety_options
@recordings_option
def check(routines: tuple[Path, ...], max_total_ms: int, allow_outside: bool, recordings: Path | None) -> None:
    """Validate routines and print every problem found.

    The teacher's recordings (--recordings, else a routine's 'recordings:') are checked too:
    each clip read, and refused where it does not fit its place."""
    from matcue.api import check_routine

    total = 0
    for r in routines:
        warnings: list[str] = []
        problems = check_routine(
            r,
            max_total_ms=max_total_ms,
            loading=Loading(allow_outside, recordings=recordings),
            warnings=warnings,
        )
        for w in warnings:
            click.echo(f"warning: {printable(w)}", err=True)
        for p in problems:
            click.echo(str(p), err=True)
        if not problems:
            click.echo(f"{path_text(r)}: ok")
        total += len(problems)
    if total:
        raise click.exceptions.Exit(fail(f"{total} problem{'s' if total != 1 else ''} found"))


@click.command()
@click.argument("routine", type=RoutinePath())
@tailoring_options
@safety_options
@mix_options
@recordings_option
@click.option("--json", "as_json", is_flag=True, help="Print the timed script as JSON.")
@click.option(
    "--svg", "svg_path", callback=output_file_ending(".svg", "an SVG picture"), metavar="FILE",
    help="Also draw the session on a time axis into FILE (SVG: a name ending in .svg).",
)  # fmt: skip
@click.option(
    "--profile",
    "profile_path",
    callback=must_exist("--profile", "a profile file"),
    help="A person's settings (YAML); options given here override it.",
)
@gathers_settings
def script(routine: Path, as_json: bool, svg_path: Path | None, profile_path: Path | None, settings: Settings) -> None:
    """Print the timed script of ROUTINE (no audio is written).

    The mix options are accepted so a render's command line works here; they change no time."""
    from matcue.api import build_timeline
    from matcue.core.clash import check_outputs
    from matcue.routine.profile import load_profile
    from matcue.settings import command_reads

    check_set((routine,), settings)
    settings = settings.for_person(load_profile(profile_path) if profile_path else None)

    def check_svg(loaded: Routine) -> None:  # the picture never replaces what the script reads, said before speech
        reads = command_reads(loaded, settings)
        check_outputs([("picture", svg_path)] if svg_path else [], reads, "choose another path for --svg")

    built = build_timeline(routine, settings.session, settings.voice, loading=settings.loading(), ready=check_svg)
    echo_recordings(built)
    tl = built.timeline
    if as_json:
        d: dict[str, Any] = tl.to_dict()
        d["holds"] = [h.to_dict() for h in tl.holds]
        d["rests"] = [r.to_dict() for r in tl.rests]
        click.echo(to_json_text(d))  # escapes control and format characters itself
    else:
        echo(tl.to_text(), nl=False)
    if svg_path is not None:
        from matcue.api import output_error
        from matcue.core.atomic import write_text_atomic
        from matcue.share.svg import to_svg

        try:
            write_text_atomic(svg_path, to_svg(tl))
        except OSError as exc:
            raise output_error(exc, svg_path.parent, svg_path, "choose another path for --svg") from exc
