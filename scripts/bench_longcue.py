"""What one long cue costs each voice: ``matcue script`` of a routine with a single cue of
``--chars`` characters (``word word ...``, one sentence, no comma: the worst case for the
piece rule, cut only between words), cold speech cache, against a cue of two words.

Each run is a child process with a fresh ``MATCUE_CACHE_DIR``; its peak resident memory
is what the kernel reports when it is reaped (``os.wait4``), the wall time is the whole
command's (so it includes loading the voice). Prints the median over ``--repeat`` runs.
``--src`` runs another tree's ``src`` (e.g. a checkout of main) with this venv, for a
before/after. Run through ``scripts/bench-longcue``; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def routine(chars: int) -> str:
    words = ("word " * (chars // 5 + 1))[:chars].strip()
    return f'title: T\nsteps:\n  - say: "{words}"\n'


def run(path: Path, backend: str, src: Path, cache: Path) -> tuple[float, float, str]:
    """Peak RSS (MB), wall seconds and the speech length ``matcue script`` printed."""
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache), "PYTHONPATH": str(src)}
    cmd = [PY, "-m", "matcue", "script", str(path), "--backend", backend]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{errors.read().decode(errors='replace')}")
    m = re.search(r"\((\d+(?:\.\d+)?s)\)\s*$", out.decode(errors="replace").strip())
    return usage.ru_maxrss / 1024, wall, m.group(1) if m else "?"  # ru_maxrss is in kB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(prog="scripts/bench-longcue", description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default="hibari,flite,espeak-ng", help="voices to measure")
    ap.add_argument("--chars", type=int, default=1500, help="length of the long cue (default 1500)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (the median is printed)")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the matcue sources to run (default: this tree)")
    args = ap.parse_args()
    print(f"matcue script of one cue, cold speech cache, median of {args.repeat}; "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; src {args.src}")  # fmt: skip
    print(f"{'backend':<10} {'cue':>6} {'speech':>8} {'wall s':>7} {'peak MB':>8}", flush=True)
    with tempfile.TemporaryDirectory(prefix="matcue-bench-longcue-") as tmp:
        for backend in args.backends.split(","):
            for chars in (9, args.chars):
                path = Path(tmp) / f"r{chars}.yaml"
                path.write_text(routine(chars), encoding="utf-8")
                runs = []
                for i in range(args.repeat):
                    runs.append(run(path, backend, args.src, Path(tmp) / f"cache-{backend}-{chars}-{i}"))
                rss = statistics.median(r[0] for r in runs)
                wall = statistics.median(r[1] for r in runs)
                print(f"{backend:<10} {chars:>6} {runs[0][2]:>8} {wall:>7.2f} {rss:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
