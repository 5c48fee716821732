"""JSON Schema (draft 2020-12) for routine and profile files, for editors.

Generated from the loader's own key tables (``matcue.routine.loader.ROUTINE_KEYS``,
``VOICE_KEYS``, the step table ``matcue.routine.steps.STEP_TABLE``... and
``matcue.routine.profile.PROFILE_KEYS``): every key the loader accepts is walked, its
converter is turned into a schema fragment, and its description and example are taken from
the step table (a step kind's keys carry their own) or from :data:`KEY_DOCS`. A key the
loader accepts with no description (or a converter this module does not know) raises
:class:`SchemaGapError`, and a test builds both schemas, so the schema cannot drift from
the loader. The schema is an editor's aid: the loader stays the judge (it also checks
what a schema cannot, such as placeholders, cue timing and included files).

To add a key: add it to the loader's table, then describe it here in ``KEY_DOCS`` (a step
kind's key: in its ``Key`` in :mod:`matcue.routine.steps`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcue.core.errors import MatcueError
from matcue.core.text import to_json as to_json_text
from matcue.routine import loader as L
from matcue.routine import profile as P
from matcue.routine import steps as S
from matcue.routine import yamlschema as Y
from matcue.routine.model import BREATH_PRESETS, LEVELS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DOCUMENT_TYPES = ("routine", "profile")
SCHEMA_FILES = {"routine": "matcue-routine.schema.json", "profile": "matcue-profile.schema.json"}
MODELINE_PREFIX = "# yaml-language-server: $schema="

Fragment = dict[str, Any]


class SchemaGapError(MatcueError):
    """A loader key or converter that the schema generator cannot describe."""


def modeline(document: str = "routine", schema_dir: str = ".") -> str:
    """The ``# yaml-language-server: $schema=...`` line pointing at the schema file."""
    name = SCHEMA_FILES[document]
    return f"{MODELINE_PREFIX}{name if schema_dir in ('', '.') else f'{schema_dir}/{name}'}"


# ----------------------------------------------------------------------------- descriptions

D = tuple[str, Any]  # (description, example)

