"""Load and validate routine YAML into the frozen :class:`~matcue.routine.model.Routine`.

The file is composed into YAML nodes (:mod:`matcue.routine.yamlread`) and read by key
tables (:mod:`matcue.routine.yamlschema`): the routine's own keys are :data:`ROUTINE_KEYS`,
each step is read by its kind's row of :data:`matcue.routine.steps.STEP_TABLE`, and
includes are read here. Every problem found is collected;
:class:`~matcue.core.errors.RoutineError` carries them all.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.core import limits as budget
from matcue.core.errors import Mark, Problem, RoutineError, shown
from matcue.core.paths import quoted, real_path, shown_folder
from matcue.languages import CODES as LANGUAGE_CODES
from matcue.languages import canonical as canonical_tag
from matcue.routine.model import LEVELS, Routine, Step, Text, VoiceSettings
from matcue.routine.steps import STEP_KINDS, STEP_TABLE, StepKind, breath
from matcue.routine.yamlread import bad_path, compose_file, compose_text, named_file
from matcue.routine.yamlschema import (
    Abort,
    Context,
    Converter,
    Fail,
    LoadBudget,
    boolean,
    choice,
    describe,
    did_you_mean,
    each,
    fields,
    flatten,
    indexed,
    integer,
    is_merge,
    keyed,
    label,
    level,
    leveled,
    pairs,
    plain,
    scalar,
    text,
)

MAX_INCLUDE_DEPTH = 16
MAX_STEPS = 5000  # steps after includes (and YAML aliases) are expanded, sections counted
MAX_NESTING = 32  # sections inside sections
MAX_INCLUDED_FILES = 500  # include files read while loading one routine


def _kind_of(ctx: Context, node: MappingNode, where: str) -> StepKind:
    flatten(ctx, node, where)
    keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
    kinds = [k for k in keys if k in STEP_TABLE]
    if len(kinds) > 1:  # `pause` is also a key of `say`: there it is not a second kind
        kinds = [k for k in kinds if not any(k in STEP_TABLE[o].table for o in kinds if o != k)] or kinds
    if len(kinds) > 1:
        raise ctx.error(
            node,
            where,
            f"a step has exactly one kind, got {' and '.join(repr(k) for k in kinds)}",
            "split it into two steps",
        )
    if not kinds:
        known = {k for kind in STEP_TABLE.values() for k in kind.table}
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.value not in known:
                hint = did_you_mean(key.value, STEP_KINDS)
                raise ctx.error(
                    key,
                    f"{where}.{key.value}",
                    f"unknown step kind {key.value!r}",
                    hint or "step kinds are " + ", ".join(STEP_KINDS),
                )
        raise ctx.error(node, where, "a step needs one kind key: " + ", ".join(STEP_KINDS))
    return STEP_TABLE[kinds[0]]


def _steps(ctx: Context, node: Node, where: str) -> list[Step]:
    if not isinstance(node, SequenceNode):
        raise ctx.error(node, where, f"expected a list of steps, got {describe(node)}")
    return [step for made in each(ctx, indexed(node, where), lambda n, w: _step(ctx, n, w)) for step in made]


def _step(ctx: Context, node: Node, where: str) -> list[Step]:
    """One step (an include: the steps of its file), read by its kind's row of STEP_TABLE."""
    if not isinstance(node, MappingNode):
        if isinstance(node, ScalarNode) and node.value.strip() in STEP_KINDS:
            raise ctx.error(
                node, where, f"step {node.value.strip()!r} has no value", f"write '{node.value.strip()}: ...'"
            )
        raise ctx.error(node, where, f"expected a step like '- say: ...', got {describe(node)}")
    kind = _kind_of(ctx, node, where)
    if kind.name != "include":
        ctx.budget.steps += 1
        if ctx.budget.steps > MAX_STEPS:
            ctx.abort(
                node,
                where,
                f"the routine has more than {MAX_STEPS} steps (counting included files and YAML aliases)",
                "split it into several routines",
            )
    try:
        f = fields(ctx, node, where, kind.table, kind.required)
    except Fail:
        if kind.name == "section":  # its steps' problems too, not only its own (a bad name hid them)
            inner = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == "steps"), None)
            if inner is not None:
                try:
                    _section_steps(ctx, node, where, inner)
                except Fail:
                    pass
        raise
    base: dict[str, Any] = dict(mark=ctx.mark(node), where=where, levels=f.get("levels"))
    if kind.name == "include":
        return _include(ctx, f["include"], f"{where}.include", base["levels"])
    if kind.name == "section":
        f["steps"] = _section_steps(ctx, node, where, f["steps"])
    problem = kind.rule(f) if kind.rule is not None else None
    if problem is not None:
        raise ctx.error(node, where, problem)
    return [kind.make(base, f)]


