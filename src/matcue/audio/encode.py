"""The MP3 encoders: LAME in this process (lameenc) or an ffmpeg process per part, each fed
its part's mixed blocks from a thread of its own (``run_parts``), the parts joined
frame-exactly behind one Info/LAME tag (:mod:`matcue.audio.mp3join`). Also the choice of
encoder and of the number of parts (``$MATCUE_ENCODER``, ``$MATCUE_JOBS``); the parts are
encoded at most one per core at a time (:func:`matcue.core.cores.in_flight`).
"""

from __future__ import annotations

import errno
import importlib.util
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from matcue.audio import mp3join
from matcue.audio.codec import FORMATS, LAME_KBPS, parse_bitrate
from matcue.audio.mixer import BLOCK_MS, MixPlan, mix_bounds, range_bounds
from matcue.audio.parts import SAMPLES_PER_FRAME, joinable
from matcue.core import atomic
from matcue.core.errors import MatcueError, RenderError, ToolMissingError, shown
from matcue.core.numbers import NumberError, digits_problem, whole_number
from matcue.core.pcm import SAMPLE_RATE, ms_to_samples, samples_to_ms

LAME_QUALITY = 2  # LAME's -q: 2 = high quality (the same setting for both encoders)
DRAFT_LAME_QUALITY = 7  # previews (render --only/--from/--watch): about five times faster to encode
ENCODERS = ("lame", "ffmpeg")
DEFAULT_BITRATE = FORMATS["mp3"].default_bitrate
FFMPEG_STDERR_TAIL_CHARS = 2000
Progress = Callable[[int, int], None]


def _ffmpeg_command(
    exe: str, out_path: Path, bitrate: str, channels: int = 1, quality: int = LAME_QUALITY
) -> list[str]:
    return [
        exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0",
        "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-c:a", "libmp3lame", "-b:a", bitrate, "-compression_level", str(quality),
        "-ar", str(SAMPLE_RATE), "-ac", str(channels),
        "-write_xing", "1",  # LAME tag: encoder delay and padding, so decoders trim them
        "-id3v2_version", "0", "-write_id3v1", "0",  # tags are written by mp3.write_tags
        "-f", "mp3", str(out_path),
    ]  # fmt: skip


MAX_JOBS = 256  # the most parts (or roster workers) $MATCUE_JOBS may ask for


def default_jobs() -> int:
    """The parts to cut a track into for encoding (and a roster's workers):
    ``$MATCUE_JOBS`` if set, else the machine's cores (an empty
    value, or only spaces, is unset). The parts are encoded at most one
    per core at a time (:func:`matcue.core.cores.in_flight`).

    A set value that is not a whole number from 1 to :data:`MAX_JOBS` is an error, never
    ignored."""
    env = os.environ.get("MATCUE_JOBS", "").strip()
    if not env:
        return os.cpu_count() or 1
    try:
        return whole_number(env, 1, MAX_JOBS)
    except NumberError:
        problem = digits_problem(env)
        raise MatcueError(
            f"MATCUE_JOBS must be a whole number from 1 to {MAX_JOBS}, got {shown(env, 40)}"
            + (f" ({problem}; unset it to use one per core)" if problem else " (unset it to use one per core)")
        ) from None


def default_encoder() -> str:
    """``lame`` (LAME in this process, through lameenc) when importable, else ``ffmpeg``.

    ``$MATCUE_ENCODER`` chooses explicitly (an empty value, or only spaces, is unset). Both
    are LAME at the same quality setting. A set value that is not one of :data:`ENCODERS`,
    or ``lame`` without lameenc, is an error.
    """
    env = os.environ.get("MATCUE_ENCODER", "").strip()
    has_lame = importlib.util.find_spec("lameenc") is not None
    if not env:
        return "lame" if has_lame else "ffmpeg"
    if env not in ENCODERS:
        raise MatcueError(
            f"MATCUE_ENCODER must be one of {', '.join(ENCODERS)}, got {shown(env, 40)}"
            " (unset it to choose automatically)"
        )
    if env == "lame" and not has_lame:
        raise MatcueError("MATCUE_ENCODER=lame needs lameenc, which is not installed (pip install lameenc)")
    return env


