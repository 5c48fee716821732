"""A class roster rendered one track after another vs in parallel, in one run.

Renders ``routines/hamstring-stretch.yaml`` for the eight profiles of
``routines/profiles/class.yaml`` into a temporary folder, alternating the two ways so
that both see the same machine:

- one after another: ``--workers 1`` (each track encodes its parts on every core);
- in parallel: ``--workers N`` (default one per core; each track encodes in one thread).

The speech cache is warmed once before timing (so both measure rendering, not speech),
in a private cache folder. Prints every run, the medians, the ratio and the machine's
load average before and after. Run through ``scripts/bench-roster``; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, median, run_measured  # noqa: E402

ROUTINE = ROOT / "routines/hamstring-stretch.yaml"
ROSTER = ROOT / "routines/profiles/class.yaml"


def render(out: Path, workers: int, backend: str, env: dict[str, str]) -> tuple[float, float, str]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(ROOT / ".venv/bin/matcue"), "render", str(ROUTINE), "--roster", str(ROSTER),
           "--backend", backend, "-o", str(out), "--workers", str(workers)]  # fmt: skip
    return run_measured(cmd, env)


def main() -> None:
    ap = argparse.ArgumentParser(prog="scripts/bench-roster", description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs of each way (medians are printed)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel processes (default: cores)")
    ap.add_argument("--backend", default="fake", help="voice backend (default: fake, so speech costs nothing)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="matcue-bench-roster-") as tmp:
        env = {**os.environ, "MATCUE_CACHE_DIR": str(Path(tmp) / "cache")}
        out = Path(tmp) / "out"
        _, _, table = render(out, args.workers, args.backend, env)  # warms the speech cache
        minutes = sum(_minutes(line) for line in table.splitlines()[1:])
        tracks = len(table.splitlines()) - 1
        print(f"{tracks} tracks, {minutes:.1f} min of audio in all; {os.cpu_count()} cores; "
              f"backend {args.backend}, speech cache warm")  # fmt: skip
        print(f"load average before: {_load()}")
        seq: list[float] = []
        par: list[float] = []
        for i in range(args.repeat):
            seq.append(render(out, 1, args.backend, env)[0])
            par.append(render(out, args.workers, args.backend, env)[0])
            print(f"run {i + 1}: one after another {seq[-1]:6.2f} s   in parallel ({args.workers}) {par[-1]:6.2f} s",
                  flush=True)  # fmt: skip
        print(f"load average after:  {_load()}")
        s, p = median(seq), median(par)
        print(f"median: one after another {s:.2f} s, in parallel {p:.2f} s: parallel is {s / p:.2f}x as fast")


def _minutes(line: str) -> float:
    """'Anna   8:00  path' -> 8.0 (the summary table's length column)."""
    for field in line.split():
        if ":" in field and field.replace(":", "").isdigit():
            parts = [int(x) for x in field.split(":")]
            secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
            return secs / 60
    return 0.0


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
