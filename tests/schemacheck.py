"""Validate YAML files against matcue's JSON Schema with ``jsonschema``, reporting lines.

The file is composed with ``yaml.compose`` (as the loader does), turned into JSON values,
validated, and each error's JSON path is walked back through the composed nodes to the
node's mark: the line an editor would underline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.schema import build_schema

_VALIDATORS: dict[str, jsonschema.Draft202012Validator] = {}


def validator(document: str) -> jsonschema.Draft202012Validator:
    if document not in _VALIDATORS:
        _VALIDATORS[document] = jsonschema.Draft202012Validator(build_schema(document))
    return _VALIDATORS[document]


def to_json(node: Node) -> Any:
    """A composed node as JSON values (scalars resolved by their YAML tag)."""
    if isinstance(node, MappingNode):
        return {str(k.value): to_json(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [to_json(v) for v in node.value]
    assert isinstance(node, ScalarNode)
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and ":" in node.value:
        return node.value  # YAML 1.1's base 60 (5:7 = 307) is a string in YAML 1.2, as editors read it
    return yaml.SafeLoader("").construct_object(node)


def _walk(node: Node, path: list[Any]) -> Node:
    for part in path:
        if isinstance(node, MappingNode):
            node = next(v for k, v in node.value if k.value == part)
        elif isinstance(node, SequenceNode):
            node = node.value[part]
    return node


def _key_node(node: Node, key: str) -> Node:
    assert isinstance(node, MappingNode)
    return next(k for k, _ in node.value if k.value == key)


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors of the branch of a oneOf/anyOf that the value is written as.

    A branch is left out when the value is not even of its type, or lacks the branch's
    first required key (a step's kind key): what is left is the kind the author meant.
    With exactly one such branch, its errors are the real ones; else the error itself.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    meant = []
    for i, subs in branches.items():
        schema = _resolve(error.schema[error.validator][i], error)
        kind = (schema.get("required") or [None])[0]
        here = [s for s in subs if not s.relative_path]
        if any(s.validator in ("type", "enum") for s in here):
            continue
        if kind and any(s.validator == "required" and repr(kind) in s.message for s in here):
            continue
        meant.append(subs)
    if len(meant) != 1:
        return [error]
    return [leaf for sub in meant[0] for leaf in _leaves(sub)]


def _resolve(schema: dict[str, Any], error: jsonschema.ValidationError) -> dict[str, Any]:
    while "$ref" in schema:
        schema = validator("routine").schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def problems(path: Path, document: str = "routine") -> list[tuple[int, int, str]]:
    """(line, column, message) of every schema error in the file, in file order."""
    root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    out = set()
    for error in validator(document).iter_errors(to_json(root)):
        for leaf in _leaves(error):
            node = _walk(root, list(leaf.absolute_path))
            if leaf.validator == "additionalProperties" and isinstance(node, MappingNode):
                allowed = set(leaf.schema.get("properties", {}))
                for k, _ in node.value:
                    if k.value not in allowed:
                        key = _key_node(node, k.value)
                        out.add((key.start_mark.line + 1, key.start_mark.column + 1, leaf.message))
                continue
            out.add((node.start_mark.line + 1, node.start_mark.column + 1, leaf.message))
    return sorted(out)
