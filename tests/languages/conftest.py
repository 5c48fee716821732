"""Shared by the language tests: a routine compiled and laid out, its spoken texts and its
chapter titles, and the English words no other language's output may hold."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from matcue.plan.compile import compile_routine
from matcue.plan.layout import layout
from matcue.routine.loader import loads_routine

# matcue's own English words (phrases, chapter names, sides, the countdown)
ENGLISH = frozenset(
    "switch sides side rest introduction breaths breath with movement left right breathe hold "
    "out for one two three".split()
)

Compiled = tuple[list[str], list[str]]


def compile_text(text: str) -> Compiled:
    """The spoken texts and the chapter titles of the routine ``text``."""
    script = compile_routine(loads_routine(text, "<test>"))
    timeline = layout(script, {t: 800 + 50 * len(t) for t in script.texts()})
    return script.texts(), [c.title for c in timeline.chapters]


def english_words(texts: list[str]) -> set[str]:
    """The words of ``texts`` that are matcue's English ones."""
    return {w for t in texts for w in re.findall(r"[^\W\d_]+", t.lower())} & ENGLISH


@pytest.fixture
def compiled() -> Callable[[str], Compiled]:
    return compile_text


@pytest.fixture
def english_in() -> Callable[[list[str]], set[str]]:
    return english_words