def check_environment() -> None:
    """Raise MatcueError now for a bad ``$MATCUE_JOBS`` or ``$MATCUE_ENCODER``, so a render
    fails before any speech is synthesized rather than after."""
    default_jobs()
    default_encoder()


def lame_kbps(bitrate: str) -> int:
    """The kbps of an MP3 ``bitrate`` ("96k"), checked by :func:`~matcue.audio.codec.parse_bitrate`."""
    return int(parse_bitrate(FORMATS["mp3"], bitrate).removesuffix("k"))


@dataclass(frozen=True, slots=True)
class Mp3Encoding:
    """How ``render_mp3`` encodes: the bitrate, the encoder (one of ``ENCODERS``; None:
    :func:`default_encoder`), LAME's ``-q`` (``DRAFT_LAME_QUALITY`` for previews) and the
    streaming block length."""

    bitrate: str = DEFAULT_BITRATE
    encoder: str | None = None
    quality: int = LAME_QUALITY
    block_ms: int = BLOCK_MS


@dataclass(frozen=True, slots=True)
class FfmpegOutput:
    """How one ffmpeg process writes and tags a file of another format than MP3
    (:mod:`matcue.audio.formats`): ``command(exe, tmp, chapters, channels, rate)``, then
    ``tag(tmp)``; ``chapters_file``: the text of an ffmetadata file handed to ffmpeg as
    ``chapters``."""

    exe: str
    command: Callable[[str, Path, Path | None, int, int], list[str]]
    tag: Callable[[Path], None]
    chapters_file: str | None = None


@dataclass(frozen=True, slots=True)
class EncodeJob:
    """What every part encoder shares: the mix and the progress report."""

    plan: MixPlan
    block_ms: int
    progress: Progress | None
    total_ms: int
    quality: int = LAME_QUALITY

    @property
    def channels(self) -> int:
        return self.plan.channels

    def blocks(self, start: int, end: int) -> Iterator[np.ndarray]:
        return mix_bounds(self.plan, range_bounds(start, end, ms_to_samples(self.block_ms)))


