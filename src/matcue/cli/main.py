"""The command line: the ``matcue`` group and its commands, one module each.

Each command (``matcue.cli.<command>``) parses its options, the shared ones by the
decorators of :mod:`matcue.cli.options` into one :class:`matcue.settings.Settings`, and
calls one library function. Every command runs inside the one error boundary
(:mod:`matcue.cli.boundary`): our errors exit 1 with their message, usage errors 2,
Ctrl-C 130, anything unexpected 3 with a hint to rerun with ``--traceback``.
To add a command: a module here with a ``click.command``, added to the group below.
"""

from __future__ import annotations

import sys

import click

from matcue import __version__
from matcue.cli.authoring import register
from matcue.cli.boundary import EXIT_ERROR, MatcueGroup
from matcue.cli.check import check, script
from matcue.cli.cues import cues
from matcue.cli.doctor import doctor
from matcue.cli.pack import pack
from matcue.cli.render import render
from matcue.cli.voices import voices


@click.group(name="matcue", cls=MatcueGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="matcue")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """Turn a yoga, stretching or mobility routine written in YAML into a guided MP3:
    spoken cues, breath-pacing tones, bells and countdowns, with chapters."""
    ctx.ensure_object(dict)
    ctx.obj["traceback"] = traceback


for _command in (check, script, render, pack, voices, doctor, cues):
    cli.add_command(_command)
register(cli)  # schema, new (matcue.cli.authoring)


STDOUT_CLOSED = "standard output is closed (send it to a file, or to /dev/null)"


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so a render removes its temporary files on the
    way out (a closed terminal left them, and the workers of a roster went on alone)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status (the console script calls this)."""
    import signal

    from matcue.core.stops import stop_signals

    try:
        for sig in stop_signals() - {signal.SIGINT}:
            signal.signal(sig, _terminate)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        pass
    if sys.stdout is None:  # fd 1 closed ('matcue script r.yaml >&-'): every line went nowhere, exit 0
        if sys.stderr is not None:
            print(f"Error: cannot write the output: {STDOUT_CLOSED}", file=sys.stderr)
        return EXIT_ERROR
    try:
        cli.main(args=argv, prog_name="matcue", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_ERROR)
    return 0


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
