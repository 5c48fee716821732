"""The packages are layers: each imports only from itself and the layers before it
(docs/architecture.md), and no module imports itself back through others.

Imports are read from the source (module level and inside functions alike); imports under
``if TYPE_CHECKING:`` are names for annotations only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "matcue"

# bottom first; a module may import from its own layer and the layers before it
LAYERS = (
    "core",
    "languages",
    "voice",
    "routine",
    "plan",
    "audio",
    "share",
    "settings",
    "api",
    "preview",
    "batch",
    "pack",
    "cues",
    "schema",
    "cli",
    "__main__",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_only(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> set[str]:
    """The matcue modules ``path`` imports (a ``from pkg import name`` that names a
    module counts as that module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            for sub in node.body:
                for n in ast.walk(sub):
                    skip.add(id(n))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("matcue")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("matcue"):
            assert node.level == 0, f"{path}: relative import"
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if (SRC.parent / (sub.replace(".", "/") + ".py")).exists() else node.module)
    return found


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}
GRAPH = {m: {i for i in imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_every_package_has_a_layer() -> None:
    assert {layer_of(m) for m in MODULES} - {"__init__"} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    mine = layer_of(module)
    if mine == "__init__":
        return
    rank = LAYERS.index(mine)
    upward = sorted(i for i in GRAPH[module] if layer_of(i) != "__init__" and LAYERS.index(layer_of(i)) > rank)
    assert upward == [], f"{module} ({mine}) imports from a later layer"


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if n.rsplit(".", 1)[0] == m:  # a package importing its own module
                continue
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n) :] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert cycles == []


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    """The reader above finds module-level, in-function and from-package imports, and
    leaves out TYPE_CHECKING ones (else the layer test could pass by seeing nothing)."""
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\nimport matcue.core.errors\nfrom matcue.audio import render\n"
        "def f():\n    from matcue.plan.layout import layout\n"
        "if TYPE_CHECKING:\n    from matcue.cli.main import main\n"
    )
    assert imports(src) == {"matcue.core.errors", "matcue.audio.render", "matcue.plan.layout"}
    assert GRAPH["matcue.api"] & {"matcue.plan.layout", "matcue.routine.loader"}


def test_every_string_reference_resolves() -> None:
    """Names written as strings (the voice registry's lazy factories, the CLI's parsers)
    point at what exists after any move: a class of the voice interface, a function."""
    import importlib

    from matcue.voice.base import VoiceBackend
    from matcue.voice.registry import BACKENDS

    lazy = {name: f for name, f in BACKENDS.items() if isinstance(f, str)}
    assert len(lazy) >= 8
    for name, target in lazy.items():
        module, _, attr = target.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        assert isinstance(cls, type), name
        for member in ("name", *(m for m in vars(VoiceBackend) if m in ("available", "voices", "synthesize"))):
            assert hasattr(cls, member), f"{name}: {target} has no {member}"

    cli_src = (SRC / "cli").rglob("*.py")
    import re

    parsers = {m for p in cli_src for m in re.findall(r'_click_parser\("([\w.:]+)"\)', p.read_text())}
    assert len(parsers) >= 3
    for target in parsers:
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), target


MAX_PARAMETERS = 8  # self and cls not counted
MAX_LINES = 500


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = fn.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs) if x.arg not in ("self", "cls")]
    return names + (["*" + a.vararg.arg] if a.vararg else []) + (["**" + a.kwarg.arg] if a.kwarg else [])


def test_no_function_takes_more_than_eight_parameters() -> None:
    """Options travel as settings values (matcue.settings), not as long keyword lists."""
    wide = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(_parameters(node)) > MAX_PARAMETERS:
                wide.append(f"{module}.{node.name}: {len(_parameters(node))}")
    assert wide == []


def test_no_module_is_over_500_lines() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


TESTS = Path(__file__).resolve().parent
# Modules tested only through another's interface: the command line's modules through the
# CLI runner (tests/test_cli.py and the rest invoke `matcue ...`), engines that need their
# program installed through the registry (tests/voice/test_voice.py), the step
# expansions through compile (tests/plan/test_layout.py and the golden scripts).
TESTED_THROUGH = {
    "matcue.__main__": "python -m matcue (tests/test_e2e.py)",
    "matcue.cli.authoring": "matcue new / schema / render --only (tests/test_authoring.py)",
    "matcue.cli.boundary": "exit codes (tests/test_cli.py)",
    "matcue.cli.common": "every command",
    "matcue.cli.options": "every command's flags (tests/test_cli.py, tests/test_settings.py)",
    "matcue.cli.pack": "matcue pack (tests/test_pack.py)",
    "matcue.cli.voices": "matcue voices (tests/voice/test_voice.py)",
    "matcue.plan.expand": "compile (tests/plan/test_layout.py, tests/test_golden.py)",
    "matcue.plan.script": "compile and layout (tests/plan/test_layout.py)",
    "matcue.audio.ambience": "--music (tests/audio/test_mix.py)",
    "matcue.voice.backends._pyttsx3_worker": "the pyttsx3 backend's subprocess",
    "matcue.voice.backends.mbrola": "the registry (tests/voice/test_voice.py)",
    "matcue.voice.backends.pico": "the registry (tests/voice/test_voice.py)",
    "matcue.voice.backends.rhvoice": "the registry (tests/voice/test_voice.py)",
}


def test_every_module_with_logic_has_tests() -> None:
    """A test module imports each module that has functions or classes, or the module is
    listed above with the interface its tests go through."""
    import re

    text = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py"))
    untested = []
    for module, path in sorted(MODULES.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in tree.body) or module in TESTED_THROUGH:
            continue
        parent, _, leaf = module.rpartition(".")
        if module not in text and not re.search(rf"from {re.escape(parent)} import [^\n]*\b{leaf}\b", text):
            untested.append(module)
    assert untested == []
    assert set(TESTED_THROUGH) <= set(MODULES)
