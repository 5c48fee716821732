"""pyttsx3: the cross-platform voice (SAPI5 on Windows, NSSpeech on macOS, libespeak-ng
on Linux).

pyttsx3 is unreliable when several files are saved from one process (only the last file
is written, a second engine silences the first, ``runAndWait`` may return before a long
file is written, it prints to stdout). So every phrase is spoken by a fresh worker
process (:mod:`matcue.voice.backends._pyttsx3_worker`) with its output captured; afterwards we
poll until the file is complete and plausibly long, retry once, and only then give up.
The WAV header's sample rate is honoured (the worker corrects it for MBROLA voices).
A phrase longer than ``command.MAX_PIECE_CHARS`` is spoken in pieces, one worker each.

This module never imports pyttsx3 itself.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcue.core.errors import VoiceError, shown
from matcue.voice.backends.command import speak_in_pieces, tail
from matcue.voice.backends.espeak import SENTENCE_PAUSE_MS, default_voice, speakable_text
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec
from matcue.voice.wav import PcmAudio, WavFormatError, finish_clip_samples, read_audio_bytes, wav_problem

WORKER = Path(__file__).with_name("_pyttsx3_worker.py")

BASE_TIMEOUT_S = 30.0
TIMEOUT_S_PER_CHAR = 0.05
WAIT_CHARS_PER_S = 500  # the worker waits SETTLE_S + 1 s per 500 chars for its file
SETTLE_S = 5.0  # how long to wait, after the worker exits, for the file to be complete
POLL_S = 0.05
MIN_MS_PER_CHAR = 20  # at 150 wpm; anything shorter is a truncated file
MAX_MS_PER_CHAR = 600  # at 150 wpm; anything longer is garbage
MAX_EXTRA_MS = 5_000
REFERENCE_RATE_WPM = 150

_EXIT_NO_ENGINE = 3
_EXIT_BAD_VOICE = 4


class _Retryable(Exception):
    """A failure that a second attempt may not repeat (timeout, truncated file...)."""


@dataclass(frozen=True, slots=True)
class PlausibleRange:
    min_ms: int
    max_ms: int


def plausible_range(text: str, rate_wpm: int) -> PlausibleRange:
    """How long speaking ``text`` at ``rate_wpm`` may reasonably take."""
    chars = sum(1 for ch in text if ch.isalnum())
    scale = REFERENCE_RATE_WPM / max(1, rate_wpm)
    return PlausibleRange(
        min_ms=int(MIN_MS_PER_CHAR * chars * scale),
        max_ms=int(MAX_MS_PER_CHAR * max(chars, 1) * scale) + MAX_EXTRA_MS,
    )


def worker_command(*args: str) -> list[str]:
    """Run the worker by path with ``-P`` (no script dir on sys.path): it starts without
    importing matcue or numpy, so each phrase costs one bare interpreter start-up."""
    return [sys.executable, "-P", str(WORKER), *args]


class Pyttsx3Backend:
    """pyttsx3, one isolated worker process per phrase (safe to call from many threads)."""

    name = "pyttsx3"
    parallel = True
    retries_itself = True  # synthesize() tries a phrase twice; the guard does not add more

    def __init__(self, timeout_s: float | None = None, settle_s: float = SETTLE_S):
        self.timeout_s = timeout_s
        self.settle_s = settle_s
        self._available: bool | None = None

    # ------------------------------------------------------------------ capability

    def available(self) -> bool:
        if self._available is None:
            self._available = _pyttsx3_importable() and (not sys.platform.startswith("linux") or _libespeak_present())
        return self._available

    # ---------------------------------------------------------------------- voices

    def voices(self) -> list[VoiceInfo]:
        with tempfile.TemporaryDirectory(prefix="matcue-pyttsx3-") as tmp:
            out = Path(tmp) / "voices.json"
            proc = self._run(worker_command("voices", "--out", str(out)), b"", BASE_TIMEOUT_S)
            if proc is None:
                raise VoiceError(f"pyttsx3 took more than {BASE_TIMEOUT_S:g} s to list voices")
            if proc.returncode != 0 or not out.exists():
                raise VoiceError(f"could not list pyttsx3 voices: {_tail(proc.stderr)}")
            listing = json.loads(out.read_text(encoding="utf-8"))
        return [VoiceInfo(id=v["id"], name=v["name"], languages=tuple(v["languages"])) for v in listing]

    # ------------------------------------------------------------------ synthesis

    def synthesize(self, text: str, spec: VoiceSpec) -> Clip:
        """``text`` spoken in one worker, or a long one in pieces (``command.speak_in_pieces``)."""
        return Clip(speak_in_pieces(text, lambda piece: self._speak(piece, spec), SENTENCE_PAUSE_MS))

    def _speak(self, text: str, spec: VoiceSpec) -> np.ndarray:
        problems: list[str] = []
        for _attempt in range(2):  # one retry
            try:
                return self._attempt(text, spec)
            except _Retryable as exc:
                problems.append(str(exc))
        raise VoiceError(f"pyttsx3 failed to speak {shown(text)} (tried twice: {'; '.join(problems)})")

    def _timeout_s(self, text: str) -> float:
        if self.timeout_s is not None:
            return self.timeout_s
        return BASE_TIMEOUT_S + TIMEOUT_S_PER_CHAR * len(text)

    def _command(self, text: str, spec: VoiceSpec, out: Path) -> list[str]:
        wait_s = self.settle_s + len(text) / WAIT_CHARS_PER_S  # long texts land late
        args = ["speak", "--out", str(out), "--rate", str(spec.rate), "--wait-s", f"{wait_s:g}"]
        voice = spec.name
        if voice is None and sys.platform.startswith("linux"):
            voice = default_voice(spec.language)  # pyttsx3 drives libespeak-ng here
        if voice:
            args += ["--voice", voice]
        args += ["--language", spec.language]
        return worker_command(*args)

    def _attempt(self, text: str, spec: VoiceSpec) -> np.ndarray:
        suffix = ".aiff" if sys.platform == "darwin" else ".wav"
        with tempfile.TemporaryDirectory(prefix="matcue-pyttsx3-") as tmp:
            out = Path(tmp) / f"phrase{suffix}"
            timeout = self._timeout_s(text)
            cmd = self._command(text, spec, out)
            spoken = text
            if sys.platform.startswith("linux"):  # pyttsx3 speaks through libespeak-ng here
                spoken = speakable_text(text, spec.name or default_voice(spec.language))
            proc = self._run(cmd, spoken.encode("utf-8"), timeout)
            if proc is None:
                raise _Retryable(f"no result within {timeout:g} s")
            if proc.returncode in (_EXIT_NO_ENGINE, _EXIT_BAD_VOICE):
                raise VoiceError(f"pyttsx3 cannot speak {shown(text)}: {_tail(proc.stderr)}")
            if proc.returncode != 0:
                raise _Retryable(f"worker exit {proc.returncode}: {_tail(proc.stderr)}")
            audio = self._wait_complete(out)
        self._check_length(text, spec, audio)
        samples = finish_clip_samples(audio)
        if len(samples) == 0:
            raise _Retryable("the file holds only silence")
        return samples

    @staticmethod
    def _run(cmd: list[str], stdin: bytes, timeout: float) -> subprocess.CompletedProcess[bytes] | None:
        try:
            return subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout,
                                  check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return None
        except OSError as exc:
            raise VoiceError(f"could not start the pyttsx3 worker: {exc}") from exc

    def _wait_complete(self, path: Path) -> PcmAudio:
        """Poll until the file is complete (sizes consistent, size stable), then decode."""
        deadline = time.monotonic() + self.settle_s
        last_size = -1
        problem = "no file was written"
        while True:
            if path.exists():
                data = path.read_bytes()
                problem = wav_problem(data) or ""
                if not problem and len(data) == last_size:
                    try:
                        return read_audio_bytes(data, strict=True)
                    except WavFormatError as exc:  # pragma: no cover - wav_problem said ok
                        problem = str(exc)
                last_size = len(data)
            if time.monotonic() >= deadline:
                raise _Retryable(f"incomplete audio file after {self.settle_s:g} s: {problem}")
            time.sleep(POLL_S)

    @staticmethod
    def _check_length(text: str, spec: VoiceSpec, audio: PcmAudio) -> None:
        length_ms = len(audio.samples) * 1000 // max(1, audio.rate_hz)
        expected = plausible_range(text, spec.rate)
        if length_ms < expected.min_ms:
            raise _Retryable(f"audio too short ({length_ms} ms, expected >= {expected.min_ms})")
        if length_ms > expected.max_ms:
            raise _Retryable(f"audio too long ({length_ms} ms, expected <= {expected.max_ms})")


def _pyttsx3_importable() -> bool:
    try:
        return importlib.util.find_spec("pyttsx3") is not None
    except (ImportError, ValueError):
        return False


def _libespeak_present() -> bool:
    return any(ctypes.util.find_library(name) for name in ("espeak-ng", "espeak"))


def _tail(stderr: bytes) -> str:
    return tail(stderr) or "no message"


__all__ = ["Pyttsx3Backend", "plausible_range", "worker_command"]
