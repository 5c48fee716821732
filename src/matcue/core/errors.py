"""The one family of user-facing errors.

Every failure a user can cause or fix derives from :class:`MatcueError`; the CLI turns
it into a message and exit status 1 in one place (``matcue.cli.main``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_PROBLEMS = 200  # loading and compiling stop collecting problems after this many


def is_control(ch: str) -> bool:
    """Whether ``ch`` is a control character (C0, DEL, C1: terminal escape codes start
    with one) or a format character (a bidirectional override, a zero-width joiner)."""
    return unicodedata.category(ch) in ("Cc", "Cf")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control characters (terminal escape codes
    start with one), format characters such as bidirectional overrides and lone
    surrogates (which no terminal can be sent) are written as ``\\x1b`` / ``\\u202e`` /
    ``\\U000e0041``; line breaks and tabs stay. File names reach messages as
    given, so every message passes through this on its way out."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        cp = ord(ch)
        if ch in "\n\t" or not (is_control(ch) or 0xD800 <= cp <= 0xDFFF):
            out.append(ch)
        else:  # a tag character U+E0041 as \U000e0041, never as \ue004 followed by "1"
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}")
    return "".join(out)


def printable_name(text: str) -> str:
    """A file name or a key path as a message shows it: as :func:`printable`, and a line
    break or a tab in it escaped too (``\\x0a``), so a name cannot start a line of its own
    that reads like another message (``x\\nr.yaml:1:1: ok``)."""
    return printable(text).replace("\n", "\\x0a").replace("\t", "\\x09")


def cut_middle(text: str, limit: int) -> str:
    """``text``, or when longer than ``limit`` its two ends joined by `` ... ``."""
    if len(text) <= limit:
        return text
    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


def shown(value: str, limit: int = 60) -> str:
    """``repr`` of a value for a message, shortened in the middle when long."""
    return repr(cut_middle(value, limit))


class MatcueError(Exception):
    """A failure the user can understand and fix (bad routine, missing tool...).

    ``located``: the located problem lines it stands for (``file:line:col: what``), one
    message line each, already printable; empty for an error that is one message, which
    the command line says as ``Error: MESSAGE``. Every place that reports an error reads
    this, never the message split into lines."""

    located: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its class, message and attributes, never by calling ``__init__`` with
        the message (a RoutineError would take it for its problems, a ToolMissingError would
        miss its package): a roster's worker process sends its errors whole."""
        return (_restored, (type(self), str(self), dict(vars(self))))


def _restored(cls: type[MatcueError], message: str, state: dict[str, object]) -> MatcueError:
    """A pickled :class:`MatcueError` as it was: its message, its located lines, the rest."""
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    vars(err).update(state)
    return err


class LinesError(MatcueError):
    """An error that is one message, or the located lines of a file's problems (a lexicon's,
    a recordings folder's, a feed manifest's), each made printable and said as a routine's
    problems are: ``problems`` and :attr:`MatcueError.located` hold them."""

    def __init__(self, message: str | Sequence[object]):
        if isinstance(message, str):
            super().__init__(message)
            return
        self.problems: tuple[str, ...] = tuple(str(p) for p in message)
        self.located = tuple(printable(p) for p in self.problems)
        super().__init__("\n".join(self.located))


@dataclass(frozen=True, slots=True)
class Mark:
    """A place in a source file: 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{printable_name(self.path)}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a routine: ``PATH:LINE:COL: where: what (hint)``."""

    mark: Mark | None
    where: str
    what: str
    hint: str = ""

    def __str__(self) -> str:
        head = f"{self.mark}: " if self.mark is not None else ""
        where = f"{printable_name(self.where)}: " if self.where else ""
        hint = f" ({self.hint})" if self.hint else ""
        return printable(f"{head}{where}{self.what}{hint}")  # a path or a value may hold escape codes


class RoutineError(MatcueError):
    """One or more problems in a routine; ``str()`` gives one line per problem. ``source``:
    the file the problems are about when a list of files is loaded (a roster's profiles),
    so a summary can name it even when no problem has a line and column."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], source: str | None = None):
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        self.located = tuple(str(p) for p in self.problems)
        super().__init__("\n".join(self.located))


class ToolMissingError(MatcueError):
    """An external program (ffmpeg, espeak-ng...) is not installed."""

    def __init__(self, tool: str, package: str):
        self.tool = tool
        self.package = package
        super().__init__(
            f"{tool} is not installed (install the '{package}' package, "
            f"e.g. 'sudo apt-get install {package}', or run scripts/setup)"
        )


class VoiceError(MatcueError):
    """A voice backend failed to speak a phrase."""


class RenderError(MatcueError):
    """Rendering or encoding the audio failed."""
