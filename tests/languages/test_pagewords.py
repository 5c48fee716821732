"""matcue.languages.pagewords: what the page, the card and the picture show, per language;
and that they show it (matcue.share.page, matcue.share.svg with a German timeline)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from matcue.languages.pagewords import ENGLISH, WORDS, words_for
from matcue.plan.timeline import Chapter, Event, Hold, Timeline
from matcue.share.page import card_text, safety_cues
from matcue.share.svg import blocks


@pytest.mark.parametrize("code", sorted(WORDS))
def test_every_language_fills_every_field_it_has(code: str) -> None:
    w = words_for(code)
    assert set(w) >= set(ENGLISH)
    for key in ENGLISH:
        assert set(re.findall(r"\{(\w+)\}", w[key])) == set(re.findall(r"\{(\w+)\}", ENGLISH[key])), key
    assert w.fill("total", length="3:00").count("3:00") == 1
    assert w.count("breaths", 1) != w.count("breaths", 5) and "5" in w.count("breaths", 5)


def test_a_tag_with_a_region_and_an_unknown_language() -> None:
    assert words_for("de-AT")["chapters"] == "Kapitel"
    assert words_for("xx")["chapters"] == "Chapters"
    assert words_for("de").fill("cover_of", title="{n} Hüften") == "Cover von {n} Hüften"  # one pass


TL = Timeline(
    title="Hüften",
    total_ms=60_000,
    chapters=(
        Chapter(0, 30_000, "Taube (rechts)", "Taube", "right"),
        Chapter(30_000, 60_000, "Taube (links)", "Taube", "left"),
    ),  # noqa: E501
    events=(
        Event(0, 2000, "speech", text="Hör auf, wenn es schmerzt oder du Schmerzen spürst."),
        Event(2000, 6000, "inhale"),
        Event(6000, 10_000, "exhale"),
    ),
    holds=(
        Hold(2000, 10_000, "Taube (rechts)", "Taube", "right"),
        Hold(32_000, 40_000, "Taube (links)", "Taube", "left"),
    ),  # noqa: E501
    language="de",
)


def test_a_german_card_and_picture_speak_german() -> None:
    text = card_text(TL)
    assert text.splitlines() == [
        "- Taube (rechts, links): 8 s je Seite",
        "Gesamt 1:00",
        "",
        "Sicherheit: Hör auf, wenn es schmerzt oder du Schmerzen spürst.",
    ]
    assert safety_cues(replace(TL, language="en")) == ()  # English safety words do not match German
    labels = [b.label for b in blocks(TL) if b.lane == "hold"]
    assert labels == ["R 1 Atemzug", "L 8s"]
