"""Speak ONE phrase with pyttsx3 into a file, in a process of its own.

Run by :mod:`matcue.voice.backends.pyttsx3_backend`; not a public interface. It imports only the
standard library and pyttsx3 (no numpy, no matcue) so it starts fast, and it may be run
either as ``python -m matcue.voice.backends._pyttsx3_worker`` or by path with ``python -P``.

    speak  --out FILE --rate WPM [--voice ID] [--language LANG] [--wait-s S]   (text on stdin)
    voices --out FILE.json

pyttsx3 prints chatter ("Audio saved to ...") on stdout; the parent captures and drops it.
Exit status: 0 ok, 1 unexpected error, 3 pyttsx3 unusable, 4 bad voice, 5 file not written.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NO_ENGINE = 3
EXIT_BAD_VOICE = 4
EXIT_NOT_WRITTEN = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="_pyttsx3_worker")
    sub = parser.add_subparsers(dest="command", required=True)
    speak = sub.add_parser("speak")
    speak.add_argument("--out", required=True)
    speak.add_argument("--rate", type=int, required=True)
    speak.add_argument("--voice", default=None)
    speak.add_argument("--language", default=None)
    speak.add_argument("--wait-s", type=float, default=20.0)
    voices = sub.add_parser("voices")
    voices.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    try:
        import pyttsx3

        engine = pyttsx3.init()
    except Exception as exc:  # noqa: BLE001 - any failure here means "pyttsx3 unusable"
        print(f"pyttsx3 could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_NO_ENGINE

    if args.command == "voices":
        return _list_voices(engine, args.out)
    text = sys.stdin.buffer.read().decode("utf-8")
    return _speak(engine, text, args)


def _list_voices(engine: Any, out: str) -> int:
    listing = []
    for voice in engine.getProperty("voices") or []:
        langs = [_lang_str(lang) for lang in (getattr(voice, "languages", None) or [])]
        listing.append({"id": str(voice.id), "name": str(voice.name or voice.id),
                        "languages": [lang for lang in langs if lang]})  # fmt: skip
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(listing, fh)
    return EXIT_OK


def _speak(engine: Any, text: str, args: argparse.Namespace) -> int:
    try:
        if args.voice:
            engine.setProperty("voice", args.voice)
        elif args.language:
            chosen = _voice_for_language(engine, args.language)
            if chosen:
                engine.setProperty("voice", chosen)
    except Exception as exc:  # noqa: BLE001
        print(f"cannot use voice {args.voice or args.language!r}: {exc}", file=sys.stderr)
        return EXIT_BAD_VOICE
    engine.setProperty("rate", args.rate)
    engine.save_to_file(text, args.out)
    engine.runAndWait()
    if not _wait_written(args.out, args.wait_s):
        print(f"pyttsx3 did not finish writing {args.out}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    _fix_espeak_sample_rate(args.out)
    return EXIT_OK


def _lang_str(lang: Any) -> str:
    if isinstance(lang, bytes):
        lang = lang.decode("utf-8", errors="ignore")
    return str(lang).strip("\x00 ").lower().replace("_", "-")


def _voice_for_language(engine: Any, language: str) -> str | None:
    """A voice id speaking ``language`` (the current voice if it does), else None."""
    want = _lang_str(language)

    def speaks(voice: Any) -> bool:
        langs = [_lang_str(lang) for lang in (getattr(voice, "languages", None) or [])]
        return any(lang == want or lang.startswith(want + "-") for lang in langs)

    voices = list(engine.getProperty("voices") or [])
    current = engine.getProperty("voice")
    for voice in voices:
        if voice.id == current and speaks(voice):
            return None
    for voice in voices:
        if speaks(voice):
            return str(voice.id)
    return None


def _wait_written(path: str, wait_s: float) -> bool:
    """Poll until ``path`` is a complete RIFF/FORM file whose size has stopped changing."""
    deadline = time.monotonic() + wait_s
    last = -1
    while time.monotonic() < deadline:
        size = os.path.getsize(path) if os.path.exists(path) else -1
        if size > 12 and size == last and _header_complete(path, size):
            return True
        last = size
        time.sleep(0.02)
    return False


def _header_complete(path: str, size: int) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[:4] == b"RIFF":
        return struct.unpack("<I", head[4:8])[0] + 8 == size
    if head[:4] == b"FORM":
        return struct.unpack(">I", head[4:8])[0] + 8 == size
    return False


def _fix_espeak_sample_rate(path: str) -> None:
    """pyttsx3's espeak driver always writes 22050 Hz in the header; MBROLA voices run at
    another rate (often 16000 Hz). Put the engine's real rate into the WAV header."""
    espeak = sys.modules.get("pyttsx3.drivers._espeak")
    dll = getattr(espeak, "dll", None)
    get_rate = getattr(dll, "espeak_ng_GetSampleRate", None)
    if get_rate is None:
        return
    try:
        real = int(get_rate())
    except Exception:  # noqa: BLE001 - keep the header as written
        return
    with open(path, "r+b") as fh:
        head = fh.read(36)
        if len(head) < 36 or head[:4] != b"RIFF" or head[12:16] != b"fmt ":
            return
        channels, written = struct.unpack("<HI", head[22:28])
        (bits,) = struct.unpack("<H", head[34:36])
        if 8000 <= real <= 96000 and real != written:
            fh.seek(24)
            fh.write(struct.pack("<II", real, real * channels * bits // 8))


if __name__ == "__main__":
    sys.exit(main())