KEY_DOCS: dict[str, dict[str, D]] = {
    "routine": {
        "title": ("The routine's title; becomes the MP3 title tag and the file name.", "Hamstring release"),
        "cover": ("Cover art: a JPEG or PNG file, relative to this file.", "cover.jpg"),
        "music": ("An audio file looped quietly under the session, relative to this file.", "music/rain.mp3"),
        "recordings": (
            "A folder (or .zip) of the teacher's recorded cues, relative to this file; "
            "clips named by their ids ('matcue cues' lists them) replace the synthesized voice.",
            "recordings",
        ),
        "description": ("A sentence or two about the routine (not spoken).", "Seated and supine hamstring work."),
        "author": ("Who wrote it; the MP3 artist tag.", "Studio Name"),
        "collection": ("A series it belongs to; the MP3 album tag.", "Evening classes"),
        "language": ("Voice language and built-in phrases ('Switch sides', counts).", "en"),
        "level": ("Default level when the command line gives none.", "beginner"),
        "first_side": ("The side played first in 'sides: both' steps (default right).", "right"),
        "voice": ("Voice settings; command-line flags override them.", {"backend": "auto", "rate": 150}),
        "breath": (
            "Default breath pattern, seconds per phase, or a preset name.",
            {"inhale": 4, "exhale": 6},
        ),
        "tones": ("Breath-pacing tones during holds (default true).", True),
        "countdown": ("Seconds counted aloud at the end of every hold (0 = off, default 3).", 3),
        "vars": ("Values for {placeholders} in any spoken text (--set key=value overrides).", {"teacher": "Maya"}),
        "lexicon": (
            "How the voice should say words it gets wrong: a respelling, or per backend.",
            {"Sirsasana": "sheer-shah-sah-nah"},
        ),
        "steps": ("What the listener hears, in order: each step has exactly one kind key.", [{"say": "Welcome."}]),
    },
    "voice": {
        "backend": ("A registered voice backend; auto = the clearest installed.", "auto"),
        "name": ("The backend's voice id (see 'matcue voices').", "en-us"),
        "rate": ("Speaking rate in words per minute (60 to 500).", 150),
    },
    "breath": {
        "inhale": ("Seconds (or a duration) to breathe in; at least 0.25s, at most 60s.", 4),
        "exhale": ("Seconds (or a duration) to breathe out; at least 0.25s, at most 60s.", 6),
        "hold_in": ("Retention after the inhale (0 = none); at most 60s.", 0),
        "hold_out": ("Pause after the exhale (0 = none); at most 60s.", 0),
    },
    "during": {
        "at": ("When the cue starts: an offset from the start of the hold, or 'breath N'.", "15s"),
        "say": ("The cue spoken at that moment.", "Press the back of your {side} knee towards the mat."),
        "optional": ("Left out at verbosity brief.", False),
    },
    "fit": {
        "min": ("The shortest this step may become when --duration fits the session.", "20s"),
        "max": ("The longest this step may become when --duration fits the session.", "2m"),
    },
    "spoken": {
        "brief": ("The cue at verbosity brief.", "Fold forward."),
        "normal": ("The cue at verbosity normal (the default).", "Fold forward from the hips."),
        "full": ("The cue at verbosity full.", "Fold forward from the hips, keeping the spine long."),
    },
    "profile": {
        "name": ("The person's name; added to the track's title and file name.", "Anna"),
        "level": ("The level rendered for this person.", "beginner"),
        "duration": ("Fit the session to this length.", "25m"),
        "pace": ("Multiply every breath phase by this (0.8 to 1.5).", 1.2),
        "breath": ("Replace the breath pattern: inhale:exhale or inhale:hold:exhale:hold, in seconds.", "5:7"),
        "first_side": ("The side played first in 'sides: both' steps.", "left"),
        "verbosity": ("Cue wording: brief leaves out optional cues.", "brief"),
        "skip": ("Names of steps or sections to leave out.", ["Assisted entry"]),
        "vars": ("Values for {placeholders} (the routine's are overridden).", {"teacher": "Maya"}),
        "voice": ("Voice settings for this person.", {"rate": 140}),
        "tones": ("Breath-pacing tones during holds.", True),
        "countdown": ("Seconds counted aloud at the end of every hold (0 = off).", 3),
    },
}


def doc(context: str, key: str) -> D:
    entry = KEY_DOCS.get(context, {}).get(key)
    if entry is not None:
        return entry
    raise SchemaGapError(f"the loader accepts {context} key {key!r} but matcue.schema has no description for it")


# ----------------------------------------------------------------------------- fragments

_WHOLE = r"^\s*\+?[0-9]+\s*$"
_NUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"  # a number of seconds ("5." too)
_PART = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"  # before a unit
# what matcue.core.durations accepts: a number of seconds, or units h, m, s in that order
# (digits 0-9 only; that the value is a whole number of milliseconds is checked by 'check')
DURATION_PATTERN = (
    rf"^\s*(?:{_NUM}(?:[eE][+-]?[0-9]+)?"
    rf"|(?=[0-9.])(?:{_PART}\s*h)?\s*(?:{_PART}\s*m)?\s*(?:{_PART}\s*s)?)\s*$"
)
BREATHS_PATTERN = r"^\s*\+?[0-9]+\s+[Bb][Rr][Ee][Aa][Tt][Hh][Ss]?\s*$"
AT_BREATH_PATTERN = r"^\s*[Bb][Rr][Ee][Aa][Tt][Hh]\s+[0-9]+\s*$"
_PHASE = r"[0-9]+(?:\.[0-9]+)?"  # a phase of --breath / a profile's breath
RATIO_PATTERN = rf"^\s*{_PHASE}\s*:\s*{_PHASE}(?:\s*:\s*{_PHASE}\s*:\s*{_PHASE})?\s*$"
BOOL_WORDS = [w for word in ("true", "false", "yes", "no", "on", "off") for w in (word, word.title(), word.upper())]


_FIT_KEYS = {"min": S.hold, "max": S.hold}  # as matcue.routine.steps.fit reads them


def _ref(name: str) -> Fragment:
    return {"$ref": f"#/$defs/{name}"}


