"""scripts/voicecheck: speak the cue set with a voice, transcribe it, print word error rates.

A file, not code fed to python on stdin: the transcription runs in worker processes, which
start by importing this module (hence the main() guard).
"""

import argparse
import sys
from pathlib import Path

from matcue.api import backend_default_rate
from matcue.core.errors import MatcueError
from matcue.voice.base import VoiceSpec
from matcue.voice.intelligibility import JUDGES, column_label, read_cues, require_judge, score_voice
from matcue.voice.registry import get_backend, survey_voices


def voices_speaking(language: str = "en") -> list[tuple[str, str | None]]:
    """(backend, voice) for every installed voice of ``language`` (one for the espeak-ng
    family: its default voice for the language)."""
    runs: list[tuple[str, str | None]] = []
    code = language.lower().split("-")[0]
    for entry in survey_voices():
        if not entry.available:
            continue
        for v in entry.voices:
            if any(lang == code or lang.startswith(code + "-") for lang in v.languages) or not v.languages:
                if entry.name in ("espeak-ng", "pyttsx3"):
                    pick = {"en": ("en-us", "gmw/en-us")}.get(code, (code, f"{code}-{code}"))
                    if v.id not in pick and v.id.split("/")[-1] not in pick:
                        continue  # one representative voice for the espeak-ng family
                runs.append((entry.name, v.id))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="scripts/voicecheck",
        description=(
            "Speak the cue set with a voice, transcribe it with an offline recognizer and print the word error"
            " rate, per voice, for every judge and noise level asked for."
        ),
    )
    parser.add_argument(
        "--backend",
        action="append",
        default=[],
        help="voice backend (repeatable: each with its default voice; default: auto)",
    )
    parser.add_argument("--voice", action="append", default=[], help="voice id (repeatable; default: the backend's)")
    parser.add_argument(
        "--rate",
        type=int,
        action="append",
        default=[],
        help="words per minute (repeatable; default: the backend's tuned rate)",
    )
    parser.add_argument("--all", action="store_true", help="every installed voice of the language, every backend")
    parser.add_argument(
        "--language",
        default="en",
        metavar="TAG",
        help="the language of the cues and voices (en, de, es, fr; default en): cues from "
        "tests/data/cues-<lang>.txt, heard by whisper",
    )
    parser.add_argument(
        "--judge",
        action="append",
        choices=JUDGES,
        default=[],
        help="the recognizer (repeatable; default: pocketsphinx)",
    )
    parser.add_argument(
        "--noise-snr",
        type=float,
        action="append",
        default=[],
        metavar="DB",
        help="add white noise DB below each clip's speech level (repeatable; 'clean' always "
        "runs first unless --no-clean)",
    )
    parser.add_argument("--no-clean", action="store_true", help="with --noise-snr: skip the clean run")
    parser.add_argument("--cues", type=Path, default=None, help="cue file (one per line; default by --language)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print what the recognizer heard for each cue")
    args = parser.parse_args(sys.argv[1:])

    code = args.language.lower().split("-")[0]
    judges = args.judge or (["pocketsphinx"] if code == "en" else ["whisper"])
    cue_file = args.cues or Path("tests/data/cues.txt" if code == "en" else f"tests/data/cues-{code}.txt")
    levels: list[float | None] = ([] if args.no_clean and args.noise_snr else [None]) + list(args.noise_snr)
    try:
        cues = read_cues(cue_file)
        if args.all:
            runs = voices_speaking(args.language)
        else:
            names = [get_backend(b, args.language).name for b in args.backend or ["auto"]]
            runs = [(backend, v) for backend in names for v in (args.voice or [None])]
        for judge in judges:
            require_judge(judge, args.language)  # fails here, with the install hint, when it is missing
        columns = [(j, snr) for j in judges for snr in levels]
        heads = [column_label(j, snr) for j, snr in columns]
        specs = [VoiceSpec(backend=b, name=v, rate=rate, language=args.language) for b, v in runs
                 for rate in args.rate or [backend_default_rate(b, args.language)]]  # fmt: skip
        wers: dict[tuple[int, int], float] = {}
        names: dict[int, str] = {}
        # column by column (every voice clean by the first judge first), each figure on
        # stderr as soon as it is measured, the table at the end
        for c, (judge, snr) in enumerate(columns):
            for r, spec in enumerate(specs):
                score = score_voice(cues, spec, judge=judge, snr_db=snr)  # one process per core
                wers[r, c], names[r] = score.wer, score.voice
                print(f"  {spec.backend} {score.voice} {spec.rate} wpm, {heads[c]}: {score.wer:.3f}",
                      file=sys.stderr, flush=True)  # fmt: skip
                if args.verbose:
                    for cue in score.cues:
                        if cue.errors:
                            print(
                                f"    [{judge} {snr}] {cue.errors}/{cue.words}  said: {cue.cue}\n"
                                f"          heard: {cue.heard}",
                                file=sys.stderr,
                            )
        print(
            f"{'backend':<10} {'voice':<12} {'rate':>4}  "
            + "  ".join(f"{h:>12}" for h in heads)
            + f"  ({len(cues)} cues)"
        )
        for r, spec in enumerate(specs):
            row = "  ".join(f"{wers[r, c]:>12.3f}" for c in range(len(columns)))
            print(f"{spec.backend:<10} {names[r]:<12} {spec.rate:>4}  {row}", flush=True)
    except MatcueError as e:
        print(f"voicecheck: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
