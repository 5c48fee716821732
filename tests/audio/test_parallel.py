"""Parallel encoding: a long track is cut at silences, the parts are encoded at once and
joined frame-exactly. The joined MP3 must decode to the same length as the mix, line up
with it sample for sample, and play through each join without a click or a gap."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import audiocheck as ac
from matcue.audio import encode, mp3join, render
from matcue.audio.parts import JOIN_GAP, JOIN_MARGIN, JOIN_PADDING
from matcue.core.pcm import ms_to_samples
from matcue.plan.compile import compile_routine
from matcue.plan.layout import layout
from matcue.routine.loader import loads_routine
from matcue.voice.backends.fake import fake_samples
from matcue.voice.base import Clip

ROUTINE = """title: Parallel
breath: {inhale: 4, exhale: 6}
steps:
  - say: Find a comfortable seat.
  - pose: Pigeon
    cue: Bring your {side} knee forward.
    sides: both
    hold: 5 breaths
    during:
      - at: breath 2
        say: Lift the chest.
  - timer: Circles
    duration: 40s
    bell_every: 10s
  - reps: 4
    inhale: Up.
    exhale: Down.
  - rest: 20s
    cue: Lie back.
"""


@pytest.fixture(scope="module")
def built():
    script = compile_routine(loads_routine(ROUTINE))
    clips = {t: Clip(fake_samples(t, 150)) for t in script.texts()}
    tl = layout(script, {t: c.length_ms for t, c in clips.items()})
    assert tl.total_ms > 3 * 60_000
    return tl, clips


def test_parts_are_cut_inside_silences_at_lengths_lame_pads_by_800(built):
    tl, clips = built
    parts = render.plan_parts(tl, clips, 3)
    assert len(parts) == 3
    assert parts[0][0] == 0 and parts[-1][1] == ms_to_samples(tl.total_ms)
    pcm = render.mix(tl, clips)
    for (a0, a1), (b0, _) in zip(parts, parts[1:]):
        assert b0 == a1 + JOIN_GAP
        assert (a1 - a0 + mp3join.ENCODER_DELAY + JOIN_PADDING) % mp3join.SAMPLES_PER_FRAME == 0
        # silence on both sides of the cut, and all through what the join replaces
        assert not pcm[a1 - JOIN_MARGIN : b0 + JOIN_MARGIN].any()


def test_short_tracks_are_one_part(built):
    tl, clips = built
    assert render.plan_parts(tl, clips, 1) == [(0, ms_to_samples(tl.total_ms))]


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")
@pytest.mark.parametrize("encoder", ["lame", "ffmpeg"])
def test_joined_mp3_is_gapless_and_aligned_with_the_mix(built, tmp_path: Path, encoder):
    tl, clips = built
    one = render.render_mp3(tl, clips, tmp_path / "one.mp3", jobs=1, encoding=render.Mp3Encoding(encoder=encoder))
    three = render.render_mp3(tl, clips, tmp_path / "three.mp3", jobs=3, encoding=render.Mp3Encoding(encoder=encoder))
    ref = ac.as_float(render.mix(tl, clips))
    a, b = ac.decode(one), ac.decode(three)
    assert len(a) == len(b) == len(ref)
    # the joined track is as close to the mix as the single stream is
    err_one = float(np.sqrt(np.mean((a - ref) ** 2)))
    err_three = float(np.sqrt(np.mean((b - ref) ** 2)))
    assert err_three <= err_one * 1.1 + 1e-5
    # around every join: silent, no click, no gap (the audio after it is not shifted)
    for _, cut in render.plan_parts(tl, clips, 3)[:-1]:
        ms = cut * 1000 // 44100
        assert ac.is_silent(b, ms - 40, ms + 60)
        assert ac.max_jump(b, ms - 200, ms + 200) < max(0.01, 1.2 * ac.max_jump(ref, ms - 200, ms + 200))
    lag = _best_lag(b, ref, len(ref) - 44100 * 30, 44100 * 5)
    assert lag == 0
    info = ac.probe(three)
    assert abs(float(info["format"]["duration"]) * 1000 - tl.total_ms) < 60
    assert [c["tags"]["title"] for c in info["chapters"]] == [c.title for c in tl.chapters]


def _best_lag(x: np.ndarray, ref: np.ndarray, start: int, n: int) -> int:
    seg = ref[start : start + n]
    return min(range(-8, 9), key=lambda lag: float(np.sum((x[start + lag : start + lag + n] - seg) ** 2)))


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")
def test_interrupted_parallel_render_leaves_nothing(built, tmp_path: Path):
    tl, clips = built
    out = tmp_path / "x.mp3"
    out.write_bytes(b"previous track")
    calls = []

    def interrupt(done, total):
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render.render_mp3(tl, clips, out, jobs=2, progress=interrupt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mp3"]
    assert out.read_bytes() == b"previous track"


def test_an_interrupt_while_the_part_threads_start_stays_an_interrupt(built, tmp_path: Path, monkeypatch):
    """Ctrl-C can land between starting one part's thread and the next: the clean-up must
    not join the thread that never started (a RuntimeError then replaced the interrupt, a
    render exited 3, and a roster worker took the next track)."""
    import threading

    tl, clips = built
    started = []

    class Interrupted(threading.Thread):
        def start(self) -> None:
            feeds = getattr(self, "_target", None).__name__ == "feed"  # not the loudness pass's
            if feeds and started:
                raise KeyboardInterrupt  # the signal, as the second part's thread starts
            if feeds:
                started.append(self)
            super().start()

    monkeypatch.setattr(encode.threading, "Thread", Interrupted)
    out = tmp_path / "x.mp3"
    with pytest.raises(KeyboardInterrupt):
        render.render_mp3(tl, clips, out, jobs=3)
    assert len(started) == 1
    assert list(tmp_path.iterdir()) == []


def test_crc16_matches_the_standard_check_value():
    assert mp3join.crc16(b"123456789") == 0xBB3D  # CRC-16/ARC


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc16_combine(a, b):
    assert mp3join.crc16_combine(mp3join.crc16(a), mp3join.crc16(b), len(b)) == mp3join.crc16(a + b)


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")
def test_whole_tag_of_one_part_keeps_every_field_but_the_seek_table(built, tmp_path: Path):
    tl, clips = built
    path = render.render_mp3(tl, clips, tmp_path / "p.mp3", jobs=1)
    # strip the ID3 tag that render added: parts are raw streams
    data = path.read_bytes()
    start = data.find(b"\xff\xfb")
    raw = tmp_path / "raw.mp3"
    raw.write_bytes(data[start:])
    tag = mp3join.read_tag(raw)
    rebuilt = mp3join.whole_tag([tag], mp3join.frame_sizes(raw))
    t = tag.offset
    assert rebuilt[: t + 16] == tag.frame[: t + 16]
    assert rebuilt[t + 116 : t + 154] == tag.frame[t + 116 : t + 154]  # delay, padding, sizes, CRC
    assert int.from_bytes(rebuilt[t + 154 : t + 156], "big") == mp3join.crc16(rebuilt[: t + 154])
    toc_a, toc_b = rebuilt[t + 16 : t + 116], tag.frame[t + 16 : t + 116]
    assert all(abs(x - y) <= 3 for x, y in zip(toc_a, toc_b))
    assert list(toc_a) == sorted(toc_a)


# --- the parts in flight: bounded by the cores, whatever MATCUE_JOBS asks -------------


def test_a_large_jobs_value_cuts_parts_of_30_s_at_least_encoded_one_per_core_at_a_time(built):
    from matcue.audio.parts import MIN_PART_MS
    from matcue.core.cores import in_flight

    tl, clips = built
    parts = render.plan_parts(tl, clips, 256)
    assert 2 < len(parts) <= tl.total_ms // MIN_PART_MS  # the length bounds the count, not 256
    assert all(b - a >= ms_to_samples(MIN_PART_MS) for a, b in parts)
    assert in_flight(256, len(parts), cores=2) == 2
    assert in_flight(256, len(parts), cores=64) == len(parts)
    assert in_flight(1, len(parts), cores=2) == 1


class _Job:
    """What run_parts reads of an EncodeJob: a part's blocks, the length, the progress."""

    total_ms = 10_000
    progress = None

    def blocks(self, start: int, end: int):
        for b0 in range(start, end, 100):
            yield np.zeros(min(100, end - b0), dtype=np.int16)


