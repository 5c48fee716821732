"""Reading YAML files into nodes: bounded, decoded, composed, and confined.

:func:`compose_file` and :func:`compose_text` turn a file (or a string) into a YAML node
tree with marks (``yaml.compose``, never Python values), counting every value against the
load's limits and turning every failure (not UTF-8, a binary file, a YAML syntax error, a
character YAML does not allow, a lone surrogate written as an escape) into a located problem on the :class:`Context`.
:func:`named_file` resolves a file a document names (``include:``, ``cover:``, a roster's
entry) through the one confinement rule (:func:`matcue.core.paths.confine`).
"""

from __future__ import annotations

import bisect
import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from matcue.core import limits as budget
from matcue.core.errors import MAX_PROBLEMS, Mark, Problem, RoutineError, shown
from matcue.core.text import (
    file_text,
    mend_surrogates,
    nodes,
    place,
    refused_characters,
    scalars,
    yaml_refused,
)
from matcue.routine.yamlschema import Context, describe

MAX_FILE_BYTES = 5_000_000


def compose_file(ctx: Context, path: Path, what: str = "a routine file") -> Node | None:
    """Read (a regular file, at most MAX_FILE_BYTES) and compose one YAML file; record a
    located problem and return None on failure."""
    from matcue.core.paths import Unreadable, read_bounded, size_text

    try:
        data = read_bounded(path, MAX_FILE_BYTES, what)
    except Unreadable as e:
        if e.missing:
            ctx.problems.append(Problem(None, ctx.path, "no such file"))
        elif e.size is not None:
            ctx.problems.append(
                Problem(
                    Mark(ctx.path, 1, 1),
                    "",
                    f"the file is {size_text(e.size)}; a {file_kind(what)} may be at most {size_text(MAX_FILE_BYTES)}",
                )
            )
        else:
            ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", str(e)))
        return None
    return compose_text(ctx, data, what)


def file_kind(what: str) -> str:
    """``"a profile file"`` -> ``"profile"``: the kind of file messages name."""
    return what.removeprefix("a ").removesuffix(" file")


_EMPTY_HINTS = {"routine": "it needs a 'title' and 'steps'", "profile": "it needs a 'name'"}


def _decode(ctx: Context, data: bytes, what: str = "a routine file") -> str | None:
    """The text of a file (:func:`matcue.core.text.file_text`); None with a located problem
    when it is none (a binary file is said to be not ``what``: a routine, a profile, a roster)."""
    text, problem = file_text(data, what.removesuffix(" file"))
    if problem is not None:
        ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", *problem))
    return text


def _text_mark(path: str, text: str, pos: int) -> Mark:
    """The line and column of character ``pos`` of ``text``, counted as YAML counts them."""
    return Mark(path, *place(text, pos))


