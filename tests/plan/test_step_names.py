"""The names of steps and sections that skip:, --skip, --only and --from match (matcue.plan.names)."""

from __future__ import annotations

from matcue.plan.names import name_hint, same_name, step_name, step_names
from matcue.routine.loader import loads_routine

ROUTINE = """title: T
steps:
  - section: {beginner: Warm up, advanced: Warm-up}
    steps:
      - pose: Cat  cow
        hold: 5s
  - rest: 10s
  - say: Done.
"""


def test_every_name_at_every_level_in_order_and_rest_in_every_language():
    r = loads_routine(ROUTINE)
    assert step_names(r.steps) == ["Warm up", "Warm-up", "Cat cow", "Rest"]
    assert step_name(r.steps[0], "advanced") == "Warm-up" and step_name(r.steps[2], "beginner") is None


def test_names_match_with_spaces_collapsed_and_case_folded_and_the_hint_names_the_closest():
    assert same_name("cat   COW", "Cat cow") and not same_name("cat", "Cat cow")
    assert name_hint("Cat co", ["Cat cow", "Rest"]) == "did you mean 'Cat cow'?"
    assert name_hint("zzz", []) == "this routine has no section, pose or other named step"
    assert name_hint("zzz", [f"n{i}" for i in range(13)]).endswith("n11, ...")


def test_a_name_decomposed_as_a_mac_writes_it_is_the_composed_name():
    """'Cafe' + U+0301 (NFD: a Mac keyboard, a PDF) and 'Café' (NFC) are one name: --skip
    said "no step is named 'Café' (did you mean 'Café'?)"."""
    assert same_name("Cafe\u0301 pose", "CAFÉ  pose")
    routine = loads_routine("title: T\nsteps:\n  - pose: Cafe\u0301\n    hold: 5s\n")
    assert step_names(routine.steps) == ["Café"]  # the routine's text is composed where it is read
