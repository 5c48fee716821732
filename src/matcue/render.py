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
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from . import mp3, sounds
from .errors import RenderError, ToolMissingError
from .pcm import CHANNELS, SAMPLE_RATE, ms_to_samples
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
    live: list[tuple[_Source, np.ndarray]] = []
    next_src = 0
    for b0, b1 in _block_bounds(total_ms, block_ms):
        while next_src < len(pending) and pending[next_src].start < b1:
            src = pending[next_src]
            live.append((src, _synthesize(src, clips)))
            next_src += 1
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


def render_mp3(
    timeline: Timeline,
    clips: Mapping[str, Clip],
    out_path: Path,
    *,
    bitrate: str = DEFAULT_BITRATE,
    progress: Progress | None = None,
    block_ms: int = BLOCK_MS,
) -> Path:
    """Encode the timeline to ``out_path`` (tags and chapters included), atomically.

    The audio streams through one ffmpeg process into a hidden temporary file next to
    ``out_path``, which replaces ``out_path`` only when complete. On any failure or
    interruption ffmpeg is stopped, the temporary file removed, and an existing
    ``out_path`` left as it was. ``progress(done_ms, total_ms)`` is called per block.
    """
    out_path = Path(out_path)
    if timeline.total_ms <= 0:
        raise RenderError(f"nothing to render: the track lasts {timeline.total_ms} ms")
    exe = ffmpeg_path()
    blocks = iter_blocks(timeline, clips, block_ms)  # checks every event before any I/O
    tmp_path = _create_temp(out_path)
    proc: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryFile() as stderr:
            try:
                proc = subprocess.Popen(
                    _ffmpeg_command(exe, tmp_path, bitrate),
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                )  # fmt: skip
            except FileNotFoundError as exc:
                raise ToolMissingError("ffmpeg", "ffmpeg") from exc
            _feed(proc, blocks, timeline.total_ms, block_ms, progress, stderr)
            _finish(proc, stderr)
        mp3.write_tags(tmp_path, timeline)
        _fsync(tmp_path)
        os.replace(tmp_path, out_path)
        _fsync_dir(out_path.parent)
        return out_path
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc is not None and proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass
        tmp_path.unlink(missing_ok=True)


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


def _feed(
    proc: subprocess.Popen[bytes],
    blocks: Iterator[np.ndarray],
    total_ms: int,
    block_ms: int,
    progress: Progress | None,
    stderr: IO[bytes],
) -> None:
    assert proc.stdin is not None
    done_ms = 0
    for block in blocks:
        try:
            proc.stdin.write(block.astype("<i2", copy=False).tobytes())
        except (BrokenPipeError, ConnectionResetError) as exc:
            code = proc.wait()
            raise RenderError(f"ffmpeg failed (exit status {code}):\n{_tail(stderr)}") from exc
        done_ms = min(total_ms, done_ms + block_ms)
        if progress is not None:
            progress(done_ms, total_ms)


def _finish(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass
    code = proc.wait()
    if code != 0:
        raise RenderError(f"ffmpeg failed (exit status {code}):\n{_tail(stderr)}")


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
