"""matcue.voice.recordings: the teacher's clips matched to phrases, read within bounds,
cleaned (trimmed, gated, at full scale) and cached by content; every bad input a clear
message naming the clip."""

from __future__ import annotations

import os
import subprocess
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

import audiocheck as ac
from matcue.core.naming import phrase_id
from matcue.voice import recordings as R
from matcue.voice.cleaning import CLIP_HINT
from matcue.voice.recordings import RecordingError, find_recordings

pytestmark = [pytest.mark.ffmpeg, pytest.mark.skipif(not ac.have_ffmpeg(), reason="ffmpeg/ffprobe not installed")]

WELCOME = "Welcome to your practice."
FOLD = "Fold forward slowly."
TEXTS = [WELCOME, FOLD, "Three."]


def write_wav(path: Path, x: np.ndarray, rate: int = 48_000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(np.rint(x * 32767), -32768, 32767).astype("<i2").tobytes())
    return path


def encode(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True)
    return dst


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "recordings"
    d.mkdir()
    return d


def find(folder: Path, tmp_path: Path, texts=TEXTS, **kw):
    return find_recordings(folder, texts, cache_dir=tmp_path / "cache", **kw)


def _refused(folder: Path, tmp_path: Path) -> tuple[str, ...]:
    """What :func:`find` refuses the recordings ``folder`` (or .zip) for."""
    with pytest.raises(RecordingError) as e:
        find(folder, tmp_path)
    return e.value.problems


# ----------------------------------------------------------------------------- matching


def test_a_clip_named_by_its_phrase_id_stands_for_it_in_any_format(folder: Path, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "w.wav", ac.speechy(1.2))
    encode(wav, folder / f"{phrase_id(WELCOME)}.m4a", "-c:a", "aac", "-b:a", "48k")
    encode(wav, folder / f"{phrase_id(FOLD).upper()}.opus", "-c:a", "libopus")  # a name typed in capitals
    rec = find(folder, tmp_path)
    assert set(rec.clips) == {WELCOME, FOLD}
    assert rec.names() == {WELCOME: f"{phrase_id(WELCOME)}.m4a", FOLD: f"{phrase_id(FOLD).upper()}.opus"}
    for r in rec.clips.values():  # 1.2 s of words, the room's 0.5 s + 0.8 s trimmed to 60 + 150 ms
        assert 1350 <= r.clip.length_ms <= 1500, r.clip.length_ms
    assert rec.warnings == ()


def test_the_index_maps_an_id_or_an_exact_text_to_a_file(folder: Path, tmp_path: Path) -> None:
    write_wav(folder / "take3.wav", ac.speechy(1.0))
    write_wav(folder / "hello.wav", ac.speechy(1.0))
    (folder / "index.yaml").write_text(
        f"{phrase_id(FOLD)}: take3.wav\n'Welcome   to your practice.': hello.wav\nNot a phrase at all: hello.wav\n"
    )
    rec = find(folder, tmp_path)
    assert rec.names() == {WELCOME: "hello.wav", FOLD: "take3.wav"}
    (warning,) = rec.warnings
    assert (
        warning
        == f"{folder}/index.yaml:3:1: 'Not a phrase at all' matches no phrase this routine speaks with these settings"
    )


def test_an_index_text_is_matched_without_the_format_characters_that_show_nothing(folder: Path, tmp_path: Path) -> None:
    """A cue is spoken without U+00AD or U+200B: a key written with one matched no phrase."""
    write_wav(folder / "hello.wav", ac.speechy(1.0))
    (folder / "index.yaml").write_text('"Wel\\u00adcome to your\\u200b practice.": hello.wav\n')
    rec = find(folder, tmp_path)
    assert (rec.names(), rec.warnings) == ({WELCOME: "hello.wav"}, ())


