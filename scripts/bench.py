"""matcue render vs the encoder floor vs a naive pydub peer, for routines of several lengths.

For each length (minutes) this generates a routine (poses with both sides, breath holds,
during cues, reps, rests, a closing rest), then measures, in one run:

- matcue render, cold speech cache and warm, wall time and peak RSS (the whole process
  tree: Python plus its ffmpeg encoders), as medians over --repeat runs;
- the floor: ffmpeg alone encoding the same length of audio (the track matcue wrote,
  decoded back to PCM beforehand) with matcue's output settings: 44.1 kHz mono,
  LAME (ffmpeg's libmp3lame), the same constant bitrate and LAME quality setting;
- a naive peer as common guided-audio generators are built: every stretch between two
  event boundaries a pydub segment (silence with that stretch's sounds overlaid),
  appended to the track with ``+`` in a loop, then one export;
- a warm render after changing one cue: how many phrases were synthesized;
- the voices (``--voices``, default hibari and flite): a cold render of the 60-minute
  routine with each (``--backend``), its speech stage timed (synthesis time, seconds of
  speech, real-time factor = synthesis time / speech time), then a warm render; peak RSS
  of each (warm: every phrase cached, so the model is never loaded).
- a preview of one pose (``matcue render --only``, one side and both) of the 60-minute
  routine with the cache warm: the whole command's wall and CPU time (``--preview-only``
  measures just this).

Run through ``scripts/bench``; every figure printed is measured here and now.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from matcue.audio.render import LAME_QUALITY  # noqa: E402  (the floor encodes at matcue's quality)

PY = sys.executable
BITRATE = "96k"

POSES = [
    ("Pigeon", "Bring your {side} knee forward and lengthen the other leg back."),
    ("Lizard", "Step your {side} foot outside the hands and lower the back knee."),
    ("Seated forward fold", "Extend your {side} leg and fold from the hips."),
    ("Fire log", "Stack your {side} shin over the other and sit tall."),
    ("Low lunge", "Step your {side} foot forward and let the hips sink."),
    ("Supine twist", "Draw your {side} knee across the body and open the arms."),
]
CUES = [
    "Keep the spine long.",
    "Soften the shoulders away from the ears.",
    "Let the exhale be longer.",
    "Notice where the stretch is strongest.",
    "Stay if it feels calm, ease off if it pinches.",
    "Let the breath move into the hip.",
    "Relax the jaw and the face.",
]


def routine_yaml(minutes: int, variant: str = "") -> str:
    """A routine of about ``minutes`` minutes (by matcue's own speech estimate); every pose
    round has cue texts of its own, so longer routines have more distinct phrases."""
    from matcue.api import estimate_speech_ms
    from matcue.plan.compile import compile_routine
    from matcue.plan.layout import layout
    from matcue.routine.loader import loads_routine

    def text(rounds: int) -> str:
        lines = [
            f"title: Bench {minutes} minutes",
            "author: matcue bench",
            "collection: Benchmarks",
            "breath: {inhale: 4, exhale: 6}",
            "steps:",
            f"  - say: Welcome to this {minutes} minute practice.{variant}",
        ]
        for n in range(rounds):
            name, cue = POSES[n % len(POSES)]
            lines += [
                f"  - pose: {name} {n + 1}",
                f"    cue: {cue} Round {n + 1}.",
                "    sides: both",
                "    hold: 9 breaths",
                "    during:",
                f"      - at: breath 3\n        say: {CUES[n % len(CUES)]} This is round {n + 1}.",
                f"      - at: breath 6\n        say: {CUES[(n + 3) % len(CUES)]}",
                "    release: Slowly come out of the pose.",
                "    transition: 5s",
            ]
            if n % 3 == 2:
                lines += ["  - reps: 4", f"    inhale: Reach up, round {n + 1}.", "    exhale: Fold down."]
        lines += ["  - rest: 2m", "    cue: Lie down and let the breath be natural."]
        return "\n".join(lines) + "\n"

    def length_ms(src: str) -> int:
        script = compile_routine(loads_routine(src))
        return layout(script, {t: estimate_speech_ms(t) for t in script.texts()}).total_ms

    rounds = 1
    while length_ms(text(rounds + 1)) <= minutes * 60_000:
        rounds += 1
    return text(rounds)


# --- measuring ---------------------------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the process tree in MB (sampled every 10 ms), stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, peak / 1024, out


def median(xs: list[float]) -> float:
    return statistics.median(xs)


# --- the three contenders ----------------------------------------------------------


def matcue_render(routine: Path, out: Path, cache: Path, backend: str | None = None) -> tuple[float, float]:
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    extra = ["--backend", backend] if backend else []
    wall, rss, _ = run_measured([str(ROOT / ".venv/bin/matcue"), "render", str(routine), "-o", str(out), *extra], env)
    return wall, rss


COLD_WITH_SYNTHESIS_TIMED = r"""
# A cold render that times its speech stage: synthesize the routine's phrases (what a
# render speaks, through the same cache), then render (everything is cached by then).
import sys, time
from pathlib import Path
from matcue.api import VoiceOverrides, build_script, render_routine, routine_lexicon, voice_spec
from matcue.settings import Output, Settings
from matcue.voice.cache import speak_all

path, out, backend = sys.argv[1], sys.argv[2], sys.argv[3]
routine, script = build_script(path)
spec = voice_spec(routine, VoiceOverrides(backend=backend))
t0 = time.perf_counter()
speech = speak_all(script.texts(), spec, lexicon=routine_lexicon(routine))
synth = time.perf_counter() - t0
rendered = render_routine(path, Settings(voice=VoiceOverrides(backend=backend), output=Output(Path(out))))
assert rendered.synthesized == 0, rendered.synthesized
seconds = sum(c.length_ms for c in speech.clips.values()) / 1000
print(f"{synth:.3f} {seconds:.3f} {speech.synthesized} {speech.backend}")
"""


def voice_costs(minutes: int, backends: list[str], work: Path) -> None:
    """Cold and warm render of one routine with each voice backend, in this run."""
    d = work / f"voices{minutes}"
    d.mkdir()
    routine = d / "routine.yaml"
    routine.write_text(routine_yaml(minutes))
    driver = d / "cold_timed.py"
    driver.write_text(COLD_WITH_SYNTHESIS_TIMED)
    print(f"voices, {minutes}-minute routine: one cold render (its synthesis timed) and one warm render each")
    header = (f"{'backend':<10} | {'cold s':>7} {'synth s':>8} {'speech s':>9} {'RTF':>6} {'phrases':>7} "
              f"{'warm s':>7} | {'coldMB':>7} {'warmMB':>7}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for backend in backends:
        cache = d / f"cache-{backend}"
        env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
        cold, cold_rss, out = run_measured([PY, str(driver), str(routine), str(d / "out"), backend], env)
        synth, speech, phrases, _ = out.split()
        warm, warm_rss = matcue_render(routine, d / "out", cache, backend)
        rtf = float(synth) / float(speech)
        print(f"{backend:<10} | {cold:>7.2f} {float(synth):>8.2f} {float(speech):>9.1f} {rtf:>6.3f} {phrases:>7} "
              f"{warm:>7.2f} | {cold_rss:>7.0f} {warm_rss:>7.0f}", flush=True)  # fmt: skip
    shutil.rmtree(d, ignore_errors=True)


def floor_encode(pcm: Path, out: Path) -> tuple[float, float]:
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "s16le",
        "-ar",
        "44100",
        "-ac",
        "1",
        "-i",
        str(pcm),
        "-c:a",
        "libmp3lame",
        "-b:a",
        BITRATE,
        "-compression_level",
        str(LAME_QUALITY),
        "-ar",
        "44100",
        "-ac",
        "1",
        "-f",
        "mp3",
        str(out),
    ]
    wall, rss, _ = run_measured(cmd)
    return wall, rss


NAIVE = r"""
# The naive peer: how common guided-audio generators assemble a track. Every stretch
# between two event boundaries becomes a pydub segment (silence with the sounds of that
# stretch overlaid), appended to the track with + in a loop; then one export.
import sys
from pydub import AudioSegment
from matcue.api import build_timeline
from matcue.audio.encode import LAME_QUALITY
from matcue.audio.mixer import place_events, synthesize
from matcue.core.pcm import ms_to_samples

routine, out = sys.argv[1], sys.argv[2]
built = build_timeline(routine)
tl, clips = built.timeline, built.clips
sources = place_events(tl, clips)
total = ms_to_samples(tl.total_ms)
bounds = sorted({0, total} | {s.start for s in sources} | {min(s.end, total) for s in sources})

def piece(pcm):
    data = (pcm.clip(-1, 1) * 32767).astype("<i2").tobytes()
    return AudioSegment(data=data, sample_width=2, frame_rate=44100, channels=1)

track = AudioSegment.empty()
live, nxt = [], 0
for a, b in zip(bounds, bounds[1:]):
    while nxt < len(sources) and sources[nxt].start < b:
        live.append((sources[nxt], synthesize(sources[nxt], clips)))
        nxt += 1
    live = [(s, pcm) for s, pcm in live if s.end > a]
    slot = AudioSegment(data=bytes(2 * (b - a)), sample_width=2, frame_rate=44100, channels=1)
    for s, pcm in live:
        lo, hi = max(a, s.start), min(b, s.end)
        if hi > lo:
            slot = slot.overlay(piece(pcm[lo - s.start:hi - s.start]), position=(lo - a) * 1000 / 44100)
    track = track + slot
track.export(out, format="mp3", bitrate="96k", parameters=["-compression_level", str(LAME_QUALITY)])
"""


def naive_render(routine: Path, out: Path, cache: Path) -> tuple[float, float]:
    script = out.parent / "naive_peer.py"
    script.write_text(NAIVE)
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    wall, rss, _ = run_measured([PY, str(script), str(routine), str(out)], env)
    return wall, rss


def changed_cue_synthesized(routine: Path, cache: Path, out: Path) -> int:
    """Warm render after changing one cue: phrases synthesized (expected: 1)."""
    code = (
        "import sys; from pathlib import Path; from matcue.api import render_routine; "
        "from matcue.settings import Output, Settings; "
        "print(render_routine(sys.argv[1], Settings(output=Output(Path(sys.argv[2])))).synthesized)"
    )
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    res = subprocess.run([PY, "-c", code, str(routine), str(out)], env=env, capture_output=True, text=True, check=True)
    return int(res.stdout.strip())


PREVIEW_MINUTES = 60
PREVIEW_PARTS = ("Pigeon 1 (right)", "Pigeon 1")  # one side of one pose; the pose, both sides


def preview_one_pose(routine: Path, cache: Path, out: Path, repeat: int) -> list[tuple[str, float, float, str]]:
    """``matcue render ROUTINE --only NAME`` with a warm cache, for each of PREVIEW_PARTS:
    (name, median wall seconds, median CPU seconds of the process, the preview's length)."""
    import resource

    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    out_rows = []
    for name in PREVIEW_PARTS:
        cmd = [str(ROOT / ".venv/bin/matcue"), "render", str(routine), "--only", name, "-o", str(out)]
        walls, cpus, length = [], [], ""
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall, _, stdout = run_measured(cmd, env)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            walls.append(wall)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            length = stdout.strip().split("\t")[-1]
        out_rows.append((name, median(walls), median(cpus), length))
    return out_rows


def preview_lines(rows: list[tuple[str, float, float, str]], repeat: int) -> str:
    load = os.getloadavg()[0]
    head = (
        f"preview with the cache warm, {PREVIEW_MINUTES}-minute routine (medians of {repeat}; load average {load:.1f}):"
    )
    lines = [
        f"  render --only {name!r:<20} {length:>7} of audio: {wall:5.2f} s wall, {cpu:5.2f} s CPU (whole command)"
        for name, wall, cpu, length in rows
    ]
    return "\n".join([head, *lines])


def decoded_pcm(mp3: Path, pcm: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(mp3), "-f", "s16le", "-ar", "44100", "-ac", "1", str(pcm)], check=True
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="15,30,60,120", help="routine lengths in minutes")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (medians are printed)")
    ap.add_argument("--naive-max", type=int, default=120, help="skip the naive peer above this many minutes")
    ap.add_argument("--voices", default="hibari,flite", help="voice backends to compare cold and warm ('' skips)")
    ap.add_argument("--voice-minutes", type=int, default=60, help="length of the routine the voices render")
    ap.add_argument("--voices-only", action="store_true", help="only the voice comparison")
    ap.add_argument(
        "--preview-only",
        action="store_true",
        help=f"measure only the one-pose preview of the {PREVIEW_MINUTES}-minute routine",
    )
    args = ap.parse_args()
    if args.preview_only:
        work = Path(tempfile.mkdtemp(prefix="matcue-bench-"))
        routine = work / "routine.yaml"
        routine.write_text(routine_yaml(PREVIEW_MINUTES))
        matcue_render(routine, work / "out", work / "cache")  # warms the cache
        print(preview_lines(preview_one_pose(routine, work / "cache", work / "preview", args.repeat), args.repeat))
        shutil.rmtree(work, ignore_errors=True)
        return
    lengths = [] if args.voices_only else [int(x) for x in args.lengths.split(",")]
    work = Path(tempfile.mkdtemp(prefix="matcue-bench-"))
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{subprocess.run(['ffmpeg', '-version'], capture_output=True, text=True).stdout.split()[2]} ffmpeg"
    )
    print(
        f"settings: 44.1 kHz mono, LAME CBR {BITRATE} at quality {LAME_QUALITY} (matcue: lameenc in-process; "
        f"floor and naive peer: ffmpeg's libmp3lame); medians of {args.repeat} runs;\n"
        f"RSS = process-tree peak (max over the runs): coldMB with speech synthesis, RSS MB warm"
    )
    print()
    voices = [b for b in args.voices.split(",") if b]
    if voices:
        voice_costs(args.voice_minutes, voices, work)
        print()
    if not lengths:
        shutil.rmtree(work, ignore_errors=True)
        return
    header = (
        f"{'min':>4} {'audio':>8} | {'cold s':>7} {'coldMB':>7} {'warm s':>7} {'RSS MB':>7} | {'floor s':>7} "
        f"{'warm/floor':>10} | {'naive s':>8} {'naive MB':>8} {'speedup':>7} {'leaner':>6}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    preview_figure = None
    for minutes in lengths:
        d = work / f"m{minutes}"
        d.mkdir()
        routine = d / "routine.yaml"
        routine.write_text(routine_yaml(minutes))
        cold, warm, rss, cold_rss = [], [], [], []
        for r in range(args.repeat):
            cache = d / f"cache{r}"
            w, m = matcue_render(routine, d / "out", cache)
            cold.append(w)
            cold_rss.append(m)
            w, m = matcue_render(routine, d / "out", cache)
            warm.append(w)
            rss.append(m)
        mp3 = next((d / "out").glob("*.mp3"))
        pcm = d / "track.pcm"
        decoded_pcm(mp3, pcm)
        audio_min = pcm.stat().st_size / 2 / 44100 / 60
        floor = [floor_encode(pcm, d / "floor.mp3")[0] for _ in range(args.repeat)]
        pcm.unlink()
        naive_w = naive_m = float("nan")
        if minutes <= args.naive_max:
            naive_w, naive_m = naive_render(routine, d / "naive.mp3", d / "cache0")
        if minutes == PREVIEW_MINUTES:
            preview_figure = preview_one_pose(routine, d / "cache0", d / "preview", args.repeat)
        routine.write_text(routine_yaml(minutes, variant=" Welcome back."))
        changed = changed_cue_synthesized(routine, d / "cache0", d / "out")
        row = dict(
            cold_rss=max(cold_rss),
            minutes=minutes,
            audio=audio_min,
            cold=median(cold),
            warm=median(warm),
            rss=max(rss),
            floor=median(floor),
            naive=naive_w,
            naive_rss=naive_m,
            changed=changed,
        )
        rows.append(row)
        print(
            f"{minutes:>4} {audio_min:>7.1f}m | {row['cold']:>7.2f} {row['cold_rss']:>7.0f} {row['warm']:>7.2f} "
            f"{row['rss']:>7.0f} | "
            f"{row['floor']:>7.2f} {row['warm'] / row['floor']:>10.2f} | {naive_w:>8.1f} {naive_m:>8.0f} "
            f"{naive_w / row['warm']:>6.1f}x {naive_m / row['rss']:>5.1f}x",
            flush=True,
        )
        shutil.rmtree(d, ignore_errors=True)
    print()
    first, last = rows[0], rows[-1]
    scale = last["audio"] / first["audio"]
    print(
        f"growth {first['minutes']} -> {last['minutes']} min ({scale:.1f}x audio): warm time "
        f"{last['warm'] / first['warm']:.1f}x, floor {last['floor'] / first['floor']:.1f}x, "
        f"peak RSS {last['rss'] / first['rss']:.2f}x ({first['rss']:.0f} -> {last['rss']:.0f} MB)"
        + (
            f", naive time {last['naive'] / first['naive']:.1f}x,"
            f" naive RSS {last['naive_rss'] / first['naive_rss']:.1f}x"
            if last["naive"] == last["naive"]
            else ""
        )
    )
    print(
        "warm render after changing one cue synthesized: "
        + ", ".join(f"{r['changed']} phrase(s) at {r['minutes']} min" for r in rows)
    )
    if preview_figure is not None:
        print(preview_lines(preview_figure, args.repeat))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
