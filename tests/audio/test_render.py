"""The mixer and the MP3 encoder, asserted by measuring PCM."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

import audiocheck as ac
from matcue.audio import encode, mixdown, mixer, render, sounds
from matcue.audio.codec import FORMATS, FormatError
from matcue.audio.mixdown import MixSettings
from matcue.core.errors import RenderError, ToolMissingError
from matcue.core.pcm import ms_to_samples
from matcue.plan.timeline import Chapter, Event, Timeline
from matcue.voice.base import Clip

needs_ffmpeg = [
    pytest.mark.ffmpeg,
    pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed"),
]

WELCOME = "Find a comfortable seat on your mat."
INHALE_CUE = "Inhale, reach the arms up."
EXHALE_CUE = "Exhale, sink a little deeper."
SWITCH = "Switch sides."


def _clips() -> dict[str, Clip]:
    return {
        WELCOME: Clip(ac.voice_like(2140, f0_hz=140, seed=1)),
        INHALE_CUE: Clip(ac.voice_like(1500, f0_hz=150, seed=2)),
        EXHALE_CUE: Clip(ac.voice_like(1777, f0_hz=130, seed=3)),
        SWITCH: Clip(ac.voice_like(901, f0_hz=145, seed=4)),
    }


def _timeline(clips: Mapping[str, Clip]) -> Timeline:
    """A small routine: speech, a pause, breath tones with a bell and cues over them,
    a hold, a switch bell, a rest with a soft bell."""
    welcome_ms = clips[WELCOME].length_ms
    start_bell = sounds.BELL_MS["start"]
    events = [
        Event(0, welcome_ms, "speech", WELCOME),
        Event(welcome_ms, 5000, "silence"),
        Event(5000, 5000 + start_bell, "bell", sound="start"),
        Event(5000, 9000, "inhale"),
        Event(5000, 5000 + clips[INHALE_CUE].length_ms, "speech", INHALE_CUE),
        Event(9000, 15000, "exhale"),
        Event(9000, 9000 + clips[EXHALE_CUE].length_ms, "speech", EXHALE_CUE),
        Event(15000, 17000, "hold"),
        Event(17000, 21000, "inhale"),
        Event(21000, 23500, "exhale"),  # a truncated last phase
        Event(23500, 23500 + sounds.BELL_MS["end"], "bell", sound="end"),
        Event(27000, 27000 + sounds.BELL_MS["switch"], "bell", sound="switch"),
        Event(27000 + sounds.BELL_MS["switch"], 30000, "silence"),
        Event(30000, 30000 + clips[SWITCH].length_ms, "speech", SWITCH),
        Event(32000, 40000, "silence"),
        Event(40000, 40000 + sounds.BELL_MS["soft"], "bell", sound="soft"),
        Event(43500, 43500 + sounds.BELL_MS["interval"], "bell", sound="interval"),
    ]
    chapters = (
        Chapter(0, 5000, "Arrive"),
        Chapter(5000, 27000, "Breath"),
        Chapter(27000, 45007, "Rest"),
    )
    return Timeline("Test routine", 45007, chapters, tuple(events), artist="Studio", album="Tests")


@pytest.fixture(scope="module")
def clips() -> dict[str, Clip]:
    return _clips()


@pytest.fixture(scope="module")
def timeline(clips: dict[str, Clip]) -> Timeline:
    return _timeline(clips)


@pytest.fixture(scope="module")
def mixed(timeline: Timeline, clips: dict[str, Clip]) -> np.ndarray:
    return render.mix(timeline, clips)


# --- mix and blocks -------------------------------------------------------------


def test_mix_length_is_exact(timeline: Timeline, mixed: np.ndarray) -> None:
    assert mixed.dtype == np.int16
    assert len(mixed) == ms_to_samples(timeline.total_ms)


@pytest.mark.parametrize("block_ms", [1, 333, 1000, 5000, 7919, 45007, 100_000])
def test_streamed_blocks_equal_mix(
    timeline: Timeline, clips: dict[str, Clip], mixed: np.ndarray, block_ms: int
) -> None:
    blocks = list(render.iter_blocks(timeline, clips, block_ms=block_ms))
    assert all(b.dtype == np.int16 for b in blocks)
    assert len(blocks) == -(-timeline.total_ms // block_ms)
    np.testing.assert_array_equal(np.concatenate(blocks), mixed)


def test_blocks_have_the_block_length(timeline: Timeline, clips: dict[str, Clip]) -> None:
    lengths = [len(b) for b in render.iter_blocks(timeline, clips, block_ms=5000)]
    assert lengths[:-1] == [ms_to_samples(5000)] * (len(lengths) - 1)
    assert sum(lengths) == ms_to_samples(timeline.total_ms)


def test_speech_is_placed_sample_exactly(clips: dict[str, Clip], mixed: np.ndarray) -> None:
    """The clip lands sample-exactly, scaled by one gain (its level, then the master gain)."""
    clip = clips[SWITCH].samples.astype(np.float64)
    at = ms_to_samples(30000)
    edge = ms_to_samples(mixer.SPEECH_EDGE_FADE_MS)
    got = mixed[at + edge : at + len(clip) - edge].astype(np.float64)
    want = clip[edge : len(clip) - edge]
    gain = float(np.dot(got, want) / np.dot(want, want))
    assert np.max(np.abs(got - gain * want)) <= 1.0  # rounding to int16 only


def test_speech_is_cut_at_the_event_end() -> None:
    clip = Clip(ac.voice_like(2000))
    tl = Timeline("cut", 3000, (), (Event(500, 1500, "speech", "x"),))
    out = render.mix(tl, {"x": clip})
    assert ac.rms_dbfs(out, 600, 1400) > -20
    assert ac.is_digital_silence(out, 1500, 3000)
    assert ac.max_jump(out, 1490, 1510) < 0.05  # faded, not chopped


def test_silence_and_hold_are_digitally_silent(timeline: Timeline, mixed: np.ndarray) -> None:
    for ev in timeline.events:
        if ev.kind in ("silence", "hold"):
            assert ac.is_digital_silence(mixed, ev.start_ms, ev.end_ms), ev


def test_speech_onsets_where_the_events_say(timeline: Timeline, mixed: np.ndarray) -> None:
    welcome, switch = timeline.events[0], timeline.events[13]
    assert ac.onset_ms(mixed, 0, 1000) == pytest.approx(welcome.start_ms, abs=5)
    assert ac.offset_ms(mixed, 1000, 4000) == pytest.approx(welcome.end_ms, abs=5)
    assert ac.onset_ms(mixed, 29000, 31000) == pytest.approx(switch.start_ms, abs=5)


def test_tones_glide_the_right_way(mixed: np.ndarray) -> None:
    assert ac.is_rising(mixed, 17200, 20800)
    assert ac.is_falling(mixed, 21200, 23300)


def test_tones_are_quieter_than_speech(mixed: np.ndarray) -> None:
    tone = ac.rms_dbfs(mixed, 18000, 20000)
    voice = ac.rms_dbfs(mixed, 200, 1900)
    assert voice - tone >= 8.0
    assert ac.peak_dbfs(mixed, 18000, 20000) <= ac.peak_dbfs(mixed, 200, 1900) - 12.0


def test_no_clicks_at_event_boundaries(timeline: Timeline, mixed: np.ndarray) -> None:
    """At every start and end, no sample steps further than the audio just around it."""
    for ev in timeline.events:
        for t_ms in (ev.start_ms, ev.end_ms):
            at = ac.max_jump(mixed, max(0, t_ms - 2), t_ms + 2)
            around = max(
                ac.max_jump(mixed, max(0, t_ms - 50), t_ms - 5),
                ac.max_jump(mixed, t_ms + 5, t_ms + 50),
            )
            assert at <= max(0.01, 1.05 * around), (ev, t_ms, at, around)


def test_a_chopped_clip_would_be_caught() -> None:
    """The check above flags a sound that starts at full level (a click)."""
    t = np.arange(ms_to_samples(1000)) / 44100
    chopped = np.where(t >= 0.5, 0.3 * np.cos(2 * np.pi * 200 * t), 0.0)
    at = ac.max_jump(chopped, 498, 502)
    around = max(ac.max_jump(chopped, 450, 495), ac.max_jump(chopped, 505, 550))
    assert at > 10 * around


def test_overlapping_sounds_add(clips: dict[str, Clip]) -> None:
    tone_only = Timeline("t", 4000, (), (Event(0, 4000, "inhale"),))
    both = Timeline("t", 4000, (), (Event(0, 4000, "inhale"), Event(1000, 3000, "bell", sound="start")))
    fixed = MixSettings(normalize=False)  # the same master gain for both
    a = render.mix(tone_only, clips, fixed).astype(np.int32)
    b = render.mix(both, clips, fixed).astype(np.int32)
    np.testing.assert_array_equal(a[: ms_to_samples(1000)], b[: ms_to_samples(1000)])
    diff = b - a
    assert ac.rms_dbfs(diff.astype(np.int16), 1000, 1300) > -30  # the bell is there


def test_loud_overlap_is_limited_not_wrapped() -> None:
    """Two loud cues at once: the limiter holds the sum under the ceiling (no wrap-around)."""
    loud = Clip(np.full(44100, 30000, dtype=np.int16))
    tl = Timeline("x", 1000, (), (Event(0, 1000, "speech", "a"), Event(0, 1000, "speech", "b")))
    out = render.mix(tl, {"a": loud, "b": loud}, MixSettings(normalize=False))
    assert out[22050] > 0
    assert ac.peak_dbfs(out) <= mixdown.CEILING_DBTP + 0.01


def test_events_past_the_end_are_cut(clips: dict[str, Clip]) -> None:
    tl = Timeline("x", 2000, (), (Event(1000, 5000, "inhale"), Event(3000, 4000, "bell", sound="end")))
    out = render.mix(tl, clips)
    assert len(out) == ms_to_samples(2000)
    np.testing.assert_array_equal(np.concatenate(list(render.iter_blocks(tl, clips, 700))), out)


def test_missing_clip_is_a_render_error(timeline: Timeline, clips: dict[str, Clip]) -> None:
    partial = {k: v for k, v in clips.items() if k != SWITCH}
    with pytest.raises(RenderError, match="Switch sides"):
        render.mix(timeline, partial)
    with pytest.raises(RenderError, match="Switch sides"):
        render.iter_blocks(timeline, partial)  # checked before the first block


def test_negative_start_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="starts before the track"):
        render.mix(Timeline("x", 1000, (), (Event(-5, 500, "inhale"),)), {})


def test_unknown_kind_and_bell_are_render_errors() -> None:
    with pytest.raises(RenderError, match="kind 'gong'"):
        render.mix(Timeline("x", 1000, (), (Event(0, 500, "gong"),)), {})
    with pytest.raises(RenderError, match="bell 'gong'"):
        render.mix(Timeline("x", 1000, (), (Event(0, 500, "bell", sound="gong"),)), {})


def test_blocks_are_lazy_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long track streams without synthesizing events before they are live: once in the
    loudness pass, once as its blocks are mixed."""
    made: list[int] = []
    real = mixer.synthesize

    def spy(src: mixer.Source, clips: Mapping[str, Clip]) -> np.ndarray:
        made.append(src.start)
        return real(src, clips)

    monkeypatch.setattr(mixer, "synthesize", spy)
    events = tuple(Event(i * 10000, i * 10000 + 4000, "inhale") for i in range(60))
    tl = Timeline("long", 600_000, (), events)
    blocks = render.iter_blocks(tl, {}, block_ms=5000)
    next(blocks)
    assert len(made) == 61  # the loudness pass, then the first block's event
    assert max(len(b) for b in blocks) == ms_to_samples(5000)
    assert len(made) == 120