def test_a_file_that_matches_no_phrase_is_a_warning_with_a_did_you_mean(folder: Path, tmp_path: Path) -> None:
    typo = phrase_id(WELCOME).replace("welcome", "welcom")
    write_wav(folder / f"{typo}.wav", ac.speechy(1.0))
    (folder / "notes.txt").write_text("not audio, not a clip: left alone")
    (folder / ".DS_Store").write_bytes(b"\0\0")
    rec = find(folder, tmp_path)
    assert rec.clips == {}
    assert rec.warnings == (
        f"{folder}/{typo}.wav: matches no phrase this routine speaks with these settings "
        f"(did you mean {phrase_id(WELCOME)!r}?)",
    )


# ----------------------------------------------------------------------------- bad input


def test_every_bad_clip_is_reported_at_once_each_naming_its_file(folder: Path, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "w.wav", ac.speechy(1.0))
    good = encode(wav, tmp_path / "good.m4a", "-c:a", "aac")
    (folder / f"{phrase_id(WELCOME)}.m4a").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])  # corrupt
    (folder / f"{phrase_id(FOLD)}.wav").write_bytes(b"")  # 0 bytes
    (folder / f"{phrase_id('Three.')}.mp3").write_text("this is a text file, not audio\n")
    assert sorted(_refused(folder, tmp_path)) == sorted([
        f"{folder}/{phrase_id(WELCOME)}.m4a: cannot be decoded as audio ({CLIP_HINT})",
        f"{folder}/{phrase_id(FOLD)}.wav: is empty (0 bytes)",
        f"{folder}/{phrase_id('Three.')}.mp3: cannot be decoded as audio ({CLIP_HINT})",
    ])  # fmt: skip


def test_a_silent_clip_is_refused(folder: Path, tmp_path: Path) -> None:
    write_wav(folder / f"{phrase_id(WELCOME)}.wav", np.zeros(48_000, np.float32))
    with pytest.raises(RecordingError, match=r"is silent \(its loudest moment is -120 dBFS\)"):
        find(folder, tmp_path)


def test_a_clip_ten_minutes_long_is_refused_after_reading_two(folder: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=300:d=600:sample_rate=8000", "-c:a", "libopus",
         "-b:a", "8k", str(folder / f"{phrase_id(WELCOME)}.opus")],
        check=True,
    )  # fmt: skip
    assert _refused(folder, tmp_path) == (
        f"{folder}/{phrase_id(WELCOME)}.opus: lasts more than 120 s; a recording is one phrase, at most 120 s",
    )


def test_two_clips_for_one_phrase_are_refused_naming_both(folder: Path, tmp_path: Path) -> None:
    write_wav(folder / f"{phrase_id(WELCOME)}.wav", ac.speechy(1.0))
    write_wav(folder / "other.wav", ac.speechy(1.0))
    (folder / "index.yaml").write_text(f"'{WELCOME}': other.wav\n")
    assert _refused(folder, tmp_path) == (
        f"{folder}: 2 recordings for the phrase {WELCOME!r} ({phrase_id(WELCOME)}): other.wav, "
        f"{phrase_id(WELCOME)}.wav (keep one)",
    )


def test_a_link_leading_outside_the_folder_is_refused_and_never_read(folder: Path, tmp_path: Path) -> None:
    outside = write_wav(tmp_path / "outside.wav", ac.speechy(1.0))
    os.symlink(outside, folder / f"{phrase_id(WELCOME)}.wav")
    assert _refused(folder, tmp_path) == (
        f"{folder}/{phrase_id(WELCOME)}.wav: leads outside the folder {os.path.realpath(folder)!r} "
        "(a recording must be a file inside it; pass --allow-outside to read files outside)",
    )
    assert find(folder, tmp_path, allow_outside=True).names() == {WELCOME: f"{phrase_id(WELCOME)}.wav"}


def test_a_pipe_in_the_folder_is_never_opened(folder: Path, tmp_path: Path) -> None:
    os.mkfifo(folder / f"{phrase_id(WELCOME)}.wav")  # opening it would block forever
    with pytest.raises(RecordingError, match="is a named pipe, not a recording"):
        find(folder, tmp_path)


