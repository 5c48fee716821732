"""The library path behind the commands: routine file -> speech (cached) -> MP3."""

from pathlib import Path

import numpy as np
import pytest

import audiocheck as ac
from matcue.api import VoiceOverrides, build_timeline, render_routine, slugify
from matcue.audio import render
from matcue.settings import Output, Settings
from matcue.voice.base import CachedClip

DATA = Path(__file__).parent / "data"
FAKE = VoiceOverrides(backend="fake")


def test_warm_render_after_changing_one_cue_synthesizes_exactly_one_phrase(tmp_path, fake_voice):
    routine = tmp_path / "r.yaml"
    src = (DATA / "ok" / "all-kinds.yaml").read_text().replace("include: poses/pigeon.yaml", "say: No include.")
    routine.write_text(src)
    first = build_timeline(routine, voice=FAKE)
    assert first.synthesized == len(first.script.texts()) >= 20
    again = build_timeline(routine, voice=FAKE)
    assert again.synthesized == 0
    routine.write_text(src.replace("Extend your {side} leg.", "Reach out through your {side} heel."))
    changed = build_timeline(routine, voice=FAKE)
    # the cue is spoken on both sides: two texts, two phrases; nothing else is new
    assert changed.synthesized == 2
    routine.write_text(src.replace("Lie back.", "Lie back and rest."))
    assert build_timeline(routine, voice=FAKE).synthesized == 1
    assert fake_voice.calls == first.synthesized + 3


def test_clips_are_read_from_the_cache_when_used(tmp_path, fake_voice):
    built = build_timeline(DATA / "ok" / "all-kinds.yaml", voice=FAKE)
    assert all(isinstance(c, CachedClip) for c in built.clips.values())
    clip = built.clips["Welcome. I am Maya."]
    assert clip.samples.dtype == np.int16 and len(clip.samples) == clip.n_samples


def test_streamed_mix_equals_unstreamed_mix_on_a_routine(fake_voice):
    built = build_timeline(DATA / "ok" / "all-kinds.yaml", voice=FAKE)
    whole = render.mix(built.timeline, built.clips)
    streamed = np.concatenate(list(render.iter_blocks(built.timeline, built.clips, block_ms=3000)))
    np.testing.assert_array_equal(streamed, whole)
    # and the parts fed to parallel encoders are exact slices of the same mix
    parts = render.plan_parts(built.timeline, built.clips, 2)
    assert len(parts) == 2
    for start, end in parts:
        pcm = render.mix_range(built.timeline, built.clips, start, end, 7777)
        np.testing.assert_array_equal(pcm, whole[start:end])


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")
def test_render_routine_writes_slug_named_mp3(tmp_path, fake_voice):
    result = render_routine(DATA / "ok" / "all-kinds.yaml", Settings(voice=FAKE, output=Output(tmp_path)))
    assert result.path == tmp_path / "every-step-kind.mp3"
    assert abs(ac.duration_ms(ac.decode(result.path)) - result.total_ms) <= 20


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Hamstring release", "hamstring-release"),
        ("Janu Śirṣāsana — evening", "janu-sirsasana-evening"),
        ("../../etc/passwd", "etc-passwd"),
        ("   ", "routine"),
        ("ヨガ", "routine-73f7e389"),
        ("a" * 200, "a" * 73 + "-" + __import__("hashlib").sha256(b"a" * 200).hexdigest()[:6]),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug
