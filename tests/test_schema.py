"""The JSON Schema for routines and profiles: generated from the loader's tables, accepts
every example, and rejects each shape error of the error corpus at the line check reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("jsonschema")
import jsonschema  # noqa: E402

import schemacheck  # noqa: E402
from matcue.api import check_routine  # noqa: E402
from matcue.routine import loader, profile, steps, yamlschema  # noqa: E402
from matcue.schema import SCHEMA_FILES, SchemaGapError, build_schema, modeline  # noqa: E402

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data"
ROUTINES = sorted(  # every routine: not the profiles, not a recordings folder's index.yaml
    p for p in (ROOT / "routines").rglob("*.yaml") if "profiles" not in p.parts and p.name != "index.yaml"
)
PROFILES = sorted(p for p in (ROOT / "routines" / "profiles").glob("*.yaml") if p.name != "class.yaml")

# the shape errors of the corpus: unknown keys and kinds, wrong types, two kinds, bad durations
SHAPE_ERRORS = [
    "unknown-key", "unknown-kind", "wrong-type-title", "wrong-type-steps", "wrong-type-step",
    "wrong-type-during", "two-kinds", "two-kinds-say-rest", "unit", "negative", "duration-unit-order",
    "zero", "empty-string", "multi", "hold-words", "breaths-fraction", "bad-bool", "sides-typo",
    "unknown-level", "unknown-level-levels", "missing-hold", "missing-keys", "missing-title",
    "empty-section",
]  # fmt: skip


@pytest.mark.parametrize("document", ["routine", "profile"])
def test_schema_is_valid_draft_2020_12(document):
    schema = build_schema(document)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _properties(schema, found=None):
    """Every (properties mapping) in the schema, with where it is."""
    found = [] if found is None else found
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append(schema["properties"])
        for v in schema.values():
            _properties(v, found)
    elif isinstance(schema, list):
        for v in schema:
            _properties(v, found)
    return found


def test_every_key_has_a_description_and_an_example_that_validates():
    for document in ("routine", "profile"):
        schema = build_schema(document)
        for props in _properties(schema):
            for key, sub in props.items():
                if set(sub) == {"$ref"} or key in ("beginner", "intermediate", "advanced"):
                    continue  # a level of a level mapping: the value's own schema
                assert sub.get("description"), (document, key)
                assert sub.get("examples"), (document, key)
                check = jsonschema.Draft202012Validator({**sub, "$defs": schema["$defs"]})
                for example in sub["examples"]:
                    assert not list(check.iter_errors(example)), (document, key, example)


def test_the_schema_has_every_key_the_loader_accepts():
    schema = build_schema("routine")
    defs = schema["$defs"]
    assert set(defs["routine"]["properties"]) == set(loader.ROUTINE_KEYS)
    branches = [b["$ref"].rsplit("-", 1)[1] for b in defs["step"]["oneOf"]]
    assert branches == list(steps.STEP_KINDS)  # one oneOf branch per step kind
    for name, kind in steps.STEP_TABLE.items():
        branch = defs[f"step-{name}"]
        assert list(branch["properties"]) == [k.name for k in kind.keys] + ["levels"]
        assert branch["required"] == [name, *kind.required]
        assert branch["additionalProperties"] is False
        assert branch["description"] == kind.keys[0].doc  # the kind key's description
        for key in (*kind.keys, *steps.COMMON_KEYS):
            assert branch["properties"][key.name]["description"] == key.doc
            assert branch["properties"][key.name]["examples"] == [key.example]
    assert set(defs["voice"]["properties"]) == set(loader.VOICE_KEYS)
    assert set(build_schema("profile")["properties"]) == set(profile.PROFILE_KEYS)


def test_a_key_added_to_the_loader_without_a_description_is_caught(monkeypatch):
    monkeypatch.setitem(loader.ROUTINE_KEYS, "tempo", yamlschema.plain)
    with pytest.raises(SchemaGapError, match="routine key 'tempo'"):
        build_schema("routine")


def test_a_step_key_with_a_converter_the_schema_cannot_describe_is_caught(monkeypatch):
    odd = steps.Key("tempo", lambda ctx, node, where: node, "How fast.", "fast")
    kind = steps.STEP_TABLE["rest"]
    monkeypatch.setitem(steps.STEP_TABLE, "rest", steps.StepKind(kind.name, kind.model, (*kind.keys, odd)))
    with pytest.raises(SchemaGapError, match="step.rest key 'tempo'"):
        build_schema("routine")


def test_enums_come_from_the_registries():
    from matcue.voice.registry import backend_names

    defs = build_schema("routine")["$defs"]
    assert defs["level"]["enum"] == ["beginner", "intermediate", "advanced"]
    assert defs["sides"]["enum"] == ["both", "left", "right"]
    assert defs["verbosity"]["enum"] == ["brief", "normal", "full"]
    assert defs["backend"]["enum"] == ["auto", *backend_names()]
    assert defs["language"]["anyOf"][0]["enum"] == ["de", "en", "es", "fr"]  # matcue.languages.CODES, sorted
    hold = defs["step-pose"]["properties"]["hold"]
    assert hold["anyOf"][0] == {"$ref": "#/$defs/hold"}
    assert set(hold["anyOf"][1]["properties"]) == {"beginner", "intermediate", "advanced"}  # by level


@pytest.mark.parametrize(
    "value,ok",
    [("30s", True), ("1m30s", True), ("1h", True), (45, True), (7.5, True), ("2 m 5 s", True),
     ("2 mins", False), ("30s1m", False), ("-3s", False), ("", False), (0, False), ("0s", False), (-1, False)],
)  # fmt: skip
def test_duration_pattern(value, ok):
    schema = build_schema("routine")
    check = jsonschema.Draft202012Validator({"$ref": "#/$defs/duration", "$defs": schema["$defs"]})
    assert check.is_valid(value) == ok


@pytest.mark.parametrize(
    "value,ok", [("5 breaths", True), ("1 breath", True), ("30s", True), ("2.5 breaths", False), ("five", False)]
)
def test_hold_pattern(value, ok):
    schema = build_schema("routine")
    check = jsonschema.Draft202012Validator({"$ref": "#/$defs/hold", "$defs": schema["$defs"]})
    assert check.is_valid(value) == ok


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.name)
def test_every_example_routine_validates(path):
    assert schemacheck.problems(path, "routine") == []


@pytest.mark.parametrize("path", sorted((DATA / "ok").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_test_routine_validates(path):
    assert schemacheck.problems(path, "routine") == []


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_every_example_profile_validates(path):
    assert schemacheck.problems(path, "profile") == []


def test_the_documented_profile_validates(tmp_path):
    from matcue.routine.profile import load_profile

    good = tmp_path / "anna.yaml"
    good.write_text(
        "name: Anna\nlevel: beginner\nduration: 25m\npace: 1.2\nfirst_side: left\nbreath: 5:7\n"
        "verbosity: brief\nskip: [Arrive]\nvars: {teacher: Maya}\nvoice: {backend: espeak-ng, rate: 140}\n"
        "tones: false\ncountdown: 5\n"
    )
    assert load_profile(good).name == "Anna"
    assert schemacheck.problems(good, "profile") == []


def test_a_bad_profile_is_rejected_where_the_loader_says(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("name: Anna\nverbosity: chatty\npace: 3\nbreath: 5-7\nnmae: x\n")
    lines = [line for line, _, _ in schemacheck.problems(bad, "profile")]
    assert lines == [2, 3, 4, 5]


@pytest.mark.parametrize("name", sorted(set(SHAPE_ERRORS)))
def test_shape_errors_are_rejected_at_the_line_check_reports(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = Path("tests/data/errors") / f"{name}.yaml"
    reported = {p.mark.line for p in check_routine(path)}
    assert reported, "the corpus file must be an error"
    found = {line for line, _, _ in schemacheck.problems(path, "routine")}
    assert found == reported


def test_a_breath_phase_over_60_seconds_is_rejected_where_the_loader_says(tmp_path):
    """The loader's limit (core/limits.py MAX_BREATH_PHASE_MS) for a number of seconds; a
    duration string like '2m' is left to check, as other bounds on strings are."""
    path = tmp_path / "r.yaml"
    path.write_text("title: T\nbreath: {inhale: 60, exhale: 61}\nsteps:\n  - say: Hi.\n")
    assert [line for line, _, _ in schemacheck.problems(path, "routine")] == [2]
    assert [str(p.mark.line) for p in check_routine(path)] == ["2"]
    path.write_text("title: T\nbreath: {inhale: 60, exhale: 60, hold_in: 0}\nsteps:\n  - say: Hi.\n")
    assert schemacheck.problems(path, "routine") == [] and check_routine(path) == []


def test_example_routines_carry_the_modeline():
    for path in ROUTINES:
        first = path.read_text().splitlines()[0]
        rel = "." if path.parent.name == "routines" else ".."
        assert first == modeline("routine", rel), path
        assert (path.parent / first.split("=", 1)[1]).is_file(), path
    for path in PROFILES:
        assert path.read_text().splitlines()[0] == modeline("profile", ".."), path


def test_written_schema_files_are_current():
    """routines/ keeps the schema files the modelines point at, as `matcue schema --write` writes them."""
    for document, name in SCHEMA_FILES.items():
        on_disk = json.loads((ROOT / "routines" / name).read_text())
        assert on_disk == build_schema(document), f"run: matcue schema --write -o routines ({name} is stale)"