class Sink:
    """Where one part's PCM goes: an encoder fed block by block from its own thread."""

    def write(self, pcm: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """End of the part: flush and check (runs in the part's thread)."""

    def abort(self) -> None:
        """Stop at once (runs in the calling thread, on failure or interrupt)."""


class FfmpegSink(Sink):
    def __init__(
        self, exe: str, path: Path, bitrate: str, channels: int = 1, quality: int = LAME_QUALITY,
        command: list[str] | None = None,
    ):  # fmt: skip
        self.stderr = tempfile.TemporaryFile()
        self.path = path
        try:
            self.proc = subprocess.Popen(
                command or _ffmpeg_command(exe, path, bitrate, channels, quality),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.stderr,
            )  # fmt: skip
        except FileNotFoundError as exc:
            self.stderr.close()
            raise ToolMissingError("ffmpeg", "ffmpeg") from exc

    def write(self, pcm: np.ndarray) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(pcm.astype("<i2", copy=False).tobytes())
        except (BrokenPipeError, ConnectionResetError):
            self._check(self.proc.wait())
            raise

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self._check(self.proc.wait())
        self.stderr.close()

    def _check(self, code: int) -> None:
        if code == 0:
            return
        failed = _write_failure(code, _tail(self.stderr))
        if failed is not None:  # said as LAME's failure to write is: the file, in words, no ffmpeg output
            raise OSError(failed, os.strerror(failed), str(self.path))
        if code < 0:  # stopped by a signal: say which
            import signal

            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            raise RenderError(f"ffmpeg was stopped by {name}:\n{_tail(self.stderr)}")
        raise RenderError(f"ffmpeg failed (exit status {code}):\n{_tail(self.stderr)}")

    def abort(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.stderr.close()


class LameSink(Sink):
    """LAME in this process (lameenc releases the GIL while it encodes)."""

    def __init__(self, path: Path, kbps: int, reserve: int, channels: int = 1, quality: int = LAME_QUALITY):
        import lameenc

        self.encoder: Any = lameenc.Encoder()
        self.encoder.set_bit_rate(kbps)
        self.encoder.set_in_sample_rate(SAMPLE_RATE)
        self.encoder.set_out_sample_rate(SAMPLE_RATE)  # LAME would resample stereo at 96k to 32 kHz
        self.encoder.set_channels(channels)
        self.encoder.set_quality(quality)
        self.path = path
        self.reserve = reserve  # bytes kept free at the start for the tag frame
        self.file = open(path, "r+b" if reserve else "w+b")  # noqa: SIM115 - closed in close/abort
        self.file.seek(reserve)
        self.samples = 0
        self.music_crc = 0

    def write(self, pcm: np.ndarray) -> None:
        self.file.write(self.encoder.encode(pcm.astype("<i2", copy=False).tobytes()))
        self.samples += len(pcm)

    def close(self) -> None:
        self.file.write(self.encoder.flush())
        self.file.flush()
        self.file.seek(self.reserve)
        crc = 0
        while chunk := self.file.read(4 << 20):
            crc = mp3join.crc16_fast(chunk, crc)
        self.music_crc = crc
        self.file.close()
        self.encoder = None  # LAME's state is freed as soon as the part is written

    def abort(self) -> None:
        self.file.close()


def run_parts(
    job: EncodeJob, parts: list[tuple[int, int]], open_sink: Callable[[int], Sink], workers: int | None = None
) -> list[Sink]:
    """Feed each part to the sink ``open_sink(i)`` opens for it when the part starts, from
    at most ``workers`` threads at once (None: one per part), the parts taken in order;
    progress and errors are reported to this (the calling) thread, so an interrupt here
    stops everything. Returns the sinks, closed. On failure every sink opened is aborted."""
    events: queue.Queue[tuple[str, int, object]] = queue.Queue()
    cancel = threading.Event()
    lock = threading.Lock()
    sinks: list[Sink | None] = [None] * len(parts)
    todo = iter(range(len(parts)))  # taken under the lock

    def feed() -> None:
        try:
            while not cancel.is_set():
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                sink = open_sink(i)
                with lock:
                    sinks[i] = sink
                    if cancel.is_set():  # opened after the clean-up looked: abort it here
                        sink.abort()
                        return
                for pcm in job.blocks(*parts[i]):
                    if cancel.is_set():
                        return
                    sink.write(pcm)
                    events.put(("block", i, len(pcm)))
                sink.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            if not cancel.is_set():
                events.put(("error", -1, exc))
        finally:
            events.put(("done", -1, None))

    n = len(parts) if workers is None else max(1, min(workers, len(parts)))
    threads = [threading.Thread(target=feed, daemon=True) for _ in range(n)]
    ok = False
    try:
        for th in threads:
            th.start()
        done = 0
        total = ms_to_samples(job.total_ms)
        running = len(threads)
        while running:
            kind, _, payload = events.get()
            if kind == "block":
                done += int(payload)  # type: ignore[call-overload]
                if job.progress is not None:
                    job.progress(min(job.total_ms, samples_to_ms(min(done, total))), job.total_ms)
            elif kind == "error":
                raise payload  # type: ignore[misc]
            else:
                running -= 1
        ok = True
    finally:
        cancel.set()
        with lock:
            opened = [s for s in sinks if s is not None]
        if not ok:
            for sink in opened:
                sink.abort()
        for th in threads:
            if th.ident is not None:  # an interrupt may land before every thread has started
                th.join(timeout=10)
    return opened


def encode_ffmpeg(
    job: EncodeJob, exe: str, bitrate: str, parts: list[tuple[int, int]], tmp: Path, out: Path, workers: int = 1
) -> None:
    """ffmpeg processes, one per part (``workers`` at once), each writing a part with its
    own LAME tag to a temporary file beside ``out``; joined into ``tmp``."""
    paths = [tmp]
    try:
        for _ in parts[1:]:  # each named in paths before it exists: discarded below
            temp_beside(out, into=paths)
        run_parts(job, parts, lambda i: FfmpegSink(exe, paths[i], bitrate, job.channels, job.quality), workers)
        if len(parts) > 1:
            tags = [mp3join.read_tag(p) for p in paths]
            if joinable([t.delay for t in tags], [t.padding for t in tags]):
                mp3join.join_into(tmp, paths[1:])
            else:  # an encoder that pads differently: fall back to one stream
                encode_ffmpeg(job, exe, bitrate, [(0, ms_to_samples(job.total_ms))], tmp, out)
        else:
            mp3join.reseal(tmp)  # ffmpeg's tag CRC takes 190 bytes, also in a mono frame
    finally:
        for p in paths[1:]:
            atomic.discard(p)


def encode_lame(
    job: EncodeJob, kbps: int, parts: list[tuple[int, int]], tmp: Path, out: Path, workers: int = 1
) -> None:
    """LAME in this process, a thread per part (``workers`` at once), each part written to a
    temporary file beside ``out``; the parts' frames are joined into ``tmp`` behind one
    Info/LAME tag frame written for the whole (delay, end padding, sizes, seek table)."""
    reserve = mp3join.frame_size(mp3join.tag_header(_header(kbps, job.channels)))
    paths = [tmp]
    try:
        for _ in parts[1:]:  # each named in paths before it exists: discarded below
            temp_beside(out, into=paths)

        def open_sink(i: int) -> LameSink:
            return LameSink(paths[i], kbps, reserve if i == 0 else 0, job.channels, job.quality)

        sinks = [s for s in run_parts(job, parts, open_sink, workers) if isinstance(s, LameSink)]
        sizes = [mp3join.frame_sizes_from(p, reserve if i == 0 else 0) for i, p in enumerate(paths)]
        pads = [len(sz) * SAMPLES_PER_FRAME - mp3join.ENCODER_DELAY - s.samples for sz, s in zip(sizes, sinks)]
        if len(parts) > 1 and not joinable([mp3join.ENCODER_DELAY] * len(parts), pads):
            encode_lame(job, kbps, [(0, ms_to_samples(job.total_ms))], tmp, out)
            return
        crc = 0
        with open(tmp, "r+b") as f:
            f.seek(0, 2)
            for path in paths[1:]:  # streamed, each part deleted once copied
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, f, 1 << 20)
                atomic.discard(path)
            for sink, part_sizes in zip(sinks, sizes):
                crc = mp3join.crc16_combine(crc, sink.music_crc, int(part_sizes.sum(dtype=np.int64)))
            first_header = mp3join.first_header(tmp, reserve)
            frame = mp3join.info_frame(first_header, np.concatenate(sizes), mp3join.ENCODER_DELAY, pads[-1], crc)
            if len(frame) != reserve:  # cannot happen: LAME keeps the mode it was given
                raise RenderError(f"the Info tag frame takes {len(frame)} bytes, {reserve} were kept for it")
            f.seek(0)
            f.write(frame)
    finally:
        for p in paths[1:]:
            atomic.discard(p)


def _header(kbps: int, channels: int = 1) -> int:
    """An MPEG-1 Layer III frame header at ``kbps``, 44.1 kHz, mono (or joint stereo), no
    CRC, no padding (its size is the size of every unpadded frame at that bitrate)."""
    mode = 0b11 if channels == 1 else 0b01
    return 0xFFFB0000 | (LAME_KBPS.index(kbps) + 1) << 12 | mode << 6


# what ffmpeg prints when the file it writes cannot grow: the system's own words for these errnos
_WRITE_FAILURES = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _write_failure(code: int, stderr: str) -> int | None:
    """The errno of a write that failed, from how ffmpeg ended: SIGXFSZ (a file size limit)
    is EFBIG; "No space left on device" in its output is ENOSPC, and so on. None for any
    other failure."""
    import signal

    if code == -getattr(signal, "SIGXFSZ", 0):
        return errno.EFBIG
    return next((n for n in _WRITE_FAILURES if os.strerror(n) in stderr), None)


def _tail(stderr: IO[bytes]) -> str:
    stderr.flush()
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace").strip()
    return text[-FFMPEG_STDERR_TAIL_CHARS:] or "(no output from ffmpeg)"


def temp_beside(out_path: Path, into: list[Path] | None = None) -> Path:
    """A fresh, locked hidden file beside out_path (same filesystem, so os.replace is
    atomic); :func:`matcue.core.atomic.discard` removes it."""
    folder = out_path.parent
    shown = atomic.shown_file(folder)
    if not folder.is_dir():
        raise RenderError(f"output folder {shown} does not exist")
    try:
        return atomic.create_temp(out_path, into=into)
    except FileExistsError as exc:
        raise RenderError(f"cannot create a temporary file in {shown}") from exc
    except OSError as exc:
        raise RenderError(f"cannot write to {shown}: {atomic.why_not_written(exc)}") from exc
