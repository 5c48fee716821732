"""matcue.voice.recordings: what lies beside the clips and is not a clip. A folder is
never looked into, but never skipped without a word: one named like the index or like a
clip is an error, any other a warning; an index that names itself or a folder, an index
under another name and a zip member whose name leads out are each said. No clip is
decoded here (no ffmpeg needed). An index past the file limit is refused whole."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from matcue.core.naming import phrase_id
from matcue.voice.recordings import RecordingError, find_recordings

HELLO = "Hello."
TEXTS = [HELLO, "Goodbye."]
CLIP = f"{phrase_id(HELLO)}.wav"
INDEX_FOLDER = "is a folder, not an index of recordings (an index is a file of 'id: file' lines)"
CLIP_FOLDER = "is a folder, not a recording (a clip is an audio file named by its phrase's id)"
OTHER_FOLDER = "is a folder; the files in it are not read (clips lie beside it, not in it)"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "takes"
    d.mkdir()
    return d


def find(source: Path, tmp_path: Path):
    return find_recordings(source, TEXTS, cache_dir=tmp_path / "cache")


def problems(source: Path, tmp_path: Path) -> tuple[str, ...]:
    with pytest.raises(RecordingError) as e:
        find(source, tmp_path)
    return e.value.problems


def zipped(tmp_path: Path, *members: str) -> Path:
    archive = tmp_path / "takes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for m in members:
            z.writestr(m, "" if m.endswith("/") else "not audio, never read")
    return archive


def test_a_folder_named_index_yaml_is_an_error_like_a_bad_index(folder: Path, tmp_path: Path) -> None:
    (folder / "index.yaml").mkdir()
    (folder / "index.yaml" / CLIP).write_text("x")  # never looked into
    assert problems(folder, tmp_path) == (f"{folder}/index.yaml: {INDEX_FOLDER}",)


@pytest.mark.parametrize("entry", ["index.yaml/", "recordings/index.yaml/"])
def test_a_folder_named_index_yaml_in_a_zip_is_the_same_error(tmp_path: Path, entry: str) -> None:
    archive = zipped(tmp_path, entry)
    assert problems(archive, tmp_path) == (f"{archive}:{entry}: {INDEX_FOLDER}",)


@pytest.mark.parametrize("name", [CLIP, phrase_id(HELLO), CLIP.upper()])
def test_a_folder_named_like_a_clip_is_an_error_not_a_synthesized_phrase(
    folder: Path, tmp_path: Path, name: str
) -> None:
    (folder / name).mkdir()
    assert problems(folder, tmp_path) == (f"{folder}/{name}: {CLIP_FOLDER}",)
    archive = zipped(tmp_path, f"{name}/", f"{name}/take.wav")
    assert problems(archive, tmp_path) == (f"{archive}:{name}/: {CLIP_FOLDER}",)


def test_any_other_folder_is_a_warning_its_files_unread(folder: Path, tmp_path: Path) -> None:
    (folder / "old takes").mkdir()
    (folder / "old takes" / CLIP).write_text("x")
    (folder / ".git").mkdir()  # hidden: not looked at, not said
    assert find(folder, tmp_path).warnings == (f"{folder}/old takes: {OTHER_FOLDER}",)
    # in a zip: its own folder ("recordings/") is where the clips are; one inside it is said once
    archive = zipped(tmp_path, "recordings/", "recordings/old/", f"recordings/old/{CLIP}", "recordings/old/x/y.wav")
    assert find(archive, tmp_path).warnings == (f"{archive}:recordings/old/: {OTHER_FOLDER}",)


def test_an_index_naming_itself_or_a_folder_is_located(folder: Path, tmp_path: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "index.yaml").write_text(f"{phrase_id(HELLO)}: index.yaml\nGoodbye.: sub\n")
    assert problems(folder, tmp_path) == (
        f"{folder}/index.yaml:1:1: 'index.yaml' is the index itself, not a recording "
        "(the index names a clip beside it)",
        f"{folder}/index.yaml:2:1: 'sub' is a folder, not a recording (the index names a clip beside it)",
    )


def test_a_long_name_in_the_index_is_shortened(folder: Path, tmp_path: Path) -> None:
    (folder / "index.yaml").write_text(f"{phrase_id(HELLO)}: {'a' * 5000}.wav\n")
    (line,) = problems(folder, tmp_path)
    assert line == (
        f"{folder}/index.yaml:1:1: '{'a' * 27} ... {'a' * 23}.wav' is not in the recordings "
        "(the index names a file beside it)"
    )


@pytest.mark.parametrize("name", ["Index.yaml", "index.yml", "INDEX.YAML"])
def test_an_index_under_another_name_is_a_warning(folder: Path, tmp_path: Path, name: str) -> None:
    (folder / name).write_text(f"{phrase_id(HELLO)}: take.wav\n")
    assert find(folder, tmp_path).warnings == (
        f"{folder}/{name}: is not read as the index (the index of recordings is named index.yaml)",
    )


@pytest.mark.parametrize("member", [f"../{CLIP}", f"../../{CLIP}", f"/etc/{CLIP}", f"C:\\x\\{CLIP}", f"\\{CLIP}"])
def test_a_zip_member_whose_name_leads_out_is_never_read(tmp_path: Path, member: str) -> None:
    archive = zipped(tmp_path, member)  # "not audio": were it read, it would be an error
    rec = find(archive, tmp_path)
    assert rec.clips == {}
    assert rec.warnings == (f"{archive}:{member}: a name leading out of the zip is not read",)


def test_an_index_past_the_file_limit_is_refused_not_cut_short(folder: Path, tmp_path: Path) -> None:
    """Entries past the 2000th were dropped without a word (a clip named there unused)."""
    lines = [f"k{i}: f{i}.wav" for i in range(2000)] + [f"{phrase_id(HELLO)}: gone.wav"]
    (folder / "index.yaml").write_text("\n".join(lines) + "\n")
    assert problems(folder, tmp_path) == (
        f"{folder}/index.yaml:2001:1: the index holds 2001 entries; at most 2000 are read (one per clip)",
    )