def _defs() -> dict[str, Fragment]:
    from matcue.languages import CODES as LANGUAGES
    from matcue.voice.registry import AUTO, backend_names

    levels = list(LEVELS)
    return {
        "text": {
            "description": "Spoken or shown text; {name} is replaced by a variable, {side} in sided steps.",
            "type": ["string", "number", "boolean"],
        },
        "duration": {
            "description": "A duration: seconds (45, 7.5) or units h, m, s in order ('45s', '2m', '1m30s'); "
            "more than zero.",
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN, "not": {"pattern": r"^[\s0.hms]*$"}},
            ],
            "examples": ["30s", "1m30s", 45],
        },
        "durationOrOff": {
            "description": "A duration: seconds (45, 7.5) or units h, m, s in order ('45s', '2m', '1m30s'); 0 = none.",
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DURATION_PATTERN}],
            "examples": ["10s", 0],
        },
        "hold": {
            "description": "A duration like '30s', or 'N breaths': N whole cycles of the breath pattern.",
            "anyOf": [_ref("duration"), {"type": "string", "pattern": BREATHS_PATTERN}],
            "examples": ["5 breaths", "30s"],
        },
        "at": {
            "description": "An offset from the start of the hold ('15s'), or 'breath N' (the N-th inhale).",
            "anyOf": [_ref("durationOrOff"), {"type": "string", "pattern": AT_BREATH_PATTERN}],
            "examples": ["15s", "breath 3"],
        },
        "bool": {
            "description": "true or false (yes/no and on/off are read the same).",
            "anyOf": [{"type": "boolean"}, {"enum": BOOL_WORDS}],
        },
        "level": {"description": "A level.", "enum": levels},
        "levels": {
            "description": "A level, or a list of levels.",
            "anyOf": [_ref("level"), {"type": "array", "items": _ref("level"), "minItems": 1}],
        },
        "side": {"description": "Which side first.", "enum": ["right", "left"]},
        "sides": {"description": "both, left or right.", "enum": ["both", "left", "right"]},
        "verbosity": {"description": "Cue wording.", "enum": list(S.VERBOSITIES)},
        "backend": {
            "description": "A voice backend: auto, or one of the registered backends.",
            "enum": [AUTO, *backend_names()],
        },
        "language": {
            "description": "A language with built-in phrases (a regional variant such as en-GB is read as en).",
            "anyOf": [
                {"enum": sorted(LANGUAGES)},
                {"type": "string", "pattern": rf"^(?:{'|'.join(sorted(LANGUAGES))})[-_][A-Za-z0-9]+$"},
            ],
        },
        "path": {"description": "A file path, relative to this file.", "type": "string", "minLength": 1},
        "spoken": {
            "description": "Text, or the same cue at several lengths {brief: ..., normal: ..., full: ...}.",
            "anyOf": [_ref("text"), _mapping("spoken", {v: Y.text for v in S.VERBOSITIES}, (), min_properties=1)],
        },
        "breathPreset": {"description": "A named breath pattern.", "enum": list(BREATH_PRESETS)},
        "breath": {
            "description": "A breath pattern: seconds per phase, or a preset name.",
            "anyOf": [_ref("breathPreset"), _mapping("breath", S.BREATH_KEYS, ())],
        },
        "fullBreath": {
            "description": "A breathing pattern: a preset, or inline with both inhale and exhale.",
            "anyOf": [_ref("breathPreset"), _mapping("breath", S.BREATH_KEYS, ("inhale", "exhale"))],
        },
        "vars": {
            "description": "Names (letters, digits, _) and their text.",
            "type": "object",
            "patternProperties": {r"^[A-Za-z_][A-Za-z0-9_]*$": _ref("text")},
            "propertyNames": {"not": {"enum": ["side", "other_side"]}},
            "additionalProperties": False,
        },
        "lexicon": {
            "description": "Words and how to say them: a respelling, or {say: ..., BACKEND: ...}.",
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": ["string", "number"], "minLength": 1},
                    {"type": "object", "additionalProperties": _ref("text"), "minProperties": 1},
                ]
            },
        },
        "pace": {
            "description": f"A number from {P.PACE_MIN} to {P.PACE_MAX}.",
            "type": "number",
            "minimum": P.PACE_MIN,
            "maximum": P.PACE_MAX,
        },
        "breathRatio": {
            "description": "inhale:exhale like '5:7', or inhale:hold:exhale:hold like '4:2:6:2' (seconds).",
            "type": "string",
            "pattern": RATIO_PATTERN,
        },
        "fit": {"description": "Bounds like {min: 20s, max: 2m}, or in breaths.", **_mapping("fit", _FIT_KEYS, ())},
        "during": {
            "description": "Cues like '- at: 15s' / 'say: ...'.",
            "type": "array",
            "items": _mapping("during", S.DURING_KEYS, ("at", "say")),
        },
        "voice": {
            "description": "Voice settings like {backend: auto, rate: 150}.",
            **_mapping("voice", L.VOICE_KEYS, ()),
        },
        "names": {
            "description": "A name, or a list of names.",
            "anyOf": [_ref("text"), {"type": "array", "items": _ref("text")}],
        },
    }


