"""``matcue pack``: a class pack (tracks, captions, playlist, share page; a feed, a zip)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from matcue.cli.boundary import fail
from matcue.cli.common import Progress, check_set, check_title, echo, inputs_first, load_people, reading_roster
from matcue.cli.options import (
    format_options,
    gathers_settings,
    mix_options,
    output_options,
    parse_feed_url_option,
    profile_option,
    roster_option,
    safety_options,
    tailoring_options,
    workers_option,
)
from matcue.cli.pathoptions import RoutinePath, output_folder
from matcue.core.durations import format_ms
from matcue.core.paths import path_text
from matcue.settings import Settings


@click.command(short_help="Write a class pack: MP3s, captions, a playlist and a share page.")
@click.argument("routines", nargs=-1, required=True, type=RoutinePath())
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(),  # a file there: "cannot use the output folder" (exit 1)
    callback=output_folder,  # an empty name is a usage error (a Path('') would be '.')
    required=True,
    help="Folder for the class pack (created if missing).",
)
@tailoring_options
@safety_options
@mix_options
@format_options
@output_options(pack=True)
@click.option("--title", "pack_title", metavar="TEXT", help="Title of the share page (default: the collection).")
@click.option(
    "--feed-url", metavar="URL", callback=lambda ctx, param, value: parse_feed_url_option(value),
    help="The address OUTPUT will be served from, e.g. https://studio.example/class/: also write a podcast "
    "feed (feed.xml).",
)  # fmt: skip
@click.option("--zip", "make_zip", is_flag=True, help="Also write the pack as one OUTPUT.zip next to the folder.")
@profile_option
@roster_option
@workers_option
@gathers_settings
def pack(
    routines: tuple[Path, ...],
    pack_title: str | None,
    feed_url: str | None,
    make_zip: bool,
    profile_paths: tuple[Path, ...],
    roster: Path | None,
    workers: int | None,
    settings: Settings,
) -> None:
    """Write a class pack of ROUTINES into OUTPUT: the MP3s (tags, chapters, cover), their
    captions (every format unless --captions names some) and chapters, an M3U8 playlist and
    an index.html page that plays them offline."""
    from matcue.pack import PackOptions, pack_routines

    check_set(routines, settings)
    if pack_title is not None:
        pack_title = check_title(pack_title, "--title")
    people = None
    if profile_paths or roster is not None:
        if len(routines) != 1:
            hint = "'--roster'" if roster is not None else "'--profile'"
            raise click.BadParameter("a roster packs one routine: give exactly one ROUTINE", param_hint=hint)
        people = load_people(profile_paths, roster, settings.allow_outside)
        settings = reading_roster(settings, roster)
    inputs_first(routines, people or [], settings)
    show = _PackProgress() if sys.stderr.isatty() else None
    share = PackOptions(title=pack_title, feed_url=feed_url, make_zip=make_zip)
    try:
        result = pack_routines(routines, settings, share, people=people, workers=workers, progress=show)
    finally:
        if show:
            show.clear()
    for t in result.tracks:
        echo(f"{path_text(t.rendered.path)}\t{format_ms(t.timeline.total_ms)}")
    echo(path_text(result.playlist))
    echo(path_text(result.index))
    if feed_url:
        echo(path_text(result.folder / "feed.xml"))
    if result.zip_path:
        echo(path_text(result.zip_path))
    for w in result.warnings:
        echo(f"warning: {w}", err=True)
    for problem in result.failures:
        echo(problem, err=True)
    if result.failures:
        n = len(result.failures)
        raise click.exceptions.Exit(fail(f"{n} problem{'s' if n != 1 else ''}: those tracks are not in the pack"))


class _PackProgress:
    def __init__(self) -> None:
        self.current: Progress | None = None

    def __call__(self, name: str, stage: str, done: int, total: int) -> None:
        if self.current is None or self.current.name != name:
            self.current = Progress(name)
        self.current(stage, done, total)

    def clear(self) -> None:
        if self.current:
            self.current.clear()
