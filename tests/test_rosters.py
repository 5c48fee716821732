"""Rosters as a careless user or an attacker writes them, and ``--scheduler`` addresses.

The roster corpus (``tests/data/rosters/*.yaml``, each with the problem it must give on its
first line, ``# expect: ...``) runs through ``render --roster`` and ``pack --roster``: each
problem is one located line, the same in both, the other people are rendered, and there is
never a traceback."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROSTERS = ROOT / "tests" / "data" / "rosters"
CORPUS = sorted(p for p in ROSTERS.glob("*.yaml") if p.read_text(encoding="utf-8").startswith("# expect: "))
TINY = "title: Tiny\nsteps:\n  - say: Hello and welcome.\n  - pause: 2s\n"
FAKE = ("--backend", "fake", "--workers", "1")


def _expected(roster: Path) -> str:
    first = roster.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("# expect: ").replace("{dir}", str(roster.parent.relative_to(ROOT)))


@pytest.mark.parametrize("roster", CORPUS, ids=lambda p: p.name)
def test_every_roster_of_the_corpus_is_one_located_line_in_render_and_pack(run, tmp_path, roster, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    rel = str(roster.relative_to(ROOT))
    rendered = run("render", str(routine), "--roster", rel, "-o", str(tmp_path / "r"), *FAKE)
    packed = run("pack", str(routine), "--roster", rel, "-o", str(tmp_path / "p"), *FAKE)
    for r in (rendered, packed):
        assert r.exit_code == 1, r.output
        assert "Traceback" not in r.stderr and "Unexpected error" not in r.stderr
        assert _expected(roster) in r.stderr.splitlines()
    # the people each names once are rendered, in the same file by both commands
    assert sorted(p.name for p in (tmp_path / "r").glob("*.mp3")) == sorted(
        p.name for p in (tmp_path / "p").glob("*.mp3")
    )
    assert list((tmp_path / "r").glob("*.mp3"))


def test_a_profile_file_given_twice_with_profile_is_said_to_be_given_twice(run, tmp_path, fake_voice):
    """It said "is in the roster twice (an alias repeats this entry)": there was no roster and no alias."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    (tmp_path / "anna.yaml").write_text("name: Anna\n")
    anna = str(tmp_path / "anna.yaml")
    r = run("render", str(routine), "--profile", anna, "--profile", anna, "-o", str(tmp_path / "o"), *FAKE)
    assert r.exit_code == 2  # a usage error before any track: no roster, no alias
    assert f"Error: Invalid value for '--profile': profile file '{anna}' is given twice\n" in r.stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.mp3"))