def _mapping(
    context: str,
    table: dict[str, Any],
    required: tuple[str, ...],
    *,
    min_properties: int = 0,
    docs: dict[str, D] | None = None,
) -> Fragment:
    """A closed object: one property per key of the loader's ``table``, each described
    (by ``docs`` when given, else by :data:`KEY_DOCS`)."""
    props: dict[str, Fragment] = {}
    for key, conv in table.items():
        desc, example = docs[key] if docs is not None and key in docs else doc(context, key)
        props[key] = {**_fragment(conv, context, key), "description": desc, "examples": [example]}
    out: Fragment = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if min_properties:
        out["minProperties"] = min_properties
    return out


def _steps_array() -> Fragment:
    return {"type": "array", "items": _ref("step"), "minItems": 1}


def _known() -> dict[int, Callable[[], Fragment]]:
    """Converters of the loader (and profile loader) -> their fragment, by identity."""
    return {
        id(Y.plain): lambda: _ref("text"),
        id(Y.label): lambda: _ref("text"),
        id(Y.text): lambda: _ref("text"),
        id(S.spoken): lambda: _ref("spoken"),
        id(S.hold): lambda: _ref("hold"),
        id(S.at): lambda: _ref("at"),
        id(Y.boolean): lambda: _ref("bool"),
        id(Y.level): lambda: _ref("level"),
        id(Y.levels_list): lambda: _ref("levels"),
        id(S.breath): lambda: _ref("breath"),
        id(S.full_breath): lambda: _ref("fullBreath"),
        id(S.fit): lambda: _ref("fit"),
        id(S.during): lambda: _ref("during"),
        id(L.variables): lambda: _ref("vars"),
        id(L.lexicon): lambda: _ref("lexicon"),
        id(L.voice_settings): lambda: _ref("voice"),
        id(L.cover_file): lambda: _ref("path"),
        id(L.music_file): lambda: _ref("path"),
        id(L.recordings_source): lambda: _ref("path"),
        id(L.nonempty_steps): _steps_array,
        id(S.nested_steps): _steps_array,
        id(S.included_path): lambda: _ref("path"),
        id(P.pace_number): lambda: _ref("pace"),
        id(P.breath_ratio): lambda: _ref("breathRatio"),
        id(P.skip_names): lambda: _ref("names"),
    }


# keys whose converter is generic text, but whose values come from a registry
_NAMED: dict[tuple[str, str], str] = {("voice", "backend"): "backend", ("routine", "language"): "language"}


