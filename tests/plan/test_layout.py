"""compile + layout: pure functions tested with made-up speech lengths and golden scripts.

Regenerate the golden files after an intended change with ``MATCUE_UPDATE_GOLDEN=1 pytest``
and review the diff.
"""

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.core.errors import RoutineError
from matcue.plan.compile import Options, compile_routine
from matcue.plan.layout import DEFAULT_BELL_MS, layout
from matcue.plan.timeline import EVENT_KINDS, Timeline
from matcue.routine.loader import load_routine, loads_routine

DATA = Path(__file__).parents[1] / "data"


def fake_ms(text: str) -> int:
    """A made-up speech length: 50 ms per character plus 200 ms."""
    return 200 + 50 * len(text)


def timeline_for(src: str | Path, **opts) -> Timeline:
    routine = load_routine(src) if isinstance(src, Path) else loads_routine(src)
    script = compile_routine(routine, Options(**opts))
    return layout(script, {t: fake_ms(t) for t in script.texts()})


@pytest.mark.parametrize("level", ["beginner", "advanced"])
def test_golden_timed_script(level, monkeypatch):
    monkeypatch.chdir(DATA.parent.parent)
    tl = timeline_for(Path("tests/data/ok/all-kinds.yaml"), level=level)
    golden = DATA / "golden" / f"all-kinds.{level}.json"
    text = tl.to_json()
    if os.environ.get("MATCUE_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
    assert Timeline.from_json(text).to_dict() == tl.to_dict()  # the JSON round-trips


def test_golden_text_script(monkeypatch):
    monkeypatch.chdir(DATA.parent.parent)
    tl = timeline_for(Path("tests/data/ok/all-kinds.yaml"))
    golden = DATA / "golden" / "all-kinds.beginner.txt"
    if os.environ.get("MATCUE_UPDATE_GOLDEN"):
        golden.write_text(tl.to_text())
    assert tl.to_text() == golden.read_text()


def holds(tl):
    return [h.to_dict() for h in tl.holds]


def test_hold_in_breaths_is_exactly_n_cycles_each_starting_with_an_inhale():
    tl = timeline_for(
        "title: T\nbreath: {inhale: 4, exhale: 6, hold_in: 1, hold_out: 2}\nsteps:\n  - pose: P\n    hold: 5 breaths\n"
    )
    (h,) = holds(tl)
    assert h["end_ms"] - h["start_ms"] == 5 * 13_000
    inhales = [e for e in tl.events if e.kind == "inhale"]
    assert [e.start_ms - h["start_ms"] for e in inhales] == [i * 13_000 for i in range(5)]
    assert all(e.dur_ms == 4000 for e in inhales)
    exhales = [e for e in tl.events if e.kind == "exhale"]
    assert [e.start_ms - h["start_ms"] for e in exhales] == [i * 13_000 + 5000 for i in range(5)]
    retention = [e for e in tl.events if e.kind == "hold"]
    assert sorted(e.dur_ms for e in retention) == [1000] * 5 + [2000] * 5


def test_countdown_last_word_ends_when_the_hold_ends_and_words_fall_on_seconds():
    tl = timeline_for("title: T\ncountdown: 3\nsteps:\n  - pose: P\n    hold: 30s\n")
    (h,) = holds(tl)
    words = [e for e in tl.events if e.kind == "speech" and e.text in ("Three.", "Two.", "One.")]
    assert [e.text for e in words] == ["Three.", "Two.", "One."]
    assert [e.end_ms for e in words] == [h["end_ms"] - 2000, h["end_ms"] - 1000, h["end_ms"]]
    end_bell = [e for e in tl.events if e.kind == "bell" and e.sound == "end"]
    assert end_bell[0].start_ms == h["end_ms"]
    start_bell = [e for e in tl.events if e.kind == "bell" and e.sound == "start"]
    assert start_bell[0].start_ms == h["start_ms"]


def test_both_sides_each_get_the_full_hold_and_a_chapter():
    tl = timeline_for(
        "title: T\nsteps:\n  - pose: Lunge\n    sides: both\n    hold: 45s\n    cue: Step your {side} foot forward.\n"
    )
    assert [h["end_ms"] - h["start_ms"] for h in holds(tl)] == [45_000, 45_000]
    assert [h["side"] for h in holds(tl)] == ["right", "left"]
    assert [c.title for c in tl.chapters] == ["Lunge (right)", "Lunge (left)"]
    texts = [e.text for e in tl.events if e.kind == "speech"]
    assert "Step your right foot forward." in texts and "Step your left foot forward." in texts
    assert "Switch sides." in texts
    assert (
        texts.index("Step your right foot forward.")
        < texts.index("Switch sides.")
        < texts.index("Step your left foot forward.")
    )


def test_first_side_option():
    tl = timeline_for("title: T\nsteps:\n  - pose: Lunge\n    sides: both\n    hold: 10s\n", first_side="left")
    assert [h["side"] for h in holds(tl)] == ["left", "right"]
    tl = timeline_for("title: T\nfirst_side: left\nsteps:\n  - pose: Lunge\n    sides: both\n    hold: 10s\n")
    assert [h["side"] for h in holds(tl)] == ["left", "right"]


def test_during_cue_starts_at_its_offset_and_at_breath_n():
    tl = timeline_for(
        "title: T\nbreath: {inhale: 4, exhale: 6}\nsteps:\n  - pose: P\n    hold: 1m\n"
        "    during:\n      - at: 15s\n        say: A.\n      - at: breath 3\n        say: B.\n"
    )
    (h,) = holds(tl)
    by_text = {e.text: e for e in tl.events if e.kind == "speech"}
    assert by_text["A."].start_ms - h["start_ms"] == 15_000
    assert by_text["B."].start_ms - h["start_ms"] == 20_000


def test_reps_speak_at_the_start_of_each_phase():
    tl = timeline_for(
        "title: T\nsteps:\n  - reps: 3\n    breath: {inhale: 3, exhale: 5}\n    inhale: Up.\n    exhale: Down.\n"
    )
    inhales = [e.start_ms for e in tl.events if e.kind == "inhale"]
    exhales = [e.start_ms for e in tl.events if e.kind == "exhale"]
    ups = [e.start_ms for e in tl.events if e.text == "Up."]
    downs = [e.start_ms for e in tl.events if e.text == "Down."]
    assert ups == inhales and len(ups) == 3
    assert downs == exhales


def test_reps_speak_first_only():
    tl = timeline_for("title: T\nsteps:\n  - reps: 4\n    speak: first\n    inhale: Up.\n")
    assert len([e for e in tl.events if e.text == "Up."]) == 1
    assert len([e for e in tl.events if e.kind == "inhale"]) == 4


def test_levels_filter_steps():
    src = "title: T\nsteps:\n  - say: Everyone.\n  - say: Only advanced.\n    levels: [advanced]\n"
    texts = lambda tl: [e.text for e in tl.events if e.kind == "speech"]
    assert texts(timeline_for(src, level="beginner")) == ["Everyone."]
    assert texts(timeline_for(src, level="advanced")) == ["Everyone.", "Only advanced."]


def test_no_tones_removes_breath_events_but_keeps_timing():
    src = "title: T\nsteps:\n  - pose: P\n    hold: 3 breaths\n"
    with_tones, without = timeline_for(src), timeline_for(src, tones=False)
    assert any(e.kind == "inhale" for e in with_tones.events)
    assert not any(e.kind in ("inhale", "exhale") for e in without.events)
    assert with_tones.total_ms == without.total_ms


def test_set_overrides_vars():
    src = "title: T\nvars: {teacher: Maya}\nsteps:\n  - say: I am {teacher}.\n"
    tl = timeline_for(src, vars=(("teacher", "Ben"),))
    assert [e.text for e in tl.events if e.kind == "speech"] == ["I am Ben."]


def test_rest_is_its_stated_silence_then_a_soft_bell():
    tl = timeline_for("title: T\nsteps:\n  - rest: 2m\n    cue: Lie back.\n")
    cue = next(e for e in tl.events if e.text == "Lie back.")
    silence = next(e for e in tl.events if e.kind == "silence" and e.start_ms == cue.end_ms)
    assert silence.dur_ms == 120_000
    bell = next(e for e in tl.events if e.kind == "bell")
    assert bell.start_ms == silence.end_ms and bell.sound == "soft"


def test_timer_interval_bells_and_no_tones():
    tl = timeline_for("title: T\nsteps:\n  - timer: Circles\n    duration: 1m\n    bell_every: 20s\n")
    (h,) = holds(tl)
    interval = [e.start_ms - h["start_ms"] for e in tl.events if e.sound == "interval"]
    assert interval == [20_000, 40_000]
    assert not any(e.kind in ("inhale", "exhale") for e in tl.events)


def test_breathe_rounds_and_duration():
    tl = timeline_for("title: T\nsteps:\n  - breathe: Box\n    pattern: box\n    rounds: 3\n")
    (h,) = holds(tl)
    assert h["end_ms"] - h["start_ms"] == 3 * 16_000
    assert len([e for e in tl.events if e.kind == "inhale"]) == 3
    tl = timeline_for("title: T\nsteps:\n  - breathe: Relax\n    pattern: {inhale: 4, exhale: 8}\n    duration: 1m\n")
    (h,) = holds(tl)
    assert h["end_ms"] - h["start_ms"] == 60_000


def test_breathe_count_speaks_seconds():
    tl = timeline_for(
        "title: T\nsteps:\n  - breathe: Box\n    pattern: {inhale: 3, exhale: 3}\n    rounds: 1\n    count: true\n"
    )
    (h,) = holds(tl)
    counts = [(e.start_ms - h["start_ms"], e.text) for e in tl.events if e.text in ("One.", "Two.", "Three.")]
    assert counts == [(0, "One."), (1000, "Two."), (2000, "Three."), (3000, "One."), (4000, "Two."), (5000, "Three.")]


def test_overrunning_reps_text_is_a_located_error():
    with pytest.raises(RoutineError) as e:
        timeline_for(
            "title: T\nsteps:\n  - reps: 2\n    breath: {inhale: 1, exhale: 1}\n"
            "    inhale: Inhale slowly and reach all the way up to the sky.\n    exhale: Down.\n"
        )
    assert str(e.value) == (
        "<string>:5:13: steps[0].inhale: the inhale text at 0.0s takes 2.7s "
        "and runs into the next cue at 1.0s (shorten the text or move the cues apart)"
    )


def test_chapters_tile_the_track_in_order():
    tl = timeline_for(DATA / "ok" / "all-kinds.yaml")
    assert tl.chapters[0].start_ms == 0
    assert tl.chapters[-1].end_ms == tl.total_ms
    for a, b in zip(tl.chapters, tl.chapters[1:]):
        assert a.end_ms == b.start_ms and a.start_ms < a.end_ms


def test_section_announcement_belongs_to_the_first_chapter_of_the_section():
    tl = timeline_for(DATA / "ok" / "all-kinds.yaml")
    warmup = next(e for e in tl.events if e.text == "Warm-up.")
    chapter = next(c for c in tl.chapters if c.title == "Hip circles")
    assert chapter.start_ms == warmup.start_ms


# --------------------------------------------------------------------------- properties

durations = st.integers(min_value=1, max_value=40).map(lambda s: f"{s}s")
breaths = st.integers(min_value=1, max_value=6).map(lambda n: f"{n} breaths")


@st.composite
def routines(draw):
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["say", "pause", "pose", "timer", "reps", "breathe", "rest"]))
        if kind == "say":
            steps.append("  - say: " + draw(st.sampled_from(["Hello.", "Breathe in slowly.", "No"])))
        elif kind == "pause":
            steps.append(f"  - pause: {draw(durations)}")
        elif kind == "pose":
            sides = draw(st.sampled_from(["", "\n    sides: both", "\n    sides: left"]))
            steps.append(
                f"  - pose: P\n    hold: {draw(st.one_of(durations, breaths))}{sides}"
                f"\n    countdown: {draw(st.integers(0, 5))}"
            )
        elif kind == "timer":
            steps.append(f"  - timer: T\n    duration: {draw(durations)}\n    bell_every: {draw(durations)}")
        elif kind == "reps":
            steps.append(f"  - reps: {draw(st.integers(1, 4))}\n    speak: first\n    inhale: Up.")
        elif kind == "breathe":
            steps.append(
                f"  - breathe: B\n    pattern: {draw(st.sampled_from(['box', '4-7-8', 'coherent', 'relax']))}"
                f"\n    rounds: {draw(st.integers(1, 3))}"
            )
        else:
            steps.append(f"  - rest: {draw(durations)}")
    inhale, exhale = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    return f"title: Random\nbreath: {{inhale: {inhale}, exhale: {exhale}}}\nsteps:\n" + "\n".join(steps) + "\n"


