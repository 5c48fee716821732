"""Tests for matcue.voice: backends (one contract for all), registry, cache, WAV helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matcue.core.errors import MatcueError, ToolMissingError, VoiceError
from matcue.core.pcm import SAMPLE_RATE
from matcue.voice import registry
from matcue.voice.backends.espeak import EspeakBackend, parse_voices, speakable_text
from matcue.voice.backends.fake import FakeVoice, fake_length_ms, fake_samples
from matcue.voice.backends.pyttsx3_backend import Pyttsx3Backend, _Retryable, plausible_range
from matcue.voice.base import Clip, VoiceInfo, VoiceSpec
from matcue.voice.cache import cache_key, cache_path, speak_all
from matcue.voice.wav import (
    WavFormatError,
    read_audio_bytes,
    resample,
    trim_silence,
    wav_problem,
    write_wav_bytes,
)

REAL = {"espeak-ng", "pyttsx3", "flite", "rhvoice", "pico2wave", "mbrola", "hibari"}
UNICODE_TEXT = "Janu Śirṣāsana — café"
MS5 = SAMPLE_RATE * 5 // 1000


def _backend_params() -> list[object]:
    return [
        pytest.param(name, id=name, marks=[pytest.mark.realvoice] if name in REAL else [])
        for name in registry.backend_names()
    ]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


# ------------------------------------------------------------------- backend contract


@pytest.fixture(params=_backend_params())
def backend(request: pytest.FixtureRequest) -> registry.VoiceBackend:
    voice = registry.get_backend(request.param)
    if not voice.available():
        pytest.skip(f"voice backend {request.param!r} is not available on this machine")
    return voice


def _language(backend: registry.VoiceBackend) -> str:
    """English when ``backend`` has an English voice here, else a language it has (MBROLA
    with only the German, Spanish and French voices installed)."""
    if registry.speaks(backend, "en"):
        return "en"
    return sorted(registry.spoken_languages(backend))[0]


def test_backend_contract(backend: registry.VoiceBackend) -> None:
    spec = VoiceSpec(backend=backend.name, language=_language(backend))
    short = backend.synthesize("Inhale.", spec)
    long = backend.synthesize("Inhale slowly and reach both arms up to the sky.", spec)
    for clip in (short, long):
        assert isinstance(clip, Clip)
        assert clip.samples.dtype == np.int16
        assert clip.samples.ndim == 1  # mono
        assert len(clip.samples) > SAMPLE_RATE // 10
        assert np.abs(clip.samples).max() > 1000
    assert long.length_ms > short.length_ms + 500


def test_backend_speaks_unicode(backend: registry.VoiceBackend) -> None:
    clip = backend.synthesize(UNICODE_TEXT, VoiceSpec(backend=backend.name, language=_language(backend)))
    assert clip.samples.dtype == np.int16
    assert clip.length_ms > 500


def test_backend_trims_edges(backend: registry.VoiceBackend) -> None:
    clip = backend.synthesize("Find a comfortable seat on your mat.", VoiceSpec(language=_language(backend)))
    s = clip.samples.astype(np.int32)
    peak = np.abs(s).max()
    for edge in (s[:MS5], s[-MS5:]):
        assert _rms(edge) < 0.3 * peak  # quiet-ish: faded or margin
    ms1 = SAMPLE_RATE // 1000
    assert np.abs(s[:ms1]).max() < 0.1 * peak  # no click on the first/last sample
    assert np.abs(s[-ms1:]).max() < 0.1 * peak
    ms50 = SAMPLE_RATE * 50 // 1000  # and no long silence left at either end
    assert np.abs(s[:ms50]).max() > 0.01 * peak
    assert np.abs(s[-ms50:]).max() > 0.01 * peak


def test_backend_lists_voices(backend: registry.VoiceBackend) -> None:
    voices = backend.voices()
    assert voices
    assert all(v.id for v in voices)


# ------------------------------------------------------------------------ fake voice


def test_fake_is_deterministic_and_counts_calls() -> None:
    voice = FakeVoice()
    spec = VoiceSpec(backend="fake")
    a = voice.synthesize("Breathe in.", spec)
    b = voice.synthesize("Breathe in.", spec)
    assert np.array_equal(a.samples, b.samples)
    assert voice.calls == 2
    assert voice.texts == ["Breathe in.", "Breathe in."]
    other = voice.synthesize("Breathe out", spec)  # same length, different text
    assert len(other.samples) == len(a.samples)
    assert not np.array_equal(other.samples, a.samples)


def test_fake_length_follows_text_and_rate() -> None:
    assert fake_length_ms("abcde", 150) == 400
    assert fake_length_ms("abcde", 300) == 200
    assert len(fake_samples("abcde", 150)) == 400 * SAMPLE_RATE // 1000


def test_fake_sounds_like_speech() -> None:
    s = fake_samples("Find a comfortable seat on your mat.", 150).astype(np.float64)
    assert 20 * np.log10(np.abs(s).max() / 32768) == pytest.approx(-6, abs=0.2)
    spectrum = np.abs(np.fft.rfft(s)) ** 2
    freqs = np.fft.rfftfreq(len(s), 1 / SAMPLE_RATE)
    in_band = spectrum[(freqs >= 150) & (freqs <= 3000)].sum()
    assert in_band / spectrum.sum() > 0.99


# --------------------------------------------------------------------------- registry


def test_unknown_backend_message_is_pinned() -> None:
    with pytest.raises(MatcueError) as info:
        registry.get_backend("espeak")
    assert str(info.value) == (
        "unknown voice backend 'espeak' (did you mean 'espeak-ng'? known: auto, espeak-ng, pyttsx3, fake, flite,"
        " rhvoice, pico2wave, mbrola, hibari)"
    )


def test_unknown_backend_without_close_match() -> None:
    with pytest.raises(MatcueError) as info:
        registry.get_backend("polly")
    assert str(info.value) == (
        "unknown voice backend 'polly' (known: auto, espeak-ng, pyttsx3, fake, flite, rhvoice, pico2wave, mbrola,"
        " hibari)"
    )


def test_register_backend_adds_a_name() -> None:
    voice = FakeVoice()
    registry.register_backend("test-voice", lambda: voice)
    try:
        assert "test-voice" in registry.backend_names()
        assert registry.get_backend("test-voice") is voice
    finally:
        registry.unregister_backend("test-voice")
    assert "test-voice" not in registry.backend_names()


def test_long_phrases_are_shortened_in_messages() -> None:
    """One helper quotes a phrase in every message (core.errors.shown): the registry has no
    copy of its own."""
    from matcue.core.errors import shown

    assert shown("Rest.") == "'Rest.'"
    quoted = shown("Breathe in and out. " * 20)
    assert quoted == "'Breathe in and out. Breathe ... d out. Breathe in and out. '"
    assert not hasattr(registry, "quote_phrase")


def test_list_voices_names_the_resolved_backend(fake_voice: FakeVoice) -> None:
    name, voices = registry.list_voices("fake")
    assert name == "fake"
    assert [v.id for v in voices] == ["fake"]


def _only_available(monkeypatch: pytest.MonkeyPatch, names: set[str], languages: tuple[str, ...] = ("en",)) -> None:
    """Make exactly ``names`` report available (the others report missing), each listing a
    voice for each of ``languages`` (an engine with its own ``languages``, like hibari and
    flite, keeps them: its voices are its own)."""
    for name in registry.AUTO_RANKING:
        voice = registry.get_backend(name)
        monkeypatch.setattr(voice, "available", lambda ok=name in names: ok)
        if getattr(voice, "languages", None) is None:
            listed = [VoiceInfo(f"{name}-{lang}", f"{name} {lang}", (lang,)) for lang in languages]
            monkeypatch.setattr(voice, "voices", lambda listed=listed: listed)


@pytest.mark.parametrize(
    ("installed", "picked"),
    [
        ({"hibari", "rhvoice", "pico2wave", "flite", "mbrola", "espeak-ng", "pyttsx3"}, "hibari"),
        ({"hibari", "flite", "espeak-ng"}, "hibari"),  # a fresh machine: the voice installed with matcue
        ({"rhvoice", "pico2wave", "flite", "mbrola", "espeak-ng", "pyttsx3"}, "rhvoice"),
        ({"flite", "espeak-ng"}, "flite"),  # the neural voice cannot load: the fallback
        ({"pico2wave", "flite", "mbrola", "espeak-ng"}, "flite"),
        ({"pico2wave", "mbrola", "espeak-ng"}, "pico2wave"),
        ({"mbrola", "espeak-ng"}, "mbrola"),
        ({"espeak-ng", "pyttsx3"}, "espeak-ng"),
        ({"pyttsx3"}, "pyttsx3"),
    ],
)
def test_auto_picks_the_clearest_installed_voice_on_linux(
    monkeypatch: pytest.MonkeyPatch, installed: set[str], picked: str
) -> None:
    monkeypatch.setattr(registry.sys, "platform", "linux")
    _only_available(monkeypatch, installed)
    assert registry.get_backend("auto").name == picked


def test_auto_without_any_voice_names_what_setup_installs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry.sys, "platform", "linux")
    _only_available(monkeypatch, set())
    with pytest.raises(ToolMissingError, match="flite is not installed"):
        registry.get_backend("auto")


def test_survey_lists_every_backend_and_marks_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry.sys, "platform", "linux")
    _only_available(monkeypatch, {"flite", "espeak-ng"})
    for name in ("flite", "espeak-ng"):
        monkeypatch.setattr(registry.get_backend(name), "voices", lambda n=name: [VoiceInfo(n, n, ("en",))])
    survey = registry.survey_voices()
    assert [e.name for e in survey] == ["hibari", "rhvoice", "flite", "pico2wave", "mbrola", "espeak-ng", "pyttsx3"]
    assert [e.name for e in survey if e.auto] == ["flite"]
    assert [e.name for e in survey if e.available] == ["flite", "espeak-ng"]
    rhvoice = survey[1]
    assert rhvoice.voices == () and "setup-voices" in rhvoice.problem
    assert [e.name for e in registry.survey_voices("espeak-ng")] == ["espeak-ng"]
    assert [e.name for e in registry.survey_voices("auto")] == ["flite"]


def test_auto_is_pyttsx3_on_macos_without_the_neural_voice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry.sys, "platform", "darwin")
    monkeypatch.setattr(registry.get_backend("hibari"), "available", lambda: False)
    pyttsx3_voice = registry.get_backend("pyttsx3")
    monkeypatch.setattr(pyttsx3_voice, "available", lambda: True)
    assert registry.get_backend("auto") is pyttsx3_voice


def test_backends_are_imported_lazily() -> None:
    code = (
        "import sys\n"
        "import matcue.voice\n"
        "from matcue.voice.registry import get_backend\n"
        "assert 'matcue.voice.backends.espeak' not in sys.modules\n"
        "get_backend('pyttsx3').available(); get_backend('espeak-ng')\n"
        "assert 'pyttsx3' not in sys.modules, 'pyttsx3 imported'\n"
        "get_backend('hibari').available(); get_backend('hibari').voices()\n"
        "assert 'hibari' not in sys.modules, 'hibari imported before a phrase needed it'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------ cache


def test_second_run_reads_everything_from_cache(fake_voice: FakeVoice) -> None:
    spec = VoiceSpec(backend="fake")
    texts = ["Inhale.", "Exhale.", "Switch sides."]
    first = speak_all(texts, spec)
    assert (first.synthesized, first.cached, first.backend) == (3, 0, "fake")
    assert list(first.clips) == texts
    second = speak_all(texts, spec)
    assert (second.synthesized, second.cached) == (0, 3)
    assert fake_voice.calls == 3
    for text in texts:
        assert np.array_equal(first.clips[text].samples, second.clips[text].samples)


def test_changing_one_text_synthesizes_one(fake_voice: FakeVoice, voice_cache_dir: Path) -> None:
    spec = VoiceSpec(backend="fake")
    speak_all(["Inhale.", "Exhale.", "Rest."], spec)
    result = speak_all(["Inhale.", "Exhale slowly.", "Rest."], spec)
    assert (result.synthesized, result.cached) == (1, 2)
    assert fake_voice.texts[-1] == "Exhale slowly."
    assert len(list(voice_cache_dir.glob("*.npy"))) == 4
    assert not [p for p in voice_cache_dir.iterdir() if p.suffix != ".npy"]  # no temp files


def test_duplicates_are_synthesized_once(fake_voice: FakeVoice) -> None:
    result = speak_all(["Inhale.", "Exhale.", "Inhale.", "Inhale."], VoiceSpec(backend="fake"))
    assert result.synthesized == 2
    assert fake_voice.calls == 2
    assert set(result.clips) == {"Inhale.", "Exhale."}


def test_corrupt_cache_entry_is_resynthesized(fake_voice: FakeVoice, voice_cache_dir: Path) -> None:
    spec = VoiceSpec(backend="fake")
    first = speak_all(["Inhale.", "Exhale."], spec)
    entry = cache_path(voice_cache_dir, cache_key("Inhale.", spec, "fake"))
    entry.write_bytes(entry.read_bytes()[:60])  # truncated, as if killed mid-write
    again = speak_all(["Inhale.", "Exhale."], spec)
    assert (again.synthesized, again.cached) == (1, 1)
    assert np.array_equal(again.clips["Inhale."].samples, first.clips["Inhale."].samples)
    third = speak_all(["Inhale.", "Exhale."], spec)
    assert third.synthesized == 0  # the entry was rewritten


def test_a_cache_entry_that_is_a_link_is_a_miss_and_never_followed(
    tmp_path: Path, fake_voice: FakeVoice, voice_cache_dir: Path
) -> None:
    """A link in the cache is not an entry (the cache writes none): the file it leads to,
    outside the cache, is never read into a track; the phrase is spoken again and the link
    replaced by a real entry, the file outside untouched."""
    from matcue.voice.cache import load_cached

    spec = VoiceSpec(backend="fake")
    first = speak_all(["Soften the jaw."], spec).clips["Soften the jaw."]
    entry = first.path  # type: ignore[union-attr]
    outside = tmp_path / "elsewhere.npy"
    np.save(outside, np.zeros(first.n_samples, dtype=np.int16))  # a valid entry: silence
    entry.unlink()
    entry.symlink_to(outside)
    assert load_cached(entry) is None
    again = speak_all(["Soften the jaw."], spec)
    assert (again.synthesized, again.cached) == (1, 0)
    assert not entry.is_symlink() and np.array_equal(again.clips["Soften the jaw."].samples, first.samples)
    assert not np.load(outside).any()  # the file the link led to is as it was
    entry.unlink()
    entry.symlink_to(outside)  # swapped in after the header was read: the samples refuse it
    with pytest.raises(VoiceError, match="is a link, not a speech clip"):
        _ = first.samples


def test_explicit_cache_dir_and_progress(fake_voice: FakeVoice, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    folder = tmp_path / "elsewhere"
    speak_all(["a b c", "d e f"], VoiceSpec(backend="fake"), cache_dir=folder,
              progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)
    assert len(list(folder.glob("*.npy"))) == 2


def test_default_cache_dir_is_under_cwd(fake_voice: FakeVoice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATCUE_CACHE_DIR")
    monkeypatch.chdir(tmp_path)
    speak_all(["Rest."], VoiceSpec(backend="fake"))
    assert len(list((tmp_path / "voice" / "cache").glob("*.npy"))) == 1


def test_cache_key_covers_voice_settings() -> None:
    base = VoiceSpec()
    keys = {
        cache_key("Inhale.", base, "espeak-ng"),
        cache_key("Inhale.", base, "pyttsx3"),
        cache_key("Inhale.", VoiceSpec(name="en-gb"), "espeak-ng"),
        cache_key("Inhale.", VoiceSpec(rate=120), "espeak-ng"),
        cache_key("Inhale.", VoiceSpec(language="de"), "espeak-ng"),
        cache_key("Inhale ", base, "espeak-ng"),
    }
    assert len(keys) == 6


def test_a_changed_default_voice_is_not_served_from_the_cache(voice_cache_dir: Path) -> None:
    """Rendering without naming a voice keys the cache on the voice that speaks: when a
    backend's default changes, the old default's clips are not reused."""

    class Switchable(FakeVoice):
        default = "one"

        def default_voice(self, language: str) -> str:
            return self.default

        def voices(self) -> list[VoiceInfo]:
            return [VoiceInfo(id=v, name=v) for v in ("one", "two")]

    voice = Switchable()
    previous = registry.BACKENDS["fake"]
    registry.register_backend("fake", lambda: voice)
    try:
        spec = VoiceSpec(backend="fake")
        assert speak_all(["Soften the jaw."], spec).synthesized == 1
        assert speak_all(["Soften the jaw."], spec).synthesized == 0
        voice.default = "two"
        assert speak_all(["Soften the jaw."], spec).synthesized == 1
        assert speak_all(["Soften the jaw."], VoiceSpec(backend="fake", name="one")).synthesized == 0
    finally:
        registry.register_backend("fake", previous)


def test_synthesis_error_names_the_phrase(voice_cache_dir: Path) -> None:
    registry.register_backend("failing", lambda: FakeVoice(fail_on={"Boom."}))
    try:
        with pytest.raises(VoiceError, match=r"'Boom\.'"):
            speak_all(["Fine.", "Boom."], VoiceSpec(backend="failing"))
    finally:
        registry.unregister_backend("failing")


def test_empty_phrase_is_an_error(fake_voice: FakeVoice) -> None:
    with pytest.raises(VoiceError, match="empty phrase"):
        speak_all(["  "], VoiceSpec(backend="fake"))


# ------------------------------------------------------------------ WAV and resampling


def test_resampler_keeps_frequency_and_length() -> None:
    t = np.arange(22050) / 22050
    sine = 10_000 * np.sin(2 * np.pi * 1000 * t)
    out = resample(sine, 22050, 44100)
    assert len(out) == 44100
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    assert np.argmax(spectrum) * 44100 / len(out) == pytest.approx(1000, abs=1)
    ideal = 10_000 * np.sin(2 * np.pi * 1000 * np.arange(44100) / 44100)
    assert np.max(np.abs(out - ideal)[500:-500]) < 5  # better than -66 dB


def test_resampler_removes_images_and_handles_odd_ratios() -> None:
    noise = np.random.default_rng(1).standard_normal(16000) * 3000
    out = resample(noise, 16000, 44100)
    assert len(out) == 44100
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / 44100)
    assert spectrum[freqs > 8500].sum() / spectrum.sum() < 1e-4  # nothing above old Nyquist


def test_wav_reader_tolerates_streamed_header_and_detects_truncation() -> None:
    samples = (np.arange(1000) % 200 - 100).astype(np.int16) * 100
    data = write_wav_bytes(samples, 22050)
    audio = read_audio_bytes(data, strict=True)
    assert audio.rate_hz == 22050 and np.array_equal(audio.samples, samples)
    assert wav_problem(data) is None
    truncated = data[:-400]
    assert wav_problem(truncated) is not None
    streamed = (
        data[:4] + (0x7FFFFFF0).to_bytes(4, "little") + data[8:40] + (0x7FFFFFF0).to_bytes(4, "little") + data[44:]
    )
    assert np.array_equal(read_audio_bytes(streamed).samples, samples)
    with pytest.raises(WavFormatError):
        read_audio_bytes(b"not audio at all")


def test_trim_silence_keeps_margin_and_fades() -> None:
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(4410) / SAMPLE_RATE)).astype(np.int16)
    padded = np.concatenate([np.zeros(SAMPLE_RATE), tone, np.zeros(SAMPLE_RATE)]).astype(np.int16)
    trimmed = trim_silence(padded)
    margin = SAMPLE_RATE * 10 // 1000
    assert len(tone) <= len(trimmed) <= len(tone) + 2 * margin + 2
    assert trimmed[0] == 0 and trimmed[-1] == 0
    assert len(trim_silence(np.zeros(1000, np.int16))) == 0
    # audio that starts loud at sample 0 gets the margin added in front, and a fade
    loud = np.full(4410, 8000, np.int16)
    out = trim_silence(loud)
    assert len(out) == len(loud) + 2 * margin
    assert np.all(out[:margin] == 0) and abs(int(out[margin])) < 1000


# --------------------------------------------------------------------------- espeak-ng


ESPEAK_LISTING = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  af              --/M      Afrikaans          gmw/af
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 5  en-gb-x-gbclan  --/M      English_(Lancaster) gmw/en-GB-x-gbclan   (en-gb 3)(en 5)
"""


