"""Track file names: the slug of a title, and -2, -3... for titles that slug alike."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcue.core.naming import slugify, unique_stem


def test_titles_that_slug_alike_get_numbers_in_order() -> None:
    used: set[str] = set()
    stems = [unique_stem(slugify(t), used) for t in ("Hip Opener", "hip opener!", "Hip  Opener", "Calm")]
    assert stems == ["hip-opener", "hip-opener-2", "hip-opener-3", "calm"]
    assert used == set(stems)


def test_a_number_already_taken_is_skipped() -> None:
    used = {"flow", "flow-2"}
    assert unique_stem("flow", used) == "flow-3"


@given(st.lists(st.text(max_size=30), max_size=12))
def test_stems_are_distinct_safe_names(titles: list[str]) -> None:
    used: set[str] = set()
    stems = [unique_stem(slugify(t), used) for t in titles]
    assert len(set(stems)) == len(stems)
    for s in stems:
        assert s and all(c.isascii() and (c.isalnum() or c == "-") for c in s)
        assert not s.startswith("-") and "/" not in s and "." not in s


def test_long_titles_that_differ_after_the_cut_keep_apart() -> None:
    """A slug is cut at 80 characters; what was cut off still tells two titles apart (two
    long pose names in a preview's title, two long routine titles in one folder)."""
    base = "A very long pose name that goes on about the hips, the shoulders, the knees and the toes"
    one, two = slugify(f"Hips (preview {base}, one)"), slugify(f"Hips (preview {base}, two)")
    assert one != two
    assert len(one) == len(two) == 80
    assert one[:72] == two[:72]  # the readable start is kept
    assert slugify("short title") == "short-title"  # a slug that fits is not tagged
    assert len(slugify("b" * 80)) == 80 and slugify("b" * 80) == "b" * 80
