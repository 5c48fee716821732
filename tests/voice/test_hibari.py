"""The hibari neural voice: offline only, loaded once and only on a cache miss, bit-identical
output, a clean resampling to the mix rate, and every bad case a clear error or a fallback."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matcue.core.errors import MatcueError, VoiceError
from matcue.core.pcm import SAMPLE_RATE
from matcue.voice import registry
from matcue.voice.backends.hibari_backend import (
    MODEL_RATE_HZ,
    HibariBackend,
    package_dir,
    split_long,
)
from matcue.voice.base import VoiceSpec
from matcue.voice.cache import cache_key, speak_all
from matcue.voice.lexicon import builtin_lexicon, speech_text

pytestmark = pytest.mark.realvoice

PKG = package_dir()
needs_hibari = pytest.mark.skipif(PKG is None, reason="hibari-tts is not installed (a dependency of matcue)")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def hibari() -> HibariBackend:
    backend = registry.get_backend("hibari")
    assert isinstance(backend, HibariBackend)
    if not backend.available():
        pytest.skip(f"hibari cannot speak here: {backend.problem()}")
    return backend


def _copy_package(tmp_path: Path) -> Path:
    """A copy of the installed hibari package folder whose files we may damage."""
    assert PKG is not None
    copy = tmp_path / "hibari"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# ------------------------------------------------------------------------ speaking


@needs_hibari
def test_same_text_gives_the_same_samples(hibari: HibariBackend) -> None:
    spec = VoiceSpec(backend="hibari", rate=hibari.default_rate_wpm)
    a = hibari.synthesize("Breathe in slowly. Let your shoulders soften.", spec)
    b = hibari.synthesize("Breathe in slowly. Let your shoulders soften.", spec)
    assert a.samples.dtype == np.int16 and len(a.samples) > SAMPLE_RATE
    assert np.array_equal(a.samples, b.samples)  # the fixed seed: bit-identical


@needs_hibari
def test_rate_maps_to_the_model_speed(hibari: HibariBackend) -> None:
    text = "Lie on your back and let the floor hold you."
    slow = hibari.synthesize(text, VoiceSpec(backend="hibari", rate=120)).length_ms
    fast = hibari.synthesize(text, VoiceSpec(backend="hibari", rate=200)).length_ms
    assert fast < 0.8 * slow


@needs_hibari
def test_one_onnxruntime_thread_per_synthesis_thread(hibari: HibariBackend) -> None:
    tts = hibari.model()
    assert tts.sess.get_session_options().intra_op_num_threads == 1
    assert hibari.parallel  # the speech cache synthesizes misses on every core
    assert hibari.model() is tts  # loaded once per process


@needs_hibari
def test_resampled_speech_has_no_images_above_the_model_band_and_no_edge_clicks(hibari: HibariBackend) -> None:
    clip = hibari.synthesize("Find a comfortable seat on your mat.", VoiceSpec(backend="hibari"))
    s = clip.samples.astype(np.float64)
    spectrum = np.abs(np.fft.rfft(s * np.hanning(len(s)))) ** 2
    freqs = np.fft.rfftfreq(len(s), 1 / SAMPLE_RATE)
    speech = spectrum[(freqs > 100) & (freqs < 8000)].sum()
    images = spectrum[freqs > MODEL_RATE_HZ / 2 + 500].sum()  # 24 kHz audio has nothing above 12 kHz
    assert 10 * np.log10(images / speech) < -60
    ms1 = SAMPLE_RATE // 1000
    peak = np.abs(s).max()
    assert np.abs(s[:ms1]).max() < 0.01 * peak and np.abs(s[-ms1:]).max() < 0.01 * peak
    step = np.abs(np.diff(s[: 10 * ms1])).max()  # the onset rises, it does not jump
    assert step < 0.1 * peak


def test_resampler_keeps_a_tone_and_adds_no_alias() -> None:
    from matcue.voice.wav import resample

    t = np.arange(MODEL_RATE_HZ) / MODEL_RATE_HZ
    tone = 16000 * np.sin(2 * np.pi * 11_000 * t)  # near the 12 kHz Nyquist of the model's rate
    out = resample(tone, MODEL_RATE_HZ, SAMPLE_RATE)
    assert len(out) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out)))) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / SAMPLE_RATE)
    tone_power = spectrum[np.abs(freqs - 11_000) < 50].sum()
    elsewhere = spectrum[np.abs(freqs - 11_000) > 300].sum()
    assert 10 * np.log10(elsewhere / tone_power) < -60  # no image at 13.0 kHz, no alias


@needs_hibari
def test_long_cue_without_punctuation_is_spoken_in_pieces(hibari: HibariBackend) -> None:
    text = " ".join(["breathe softly into the belly and let the ribs widen"] * 14)  # > 400 phonemes
    with hibari._g2p_lock:
        (phonemes,) = hibari.model().phonemize(text)
    assert len(phonemes) > 400 and all(len(p) <= 400 for p in split_long(phonemes))
    clip = hibari.synthesize(text, VoiceSpec(backend="hibari", rate=200))
    assert clip.length_ms > 20_000


def test_split_long_cuts_a_20000_character_string_into_model_sized_pieces() -> None:
    words = ("ðə bɹˈɛθ " * 2500)[:20_000]
    pieces = split_long(words)
    assert all(0 < len(p) <= 400 for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == words.replace(" ", "")
    assert split_long("x" * 1000) == ["x" * 400, "x" * 400, "x" * 200]


# ------------------------------------------------------------------ cache and loading


@needs_hibari
def test_cache_key_names_the_model_file_content_and_the_seed(hibari: HibariBackend) -> None:
    spec = VoiceSpec(backend="hibari", name="heart")
    tag = hibari.cache_tag(spec)
    assert PKG is not None
    model = PKG / "assets" / "hibari.onnx"
    assert f"model-sha256={hashlib.sha256(model.read_bytes()).hexdigest()}" in tag
    assert "seed=" in tag
    assert cache_key("Rest.", spec, "hibari", tag) != cache_key("Rest.", spec, "hibari", tag.replace("seed=", "seed=1"))
    assert cache_key("Rest.", spec, "hibari", tag) != cache_key("Rest.", spec, "hibari")


@needs_hibari
def test_warm_run_does_not_load_the_model(hibari: HibariBackend, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    texts = ["Sit tall.", "Warrior II, hold it."]
    first = speak_all(texts, VoiceSpec(backend="hibari"), cache_dir=cache)
    assert first.synthesized == 2
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from matcue.voice.base import VoiceSpec\n"
        "from matcue.voice.cache import speak_all\n"
        "from matcue.voice.registry import get_backend\n"
        f"r = speak_all({texts!r}, VoiceSpec(backend='auto'), cache_dir=Path({str(cache)!r}))\n"
        "assert (r.backend, r.synthesized, r.cached) == ('hibari', 0, 2), r\n"
        "assert get_backend('hibari').loads == 0\n"
        "assert 'hibari' not in sys.modules and 'hibari.tts' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ------------------------------------------------------------------------ bad cases


def test_onnxruntime_failing_to_import_makes_auto_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    broken = HibariBackend()
    assert not broken.available()
    assert "onnxruntime does not import" in broken.problem()
    monkeypatch.setitem(registry._instances, "hibari", broken)
    monkeypatch.setattr(registry.sys, "platform", "linux")
    assert registry.resolve_auto().name != "hibari"
    with pytest.raises(VoiceError, match="onnxruntime does not import"):
        broken.synthesize("Rest.", VoiceSpec(backend="hibari"))
    (entry,) = registry.survey_voices("hibari")
    assert not entry.available and "onnxruntime does not import" in entry.problem


@needs_hibari
@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_damaged_model_file_is_reported_and_never_loaded(tmp_path: Path, damage: str) -> None:
    copy = _copy_package(tmp_path)
    model = copy / "assets" / "hibari.onnx"
    if damage == "corrupt":
        data = bytearray(model.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\0" * 64
        model.write_bytes(bytes(data))
    else:
        model.unlink()
    backend = HibariBackend(package=copy)
    assert not backend.available()
    assert "model file is missing or corrupt" in backend.problem() and str(model) in backend.problem()
    assert backend.voices() == []
    with pytest.raises(VoiceError, match="missing or corrupt"):
        backend.synthesize("Rest.", VoiceSpec(backend="hibari"))
    assert backend.loads == 0


@needs_hibari
def test_a_voice_that_is_not_on_disk_is_not_listed_nor_downloaded(
    hibari: HibariBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari-home"))  # hibari's download folder: empty
    assert [v.id for v in hibari.voices()] == ["heart"]
    with pytest.raises(VoiceError, match=r"hibari voice 'emma' is not on this machine \(voices here: heart;"):
        hibari.synthesize("Rest.", VoiceSpec(backend="hibari", name="emma"))
    with pytest.raises(VoiceError, match=r"backend 'hibari' has no voice 'emma' \(voices: heart;"):
        speak_all(["Rest."], VoiceSpec(backend="hibari", name="emma"), cache_dir=tmp_path / "c")
    assert not (tmp_path / "hibari-home").exists()
    import hibari.voices as hv  # hibari's own downloader refuses once matcue has loaded it

    hibari.model()  # (the unlisted voice above is refused before anything loads)
    with pytest.raises(VoiceError, match="never downloads"):
        hv.voice_path("emma")


@needs_hibari
def test_a_voice_file_present_on_disk_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _copy_package(tmp_path)
    voices = json.loads((copy / "assets" / "voices.json").read_text())
    home = tmp_path / "hibari-home"
    home.mkdir()
    fake_model = home / voices["kore"]["file"]
    fake_model.write_bytes(b"not the model")  # on disk but not what the registry says: not used
    voices["kore"]["sha256"] = hashlib.sha256(b"not the model").hexdigest()  # now it is
    (copy / "assets" / "voices.json").write_text(json.dumps(voices))
    monkeypatch.setenv("HIBARI_HOME", str(home))
    assert [v.id for v in HibariBackend(package=copy).voices()] == ["heart", "kore"]


@needs_hibari
@pytest.mark.parametrize("text", ["...", "!?", "\U0001f642", "こんにちは", "—"])
def test_nothing_readable_is_a_clear_error(hibari: HibariBackend, text: str) -> None:
    with pytest.raises(VoiceError, match="hibari found nothing it can say in"):
        hibari.synthesize(text, VoiceSpec(backend="hibari"))


@needs_hibari
def test_emoji_and_other_scripts_inside_english_are_skipped(hibari: HibariBackend) -> None:
    clean = hibari.synthesize("Breathe in.", VoiceSpec(backend="hibari"))
    mixed = hibari.synthesize("Breathe \U0001f642 in. \u4f60\u597d", VoiceSpec(backend="hibari"))
    assert abs(mixed.length_ms - clean.length_ms) < 300


def test_empty_text_is_refused_before_any_voice(voice_cache_dir: Path) -> None:
    with pytest.raises(VoiceError, match="cannot speak an empty phrase"):
        speak_all(["   "], VoiceSpec(backend="hibari"))


@needs_hibari
def test_lexicon_phonemes_reach_hibari_and_bad_ones_are_named(hibari: HibariBackend) -> None:
    lex = builtin_lexicon()
    said = speech_text("Stretch the piriformis in Eka Pada Rajakapotasana.", lex, "en", "hibari")
    assert "[piriformis](/" in said and "[Rajakapotasana](/" in said
    assert "pir-ih-for-mis" in speech_text("piriformis", lex, "en", "flite")  # respellings still work
    with hibari._g2p_lock:
        (phonemes,) = hibari.model().phonemize(said)
    assert "pˌɪɹəfˈɔɹmɪs" in phonemes
    with pytest.raises(VoiceError, match=r"hibari has no phoneme '#'.*'psoas'"):
        hibari.synthesize("[psoas](/s#As/)", VoiceSpec(backend="hibari"))


def test_cli_voices_shows_the_model_file_and_whether_it_loads(run) -> None:  # type: ignore[no-untyped-def]
    r = run("voices", "--backend", "hibari")
    if PKG is None:
        assert r.exit_code == 1
        return
    assert r.exit_code == 0, r.output
    assert "backend: hibari (available)" in r.output
    assert "hibari.onnx" in r.output and "model loads: yes" in r.output
    assert "heart" in r.output


def test_voice_errors_reach_the_user_located_and_without_a_traceback(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if PKG is None:
        pytest.skip("hibari-tts is not installed")
    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nvoice: {backend: hibari, name: emma}\nsteps:\n  - say: Rest now.\n")
    r = run("render", str(routine), "-o", str(tmp_path / "out"))
    assert r.exit_code == 1, r.output
    assert f"{routine}:2:32: voice.name: backend 'hibari' has no voice 'emma' (voices: heart;" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.mp3"))


def test_unknown_judge_is_an_error() -> None:
    from matcue.voice.intelligibility import make_recognizer

    with pytest.raises(MatcueError, match="unknown judge"):
        make_recognizer("ears")


def test_a_20000_character_cue_is_a_located_error_before_any_voice(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    routine = tmp_path / "long.yaml"
    text = ("Breathe in slowly and let the shoulders soften. " * 420)[:20_000]
    routine.write_text(f'title: T\nvoice: {{backend: hibari}}\nsteps:\n  - say: "{text}"\n')
    r = run("render", str(routine), "-o", str(tmp_path / "out"))
    assert r.exit_code == 1
    assert f"{routine}:4:10: steps[0].say: text is 20000 characters long" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()


def _run_with_home(home: Path, code: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_onnxruntime_telemetry_is_off_before_it_loads(tmp_path: Path) -> None:
    """onnxruntime 1.29+ on Linux wrote a device id and an upload queue into
    ~/.cache/Microsoft and sent usage events to Microsoft when it was imported; matcue
    reaches no network, so importing matcue turns that off first (a socket block in Python
    cannot see the runtime's own uploader)."""
    pytest.importorskip("onnxruntime")
    bare, ours = tmp_path / "bare", tmp_path / "ours"
    bare.mkdir()
    ours.mkdir()
    _run_with_home(bare, "import onnxruntime")
    r = _run_with_home(ours, "import matcue, os, onnxruntime; print(os.environ['ORT_DISABLE_TELEMETRY'])")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1\n"
    assert sorted(p.relative_to(ours).as_posix() for p in ours.rglob("*")) == []
    assert "telemetry" not in r.stderr
    telemetry = sorted(p.name for p in bare.rglob("*") if p.is_file())
    if telemetry:  # this onnxruntime collects telemetry: what importing it alone leaves behind
        assert "deviceid" in telemetry, telemetry


@needs_hibari
def test_matcue_voices_writes_nothing_into_home(tmp_path: Path) -> None:
    r = _run_with_home(tmp_path, "import sys; from matcue.cli.main import main; sys.exit(main(['voices']))")
    assert r.returncode == 0, r.stderr
    assert "backend: hibari" in r.stdout
    assert not (tmp_path / ".cache" / "Microsoft").exists()
    assert "telemetry" not in r.stderr