def compose_text(ctx: Context, data: bytes | str, what: str = "a routine file") -> Node | None:
    if isinstance(data, bytes):
        try:
            ctx.budget.work.read(len(data), Mark(ctx.path, 1, 1))
        except RoutineError as e:
            ctx.problems.extend(e.problems)
            return None
        decoded = _decode(ctx, data, what)
        if decoded is None:
            return None
        text = decoded.removeprefix("\ufeff")
        text, bad = _refuse_characters(ctx, text, what, from_bytes=True)
    else:
        text = data.removeprefix("\ufeff")
        if len(text) > MAX_FILE_BYTES:
            ctx.problems.append(
                Problem(Mark(ctx.path, 1, 1), "", f"the text is longer than {MAX_FILE_BYTES} characters")
            )
            return None
        text, bad = _refuse_characters(ctx, text, what, from_bytes=False)
    try:
        root = _compose_bounded(ctx, text)
    except _TooManyValues as e:
        noun = file_kind(what)
        if e.limit == "yaml_values_read":  # the command's budget, as bytes_read is
            ctx.problems.append(Problem(Mark(ctx.path, e.line, e.column), "", e.what, "give fewer or smaller files"))
            return None
        more = f"than one {noun} may have, with its includes" if noun == "routine" else f"than one {noun} may have"
        ctx.problems.append(
            Problem(Mark(ctx.path, e.line, e.column), "", e.what.format(more=more), f"split it into smaller {noun}s")
        )
        return None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(str(e.problem or "invalid YAML").split())
        context = " ".join(str(e.context or "").split())
        start = e.context_mark
        hint = ""
        if "\t" in text and ("tab" in what or "found character" in what):
            hint = "indent with spaces, not tabs"
        elif "end of stream" in what and start is not None and context:
            # point at what was opened and never closed, not at the end of the file
            mark = start
            inside = context.removeprefix("while scanning ").removeprefix("while parsing ").replace("scalar", "text")
            what = f"the file ends inside {inside} that starts here"
            hint = "close the quote or bracket"
        elif (
            "mapping values are not allowed here" in what
            and mark is not None
            and (key_at := _long_key(text, mark.index)) is not None
        ):
            what = f"a key is longer than {MAX_KEY_CHARS} characters, the most YAML allows"
            hint = "shorten the key"
            at = _text_mark(ctx.path, text, key_at)  # where the key starts, not its colon
            ctx.problems.append(Problem(at, "", f"YAML syntax error: {what}", hint))
            return None
        elif "mapping values are not allowed here" in what:
            hint = "check this line's indentation, or quote a text that contains ': '"
        elif (
            context
            and start is not None
            and mark is not None
            and (start.line, start.column)
            != (
                mark.line,
                mark.column,
            )
        ):
            hint = f"{context} that starts at {start.line + 1}:{start.column + 1}"
        elif context:
            hint = context
        loc = Mark(ctx.path, mark.line + 1, mark.column + 1) if mark else None
        ctx.problems.append(Problem(loc, "", f"YAML syntax error: {what}", hint))
        return None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow: say where it is
        char = yaml_refused(e.character)
        noun = file_kind(what)
        ctx.problems.append(
            Problem(_text_mark(ctx.path, text, e.position), "", f"the character {char} cannot be in a {noun}",
                    f"a {noun} is plain text: delete it")
        )  # fmt: skip
        return None
    except yaml.YAMLError as e:
        ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", f"YAML syntax error: {e}"))
        return None
    except RecursionError:
        ctx.problems.append(
            Problem(Mark(ctx.path, 1, 1), "", "the YAML nests too deeply", "nest lists and mappings less deeply")
        )
        return None
    if root is None:
        noun = file_kind(what)
        ctx.problems.append(Problem(Mark(ctx.path, 1, 1), "", f"the {noun} is empty", _EMPTY_HINTS.get(noun, "")))
        return None
    _spoil(ctx, root, bad)
    _refuse_tags(ctx, root, file_kind(what))
    return root


_PLAIN = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_PLAIN + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge", "timestamp", "value")}


def _refuse_tags(ctx: Context, root: Node, noun: str) -> None:
    """Report every YAML tag other than the plain ones (``!include``, ``!!binary``,
    ``!!python/object:...``, ``!!set``) where it is: nothing reads them, so the value would
    be taken without its tag, as some other thing than the writer meant. The value and all
    it holds are spoiled: its problem is said once."""
    for node, where in nodes(root):
        if node.tag in _PLAIN_TAGS:
            continue
        tag = "!!" + node.tag.removeprefix(_PLAIN) if node.tag.startswith(_PLAIN) else node.tag
        hint = "an include is the step '- include: FILE'" if tag == "!include" else "delete the tag"
        what = f"the YAML tag {shown(tag)} is not read: a {noun} holds plain text, numbers, lists and mappings"
        ctx.problems.append(Problem(ctx.mark(node), where, what, hint))
        ctx.budget.spoiled.update(m for inner, _ in nodes(node) if (m := ctx.mark(inner)) is not None)
        if len(ctx.problems) >= MAX_PROBLEMS:
            break


