"""The one error boundary of the command line: every command runs inside
:meth:`MatcueGroup.invoke`. Our errors exit 1 with their located message, usage errors 2
(click), anything unexpected 3 with a hint to rerun with ``--traceback``, Ctrl-C 130."""

from __future__ import annotations

import errno
import sys
import traceback
from typing import Any

import click

from matcue.core.errors import MatcueError, cut_middle, printable, shown

EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 1, 2, 3, 130
NAME_REFUSED = frozenset({errno.ENAMETOOLONG, errno.ELOOP})  # the OS refuses the name itself
OUTPUT_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})  # stdout refuses what is printed
MAX_USAGE_MESSAGE = 400  # a usage error quotes the value given: 5000 characters of it helped no one


def _shortened(e: click.ClickException) -> click.ClickException:
    """``e`` with its message cut in the middle when it is longer than
    :data:`MAX_USAGE_MESSAGE`: click quotes the value it refuses, whole."""
    if len(e.message) > MAX_USAGE_MESSAGE:
        e.message = cut_middle(e.message, MAX_USAGE_MESSAGE)  # type: ignore[misc]  # click formats its message later
    return e


def fail(msg: str) -> int:
    """Print the summary of a command that did part of its work; its exit status (1)."""
    click.echo(msg, err=True)
    return EXIT_ERROR


def _working_folder() -> None:
    """Every command may read or write relative to the working folder (its paths, the
    project lexicon, the speech cache, audio_out): one that was deleted under the shell is
    a clear error before any of them, not a FileNotFoundError wherever one is first met."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        raise MatcueError(
            "the working folder no longer exists (it was deleted or moved away); "
            "cd to a folder that exists and run matcue again"
        ) from None


def _quiet_stdout() -> None:
    """Point stdout at the null device, so what is still buffered for it is dropped at exit
    instead of failing again ("Exception ignored ... BrokenPipeError")."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class MatcueGroup(click.Group):
    """The one error boundary: every command runs inside :meth:`invoke`."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as e:  # the group's own options: 'matcue --<5000 characters>'
            raise _shortened(e) from None

    def invoke(self, ctx: click.Context) -> Any:
        from matcue.core.limits import command

        try:
            _working_folder()
            with command():  # one budget for the work of the whole command (matcue.core.limits)
                return super().invoke(ctx)
        except click.ClickException as e:
            raise _shortened(e) from None  # click prints usage errors and exits 2
        except (click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            from matcue.core.atomic import discard_all

            discard_all()  # whatever the interrupt cut off before its clean-up knew of it
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:  # the reader went away (`matcue voices | head`): stop quietly
            _quiet_stdout()
            ctx.exit(0)
        except MatcueError as e:
            for line in e.located or (printable(f"Error: {e}"),):  # located lines, each said as it is
                click.echo(line, err=True)
            ctx.exit(EXIT_ERROR)
        except Exception as e:
            if isinstance(e, OSError) and e.filename is None and e.errno in OUTPUT_FULL:
                # our own output (stdout: '> plan.json' on a full disk, '> /dev/full') cannot be written
                from matcue.core.atomic import why_not_written

                _quiet_stdout()
                click.echo(f"Error: cannot write the output: {why_not_written(e)}", err=True)
                ctx.exit(EXIT_ERROR)
            if isinstance(e, OSError) and e.errno in NAME_REFUSED and e.filename is not None:
                # a name the system refuses wherever a command meets it (a folder, a profile,
                # the cache): longer than it takes, or a loop of symbolic links; not a bug
                click.echo(printable(f"Error: {shown(str(e.filename))}: {e.strerror}"), err=True)
                ctx.exit(EXIT_ERROR)
            if ctx.obj and ctx.obj.get("traceback"):
                click.echo(traceback.format_exc(), err=True, nl=False)
            else:
                click.echo(printable(f"Unexpected error: {type(e).__name__}: {e}"), err=True)
                click.echo("This is a bug in matcue. Rerun with --traceback to see where it happened.", err=True)
            ctx.exit(EXIT_BUG)
