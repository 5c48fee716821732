"""End to end with the real tools: espeak-ng (and pyttsx3) speaking, ffmpeg encoding.

The MP3 is measured against ``matcue script --json`` for the same routine and options:
same length, tones rising and falling where the script says inhale and exhale, holds
and cues where it says, silence where it says silence, tags and chapters read back
with ffprobe.
"""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

import audiocheck as ac
from matcue.cli.main import cli
from matcue.settings import Output, Settings

pytestmark = [
    pytest.mark.ffmpeg,
    pytest.mark.realvoice,
    pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg"),
]

ROUTINE = Path(__file__).parent / "data" / "ok" / "e2e.yaml"
TOLERANCE_MS = 20


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output + r.stderr
    return r.stdout


def render_and_script(tmp_path, *opts):
    out = tmp_path / "out"
    printed = run("render", ROUTINE, "-o", out, *opts)
    path = out / "end-to-end-check.mp3"
    assert printed.split("\t")[0] == str(path)
    doc = json.loads(run("script", ROUTINE, "--json", *opts))
    return path, doc


@pytest.fixture(scope="module")
def espeak_render(tmp_path_factory):
    if not shutil.which("espeak-ng"):
        pytest.skip("needs espeak-ng")
    tmp = tmp_path_factory.mktemp("e2e")
    mp = pytest.MonkeyPatch()
    mp.setenv("MATCUE_CACHE_DIR", str(tmp / "cache"))
    try:
        path, doc = render_and_script(tmp, "--backend", "espeak-ng")
    finally:
        mp.undo()
    return path, doc, ac.decode(path)


def overlaps(e, others):
    return [o for o in others if o["start_ms"] < e["end_ms"] and e["start_ms"] < o["end_ms"]]


def test_length_matches_the_script(espeak_render):
    path, doc, pcm = espeak_render
    assert abs(ac.duration_ms(pcm) - doc["total_ms"]) <= TOLERANCE_MS


def test_tones_rise_on_inhales_and_fall_on_exhales(espeak_render):
    _, doc, pcm = espeak_render
    speech = [e for e in doc["events"] if e["kind"] == "speech"]
    measured = {"inhale": 0, "exhale": 0}
    for e in doc["events"]:
        if e["kind"] not in ("inhale", "exhale"):
            continue
        start = max([e["start_ms"]] + [s["end_ms"] + 50 for s in overlaps(e, speech)])
        if e["end_ms"] - start < 1000:
            continue  # mostly covered by speech: nothing left to hear the tone alone
        direction = ac.pitch_direction(pcm, start, e["end_ms"])
        assert direction == ("rising" if e["kind"] == "inhale" else "falling"), e
        measured[e["kind"]] += 1
    assert measured["inhale"] >= 5 and measured["exhale"] >= 5


def test_tones_are_quieter_than_the_voice(espeak_render):
    _, doc, pcm = espeak_render
    speech = [e for e in doc["events"] if e["kind"] == "speech"]
    voice = max(ac.rms_dbfs(pcm, e["start_ms"], e["end_ms"]) for e in speech)
    bells = [e for e in doc["events"] if e["kind"] == "bell"]
    for e in doc["events"]:
        if e["kind"] == "inhale" and not overlaps(e, speech + bells):
            assert ac.rms_dbfs(pcm, e["start_ms"], e["end_ms"]) < voice - 6


def test_speech_where_the_script_says_speech(espeak_render):
    _, doc, pcm = espeak_render
    for e in doc["events"]:
        if e["kind"] == "speech":
            assert ac.rms_dbfs(pcm, e["start_ms"], e["end_ms"]) > -35, e


def test_silence_where_the_script_says_silence(espeak_render):
    _, doc, pcm = espeak_render
    checked = 0
    for e in doc["events"]:
        if e["kind"] == "silence" and e["end_ms"] - e["start_ms"] >= 100:
            assert ac.is_silent(pcm, e["start_ms"] + 15, e["end_ms"] - 15), e
            checked += 1
    assert checked >= 10