class _CountingSink(encode.Sink):
    open_now = 0
    most = 0
    lock = __import__("threading").Lock()

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.closed = self.aborted = False
        with self.lock:
            type(self).open_now += 1
            type(self).most = max(type(self).most, type(self).open_now)

    def write(self, pcm: np.ndarray) -> None:
        import time

        time.sleep(0.001)  # let the other threads run
        if self.fail:
            raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.closed = True
        with self.lock:
            type(self).open_now -= 1

    def abort(self) -> None:
        self.aborted = True


def test_run_parts_opens_each_sink_when_its_part_starts_and_no_more_than_the_workers_at_once():
    parts = [(k * 4410, (k + 1) * 4410) for k in range(100)]
    _CountingSink.open_now = _CountingSink.most = 0
    opened: list[int] = []

    def open_sink(i: int) -> _CountingSink:
        opened.append(i)
        return _CountingSink()

    sinks = render.run_parts(_Job(), parts, open_sink, 3)  # type: ignore[arg-type]
    assert len(sinks) == 100 and all(s.closed and not s.aborted for s in sinks)  # type: ignore[attr-defined]
    assert 1 <= _CountingSink.most <= 3
    assert sorted(opened) == list(range(100))
    assert opened[:3] == sorted(opened[:3])  # taken in order