@settings(max_examples=60, deadline=None)
@given(routines())
def test_any_valid_routine_lays_out_consistently(src):
    try:
        tl = timeline_for(src)
    except RoutineError as e:
        assert all(p.mark is not None for p in e.problems)
        return
    assert all(e.kind in EVENT_KINDS for e in tl.events)
    assert all(0 <= e.start_ms < e.end_ms for e in tl.events)
    assert max(e.end_ms for e in tl.events if e.kind != "bell") <= tl.total_ms
    # sequential things never overlap each other: speech with speech
    speech = sorted((e for e in tl.events if e.kind == "speech"), key=lambda e: e.start_ms)
    for a, b in zip(speech, speech[1:]):
        assert a.end_ms <= b.start_ms, (a, b)
    # silence never overlaps anything that sounds
    sounding = [e for e in tl.events if e.kind in ("speech", "inhale", "exhale", "bell")]
    for s in (e for e in tl.events if e.kind == "silence"):
        assert not any(x.start_ms < s.end_ms and s.start_ms < x.end_ms for x in sounding), s
    # every tone sits inside a hold
    for e in tl.events:
        if e.kind in ("inhale", "exhale", "hold"):
            assert any(h["start_ms"] <= e.start_ms and e.end_ms <= h["end_ms"] for h in holds(tl))
    assert json.loads(tl.to_json())["total_ms"] == tl.total_ms


