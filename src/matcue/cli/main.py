"""The command line: each command parses options and calls one library function.

One error boundary (:func:`main`): our errors exit 1 with their message, usage errors 2,
Ctrl-C 130, anything unexpected 3 with a hint to rerun with ``--traceback``.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcue import __version__
from matcue.cli.authoring import preview_options, register
from matcue.cli.common import _check_set, _options, _parse_set, _Progress, _refuse_control, _StatusLine, _voice  # noqa: F401  # noqa: F401
from matcue.core.durations import format_ms
from matcue.core.errors import MatcueError, RoutineError, printable
from matcue.routine.model import LEVELS

EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 1, 2, 3, 130


def mix_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--mix``, ``--pan-sides`` and ``--music``, handed to the command as one ``mix``."""
    import functools

    decorators = [
        click.option(
            "--mix",
            "mix_preset",
            type=click.Choice(("headphones", "room")),
            default="headphones",
            show_default=True,
            help="Levels: headphones, or room (a class on a speaker: tones and bells stronger, countdown louder).",
        ),
        click.option(
            "--pan-sides", is_flag=True, help="Stereo: cues and tones of a left-side hold lean left, right-side right."
        ),
        click.option(
            "--music",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="PATH",
            help="An audio file looped under the session (instead of the routine's 'music:').",
        ),
    ]

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from matcue.audio.mixdown import MixSettings

        music = kwargs.pop("music")
        if music is not None and not music.is_file():
            raise click.BadParameter(f"file {str(music)!r} not found", param_hint="'--music'")
        kwargs["mix"] = MixSettings(preset=kwargs.pop("mix_preset"), pan_sides=kwargs.pop("pan_sides"), music=music)
        return f(*args, **kwargs)

    for d in reversed(decorators):
        wrapper = d(wrapper)
    return wrapper


