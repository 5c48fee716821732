"""Loading routines: what is accepted, and the exact message for each bad input.

Every file in tests/data/errors/ starts with ``# error: LINE:COL: ...`` comments giving the
exact problems ``check`` must report (a line starting with ``tests/`` names another file).
"""

from pathlib import Path

import pytest

from matcue.api import check_routine
from matcue.core.errors import RoutineError
from matcue.routine.loader import load_routine, loads_routine
from matcue.routine.model import Hold, Leveled, Pose, Reps, Say, Section, Timer, pick

DATA = Path("tests/data")
ERROR_FILES = sorted(p for p in (DATA / "errors").glob("*.yaml") if p.read_text().startswith("# error"))


def expected_problems(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("# error: "):
            rest = line.removeprefix("# error: ")
            out.append(rest if rest.startswith("tests/") else f"{path}:{rest}")
    return out


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.stem)
def test_error_corpus_messages_are_exact(path, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[2])
    got = [str(p) for p in check_routine(path)]
    assert got == expected_problems(path)


def test_error_corpus_is_not_empty():
    assert len(ERROR_FILES) >= 55


def test_text_is_taken_as_written():
    r = loads_routine("title: Yes\nsteps:\n  - say: No\n  - say: on\n  - say: 3.50\n  - say: '007'\n")
    assert [s.text.value for s in r.steps] == ["No", "on", "3.50", "007"]
    assert r.title == "Yes"


def test_every_node_knows_where_it_came_from():
    r = loads_routine("title: T\nsteps:\n  - pose: Pigeon\n    hold: 5 breaths\n", name="x.yaml")
    pose = r.steps[0]
    assert isinstance(pose, Pose)
    assert (pose.mark.path, pose.mark.line, pose.mark.column) == ("x.yaml", 3, 5)
    assert pose.hold == Hold(breaths=5, mark=pose.hold.mark)
    assert (pose.hold.mark.line, pose.hold.mark.column) == (4, 11)
    assert pose.where == "steps[0]"


def test_routine_is_frozen():
    r = loads_routine("title: T\nsteps:\n  - say: hi\n")
    with pytest.raises(AttributeError):
        r.title = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "given, level, ms",
    [
        ("{beginner: 30s, advanced: 2m}", "beginner", 30_000),
        ("{beginner: 30s, advanced: 2m}", "intermediate", 30_000),  # nearest below
        ("{beginner: 30s, advanced: 2m}", "advanced", 120_000),
        ("{advanced: 2m}", "beginner", 120_000),  # else nearest above
        ("{intermediate: 1m}", "advanced", 60_000),
        ("45s", "advanced", 45_000),
    ],
)
def test_level_dependent_values(given, level, ms):
    r = loads_routine(f"title: T\nsteps:\n  - pose: P\n    hold: {given}\n")
    hold = pick(r.steps[0].hold, level)
    assert hold.ms == ms


def test_level_map_kept_as_leveled():
    r = loads_routine("title: T\nsteps:\n  - reps: {beginner: 3, advanced: 5}\n    inhale: Up.\n")
    step = r.steps[0]
    assert isinstance(step, Reps) and isinstance(step.count, Leveled)


def test_include_inserts_steps_in_place():
    r = load_routine(DATA / "ok" / "all-kinds.yaml")
    kinds = [type(s).__name__ for s in r.steps]
    assert kinds == ["Say", "Pause", "Section", "Pose", "Reps", "Breathe", "Pose", "Pose", "Rest"]
    pigeon = r.steps[6]
    assert pigeon.mark.path.endswith("poses/pigeon.yaml")
    assert isinstance(r.steps[2], Section) and isinstance(r.steps[2].steps[0], Timer)


def test_bom_and_crlf_load():
    r = load_routine(DATA / "bom-crlf.yaml")
    assert r.title == "BOM and CRLF"
    assert isinstance(r.steps[0], Say) and r.steps[0].text.value == "No"
    assert r.steps[1].mark.line == 4


def test_non_utf8_is_a_located_error():
    with pytest.raises(RoutineError) as e:
        load_routine(DATA / "errors" / "not-utf8.yaml.bin")
    assert str(e.value) == ("tests/data/errors/not-utf8.yaml.bin:1:19: the file is not UTF-8 text (save it as UTF-8)")