def test_a_link_to_a_profile_already_listed_is_that_profile_again(run, tmp_path, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    (tmp_path / "anna.yaml").write_text("name: Anna\n")
    (tmp_path / "link.yaml").symlink_to("anna.yaml")
    roster = tmp_path / "class.yaml"
    roster.write_text("- anna.yaml\n- name: Ben\n- link.yaml\n")
    r = run("render", str(routine), "--roster", str(roster), "-o", str(tmp_path / "o"), *FAKE)
    assert r.exit_code == 1
    assert f"{roster}:3:3: [2]: profile file 'link.yaml' is given twice (first at {roster}:1:3)\n" in r.stderr
    assert sorted(p.name for p in (tmp_path / "o").glob("*.mp3")) == ["tiny--anna.mp3", "tiny--ben.mp3"]


def test_each_alias_of_an_entry_is_said_once_at_the_alias_and_the_entrys_problem_once(run, tmp_path, fake_voice):
    """PyYAML gives an alias its anchor's node: ``- *a`` was located at the anchor, so two
    aliases printed one line twice, and a bad profile's problem once for each alias."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    (tmp_path / "anna.yaml").write_text("name: Anna\n")
    roster = tmp_path / "class.yaml"
    roster.write_text("- &a {name: A, pace: zoom}\n- &p anna.yaml\n- *a\n- *p\n-   *a\n- &m gone.yaml\n- *m\n")
    for command in ("render", "pack"):
        r = run(command, str(routine), "--roster", str(roster), "-o", str(tmp_path / command), *FAKE)
        assert r.exit_code == 1
        lines = [line for line in r.stderr.splitlines() if line.startswith(str(roster))]
        twice = "is given twice (the alias *a repeats it); give each person once"
        assert lines == [
            f"{roster}:1:22: [0].pace: expected a number from 0.8 to 1.5, got 'zoom'"
            " (1.2 makes every breath 20% longer)",
            f"{roster}:3:3: [2]: the profile at {roster}:1:3 {twice}",
            f"{roster}:4:3: [3]: profile file 'anna.yaml' is given twice (first at {roster}:2:3)",
            f"{roster}:5:5: [4]: the profile at {roster}:1:3 {twice}",
            f"{roster}:6:3: [5]: profile file '{tmp_path}/gone.yaml' was not found in the roster's folder '{tmp_path}'"
            " (a path relative to the roster file; pass --allow-outside to read files outside its folder)",
            f"{roster}:7:3: [6]: profile file 'gone.yaml' is given twice (first at {roster}:6:3)",
        ], r.stderr
        assert [p.name for p in (tmp_path / command).glob("*.mp3")] == ["tiny--anna.mp3"]


def test_an_alias_inside_an_entry_is_its_value_again_not_a_person_twice(run, tmp_path, fake_voice):
    routine = tmp_path / "tiny.yaml"
    routine.write_text("title: Tiny\nsteps:\n  - say: Hello {who}.\n  - pause: 2s\n")
    roster = tmp_path / "class.yaml"
    roster.write_text("- {name: A, vars: &v {who: you}}\n- {name: B, vars: *v}\n")
    r = run("render", str(routine), "--roster", str(roster), "-o", str(tmp_path / "o"), *FAKE)
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "o").glob("*.mp3")) == ["tiny--a.mp3", "tiny--b.mp3"]


def test_two_routines_whose_titles_slug_alike_keep_every_persons_track(run, tmp_path, fake_voice):
    """``render a.yaml b.yaml --roster``: b's tracks replaced a's, silently (exit 0)."""
    for name, words in (("a", "From a."), ("b", "From b.")):
        (tmp_path / f"{name}.yaml").write_text(f"title: Hips\nsteps:\n  - say: {words}\n  - pause: 2s\n")
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: Anna\n- name: Ben\n")
    out = tmp_path / "o"
    r = run(
        "render",
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
        "--roster",
        str(roster),
        "-o",
        str(out),
        *FAKE,
        "--captions",
        "vtt",
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.glob("*.mp3")) == [
        "hips--anna.mp3", "hips--ben.mp3", "hips-2--anna.mp3", "hips-2--ben.mp3",
    ]  # fmt: skip
    assert "From a." in (out / "hips--anna.vtt").read_text() and "From b." in (out / "hips-2--anna.vtt").read_text()
    lines = r.stdout.splitlines()[1:]
    assert [line.split()[-1].rsplit("/", 1)[-1] for line in lines] == [
        "hips--anna.mp3", "hips--ben.mp3", "hips-2--anna.mp3", "hips-2--ben.mp3",
    ]  # fmt: skip


# ----------------------------------------------------------------------------- --scheduler


@pytest.mark.parametrize(
    "address, message",
    [
        ("a..b:8786", "the host name 'a..b' has an empty label (a dot at the start, or two in a row)"),
        ("tcp://-x:8786", "the host name '-x' has a label that starts or ends with '-'"),
        ("tcp://x-:8786", "the host name 'x-' has a label that starts or ends with '-'"),
        (
            "tcp://" + "a." * 127 + "b:1",
            "the host name 'a.a.a.a.a.a.a.a.a.a.a.a.a.a ... a.a.a.a.a.a.a.a.a.a.a.a.a.b' is 255 characters long; "
            "at most 253",
        ),
        ("tcp://host:0", "expected a Dask scheduler address like tcp://host:8786, got 'tcp://host:0'"),
        (
            "inproc://x:1",
            "an inproc:// address is inside one process, which matcue cannot reach: give the scheduler's tcp:// one, "
            "got 'inproc://x:1'",
        ),
        (
            "ucx://127.0.0.1:1",
            "a ucx:// address needs distributed-ucxx installed (here and on the workers), or give a tcp:// one, "
            "got 'ucx://127.0.0.1:1'",
        ),
    ],
)
def test_a_scheduler_address_dask_would_stumble_on_is_a_usage_error(run, tmp_path, address, message):
    """Each reached Dask and came back as its own words: 'not enough values to unpack',
    "encoding with 'idna' codec failed", "Can't instantiate abstract class UCXConnector"."""
    import importlib.util

    if address.startswith("ucx") and importlib.util.find_spec("distributed_ucxx") is not None:
        pytest.skip("distributed-ucxx is installed: ucx:// is an address")
    roster = tmp_path / "x.yaml"
    roster.write_text("- name: Ana\n")
    r = run("render", "tests/data/ok/all-kinds.yaml", "--roster", str(roster), "--scheduler", address)
    assert r.exit_code == 2, r.output
    assert f"Error: Invalid value for '--scheduler': {message}" in r.stderr


def test_a_scheduler_address_where_something_else_answers_is_our_error(run, tmp_path, fake_voice):
    """A web server at the address: Dask read its bytes as a frame length of 3 EiB and
    matcue ended with 'Unexpected error: MemoryError' (exit 3)."""
    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)
            except OSError:
                pass
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    roster = tmp_path / "x.yaml"
    roster.write_text("- name: Ana\n")
    out = tmp_path / "o"
    try:
        r = run(
            "render", str(routine), "--roster", str(roster), "-o", str(out), "--scheduler", f"tcp://127.0.0.1:{port}"
        )
    finally:
        server.close()
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith(
        f"Error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: "
        "what answers there is not a Dask scheduler ("
    )
    assert r.stderr.endswith("); check the address and port\n")
    assert not out.exists()


def test_a_scheme_in_capitals_is_the_scheme(run, tmp_path):
    from matcue.cli.options import parse_scheduler

    assert parse_scheduler(" TCP://Host:8786 ") == "tcp://Host:8786"
    assert parse_scheduler("10.0.0.1:8786") == "10.0.0.1:8786"
    assert parse_scheduler("tls://[::1]:8786") == "tls://[::1]:8786"
    assert parse_scheduler("tcp://dask_scheduler.local.:8786") == "tcp://dask_scheduler.local.:8786"


def test_the_roster_table_lines_up_names_in_wide_characters():
    """Japanese and Chinese names (two columns a character) pushed their rows' lengths right."""
    from matcue.batch import TrackResult
    from matcue.cli.render import format_roster_table

    table = format_roster_table([
        TrackResult("日本", "r.yaml", "out/a.mp3", 391_200), TrackResult("Zoë", "r.yaml", "out/b.mp3", 391_200),
        TrackResult("Ben", "r.yaml", errors=("x",)),
    ])  # fmt: skip
    assert table.splitlines() == [
        "person  length  file",
        "日本    6:31.2  out/a.mp3",
        "Zoë     6:31.2  out/b.mp3",
        "Ben          -  not rendered",
    ]


def test_a_routine_that_does_not_load_leaves_the_others_rendered_and_listed(run, tmp_path, fake_voice):
    """``render good.yaml bad.yaml --roster``: good's tracks were written but never listed (no
    table), and with bad first nothing else was rendered; without a roster the others are."""
    (tmp_path / "good.yaml").write_text(TINY)
    (tmp_path / "bad.yaml").write_text("title: Bad\nsteps:\n  - hold: five\n")
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: A\n")
    problem = f"{tmp_path / 'bad.yaml'}:3:5: steps[0]: a step needs one kind key: "
    for order in (("good", "bad"), ("bad", "good")):
        out = tmp_path / "-".join(order)
        paths = [str(tmp_path / f"{n}.yaml") for n in order]
        r = run("render", *paths, "--roster", str(roster), "-o", str(out), *FAKE)
        assert r.exit_code == 1
        assert r.stderr.startswith(problem) and r.stderr.endswith("\n1 routine not rendered\n")
        header, row = r.stdout.splitlines()
        assert header == "person  length  file" and row.startswith("A  ") and row.endswith(f"  {out / 'tiny--a.mp3'}")
        assert [p.name for p in out.glob("*.mp3")] == ["tiny--a.mp3"]


def test_a_pack_roster_whose_every_person_fails_says_each_on_its_line(run, tmp_path, fake_voice):
    """It said 'roster: no track could be rendered: <every problem joined by "; ">', one
    unlocated line; now each problem is its located line, as when some tracks are packed."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    roster = tmp_path / "class.yaml"
    roster.write_text("- {name: A, countdown: 99}\n- missing.yaml\n")
    out = tmp_path / "pack"
    r = run("pack", str(routine), "--roster", str(roster), "-o", str(out), "--zip", *FAKE)
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert lines[0] == f"{roster}:1:24: [0].countdown: expected a whole number from 0 to 60, got 99"
    assert lines[1].startswith(f"{roster}:2:3: [1]: profile file '{tmp_path / 'missing.yaml'}' was not found")
    assert lines[2:] == ["2 problems: no track could be rendered, so there is no pack"]
    assert not out.exists() and not (tmp_path / "pack.zip").exists()


def test_a_roster_folder_skips_hidden_files(run, tmp_path, fake_voice):
    """An Emacs lock file ('.#anna.yaml', a link to nowhere) while anna.yaml is edited, and
    a Mac's AppleDouble file ('._anna.yaml', binary) on a USB stick were each a failed
    track (exit 1)."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "anna.yaml").write_text("name: Anna\n")
    (folder / "BEN.YAML").write_text("name: Ben\n")
    (folder / ".#anna.yaml").symlink_to("root@host.1234:1700000000")
    (folder / "._anna.yaml").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02")
    r = run("render", str(routine), "--roster", str(folder), "-o", str(tmp_path / "o"), *FAKE)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "o").glob("*.mp3")) == ["tiny--anna.mp3", "tiny--ben.mp3"]


