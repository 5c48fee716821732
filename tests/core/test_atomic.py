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


def _interrupt_once_made(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The next temporary file is made, then Ctrl-C lands before create_temp returns."""
    import os

    from matcue.core import atomic

    real_open = os.open

    def made_then_interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        os.close(real_open(*args, **kwargs))
        monkeypatch.setattr(atomic.os, "open", real_open)
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "open", made_then_interrupted)


def test_an_interrupt_the_instant_a_temporary_file_is_made_leaves_it_known(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C between making a temporary file and handing it back: the caller's list and
    :func:`discard_all` both know it (before, it was left behind for good)."""
    import pytest

    from matcue.core.atomic import discard_all

    _interrupt_once_made(monkeypatch)
    made: list[Path] = []
    with pytest.raises(KeyboardInterrupt):
        create_temp(tmp_path / "x.mp3", into=made)
    (left,) = tmp_path.iterdir()
    assert made == [left]
    discard_all()
    assert list(tmp_path.iterdir()) == []


def test_a_unit_interrupted_while_staging_aborts_what_it_made(tmp_path: Path, monkeypatch) -> None:
    import pytest

    from matcue.core.atomic import Unit

    unit = Unit()
    unit.stage_bytes(tmp_path / "a.srt", b"1")
    _interrupt_once_made(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        unit.stage(tmp_path / "a.mp3")
    assert len(list(tmp_path.iterdir())) == 2
    unit.abort()
    assert list(tmp_path.iterdir()) == []


def test_discard_all_leaves_what_was_moved_into_place(tmp_path: Path) -> None:
    from matcue.core.atomic import Unit, discard_all

    unit = Unit()
    unit.stage_bytes(tmp_path / "kept.txt", b"kept")
    unit.commit()
    pending = create_temp(tmp_path / "later.mp3")
    discard_all()
    assert not pending.exists()
    assert [(p.name, p.read_bytes()) for p in tmp_path.iterdir()] == [("kept.txt", b"kept")]


def test_a_file_is_shown_quoted_as_every_message_quotes_a_path(tmp_path: Path) -> None:
    """shown_file and the messages made with it quote the path as 'PATH' (they showed it bare:
    "cannot write out/x.mp3: ..." beside "cannot write 'out/x.mp3': ..." elsewhere); a
    temporary name is the file it stands for, a line break escaped, a long path cut."""
    from matcue.core.atomic import create_temp, failure_text, shown_file

    out = tmp_path / "x.mp3"
    tmp = create_temp(out)
    try:
        assert shown_file(tmp) == f"'{out}'"
        assert shown_file(tmp_path / "a\nb.mp3") == f"'{tmp_path}/a\\x0ab.mp3'"
        assert shown_file(Path("a" * 300)) == f"'{'a' * 77} ... {'a' * 77}'"
        assert failure_text(ValueError(f"bad frame in {tmp}"), tmp) == f"bad frame in '{out}'"
        assert failure_text(ValueError(f"no such file: '{tmp}'"), tmp) == f"no such file: '{out}'"
        assert failure_text(OSError(errno.ENOSPC, "No space left on device"), tmp) == "the disk is full"
    finally:
        discard(tmp)


def test_the_renderers_messages_quote_the_file(tmp_path: Path) -> None:
    from matcue.audio.encode import temp_beside
    from matcue.core.errors import RenderError

    missing = tmp_path / "gone" / "x.mp3"
    try:
        temp_beside(missing)
    except RenderError as e:
        assert str(e) == f"output folder '{tmp_path / 'gone'}' does not exist"
    else:
        raise AssertionError("no error")