def _fragment(conv: Any, context: str, key: str) -> Fragment:
    named = _NAMED.get((context, key))
    if named:
        return _ref(named)
    inner = getattr(conv, "inner", None)
    if inner is not None:  # _leveled: the value, or a mapping from level to such values
        value = _fragment(inner, context, key)
        by_level = {
            "type": "object",
            "description": "A value per level; a level not named takes the nearest named level below, else above.",
            "properties": {lv: value for lv in LEVELS},
            "additionalProperties": False,
            "minProperties": 1,
        }
        return {"anyOf": [value, by_level]}
    if hasattr(conv, "allow_zero"):
        ref = _ref("durationOrOff" if conv.allow_zero else "duration")
        if getattr(conv, "max_ms", None):  # a breath phase: a number of seconds over the limit is flagged
            seconds = conv.max_ms // 1000 if conv.max_ms % 1000 == 0 else conv.max_ms / 1000
            return {"allOf": [ref, {"not": {"type": "number", "exclusiveMinimum": seconds}}]}
        return ref
    if hasattr(conv, "bounds"):
        lo, hi = conv.bounds
        return {"anyOf": [{"type": "integer", "minimum": lo, "maximum": hi}, {"type": "string", "pattern": _WHOLE}]}
    if hasattr(conv, "options"):
        options = tuple(conv.options)
        for name in ("level", "side", "sides", "verbosity"):
            if tuple(_defs_enums()[name]) == options:
                return _ref(name)
        return {"enum": list(options)}
    made = _known().get(id(conv))
    if made is None:
        raise SchemaGapError(f"matcue.schema cannot describe the converter of {context} key {key!r}")
    return made()


def _defs_enums() -> dict[str, list[str]]:
    return {"level": list(LEVELS), "side": ["right", "left"], "sides": ["both", "left", "right"],
            "verbosity": list(S.VERBOSITIES)}  # fmt: skip


def _step_branch(name: str) -> Fragment:
    """A step kind's object, described by its own row of the step table."""
    kind = S.STEP_TABLE[name]
    keys = (*kind.keys, *S.COMMON_KEYS)
    docs = {k.name: (k.doc, k.example) for k in keys}
    body = _mapping(f"step.{name}", kind.table, (name, *kind.required), docs=docs)
    return {"title": name, "description": docs[name][0], **body}


def build_schema(document: str = "routine") -> Fragment:
    """The JSON Schema of a ``routine`` or ``profile`` file."""
    if document not in DOCUMENT_TYPES:
        raise UnknownDocumentError(document)
    defs = _defs()
    if document == "profile":
        body = _mapping("profile", P.PROFILE_KEYS, ("name",))
        return {
            "$schema": DIALECT,
            "title": "matcue profile",
            "description": "One person's tailoring settings (matcue render --profile FILE).",
            **body,
            "$defs": defs,
        }
    routine = _mapping("routine", L.ROUTINE_KEYS, ("title", "steps"))
    defs["step"] = {
        "description": "A step: exactly one of the kind keys " + ", ".join(S.STEP_KINDS) + ".",
        "oneOf": [_ref(f"step-{kind}") for kind in S.STEP_KINDS],
    }
    for kind in S.STEP_KINDS:
        defs[f"step-{kind}"] = _step_branch(kind)
    defs["routine"] = routine
    return {
        "$schema": DIALECT,
        "title": "matcue routine",
        "description": "A voice-guided routine (matcue check / render). An included file may be a list of steps.",
        "anyOf": [_ref("routine"), _steps_array()],
        "$defs": defs,
    }


class UnknownDocumentError(MatcueError):
    def __init__(self, document: str) -> None:
        import difflib

        close = difflib.get_close_matches(document, DOCUMENT_TYPES, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(f"no schema for {document!r}: the document types are {', '.join(DOCUMENT_TYPES)}{hint}")


def schema_text(document: str = "routine") -> str:
    return to_json_text(build_schema(document)) + "\n"


def write_schemas(folder: str | os.PathLike[str], documents: tuple[str, ...] = DOCUMENT_TYPES) -> list[Path]:
    """Write the schema files into ``folder`` as one unit (:class:`matcue.core.atomic.Unit`):
    every target is checked and every file staged before any is moved in, so a pipe or a
    folder where one goes leaves none written. Their paths."""
    from matcue.core.atomic import Unit

    texts = {d: schema_text(d) for d in documents}  # every schema built before any is written
    out = [Path(folder) / SCHEMA_FILES[d] for d in texts]
    unit = Unit()
    try:
        for target, text in zip(out, texts.values()):
            unit.stage_bytes(target, text.encode("utf-8"))
        unit.commit()
    finally:
        unit.abort()  # nothing left to abort once committed
    return out