def _section_steps(ctx: Context, node: Node, where: str, steps_node: Node) -> tuple[Step, ...]:
    if ctx.depth >= MAX_NESTING:
        raise ctx.error(
            node, where, f"sections nest deeper than {MAX_NESTING}", "a YAML alias may refer to its own section"
        )
    ctx.depth += 1
    try:
        steps = _steps(ctx, steps_node, f"{where}.steps")
    finally:
        ctx.depth -= 1
    if not steps:
        raise ctx.error(steps_node, f"{where}.steps", "a section needs at least one step")
    return tuple(steps)


def _include(ctx: Context, node: Node, where: str, levels: tuple[str, ...] | None) -> list[Step]:
    raw = scalar(ctx, node, where, "a path to a routine file")
    target = named_file(ctx, node, where, raw.strip(), "included file", "a routine file")
    real = real_path(target)
    budget = ctx.budget
    if real in ctx.stack:
        chain = " -> ".join([*(shown_folder(p) for p in ctx.stack[ctx.stack.index(real) :]), shown_folder(real)])
        raise ctx.error(node, where, f"include cycle: {chain}")
    if len(ctx.stack) > MAX_INCLUDE_DEPTH:
        raise ctx.error(node, where, f"includes nest deeper than {MAX_INCLUDE_DEPTH} files")
    budget.files += 1
    budget.included.append(real)
    if budget.files > MAX_INCLUDED_FILES:
        ctx.abort(node, where, f"more than {MAX_INCLUDED_FILES} included files are read for this routine")
    _check_read(ctx, node, where, target)
    inner = Context(str(target), ctx.problems, (*ctx.stack, real), budget, ctx.depth)
    root = compose_file(inner, target)
    if root is None:
        raise Fail()
    if isinstance(root, SequenceNode):
        if not any(isinstance(item, MappingNode) and _has_kind(item) for item in root.value):
            raise inner.error(root, "", "expected a routine (a mapping with 'steps') or a list of steps, got a list "
                              "without steps")  # fmt: skip
        steps = _steps(inner, root, "steps")
    else:
        f = fields(
            inner, root, "", ROUTINE_KEYS, ("steps",), what="a routine (a mapping with 'steps') or a list of steps"
        )
        steps = f["steps"]
        if isinstance(root, MappingNode):
            _refuse_included_settings(inner, root)
    if levels is not None:
        steps = [_restrict(s, levels) for s in steps]
    return steps


def _check_read(ctx: Context, node: Node, where: str, target: Path) -> None:
    """Stop before reading an include that would pass the command's bytes_read limit."""
    work = ctx.budget.work
    try:
        size = target.stat().st_size
    except OSError:
        return
    if work.bytes_read + size > work.limits.bytes_read:
        ctx.abort(
            node,
            where,
            f"including {quoted(target)} makes {work.bytes_read + size} bytes read by one command; "
            f"{budget.allows('bytes_read', work.limits)}",
            "include fewer or smaller files",
        )


# Settings of an included routine that would change how its steps sound: an include gives
# only its steps, so these are refused rather than silently ignored (docs/routines.md).
INCLUDE_REFUSED = ("breath", "countdown", "tones", "vars", "lexicon")
_STEP_SETTINGS = ("breath", "countdown", "tones")  # a step may set these itself


