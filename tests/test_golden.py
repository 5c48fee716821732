"""Behaviour is kept: every example routine's timed script and decoded audio, at two
levels, equal the recorded ones in tests/golden/ (``scripts/snapshot --write`` records
them again after an intended change; say why in the commit)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_loader = importlib.machinery.SourceFileLoader("snapshot", str(ROOT / "scripts" / "snapshot"))
spec = importlib.util.spec_from_loader("snapshot", _loader)
assert spec is not None and spec.loader is not None
snapshot = importlib.util.module_from_spec(spec)
sys.modules["snapshot"] = snapshot
spec.loader.exec_module(snapshot)

HASHES = json.loads((ROOT / "tests" / "golden" / "pcm-sha256.json").read_text())
CASES = [(r, lv) for r in snapshot.examples() for lv in snapshot.LEVELS]


def test_every_example_is_recorded() -> None:
    assert sorted(HASHES) == sorted(f"{r.stem}-{lv}" for r, lv in CASES)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to decode")
@pytest.mark.parametrize(("routine", "level"), CASES, ids=[f"{r.stem}-{lv}" for r, lv in CASES])
def test_script_and_audio_unchanged(routine: Path, level: str, tmp_path: Path) -> None:
    script, digest = snapshot.record(routine, level, tmp_path)
    golden = (ROOT / "tests" / "golden" / f"{routine.stem}-{level}.json").read_text(encoding="utf-8")
    assert json.loads(script) == json.loads(golden)
    assert script == golden
    assert digest == HASHES[f"{routine.stem}-{level}"]
