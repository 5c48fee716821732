"""matcue.core.atomic: the names messages show for our temporary files and staging folders."""

from __future__ import annotations

import errno
from pathlib import Path

from matcue.core.atomic import STAGE_PREFIX, create_temp, discard, public_path, target_of, why_not_written


def test_a_temporary_file_stands_in_for_its_target(tmp_path: Path) -> None:
    target = tmp_path / "routine.mp3"
    for kind in ("partial", "tmp"):
        tmp = create_temp(target, kind)
        try:
            assert tmp.name != target.name
            assert target_of(tmp) == target
            assert public_path(tmp) == target
        finally:
            discard(tmp)


def test_names_that_only_look_temporary_are_left_as_they_are() -> None:
    for name in (".hidden.mp3", ".a.partial-XYZ", "a.partial-0123abcd", ".a.0123abc.tmp"):
        assert target_of(Path("out") / name) is None
        assert public_path(Path("out") / name) == Path("out") / name


def test_a_file_in_a_staging_folder_is_named_where_it_will_be() -> None:
    staged = Path("class") / f"{STAGE_PREFIX}k2x9" / ".week-1.mp3.partial-0a1b2c3d"
    assert public_path(staged) == Path("class") / "week-1.mp3"
    assert public_path(Path("class") / f"{STAGE_PREFIX}k2x9") == Path("class")


def test_why_a_write_failed_is_said_in_words() -> None:
    assert why_not_written(OSError(errno.ENOSPC, "No space left on device")) == "the disk is full"
    assert why_not_written(OSError(errno.EFBIG, "File too large")) == "larger than this system lets a file grow"
    assert why_not_written(OSError(errno.EIO, "Input/output error")) == "Input/output error"
