"""Reading speech engines' audio files, band-limited resampling and edge trimming.

Everything here is plain numpy: no scipy, no audio libraries. Engines hand us 16-bit
PCM WAV (espeak-ng, pyttsx3 on Linux/Windows) or AIFF (pyttsx3 on macOS); we turn it
into mono int16 at :data:`matcue.core.pcm.SAMPLE_RATE` with the silence at both ends cut off.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcue.core.pcm import SAMPLE_RATE

INT16_FULL_SCALE = 32768.0
TRIM_THRESHOLD_DB = -50.0  # dBFS; quieter than this counts as silence at the edges
TRIM_MARGIN_MS = 10  # silence kept before the first and after the last audible sample
FADE_MS = 3  # fade-in/out on the trimmed edges so clips never start with a click

_RESAMPLE_ZERO_CROSSINGS = 32  # half-width of the windowed sinc, in input samples
_RESAMPLE_KAISER_BETA = 8.6  # about 80 dB stop-band attenuation
_RESAMPLE_ROLLOFF = 0.94  # cutoff as a fraction of the lower Nyquist frequency
_RESAMPLE_CHUNK = 16_384  # output samples per vectorized block (bounds memory use)


class WavFormatError(ValueError):
    """The bytes are not audio this module can read (or not all of it is there yet)."""


@dataclass(frozen=True, slots=True, eq=False)
class PcmAudio:
    """Decoded audio: mono int16 ``samples`` at ``rate_hz``."""

    samples: np.ndarray
    rate_hz: int


# --------------------------------------------------------------------------- reading


def read_audio_file(path: Path, *, strict: bool = False) -> PcmAudio:
    """Read a WAV or AIFF file (see :func:`read_audio_bytes`)."""
    return read_audio_bytes(Path(path).read_bytes(), strict=strict)


def read_audio_bytes(data: bytes, *, strict: bool = False) -> PcmAudio:
    """Decode 16-bit PCM WAV or AIFF bytes to mono int16.

    With ``strict=False`` a data chunk longer than the bytes present is clamped to what
    is there: espeak-ng writes ``0x7ffffff0`` as the size when it streams to stdout.
    With ``strict=True`` every size field must agree with the bytes present, which is how
    a caller tells a completely written file from one still being written.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _read_wav(data, strict=strict)
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        return _read_aiff(data, strict=strict)
    raise WavFormatError("not a WAV or AIFF file")


def wav_problem(data: bytes) -> str | None:
    """Why ``data`` is not a complete audio file, or None when it is."""
    try:
        audio = read_audio_bytes(data, strict=True)
    except WavFormatError as exc:
        return str(exc)
    if len(audio.samples) == 0:
        return "no audio samples"
    return None


def _chunks(data: bytes, start: int, big_endian: bool) -> dict[bytes, tuple[int, int, int]]:
    """Chunk id -> (payload offset, declared size, size actually present)."""
    fmt = ">I" if big_endian else "<I"
    found: dict[bytes, tuple[int, int, int]] = {}
    pos = start
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        (size,) = struct.unpack(fmt, data[pos + 4 : pos + 8])
        payload = pos + 8
        present = min(size, len(data) - payload)
        found.setdefault(cid, (payload, size, present))
        pos = payload + size + (size & 1)
    return found


def _check_riff_size(data: bytes, strict: bool, big_endian: bool) -> None:
    if len(data) < 12:
        raise WavFormatError("file too short for a header")
    (riff_size,) = struct.unpack(">I" if big_endian else "<I", data[4:8])
    if strict and riff_size + 8 != len(data):
        raise WavFormatError(f"header says {riff_size + 8} bytes but the file has {len(data)} (incomplete?)")