def format_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` and ``--bitrate``: checked here (a bad bitrate is a usage error), handed on as they are."""
    from matcue.audio.formats import DEFAULT_FORMAT, FORMATS

    def check_bitrate(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from matcue.audio.formats import FormatError, get_format, parse_bitrate

        if value is None:
            return None
        try:
            return parse_bitrate(get_format(ctx.params.get("fmt") or DEFAULT_FORMAT), value)
        except FormatError as e:
            raise click.BadParameter(str(e)) from None

    f = click.option(
        "--bitrate", metavar="RATE", callback=check_bitrate,
        help="Bitrate, e.g. 64k (default per format: mp3 96k, m4a 96k, opus 32k; see docs/sharing.md).",
    )(f)  # fmt: skip
    return click.option(
        "--format", "fmt", type=click.Choice(tuple(FORMATS)), default=DEFAULT_FORMAT, show_default=True,
        is_eager=True, help="Audio format: mp3, m4a (AAC, for Apple apps) or opus (smallest files).",
    )(f)  # fmt: skip


def tailoring_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``render`` and ``script``."""
    decorators = [
        click.option(
            "--level", type=click.Choice(LEVELS), help="Level to render (default: the routine's, else beginner)."
        ),
        click.option(
            "--first-side", type=click.Choice(("right", "left")), help="Side played first in 'sides: both' steps."
        ),
        click.option(
            "--backend",
            metavar="NAME",
            help="Voice backend (rhvoice, flite, pico2wave, mbrola, espeak-ng, pyttsx3; default auto).",
        ),  # fmt: skip
        click.option("--voice", "voice_name", metavar="ID", help="Voice id of the backend (see 'matcue voices')."),
        click.option("--rate", type=click.IntRange(60, 500), help="Speaking rate in words per minute."),
        click.option(
            "--set", "set_vars", multiple=True, metavar="KEY=VALUE", help="Set a {placeholder} value (repeatable)."
        ),
        click.option("--no-tones", is_flag=True, help="Leave out the breath-pacing tones."),
        click.option(
            "--duration",
            metavar="DURATION",
            callback=_click_parser("matcue.core.durations:parse_duration_ms"),
            help="Fit the session to this length, e.g. 20m, by scaling holds, rests, timers and pauses (never speech).",
        ),
        click.option(
            "--pace",
            metavar="0.8..1.5",
            callback=_click_parser("matcue.routine.profile:parse_pace"),
            help="Multiply every breath phase by this (1.2: each breath 20% longer).",
        ),
        click.option(
            "--breath",
            metavar="IN:OUT",
            callback=_click_parser("matcue.routine.profile:parse_breath"),
            help="Replace the breath pattern of poses and reps: inhale:exhale (5:7) or "
            "inhale:hold:exhale:hold (4:2:6:2), in seconds.",
        ),
        click.option(
            "--verbosity",
            type=click.Choice(("brief", "normal", "full")),
            help="Cue wording: brief leaves out optional cues (default normal).",
        ),
        click.option(
            "--countdown",
            type=click.IntRange(0, 60),
            metavar="N",
            help="Count the last N seconds of each hold (0 = off).",
        ),  # fmt: skip
        click.option(
            "--skip",
            "skip_names",
            multiple=True,
            metavar="NAME",
            help="Leave out the step or section NAME (repeatable).",
        ),  # fmt: skip
    ]
    for d in reversed(decorators):
        f = d(f)
    return _gather_tailoring(f)


_TAILORING = ("duration", "pace", "breath", "verbosity", "countdown", "skip_names")


def _gather_tailoring(f: Callable[..., Any]) -> Callable[..., Any]:
    """Hand the session options (--duration, --pace...) to the command as one ``tailoring`` dict."""
    import functools

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["tailoring"] = {k: kwargs.pop(k) for k in _TAILORING}
        return f(*args, **kwargs)

    return wrapper


def _click_parser(parser: str) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    """A click callback: None stays None, any other value goes through ``parser``
    (``"matcue.module:function"``, imported on first use) and its ValueError becomes a
    usage error with the same message."""
    module, _, name = parser.partition(":")

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        parse = getattr(importlib.import_module(module), name)
        try:
            return parse(value)
        except ValueError as e:  # DurationError and BreathFormatError are ValueErrors
            raise click.BadParameter(str(e)) from None

    return callback


def _parse_max_length(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
    from matcue.core.durations import DurationError, parse_duration_ms
    from matcue.plan.compile import DEFAULT_MAX_LENGTH_MS

    if value is None:
        return DEFAULT_MAX_LENGTH_MS
    try:
        return parse_duration_ms(value)
    except DurationError as e:
        raise click.BadParameter(str(e)) from None


def safety_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``check``, ``script`` and ``render``: what a routine may do."""
    decorators = [
        click.option(
            "--max-length",
            "max_total_ms",
            metavar="DURATION",
            callback=_parse_max_length,
            help="Refuse routines longer than this, e.g. 8h (default 6h).",
        ),
        click.option(
            "--allow-outside",
            is_flag=True,
            help="Let includes, cover, music and roster entries name files outside the routine's or roster's folder.",
        ),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


class MatcueGroup(click.Group):
    """The one error boundary: every command runs inside :meth:`invoke`."""

    def invoke(self, ctx: click.Context) -> Any:
        from matcue.core.limits import command

        try:
            with command():  # one budget for the work of the whole command (matcue.core.limits)
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
            click.echo(printable(f"Error: {e}"), err=True)
            ctx.exit(EXIT_ERROR)
        except Exception as e:
            if ctx.obj and ctx.obj.get("traceback"):
                click.echo(traceback.format_exc(), err=True, nl=False)
            else:
                click.echo(printable(f"Unexpected error: {type(e).__name__}: {e}"), err=True)
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
@safety_options
def check(routines: tuple[Path, ...], max_total_ms: int, allow_outside: bool) -> None:
    """Validate routines and print every problem found."""
    from matcue.api import check_routine

    total = 0
    for r in routines:
        problems = check_routine(r, allow_outside=allow_outside, max_total_ms=max_total_ms)
        for p in problems:
            click.echo(str(p), err=True)
        if not problems:
            click.echo(printable(f"{r}: ok"))
        total += len(problems)
    if total:
        raise click.exceptions.Exit(_fail(f"{total} problem{'s' if total != 1 else ''} found"))


def _fail(msg: str) -> int:
    click.echo(msg, err=True)
    return EXIT_ERROR


@cli.command()
@click.argument("routine", type=click.Path(dir_okay=True, path_type=Path))
@tailoring_options
@safety_options
@mix_options
@click.option("--json", "as_json", is_flag=True, help="Print the timed script as JSON.")
@click.option(
    "--svg", "svg_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Also draw the session on a time axis into FILE (SVG).",
)  # fmt: skip
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A person's settings (YAML); options given here override it.",
)
def script(
    routine: Path,
    level,
    first_side,
    backend,
    voice_name,
    rate,
    set_vars,
    no_tones,
    max_total_ms,
    allow_outside,
    as_json,
    svg_path,
    profile_path,
    tailoring,
    mix,
) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """Print the timed script of ROUTINE (no audio is written).

    The mix options are accepted so a render's command line works here; they change no time."""
    from matcue.api import build_timeline
    from matcue.routine.profile import load_profile
    from matcue.settings import tailor, tailor_voice

    _check_set((routine,), set_vars, allow_outside)
    person = load_profile(profile_path) if profile_path else None
    built = build_timeline(
        routine,
        tailor(person, _options(level, first_side, set_vars, no_tones, max_total_ms, tailoring)),
        tailor_voice(person, _voice(backend, voice_name, rate)),
        allow_outside=allow_outside,
    )
    tl = built.timeline
    if as_json:
        d = tl.to_dict()
        d["holds"] = [h.to_dict() for h in tl.holds]
        d["rests"] = [r.to_dict() for r in tl.rests]
        click.echo(json.dumps(d, indent=2, ensure_ascii=False))
    else:
        click.echo(tl.to_text(), nl=False)
    if svg_path is not None:
        from matcue.api import output_error
        from matcue.share.sidecars import write_text_atomic
        from matcue.share.svg import to_svg

        try:
            write_text_atomic(svg_path, to_svg(tl))
        except OSError as exc:
            raise output_error(exc, svg_path.parent, svg_path) from exc


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
@safety_options
@mix_options
@format_options
@click.option(
    "--captions",
    metavar="FORMATS",
    callback=lambda ctx, param, value: _parse_captions(value),
    help="Also write captions next to each MP3: a comma-separated list of vtt, srt, lrc (or 'all').",
)
@click.option("--chapters-json", is_flag=True, help="Also write Podcasting 2.0 chapters (<name>.chapters.json).")
@click.option("--no-cover", is_flag=True, help="Do not embed cover art (the routine's 'cover:' or a generated one).")
@click.option(
    "--profile",
    "profile_paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Render a track for this person's settings (YAML; repeatable): OUTPUT/<routine>--<name>.mp3.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    help="Render a track per profile of a class: a YAML list of profiles (or paths), or a folder of them.",
)
@click.option(
    "--workers", type=click.IntRange(1, 256), metavar="N", help="Tracks rendered at once (default: one per core)."
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    callback=lambda ctx, param, value: _parse_scheduler(value),
    help="Render the tracks on a Dask distributed cluster, e.g. tcp://host:8786 (pip install 'matcue[dask]').",
)
@preview_options
def render(
    routines,
    out_dir,
    level,
    first_side,
    backend,
    voice_name,
    rate,
    set_vars,
    no_tones,
    max_total_ms,
    allow_outside,
    fmt,
    bitrate,
    captions,
    chapters_json,
    no_cover,
    profile_paths,
    roster,
    workers,
    scheduler,
    tailoring,
    mix,
) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """Render each ROUTINE to OUTPUT/<slug-of-title>.mp3 and print its path and length.

    Titles that give the same file name get -2, -3... in the order given.
    With --profile or --roster: one track per person, OUTPUT/<routine>--<person>.mp3, and a
    summary table (person, length, file)."""
    from matcue.api import render_routine, track_stems

    _check_set(routines, set_vars, allow_outside)
    options = _options(level, first_side, set_vars, no_tones, max_total_ms, tailoring)
    voice = _voice(backend, voice_name, rate)
    if profile_paths or roster or scheduler:
        _render_people(
            routines, out_dir, options, voice, profile_paths, roster, workers, scheduler,
            bitrate=bitrate, fmt=fmt, captions=captions, chapters_json=chapters_json, cover=not no_cover,
            allow_outside=allow_outside, mix=mix,
        )  # fmt: skip
        return
    failed = 0
    stems = track_stems(routines, allow_outside=allow_outside) if len(routines) > 1 else [None]
    for r, stem in zip(routines, stems):
        show = _Progress(str(r)) if sys.stderr.isatty() else None
        try:
            result = render_routine(
                r,
                out_dir,
                options,
                voice,
                bitrate=bitrate,
                fmt=fmt,
                progress=show,
                captions=captions,
                chapters_json=chapters_json,
                cover=not no_cover,
                allow_outside=allow_outside,
                mix=mix,
                name=stem,
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


def _render_people(routines, out_dir, options, voice, profile_paths, roster, workers, scheduler, **common) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """render --profile/--roster: every track, one progress line, then the summary table."""
    from matcue.batch import render_for_people
    from matcue.routine.profile import load_profile, load_roster

    if not (profile_paths or roster):
        raise click.UsageError("--scheduler renders a roster: give --roster or --profile")
    people: list[Any] = []
    for path in profile_paths:
        try:
            people.append(load_profile(path))
        except RoutineError as e:
            people.append(e)
    if roster:
        people.extend(load_roster(roster, allow_outside=common.get("allow_outside", False)))
    show = _RosterProgress() if sys.stderr.isatty() else None
    results = []
    for r in routines:
        try:
            results += render_for_people(
                r, people, out_dir, workers=workers, scheduler=scheduler, progress=show,
                options=options, voice=voice, **common,
            )  # fmt: skip
        finally:
            if show:
                show.clear()
    for res in results:
        for line in res.errors:
            click.echo(line, err=True)
    click.echo(format_roster_table(results), nl=False)
    failed = sum(1 for res in results if not res.ok)
    if failed:
        plural = "s" if len(results) != 1 else ""
        raise click.exceptions.Exit(_fail(f"{failed} of {len(results)} track{plural} not rendered"))


def format_roster_table(results: list[Any]) -> str:
    """The summary table: person, length, file (or 'not rendered')."""
    rows = [("person", "length", "file")]
    for res in results:
        if res.ok:
            rows.append((res.person, format_ms(res.total_ms), _shown_path(res.path)))
        else:
            rows.append((res.person or "?", "-", "not rendered"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return "".join(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]}\n" for r in rows)


def _shown_path(path: str) -> str:
    """A path relative to the current folder when it is inside it."""
    import os

    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class _RosterProgress(_StatusLine):
    """One progress line for a roster: tracks done of all, and the last one finished."""

    def __call__(self, done: int, total: int, result: Any) -> None:
        state = "done" if result.ok else "failed"
        self.show(f"rendering tracks: {done}/{total} ({result.person} {state})")


def _parse_scheduler(value: str | None) -> str | None:
    """``--scheduler``: ``[SCHEME://]HOST:PORT`` (a Dask scheme, a port from 1 to 65535)."""
    import re

    if value is None:
        return None
    host = r"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]"
    m = re.fullmatch(rf"(?:(tcp|tls|ws|wss|ucx|inproc)://)?({host}):(\d{{1,5}})", value.strip())
    if m is None or not 1 <= int(m.group(3)) <= 65535:
        raise click.BadParameter(
            f"expected a Dask scheduler address like tcp://host:8786, got {value[:80]!r}", param_hint="'--scheduler'"
        )
    return value.strip()


def _parse_captions(value: str | None) -> tuple[str, ...]:
    from matcue.share.sidecars import CAPTION_FORMATS

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
@mix_options
@format_options
@click.option("--title", "pack_title", metavar="TEXT", help="Title of the share page (default: the collection).")
@click.option(
    "--feed-url", metavar="URL", callback=lambda ctx, param, value: _parse_feed_url(value),
    help="The address OUTPUT will be served from, e.g. https://studio.example/class/: also write a podcast "
    "feed (feed.xml).",
)  # fmt: skip
@click.option("--zip", "make_zip", is_flag=True, help="Also write the pack as one OUTPUT.zip next to the folder.")
@click.option(
    "--roster",
    type=click.Path(exists=True, path_type=Path),
    help="A class (a list of profiles, or a folder of them): one track of ROUTINE per person.",
)
def pack(
    routines,
    out_dir,
    level,
    first_side,
    backend,
    voice_name,
    rate,
    set_vars,
    no_tones,
    fmt,
    bitrate,
    pack_title,
    feed_url,
    make_zip,
    roster,
    tailoring,
    mix,
) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """Write a class pack of ROUTINES into OUTPUT: the MP3s (tags, chapters, cover), their
    captions and chapters, an M3U8 playlist and an index.html page that plays them offline."""
    from matcue.pack import pack_routines

    _check_set(routines, set_vars)
    if pack_title is not None:
        _refuse_control(pack_title, "--title")
    people = None
    if roster is not None:
        from matcue.routine.profile import load_roster

        if len(routines) != 1:
            raise click.BadParameter("a roster packs one routine: give exactly one ROUTINE", param_hint="'--roster'")
        people = load_roster(roster)
    show = _PackProgress() if sys.stderr.isatty() else None
    try:
        result = pack_routines(
            routines,
            out_dir,
            _options(level, first_side, set_vars, no_tones, tailoring=tailoring),
            _voice(backend, voice_name, rate),
            title=pack_title,
            bitrate=bitrate,
            fmt=fmt,
            feed_url=feed_url,
            make_zip=make_zip,
            progress=show,
            mix=mix,
            people=people,
        )
    finally:
        if show:
            show.clear()
    for t in result.tracks:
        click.echo(f"{t.rendered.path}\t{format_ms(t.timeline.total_ms)}")
    click.echo(f"{result.playlist}")
    click.echo(f"{result.index}")
    if feed_url:
        click.echo(f"{result.folder / 'feed.xml'}")
    if result.zip_path:
        click.echo(f"{result.zip_path}")
    for problem in result.failures:
        click.echo(problem, err=True)
    if result.failures:
        n = len(result.failures)
        raise click.exceptions.Exit(_fail(f"{n} problem{'s' if n != 1 else ''}: those tracks are not in the pack"))


def _parse_feed_url(value: str | None) -> str | None:
    from matcue.share.feed import FeedError, parse_feed_url

    if value is None:
        return None
    try:
        return parse_feed_url(value)
    except FeedError as e:
        raise click.BadParameter(str(e).removeprefix(f"--feed-url {value!r}: "), param_hint="'--feed-url'") from None


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


@cli.command()
@click.option(
    "--backend", metavar="NAME", help="Show only this backend ('auto': the one auto picks). Default: every backend."
)
def voices(backend: str | None) -> None:
    """List every backend's voices and auto's pick.

    Shows each voice backend, clearest first, whether it is installed here (with what to
    install when it is not), its voices, and which one 'auto' picks."""
    from matcue.voice.registry import survey_voices

    for i, entry in enumerate(survey_voices(backend)):
        if i:
            click.echo("")
        state = "available" if entry.available else "not available"
        auto = "  <- auto" if entry.auto else ""
        click.echo(f"backend: {entry.name} ({state}){auto}")
        if entry.problem:
            click.echo(f"  {entry.problem}")
        for line in entry.details:
            click.echo(f"  {line}")
        for v in entry.voices:
            langs = ",".join(v.languages)
            click.echo(f"  {v.id}\t{v.name}\t{langs}")
    if backend and not any(e.available for e in survey_voices(backend)):
        raise click.exceptions.Exit(EXIT_ERROR)


@cli.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("audio_out"),
    show_default=True,
    help="The output folder to check.",
)
@click.option(
    "--fix", is_flag=True, help="Delete speech cache entries that do not load and temporary files a killed render left."
)
def doctor(out_dir: Path, fix: bool) -> None:
    """Check tools, voices, speech cache and output folder."""
    from matcue.cli.doctor import run_doctor

    checks = run_doctor(out_dir, fix=fix)
    for c in checks:
        click.echo(str(c))
    failed = [c for c in checks if c.required and not c.ok]
    problems = [c for c in checks if not c.ok]
    if failed:
        click.echo(f"{len(failed)} required check{'s' if len(failed) != 1 else ''} failed", err=True)
        raise click.exceptions.Exit(EXIT_ERROR)
    click.echo(f"ready to render ({len(problems)} optional problem{'s' if len(problems) != 1 else ''})")


register(cli)  # schema, new (matcue.cli.authoring)


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