def _refuse_characters(ctx: Context, text: str, what: str, from_bytes: bool) -> tuple[str, list[int]]:
    """``text`` with every character YAML refuses (a control character, a byte that is not
    UTF-8, a noncharacter) reported where it is and replaced by U+FFFD, so the rest of the
    file is still read and its problems reported too; and the places replaced: the one
    rule, :func:`matcue.core.text.refused_characters`."""
    text, bad, problems = refused_characters(text, from_bytes, f"a {file_kind(what)}")
    for pos, problem, hint in problems[: max(0, MAX_PROBLEMS - len(ctx.problems))]:
        ctx.problems.append(Problem(_text_mark(ctx.path, text, pos), "", problem, hint))
    return text, bad


def _spoil(ctx: Context, root: Node, bad: list[int]) -> None:
    """Report a lone surrogate a YAML escape wrote (``"\\ud800"``) in any key or value, and
    mend it: none reaches a message, a path or an output. A value that held one, or a
    character :func:`_refuse_characters` replaced, is *spoiled*: its problem is said once."""
    halves = {id(node): (where, what, hint) for node, where, what, hint in mend_surrogates(root)}
    for node, _ in scalars(root):
        if id(node) in halves:
            where, what, hint = halves[id(node)]
            ctx.problems.append(Problem(ctx.mark(node), where, what, hint))
        elif not bad or not _covers(bad, node.start_mark.index, node.end_mark.index):
            continue
        mark = ctx.mark(node)
        if mark is not None:
            ctx.budget.spoiled.add(mark)


def _covers(positions: list[int], start: int, end: int) -> bool:
    """Whether a sorted list of positions holds one in ``[start, end)``."""
    i = bisect.bisect_left(positions, start)
    return i < len(positions) and positions[i] < end


MAX_KEY_CHARS = 1024  # PyYAML's limit for a key written without '?'


def _long_key(text: str, colon: int) -> int | None:
    """Where the key ends by the ``:`` at ``colon`` starts, when it is longer than YAML
    allows (PyYAML then says "mapping values are not allowed here", which reads as an
    indentation mistake); else None."""
    start = max(text.rfind(c, 0, colon) for c in "\n{,[") + 1
    line = text[start:colon]
    key = line.strip().removeprefix("- ").strip()
    if len(key) <= MAX_KEY_CHARS:
        return None
    return start + line.index(key)


class _TooManyValues(Exception):
    def __init__(self, mark: Any, limits: budget.Limits, limit: str) -> None:
        self.line: int = mark.line + 1 if mark is not None else 1
        self.column: int = mark.column + 1 if mark is not None else 1
        self.limit = limit
        if limit == "yaml_values":
            self.what = f"the file has more YAML values {{more}}; {budget.allows(limit, limits)}"
        else:
            self.what = (
                f"reading this file makes more than {limits.yaml_values_read} YAML values composed by one "
                f"command (every routine, include, profile and roster file counted); {budget.allows(limit, limits)}"
            )


class _CountingLoader(yaml.SafeLoader):
    """The pure-Python composer (marks and messages as always), stopping at the limit, and
    keeping where each alias that is an item of a list is written (:func:`alias_at`)."""

    count_left = 0
    limits = budget.LIMITS
    limit = "yaml_values"
    path: str  # these two are set by _compose_bounded
    aliases: dict[tuple[int, int], tuple[Node, Mark, str]]

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.count_left -= 1
        if self.count_left < 0:
            raise _TooManyValues(self.peek_event().start_mark, self.limits, self.limit)
        if isinstance(parent, yaml.SequenceNode) and self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            at = Mark(self.path, event.start_mark.line + 1, event.start_mark.column + 1)
            self.aliases[(id(parent), index)] = (parent, at, f"*{event.anchor}")
        return super().compose_node(parent, index)


