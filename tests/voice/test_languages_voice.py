"""The voice by language (issue 16): ``auto`` per language, explicit backends that cannot
speak the routine's language, ``matcue voices --language``, and the lexicon per language.

Availability is faked (each backend reports installed or not, and lists a voice per given
language), so the picks hold on any machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from matcue.api import VoiceOverrides, routine_lexicon, voice_spec
from matcue.cli.main import cli
from matcue.core.errors import MatcueError, RoutineError, VoiceError
from matcue.routine.loader import load_routine
from matcue.voice import registry
from matcue.voice.backends.fake import FakeVoice
from matcue.voice.base import VoiceInfo, VoiceSpec
from matcue.voice.cache import speak_all
from matcue.voice.choice import check_voice
from matcue.voice.lexicon import Lexicon, default_lexicon

EVERY = {"hibari", "rhvoice", "flite", "pico2wave", "mbrola", "espeak-ng", "pyttsx3"}


def _installed(
    monkeypatch: pytest.MonkeyPatch, names: set[str], languages: dict[str, tuple[str, ...]] | None = None
) -> None:
    """Exactly ``names`` are available; each backend without its own ``languages`` lists one
    voice per language of ``languages[name]`` (default: en, de, es, fr)."""
    monkeypatch.setattr(registry.sys, "platform", "linux")
    for name in registry.AUTO_RANKING:
        voice = registry.get_backend(name)
        monkeypatch.setattr(voice, "available", lambda ok=name in names: ok)
        if getattr(voice, "languages", None) is None:
            langs = (languages or {}).get(name, ("en", "de-DE", "es", "fr"))
            listed = [VoiceInfo(f"{name}-{lang}", f"{name} {lang}", (lang,)) for lang in langs]
            monkeypatch.setattr(voice, "voices", lambda listed=listed: listed)


# ------------------------------------------------------------------- auto by language


@pytest.mark.parametrize(
    ("installed", "language", "picked"),
    [
        (EVERY, "de", "pico2wave"),
        (EVERY, "es", "pico2wave"),
        (EVERY, "fr-FR", "pico2wave"),
        ({"hibari", "flite", "mbrola", "espeak-ng"}, "de", "mbrola"),
        ({"hibari", "flite", "espeak-ng"}, "es", "espeak-ng"),  # a fresh Debian machine
        ({"hibari", "flite", "pyttsx3"}, "fr", "pyttsx3"),
        ({"rhvoice", "flite", "pyttsx3"}, "de", "rhvoice"),  # after the measured three: the English order
        # English: exactly today's order
        (EVERY, "en", "hibari"),
        (EVERY, "en-GB", "hibari"),
        ({"rhvoice", "pico2wave", "flite", "mbrola", "espeak-ng"}, "en", "rhvoice"),
        ({"pico2wave", "flite", "mbrola", "espeak-ng"}, "en", "flite"),
    ],
)
def test_auto_picks_the_clearest_installed_voice_for_the_language(
    monkeypatch: pytest.MonkeyPatch, installed: set[str], language: str, picked: str
) -> None:
    _installed(monkeypatch, installed)
    assert registry.get_backend("auto", language).name == picked
    assert registry.resolve_auto(language).name == picked


def test_auto_never_picks_a_backend_without_a_voice_for_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, EVERY, {"pico2wave": ("en-US", "fr-FR"), "mbrola": ("en",), "rhvoice": ("en",)})
    assert registry.resolve_auto("de").name == "espeak-ng"
    assert registry.resolve_auto("fr").name == "pico2wave"
    assert registry.resolve_auto("en").name == "hibari"


def test_auto_with_no_voice_for_the_language_names_the_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, {"hibari", "flite"})
    with pytest.raises(registry.NoVoiceForLanguage) as e:
        registry.get_backend("auto", "de")
    assert (
        str(e.value) == "no installed voice speaks 'de' (run scripts/setup-voices --language de; see 'matcue voices')"
    )


def test_auto_ranking_puts_the_measured_voices_first() -> None:
    assert registry.auto_ranking("en") == registry.AUTO_RANKING
    assert registry.auto_ranking("de-AT") == (
        "pico2wave", "mbrola", "espeak-ng", "hibari", "rhvoice", "flite", "pyttsx3",
    )  # fmt: skip
    assert registry.auto_ranking("it") == registry.AUTO_RANKING


def test_the_languages_come_from_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    def never() -> list[VoiceInfo]:
        raise AssertionError("an engine with its own languages is not asked for its voices")

    for name in ("hibari", "flite"):
        backend = registry.get_backend(name)
        monkeypatch.setattr(backend, "voices", never)
        assert registry.spoken_languages(backend) == {"en"}
        assert registry.speaks(backend, "en-GB") and not registry.speaks(backend, "de")
    fake = FakeVoice()
    assert registry.spoken_languages(fake) == {registry.EVERY_LANGUAGE}
    assert all(registry.speaks(fake, tag) for tag in ("en", "de", "es-MX", "fr"))
    espeak = registry.get_backend("espeak-ng")
    monkeypatch.setattr(
        espeak, "voices", lambda: [VoiceInfo("de", "German", ("de",)), VoiceInfo("x", "X", ("es-419",))]
    )
    assert registry.spoken_languages(espeak) == {"de", "es"}


# ------------------------------------------------------------- explicit backends refused


def _routine(tmp_path: Path, language: str, backend: str | None = None) -> Path:
    voice = f"voice: {{backend: {backend}}}\n" if backend else ""
    path = tmp_path / "r.yaml"
    path.write_text(f"title: T\nlanguage: {language}\n{voice}steps:\n  - say: Hallo.\n", encoding="utf-8")
    return path


def _check(path: Path, overrides: VoiceOverrides = VoiceOverrides()) -> None:
    routine = load_routine(path)
    check_voice(routine, voice_spec(routine, overrides), overrides)


def test_the_voice_check_lives_in_the_voice_package_and_the_api_re_exports_it() -> None:
    import matcue.api

    assert matcue.api.check_voice is check_voice
    assert check_voice.__module__ == "matcue.voice.choice"


def test_a_routine_asking_for_a_backend_that_cannot_speak_its_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(monkeypatch, {"hibari", "flite", "espeak-ng", "pico2wave"})
    path = _routine(tmp_path, "de", "flite")
    with pytest.raises(RoutineError) as e:
        _check(path)
    assert str(e.value) == (
        f"{path}:3:18: voice.backend: voice backend 'flite' does not speak 'de'"  # at the backend it names
        " (backends installed here that speak it: pico2wave, espeak-ng)"
    )
    _check(_routine(tmp_path, "en", "flite"))  # English: fine
    _check(_routine(tmp_path, "de", "espeak-ng"))


def test_the_flag_asking_for_a_backend_that_cannot_speak_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(monkeypatch, {"hibari", "flite", "espeak-ng"})
    with pytest.raises(MatcueError) as e:
        _check(_routine(tmp_path, "es", "espeak-ng"), VoiceOverrides(backend="hibari"))
    assert str(e.value) == (  # named by its option, as a name the routine lacks is
        "--backend: voice backend 'hibari' does not speak 'es' (backends installed here that speak it: espeak-ng)"
    )


def test_no_installed_backend_speaks_the_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, {"hibari", "flite"})
    with pytest.raises(MatcueError) as e:
        _check(_routine(tmp_path, "fr"), VoiceOverrides(backend="flite"))
    assert str(e.value) == (
        "--backend: voice backend 'flite' does not speak 'fr'"
        " (no installed backend speaks it: run scripts/setup-voices --language fr)"
    )
    path = _routine(tmp_path, "fr")  # auto: located at language:
    with pytest.raises(RoutineError) as e:
        _check(path)
    assert str(e.value) == (
        f"{path}:2:11: language: no installed voice speaks 'fr'"
        " (run scripts/setup-voices --language fr; see 'matcue voices')"
    )


def test_the_test_voice_speaks_every_language(tmp_path: Path, fake_voice: FakeVoice) -> None:
    for tag in ("de", "es", "fr", "en-GB"):
        _check(_routine(tmp_path, tag, "fake"))


class _GermanOnly(FakeVoice):
    name = "german-only"
    languages = ("de",)


def test_render_refuses_before_any_synthesis_exit_1(tmp_path: Path, voice_cache_dir: Path) -> None:
    voice = _GermanOnly()
    registry.register_backend("german-only", lambda: voice)
    try:
        path = _routine(tmp_path, "en")
        out = tmp_path / "out"
        r = CliRunner().invoke(cli, ["render", str(path), "-o", str(out), "--backend", "german-only"])
    finally:
        registry.unregister_backend("german-only")
    assert r.exit_code == 1, r.output
    assert "--backend: voice backend 'german-only' does not speak 'en'" in r.stderr
    assert voice.calls == 0
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------------ voices --language


def test_voices_language_lists_only_its_voices_and_autos_pick(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, {"hibari", "flite", "pico2wave", "espeak-ng"}, {"pico2wave": ("en-US", "de-DE")})
    r = CliRunner().invoke(cli, ["voices", "--language", "de"])
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "backend: pico2wave (available)  <- auto\n"
        "  pico2wave-de-DE\tpico2wave de-DE\tde-DE\n"
        "\n"
        "backend: espeak-ng (available)\n"
        "  espeak-ng-de-DE\tespeak-ng de-DE\tde-DE\n"
    )
    r = CliRunner().invoke(cli, ["voices", "--language", "en-GB"])
    assert r.stdout.startswith("backend: hibari (available)  <- auto\n")
    assert "pico2wave-en-US" in r.stdout and "de-DE" not in r.stdout


@pytest.mark.parametrize("tag", ["", "en-", "en US", "de-", "en_US.UTF-8"])
def test_voices_language_that_is_not_a_tag_is_a_usage_error(tag: str) -> None:
    r = CliRunner().invoke(cli, ["voices", "--language", tag])
    assert r.exit_code == 2
    assert f"Invalid value for '--language': {tag!r} is not a language tag (a BCP 47 tag is a language" in r.stderr


def test_voices_for_a_language_setup_voices_does_not_know_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """It said "run scripts/setup-voices --language zz", which that script refuses."""
    _installed(monkeypatch, {"hibari", "flite"})
    r = CliRunner().invoke(cli, ["voices", "--language", "zz"])
    assert r.exit_code == 1
    assert r.stderr == (
        "no installed voice speaks 'zz' (scripts/setup-voices knows de, es, fr and en; "
        "espeak-ng speaks most languages: sudo apt-get install espeak-ng)\n"
    )


def test_voices_language_without_a_voice_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, {"hibari", "flite"})
    r = CliRunner().invoke(cli, ["voices", "--language", "fr"])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr == "no installed voice speaks 'fr' (run scripts/setup-voices --language fr)\n"
    r = CliRunner().invoke(cli, ["voices", "--language", "fr", "--backend", "flite"])
    assert r.exit_code == 1
    assert r.stderr == "backend 'flite' has no installed voice for 'fr' (run scripts/setup-voices --language fr)\n"


# ------------------------------------------------------------------ lexicon per language


def _project(tmp_path: Path) -> Path:
    (tmp_path / "voice").mkdir()
    (tmp_path / "voice" / "lexicon.yaml").write_text("Tadasana: tah-dah-sah-nah\n", encoding="utf-8")
    (tmp_path / "voice" / "lexicon.de.yaml").write_text("Hund: Hunnd\n", encoding="utf-8")
    return tmp_path


def test_the_english_lexicons_apply_to_english_routines_only(tmp_path: Path) -> None:
    project = _project(tmp_path)
    english = default_lexicon(project, "en-GB")
    assert english.lookup("Tadasana") == "tah-dah-sah-nah"
    assert english.lookup("asana") == "ah-sah-nah"  # built-in
    assert english.lookup("Hund") is None
    german = default_lexicon(project, "de")
    assert german.lookup("Hund") == "Hunnd"
    assert german.lookup("Tadasana") is None and german.lookup("asana") is None
    assert len(german) == 1
    assert len(default_lexicon(project, "fr")) == 0  # no voice/lexicon.fr.yaml


def test_a_routines_own_lexicon_is_in_its_language(tmp_path: Path) -> None:
    project = _project(tmp_path)
    path = tmp_path / "r.yaml"
    path.write_text("title: T\nlanguage: de\nlexicon: {Katze: Katzä}\nsteps:\n  - say: Hallo.\n", encoding="utf-8")
    lex = routine_lexicon(load_routine(path), project)
    assert lex.lookup("Katze") == "Katzä" and lex.lookup("Hund") == "Hunnd"
    assert lex.lookup("asana") is None


def test_speech_default_lexicon_follows_the_language(
    tmp_path: Path, fake_voice: FakeVoice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_project(tmp_path))
    speak_all(["Hund asana."], VoiceSpec(backend="fake", language="de"))
    speak_all(["Hund asana."], VoiceSpec(backend="fake", language="en"))
    assert fake_voice.texts == ["Hunnd asana.", "Hund ah-sah-nah."]
    assert isinstance(default_lexicon(), Lexicon)


# ------------------------------------------------------------------ scripts/setup-voices

SETUP_VOICES = Path(__file__).resolve().parents[2] / "scripts" / "setup-voices"


def _setup_voices(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SETUP_VOICES), *args], capture_output=True, text=True, timeout=60, check=False)


def test_setup_voices_knows_de_es_fr_and_refuses_the_rest() -> None:
    assert "--language de" in _setup_voices("--help").stdout
    r = _setup_voices("--language", "it")
    assert r.returncode == 2
    assert r.stderr == (
        "setup-voices: no voice list for language 'it' (it knows de, es, fr and en);"
        " espeak-ng speaks most languages: sudo apt-get install espeak-ng\n"
    )
    assert _setup_voices("--language").returncode == 2


@pytest.mark.skipif(not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None, reason="Debian only")
@pytest.mark.parametrize(("tag", "voice"), [("de", "mbrola-de6"), ("es-MX", "mbrola-es2"), ("fr", "mbrola-fr4")])
def test_setup_voices_dry_run_says_what_it_would_install(tag: str, voice: str) -> None:
    r = _setup_voices("--language", tag, "--dry-run")
    if r.returncode == 1 and "root or sudo" in r.stderr:
        pytest.skip("needs root or sudo")
    assert r.returncode == 0, r.stderr
    code = tag[:2]
    assert f"setup-voices: language: {code}\n" in r.stdout
    assert f"install whichever of these exist: espeak-ng libttspico-utils mbrola {voice}\n" in r.stdout
    assert "libttspico-utils: SVOX pico" in r.stdout and "(non-free)" in r.stdout
    assert f"{voice}: the MBROLA voice {voice[7:]} (non-free)" in r.stdout
    assert r.stdout.endswith("setup-voices: --dry-run: nothing changed\n")


# ------------------------------------------------------------------ real voices per language


def test_mbrola_defaults_to_a_voice_of_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from matcue.voice.backends.mbrola import MbrolaBackend

    mbrola = MbrolaBackend()
    here = {"mb-de6", "mb-de2", "mb-fr1"}
    monkeypatch.setattr(mbrola, "_installed", lambda vid: vid in here)
    listed = [VoiceInfo("mb-de2", "german-mbrola-2", ("de",)), VoiceInfo("mb-fr1", "french-mbrola-1", ("fr",))]
    monkeypatch.setattr(mbrola, "voices", lambda: listed)
    assert mbrola.default_voice("de-AT") == "mb-de6"  # the one setup-voices installs
    assert mbrola.default_voice("fr") == "mb-fr1"  # else another for the language
    with pytest.raises(
        VoiceError, match=r"no MBROLA voice for language 'es' is installed \(e.g. apt-get install mbrola-es2\)"
    ):
        mbrola.default_voice("es")


@pytest.mark.realvoice
@pytest.mark.parametrize("language", ["de", "es", "fr"])
@pytest.mark.parametrize("name", ["pico2wave", "mbrola", "espeak-ng"])
def test_the_voices_for_a_language_speak_it(name: str, language: str) -> None:
    backend = registry.get_backend(name)
    if not backend.available() or not registry.speaks(backend, language):
        pytest.skip(f"{name} has no {language} voice here (scripts/setup-voices --language {language})")
    text = {"de": "Atme tief ein.", "es": "Inhala profundamente.", "fr": "Inspirez profondément."}[language]
    clip = backend.synthesize(text, VoiceSpec(backend=name, language=language))
    assert clip.length_ms > 400
    assert np.abs(clip.samples).max() > 1000


def test_a_backend_may_tune_its_rate_per_language() -> None:
    """pico2wave speaks German, Spanish and French clearest at 150 wpm, English at 170
    (docs/voices.md); a language it has no figure for takes its own default."""
    from matcue.api import backend_default_rate

    assert backend_default_rate("pico2wave", "de-AT") == 150
    assert backend_default_rate("pico2wave", "fr") == 150
    assert backend_default_rate("pico2wave", "en") == 170
    assert backend_default_rate("pico2wave", "it") == 170