def _read_wav(data: bytes, *, strict: bool) -> PcmAudio:
    _check_riff_size(data, strict, big_endian=False)
    chunks = _chunks(data, 12, big_endian=False)
    if b"fmt " not in chunks:
        raise WavFormatError("WAV file has no 'fmt ' chunk")
    if b"data" not in chunks:
        raise WavFormatError("WAV file has no 'data' chunk")
    fpos, _, fpresent = chunks[b"fmt "]
    if fpresent < 16:
        raise WavFormatError("WAV 'fmt ' chunk is truncated")
    fmt_tag, channels, rate_hz, _, _block_align, bits = struct.unpack("<HHIIHH", data[fpos : fpos + 16])
    if fmt_tag == 0xFFFE and fpresent >= 26:  # WAVE_FORMAT_EXTENSIBLE: real tag in the GUID
        (fmt_tag,) = struct.unpack("<H", data[fpos + 24 : fpos + 26])
    if fmt_tag != 1 or bits != 16:
        raise WavFormatError(f"unsupported WAV encoding (format {fmt_tag}, {bits} bits)")
    dpos, dsize, dpresent = chunks[b"data"]
    if strict and dpresent != dsize:
        raise WavFormatError(f"data chunk says {dsize} bytes but only {dpresent} are present (incomplete?)")
    raw = np.frombuffer(data, dtype="<i2", count=dpresent // 2, offset=dpos)
    return PcmAudio(_to_mono(raw, channels), int(rate_hz))


def _read_aiff(data: bytes, *, strict: bool) -> PcmAudio:
    _check_riff_size(data, strict, big_endian=True)
    chunks = _chunks(data, 12, big_endian=True)
    if b"COMM" not in chunks or b"SSND" not in chunks:
        raise WavFormatError("AIFF file lacks its COMM or SSND chunk")
    cpos, _, cpresent = chunks[b"COMM"]
    if cpresent < 18:
        raise WavFormatError("AIFF COMM chunk is truncated")
    channels, _frames, bits = struct.unpack(">hIh", data[cpos : cpos + 8])
    rate_hz = _extended_to_float(data[cpos + 8 : cpos + 18])
    dtype = ">i2"
    if data[8:12] == b"AIFC" and cpresent >= 22:
        compression = data[cpos + 18 : cpos + 22]
        if compression == b"sowt":
            dtype = "<i2"
        elif compression != b"NONE":
            raise WavFormatError(f"unsupported AIFF-C compression {compression!r}")
    if bits != 16:
        raise WavFormatError(f"unsupported AIFF sample size ({bits} bits)")
    spos, ssize, spresent = chunks[b"SSND"]
    if strict and spresent != ssize:
        raise WavFormatError("SSND chunk is incomplete")
    (offset,) = struct.unpack(">I", data[spos : spos + 4])
    start = spos + 8 + offset
    count = max(0, (spos + spresent - start) // 2)
    raw = np.frombuffer(data, dtype=dtype, count=count, offset=start)
    return PcmAudio(_to_mono(raw.astype("<i2"), channels), round(rate_hz))


def _extended_to_float(b: bytes) -> float:
    """80-bit IEEE 754 extended precision (the AIFF sample rate field) to a float."""
    exponent = ((b[0] & 0x7F) << 8) | b[1]
    (mantissa,) = struct.unpack(">Q", b[2:10])
    if exponent == 0 and mantissa == 0:
        return 0.0
    value = mantissa * 2.0 ** (exponent - 16383 - 63)
    return -value if b[0] & 0x80 else value


def _to_mono(raw: np.ndarray, channels: int) -> np.ndarray:
    if channels <= 1:
        return raw.astype(np.int16)
    frames = len(raw) // channels
    mixed = raw[: frames * channels].reshape(frames, channels).astype(np.int32).mean(axis=1)
    return np.round(mixed).astype(np.int16)


def write_wav_bytes(samples: np.ndarray, rate_hz: int) -> bytes:
    """Mono int16 samples as a WAV file (used by tests and debugging)."""
    pcm = np.asarray(samples, dtype="<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(pcm), b"WAVE", b"fmt ", 16, 1, 1, rate_hz, rate_hz * 2, 2, 16,
        b"data", len(pcm),
    )  # fmt: skip
    return header + pcm


# ------------------------------------------------------------------------ resampling


def resample(samples: np.ndarray, from_hz: int, to_hz: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited rational resampling with a Kaiser-windowed sinc (polyphase).

    Returns float64 samples in the input's scale; the output holds
    ``round(len(samples) * to_hz / from_hz)`` samples covering the same time span.
    """
    x = np.asarray(samples, dtype=np.float64)
    if from_hz <= 0 or to_hz <= 0:
        raise ValueError(f"sample rates must be positive, got {from_hz} -> {to_hz}")
    if from_hz == to_hz or len(x) == 0:
        return x.copy()
    g = math.gcd(from_hz, to_hz)
    up, down = to_hz // g, from_hz // g
    n_out = (len(x) * up + down // 2) // down
    cutoff = _RESAMPLE_ROLLOFF * min(1.0, up / down)  # relative to the input Nyquist
    half = math.ceil(_RESAMPLE_ZERO_CROSSINGS / min(1.0, up / down))
    taps = _polyphase_taps(up, half, cutoff)  # (up, 2*half)
    padded = np.concatenate([np.zeros(half), x, np.zeros(half + 1)])
    out = np.empty(n_out)
    offsets = np.arange(2 * half)
    for start in range(0, n_out, _RESAMPLE_CHUNK):
        k = np.arange(start, min(start + _RESAMPLE_CHUNK, n_out), dtype=np.int64)
        base, phase = np.divmod(k * down, up)
        # input index base - half + 1 + j  ->  padded index base + 1 + j
        frames = padded[(base + 1)[:, None] + offsets[None, :]]
        out[start : start + len(k)] = np.einsum("ij,ij->i", frames, taps[phase])
    return out


def _polyphase_taps(up: int, half: int, cutoff: float) -> np.ndarray:
    """Row p: weights of input samples around the output at fractional offset p/up."""
    frac = np.arange(up)[:, None] / up
    j = np.arange(2 * half)[None, :]
    t = frac - (j - half + 1)  # distance (in input samples) from each tap to the output
    window = np.i0(_RESAMPLE_KAISER_BETA * np.sqrt(np.clip(1 - (t / half) ** 2, 0.0, 1.0)))
    h = cutoff * np.sinc(cutoff * t) * window / np.i0(_RESAMPLE_KAISER_BETA)
    return h / h.sum(axis=1, keepdims=True)  # unity gain at DC for every phase


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round and clip float samples (int16 scale) to int16."""
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


# -------------------------------------------------------------------------- trimming


def trim_silence(
    samples: np.ndarray,
    rate_hz: int = SAMPLE_RATE,
    *,
    threshold_db: float = TRIM_THRESHOLD_DB,
    margin_ms: int = TRIM_MARGIN_MS,
    fade_ms: int = FADE_MS,
) -> np.ndarray:
    """Cut leading/trailing audio quieter than ``threshold_db`` dBFS, keeping ``margin_ms``.

    The kept audio is faded in and out over ``fade_ms``; where the input has less than
    ``margin_ms`` before the first (or after the last) audible sample, zeros are added,
    so every clip starts and ends with the same short quiet margin.
    Returns int16; an all-silent input gives an empty array.
    """
    x = np.asarray(samples)
    threshold = INT16_FULL_SCALE * 10 ** (threshold_db / 20)
    loud = np.flatnonzero(np.abs(x.astype(np.int32)) > threshold)
    if len(loud) == 0:
        return np.zeros(0, dtype=np.int16)
    margin = rate_hz * margin_ms // 1000
    start = int(loud[0]) - margin
    stop = int(loud[-1]) + 1 + margin
    kept = fade_edges(x[max(0, start) : min(len(x), stop)], rate_hz, fade_ms)
    pad_front, pad_back = max(0, -start), max(0, stop - len(x))
    if pad_front or pad_back:
        kept = np.concatenate([np.zeros(pad_front, np.int16), kept, np.zeros(pad_back, np.int16)])
    return kept


def fade_edges(samples: np.ndarray, rate_hz: int, fade_ms: int) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of ``fade_ms`` each; returns int16."""
    y = np.asarray(samples, dtype=np.float64).copy()
    n = min(rate_hz * fade_ms // 1000, len(y) // 2)
    if n > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
        y[:n] *= ramp
        y[len(y) - n :] *= ramp[::-1]
    return to_int16(y)


def finish_clip_samples(audio: PcmAudio, *, peak_relative_db: float | None = None) -> np.ndarray:
    """Engine output -> mono int16 at SAMPLE_RATE with edges trimmed and faded.

    ``peak_relative_db`` (e.g. -40): also count as edge silence whatever is that far below
    the clip's peak; for loud engines whose breathy onsets sit just above -50 dBFS.
    """
    resampled = to_int16(resample(audio.samples, audio.rate_hz, SAMPLE_RATE))
    threshold_db = TRIM_THRESHOLD_DB
    if peak_relative_db is not None and len(resampled):
        peak = float(np.abs(resampled.astype(np.int32)).max())
        if peak > 0:
            threshold_db = max(threshold_db, 20 * math.log10(peak / INT16_FULL_SCALE) + peak_relative_db)
    return trim_silence(resampled, SAMPLE_RATE, threshold_db=threshold_db)


__all__ = [
    "PcmAudio",
    "WavFormatError",
    "fade_edges",
    "finish_clip_samples",
    "read_audio_bytes",
    "read_audio_file",
    "resample",
    "to_int16",
    "trim_silence",
    "wav_problem",
    "write_wav_bytes",
]