def test_directory_is_a_located_error():
    with pytest.raises(RoutineError) as e:
        load_routine(DATA / "errors")
    assert str(e.value) == "tests/data/errors:1:1: is a folder, not a routine file"


def test_missing_file():
    with pytest.raises(RoutineError) as e:
        load_routine(DATA / "nope.yaml")
    assert str(e.value) == "tests/data/nope.yaml: no such file"


def test_check_reports_all_problems_not_just_the_first():
    problems = check_routine(DATA / "errors" / "multi.yaml")
    assert len(problems) == 3


def test_all_kinds_routine_checks_clean():
    assert check_routine(DATA / "ok" / "all-kinds.yaml") == []


def test_say_takes_a_pause_key():
    r = loads_routine("title: T\nsteps:\n  - say: Sit tall.\n    pause: 3s\n")
    step = r.steps[0]
    assert isinstance(step, Say) and step.pause_ms == 3000


def test_yaml_merge_keys_work_and_keep_marks():
    src = "title: T\nsteps:\n  - &up\n    pose: Leg up\n    hold: 30s\n    sides: right\n  - <<: *up\n    sides: left\n"
    r = loads_routine(src, name="m.yaml")
    assert [s.sides for s in r.steps] == ["right", "left"]
    assert r.steps[1].hold == Hold(ms=30_000, mark=r.steps[0].hold.mark)


def test_bytes_that_are_not_utf8_and_control_characters_hide_no_other_problem(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"title: T\x01x\nsteps:\n  - pose: P\xe9\xe9\n    hold: long\n")
    assert [str(p) for p in check_routine(path)] == [
        f"{path}:1:9: the character U+0001 (a control character) cannot be in a routine "
        "(a routine is plain text: delete it)",
        f"{path}:3:12: the file is not UTF-8 text (save it as UTF-8)",
        f"{path}:4:11: steps[0].hold: expected a duration like '30s' or '5 breaths', got 'long'",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title: !!binary aGVsbG8=\nsteps:\n  - say: hi\n", "x.yaml:1:8: title: the YAML tag '!!binary' is not read"),
        ("title: T\nsteps:\n  - !include p.yaml\n", "x.yaml:3:5: steps[0]: the YAML tag '!include' is not read"),
        ("title: T\nsteps: !!omap [{say: hi}]\n", "x.yaml:2:8: steps: the YAML tag '!!omap' is not read"),
    ],
)
def test_a_yaml_tag_is_refused_where_it_is_not_dropped(text, problem):
    with pytest.raises(RoutineError) as e:
        loads_routine(text, name="x.yaml")
    assert str(e.value).startswith(problem)


def test_the_plain_yaml_tags_are_read_as_without_them():
    r = loads_routine("title: !!str 2024\nsteps:\n  - pose: P\n    hold: !!int 30\n  - say: ! hi\n")
    assert r.title == "2024"
    assert [s.text.value for s in r.steps if isinstance(s, Say)] == ["hi"]


def test_a_tagged_mapping_is_one_problem_not_one_for_each_of_its_keys():
    with pytest.raises(RoutineError) as e:
        loads_routine("title: T\nsteps:\n  - say: !!set {a, b}\n", name="x.yaml")
    assert [str(p) for p in e.value.problems] == [
        "x.yaml:3:10: steps[0].say: the YAML tag '!!set' is not read: a routine holds plain text, numbers, lists "
        "and mappings (delete the tag)"
    ]


def test_spaces_around_a_path_are_not_part_of_it_and_a_final_slash_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "part.yaml").write_text("- say: From the part.\n")
    (tmp_path / "r.yaml").write_text('title: T\nsteps:\n  - include: " part.yaml  "\n')
    (step,) = load_routine(tmp_path / "r.yaml").steps
    assert isinstance(step, Say) and step.text.value == "From the part."
    (tmp_path / "r.yaml").write_text('title: T\nsteps:\n  - include: "part.yaml/"\n')
    with pytest.raises(RoutineError) as e:
        load_routine(tmp_path / "r.yaml")
    (problem,) = e.value.problems
    assert str(problem).startswith(f"{tmp_path}/r.yaml:3:14: steps[0].include: ")
