"""A preview (render --only/--from) reports the teacher's recordings of the part it plays:
how many of its phrases came from her clips, and warnings only about clips that stand for
no phrase of the routine at all. A clip for a phrase the preview leaves out is no stray
(it was "matches no phrase this routine speaks"), and with --duration the clips read to
fit the whole were counted as the part's ("7 of 11 phrases from recordings, 4
synthesized" for 4 recorded)."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

import audiocheck as ac
from matcue.core.naming import phrase_id

pytestmark = [pytest.mark.ffmpeg, pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")]

WELCOME, FOLD, REST = "Welcome to your practice.", "Fold forward slowly.", "Rest now."
ROUTINE = f"""title: P
recordings: takes
steps:
  - say: {WELCOME}
  - pose: Fold
    hold: 4s
    cue: {FOLD}
  - say: {REST}
"""


def _clip(path: Path) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes(np.clip(np.rint(ac.speechy(0.8) * 32767), -32768, 32767).astype("<i2").tobytes())


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    takes = tmp_path / "takes"
    takes.mkdir()
    for text in (WELCOME, FOLD):
        _clip(takes / f"{phrase_id(text)}.wav")
    _clip(takes / "closing.wav")
    (takes / "index.yaml").write_text(f'"{REST}": closing.wav\n')  # named by its text
    _clip(takes / "stray.wav")
    (tmp_path / "r.yaml").write_text(ROUTINE)
    return tmp_path / "r.yaml"


def _report(stderr: str) -> tuple[list[str], int, int]:
    """(the warnings, phrases from recordings, phrases in all) of a render's report."""
    m = re.search(r"^(\d+) of (\d+) phrases from recordings, (\d+) synthesized$", stderr, re.M)
    assert m, stderr
    recorded, total, synthesized = map(int, m.groups())
    assert recorded + synthesized == total
    return [line for line in stderr.splitlines() if line.startswith("warning: ")], recorded, total


@pytest.mark.parametrize("duration", [[], ["--duration", "20s"]])
def test_a_preview_reports_the_recordings_of_the_part_it_plays(run, tmp_path, fake_voice, routine, duration):
    out = tmp_path / "out"
    r = run("render", str(routine), "--only", "Fold", "--backend", "fake", "-o", str(out), *duration)
    assert r.exit_code == 0, r.output
    warnings, recorded, total = _report(r.stderr)
    stray = f"warning: {tmp_path}/takes/stray.wav: matches no phrase this routine speaks with these settings"
    assert warnings == [f"{stray} (matcue cues lists the phrases and their ids)"]
    assert recorded == 1 and total > 1  # the fold's cue; the countdown and the bells' words are synthesized
    assert fake_voice.texts.count(FOLD) == 0 and WELCOME not in fake_voice.texts


def test_the_whole_render_reports_every_recorded_phrase(run, tmp_path, fake_voice, routine):
    r = run("render", str(routine), "--backend", "fake", "-o", str(tmp_path / "out"), "--no-cover")
    assert r.exit_code == 0, r.output
    warnings, recorded, _ = _report(r.stderr)
    assert recorded == 3 and len(warnings) == 1 and "stray.wav" in warnings[0]
