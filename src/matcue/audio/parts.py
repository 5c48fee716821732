"""Where a track may be cut for parallel encoding: inside silences, at part lengths for
which LAME pads each part's end exactly as the frame-exact join needs
(:mod:`matcue.audio.mp3join`).
"""

from __future__ import annotations

from collections.abc import Mapping

from matcue.audio import mp3join
from matcue.audio.mixdown import MixSettings
from matcue.audio.mixer import place_events
from matcue.core.pcm import ms_to_samples
from matcue.plan.timeline import Timeline
from matcue.voice.base import AnyClip

SAMPLES_PER_FRAME = mp3join.SAMPLES_PER_FRAME
JOIN_PADDING = 800  # end padding each part but the last is sized to get from LAME
JOIN_GAP = JOIN_PADDING + mp3join.ENCODER_DELAY  # what a join adds: taken out of a silence
JOIN_MARGIN = 2 * SAMPLES_PER_FRAME  # silence kept on both sides of a join
PARALLEL_MIN_MS = 90_000  # shorter tracks are encoded in one stream
MIN_PART_MS = 30_000


def silent_spans(timeline: Timeline, clips: Mapping[str, AnyClip]) -> list[tuple[int, int]]:
    """Sample ranges [a, b) where nothing sounds (every audible event, bells' decay included)."""
    total = ms_to_samples(timeline.total_ms)
    spans: list[tuple[int, int]] = []
    t = 0
    for src in sorted(place_events(timeline, clips), key=lambda s: s.start):
        if src.start > t:
            spans.append((t, src.start))
        t = max(t, src.end)
    if t < total:
        spans.append((t, total))
    return spans


def plan_parts(
    timeline: Timeline, clips: Mapping[str, AnyClip], jobs: int, settings: MixSettings = MixSettings()
) -> list[tuple[int, int]]:
    """Cut the track into at most ``jobs`` parts, each cut inside a silence.

    With ambience (``settings.music``) nothing is ever silent: one part.

    Returns the sample range [start, end) each encoder is fed. Part k > 0 starts
    ``JOIN_GAP`` samples after its cut: that silence is what the previous part's end
    padding and this part's encoder delay fill in the joined MP3. Every part but the
    last has a length for which LAME pads exactly ``JOIN_PADDING`` samples.
    """
    total = ms_to_samples(timeline.total_ms)
    if jobs < 2 or timeline.total_ms < PARALLEL_MIN_MS or settings.music is not None:
        return [(0, total)]
    jobs = min(jobs, max(1, timeline.total_ms // MIN_PART_MS))
    spans = silent_spans(timeline, clips)
    parts: list[tuple[int, int]] = []
    start = 0
    for k in range(1, jobs):
        target = total * k // jobs
        cut = _best_cut(spans, start, target, total)
        if cut is None:
            continue
        parts.append((start, cut))
        start = cut + JOIN_GAP
    parts.append((start, total))
    return parts


def _best_cut(spans: list[tuple[int, int]], start: int, target: int, total: int) -> int | None:
    """The cut nearest ``target`` inside a silence, at a part length LAME pads by 800."""
    min_part = ms_to_samples(MIN_PART_MS)
    # the part [start, cut) must satisfy (length + delay + JOIN_PADDING) % 1152 == 0
    want = (start - JOIN_GAP) % SAMPLES_PER_FRAME
    best: int | None = None
    for a, b in spans:
        lo = max(a + JOIN_MARGIN, start + min_part)
        hi = min(b - JOIN_GAP - JOIN_MARGIN, total - min_part)
        if hi < lo:
            continue
        near = min(max(target, lo), hi)
        cut = near - ((near - want) % SAMPLES_PER_FRAME)
        if cut < lo:
            cut += SAMPLES_PER_FRAME
        if cut > hi:
            continue
        if best is None or abs(cut - target) < abs(best - target):
            best = cut
    if best is not None and abs(best - target) > total // 4:
        return None  # no silence near enough: fewer, unequal parts would not pay
    return best


def joinable(delays: list[int], pads: list[int]) -> bool:
    return all(d == mp3join.ENCODER_DELAY for d in delays) and all(p == JOIN_PADDING for p in pads[:-1])
