"""scripts/bench-formats: choose each format's default bitrate by measurement. Prints figures.

For each format and bitrate: the cue set (tests/data/cues.txt), spoken by the voice `auto`
picks, is laid out as one track (each cue, then 600 ms of silence), mixed and encoded
by matcue's own renderer exactly as a routine is (levels, loudness target, limiter), then
decoded with ffmpeg, cut back into its cues at their known times and scored as
scripts/voicecheck scores a voice: by each ``--judge`` (pocketsphinx, whisper; default
whisper), clean and at each ``--noise-snr`` (white noise that far below the speech, the
same noise for every setting). ffmpeg's ebur128 measures the file's integrated loudness and
true peak. The reference is the same track, mixed but not encoded. A setting keeps the score
when every word error rate is at most the reference's plus ``--wer-slack``, its loudness
is within ``--lufs-slack`` of the reference and its true peak at most -1 dBTP (the mix's
own promise after decoding); the smallest setting that keeps it, with every
larger one keeping it too, is the format's pick (the settings below the first that loses
are not scored).

``--session ROUTINE`` also renders ROUTINE in each format at its pick (``--fit-minutes
60``: fitted to an hour first) and prints the file sizes, and the size of an hour of it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from matcue.audio.codec import FORMATS
from matcue.audio.formats import TrackEncoding, render_track
from matcue.audio.mixdown import CEILING_DBTP
from matcue.audio.render import mix
from matcue.core.errors import MatcueError
from matcue.core.pcm import SAMPLE_RATE, ms_to_samples
from matcue.plan.timeline import Event, Timeline
from matcue.voice.base import VoiceSpec
from matcue.voice.cache import speak_all
from matcue.voice.intelligibility import JUDGES, column_label, read_cues, require_judge, score_clips, words_for_scoring
from matcue.voice.lexicon import builtin_lexicon
from matcue.voice.registry import get_backend

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from audiocheck import loudness  # noqa: E402 - ffmpeg's ebur128, as the tests measure it

GAP_MS = 600
PEAK_LIMIT_DBTP = CEILING_DBTP + 1.0  # what the mix promises after decoding (-1 dBTP): a louder peak loses
CANDIDATES = {  # the default first, then lower settings
    "mp3": ("96k", "64k", "48k"),
    "m4a": ("128k", "96k", "64k", "48k", "32k"),
    "opus": ("32k", "24k", "16k", "12k"),
}


def cue_track(cues: list[str], spec: VoiceSpec) -> tuple[Timeline, dict]:  # type: ignore[type-arg]
    speech = speak_all(cues, spec, lexicon=builtin_lexicon())
    events, t = [], GAP_MS
    for cue in cues:
        n = speech.clips[cue].length_ms
        events.append(Event(t, t + n, "speech", text=cue))
        t += n + GAP_MS
    return Timeline("cue set", t, (), tuple(events)), dict(speech.clips)


def decode(path: Path) -> np.ndarray:
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE),
           "pipe:1"]  # fmt: skip
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, dtype="<i2").copy()


def wers(pcm: np.ndarray, timeline: Timeline, cues: list[str], columns: list[tuple[str, float | None]]) -> list[float]:
    """The word error rate of the decoded track ``pcm`` for each (judge, noise) column."""
    pad = ms_to_samples(GAP_MS // 3)
    pieces = [pcm[max(0, ms_to_samples(e.start_ms) - pad) : ms_to_samples(e.end_ms) + pad] for e in timeline.events]
    out = []
    for judge, snr in columns:
        scored = score_clips(pieces, cues, judge=judge, snr_db=snr)
        out.append(sum(c.errors for c in scored) / sum(c.words for c in scored))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="scripts/bench-formats", description=__doc__.split("\n")[0])
    ap.add_argument("--cues", type=Path, default=Path("tests/data/cues.txt"))
    ap.add_argument("--formats", default="mp3,m4a,opus")
    ap.add_argument("--every", type=int, default=1, metavar="N", help="score every Nth cue only (a quicker run)")
    ap.add_argument(
        "--bitrates",
        metavar="FMT=R,R...",
        action="append",
        default=[],
        help="bitrates to try for a format, largest first (repeatable), e.g. opus=32k,24k,16k",
    )
    ap.add_argument("--judge", action="append", choices=JUDGES, default=[],
                    help="the recognizer (repeatable; default: whisper)")  # fmt: skip
    ap.add_argument("--noise-snr", type=float, action="append", default=[], metavar="DB",
                    help="also score with white noise DB below the speech (repeatable)")  # fmt: skip
    ap.add_argument("--wer-slack", type=float, default=0.005)
    ap.add_argument("--lufs-slack", type=float, default=0.5)
    ap.add_argument("--session", type=Path, help="a routine to render in each format at its pick")
    ap.add_argument("--fit-minutes", type=int, help="fit the --session routine to this length first (--duration)")
    args = ap.parse_args()

    cues = read_cues(args.cues)[:: args.every]
    candidates = dict(CANDIDATES)
    for spec_text in args.bitrates:
        name, _, rates = spec_text.partition("=")
        candidates[name] = tuple(rates.split(","))
    judges = args.judge or ["whisper"]
    for judge in judges:
        require_judge(judge)
    columns: list[tuple[str, float | None]] = [(j, snr) for j in judges for snr in [None, *args.noise_snr]]
    heads = [column_label(j, snr) for j, snr in columns]
    backend = get_backend("auto")
    spec = VoiceSpec(backend=backend.name, rate=getattr(backend, "default_rate_wpm", 150))
    timeline, clips = cue_track(cues, spec)
    words = sum(len(words_for_scoring(c)) for c in cues)  # what a word error rate divides by
    print(f"voice {backend.name} at {spec.rate} wpm; {len(cues)} cues ({words} words), "
          f"{timeline.total_ms / 1000:.0f} s of track", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ref_pcm = mix(timeline, clips)
        ref_wav = folder / "ref.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1",
                        "-i", "pipe:0", str(ref_wav)], input=ref_pcm.tobytes(), check=True)  # fmt: skip
        started = time.monotonic()
        ref_wers = wers(ref_pcm, timeline, cues, columns)
        ref_lufs, ref_peak = loudness(ref_wav)
        print(f"{'format':<6} {'bitrate':>7} " + " ".join(f"{h:>13}" for h in heads)
              + f" {'LUFS':>6} {'dBTP':>6} {'kB/min':>7}  keeps")  # fmt: skip
        row = " ".join(f"{w:13.3f}" for w in ref_wers)
        print(f"{'pcm':<6} {'-':>7} {row} {ref_lufs:6.1f} {ref_peak:6.1f} {'-':>7}  (reference)", flush=True)
        picks: dict[str, str] = {}
        for name in args.formats.split(","):
            fmt = FORMATS[name]
            for bitrate in candidates[name]:
                path = folder / f"{name}-{bitrate}{fmt.extension}"
                render_track(timeline, clips, path, TrackEncoding(fmt, bitrate))
                got = wers(decode(path), timeline, cues, columns)
                lufs, peak = loudness(path)
                per_min = path.stat().st_size / 1000 / (timeline.total_ms / 60_000)
                keeps = all(w <= r + args.wer_slack for w, r in zip(got, ref_wers))
                keeps = keeps and abs(lufs - ref_lufs) <= args.lufs_slack and peak <= PEAK_LIMIT_DBTP
                row = " ".join(f"{w:13.3f}" for w in got)
                mark = "yes" if keeps else "no"
                print(f"{name:<6} {bitrate:>7} {row} {lufs:6.1f} {peak:6.1f} {per_min:7.0f}  {mark}", flush=True)
                if not keeps:
                    rest = candidates[name][candidates[name].index(bitrate) + 1 :]
                    if rest:
                        print(f"{name:<6} {','.join(rest):>7}  not scored: below a setting that lost the score")
                    break
                picks[name] = bitrate  # candidates go from large to small
        print("picks: " + ", ".join(f"{k} {v}" for k, v in picks.items()))
        print(f"({time.monotonic() - started:.0f} s)", flush=True)
        if args.session:
            session(args.session, picks, folder, args.fit_minutes * 60_000 if args.fit_minutes else None)


def session(routine: Path, picks: dict[str, str], folder: Path, fit_ms: int | None) -> None:
    """Render ``routine`` (fitted to ``fit_ms`` when given) in every format, at its pick (or
    its default when it was not measured), and print the size an hour of it takes."""
    from matcue.api import render_routine
    from matcue.plan.compile import Options
    from matcue.settings import Output, Settings

    for name, fmt in FORMATS.items():
        bitrate = picks.get(name, fmt.default_bitrate)
        start = time.monotonic()
        output = Output(folder / "session", fmt=name, bitrate=bitrate, cover=False)
        try:
            r = render_routine(routine, Settings(session=Options(duration_ms=fit_ms), output=output))
        except MatcueError as e:  # a routine that cannot be fitted: its own length, scaled
            print(f"{routine.name}: {e}; its own length, scaled to an hour", flush=True)
            fit_ms = None
            r = render_routine(routine, Settings(output=output))
        size = r.path.stat().st_size
        hour = size * 3_600_000 / r.total_ms
        print(f"{routine.name} ({r.total_ms / 60_000:.1f} min) as {name} {bitrate}: {size / 1e6:.2f} MB, "
              f"{hour / 1e6:.1f} MB an hour ({time.monotonic() - start:.0f} s to render)", flush=True)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