def test_an_index_that_is_a_pipe_is_called_an_index(folder: Path, tmp_path: Path) -> None:
    os.mkfifo(folder / "index.yaml")
    assert f"{folder}/index.yaml: is a named pipe, not an index of recordings" in _refused(folder, tmp_path)


def test_a_missing_folder_and_a_file_that_is_no_folder(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="the recordings folder was not found"):
        find(tmp_path / "nowhere", tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(RecordingError, match=r"is not a folder or a \.zip of recordings"):
        find(tmp_path / "notes.txt", tmp_path)


def test_an_index_that_is_not_a_mapping_or_names_a_missing_file(folder: Path, tmp_path: Path) -> None:
    (folder / "index.yaml").write_text("- a list\n")
    with pytest.raises(RecordingError, match="expected a mapping of phrase ids"):
        find(folder, tmp_path)
    (folder / "index.yaml").write_text(f"{phrase_id(FOLD)}: gone.m4a\n")
    assert _refused(folder, tmp_path) == (
        f"{folder}/index.yaml:1:1: 'gone.m4a' is not in the recordings (the index names a file beside it)",
    )


def test_an_index_naming_a_clip_but_for_case_offers_the_real_name(folder: Path, tmp_path: Path) -> None:
    write_wav(folder / "Take1.WAV", np.zeros(4800))
    (folder / "index.yaml").write_text(f"{phrase_id(FOLD)}: take1.wav\n")
    assert _refused(folder, tmp_path) == (
        f"{folder}/index.yaml:1:1: 'take1.wav' is not in the recordings "
        "(the index names a file beside it; did you mean 'Take1.WAV'?)",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # nested 20 000 deep: exit 3 (RecursionError), in a folder and in a zip alike
        (
            b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
            ":1:1: the YAML nests too deeply (an index is 'id or text: file name' lines)",
        ),
        # these had no line and column, and said only "while parsing a flow sequence"
        (b"ok: a.wav\nx: [b\n", ":3:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"),
        (b"Hello there.: \xff.wav\n", ":1:15: the file is not UTF-8 text (save it as UTF-8)"),
        # PyYAML's own words, no line: "unacceptable character #x0001: special characters are not allowed"
        (
            b'b.wav: ok\na.wav: "x\x01"\n',
            ":2:10: the character U+0001 (a control character) cannot be in an index of recordings"
            " (an index is plain text: delete it)",
        ),
        (
            "a.wav: x\ufffe\n".encode(),
            ":1:9: the character U+FFFE (a noncharacter) cannot be in an index of recordings"
            " (an index is plain text: delete it)",
        ),
        (
            b"k: v.wav\n" * 120_000,
            ": cannot be read: it is 1.1 MB; at most 1 MB is read",
        ),  # it said "is 1 MB; at most 1 MB"
    ],
)
def test_an_index_that_does_not_read_is_located(folder: Path, tmp_path: Path, content: bytes, message: str) -> None:
    (folder / "index.yaml").write_bytes(content)
    assert _refused(folder, tmp_path) == (f"{folder}/index.yaml{message}",)
    archive = tmp_path / "takes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("index.yaml", content)
    assert _refused(archive, tmp_path) == (f"{archive}:index.yaml{message}",)


# ----------------------------------------------------------------------------- a zip


def test_a_zip_is_read_as_the_folder_it_holds(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "w.wav", ac.speechy(1.0))
    archive = tmp_path / "class-recordings.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(wav, f"{phrase_id(WELCOME)}.wav")
        z.write(wav, f"recordings/{phrase_id(FOLD)}.wav")  # zipped with its folder
        z.write(wav, "__MACOSX/._x.wav")
        z.write(wav, "../passwd.wav")  # a hostile name is never a path written, and never read
        z.write(wav, "a/b/c/deeper.wav")  # nested deeper than one folder: not looked at, said
    rec = find(archive, tmp_path)
    assert rec.names() == {WELCOME: f"{phrase_id(WELCOME)}.wav", FOLD: f"{phrase_id(FOLD)}.wav"}
    assert rec.warnings == (
        f"{archive}:../passwd.wav: a name leading out of the zip is not read",
        f"{archive}:a/b/: is a folder; the files in it are not read (clips lie beside it, not in it)",
    )


