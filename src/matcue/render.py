"""Mix a Timeline into PCM, block by block, and encode it to an MP3 atomically.

The streaming path (``iter_blocks`` -> ``render_mp3``) never holds the whole track: each
block sums only the events that overlap it, and a tone or bell is synthesized once
when its event first becomes live and dropped when the event ends. ``mix`` builds the
whole track in one array; it is the reference the streaming path is tested against.

Samples are summed as float32 in event order and clipped once, so the blocks and
``mix`` agree sample for sample.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from . import mp3, mp3join, sounds
from .errors import RenderError, ToolMissingError
from .pcm import CHANNELS, SAMPLE_RATE, ms_to_samples, samples_to_ms
from .timeline import Event, Timeline
from .voice.base import Clip

BLOCK_MS = 5000  # the streaming block
SPEECH_EDGE_FADE_MS = 3  # raised-cosine fade at both ends of every placed clip: no clicks
DEFAULT_BITRATE = "96k"
FFMPEG_STDERR_TAIL_CHARS = 2000
SILENT_KINDS = ("hold", "silence")
INT16_SCALE = 32768.0

Progress = Callable[[int, int], None]


# --- sources: what each event contributes ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """An event placed on the sample axis: [start, end) of the track."""

    start: int
    end: int
    event: Event


def _sources(timeline: Timeline, clips: Mapping[str, Clip]) -> list[_Source]:
    """The audible events in start order (stable), cut at the track end; checks clips."""
    total = ms_to_samples(timeline.total_ms)
    out: list[_Source] = []
    for ev in timeline.events:
        if ev.start_ms < 0:
            raise RenderError(f"event {ev.kind!r} starts before the track ({ev.start_ms} ms)")
        if ev.end_ms < ev.start_ms:
            raise RenderError(f"event at {ev.start_ms} ms ends before it starts ({ev.end_ms} ms)")
        if ev.kind in SILENT_KINDS:
            continue
        _check_event(ev, clips)
        start = ms_to_samples(ev.start_ms)
        end = min(total, ms_to_samples(ev.end_ms))
        if end > start:
            out.append(_Source(start, end, ev))
    out.sort(key=lambda s: s.start)  # stable: ties keep timeline order
    return out


def _check_event(ev: Event, clips: Mapping[str, Clip]) -> None:
    if ev.kind == "speech":
        if ev.text is None or ev.text not in clips:
            raise RenderError(f"no speech clip for {ev.text!r} (event at {ev.start_ms} ms)")
    elif ev.kind == "bell":
        if ev.sound not in sounds.BELL_MS:
            raise RenderError(f"unknown bell {ev.sound!r} (event at {ev.start_ms} ms)")
    elif ev.kind not in sounds.BREATH_KINDS:
        raise RenderError(f"cannot render event kind {ev.kind!r} (event at {ev.start_ms} ms)")


def _synthesize(src: _Source, clips: Mapping[str, Clip]) -> np.ndarray:
    """The float32 samples of one source, exactly ``src.end - src.start`` long."""
    n = src.end - src.start
    ev = src.event
    if ev.kind == "speech":
        assert ev.text is not None
        return _speech(clips[ev.text], n)
    if ev.kind == "bell":
        assert ev.sound is not None
        return sounds.bell_samples(ev.sound, n)
    return sounds.breath_tone_samples(ev.kind, n)


def _speech(clip: Clip, n: int) -> np.ndarray:
    """A clip as float32, cut (or padded with silence) to n samples, edges faded."""
    pcm = np.asarray(clip.samples)
    if pcm.ndim != 1:
        raise RenderError(f"speech clips must be mono, got shape {pcm.shape}")
    m = min(n, len(pcm))
    out = np.zeros(n, dtype=np.float32)
    out[:m] = pcm[:m].astype(np.float32) / np.float32(INT16_SCALE)
    fade = min(ms_to_samples(SPEECH_EDGE_FADE_MS), m // 2)
    if fade:
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)).astype(np.float32)
        out[:fade] *= ramp
        out[m - fade : m] *= ramp[::-1]
    return out


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * np.float32(INT16_SCALE)), -32768, 32767).astype(np.int16)


# --- mixing ---------------------------------------------------------------------


def mix(timeline: Timeline, clips: Mapping[str, Clip]) -> np.ndarray:
    """The whole track as one int16 mono array (the reference for ``iter_blocks``)."""
    acc = np.zeros(ms_to_samples(timeline.total_ms), dtype=np.float32)
    for src in _sources(timeline, clips):
        acc[src.start : src.end] += _synthesize(src, clips)
    return _to_int16(acc)


def iter_blocks(timeline: Timeline, clips: Mapping[str, Clip], block_ms: int = BLOCK_MS) -> Iterator[np.ndarray]:
    """The track as consecutive int16 mono blocks of ``block_ms`` (the last one shorter).

    Each event contributes only its overlap with a block; its samples are synthesized
    when it first overlaps a block and released once a block passes its end. All
    events are checked before the first block is yielded (missing clip -> RenderError).
    """
    if block_ms < 1:
        raise ValueError(f"block_ms must be >= 1, got {block_ms}")
    return _blocks(_sources(timeline, clips), clips, timeline.total_ms, block_ms)


def _blocks(pending: list[_Source], clips: Mapping[str, Clip], total_ms: int, block_ms: int) -> Iterator[np.ndarray]:
    return _mix_bounds(pending, clips, _block_bounds(total_ms, block_ms))


def _mix_bounds(
    pending: list[_Source], clips: Mapping[str, Clip], bounds: Iterable[tuple[int, int]]
) -> Iterator[np.ndarray]:
    """Mix consecutive sample ranges. Every sample is the same float32 sum, in the same
    order, whatever the ranges: any partition of the track gives the reference mix."""
    live: list[tuple[_Source, np.ndarray]] = []
    next_src = 0
    for b0, b1 in bounds:
        while next_src < len(pending) and pending[next_src].start < b1:
            src = pending[next_src]
            next_src += 1
            if src.end > b0:
                live.append((src, _synthesize(src, clips)))
        acc = np.zeros(b1 - b0, dtype=np.float32)
        for src, pcm in live:
            lo, hi = max(src.start, b0), min(src.end, b1)
            if hi > lo:
                acc[lo - b0 : hi - b0] += pcm[lo - src.start : hi - src.start]
        live = [(src, pcm) for src, pcm in live if src.end > b1]
        yield _to_int16(acc)


def _block_bounds(total_ms: int, block_ms: int) -> Iterator[tuple[int, int]]:
    """Sample bounds [b0, b1) of each block; block edges fall on whole milliseconds."""
    for t0_ms in range(0, total_ms, block_ms):
        t1_ms = min(total_ms, t0_ms + block_ms)
        yield ms_to_samples(t0_ms), ms_to_samples(t1_ms)


def _range_bounds(start: int, end: int, block: int) -> Iterator[tuple[int, int]]:
    for b0 in range(start, end, block):
        yield b0, min(end, b0 + block)


# --- where the track may be cut for parallel encoding -----------------------------

SAMPLES_PER_FRAME = mp3join.SAMPLES_PER_FRAME
JOIN_PADDING = 800  # end padding each part but the last is sized to get from LAME
JOIN_GAP = JOIN_PADDING + mp3join.ENCODER_DELAY  # what a join adds: taken out of a silence
JOIN_MARGIN = 2 * SAMPLES_PER_FRAME  # silence kept on both sides of a join
PARALLEL_MIN_MS = 90_000  # shorter tracks are encoded in one stream
MIN_PART_MS = 30_000


def silent_spans(timeline: Timeline, clips: Mapping[str, Clip]) -> list[tuple[int, int]]:
    """Sample ranges [a, b) where nothing sounds (every audible event, bells' decay included)."""
    total = ms_to_samples(timeline.total_ms)
    spans: list[tuple[int, int]] = []
    t = 0
    for src in sorted(_sources(timeline, clips), key=lambda s: s.start):
        if src.start > t:
            spans.append((t, src.start))
        t = max(t, src.end)
    if t < total:
        spans.append((t, total))
    return spans


def plan_parts(timeline: Timeline, clips: Mapping[str, Clip], jobs: int) -> list[tuple[int, int]]:
    """Cut the track into at most ``jobs`` parts, each cut inside a silence.

    Returns the sample range [start, end) each encoder is fed. Part k > 0 starts
    ``JOIN_GAP`` samples after its cut: that silence is what the previous part's end
    padding and this part's encoder delay fill in the joined MP3. Every part but the
    last has a length for which LAME pads exactly ``JOIN_PADDING`` samples.
    """
    total = ms_to_samples(timeline.total_ms)
    if jobs < 2 or timeline.total_ms < PARALLEL_MIN_MS:
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


# --- encoding -------------------------------------------------------------------


def ffmpeg_path() -> str:
    """The ffmpeg executable, or ToolMissingError."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ToolMissingError("ffmpeg", "ffmpeg")
    return exe


def _ffmpeg_command(exe: str, out_path: Path, bitrate: str) -> list[str]:
    return [
        exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-i", "pipe:0",
        "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-c:a", "libmp3lame", "-b:a", bitrate, "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS),
        "-write_xing", "1",  # LAME tag: encoder delay and padding, so decoders trim them
        "-id3v2_version", "0", "-write_id3v1", "0",  # tags are written by mp3.write_tags
        "-f", "mp3", str(out_path),
    ]  # fmt: skip


def default_jobs() -> int:
    """Encoders to run at once: ``$MATCUE_JOBS`` if set, else the machine's cores."""
    env = os.environ.get("MATCUE_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def render_mp3(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    out_path: Path,
    *,
    bitrate: str = DEFAULT_BITRATE,
    progress: Progress | None = None,
    block_ms: int = BLOCK_MS,
    jobs: int | None = None,
) -> Path:
    """Encode the timeline to ``out_path`` (tags and chapters included), atomically.

    The mix streams block by block into ffmpeg; a long track is cut at silences into
    ``jobs`` parts (default: one per core) encoded at once and joined frame-exactly
    (:mod:`matcue.mp3join`), so the decoded track is sample-aligned with the mix. It is
    written to a hidden temporary file next to ``out_path``, which replaces ``out_path``
    only when complete. On any failure or interruption the encoders are stopped, the
    temporary files removed, and an existing ``out_path`` left as it was.
    ``progress(done_ms, total_ms)`` is called as blocks are encoded.
    """
    out_path = Path(out_path)
    if timeline.total_ms <= 0:
        raise RenderError(f"nothing to render: the track lasts {timeline.total_ms} ms")
    exe = ffmpeg_path()
    sources = _sources(timeline, clips)  # checks every event before any I/O
    parts = plan_parts(timeline, clips, default_jobs() if jobs is None else jobs)
    tmp_path = _create_temp(out_path)
    try:
        _encode(exe, sources, clips, parts, tmp_path, out_path, bitrate, block_ms, progress, timeline.total_ms)
        mp3.write_tags(tmp_path, timeline)
        _fsync(tmp_path)
        os.replace(tmp_path, out_path)
        _fsync_dir(out_path.parent)
        return out_path
    finally:
        tmp_path.unlink(missing_ok=True)


def _encode(
    exe: str,
    sources: list[_Source],
    clips: Mapping[str, Clip],
    parts: list[tuple[int, int]],
    tmp_path: Path,
    out_path: Path,
    bitrate: str,
    block_ms: int,
    progress: Progress | None,
    total_ms: int,
) -> None:
    """Encode the parts at once into tmp_path (+ temporary part files), then join them."""
    paths = [tmp_path] + [_create_temp(out_path) for _ in parts[1:]]
    try:
        _run_encoders(exe, sources, clips, parts, paths, bitrate, block_ms, progress, total_ms)
        if len(parts) > 1:
            tags = [mp3join.read_tag(p) for p in paths]
            if all(t.delay == mp3join.ENCODER_DELAY for t in tags) and all(
                t.padding == JOIN_PADDING for t in tags[:-1]
            ):
                mp3join.join_into(tmp_path, paths[1:])
            else:  # an encoder that pads differently: fall back to one stream
                total = ms_to_samples(total_ms)
                _run_encoders(exe, sources, clips, [(0, total)], [tmp_path], bitrate, block_ms, progress, total_ms)
    finally:
        for p in paths[1:]:
            p.unlink(missing_ok=True)


def _run_encoders(
    exe: str,
    sources: list[_Source],
    clips: Mapping[str, Clip],
    parts: list[tuple[int, int]],
    paths: list[Path],
    bitrate: str,
    block_ms: int,
    progress: Progress | None,
    total_ms: int,
) -> None:
    """One ffmpeg per part, each fed by its own mixing thread; progress and errors are
    reported to this (the calling) thread, so an interrupt here stops everything."""
    block = ms_to_samples(block_ms)
    events: queue.Queue[tuple[str, int, object]] = queue.Queue()
    cancel = threading.Event()
    procs: list[subprocess.Popen[bytes]] = []
    stderrs: list[IO[bytes]] = []
    threads: list[threading.Thread] = []

    def feed(i: int, proc: subprocess.Popen[bytes], start: int, end: int) -> None:
        assert proc.stdin is not None
        try:
            for pcm in _mix_bounds(sources, clips, _range_bounds(start, end, block)):
                if cancel.is_set():
                    return
                proc.stdin.write(pcm.astype("<i2", copy=False).tobytes())
                events.put(("block", i, len(pcm)))
            proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            pass  # the encoder died or was stopped; its exit status tells which
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            events.put(("error", i, exc))
        finally:
            events.put(("done", i, None))

    try:
        for i, ((start, end), path) in enumerate(zip(parts, paths)):
            stderrs.append(tempfile.TemporaryFile())
            try:
                proc = subprocess.Popen(
                    _ffmpeg_command(exe, path, bitrate),
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderrs[-1],
                )  # fmt: skip
            except FileNotFoundError as exc:
                raise ToolMissingError("ffmpeg", "ffmpeg") from exc
            procs.append(proc)
            threads.append(threading.Thread(target=feed, args=(i, proc, start, end), daemon=True))
        for th in threads:
            th.start()
        done_samples = 0
        total = ms_to_samples(total_ms)
        running = len(threads)
        while running:
            kind, i, payload = events.get()
            if kind == "block":
                done_samples += int(payload)  # type: ignore[call-overload]
                if progress is not None:
                    progress(min(total_ms, samples_to_ms(done_samples * total // max(1, total))), total_ms)
            elif kind == "error":
                raise payload  # type: ignore[misc]
            else:
                running -= 1
        for proc, err in zip(procs, stderrs):
            code = proc.wait()
            if code != 0:
                raise RenderError(f"ffmpeg failed (exit status {code}):\n{_tail(err)}")
    finally:
        cancel.set()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdin is not None and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        for th in threads:
            th.join(timeout=10)
        for err in stderrs:
            err.close()


def _create_temp(out_path: Path) -> Path:
    """A fresh hidden file beside out_path (same filesystem, so os.replace is atomic)."""
    folder = out_path.parent
    if not folder.is_dir():
        raise RenderError(f"output folder {folder} does not exist")
    for _ in range(100):
        candidate = folder / f".{out_path.name}.partial-{secrets.token_hex(4)}"
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise RenderError(f"cannot write to {folder}: {exc.strerror}") from exc
        os.close(fd)
        return candidate
    raise RenderError(f"cannot create a temporary file in {folder}")


def _tail(stderr: IO[bytes]) -> str:
    stderr.flush()
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace").strip()
    return text[-FFMPEG_STDERR_TAIL_CHARS:] or "(no output from ffmpeg)"


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)