def test_a_failed_part_stops_the_others_and_aborts_every_sink_opened():
    parts = [(k * 4410, (k + 1) * 4410) for k in range(50)]
    made: list[_CountingSink] = []

    def open_sink(i: int) -> _CountingSink:
        made.append(_CountingSink(fail=i == 4))
        return made[-1]

    with pytest.raises(OSError, match="No space left"):
        render.run_parts(_Job(), parts, open_sink, 2)  # type: ignore[arg-type]
    assert len(made) < 50  # the parts after the failure were never started
    assert all(s.closed or s.aborted for s in made)


@pytest.mark.parametrize("encoder", ["lame", "ffmpeg"])
def test_a_part_that_fails_leaves_no_temporary_file_and_the_old_track(built, tmp_path: Path, monkeypatch, encoder):
    if encoder == "ffmpeg" and not ac.have_ffmpeg():
        pytest.skip("needs ffmpeg")
    tl, clips = built
    out = tmp_path / "x.mp3"
    out.write_bytes(b"previous track")
    sink = encode.LameSink if encoder == "lame" else encode.FfmpegSink
    real_write = sink.write
    calls = []

    def write(self, pcm):  # the third part's first block meets a full disk
        calls.append(self)
        if len({id(s) for s in calls}) == 3:
            raise OSError(28, "No space left on device")
        real_write(self, pcm)

    monkeypatch.setattr(sink, "write", write)
    with pytest.raises(render.RenderError) as err:
        render.render_mp3(tl, clips, out, jobs=6, encoding=render.Mp3Encoding(encoder=encoder))
    assert str(err.value) == f"cannot write '{out}': the disk is full"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mp3"]
    assert out.read_bytes() == b"previous track"


def test_the_parts_in_flight_never_change_a_byte_of_the_track(built, tmp_path: Path, monkeypatch):
    """Each part is encoded on its own, so encoding them one at a time (serially) or all at
    once gives the same file: the bound on parts in flight changes memory, never the MP3."""
    tl, clips = built
    jobs = 4
    assert len(render.plan_parts(tl, clips, jobs)) == jobs
    monkeypatch.setattr(render, "in_flight", lambda jobs, tasks: 1)
    serial = render.render_mp3(tl, clips, tmp_path / "serial.mp3", jobs=jobs).read_bytes()
    monkeypatch.setattr(render, "in_flight", lambda jobs, tasks: tasks)
    at_once = render.render_mp3(tl, clips, tmp_path / "at-once.mp3", jobs=jobs).read_bytes()
    monkeypatch.undo()
    bounded = render.render_mp3(tl, clips, tmp_path / "bounded.mp3", jobs=jobs).read_bytes()
    assert serial == at_once == bounded