# --- MP3 -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, timeline: Timeline, clips: dict[str, Clip]) -> Path:
    if not ac.have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe not installed")
    out = tmp_path_factory.mktemp("render") / "routine.mp3"
    return render.render_mp3(timeline, clips, out)


@pytest.fixture(scope="module")
def decoded(rendered: Path) -> np.ndarray:
    return ac.decode(rendered)


@pytest.mark.usefixtures("rendered")
@pytest.mark.ffmpeg
class TestMp3:
    def test_decoded_length_matches(self, timeline: Timeline, decoded: np.ndarray) -> None:
        assert ac.duration_ms(decoded) == pytest.approx(timeline.total_ms, abs=20)

    def test_format(self, rendered: Path) -> None:
        info = ac.probe(rendered)["format"]
        assert info["format_name"] == "mp3"
        assert int(info["bit_rate"]) == pytest.approx(int(FORMATS["mp3"].default_bitrate[:-1]) * 1000, rel=0.05)
        stream = _stream_info(rendered)
        assert stream == {"sample_rate": "44100", "channels": 1}

    def test_speech_timings(self, timeline: Timeline, decoded: np.ndarray) -> None:
        for ev in timeline.events:
            if ev.kind == "speech" and ev.text in (WELCOME, SWITCH):
                found = ac.onset_ms(decoded, ev.start_ms - 500, ev.start_ms + 500)
                assert found == pytest.approx(ev.start_ms, abs=20), ev
        welcome = timeline.events[0]
        assert ac.offset_ms(decoded, 1000, 4000) == pytest.approx(welcome.end_ms, abs=20)

    def test_bell_onset(self, decoded: np.ndarray) -> None:
        assert ac.onset_ms(decoded, 26500, 27500) == pytest.approx(27000, abs=20)

    def test_silences_are_quiet(self, timeline: Timeline, decoded: np.ndarray) -> None:
        for ev in timeline.events:
            if ev.kind in ("silence", "hold") and ev.dur_ms >= 100:
                # 10 ms of margin either side for the codec's pre-echo
                assert ac.is_silent(decoded, ev.start_ms + 10, ev.end_ms - 10, -50.0), ev

    def test_tones_glide(self, decoded: np.ndarray) -> None:
        assert ac.is_rising(decoded, 17200, 20800)
        assert ac.is_falling(decoded, 21200, 23300)
        assert ac.is_rising(decoded, 7000, 8800)  # under the inhale cue, after it ends

    def test_matches_the_mix(self, mixed: np.ndarray, decoded: np.ndarray) -> None:
        """The codec keeps the signal: the decoded track correlates with the mix."""
        a = ac.as_float(mixed)
        n = min(len(a), len(decoded))
        corr = float(np.dot(a[:n], decoded[:n]) / (np.linalg.norm(a[:n]) * np.linalg.norm(decoded[:n])))
        assert corr > 0.98

    def test_no_encoder_delay(self, mixed: np.ndarray, decoded: np.ndarray) -> None:
        """LAME's delay and padding are trimmed: the decoded track lines up with the mix."""
        a = ac.as_float(mixed)[ms_to_samples(1000) : ms_to_samples(44000)]
        lags = range(-100, 101)
        scores = [float(np.dot(a, decoded[ms_to_samples(1000) + k :][: len(a)])) for k in lags]
        assert abs(lags[int(np.argmax(scores))]) <= 2

    def test_tags(self, rendered: Path) -> None:
        info = ac.probe(rendered)
        tags = info["format"]["tags"]
        assert (tags["title"], tags["artist"], tags["album"]) == ("Test routine", "Studio", "Tests")
        titles = [(c["tags"]["title"], c["start_time"]) for c in info["chapters"]]
        assert titles == [("Arrive", "0.000000"), ("Breath", "5.000000"), ("Rest", "27.000000")]