def test_holds_start_on_their_bell(espeak_render):
    _, doc, pcm = espeak_render
    holds = doc["holds"]
    assert len(holds) == 5  # two sides, the timer, the reps, the breathing exercise
    for h in holds:
        bell = [e for e in doc["events"] if e["kind"] == "bell" and e["start_ms"] == h["start_ms"]]
        if not bell:
            continue  # reps start on their first inhale, not a bell
        onset = ac.onset_ms(pcm, h["start_ms"] - 400, h["start_ms"] + 400)
        assert abs(onset - h["start_ms"]) <= TOLERANCE_MS, h


def test_during_cue_and_countdown_sit_where_the_script_says(espeak_render):
    _, doc, pcm = espeak_render
    timer = next(h for h in doc["holds"] if h["title"] == "Hip circles")
    by_text = {
        e["text"]: e
        for e in doc["events"]
        if e["kind"] == "speech" and timer["start_ms"] <= e["start_ms"] < timer["end_ms"]
    }
    cue = by_text["Change direction."]
    assert cue["start_ms"] - timer["start_ms"] == 3500
    # the start bell has died away by then: the cue's onset stands out of silence
    assert abs(ac.onset_ms(pcm, cue["start_ms"] - 300, cue["end_ms"]) - cue["start_ms"]) <= TOLERANCE_MS
    # the countdown: "Two." ends a second before the hold ends, "One." ends with it
    two, one = by_text["Two."], by_text["One."]
    assert two["end_ms"] == timer["end_ms"] - 1000 and one["end_ms"] == timer["end_ms"]
    assert abs(ac.offset_ms(pcm, two["start_ms"], one["start_ms"]) - two["end_ms"]) <= TOLERANCE_MS
    assert abs(ac.onset_ms(pcm, two["end_ms"], one["end_ms"]) - one["start_ms"]) <= TOLERANCE_MS


def test_tags_and_chapters_read_back_with_ffprobe(espeak_render):
    path, doc, _ = espeak_render
    info = ac.probe(path)
    tags = {k.lower(): v for k, v in info["format"]["tags"].items()}
    assert (tags["title"], tags["artist"], tags["album"]) == ("End to end check", "matcue tests", "Test collection")
    got = [(int(c["start"]), int(c["end"]), c["tags"]["title"]) for c in info["chapters"]]
    want = [(c["start_ms"], c["end_ms"], c["title"]) for c in doc["chapters"]]
    assert got == want
    titles = [t for _, _, t in got]
    assert titles == [
        "Introduction",
        "Seated forward fold (right)",
        "Seated forward fold (left)",
        "Hip circles",
        "2 breaths with movement",
        "Box breathing",
        "Rest",
    ]
    toc = ID3(path).getall("CTOC")
    assert len(toc) == 1 and list(toc[0].child_element_ids) == [f"ch{i}" for i in range(len(got))]


def test_second_render_synthesizes_nothing(tmp_path, monkeypatch):
    if not shutil.which("espeak-ng"):
        pytest.skip("needs espeak-ng")
    from matcue.api import VoiceOverrides, render_routine

    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    voice = VoiceOverrides(backend="espeak-ng")
    first = render_routine(ROUTINE, Settings(voice=voice, output=Output(tmp_path / "a")))
    second = render_routine(ROUTINE, Settings(voice=voice, output=Output(tmp_path / "b")))
    assert first.synthesized > 10 and second.synthesized == 0
    assert first.total_ms == second.total_ms


def test_pyttsx3_backend_renders_in_agreement_with_its_script(tmp_path, monkeypatch):
    pytest.importorskip("pyttsx3")
    from matcue.voice.registry import get_backend

    if not get_backend("pyttsx3").available():
        pytest.skip("pyttsx3 cannot speak on this machine")
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    path, doc = render_and_script(tmp_path, "--backend", "pyttsx3")
    pcm = ac.decode(path)
    assert abs(ac.duration_ms(pcm) - doc["total_ms"]) <= TOLERANCE_MS
    for e in doc["events"]:
        if e["kind"] == "speech":
            assert ac.rms_dbfs(pcm, e["start_ms"], e["end_ms"]) > -35, e


def test_a_routine_with_a_mistake_writes_no_mp3(tmp_path):
    bad = Path(__file__).parent / "data" / "errors" / "during-overrun.yaml"
    r = CliRunner().invoke(cli, ["render", str(bad), "-o", str(tmp_path)])
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{bad}:9:14: steps[0].during[0].say: the cue at 26.0s takes ")
    assert list(tmp_path.iterdir()) == []
