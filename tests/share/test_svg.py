"""``matcue script ROUTINE --svg FILE``: the session picture parses, and its blocks sit where
the timed script (``script --json``) puts the chapters, holds and rests, within a pixel."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from matcue.plan.timeline import Chapter, Event, Hold, Timeline
from matcue.share.svg import LEFT_PX, PLOT_PX, WIDTH_PX, to_svg

DATA = Path(__file__).parents[1] / "data" / "ok"
NS = {"svg": "http://www.w3.org/2000/svg"}


def _script(run, routine: Path, svg: Path, *extra: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = run("script", str(routine), "--backend", "fake", "--json", "--svg", str(svg), *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _blocks(svg: Path, lane: str) -> list[tuple[float, float, ET.Element]]:
    """(x, width, group) of each block of a lane, in document order."""
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    out = []
    for g in root.findall("svg:g", NS):
        if lane in g.get("class", "").split():
            rect = g.find("svg:rect", NS)
            assert rect is not None
            out.append((float(rect.get("x", "nan")), float(rect.get("width", "nan")), g))
    return out


def _expected_x(ms: int, total: int) -> float:
    return LEFT_PX + ms * (WIDTH_PX - 2 * LEFT_PX) / total


@pytest.mark.parametrize("routine", ["all-kinds.yaml", "e2e.yaml"])
def test_blocks_match_the_timed_script_within_a_pixel(run, tmp_path, routine: str) -> None:  # type: ignore[no-untyped-def]
    svg = tmp_path / "session.svg"
    doc = _script(run, DATA / routine, svg)
    total = doc["total_ms"]
    chapters = _blocks(svg, "chapter")
    assert len(chapters) == len(doc["chapters"])
    for (x, w, g), c in zip(chapters, doc["chapters"]):
        assert abs(x - _expected_x(c["start_ms"], total)) <= 1
        assert abs(x + w - _expected_x(c["end_ms"], total)) <= 1
        assert c["title"] in "".join(g.find("svg:title", NS).itertext())  # type: ignore[union-attr]
    holds = _blocks(svg, "hold")
    assert len(holds) == len(doc["holds"])
    inhales = [e["start_ms"] for e in doc["events"] if e["kind"] == "inhale"]
    for (x, w, g), h in zip(holds, doc["holds"]):
        assert abs(x - _expected_x(h["start_ms"], total)) <= 1
        assert abs(w - (_expected_x(h["end_ms"], total) - _expected_x(h["start_ms"], total))) <= 1
        classes = g.get("class", "").split()
        assert h["kind"] in classes
        tip = "".join(g.find("svg:title", NS).itertext())  # type: ignore[union-attr]
        full = tip.removeprefix(h["title"] + ": ").rsplit(" (", 1)[0]
        shown = "".join(t for el in g.findall("svg:text", NS) for t in el.itertext())
        assert full.startswith(shown.removesuffix("…"))  # the label, cut to the block's width
        breaths = sum(1 for t in inhales if h["start_ms"] <= t < h["end_ms"])
        if breaths:
            amount = f"{breaths} breath{'s' if breaths != 1 else ''}"
            assert full in (amount, f"L {amount}", f"R {amount}"), (full, h)
        if h.get("side"):
            assert h["side"] in classes
            assert full.startswith({"left": "L ", "right": "R "}[h["side"]])
    # rests are drawn in their own colour, where the script has them
    rest_groups = [g for _, _, g in chapters if "rest" in g.get("class", "").split()]
    assert [(int(g.get("data-start-ms")), int(g.get("data-end-ms"))) for g in rest_groups] == [  # type: ignore[arg-type]
        (r["start_ms"], r["end_ms"]) for r in doc["rests"]
    ]
    root = ET.parse(svg).getroot()
    (total_text,) = [t for t in root.findall("svg:text", NS) if t.get("class") == "total"]
    secs = (total + 500) // 1000
    assert total_text.text == f"total {secs // 60}:{secs % 60:02d}"


def test_every_kind_of_step_is_drawn(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    svg = tmp_path / "s.svg"
    doc = _script(run, DATA / "e2e.yaml", svg)
    kinds = {h["kind"] for h in doc["holds"]}
    assert kinds == {"pose", "timer", "reps", "breathe"}
    assert len(doc["rests"]) == 1
    sides = [g.get("class", "").split()[-1] for _, _, g in _blocks(svg, "hold") if "pose" in g.get("class", "")]
    assert sides == ["right", "left"]


def test_titles_are_escaped_and_the_file_still_parses(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    title = "Hips <script>alert(\"x\")</script> & 'more'"
    routine = tmp_path / "r.yaml"
    routine.write_text(
        "title: " + json.dumps(title) + "\nsteps:\n  - pose: " + json.dumps("Fold </svg> & <b>") + "\n    hold: 20s\n"
    )
    svg = tmp_path / "s.svg"
    _script(run, routine, svg)
    text = svg.read_text()
    assert "<script" not in text and "</svg>" not in text[:-8]
    root = ET.parse(svg).getroot()
    assert root.find("svg:title", NS).text.startswith(title)  # type: ignore[union-attr]


def test_scale_is_exact_for_made_up_timelines() -> None:
    tl = Timeline(
        "T",
        600_000,
        (Chapter(0, 123_457, "A"), Chapter(123_457, 600_000, "B")),
        (Event(123_457, 130_000, "inhale"),),
        holds=(Hold(123_457, 599_999, "B", "B", kind="timer"),),
    )
    inline = to_svg(tl, standalone=False)
    assert "xmlns" not in inline and "<?xml" not in inline
    root = ET.fromstring(to_svg(tl))
    rects = [g.find("svg:rect", NS) for g in root.findall("svg:g", NS)]
    xs = [float(r.get("x")) for r in rects]  # type: ignore[union-attr,arg-type]
    at_b = round(LEFT_PX + 123_457 * PLOT_PX / 600_000, 2)
    assert xs == [LEFT_PX, at_b, at_b]
    assert root.get("width") == str(WIDTH_PX)


def test_svg_into_a_missing_folder_is_a_clear_error(run, tmp_path, fake_voice) -> None:  # type: ignore[no-untyped-def]
    """Said before any work (the script was printed and its speech synthesized first), in
    the words of new -o."""
    r = run("script", str(DATA / "e2e.yaml"), "--backend", "fake", "--svg", str(tmp_path / "no" / "s.svg"))
    assert r.exit_code == 1
    assert r.output == (
        f"Error: the folder '{tmp_path / 'no'}' does not exist (create it first, or choose another path for --svg)\n"
    )
    assert fake_voice.calls == 0


@pytest.mark.parametrize(
    ("name", "instead"), [("s.png", "s.svg"), ("session", "session.svg"), ("a.svg.txt", "a.svg.svg")]
)
def test_svg_under_another_name_than_svg_is_a_usage_error(run, tmp_path: Path, name: str, instead: str) -> None:
    """--svg s.png wrote an SVG picture under a PNG name."""
    r = run("script", str(DATA / "all-kinds.yaml"), "--backend", "fake", "--svg", str(tmp_path / name))
    assert r.exit_code == 2
    assert r.stderr.endswith(
        f"Error: Invalid value for '--svg': '{tmp_path / name}' does not end in .svg: it would be an SVG picture"
        f" (name it '{tmp_path / instead}')\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_svg_takes_a_name_ending_in_svg_in_any_case(run, tmp_path: Path) -> None:
    r = run("script", str(DATA / "all-kinds.yaml"), "--backend", "fake", "--svg", str(tmp_path / "S.SVG"))
    assert r.exit_code == 0, r.output
    assert ET.parse(tmp_path / "S.SVG").getroot().tag == "{http://www.w3.org/2000/svg}svg"