def _stream_info(path: Path) -> dict[str, object]:
    import json
    import subprocess

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    stream = json.loads(out)["streams"][0]
    return {"sample_rate": stream["sample_rate"], "channels": stream["channels"]}


@pytest.mark.parametrize("total_ms", [1, 999, 5000, 5001, 12_347])
@pytest.mark.parametrize("bitrate", ["64k", "128k"])
@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_decoded_length_for_odd_totals(tmp_path: Path, total_ms: int, bitrate: str) -> None:
    tl = Timeline("len", total_ms, (), (Event(0, total_ms, "inhale"),))
    out = render.render_mp3(tl, {}, tmp_path / "len.mp3", encoding=render.Mp3Encoding(bitrate))
    assert ac.duration_ms(ac.decode(out)) == pytest.approx(total_ms, abs=20)


# --- atomic writes ---------------------------------------------------------------


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_progress_reports_each_block(tmp_path: Path, timeline: Timeline, clips: dict[str, Clip]) -> None:
    seen: list[tuple[int, int]] = []
    render.render_mp3(timeline, clips, tmp_path / "p.mp3", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(min(t, timeline.total_ms), timeline.total_ms) for t in range(5000, timeline.total_ms + 5000, 5000)]
    assert _listing(tmp_path) == ["p.mp3"]


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_interrupt_leaves_nothing_behind(tmp_path: Path, timeline: Timeline, clips: dict[str, Clip]) -> None:
    def interrupt(done_ms: int, total_ms: int) -> None:
        if done_ms >= 15000:
            assert any(".partial-" in n for n in _listing(tmp_path))  # really midway
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render.render_mp3(timeline, clips, tmp_path / "x.mp3", progress=interrupt)
    assert _listing(tmp_path) == []


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_failed_render_keeps_the_existing_file(tmp_path: Path, timeline: Timeline, clips: dict[str, Clip]) -> None:
    out = tmp_path / "routine.mp3"
    out.write_bytes(b"previous render")
    before = os.stat(out)

    def interrupt(done_ms: int, total_ms: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render.render_mp3(timeline, clips, out, progress=interrupt)
    partial = {k: v for k, v in clips.items() if k != WELCOME}
    with pytest.raises(RenderError, match="no speech clip"):
        render.render_mp3(timeline, partial, out)
    with pytest.raises(FormatError, match="unsupported MP3 bitrate 'lots'"):  # the one bitrate parser
        render.render_mp3(timeline, clips, out, encoding=render.Mp3Encoding("lots"))
    assert _listing(tmp_path) == ["routine.mp3"]
    assert out.read_bytes() == b"previous render"
    assert os.stat(out).st_mtime_ns == before.st_mtime_ns


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_missing_clip_writes_nothing(tmp_path: Path, timeline: Timeline) -> None:
    with pytest.raises(RenderError):
        render.render_mp3(timeline, {}, tmp_path / "x.mp3")
    assert _listing(tmp_path) == []


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_ffmpeg_failure_reports_its_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = encode._ffmpeg_command
    monkeypatch.setattr(encode, "_ffmpeg_command", lambda *a: [*real(*a)[:-3], "-bogus_option", "1", *real(*a)[-3:]])
    tl = Timeline("x", 1000, (), (Event(0, 1000, "inhale"),))
    with pytest.raises(RenderError) as info:
        render.render_mp3(tl, {}, tmp_path / "x.mp3", encoding=render.Mp3Encoding(encoder="ffmpeg"))
    assert str(info.value).startswith("ffmpeg failed (exit status")
    assert "bogus_option" in str(info.value)
    assert _listing(tmp_path) == []


def test_missing_ffmpeg_is_a_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    tl = Timeline("x", 1000, (), (Event(0, 1000, "inhale"),))
    with pytest.raises(ToolMissingError) as info:
        render.render_mp3(tl, {}, tmp_path / "x.mp3", encoding=render.Mp3Encoding(encoder="ffmpeg"))
    assert info.value.tool == "ffmpeg"
    assert _listing(tmp_path) == []


def test_missing_output_folder_is_a_render_error(tmp_path: Path) -> None:
    if not ac.have_ffmpeg():
        pytest.skip("ffmpeg not installed")
    tl = Timeline("x", 1000, (), (Event(0, 1000, "inhale"),))
    with pytest.raises(RenderError, match="does not exist"):
        render.render_mp3(tl, {}, tmp_path / "nope" / "x.mp3")
