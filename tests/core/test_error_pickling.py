"""Every MatcueError crosses a process boundary whole (a roster's Dask or process worker
sends its errors back): pickled and unpickled, it has its class, message, located lines and
every attribute it was made with."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import matcue
from matcue.core.errors import LinesError, Mark, MatcueError, Problem, RoutineError, ToolMissingError


def _all_subclasses() -> list[type[MatcueError]]:
    for info in pkgutil.walk_packages(matcue.__path__, "matcue."):
        if info.name == "matcue.__main__":  # runs the command line
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # an optional backend's module whose package is not installed
            continue
    out: list[type[MatcueError]] = []
    todo = [MatcueError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(c for c in cls.__subclasses__() if c not in out)
    return sorted(set(out), key=lambda c: f"{c.__module__}.{c.__qualname__}")


PROBLEMS = [
    Problem(Mark("r.yaml", 3, 5), "steps[0].say", "expected a text", "like 'say: Hello.'"),
    Problem(None, "", "x"),
]
ARGS: dict[str, tuple[object, ...]] = {
    "RoutineError": (PROBLEMS, "people/anna.yaml"),
    "ToolMissingError": ("ffmpeg", "ffmpeg"),
    "UnknownVoiceError": ("unknown voice 'x'", "see 'matcue voices'"),
    "FitError": ("Morning", 60_000, 90_000, 120_000),
    "UnknownDocumentError": ("rotine",),
    "CoverError": ("is not an image", "a JPEG or PNG"),
    "MusicError": ("cannot be decoded", "an audio file"),
}
LINES = (["r/index.yaml:1:1: 'a.wav' is not in the recordings", "r/b.wav: too long"],)


def _made(cls: type[MatcueError]) -> MatcueError:
    args = ARGS.get(cls.__name__, LINES if issubclass(cls, LinesError) else ("one message",))
    return cls(*args)


SUBCLASSES = _all_subclasses()


def test_every_error_class_is_found() -> None:
    names = {c.__name__ for c in SUBCLASSES}
    assert {"RoutineError", "RecordingError", "LexiconError", "ToolMissingError", "VoiceError"} <= names


@pytest.mark.parametrize("cls", SUBCLASSES, ids=lambda c: c.__name__)
def test_every_matcue_error_round_trips_through_pickle(cls: type[MatcueError]) -> None:
    err = _made(cls)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err) and back.args == err.args
    assert back.located == err.located
    assert vars(back) == vars(err)


def test_a_routine_error_keeps_its_problems_and_source() -> None:
    back = pickle.loads(pickle.dumps(RoutineError(PROBLEMS, "people/anna.yaml")))
    assert back.problems == tuple(PROBLEMS) and back.source == "people/anna.yaml"
    assert back.located == ("r.yaml:3:5: steps[0].say: expected a text (like 'say: Hello.')", "x")


def test_a_tool_missing_error_keeps_its_tool_and_package() -> None:
    back = pickle.loads(pickle.dumps(ToolMissingError("ffmpeg", "ffmpeg")))
    assert (back.tool, back.package) == ("ffmpeg", "ffmpeg")
    assert str(back).startswith("ffmpeg is not installed (install the 'ffmpeg' package")