def _refuse_included_settings(ctx: Context, root: MappingNode) -> None:
    for key, _ in root.value:
        if isinstance(key, ScalarNode) and key.value in INCLUDE_REFUSED:
            ctx.error(
                key, key.value,
                f"an included file gives only its steps, so its '{key.value}' would be ignored",
                f"set '{key.value}' in the including routine"
                + (", or on the steps themselves" if key.value in _STEP_SETTINGS else ""),
            )  # fmt: skip


def _has_kind(node: MappingNode) -> bool:
    return any(isinstance(k, ScalarNode) and (k.value in STEP_KINDS or is_merge(k)) for k, _ in node.value)


def _restrict(step: Step, levels: tuple[str, ...]) -> Step:
    own = step.levels
    merged = tuple(lv for lv in LEVELS if lv in levels and (own is None or lv in own))
    return replace(step, levels=merged)


# ----------------------------------------------------------------------------- routine


def variables(ctx: Context, node: Node, where: str) -> tuple[tuple[str, Text], ...]:
    if not isinstance(node, MappingNode):
        raise ctx.error(node, where, f"expected a mapping of names to text, got {describe(node)}")
    return tuple(keyed(ctx, node, where, _bad_variable, text))


def _bad_variable(key: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"variable names are letters, digits and '_', got {key!r}", ""
    if key in ("side", "other_side"):
        return f"{{{key}}} is set by sided steps and cannot be a variable", ""
    return None


def lexicon(ctx: Context, node: Node, where: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``lexicon: {word: respelling}`` or ``{word: {say: ..., espeak-ng: "[[...]]"}}``."""
    if not isinstance(node, MappingNode):
        raise ctx.error(
            node, where, f"expected a mapping of words to respellings, got {describe(node)}",
            "like {Sirsasana: sheer-shah-sah-nah}",
        )  # fmt: skip
    out = []
    failed = False
    for key, value in pairs(ctx, node, where):
        here = f"{where}.{key.value}"
        if not re.search(r"\w", key.value):
            ctx.error(key, here, f"a lexicon key must be a word or phrase, got {key.value!r}")
            failed = True
            continue
        try:
            _lexicon_chars(ctx, key, here)  # "\e[31m" as a YAML escape: the project lexicon's rule
            if isinstance(value, MappingNode):
                from matcue.voice.registry import backend_names

                known = ("say", *backend_names())
                forms = []
                for k, v in pairs(ctx, value, here):
                    if k.value not in known:
                        raise ctx.error(
                            k, f"{here}.{k.value}", f"unknown voice backend {k.value!r} in a lexicon entry",
                            did_you_mean(k.value, known) or "keys are 'say' or a backend: " + ", ".join(known[1:]),
                        )  # fmt: skip
                    _lexicon_chars(ctx, v, f"{here}.{k.value}", k.value)
                    forms.append(("" if k.value == "say" else k.value, plain(ctx, v, f"{here}.{k.value}")))
                if not forms:
                    raise ctx.error(value, here, "expected a respelling or a mapping like {say: ..., espeak-ng: ...}")
            else:
                value_text = scalar(ctx, value, here, "a respelling")
                if not value_text.strip():
                    raise ctx.error(value, here, "expected a respelling, got an empty string")
                _lexicon_chars(ctx, value, here, "say")
                forms = [("", " ".join(value_text.split()))]
            out.append((" ".join(key.value.split()), tuple(forms)))
        except Fail:
            failed = True
    if failed:
        raise Fail()
    return tuple(out)


def _lexicon_chars(ctx: Context, node: Node, where: str, backend: str | None = None) -> None:
    """A lexicon word or respelling (for ``backend``) is one a project lexicon takes
    (:func:`matcue.voice.lexicon.text_problem`: no number as a word): one rule for both."""
    from matcue.voice.lexicon import text_problem

    problem = text_problem(node.value, backend) if isinstance(node, ScalarNode) else None
    if problem is not None:
        raise ctx.error(node, where, problem)


def backend(ctx: Context, node: Node, where: str) -> str:
    """A voice backend's name: ``auto`` or one the registry knows (plugins included)."""
    from matcue.voice.registry import AUTO, backend_names

    name = plain(ctx, node, where)
    known = [AUTO, *(n for n in backend_names() if n != "fake")]
    if name != AUTO and name not in backend_names():
        hint = did_you_mean(name, known) or "backends: " + ", ".join(known)
        raise ctx.error(node, where, f"unknown voice backend {shown(name)}", hint)
    return name


VOICE_KEYS = {"backend": backend, "name": plain, "rate": integer(60, 500)}


def voice_settings(ctx: Context, node: Node, where: str) -> VoiceSettings:
    f = fields(ctx, node, where, VOICE_KEYS, what="voice settings like {backend: auto, rate: 150}")
    name_mark, backend_mark = _value_mark(ctx, node, "name"), _value_mark(ctx, node, "backend")
    return VoiceSettings(
        backend=f.get("backend"), name=f.get("name"), rate=f.get("rate"), name_mark=name_mark, backend_mark=backend_mark
    )


def cover_file(ctx: Context, node: Node, where: str) -> str:
    """``cover: PATH``: an image file (JPEG or PNG), relative to the routine file."""
    from matcue.core.media import CoverError, read_cover

    raw = scalar(ctx, node, where, "a path to an image file").strip()
    target = named_file(ctx, node, where, raw, "cover image", "an image file")
    try:
        read_cover(target)
    except CoverError as e:
        hint = e.hint or "a JPEG or PNG file, relative to the routine"
        raise ctx.error(node, where, f"cover image {quoted(target)}: {e}", hint) from None
    return str(target)


def music_file(ctx: Context, node: Node, where: str) -> str:
    """``music: PATH``: an audio file looped under the session, relative to the routine file,
    inside the routine's folder (unless --allow-outside), that ffmpeg can decode."""
    from matcue.core.media import MusicError, probe_music

    raw = scalar(ctx, node, where, "a path to an audio file")
    target = named_file(ctx, node, where, raw.strip(), "music file", "an audio file")
    try:
        probe_music(target)
    except MusicError as e:
        raise ctx.error(node, where, f"music file {quoted(target)} {e}", e.hint) from None
    return str(target)


def language_tag(ctx: Context, node: Node, where: str) -> str:
    """``language:`` as BCP 47 writes it (``" DE_at "`` -> ``"de-AT"``): it reaches the page's
    ``lang``, the feed, the captions and the tags as written here."""
    raw = scalar(ctx, node, where, "a language code like 'en' or 'de-AT'")
    if len(raw.strip()) > MAX_TAG_CHARS:  # no language tag is this long; not a text to split
        raise ctx.error(
            node, where, f"expected a language code like 'en' or 'de-AT', got {shown(raw.strip())}",
            "supported: " + ", ".join(LANGUAGE_CODES),
        )  # fmt: skip
    return canonical_tag(plain(ctx, node, where))


MAX_TAG_CHARS = 35  # the longest language tag RFC 5646 asks every program to take
RECORDINGS_HINT = "a folder of clips named by their ids ('matcue cues' lists them), relative to the routine"


def recordings_source(ctx: Context, node: Node, where: str) -> str:
    """``recordings: PATH``: a folder (or a .zip) of the teacher's recorded cues, relative to
    the routine file, inside the routine's folder (unless --allow-outside); its clips are
    matched and read when the routine renders (:mod:`matcue.voice.recordings`)."""
    from matcue.core.paths import Unreadable, confine, not_found, other_form_hint, outside_hint

    raw = scalar(ctx, node, where, "a path to a folder of recordings").strip()
    problem = bad_path(node, raw, "a folder of recordings")
    if problem:
        raise ctx.error(node, where, problem)
    budget = ctx.budget
    target = ctx.base_folder / raw
    try:
        confine(raw, ctx.base_folder, budget.root_dir, allow_outside=budget.allow_outside)
    except Unreadable:
        raise ctx.error(
            node, where, f"recordings {shown(str(target))} {not_found('routine', budget.root_dir)}", outside_hint()
        ) from None
    try:  # os.stat, not Path.is_dir: a name too long for the system raises there (exit 3)
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise ctx.error(
            node, where, f"recordings {shown(str(target))} {not_found('routine', budget.root_dir)}",
            other_form_hint(target, budget.root_dir) or RECORDINGS_HINT,
        ) from None  # fmt: skip
    except OSError as e:
        raise ctx.error(node, where, f"recordings {shown(str(target))} cannot be read: {e.strerror or e}") from None
    if stat.S_ISDIR(mode) or (stat.S_ISREG(mode) and target.suffix.lower() == ".zip"):
        return str(target)
    raise ctx.error(node, where, f"recordings {shown(str(target))} is not a folder or a .zip of recordings")


def nonempty_steps(ctx: Context, node: Node, where: str) -> list[Step]:
    steps = _steps(ctx, node, where)
    if not steps:
        raise ctx.error(node, where, "the routine has no steps")
    return steps


ROUTINE_KEYS: dict[str, Converter] = {
    "title": label,
    "cover": cover_file,
    "music": music_file,
    "recordings": recordings_source,
    "description": label,
    "author": label,
    "collection": label,
    "language": language_tag,
    "level": level,
    "first_side": choice(("right", "left")),
    "voice": voice_settings,
    "breath": leveled(breath),
    "tones": leveled(boolean),
    "countdown": leveled(integer(0, 60)),
    "vars": variables,
    "lexicon": lexicon,
    "steps": nonempty_steps,
}


def _value_mark(ctx: Context, node: Node, key: str) -> Mark | None:
    """Where the value of ``key`` is written in the mapping ``node`` (None: not written)."""
    if not isinstance(node, MappingNode):
        return None
    return next((ctx.mark(v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def _build(ctx: Context, root: Node) -> Routine:
    f = fields(ctx, root, "", ROUTINE_KEYS, ("title", "steps"), what="a routine (a mapping with 'title' and 'steps')")
    steps = f["steps"]
    voice = f.get("voice", VoiceSettings())
    return Routine(
        title=f["title"],
        steps=tuple(steps),
        path=ctx.path,
        description=f.get("description"),
        author=f.get("author"),
        collection=f.get("collection"),
        language=f.get("language", "en"),
        level=f.get("level"),
        first_side=f.get("first_side", "right"),
        voice=voice,
        breath=f.get("breath"),
        tones=f.get("tones", True),
        countdown=f.get("countdown", 3),
        vars=f.get("vars", ()),
        lexicon=f.get("lexicon", ()),
        mark=ctx.mark(root),
        cover=f.get("cover"),
        music=f.get("music"),
        recordings=f.get("recordings"),
        recordings_mark=_value_mark(ctx, root, "recordings"),
        language_mark=_value_mark(ctx, root, "language"),
    )


def load_routine(path: str | os.PathLike[str], *, allow_outside: bool = False, given: tuple[str, ...] = ()) -> Routine:
    """Load and validate a routine file. Raises RoutineError with every problem found.

    Includes may not leave the routine's folder (symbolic links resolved) unless
    ``allow_outside``. ``given``: the file keys the command line gives
    (:meth:`matcue.settings.Settings.given`), not read from the routine (flags win).
    """
    p = Path(path)
    problems: list[Problem] = []
    real = real_path(p)
    ctx = Context(str(path), problems, (real,), LoadBudget(os.path.dirname(real), allow_outside, given))
    root = compose_file(ctx, p)
    return _finish(ctx, root)


def loads_routine(text: str, name: str = "<string>", *, allow_outside: bool = False) -> Routine:
    """Load a routine from a string; ``name`` is the path shown in errors and used for includes."""
    problems: list[Problem] = []
    real = real_path(name)
    ctx = Context(name, problems, (real,), LoadBudget(os.path.dirname(real), allow_outside))
    root = compose_text(ctx, text)
    return _finish(ctx, root)


def _finish(ctx: Context, root: Node | None) -> Routine:
    routine = None
    if root is not None:
        try:
            routine = _build(ctx, root)
        except (Fail, Abort):
            pass
    if ctx.problems or routine is None:
        raise RoutineError(ctx.problems)
    return replace(routine, included=tuple(dict.fromkeys(ctx.budget.included)))