@pytest.mark.parametrize("how, kind", [("--profile", "a profile"), ("--roster", "a roster")])
def test_a_binary_profile_or_roster_is_said_to_be_not_one(run, tmp_path, how, kind):
    """It said 'this is a binary file, not a routine' of a profile and of a roster."""
    data = tmp_path / "x.yaml"
    data.write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02")
    r = run("render", "tests/data/ok/all-kinds.yaml", how, str(data), "-o", str(tmp_path / "o"), *FAKE)
    assert r.exit_code == 1
    assert f"{data}:1:1: this is a binary file, not {kind}\n" in r.stderr


def test_a_tracks_located_line_names_the_routine_as_the_command_line_did(tmp_path, monkeypatch):
    """A roster's (or --profile's) track whose routine has nothing left to render said
    '/home/me/class/r.yaml:1:1: ...' (the absolute path its worker is given); every other
    line says 'r.yaml', as the command line wrote it."""
    from click.testing import CliRunner

    from matcue.cli.main import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "r.yaml").write_text("title: T\nsteps:\n  - pose: P\n    hold: 5s\n")
    (tmp_path / "c.yaml").write_text("- name: A\n  skip: [P]\n")
    result = CliRunner().invoke(cli, ["render", "r.yaml", "--backend", "fake", "-o", "out", "--roster", "c.yaml"])
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("r.yaml:1:1: steps: nothing to render: every step is left out"), first
