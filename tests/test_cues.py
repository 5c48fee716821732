"""``matcue cues`` (matcue.cues, matcue.cli.cues): the recording list as a table, CSV and
JSON, with what is recorded already, and the recording page it writes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import audiocheck as ac
from matcue.cli.main import cli
from matcue.core.naming import phrase_id

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "routines" / "teacher-voice.yaml"
HAMSTRING = ROOT / "routines" / "hamstring-stretch.yaml"


def cues(*args: str):
    return CliRunner().invoke(cli, ["cues", *args], catch_exceptions=False)


def test_the_json_list_has_every_phrase_with_its_id_uses_and_room() -> None:
    r = cues(str(HAMSTRING), "--json", "--level", "advanced")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert (data["title"], data["level"]) == ("Seated hamstring stretch", "advanced")
    from matcue.api import build_script
    from matcue.plan.compile import Options

    _, script = build_script(HAMSTRING, Options(level="advanced"))
    assert [p["text"] for p in data["phrases"]] == script.texts()  # every phrase, once, in order
    for p in data["phrases"]:
        assert p["id"] == phrase_id(p["text"]) and p["recording"] is None
        assert p["uses"] and all(u["file"].endswith("hamstring-stretch.yaml") and u["line"] > 0 for u in p["uses"])
    rooms = {p["text"]: p["max_ms"] for p in data["phrases"]}
    assert rooms["Release your head down."] == 5000 and rooms["Three."] == 1000
    assert rooms[script.texts()[0]] is None


def test_the_table_and_the_csv_say_the_same(tmp_path: Path) -> None:
    table = cues(str(EXAMPLE))
    rows = list(csv.DictReader(io.StringIO(cues(str(EXAMPLE), "--csv").output)))
    assert table.exit_code == 0
    assert table.output.splitlines()[0] == "Leg up the strap, in the teacher's voice (beginner): 14 phrases, 7 recorded"
    for row in rows:
        line = next(x for x in table.output.splitlines() if x.startswith(row["id"]))
        assert row["text"] in line and row["longest"] in line
        assert ("yes" in line.split(row["longest"], 1)[1].split(row["text"])[0]) == bool(row["recording"])
    recorded = {r["text"]: r["recording"] for r in rows if r["recording"]}
    assert recorded["Rest for a moment with both legs long. Thank you for practising with me."] == "closing.m4a"
    assert len(recorded) == 7


def test_a_text_a_spreadsheet_would_run_as_a_formula_is_text_in_the_csv(tmp_path: Path) -> None:
    """A routine from someone else with ``say: "=HYPERLINK(...)"``: opened in a spreadsheet,
    the CSV ran it as a formula (hostile round three). The JSON keeps the text exactly."""
    import json

    routine = tmp_path / "r.yaml"
    routine.write_text(
        'title: T\nsteps:\n  - say: \'=HYPERLINK("http://evil.example","Click")\'\n'
        "  - say: '@SUM(1) and +breathe'\n  - say: Plain words.\n"
    )
    rows = list(csv.DictReader(io.StringIO(cues(str(routine), "--csv").output)))
    assert [r["text"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example","Click")',
        "'@SUM(1) and +breathe",
        "Plain words.",
    ]
    data = json.loads(cues(str(routine), "--json").output)
    assert data["phrases"][0]["text"] == '=HYPERLINK("http://evil.example","Click")'


def test_recordings_given_on_the_command_line_are_shown_and_a_typo_warned(tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    shutil.copytree(EXAMPLE.parent / "teacher-voice", folder)
    welcome = next(folder.glob("welcome-*.m4a"))
    welcome.rename(folder / welcome.name.replace("welcome", "welcom"))
    r = CliRunner().invoke(cli, ["cues", str(EXAMPLE), "--csv", "--recordings", str(folder)])
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert sum(1 for row in rows if row["recording"]) == 6
    assert r.stderr.startswith(f"warning: {folder}/welcom-today-we-stretch-the-541811.m4a: matches no phrase")
    assert "did you mean 'welcome-today-we-stretch-the-541811'?" in r.stderr


def test_csv_and_json_together_is_a_usage_error() -> None:
    r = cues(str(EXAMPLE), "--csv", "--json")
    assert r.exit_code == 2 and "give --csv or --json, not both" in r.output


@pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")
def test_the_page_carries_the_list_and_names_the_zip(tmp_path: Path) -> None:
    import html.parser

    r = CliRunner().invoke(cli, ["cues", str(EXAMPLE), "--page", str(tmp_path / "page")])
    assert r.exit_code == 0, r.stderr
    page = tmp_path / "page" / "leg-up-the-strap-in-the-teacher-s-voice-recording.html"
    assert r.stderr.strip() == f"recording page: {page}"

    class Data(html.parser.HTMLParser):
        data = ""
        inside = False

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "script" and ("id", "data") in attrs

        def handle_data(self, d):
            if self.inside:
                self.data += d

    p = Data()
    p.feed(page.read_text())
    data = json.loads(p.data)
    listed = json.loads(cues(str(EXAMPLE), "--json").output)["phrases"]
    assert [(x["id"], x["text"], x["max_ms"]) for x in data["phrases"]] == [
        (x["id"], x["text"], x["max_ms"]) for x in listed
    ]
    assert data["zip_name"] == "leg-up-the-strap-in-the-teacher-s-voice-recordings.zip"


def test_recordings_given_on_the_command_line_stay_inside_their_folder(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "takes"
    folder.mkdir()
    outside = tmp_path / "outside.m4a"
    shutil.copy(next((EXAMPLE.parent / "teacher-voice").glob("welcome-*.m4a")), outside)
    os.symlink(outside, folder / "welcome-today-we-stretch-the-541811.m4a")
    r = CliRunner().invoke(cli, ["cues", str(EXAMPLE), "--recordings", str(folder)])
    assert r.exit_code == 1 and "leads outside the folder" in r.stderr, r.output
    r = CliRunner().invoke(cli, ["cues", str(EXAMPLE), "--csv", "--recordings", str(folder), "--allow-outside"])
    assert r.exit_code == 0 and "welcome-today-we-stretch-the-541811.m4a" in r.stdout
    r = CliRunner().invoke(cli, ["cues", str(EXAMPLE), "--recordings", ""])
    assert r.exit_code == 2 and "Invalid value for '--recordings'" in r.output
