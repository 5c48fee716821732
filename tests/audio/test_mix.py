"""Loudness, levels, ducking, side panning and ambience, measured on decoded audio.

Loudness and true peak are measured by ffmpeg's ``ebur128=peak=true`` filter (ITU-R
BS.1770) on the decoded MP3, never by matcue's own meter.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import audiocheck as ac
from matcue.api import VoiceOverrides, build_timeline, render_routine
from matcue.audio import mixdown, mixer, render
from matcue.audio.mixdown import MixSettings
from matcue.core.errors import RoutineError
from matcue.core.pcm import ms_to_samples
from matcue.plan.timeline import Event, Timeline
from matcue.routine.loader import load_routine
from matcue.settings import Output, Settings
from matcue.voice.base import Clip

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "routines").glob("*.yaml"))
FAKE = VoiceOverrides(backend="fake")
needs_ffmpeg = pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")


def _within_targets(path: Path, target: float) -> tuple[float, float]:
    integrated, peak = ac.loudness(path)
    assert abs(integrated - target) <= 1.0, (path.name, integrated)
    assert peak <= -1.0, (path.name, peak)
    return integrated, peak


# --- loudness ----------------------------------------------------------------------


@pytest.mark.ffmpeg
@needs_ffmpeg
@pytest.mark.parametrize("routine", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_meets_the_loudness_and_peak_targets(routine: Path, tmp_path: Path, fake_voice) -> None:
    result = render_routine(routine, Settings(voice=FAKE, output=Output(tmp_path, cover=False)))
    _within_targets(result.path, mixdown.LUFS_MONO)


@pytest.mark.ffmpeg
@needs_ffmpeg
@pytest.mark.parametrize("preset", ["room"])
def test_room_preset_meets_the_targets_too(preset: str, tmp_path: Path, fake_voice) -> None:
    result = render_routine(
        EXAMPLES[0], Settings(voice=FAKE, mix=MixSettings(preset=preset), output=Output(tmp_path, cover=False))
    )
    _within_targets(result.path, mixdown.LUFS_MONO)


@pytest.mark.ffmpeg
@pytest.mark.realvoice
@needs_ffmpeg
def test_a_real_voice_meets_the_targets(tmp_path: Path) -> None:
    import shutil

    backend = next((b for b in ("flite", "espeak-ng") if shutil.which(b)), None)
    if backend is None:
        pytest.skip("no flite or espeak-ng")
    routine = ROOT / "routines" / "hamstring-stretch.yaml"
    result = render_routine(routine, Settings(voice=VoiceOverrides(backend=backend), output=Output(tmp_path)))
    _within_targets(result.path, mixdown.LUFS_MONO)


def test_meter_agrees_with_the_reference_sine() -> None:
    """BS.1770: a 997 Hz sine at 0.1 peak reads -23.0 LUFS (K-weighting +0.69 at 1 kHz)."""
    t = np.arange(44100 * 5) / 44100
    meter = mixdown.LoudnessMeter(1)
    meter.feed((0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)[None])
    assert mixdown.integrated_lufs(meter.segments()) == pytest.approx(-23.0, abs=0.05)


def test_static_gain_does_not_lift_silent_holds(fake_voice) -> None:
    """One gain for the whole track: a tone keeps its level relative to the voice whatever
    the loudness target did, and silence stays digital silence."""
    built = build_timeline(ROOT / "tests" / "data" / "ok" / "all-kinds.yaml", voice=FAKE)
    a = render.mix(built.timeline, built.clips)
    b = render.mix(built.timeline, built.clips, MixSettings(normalize=False))
    away = np.ones(len(a), dtype=bool)  # away from speech (whose peaks the limiter may trim)
    for ev in built.timeline.events:
        if ev.kind == "speech":
            away[ms_to_samples(max(0, ev.start_ms - 300)) : ms_to_samples(ev.end_ms + 300)] = False
    nz = away & (np.abs(b.astype(np.float64)) > 300)
    ratio = a[nz].astype(np.float64) / b[nz]
    assert nz.sum() > 44100
    assert np.percentile(ratio, 99) / np.percentile(ratio, 1) < 1.01  # one static gain
    for ev in built.timeline.events:
        if ev.kind in ("silence", "hold"):
            assert ac.is_digital_silence(a, ev.start_ms, ev.end_ms)


# --- ducking -------------------------------------------------------------------------


def _tone_band_dbfs(x: np.ndarray, start_ms: int, end_ms: int) -> float:
    """Level of the breath tone alone: the mix minus the speech, measured as a window."""
    return ac.rms_dbfs(x, start_ms, end_ms)


def test_tones_dip_under_each_spoken_cue() -> None:
    """The tone under a cue is measurably lower than just before it (the cue's own sound
    is removed by mixing the same track with a silent clip)."""
    voice = Clip(ac.voice_like(1500))
    silent = Clip(np.zeros_like(voice.samples))
    events = (Event(0, 8000, "inhale"), Event(3000, 4500, "speech", "cue"))
    tl = Timeline("duck", 8000, (), events)
    fixed = MixSettings(normalize=False)
    tone = ac.as_float(render.mix(tl, {"cue": silent}, fixed))
    undisturbed = ac.as_float(render.mix(Timeline("t", 8000, (), events[:1]), {}, fixed))
    before = ac.rms_dbfs(tone, 2500, 2900)
    under = ac.rms_dbfs(tone, 3100, 4400)
    after = ac.rms_dbfs(tone, 5000, 5500)
    assert before - under == pytest.approx(-mixdown.PRESETS["headphones"].duck_db, abs=0.7)
    assert after == pytest.approx(ac.rms_dbfs(undisturbed, 5000, 5500), abs=0.1)
    assert ac.max_jump(tone, 2900, 3100) <= 1.05 * ac.max_jump(undisturbed, 2900, 3100)  # ramped, no click


@pytest.mark.ffmpeg
@needs_ffmpeg
def test_tones_dip_under_cues_in_the_rendered_track(tmp_path: Path, fake_voice) -> None:
    """In a rendered routine, the breath tone's band (220-330 Hz, under the fake voice's
    280 Hz+ harmonics: measured between them) is lower inside every during cue."""
    built = build_timeline(ROOT / "routines" / "hamstring-stretch.yaml", voice=FAKE)
    with_voice = render.mix(built.timeline, built.clips)
    silent = {t: Clip(np.zeros(len(c.samples), dtype=np.int16)) for t, c in built.clips.items()}
    plain = render.mix(built.timeline, silent, MixSettings(normalize=False))
    nosilent = render.mix(
        Timeline("t", built.timeline.total_ms, (), tuple(e for e in built.timeline.events if e.kind != "speech")),
        {},
        MixSettings(normalize=False),
    )
    assert len(with_voice) == len(plain)
    dips = 0
    tones = [e for e in built.timeline.events if e.kind in ("inhale", "exhale")]
    bells = [e for e in built.timeline.events if e.kind == "bell"]
    for ev in built.timeline.events:
        under_tone = any(t.start_ms + 300 <= ev.start_ms and ev.end_ms <= t.end_ms - 300 for t in tones)
        near_bell = any(b.start_ms < ev.end_ms and ev.start_ms < b.end_ms for b in bells)
        if ev.kind == "speech" and ev.dur_ms > 600 and under_tone and not near_bell:
            ducked = ac.rms_dbfs(plain, ev.start_ms + 100, ev.end_ms - 100)
            free = ac.rms_dbfs(nosilent, ev.start_ms + 100, ev.end_ms - 100)
            assert free - ducked >= 6.0, ev
            dips += 1
    assert dips >= 3


# --- side panning --------------------------------------------------------------------


@pytest.mark.ffmpeg
@needs_ffmpeg
def test_pan_sides_leans_each_side_and_meets_the_stereo_target(tmp_path: Path, fake_voice) -> None:
    result = render_routine(
        ROOT / "routines" / "hamstring-stretch.yaml",
        Settings(voice=FAKE, mix=MixSettings(pan_sides=True), output=Output(tmp_path, cover=False)),
    )
    info = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "csv=p=0", "-show_entries", "stream=channels,sample_rate",
         str(result.path)], capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert info.split(",")[:2] == ["44100", "2"]
    _within_targets(result.path, mixdown.LUFS_STEREO)
    x = ac.decode_stereo(result.path)
    holds = [h for h in result.built.timeline.holds if h.side]
    assert {h.side for h in holds} == {"left", "right"}
    for h in holds:
        a, b = h.start_ms, h.end_ms
        left, right = ac.rms_dbfs(x[:, 0], a, b), ac.rms_dbfs(x[:, 1], a, b)
        if h.side == "left":
            assert left - right >= 6.0, h
        else:
            assert right - left >= 6.0, h


def test_stereo_mix_partitions_identically(fake_voice) -> None:
    built = build_timeline(ROOT / "routines" / "hamstring-stretch.yaml", voice=FAKE)
    st = MixSettings(pan_sides=True)
    whole = render.mix(built.timeline, built.clips, st)
    assert whole.shape == (ms_to_samples(built.timeline.total_ms), 2)
    blocks = np.concatenate(list(render.iter_blocks(built.timeline, built.clips, 3333, st)))
    np.testing.assert_array_equal(blocks, whole)


# --- ambience ------------------------------------------------------------------------


def _chord(path: Path, seconds: float) -> None:
    """A user-supplied music file: a soft chord whose end does not meet its start."""
    expr = "0.2*sin(2*PI*196*t)+0.15*cos(2*PI*247.3*t)+0.12*cos(2*PI*293.9*t)"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc={expr}:s=44100:d={seconds}", str(path)],
        check=True,
    )


@pytest.mark.ffmpeg
@needs_ffmpeg
def test_ambience_loops_without_clicks(tmp_path: Path) -> None:
    music = tmp_path / "chord.wav"
    _chord(music, 5.0)
    total_ms = 30_000
    tl = Timeline("amb", total_ms, (), (Event(12_000, 13_500, "speech", "cue"),))
    clips = {"cue": Clip(ac.voice_like(1500))}
    settings = MixSettings(music=music)
    assert render.plan_parts(tl, clips, 4, settings) == [(0, ms_to_samples(total_ms))]
    out = render.render_mp3(tl, clips, tmp_path / "amb.mp3", settings=settings)
    x = ac.decode(out)
    period = ms_to_samples(5000) - ms_to_samples(1500)  # the loop body: the file less the crossfade
    seams = [k * period for k in range(1, ms_to_samples(total_ms) // period)]
    typical = ac.max_jump(x, 5000, 6000)
    _, _, levels = None, *ac.level_track(x, 5000, 25_000, 50)
    for s in seams:
        ms = s * 1000 // 44100
        if ms + 500 > total_ms - 6000 or abs(ms - 12_700) < 1500:
            continue  # the final fade or the ducked cue
        assert ac.max_jump(x, ms - 20, ms + 20) <= 1.3 * typical, ms
        before, after = ac.rms_dbfs(x, ms - 100, ms), ac.rms_dbfs(x, ms, ms + 100)
        assert abs(before - after) < 1.5, ms
    assert ac.rms_dbfs(x, 0, 200) < ac.rms_dbfs(x, 6000, 8000) - 15  # fades in
    assert ac.rms_dbfs(x, total_ms - 200, total_ms) < ac.rms_dbfs(x, 6000, 8000) - 15  # and out
    assert ac.rms_dbfs(x, 12_300, 13_300) > ac.rms_dbfs(x, 9000, 10_000)  # the voice is over it
    assert levels.min() > -60  # never drops out


@pytest.mark.ffmpeg
@needs_ffmpeg
def test_a_routine_with_music_renders_it_under_the_whole_session(tmp_path: Path, fake_voice) -> None:
    """`music:` in a routine file, through the command line: the bed fills the silent rest,
    dips under the cue, and the track still meets the loudness and peak targets."""
    from click.testing import CliRunner

    from matcue.cli.main import cli

    folder = tmp_path / "routine"
    folder.mkdir()
    _chord(folder / "bed.wav", 5.0)
    (folder / "r.yaml").write_text(
        "title: Evening wind-down\nmusic: bed.wav\nsteps:\n"
        "  - say: Lie down and let the breath slow down.\n    pause: 3s\n"
        "  - say: Soften the jaw, the shoulders and the hands.\n    pause: 3s\n"
        "  - rest: 20s\n"
        "  - say: Let the breath slow down.\n    pause: 3s\n"
        "  - say: Notice the weight of your body on the mat.\n    pause: 3s\n"
        "  - say: Slowly open your eyes.\n"
    )
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["render", str(folder / "r.yaml"), "--backend", "fake", "-o", str(out)])
    assert r.exit_code == 0, r.output
    track = out / "evening-wind-down.mp3"
    x = ac.decode(track)
    events = build_timeline(folder / "r.yaml", voice=FAKE).timeline.events
    cue = next(e for e in events if e.kind == "speech" and e.text == "Let the breath slow down.")
    rest = next(e for e in events if e.kind == "silence" and e.dur_ms >= 20_000)
    assert cue.start_ms > rest.end_ms
    _, _, levels = None, *ac.level_track(x, rest.start_ms + 2000, rest.end_ms - 2000, 50)
    assert levels.min() > -50  # the rest is not silent: the bed plays under it
    bed = ac.rms_dbfs(x, rest.start_ms + 8000, rest.start_ms + 10_000)
    assert ac.rms_dbfs(x, cue.start_ms, cue.end_ms) > bed + 3  # the voice sits over the bed
    _within_targets(track, -19.0)


def test_a_loop_without_the_crossfade_would_click(tmp_path: Path) -> None:
    """The chord's end does not meet its start: spliced raw, the seam jumps."""
    if not ac.have_ffmpeg():
        pytest.skip("needs ffmpeg")
    music = tmp_path / "chord.wav"
    _chord(music, 5.0)
    x = ac.decode(music)
    spliced = np.concatenate([x, x])
    at = len(x) * 1000 // 44100
    assert ac.max_jump(spliced, at - 5, at + 5) > 3 * ac.max_jump(x, 1000, 2000)


