"""Peak memory of ``matcue render`` by ``$MATCUE_JOBS`` and routine length.

For each length (minutes) this generates the bench routine (``scripts/bench.py``'s
``routine_yaml``), warms a private speech cache with the fake voice (one render, not
measured), then renders it with ``--backend fake`` once per run for each ``MATCUE_JOBS``
value. Each render is a child process of its own; its peak resident memory is what the
kernel reports for it when it is reaped (``os.wait4``: ``ru_maxrss`` of the child and
anything it waited for). Prints the median over ``--repeat`` runs, and the wall time.

``--src`` renders another tree's ``src`` (e.g. a checkout of main) with this venv, for a
before/after. Run through ``scripts/bench-memory``; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import PY, ROOT, routine_yaml  # noqa: E402


def render_rss(routine: Path, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """Peak RSS (MB) and wall seconds of one ``matcue render`` in a child process."""
    cmd = [PY, "-m", "matcue", "render", str(routine), "--backend", "fake", "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return usage.ru_maxrss / 1024, wall  # ru_maxrss is in kB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(prog="scripts/bench-memory", description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", default="30,180", help="routine lengths in minutes (default 30,180)")
    ap.add_argument("--jobs", default="1,2,16,256", help="MATCUE_JOBS values (default 1,2,16,256)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (the median is printed)")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the matcue sources to run (default: this tree)")
    args = ap.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    jobs = [int(x) for x in args.jobs.split(",")]
    print(f"peak RSS of matcue render (fake voice, speech cache warm), median of {args.repeat}; "
          f"{os.cpu_count()} cores; src {args.src}")  # fmt: skip
    print(f"{'minutes':>7} {'audio':>7} " + " ".join(f"{'j=' + str(j) + ' MB':>10} {'s':>6}" for j in jobs), flush=True)
    with tempfile.TemporaryDirectory(prefix="matcue-bench-memory-") as tmp:
        env = {**os.environ, "MATCUE_CACHE_DIR": str(Path(tmp) / "cache"), "PYTHONPATH": str(args.src)}
        for minutes in lengths:
            routine = Path(tmp) / f"r{minutes}.yaml"
            routine.write_text(routine_yaml(minutes))
            out = Path(tmp) / f"out{minutes}"  # a folder: the track is named after the routine
            render_rss(routine, out, {**env, "MATCUE_JOBS": "2"})  # warms the speech cache
            audio = _duration_min(next(out.glob("*.mp3")))
            cells = []
            for j in jobs:
                runs = [render_rss(routine, out, {**env, "MATCUE_JOBS": str(j)}) for _ in range(args.repeat)]
                cells.append(
                    f"{statistics.median(r[0] for r in runs):>10.0f} {statistics.median(r[1] for r in runs):>6.1f}"
                )
            print(f"{minutes:>7} {audio:>6.1f}m " + " ".join(cells), flush=True)


def _duration_min(path: Path) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        return float(probe.stdout.strip()) / 60
    except ValueError:
        return float("nan")


if __name__ == "__main__":
    main()