def test_parse_espeak_voices() -> None:
    voices = parse_voices(ESPEAK_LISTING)
    assert [v.id for v in voices] == ["af", "en-gb", "en-gb-x-gbclan"]
    assert voices[1].name == "English (Great Britain)"
    assert voices[2].languages == ("en-gb-x-gbclan", "en-gb", "en")


def test_espeak_reads_iast_without_spelling_accents() -> None:
    assert speakable_text("Janu Śīrṣāsana — café", "en-us") == "Janu Sirsasana — cafe"
    assert speakable_text("café", "fr") == "café"


def test_missing_espeak_binary_is_a_tool_error() -> None:
    voice = EspeakBackend(binary="no-such-espeak-ng-binary")
    assert not voice.available()
    with pytest.raises(ToolMissingError, match="install the 'espeak-ng' package"):
        voice.synthesize("Inhale.", VoiceSpec())


@pytest.mark.realvoice
def test_espeak_text_starting_with_dash_and_bad_voice() -> None:
    voice = registry.get_backend("espeak-ng")
    if not voice.available():
        pytest.skip("espeak-ng is not installed")
    assert voice.synthesize("-v is not an option here", VoiceSpec()).length_ms > 500
    with pytest.raises(VoiceError, match=r"'Inhale\.'.*'xx-yy'"):
        voice.synthesize("Inhale.", VoiceSpec(name="xx-yy"))