@needs_ffmpeg
def test_music_key_is_relative_and_located(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _chord(tmp_path / "sub" / "bed.wav", 1.0)
    r = tmp_path / "sub" / "r.yaml"
    r.write_text("title: T\nmusic: bed.wav\nsteps:\n  - say: Hi.\n")
    assert load_routine(r).music == str(tmp_path / "sub" / "bed.wav")
    r.write_text("title: T\nmusic: nope.wav\nsteps:\n  - say: Hi.\n")
    with pytest.raises(RoutineError) as info:
        load_routine(r)
    assert str(info.value.problems[0]).startswith(f"{r}:2:8: music: music file")
    _chord(tmp_path / "outside.wav", 1.0)
    r.write_text("title: T\nmusic: ../outside.wav\nsteps:\n  - say: Hi.\n")
    with pytest.raises(RoutineError, match="was not found in the routine's folder"):
        load_routine(r)
    assert load_routine(r, allow_outside=True).music


# --- the countdown level --------------------------------------------------------------

COUNTDOWN_ROUTINE = """\
title: Countdown level
countdown: 3
tones: false
steps:
  - say: Sit comfortably and let your shoulders drop.
  - timer: Wait
    duration: 24s
    during:
      - at: 6s
        say: Keep the breath slow and easy.
      - at: 12s
        say: Let the jaw soften.
  - say: Slowly come back to sitting.
"""


def _role_levels(path: Path, timeline: Timeline) -> dict[str, float]:
    """The mean RMS (dB) of the decoded audio over the speech events of each role, leaving
    out any event that overlaps a bell."""
    audio = ac.decode(path)
    bells = [(e.start_ms, e.end_ms) for e in timeline.events if e.kind == "bell"]
    by_role: dict[str, list[float]] = {}
    for e in timeline.events:
        if e.kind != "speech" or any(a < e.end_ms and e.start_ms < b for a, b in bells):
            continue
        assert e.role is not None
        by_role.setdefault(e.role, []).append(ac.rms_dbfs(audio, e.start_ms, e.end_ms))
    return {role: float(np.mean(levels)) for role, levels in by_role.items()}


@pytest.mark.ffmpeg
@needs_ffmpeg
def test_room_countdown_is_louder_by_the_presets_amount(tmp_path: Path, fake_voice) -> None:
    """Decoded audio: the countdown words stand out from the other cues by the preset's
    countdown level in ``room`` (after the per-clip levelling) and not at all in ``headphones``."""
    routine = tmp_path / "count.yaml"
    routine.write_text(COUNTDOWN_ROUTINE, encoding="utf-8")
    lift: dict[str, float] = {}
    for preset in ("headphones", "room"):
        settings = Settings(voice=FAKE, mix=MixSettings(preset=preset), output=Output(tmp_path / preset, cover=False))
        result = render_routine(routine, settings)
        levels = _role_levels(result.path, result.built.timeline)
        assert set(levels) == {"cue", "countdown"}, levels
        lift[preset] = levels["countdown"] - levels["cue"]
    room_db = mixdown.PRESETS["room"].countdown_db
    assert room_db >= 2.0  # the preset promises a clearly louder countdown
    assert abs(lift["room"] - lift["headphones"] - room_db) <= 1.0, lift
    assert abs(lift["headphones"]) <= 1.0, lift  # each clip at the same active level


def test_the_mixer_reads_the_countdown_level_from_the_event_role(fake_voice) -> None:
    """Layout marks the countdown words by role; the room mix raises exactly those."""
    tl = build_timeline(ROOT / "routines" / "hamstring-stretch.yaml", voice=FAKE).timeline
    speech = [e for e in tl.events if e.kind == "speech"]
    assert all(e.role in ("cue", "countdown", "count") for e in speech)
    counted = [e.text for e in speech if e.role == "countdown"]
    assert counted and set(counted) <= {"Three.", "Two.", "One."}, counted
    clips = {e.text: Clip(np.zeros(10, np.int16)) for e in speech if e.text}
    sources = mixer.place_events(tl, clips, MixSettings(preset="room"))
    boost = mixdown.db_to_gain(mixdown.PRESETS["room"].countdown_db)
    gains = {(s.event.role, s.gain) for s in sources if s.event.kind == "speech"}
    assert gains == {("cue", 1.0), ("countdown", boost)}, gains
