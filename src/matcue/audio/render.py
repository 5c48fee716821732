"""Render a Timeline to an audio file, atomically: the public face of the audio stage.

``render_mp3`` mixes (:mod:`matcue.audio.mixer`), cuts the track at silences into parts
(:mod:`matcue.audio.parts`), encodes them at once (:mod:`matcue.audio.encode`), tags the
result (:mod:`matcue.audio.mp3`) and publishes it (:func:`matcue.core.atomic.publish`);
``render_with_ffmpeg`` is the other formats' path (:mod:`matcue.audio.formats`). The
names most callers need are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matcue.audio import mp3
from matcue.audio.encode import (
    DEFAULT_BITRATE,
    DRAFT_LAME_QUALITY,
    ENCODERS,
    LAME_QUALITY,
    MAX_JOBS,
    EncodeJob,
    FfmpegOutput,
    FfmpegSink,
    Mp3Encoding,
    Progress,
    check_environment,
    default_encoder,
    default_jobs,
    encode_ffmpeg,
    encode_lame,
    lame_kbps,
    run_parts,
    temp_beside,
)
from matcue.audio.mixdown import MixSettings
from matcue.audio.mixer import BLOCK_MS, iter_blocks, mix, mix_range, place_events, plan_mix
from matcue.audio.parts import plan_parts, silent_spans
from matcue.core import atomic
from matcue.core.cores import in_flight
from matcue.core.errors import RenderError
from matcue.core.pcm import SAMPLE_RATE
from matcue.core.tools import ffmpeg_path
from matcue.plan.timeline import Timeline
from matcue.voice.base import AnyClip

__all__ = [
    "BLOCK_MS",
    "DEFAULT_BITRATE",
    "DRAFT_LAME_QUALITY",
    "ENCODERS",
    "FfmpegOutput",
    "LAME_QUALITY",
    "MAX_JOBS",
    "Mp3Encoding",
    "Progress",
    "check_environment",
    "default_encoder",
    "default_jobs",
    "iter_blocks",
    "mix",
    "mix_range",
    "plan_parts",
    "render_mp3",
    "render_with_ffmpeg",
    "silent_spans",
]


def render_mp3(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    out_path: Path,
    *,
    encoding: Mp3Encoding = Mp3Encoding(),
    progress: Progress | None = None,
    jobs: int | None = None,
    settings: MixSettings = MixSettings(),
    unit: atomic.Unit | None = None,
) -> Path:
    """Encode the timeline to ``out_path`` (tags and chapters included), atomically.

    The mix streams block by block into the encoder (LAME in this process, or an ffmpeg
    process); a long track is cut at silences into up to ``jobs`` parts (default: one per
    core), encoded at most one per core at a time (:func:`matcue.core.cores.in_flight`),
    each to a temporary file, and joined frame-exactly (:mod:`matcue.audio.mp3join`), so the decoded
    track is sample-aligned with the mix. It is written to a hidden temporary file next
    to ``out_path``, which replaces ``out_path`` only when complete. On any failure or
    interruption the encoders are stopped, the temporary files removed, and an existing
    ``out_path`` left as it was. ``progress(done_ms, total_ms)`` is called as blocks are
    encoded.

    ``settings`` chooses the level preset, side panning (a stereo track) and ambience. A
    first pass over the mix measures its loudness; the track is brought to the target by
    one static gain, under a true-peak limiter (:mod:`matcue.audio.mixdown`).

    ``unit``: stage the finished track in it instead of moving it into place; the unit's
    ``commit`` does that, with the track's sidecars (:class:`matcue.core.atomic.Unit`).
    ``encoding``: the bitrate, the encoder, LAME's ``-q`` and the block length
    (:class:`matcue.audio.encode.Mp3Encoding`).
    """
    out_path = Path(out_path)
    if timeline.total_ms <= 0:
        raise RenderError(f"nothing to render: the track lasts {timeline.total_ms} ms")
    kbps = lame_kbps(encoding.bitrate)
    encoder = encoding.encoder or default_encoder()
    if encoder not in ENCODERS:
        raise RenderError(f"unknown encoder {encoder!r}; expected one of {', '.join(ENCODERS)}")
    exe = ffmpeg_path() if encoder == "ffmpeg" else ""
    sources = place_events(timeline, clips, settings)  # checks every event before any I/O
    jobs = default_jobs() if jobs is None else jobs
    parts = plan_parts(timeline, clips, jobs, settings)
    workers = in_flight(jobs, len(parts))  # never more encoders at once than cores
    if not out_path.parent.is_dir():
        raise RenderError(f"the output folder {atomic.shown_file(out_path.parent)} does not exist")
    plan = plan_mix(timeline, clips, settings, jobs=jobs, sources=sources)
    made: list[Path] = []  # the temporary files to discard, each named before it exists
    try:
        tmp_path = unit.stage(out_path) if unit is not None else temp_beside(out_path, into=made)
        job = EncodeJob(plan, encoding.block_ms, progress, timeline.total_ms, encoding.quality)
        if encoder == "ffmpeg":
            encode_ffmpeg(job, exe, encoding.bitrate, parts, tmp_path, out_path, workers)
        else:
            encode_lame(job, kbps, parts, tmp_path, out_path, workers)
        mp3.write_tags(tmp_path, timeline)
        return _finish(tmp_path, out_path, unit)
    except OSError as exc:
        raise RenderError(f"cannot write {atomic.shown_file(out_path)}: {atomic.failure_text(exc, out_path)}") from exc
    finally:
        plan.close()
        for path in made:  # a published file is gone from its temporary name: only its lock is dropped
            atomic.discard(path)


def render_with_ffmpeg(
    timeline: Timeline,
    clips: Mapping[str, AnyClip],
    out_path: Path,
    output: FfmpegOutput,
    *,
    progress: Progress | None = None,
    jobs: int | None = None,
    settings: MixSettings = MixSettings(),
    unit: atomic.Unit | None = None,
) -> Path:
    """Encode the timeline with one ffmpeg process and tag it as ``output`` says, then move
    it to ``out_path``: the other formats' path (:mod:`matcue.audio.formats`), with the same
    mix, atomic write and clean-up as ``render_mp3``.
    ``unit``: as for ``render_mp3``, the finished file is staged in it, not moved into place."""
    out_path = Path(out_path)
    if timeline.total_ms <= 0:
        raise RenderError(f"nothing to render: the track lasts {timeline.total_ms} ms")
    sources = place_events(timeline, clips, settings)
    if not out_path.parent.is_dir():
        raise RenderError(f"the output folder {atomic.shown_file(out_path.parent)} does not exist")
    jobs = default_jobs() if jobs is None else jobs
    plan = plan_mix(timeline, clips, settings, jobs=jobs, sources=sources)
    made: list[Path] = []  # the temporary files to discard, each named before it exists
    sink: FfmpegSink | None = None
    try:
        tmp_path = unit.stage(out_path) if unit is not None else temp_beside(out_path, into=made)
        meta_path: Path | None = None
        if output.chapters_file is not None:
            meta_path = temp_beside(out_path.with_name(out_path.name + ".chapters"), into=made)
            meta_path.write_text(output.chapters_file, encoding="utf-8")
        job = EncodeJob(plan, BLOCK_MS, progress, timeline.total_ms)
        cmd = output.command(output.exe, tmp_path, meta_path, plan.channels, SAMPLE_RATE)
        sink = FfmpegSink(output.exe, tmp_path, "", plan.channels, command=cmd)
        opened = sink
        run_parts(job, [(0, plan.total)], lambda _: opened, 1)
        output.tag(tmp_path)
        return _finish(tmp_path, out_path, unit)
    except OSError as exc:
        raise RenderError(f"cannot write {atomic.shown_file(out_path)}: {atomic.failure_text(exc, out_path)}") from exc
    finally:
        plan.close()
        if sink is not None:
            sink.abort()
        for path in made:  # a published file is gone from its temporary name: only its lock is dropped
            atomic.discard(path)


def _finish(tmp_path: Path, out_path: Path, unit: atomic.Unit | None) -> Path:
    """The written track made durable: staged in ``unit`` (which moves it into place with
    its sidecars), or published to ``out_path`` now."""
    if unit is not None:
        atomic.fsync_file(tmp_path)
        return out_path
    return atomic.publish(tmp_path, out_path)