def alias_at(ctx: Context, parent: Node, index: int) -> tuple[Mark, str] | None:
    """Where the alias that is item ``index`` of the list ``parent`` is written, and the
    alias (``'*a'``); None when that item is written out. PyYAML gives an alias the node of
    its anchor, whose place is the anchor's."""
    found = ctx.budget.aliases.get((id(parent), index))
    return (found[1], found[2]) if found is not None and found[0] is parent else None


def _compose_bounded(ctx: Context, text: str) -> Node | None:
    """``yaml.compose`` that counts every value against the load's yaml_values limit and the
    command's yaml_values_read (every file each time it is read: a roster of a thousand
    profiles of thousands of values each took minutes), so a 5 MB flow list is refused after
    the limit's worth of values, not composed whole. The fast C parser (when PyYAML has it)
    counts first, so the refusal costs about a second."""
    b = ctx.budget
    limits = b.work.limits
    in_file = limits.yaml_values - b.composed
    in_command = limits.yaml_values_read - b.work.yaml_values
    left = min(in_file, in_command)
    limit = "yaml_values" if in_file <= in_command else "yaml_values_read"
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        n = 0
        try:
            for event in yaml.parse(text, Loader=fast):
                if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)):
                    n += 1
                    if n > left:
                        raise _TooManyValues(event.start_mark, limits, limit)
        except yaml.YAMLError:
            pass  # the composer below reports it, with its own wording
    loader = _CountingLoader(text)
    loader.count_left, loader.limits, loader.limit = left, limits, limit
    loader.path, loader.aliases = ctx.path, b.aliases
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
        used = left - max(loader.count_left, 0)
        b.composed += used
        b.work.yaml_values += used
    return root


def bad_path(node: Node, raw: str, what: str) -> str:
    """'' when ``raw`` can name a file; else what is wrong, for a problem: "expected a path
    to a profile file, got an empty name" (an empty name would be the folder itself)."""
    if not raw.strip():
        return f"expected a path to {what}, got an empty name"
    if "\0" in raw:
        return f"expected a path to {what}, got {describe(node)}"
    if _WEB_ADDRESS.match(raw.strip()):  # as a path it would read as a folder 'http:' (and '//' as '/')
        address = shown(raw.strip())
        return f"expected a path to {what}, got a web address {address}: nothing is downloaded (save it, give its path)"
    return ""


_WEB_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


def named_file(ctx: Context, node: Node, where: str, raw: str, kind: str, what: str, owner: str = "routine") -> Path:
    """The file a routine names (``include:``, ``cover:``, ``music:``), relative to the
    routine that names it: confined to the top routine's folder (:func:`matcue.core.paths.confine`)
    and a regular file. Otherwise a located problem; a path outside the folder reads
    exactly like a missing one."""
    from matcue.core.paths import Unreadable, confine, not_found, open_regular, outside_hint, quoted

    problem = bad_path(node, raw, what)
    if problem:
        raise ctx.error(node, where, problem)
    if raw.strip().endswith("/"):  # a folder's name: the system would refuse it, pathlib drops the '/'
        name = shown(raw.strip().rstrip("/"))
        raise ctx.error(node, where, f"expected a path to {what}, got {shown(raw)}, a folder's name (write {name})")
    budget = ctx.budget
    target = ctx.base_folder / raw
    try:
        confine(raw, ctx.base_folder, budget.root_dir, allow_outside=budget.allow_outside, owner=owner)
        os.close(open_regular(target, what))
    except Unreadable as e:
        if e.missing and not budget.allow_outside:
            raise ctx.error(
                node,
                where,
                f"{kind} {quoted(target)} {not_found(owner, budget.root_dir)}",
                outside_hint(owner, raw, ctx.base_folder, budget.root_dir),
            ) from None
        raise ctx.error(node, where, f"{kind} {quoted(target)} {e}") from None
    return target
