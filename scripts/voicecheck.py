"""scripts/voicecheck: speak the cue set with a voice, transcribe it with pocketsphinx, print WER.

A file, not code fed to python on stdin: the transcription runs in worker processes, which
start by importing this module (hence the main() guard).
"""

import argparse
import sys
from pathlib import Path

from matcue.errors import MatcueError
from matcue.voice.base import VoiceSpec
from matcue.voice.intelligibility import read_cues, require_pocketsphinx, score_voice
from matcue.voice.registry import get_backend, survey_voices


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/voicecheck", description=(
        "Speak the cue set with a voice, transcribe it with pocketsphinx and print the word error rate."))
    parser.add_argument("--backend", default="auto", help="voice backend (default: auto)")
    parser.add_argument("--voice", action="append", default=[], help="voice id (repeatable; default: the backend's)")
    parser.add_argument("--rate", type=int, action="append", default=[],
                        help="words per minute (repeatable; default: the backend's tuned rate)")
    parser.add_argument("--all", action="store_true", help="every installed English voice of every backend")
    parser.add_argument("--cues", type=Path, default=Path("tests/data/cues.txt"), help="cue file (one per line)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print what the recognizer heard for each cue")
    args = parser.parse_args(sys.argv[1:])

    try:
        cues = read_cues(args.cues)
        if args.all:
            runs = []
            for entry in survey_voices():
                if not entry.available:
                    continue
                for v in entry.voices:
                    if any(lang == "en" or lang.startswith("en-") for lang in v.languages) or not v.languages:
                        if entry.name in ("espeak-ng", "pyttsx3") and v.id not in ("en-us", "gmw/en-us"):
                            continue  # one representative voice for the espeak-ng family
                        runs.append((entry.name, v.id))
        else:
            backend = get_backend(args.backend).name
            runs = [(backend, v) for v in (args.voice or [None])]
        require_pocketsphinx()  # fails here, with the install hint, when it is missing
        print(f"{'backend':<10} {'voice':<12} {'rate':>4}  {'WER':>5}  ({len(cues)} cues)")
        for backend, voice in runs:
            rates = args.rate or [getattr(get_backend(backend), "default_rate_wpm", 150)]
            for rate in rates:
                score = score_voice(cues, VoiceSpec(backend=backend, name=voice, rate=rate))  # one process per core
                print(f"{backend:<10} {score.voice:<12} {rate:>4}  {score.wer:5.3f}", flush=True)
                if args.verbose:
                    for c in score.cues:
                        if c.errors:
                            print(f"    {c.errors}/{c.words}  said: {c.cue}\n          heard: {c.heard}")
    except MatcueError as e:
        print(f"voicecheck: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