def test_bells_fit_their_slots():
    assert all(1000 <= v <= 3000 for v in DEFAULT_BELL_MS.values())


def test_a_sided_section_plays_all_its_steps_per_side():
    src = (
        "title: T\nsteps:\n  - section: Hamstrings\n    sides: both\n    steps:\n"
        "      - reps: 2\n        inhale: Reach up with the {side} arm.\n"
        "      - pose: Fold\n        cue: Fold over the {side} leg.\n        hold: 2 breaths\n"
    )
    tl = timeline_for(src, first_side="left")
    texts = [e.text for e in tl.events if e.kind == "speech"]
    order = [t for t in texts if "arm" in t or "leg." in t or t.startswith("Hamstrings")]
    assert order == [
        "Hamstrings. Left side.",
        "Reach up with the left arm.",
        "Reach up with the left arm.",
        "Fold over the left leg.",
        "Hamstrings. Right side.",
        "Reach up with the right arm.",
        "Reach up with the right arm.",
        "Fold over the right leg.",
    ]
    assert [c.title for c in tl.chapters] == [
        "2 breaths with movement (left)",
        "Fold (left)",
        "2 breaths with movement (right)",
        "Fold (right)",
    ]
    assert [h["side"] for h in holds(tl)] == ["left", "left", "right", "right"]
    assert texts.count("Switch sides.") == 1


