"""A line break in a file name never reaches a terminal raw: every command that shows a
name writes it as core.paths.path_text does (``\\x0a``), so a file named
``x\\nFORGED ...`` cannot print a line that reads like one of ours."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASE = "title: Base\nsteps:\n  - say: introduction\n  - say: hold it\n    pause: 2s\n"
EVIL = "a\nFORGED: ok"  # what a forged line would start with


def _setup(case: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command line of ``case``, its files made in ``tmp``."""
    (tmp / "base.yaml").write_text(BASE)
    fake = ["--backend", "fake", "--no-cover"]
    if case in ("check", "cues"):
        (tmp / f"{EVIL}.yaml").write_text(BASE)
        return [case, f"{EVIL}.yaml"]
    if case == "render --roster":
        (tmp / "class").mkdir()
        (tmp / "class" / "ann.yaml").write_text("name: Ann\n")
        (tmp / "class" / f"{EVIL}.yaml").write_text("nmae: x\n")
        return ["render", "base.yaml", *fake, "--roster", "class", "-o", "out"]
    if case in ("render -o", "pack -o"):
        return [case.split()[0], "base.yaml", *fake, "-o", EVIL]
    if case == "pack --feed-url":
        (tmp / "out").mkdir()
        (tmp / "out" / EVIL).write_text("")
        return ["pack", "base.yaml", *fake, "-o", "out", "--feed-url", "https://x.example/c/"]
    if case == "pack --feed-url, a bad manifest":
        (tmp / EVIL).mkdir()
        (tmp / EVIL / "feed.manifest.json").write_text("{not json")
        return ["pack", "base.yaml", *fake, "-o", EVIL, "--feed-url", "https://x.example/c/"]
    if case == "new -o":
        return ["new", "-o", f"{EVIL}.yaml"]
    if case == "schema --write":
        (tmp / EVIL).mkdir()
        return ["schema", "--write", "-o", EVIL]
    # doctor: a cache entry and an output leftover with line breaks in their names
    (tmp / "cache").mkdir()
    (tmp / "cache" / f"{EVIL}.npy").write_text("")
    (tmp / "out").mkdir()
    (tmp / "out" / f".{EVIL}.mp3.partial-1234abcd").write_text("")
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp / "cache"))
    return ["doctor", "-o", "out"]


CASES = [
    "check", "cues", "render --roster", "render -o", "pack -o", "pack --feed-url", "pack --feed-url, a bad manifest",
    "new -o", "schema --write", "doctor",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_no_command_prints_a_line_a_file_name_forged(run, tmp_path, monkeypatch, fake_voice, case):
    args = _setup(case, tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    r = run(*args)
    lines = (r.stdout + r.stderr).splitlines()
    assert not [line for line in lines if line.startswith("FORGED")], r.output
    assert any("a\\x0aFORGED: ok" in line for line in lines), r.output  # the name is there, escaped
    assert r.exit_code in (0, 1), r.output


def test_the_progress_line_stays_one_line(capsys):
    from matcue.cli.common import Progress

    Progress(f"{EVIL}.yaml")("speech", 1, 2)
    assert capsys.readouterr().err == "\ra\\x0aFORGED: ok.yaml: speaking cues  50%\x1b[K"