@pytest.mark.realvoice
def test_speak_all_with_espeak_runs_concurrently(voice_cache_dir: Path) -> None:
    if not registry.get_backend("espeak-ng").available():
        pytest.skip("espeak-ng is not installed")
    texts = ["Inhale.", "Exhale.", "Switch sides.", "Rest."]
    spec = VoiceSpec(backend="espeak-ng")
    result = speak_all(texts, spec)
    assert result.synthesized == 4 and result.backend == "espeak-ng"
    assert speak_all(texts, spec).synthesized == 0


# ----------------------------------------------------------------------------- pyttsx3


def test_pyttsx3_plausible_length() -> None:
    rng = plausible_range("Find a comfortable seat.", 150)
    assert rng.min_ms == 20 * 20  # 20 letters, 20 ms each
    assert rng.max_ms > 5000
    assert plausible_range("Find a comfortable seat.", 300).min_ms == 10 * 20


def test_pyttsx3_retries_once_then_names_the_phrase(monkeypatch: pytest.MonkeyPatch) -> None:
    voice = Pyttsx3Backend()
    attempts: list[str] = []

    def flaky(text: str, spec: VoiceSpec) -> np.ndarray:
        attempts.append(text)
        if len(attempts) == 1:
            raise _Retryable("no result within 1 s")
        return np.ones(100, np.int16)

    monkeypatch.setattr(voice, "_attempt", flaky)
    assert len(voice.synthesize("Inhale.", VoiceSpec()).samples) == 100
    assert len(attempts) == 2

    def broken(text: str, spec: VoiceSpec) -> np.ndarray:
        attempts.append(text)
        raise _Retryable("audio too short (3 ms, expected >= 120)")

    attempts.clear()
    monkeypatch.setattr(voice, "_attempt", broken)
    with pytest.raises(VoiceError) as info:
        voice.synthesize("Inhale.", VoiceSpec())
    assert len(attempts) == 2
    assert str(info.value) == (
        "pyttsx3 failed to speak 'Inhale.' (tried twice: audio too short (3 ms, expected >= 120);"
        " audio too short (3 ms, expected >= 120))"
    )


@pytest.mark.realvoice
def test_pyttsx3_chatter_never_reaches_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    voice = registry.get_backend("pyttsx3")
    if not voice.available():
        pytest.skip("pyttsx3 is not available")
    voice.synthesize("Rest.", VoiceSpec())
    out, err = capfd.readouterr()
    assert "Audio saved" not in out + err
