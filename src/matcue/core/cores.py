"""How many threads or processes of one kind may run at once: ``$MATCUE_JOBS`` asks, the
cores this process may run on bound it.

``$MATCUE_JOBS`` (:func:`matcue.audio.encode.default_jobs`) says how many parts a track is
cut into for encoding (and a roster's workers); a value above the cores buys no speed,
only memory (every part in flight holds an encoder and its mix blocks), so the parts are
encoded at most :func:`usable_cores` at a time, in order. What a track sounds like never
depends on this: the cuts depend on ``jobs`` alone, and each part is encoded on its own.
"""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says it), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def in_flight(jobs: int, tasks: int, cores: int | None = None) -> int:
    """How many of ``tasks`` run at once when ``jobs`` are asked for: at most ``jobs``, the
    tasks and the cores (``cores``; None: :func:`usable_cores`), at least 1."""
    return max(1, min(jobs, tasks, usable_cores() if cores is None else cores))