def test_a_zip_of_bombs_is_refused_from_its_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten members of 49 MB of zeros each, 48 kB in the zip: each was unpacked, written to a
    temporary file and decoded (490 MB for a 478 kB zip, 13 s; a routine of 2000 phrases
    would unpack 98 GB). A member packed more than 100 to 1 is refused unread, and all the
    clips read out of one zip stop at MAX_ZIP_UNPACKED (hostile round three)."""
    archive = tmp_path / "takes.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{phrase_id(WELCOME)}.wav", b"\0" * 20_000_000)
    assert _refused(archive, tmp_path) == (
        f"{archive}:{phrase_id(WELCOME)}.wav: unpacks to 1028 times its size in the zip; at most 100 to 1 is read",
    )
    wav = write_wav(tmp_path / "w.wav", ac.speechy(1.0))
    with zipfile.ZipFile(archive, "w") as z:
        for t in TEXTS:
            z.write(wav, f"{phrase_id(t)}.wav")
    monkeypatch.setattr(R, "MAX_ZIP_UNPACKED", 2 * wav.stat().st_size)
    (problem,) = _refused(archive, tmp_path)  # two clips read, the third would pass the limit
    assert problem == (
        f"{archive}:{phrase_id('Three.')}.wav: would pass {R.size_text(2 * wav.stat().st_size)} unpacked from one "
        "zip; at most that is read"
    )


def test_a_zip_that_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "r.zip").write_text("no zip")
    with pytest.raises(RecordingError, match=r"r\.zip: is not a readable zip"):
        find(tmp_path / "r.zip", tmp_path)


# ----------------------------------------------------------------------------- the cache


def test_a_clip_is_cleaned_once_then_read_from_the_cache(folder: Path, tmp_path: Path, monkeypatch) -> None:
    write_wav(folder / f"{phrase_id(WELCOME)}.wav", ac.speechy(1.0))
    first = find(folder, tmp_path).clips[WELCOME].clip
    monkeypatch.setattr(R, "decode", lambda path: pytest.fail("decoded again"))
    again = find(folder, tmp_path).clips[WELCOME].clip
    assert np.array_equal(first.samples, again.samples)
    write_wav(folder / f"{phrase_id(WELCOME)}.wav", ac.speechy(1.5))  # a new take: new content, cleaned anew
    monkeypatch.undo()
    assert find(folder, tmp_path).clips[WELCOME].clip.length_ms > first.length_ms + 400


# ----------------------------------------------------------------------------- a hostile batch, mended


def test_an_index_that_links_outside_is_refused_unread(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("secret_key: hunter2\n")
    os.symlink(secret, folder / "index.yaml")
    problems = _refused(folder, tmp_path)
    assert problems == (
        f"{folder}/index.yaml: leads outside the folder {os.path.realpath(folder)!r} "
        "(a recording must be a file inside it; pass --allow-outside to read files outside)",
    )
    assert "hunter2" not in " ".join(problems)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: 0.3 * np.sin(2 * np.pi * 300 * np.arange(96_000) / 48_000), "holds no speech"),  # a steady tone
        (lambda: np.random.default_rng(3).normal(0, 0.05, 96_000), "holds no speech"),  # only the room
        (lambda: np.full(96_000, 0.5), "is silent"),  # an offset, no signal
    ],
)
def test_a_take_with_no_speech_in_it_is_refused(folder: Path, tmp_path: Path, make, message: str) -> None:
    write_wav(folder / f"{phrase_id(WELCOME)}.wav", make().astype(np.float32))
    with pytest.raises(RecordingError, match=message):
        find(folder, tmp_path)


def test_a_float_wav_full_of_nan_and_inf_is_no_crash(folder: Path, tmp_path: Path) -> None:
    x = ac.speechy(1.0, rate=44_100)  # at the mix rate: no resampler spreads the NaNs
    x[::7] = np.nan
    x[::11] = np.inf
    path = folder / f"{phrase_id(WELCOME)}.wav"
    raw = tmp_path / "f.f32"
    raw.write_bytes(x.astype("<f4").tobytes())
    subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", "44100", "-ac", "1", "-i", str(raw),
                    "-c:a", "pcm_f32le", str(path)], check=True)  # fmt: skip
    clip = find(folder, tmp_path).clips[WELCOME].clip  # the NaN and Inf samples taken as silence
    assert np.isfinite(ac.as_float(np.asarray(clip.samples))).all()


def test_a_damaged_or_encrypted_zip_member_is_named(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "w.wav", ac.speechy(1.0))
    archive = tmp_path / "r.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(wav, f"{phrase_id(WELCOME)}.wav")
    data = bytearray(archive.read_bytes())
    data[200] ^= 0xFF  # inside the member's data: its CRC no longer matches
    archive.write_bytes(bytes(data))
    with pytest.raises(
        RecordingError, match=r"r\.zip:welcome-to-your-practice-543c8d\.wav: cannot be read from the zip"
    ):
        find(archive, tmp_path)
    data = bytearray(archive.read_bytes())
    data[6] |= 0x1  # the local header says "encrypted"
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1  # and so does the central directory
    archive.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match=r"cannot be read from the zip \(it is encrypted\)"):
        find(archive, tmp_path)


def test_too_many_files_are_refused_before_they_are_read(tmp_path: Path, folder: Path, monkeypatch) -> None:
    monkeypatch.setattr(R, "MAX_FILES", 3)
    archive = tmp_path / "r.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(5):
            z.writestr(f"{i}.txt", "")
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("the central directory was parsed"))
    with pytest.raises(RecordingError, match=r"r\.zip: holds 5 files; at most 3 are read"):
        find(archive, tmp_path)
    for i in range(4):
        (folder / f"{i}.txt").write_text("")
    with pytest.raises(RecordingError, match="holds more than 3 files; at most 3 are read"):
        find(folder, tmp_path)


def test_a_file_name_with_control_characters_is_never_read_or_shown_raw(folder: Path, tmp_path: Path) -> None:
    write_wav(folder / "evil\x1b]0;PWNED\x07\nline.wav", ac.speechy(1.0))
    rec = find(folder, tmp_path)
    assert rec.warnings == (
        f"{folder}/evil\\x1b]0;PWNED\\x07\\x0aline.wav: a file name with control characters is not read",
    )  # noqa: E501


def test_two_spellings_of_one_text_share_one_clip(folder: Path, tmp_path: Path) -> None:
    nfc, nfd = "Caf\u00e9 time.", "Cafe\u0301 time."
    assert phrase_id(nfc) == phrase_id(nfd)
    write_wav(folder / f"{phrase_id(nfc)}.wav", ac.speechy(1.0))
    rec = find(folder, tmp_path, texts=[nfc, nfd])
    assert rec.names() == {nfc: f"{phrase_id(nfc)}.wav", nfd: f"{phrase_id(nfc)}.wav"}


def test_one_file_named_twice_in_the_index_is_one_clip(folder: Path, tmp_path: Path) -> None:
    write_wav(folder / "take.wav", ac.speechy(1.0))
    (folder / "index.yaml").write_text(f"{phrase_id(WELCOME)}: take.wav\n'{WELCOME}': take.wav\n")
    assert find(folder, tmp_path).names() == {WELCOME: "take.wav"}


def test_a_link_to_nothing_named_by_an_id_is_said(folder: Path, tmp_path: Path) -> None:
    os.symlink(folder / "gone.wav", folder / f"{phrase_id(WELCOME)}.wav")
    with pytest.raises(RecordingError, match=r"is a link to nothing \(its target is gone\)"):
        find(folder, tmp_path)