def test_each_spoken_event_says_what_it_is_by_role():
    """Countdown words and counted breaths are marked by layout from the script's
    structure (the mixer's countdown level reads the role, never the words)."""
    tl = timeline_for(
        "title: Roles\ncountdown: 3\nsteps:\n"
        "  - say: Three breaths in, then hold.\n"
        "  - timer: Wait\n    duration: 20s\n"
        "  - breathe: Counted\n    pattern: {inhale: 4, exhale: 4}\n    rounds: 1\n    count: true\n"
    )
    speech = [e for e in tl.events if e.kind == "speech"]
    assert {e.role for e in speech} == {"cue", "countdown", "count"}
    (wait,) = [h for h in tl.holds if h.step == "Wait"]
    countdown = [e for e in speech if e.role == "countdown"]
    assert [e.text for e in countdown] == ["Three.", "Two.", "One."]
    assert countdown[-1].end_ms == wait.end_ms  # the last word ends with the hold
    (counted,) = [h for h in tl.holds if h.step == "Counted"]
    counts = [e for e in speech if e.role == "count"]
    assert [e.text for e in counts] == ["One.", "Two.", "Three.", "Four."] * 2
    assert all(counted.start_ms <= e.start_ms < counted.end_ms for e in counts)
    # the cue that says "Three" is still a cue: roles come from structure, not words
    assert next(e for e in speech if e.text.startswith("Three breaths")).role == "cue"
    assert "role" not in tl.to_json()  # the script JSON carries no roles


