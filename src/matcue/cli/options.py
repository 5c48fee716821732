"""The command line's options, one decorator per concern, and the one place their values
become a :class:`matcue.settings.Settings` (:func:`settings_from`).

A command stacks the decorators of the concerns it takes, then :func:`gathers_settings`
just above its function: the function gets one ``settings`` argument instead of the flags.
A new option that changes a setting goes into its concern's decorator here and into
:func:`settings_from`; every command with that concern takes it the same way.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcue.cli.common import named, voice_backend
from matcue.cli.pathoptions import decodable_music, existing, given_twice
from matcue.core.errors import shown
from matcue.core.numbers import NumberError, whole_number
from matcue.plan.compile import Options
from matcue.routine.model import LEVELS
from matcue.settings import Output, Settings


def mix_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--mix``, ``--pan-sides`` and ``--music``: the mix settings."""
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
            type=click.Path(dir_okay=False),  # a str, so an empty name is said to be one (Path('') is '.')
            metavar="PATH",
            help="An audio file looped under the session (instead of the routine's 'music:').",
        ),
    ]

    for d in reversed(decorators):
        f = d(f)
    return f


def format_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` and ``--bitrate``: checked here (a bad bitrate is a usage error), handed on as they are."""
    from matcue.audio.codec import DEFAULT_FORMAT, FORMATS

    def check_bitrate(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from matcue.audio.codec import FormatError, get_format, parse_bitrate

        if value is None:
            return None
        try:
            return parse_bitrate(get_format(ctx.params.get("fmt") or DEFAULT_FORMAT), value)
        except FormatError as e:
            raise click.BadParameter(str(e)) from None

    defaults = ", ".join(f"{a.name} {a.default_bitrate}" for a in FORMATS.values())
    f = click.option(
        "--bitrate", metavar="RATE", callback=check_bitrate,
        help=f"Bitrate, e.g. 64k (default per format: {defaults}; see docs/sharing.md).",
    )(f)  # fmt: skip
    return click.option(
        "--format", "fmt", type=click.Choice(tuple(FORMATS)), default=DEFAULT_FORMAT, show_default=True,
        is_eager=True, help="Audio format: mp3, m4a (AAC, for Apple apps) or opus (smallest files).",
    )(f)  # fmt: skip


def tailoring_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The session and the voice: what changes the timed script (every command that builds one)."""
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
            callback=voice_backend,
            help="Voice backend (rhvoice, flite, pico2wave, mbrola, espeak-ng, pyttsx3; default auto). "
            "A name matcue does not know is a usage error.",
        ),  # fmt: skip
        click.option(
            "--voice",
            "voice_name",
            metavar="ID",
            callback=named("a voice id"),
            help="Voice id of the backend (see 'matcue voices'); one the backend does not have is an error (exit 1).",
        ),  # fmt: skip
        click.option("--rate", type=WholeNumber(60, 500), help="Speaking rate in words per minute."),
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
            type=WholeNumber(0, 60),
            metavar="N",
            help="Count the last N seconds of each hold (0 = off).",
        ),  # fmt: skip
        click.option(
            "--skip",
            "skip_names",
            multiple=True,
            metavar="NAME",
            callback=named("the name of a step or section"),
            help="Leave out the step or section NAME (repeatable); a name the routine does not have is an "
            "error (exit 1), as for --only.",
        ),  # fmt: skip
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


class WholeNumber(click.ParamType):
    """A whole-number option from ``lo`` to ``hi``, read by :func:`matcue.core.numbers.whole_number`
    (so a 5000-digit value is a short usage error, as click's own IntRange would quote it whole)."""

    name = "integer"

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return f"{self.lo}..{self.hi}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return whole_number(str(value), self.lo, self.hi)
        except NumberError as e:
            self.fail(str(e), param, ctx)


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


def parse_max_length(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
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
            callback=parse_max_length,
            help="Refuse routines longer than this, e.g. 8h (default 6h).",
        ),
        click.option(
            "--allow-outside",
            is_flag=True,
            help="Let includes, cover, music, recordings and roster entries name files outside the routine's "
            "or roster's folder.",
        ),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def recordings_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--recordings DIR``: the teacher's recorded cues, over the routine's ``recordings:``."""

    def to_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
        if value is None:
            return None
        # every command that has the option says the same of a bad one (check said it as a problem, exit 1)
        return existing(value, "--recordings", "folder", "a folder or a .zip of recordings", folder_too=True)

    return click.option(
        "--recordings",
        callback=to_path,
        metavar="DIR",
        help="A folder (or .zip) of recorded cues named by their ids (see 'matcue cues'); "
        "they replace the synthesized voice for those phrases (over the routine's 'recordings:').",
    )(f)


def output_options(pack: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--captions``, ``--chapters-json`` and ``--no-cover``: what is written with a track.
    ``pack``: a pack writes every caption format unless ``--captions`` names some, and
    always the chapters JSON (its feed and page link it), so it has no ``--chapters-json``."""
    captions_help = (
        "Captions next to each track: a comma-separated list of vtt, srt, lrc (or 'all', the default)."
        if pack
        else "Also write captions next to each track: a comma-separated list of vtt, srt, lrc (or 'all')."
    )
    decorators = [
        click.option(
            "--captions",
            metavar="FORMATS",
            callback=lambda ctx, param, value: parse_captions(value),
            help=captions_help,
        ),
        click.option(
            "--no-cover", is_flag=True, help="Do not embed cover art (the routine's 'cover:' or a generated one)."
        ),
    ]
    if not pack:
        decorators.insert(
            1,
            click.option(
                "--chapters-json", is_flag=True, help="Also write Podcasting 2.0 chapters (<name>.chapters.json)."
            ),
        )

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for d in reversed(decorators):
            f = d(f)
        return f

    return decorate


def must_exist(option: str, wanted: str, *, folder_too: bool = False) -> Callable[..., Any]:
    """A click callback: each path given to ``option`` through :func:`existing` (a missing
    file, a folder, a pipe are usage errors, as for --music and --recordings); one file
    given twice to a repeatable option is one too (:func:`given_twice`)."""

    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple):
            paths = tuple(existing(v, option, "file", wanted, folder_too=folder_too) for v in value)
            given_twice(paths, option, wanted.removeprefix("a ").removeprefix("an "))
            return paths
        return existing(value, option, "file", wanted, folder_too=folder_too)

    return check


def profile_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--profile FILE`` (repeatable): a track per person, tailored by the profile."""
    return click.option(
        "--profile",
        "profile_paths",
        multiple=True,
        callback=must_exist("--profile", "a profile file"),
        help="Render a track for this person's settings (YAML; repeatable): OUTPUT/<routine>--<name>.mp3.",
    )(f)


def roster_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--roster``: a class, one track per person (``render`` and ``pack`` alike; a missing
    roster, or a pipe, is a usage error, as for --profile and --recordings)."""
    return click.option(
        "--roster",
        callback=must_exist("--roster", "a roster file or a folder of profiles", folder_too=True),
        help="A class: a YAML list of profiles (or paths), or a folder of them; one track per person.",
    )(f)


def workers_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--workers``: tracks of a roster rendered at once."""
    return click.option(
        "--workers", type=WholeNumber(1, 256), metavar="N", help="Tracks rendered at once (default: one per core)."
    )(f)


def gathers_settings(f: Callable[..., Any]) -> Callable[..., Any]:
    """Hand the command one ``settings`` (:func:`settings_from`) instead of the flags of
    every concern it takes; the other arguments are passed on as they are."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = settings_from(kwargs)
        return f(*args, settings=settings, **kwargs)

    return wrapper


SETTING_FLAGS = (
    "level", "first_side", "set_vars", "no_tones", "duration", "pace", "breath", "verbosity", "countdown",
    "skip_names", "max_total_ms", "allow_outside", "backend", "voice_name", "rate", "mix_preset", "pan_sides",
    "music", "out_dir", "fmt", "bitrate", "captions", "chapters_json", "no_cover", "recordings",
)  # fmt: skip


def settings_from(flags: dict[str, Any]) -> Settings:
    """The settings the flags give (removed from ``flags``); a flag a command does not take
    leaves its default. Flags override a profile and the routine (:mod:`matcue.settings`)."""
    from matcue.audio.mixdown import MixSettings
    from matcue.cli.common import parse_set
    from matcue.plan.compile import DEFAULT_MAX_LENGTH_MS
    from matcue.routine.model import Text
    from matcue.voice.base import VoiceOverrides

    given = {k: flags.pop(k) for k in SETTING_FLAGS if k in flags}
    get = given.get
    music = get("music")
    if music is not None:  # checked as the routine's music: is checked, before any synthesis
        music = existing(music, "--music", "file", "an audio file")
        decodable_music(music)
    recordings = get("recordings")  # checked by its option
    session = Options(
        level=get("level"),
        first_side=get("first_side"),
        vars=parse_set(get("set_vars", ())),
        tones=False if get("no_tones") else None,
        countdown=get("countdown"),
        max_total_ms=get("max_total_ms") or DEFAULT_MAX_LENGTH_MS,
        verbosity=get("verbosity"),
        pace=get("pace"),
        breath=get("breath"),
        skip=tuple(Text(n, None, "--skip") for n in get("skip_names", ())),
        duration_ms=get("duration"),
    )
    _check_session(session)
    output = Output(
        folder=get("out_dir") or Output().folder,
        fmt=get("fmt") or Output().fmt,
        bitrate=get("bitrate"),
        captions=get("captions") or (),
        chapters_json=bool(get("chapters_json")),
        cover=not get("no_cover"),
    )
    return Settings(
        session=session,
        voice=VoiceOverrides(backend=get("backend"), name=get("voice_name"), rate=get("rate")),
        mix=MixSettings(
            preset=get("mix_preset") or MixSettings().preset, pan_sides=bool(get("pan_sides")), music=music
        ),
        output=output,
        allow_outside=bool(get("allow_outside")),
        recordings=recordings,
    )


def _check_session(session: Options) -> None:
    """What the flags ask of the session together: a --duration within --max-length (the
    limit holds for the track as fitted), a --breath that --pace keeps above the floor."""
    if session.duration_ms is not None and session.duration_ms > session.max_total_ms:  # the track as fitted
        from matcue.core.durations import duration_text

        raise click.BadParameter(
            f"{duration_text(session.duration_ms)} is longer than the limit of {duration_text(session.max_total_ms)}"
            " (raise the limit with --max-length)",
            param_hint="'--duration'",
        )
    if session.breath is not None and session.pace is not None:  # both flags: the floor holds as paced
        from matcue.routine.model import pace_floor

        b = session.breath
        why = pace_floor(b, session.pace)
        if why is not None:
            phases = (b.inhale_ms, b.hold_in_ms, b.exhale_ms, b.hold_out_ms) if b.hold_in_ms or b.hold_out_ms else (
                b.inhale_ms, b.exhale_ms)  # fmt: skip
            pattern = ":".join(f"{ms / 1000:g}" for ms in phases)
            raise click.BadParameter(f"with --breath {pattern}, {why}", param_hint="'--pace'")


_SCHEDULER = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.-]*)://)?([^\s/:\[\]@]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})")
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss")  # what Dask reaches another process with


def parse_scheduler(value: str | None) -> str | None:
    """``--scheduler``: ``[SCHEME://]HOST:PORT``: a scheme Dask reaches another process
    with (:data:`SCHEDULER_SCHEMES`; ``ucx://`` or ``ucxx://`` when distributed-ucxx is
    installed), a host name by the one rule for host names (an international one converted
    by IDNA, a malformed one refused: :func:`matcue.core.hosts.ascii_host`) or an IP
    address, a port from 1 to 65535."""
    import importlib.util

    from matcue.core.hosts import HostError, ascii_host

    if value is None:
        return None
    address, given = value.strip(), shown(value, 80)
    m = _SCHEDULER.fullmatch(address)
    scheme = (m.group(1) or "tcp").lower() if m else ""
    if scheme == "inproc":
        why = "an inproc:// address is inside one process, which matcue cannot reach: give the scheduler's tcp:// one"
    elif scheme in ("ucx", "ucxx") and importlib.util.find_spec("distributed_ucxx") is None:
        why = f"a {scheme}:// address needs distributed-ucxx installed (here and on the workers), or give a tcp:// one"
    elif m is None or scheme not in (*SCHEDULER_SCHEMES, "ucx", "ucxx") or not 1 <= int(m.group(3)) <= 65535:
        why = "expected a Dask scheduler address like tcp://host:8786"
    else:
        try:
            name = ascii_host(m.group(2))
        except HostError as e:
            raise click.BadParameter(str(e), param_hint="'--scheduler'") from None
        return f"{scheme + '://' if m.group(1) else ''}{name}:{m.group(3)}"  # 'TCP://' as Dask spells it
    raise click.BadParameter(f"{why}, got {given}", param_hint="'--scheduler'")


def parse_captions(value: str | None) -> tuple[str, ...]:
    from matcue.share.sidecars import CAPTION_FORMATS

    if value is None:
        return ()
    expected = f"expected a comma-separated list of {', '.join(CAPTION_FORMATS)} (or 'all')"
    given = [v.strip() for v in value.split(",")]
    names = [v.lower() for v in given]
    for i, name in enumerate(names, 1):  # '' and 'vtt,,srt' named nothing, and wrote no captions
        if not name:
            got = f"an empty item (item {i} of {shown(value)})" if len(names) > 1 else "an empty value"
            raise click.BadParameter(f"{expected}, got {got}", param_hint="'--captions'")
    if names == ["all"]:
        return CAPTION_FORMATS
    bad = next((g for g, n in zip(given, names) if n not in CAPTION_FORMATS), None)
    if bad is not None:
        got = shown(bad) if len(names) == 1 else f"{shown(bad)} in {shown(value)}"
        raise click.BadParameter(f"{expected}, got {got}", param_hint="'--captions'")
    return tuple(dict.fromkeys(names))


def parse_feed_url_option(value: str | None) -> str | None:
    from matcue.share.feed import FeedError, parse_feed_url

    if value is None:
        return None
    try:
        return parse_feed_url(value)
    except FeedError as e:
        raise click.BadParameter(str(e).removeprefix(f"--feed-url {value!r}: "), param_hint="'--feed-url'") from None
