"""matcue.plan.cuelist: the recording list, pure, from a compiled script; and the ids it
names recordings by (matcue.core.naming.phrase_id)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcue.core.naming import PHRASE_ID, phrase_id
from matcue.plan.compile import Options, compile_routine
from matcue.plan.cuelist import phrase_list
from matcue.routine.loader import loads_routine

ROUTINE = """\
title: Strap
countdown: 3
steps:
  - say: Welcome to your practice.
  - pose: Leg up
    sides: both
    cue: Lift your {side} leg.
    hold: 30s
    during:
      - at: 2s
        say: Keep your pelvis down.
      - at: 12s
        say: Breathe.
  - reps: 2
    name: Arm circles
    breath: {inhale: 3s, exhale: 5s}
    inhale: Reach up.
    exhale: Lower.
  - say: Thank you.
"""


def phrases(src: str = ROUTINE, **opts):
    return {p.text: p for p in phrase_list(compile_routine(loads_routine(src, "strap.yaml"), Options(**opts)))}


def test_every_phrase_once_in_order_of_first_use() -> None:
    assert list(phrases()) == [
        "Welcome to your practice.", "Leg up. Right side.", "Lift your right leg.", "Keep your pelvis down.",
        "Breathe.", "Three.", "Two.", "One.", "Switch sides.", "Leg up. Left side.", "Lift your left leg.",
        "Reach up.", "Lower.", "Thank you.",
    ]  # fmt: skip


def test_where_each_phrase_is_used_by_line_step_and_side() -> None:
    p = phrases()
    (use,) = p["Welcome to your practice."].uses
    assert (use.mark.path, use.mark.line, use.where, use.step, use.side, use.role) == (
        "strap.yaml", 4, "steps[0].say", None, None, "cue",
    )  # fmt: skip
    assert [(u.mark.line, u.step, u.side) for u in p["Keep your pelvis down."].uses] == [
        (11, "Leg up", "right"),
        (11, "Leg up", "left"),
    ]
    assert [(u.step, u.side, u.role) for u in p["Three."].uses] == [
        ("Leg up", "right", "countdown"),
        ("Leg up", "left", "countdown"),
    ]
    assert p["Lift your left leg."].uses[0].short() == "strap.yaml:7 \u00b7 Leg up (left)"


def test_the_longest_a_recording_may_last_in_its_place() -> None:
    p = phrases()
    assert p["Keep your pelvis down."].max_ms == 10_000  # until the next cue at 12 s
    assert p["Breathe."].max_ms == 30_000 - 12_000 - 3 * 1000  # until the countdown may start
    assert p["Three."].max_ms == 1000  # one count step
    assert p["Reach up."].max_ms == 3000 and p["Lower."].max_ms == 5000  # a rep's inhale, its exhale
    assert p["Welcome to your practice."].max_ms is None  # between holds: the session waits
    assert p["Lift your right leg."].max_ms is None


def test_a_phrase_in_two_places_gets_the_smaller_room() -> None:
    again = "      - at: 20s\n        say: Keep your pelvis down.\n"
    src = ROUTINE.replace("        say: Breathe.\n", "        say: Breathe.\n" + again)
    assert phrases(src)["Keep your pelvis down."].max_ms == 30_000 - 20_000 - 3000


def test_ids_depend_on_the_text_alone() -> None:
    before = {t: p.id for t, p in phrases().items()}
    moved = ROUTINE.replace("  - say: Thank you.\n", "").replace("steps:\n", "steps:\n  - say: Thank you.\n")
    changed = moved.replace("Breathe.", "Breathe slowly.")
    after = {t: p.id for t, p in phrases(changed).items()}
    assert {t: i for t, i in after.items() if t in before} == {t: i for t, i in before.items() if t in after}
    assert after["Breathe slowly."] != before["Breathe."]
    assert before["Welcome to your practice."] == "welcome-to-your-practice-543c8d"


@given(st.text(max_size=300))
def test_every_id_is_a_safe_file_name_and_spacing_does_not_change_it(text: str) -> None:
    pid = phrase_id(text)
    assert PHRASE_ID.fullmatch(pid) and len(pid) <= 40
    assert phrase_id(f"  {text}  ".replace(" ", "  ")) == pid


def test_two_spellings_of_one_text_are_one_phrase() -> None:
    src = "title: T\nsteps:\n  - say: Caf\u00e9 time.\n  - say: Cafe\u0301 time.\n"
    (p,) = phrase_list(compile_routine(loads_routine(src, "t.yaml"), Options()))
    assert [u.mark.line for u in p.uses] == [3, 4]