# ----------------------------------------------------------------------------- recorded phrases

HOLD = (
    "title: T\ncountdown: 3\nsteps:\n  - pose: Fold\n    cue: Fold forward.\n    hold: 20s\n"
    "    during:\n      - at: 2s\n        say: Soften the knees.\n      - at: 8s\n        say: Breathe.\n"
)


def recorded_timeline(src: str, lengths: dict[str, int], recorded: dict[str, str]) -> Timeline:
    script = compile_routine(loads_routine(src), Options())
    ms = {t: lengths.get(t, fake_ms(t)) for t in script.texts()}
    return layout(script, ms, recorded=recorded)


def test_a_recorded_clip_lays_out_at_its_own_length_and_its_events_name_it():
    plain = recorded_timeline(HOLD, {}, {})
    tl = recorded_timeline(HOLD, {"Fold forward.": 4321}, {"Fold forward.": "fold.m4a"})
    (cue,) = [e for e in tl.events if e.text == "Fold forward."]
    assert (cue.dur_ms, cue.recording) == (4321, "fold.m4a")
    assert tl.total_ms == plain.total_ms + 4321 - fake_ms("Fold forward.")
    assert {e.recording for e in tl.events if e.kind == "speech" and e.text != "Fold forward."} == {None}
    d = cue.to_dict()
    assert (d["source"], d["recording"]) == ("recorded", "fold.m4a")
    assert {e.to_dict()["source"] for e in tl.events if e.kind == "speech" and e.recording is None} == {"synthesized"}
    assert Timeline.from_dict(tl.to_dict()).to_dict() == tl.to_dict()  # provenance round-trips
    assert "recorded: fold.m4a" in tl.to_text()


def test_a_recorded_cue_that_overruns_its_place_is_refused_naming_the_clip_and_by_how_much():
    with pytest.raises(RoutineError) as e:
        recorded_timeline(HOLD, {"Soften the knees.": 6800}, {"Soften the knees.": "soften.wav"})
    assert str(e.value) == (
        "<string>:9:14: steps[0].during[0].say: the cue 'Soften the knees.' at 2.0s, recorded in 'soften.wav', "
        "takes 6.8s and runs 0.8s into the next cue at 8.0s (record it again, at most 6.0s, or start it earlier)"
    )
    with pytest.raises(RoutineError) as e:  # the last cue: up to where the countdown starts
        recorded_timeline(HOLD, {"Breathe.": 10_500, "Three.": 600}, {"Breathe.": "b.wav"})
    assert "takes 10.5s and runs 1.1s into the countdown at 17.4s (record it again, at most 9.4s" in str(e.value)


def test_a_recorded_countdown_word_longer_than_its_second_is_refused_not_dropped():
    synthesized = recorded_timeline(HOLD, {"Three.": 1300}, {})  # a slow voice: laid out as it comes
    assert [e.text for e in synthesized.events if e.role == "countdown"] == ["Three.", "Two.", "One."]
    with pytest.raises(RoutineError) as e:
        recorded_timeline(HOLD, {"Three.": 1300}, {"Three.": "3.m4a"})
    assert str(e.value) == (
        "<string>:4:5: steps[0]: the countdown word 'Three.', recorded in '3.m4a', takes 1.3s and runs 0.3s "
        "into the next word (each has 1.0s) (record it again, at most 1.0s)"
    )


def test_every_recorded_countdown_word_too_long_is_reported_and_a_near_miss_to_the_millisecond():
    with pytest.raises(RoutineError) as e:
        recorded_timeline(HOLD, {"Three.": 1001, "Two.": 1500}, {"Three.": "3.m4a", "Two.": "2.m4a"})
    assert [p.what.split(",")[0] for p in e.value.problems] == [
        "the countdown word 'Three.'",
        "the countdown word 'Two.'",
    ]
    assert "takes 1.001s and runs 1 ms into the next word" in str(e.value)
    with pytest.raises(RoutineError) as e:
        recorded_timeline(HOLD, {"Soften the knees.": 6049}, {"Soften the knees.": "s.wav"})
    assert "takes 6.049s and runs 49 ms into the next cue at 8.0s (record it again, at most 6.000s" in str(e.value)
