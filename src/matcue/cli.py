"""The command line: each command parses options and calls one library function.

One error boundary (:func:`main`): our errors exit 1 with their message, usage errors 2,
Ctrl-C 130, anything unexpected 3 with a hint to rerun with ``--traceback``.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .compile import Options
from .durations import format_ms
from .errors import MatcueError, RoutineError
from .model import LEVELS

EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 1, 2, 3, 130


def _parse_set(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {v!r}", param_hint="'--set'")
        out.append((key.strip(), val))
    return tuple(out)


def tailoring_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``render`` and ``script``."""
    decorators = [
        click.option(
            "--level", type=click.Choice(LEVELS), help="Level to render (default: the routine's, else beginner)."
        ),
        click.option(
            "--first-side", type=click.Choice(("right", "left")), help="Side played first in 'sides: both' steps."
        ),
        click.option("--backend", metavar="NAME", help="Voice backend (rhvoice, pico2wave, flite, mbrola, espeak-ng, pyttsx3; default auto)."),
        click.option("--voice", "voice_name", metavar="ID", help="Voice id of the backend (see 'matcue voices')."),
        click.option("--rate", type=click.IntRange(60, 500), help="Speaking rate in words per minute."),
        click.option(
            "--set", "set_vars", multiple=True, metavar="KEY=VALUE", help="Set a {placeholder} value (repeatable)."
        ),
        click.option("--no-tones", is_flag=True, help="Leave out the breath-pacing tones."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def _options(level: str | None, first_side: str | None, set_vars: tuple[str, ...], no_tones: bool) -> Options:
    return Options(level=level, first_side=first_side, vars=_parse_set(set_vars), tones=False if no_tones else None)


def _voice(backend: str | None, voice_name: str | None, rate: int | None):  # type: ignore[no-untyped-def]
    from .pipeline import VoiceOverrides

    return VoiceOverrides(backend=backend, name=voice_name, rate=rate)


class MatcueGroup(click.Group):
    """The one error boundary: every command runs inside :meth:`invoke`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click prints usage errors and exits 2
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # the reader went away (`matcue voices | head`): stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except RoutineError as e:
            for p in e.problems:
                click.echo(str(p), err=True)
            ctx.exit(EXIT_ERROR)
        except MatcueError as e:
            click.echo(f"Error: {e}", err=True)
            ctx.exit(EXIT_ERROR)
        except Exception as e:
            if ctx.obj and ctx.obj.get("traceback"):
                click.echo(traceback.format_exc(), err=True, nl=False)
            else:
                click.echo(f"Unexpected error: {type(e).__name__}: {e}", err=True)
                click.echo("This is a bug in matcue. Rerun with --traceback to see where it happened.", err=True)
            ctx.exit(EXIT_BUG)


@click.group(name="matcue", cls=MatcueGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="matcue")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """Turn a yoga, stretching or mobility routine written in YAML into a guided MP3:
    spoken cues, breath-pacing tones, bells and countdowns, with chapters."""
    ctx.ensure_object(dict)
    ctx.obj["traceback"] = traceback


@cli.command()
@click.argument("routines", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
def check(routines: tuple[Path, ...]) -> None:
    """Validate routines and print every problem found."""
    from .pipeline import check_routine

    total = 0
    for r in routines:
        problems = check_routine(r)
        for p in problems:
            click.echo(str(p), err=True)
        if not problems:
            click.echo(f"{r}: ok")
        total += len(problems)
    if total:
        raise click.exceptions.Exit(_fail(f"{total} problem{'s' if total != 1 else ''} found"))


def _fail(msg: str) -> int:
    click.echo(msg, err=True)
    return EXIT_ERROR


@cli.command()
@click.argument("routine", type=click.Path(dir_okay=True, path_type=Path))
@tailoring_options
@click.option("--json", "as_json", is_flag=True, help="Print the timed script as JSON.")
def script(routine: Path, level, first_side, backend, voice_name, rate, set_vars, no_tones, as_json) -> None:  # type: ignore[no-untyped-def]
    """Print the timed script of ROUTINE (no audio is written)."""
    from .pipeline import build_timeline

    built = build_timeline(routine, _options(level, first_side, set_vars, no_tones), _voice(backend, voice_name, rate))
    tl = built.timeline
    if as_json:
        d = tl.to_dict()
        d["holds"] = tl.meta.get("holds", [])
        click.echo(json.dumps(d, indent=2, ensure_ascii=False))
    else:
        click.echo(tl.to_text(), nl=False)


@cli.command()
@click.argument("routines", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("audio_out"),
    show_default=True,
    help="Folder for the MP3 files.",
)
@tailoring_options
@click.option(
    "--bitrate", default="96k", show_default=True, metavar="RATE", help="MP3 bitrate (constant), e.g. 64k, 96k, 128k."
)
@click.option(
    "--captions",
    metavar="FORMATS",
    callback=lambda ctx, param, value: _parse_captions(value),
    help="Also write captions next to each MP3: a comma-separated list of vtt, srt, lrc (or 'all').",
)
@click.option("--chapters-json", is_flag=True, help="Also write Podcasting 2.0 chapters (<name>.chapters.json).")
@click.option("--no-cover", is_flag=True, help="Do not embed cover art (the routine's 'cover:' or a generated one).")
def render(routines, out_dir, level, first_side, backend, voice_name, rate, set_vars, no_tones, bitrate, captions, chapters_json, no_cover) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """Render each ROUTINE to OUTPUT/<slug-of-title>.mp3 and print its path and length."""
    from .pipeline import render_routine

    if not _valid_bitrate(bitrate):
        raise click.BadParameter(f"expected a bitrate like 96k, got {bitrate!r}", param_hint="'--bitrate'")
    options = _options(level, first_side, set_vars, no_tones)
    voice = _voice(backend, voice_name, rate)
    failed = 0
    for r in routines:
        show = _Progress(str(r)) if sys.stderr.isatty() else None
        try:
            result = render_routine(
                r,
                out_dir,
                options,
                voice,
                bitrate=bitrate,
                progress=show,
                captions=captions,
                chapters_json=chapters_json,
                cover=not no_cover,
            )
        except RoutineError as e:
            if show:
                show.clear()
            for p in e.problems:
                click.echo(str(p), err=True)
            failed += 1
            continue
        finally:
            if show:
                show.clear()
        click.echo(f"{result.path}\t{format_ms(result.total_ms)}")
    if failed:
        raise click.exceptions.Exit(_fail(f"{failed} routine{'s' if failed != 1 else ''} not rendered"))


def _parse_captions(value: str | None) -> tuple[str, ...]:
    from .sidecars import CAPTION_FORMATS

    if not value:
        return ()
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    if names == ["all"]:
        return CAPTION_FORMATS
    bad = [n for n in names if n not in CAPTION_FORMATS]
    if bad or not names:
        raise click.BadParameter(
            f"expected a comma-separated list of {', '.join(CAPTION_FORMATS)} (or 'all'), got {value!r}",
            param_hint="'--captions'",
        )
    return tuple(dict.fromkeys(names))


@cli.command(short_help="Write a class pack: MP3s, captions, a playlist and a share page.")
@click.argument("routines", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the class pack (created if missing).",
)
@tailoring_options
@click.option(
    "--bitrate", default="96k", show_default=True, metavar="RATE", help="MP3 bitrate (constant), e.g. 64k, 96k, 128k."
)
@click.option("--title", "pack_title", metavar="TEXT", help="Title of the share page (default: the collection).")
@click.option("--zip", "make_zip", is_flag=True, help="Also write the pack as one OUTPUT.zip next to the folder.")
def pack(routines, out_dir, level, first_side, backend, voice_name, rate, set_vars, no_tones, bitrate, pack_title, make_zip) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """Write a class pack of ROUTINES into OUTPUT: the MP3s (tags, chapters, cover), their
    captions and chapters, an M3U8 playlist and an index.html page that plays them offline."""
    from .pack import pack_routines

    if not _valid_bitrate(bitrate):
        raise click.BadParameter(f"expected a bitrate like 96k, got {bitrate!r}", param_hint="'--bitrate'")
    show = _PackProgress() if sys.stderr.isatty() else None
    try:
        result = pack_routines(
            routines,
            out_dir,
            _options(level, first_side, set_vars, no_tones),
            _voice(backend, voice_name, rate),
            title=pack_title,
            bitrate=bitrate,
            make_zip=make_zip,
            progress=show,
        )
    finally:
        if show:
            show.clear()
    for t in result.tracks:
        click.echo(f"{t.rendered.path}\t{format_ms(t.timeline.total_ms)}")
    click.echo(f"{result.playlist}")
    click.echo(f"{result.index}")
    if result.zip_path:
        click.echo(f"{result.zip_path}")


class _PackProgress:
    def __init__(self) -> None:
        self.current: _Progress | None = None

    def __call__(self, name: str, stage: str, done: int, total: int) -> None:
        if self.current is None or self.current.name != name:
            self.current = _Progress(name)
        self.current(stage, done, total)

    def clear(self) -> None:
        if self.current:
            self.current.clear()


def _valid_bitrate(b: str) -> bool:
    import re

    m = re.fullmatch(r"(\d+)k", b)
    return bool(m) and 8 <= int(m.group(1)) <= 320  # type: ignore[union-attr]


class _Progress:
    """A one-line progress display on the terminal (stderr)."""

    def __init__(self, name: str):
        self.name = name
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        label = "speaking cues" if stage == "speech" else "mixing and encoding"
        sys.stderr.write(f"\r{self.name}: {label} {pct:3d}%\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


@cli.command()
@click.option(
    "--backend", metavar="NAME", help="Show only this backend ('auto': the one auto picks). Default: every backend."
)
def voices(backend: str | None) -> None:
    """List every backend's voices and auto's pick.

    Shows each voice backend, clearest first, whether it is installed here (with what to
    install when it is not), its voices, and which one 'auto' picks."""
    from .voice.registry import survey_voices

    for i, entry in enumerate(survey_voices(backend)):
        if i:
            click.echo("")
        state = "available" if entry.available else "not available"
        auto = "  <- auto" if entry.auto else ""
        click.echo(f"backend: {entry.name} ({state}){auto}")
        if entry.problem:
            click.echo(f"  {entry.problem}")
        for v in entry.voices:
            langs = ",".join(v.languages)
            click.echo(f"  {v.id}\t{v.name}\t{langs}")
    if backend and not any(e.available for e in survey_voices(backend)):
        raise click.exceptions.Exit(EXIT_ERROR)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so a render removes its temporary file on the way out."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status (the console script calls this)."""
    import signal

    if hasattr(signal, "SIGTERM"):
        try:
            signal.signal(signal.SIGTERM, _terminate)
        except ValueError:  # not the main thread (embedded use): leave signals alone
            pass
    try:
        cli.main(args=argv, prog_name="matcue", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_ERROR)
    return 0


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
