"""Shared pytest fixtures. Each group sits under its own header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# ----------------------------------------------------------------- signals


def pytest_configure(config: pytest.Config) -> None:
    """Run with SIGINT at its default, even when the suite was started in the background.

    A shell without job control starts background jobs with SIGINT ignored, and a child
    inherits that: matcue, rightly, then stays deaf to Ctrl-C, so the interrupt tests would
    wait for an exit that never comes. Restoring Python's handler here makes every child
    start with SIGINT at its default, as it is for a person at a terminal.
    """
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# ----------------------------------------------------------------- voice (matcue.voice)


@pytest.fixture
def voice_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty voice cache under tmp_path, also set as $MATCUE_CACHE_DIR."""
    folder = tmp_path / "voice-cache"
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def fake_voice(voice_cache_dir: Path) -> Iterator[object]:
    """A fresh FakeVoice registered as backend ``fake`` (its ``calls`` start at 0)."""
    from matcue.voice.backends.fake import FakeVoice
    from matcue.voice.registry import BACKENDS, register_backend

    voice = FakeVoice()
    previous = BACKENDS["fake"]
    register_backend("fake", lambda: voice)
    yield voice
    register_backend("fake", previous)


# ----------------------------------------------------------------- command line


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``run("check", "routines/x.yaml")``: the CLI through click's CliRunner, from the
    project's root folder (so relative paths in tests name the repository's files)."""
    from click.testing import CliRunner

    from matcue.cli.main import cli

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


# ----------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def _isolated_voice_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the project's voice/ folder: a session-wide cache under tmp.

    Tests that need an empty cache use ``voice_cache_dir``, which overrides this.
    """
    import os

    if "MATCUE_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "shared-voice-cache"))
