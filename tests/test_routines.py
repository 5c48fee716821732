"""Every example routine in routines/ checks clean, compiles at every level, and renders
(with the fake voice) to an MP3 whose length and chapters agree with its timed script."""

from pathlib import Path

import pytest

import audiocheck as ac
from matcue.api import (
    VoiceOverrides,
    build_timeline,
    check_routine,
    estimate_speech_ms,
    render_routine,
)
from matcue.languages import language_for
from matcue.plan.compile import Options, compile_routine
from matcue.plan.layout import layout
from matcue.routine.loader import load_routine
from matcue.routine.model import LEVELS
from matcue.settings import Output, Settings

ROUTINES = sorted((Path(__file__).parent.parent / "routines").glob("*.yaml"))


def test_there_are_example_routines():
    names = {p.stem for p in ROUTINES}
    assert {"hamstring-stretch", "leg-behind-head-prep", "seated-hip-stretch", "supine-strap"} <= names


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
def test_routine_checks_clean(path):
    assert [str(p) for p in check_routine(path)] == []


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
@pytest.mark.parametrize("level", LEVELS)
def test_routine_compiles_at_every_level(path, level):
    script = compile_routine(load_routine(path), Options(level=level))
    tl = layout(script, {t: estimate_speech_ms(t) for t in script.texts()})
    assert tl.total_ms > 60_000
    assert len(tl.chapters) >= 3


@pytest.mark.ffmpeg
@pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")
@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
def test_routine_renders_in_agreement_with_its_script(path, tmp_path, fake_voice):
    voice = VoiceOverrides(backend="fake")
    result = render_routine(path, Settings(voice=voice, output=Output(tmp_path)))
    built = build_timeline(path, voice=voice)
    assert result.path.parent == tmp_path and result.path.suffix == ".mp3"
    pcm = ac.decode(result.path)
    assert abs(ac.duration_ms(pcm) - built.timeline.total_ms) <= 20
    chapters = ac.probe(result.path)["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c.title for c in built.timeline.chapters]
    # every pose side has its chapter
    sides = [h for h in built.timeline.holds if h.side]
    for h in sides:
        assert any(c.start_ms <= h.start_ms < c.end_ms and c.side == h.side for c in built.timeline.chapters)
        side_word = language_for(built.routine.language).side_names[h.side]  # "left", "links", "izquierda"
        assert any(c.step == h.step and side_word in c.title for c in built.timeline.chapters)
