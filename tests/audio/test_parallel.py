"""Parallel encoding: a long track is cut at silences, the parts are encoded at once and
joined frame-exactly. The joined MP3 must decode to the same length as the mix, line up
with it sample for sample, and play through each join without a click or a gap."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import audiocheck as ac
from matcue.audio import mp3join, render
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

    from matcue.audio import encode

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
