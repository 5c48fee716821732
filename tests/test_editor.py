"""The schema in a real editor's engine: yaml-language-server (from npm, installed by
scripts/setup-lsp), run headless over stdio and spoken to in LSP JSON-RPC."""

from __future__ import annotations

import shutil

import pytest

from lspclient import SERVER, LanguageServer
from matcue.schema import modeline, write_schemas

pytestmark = pytest.mark.skipif(
    not SERVER.exists() or shutil.which("node") is None,
    reason="yaml-language-server is not installed (scripts/setup-lsp installs it)",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("editor")
    write_schemas(path)
    return path


@pytest.fixture(scope="module")
def server(folder):
    ls = LanguageServer(folder)
    yield ls
    ls.close()


def opened(server, folder, name, body):
    """Write ``body`` (after the modeline) to ``folder/name``, open it; return its path."""
    path = folder / name
    text = f"{modeline()}\n{body}"
    path.write_text(text)
    server.open(path, text)
    return path


def test_a_misspelt_key_gets_a_diagnostic(server, folder):
    path = opened(server, folder, "typo.yaml", "title: Typo\nsteps:\n  - pose: Pigeon\n    hold: 30s\n    hodl: 30s\n")
    found = server.diagnostics(path)
    assert [(d["range"]["start"]["line"], d["message"]) for d in found] == [(5, "Property hodl is not allowed.")]


def test_hold_is_offered_inside_a_pose(server, folder):
    path = opened(server, folder, "new.yaml", "title: New\nsteps:\n  - pose: Pigeon\n    \n")
    labels = [item["label"] for item in server.completion(path, 4, 4)]
    assert "hold" in labels
    assert "sanskrit" in labels and "duration" not in labels  # a pose's keys, not a timer's


def test_a_bad_duration_gets_a_diagnostic_on_its_line(server, folder):
    path = opened(server, folder, "unit.yaml", "title: Unit\nsteps:\n  - timer: Hip circles\n    duration: 2 mins\n")
    found = server.diagnostics(path)
    assert {d["range"]["start"]["line"] for d in found} == {4}
