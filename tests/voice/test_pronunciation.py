"""Pronunciation: text normalization and the lexicon (built-in < project < routine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcue.api import build_timeline, routine_lexicon
from matcue.core.errors import RoutineError
from matcue.routine.loader import loads_routine
from matcue.voice.backends.fake import FakeVoice
from matcue.voice.base import VoiceSpec
from matcue.voice.cache import speak_all
from matcue.voice.lexicon import Lexicon, LexiconError, builtin_lexicon, default_lexicon, load_lexicon, speech_text
from matcue.voice.normalize import normalize_text, number_words, ordinal_words

# ------------------------------------------------------------------ normalization


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("3 rounds", "three rounds"),
        ("Hold 30s.", "Hold thirty seconds."),
        ("Hold for 1m30s.", "Hold for one minute thirty seconds."),
        ("Rest 2m, then 1h of practice", "Rest two minutes, then one hour of practice"),
        ("45 sec and 5 min", "forty-five seconds and five minutes"),
        ("Rest 5 minutes. Then sit.", "Rest five minutes. Then sit."),  # the full stop was eaten
        ("Hold 30 seconds.", "Hold thirty seconds."),
        ("Hold 5 min. Then 1 hr.", "Hold five minutes. Then one hour."),
        ("1s", "one second"),
        ("4-7-8 breathing", "four seven eight breathing"),
        ("Box breathing, 4-4-4-4.", "Box breathing, four four four four."),
        ("5-10 breaths", "five to ten breaths"),
        ("Lengthen through L5-S1.", "Lengthen through L five S one."),
        ("the 2nd and 21st round", "the second and twenty-first round"),
        ("5.5 seconds", "five and a half seconds"),
        ("5.5 breaths, 5.25 seconds", "five point five breaths, five point two five seconds"),
        ("Hold 1 000 breaths, 10 000 steps", "Hold one thousand breaths, ten thousand steps"),
        ("1\u202f000\u202f000", "one million"),
        ("-5s", "minus five seconds"),
        ("from 5 to \u22125", "from five to minus five"),
        ("5 -10 breaths", "five to ten breaths"),
        ("Breathe 4:6", "Breathe four to six"),
        ("Breathe 4:7:8", "Breathe four seven eight"),
        ("at 6:30", "at six:thirty"),
        ("1.5 min, 1.5m and 2.5 minutes", "one and a half minutes, one and a half minutes and two and a half minutes"),
        ("0.5 h", "half an hour"),
        ("1.5", "one point five"),
        ("e.g. a strap, i.e. a belt", "for example a strap, that is a belt"),
        ("10 reps, 3x", "ten repetitions, three times"),
        ("at 50%", "at fifty percent"),
        ("Janu Śīrṣāsana", "Janu Sirsasana"),
        ("Welcome. I am Maya.", "Welcome. I am Maya."),
        ("[[p3:fekt]] 3 times", "[[p3:fekt]] three times"),
        ("Warrior II, then Virabhadrasana III.", "Warrior two, then Virabhadrasana three."),
        ("Warrior I. I breathe.", "Warrior one. I breathe."),
        ("Marichyasana IV and Part II", "Marichyasana four and Part two"),
        ("I think II is fine", "I think II is fine"),  # no pose word, not capitalized: left alone
        ("Warrior II's stance", "Warrior II's stance"),
    ],
)
def test_english_normalization(text: str, spoken: str) -> None:
    assert normalize_text(text, "en") == spoken


def test_other_languages_read_with_their_own_rules() -> None:
    # German reads its own numbers (matcue.languages.de) and keeps accents; a language
    # matcue has no module for passes through unchanged
    assert normalize_text("3 Runden, 30s, Fuß", "de") == "drei Runden, dreißig Sekunden, Fuß"
    assert normalize_text("3 rondes, 30s", "nl") == "3 rondes, 30s"


@pytest.mark.parametrize(
    ("language", "spoken"),
    [("en", "Hold thirty seconds, thirty, five."), ("de", "Halte dreißig Sekunden, dreißig, fünf."),
     ("fr", "Tiens trente secondes, trente, cinq."), ("es", "Mantén treinta segundos, treinta, cinco.")],
)  # fmt: skip
def test_digits_of_another_script_are_read_in_every_language(language: str, spoken: str) -> None:
    """Arabic-Indic, full-width and Devanagari digits: English read them, German, French and
    Spanish passed them to the voice unread (exit 0, the number lost)."""
    words = {"en": "Hold {} seconds", "de": "Halte {} Sekunden", "fr": "Tiens {} secondes", "es": "Mantén {} segundos"}
    text = words[language].format("\u0663\u0660") + ", \uff13\uff10, \u096b."
    assert normalize_text(text, language) == spoken
    assert normalize_text("3\u00b2", language) == "3\u00b2"  # a superscript is not a decimal digit: left as written


def test_number_words() -> None:
    assert [number_words(n) for n in (0, 13, 40, 99, 105, 1200)] == [
        "zero", "thirteen", "forty", "ninety-nine", "one hundred five", "one thousand two hundred"
    ]  # fmt: skip
    assert [ordinal_words(n) for n in (1, 2, 3, 12, 20, 22)] == [
        "first", "second", "third", "twelfth", "twentieth", "twenty-second"
    ]  # fmt: skip


# ------------------------------------------------------------------ lexicon


SANSKRIT = ["Eka Pada Rajakapotasana", "Agnistambhasana", "Dwi Pada Sirsasana", "Eka Pada Sirsasana",
            "Janu Sirsasana", "Ashtanga", "asana"]  # fmt: skip
ANATOMY = ["piriformis", "acetabulum", "gemelli", "adductors"]


@pytest.mark.parametrize("word", SANSKRIT + ANATOMY)
def test_builtin_lexicon_respells_sanskrit_and_anatomy(word: str) -> None:
    spoken = speech_text(f"Now {word}, slowly.", builtin_lexicon(), "en", "flite")
    assert word.lower() not in spoken.lower()
    assert spoken.startswith("Now ") and spoken.endswith(", slowly.")


@pytest.mark.parametrize("word", ["Eka Pada Rajakapotasana", "Agnistambhasana", "Dwi Pada Sirsasana", "Janu Sirsasana",
                                  "Supta Padangusthasana", "piriformis", "acetabulum"])  # fmt: skip
def test_builtin_lexicon_gives_hibari_phonemes(word: str) -> None:
    spoken = speech_text(f"Now {word}, slowly.", builtin_lexicon(), "en", "hibari")
    pieces = spoken.removeprefix("Now ").removesuffix(", slowly.").split(" ")
    assert len(pieces) == len(word.split())
    for original, piece in zip(word.split(), pieces):
        assert piece.startswith(f"[{original}](/") and piece.endswith("/)")  # hibari's inline phonemes


def test_a_slashed_form_is_phonemes_and_other_forms_stay_respellings() -> None:
    lex = Lexicon.from_mapping({"psoas": {"say": "so-us", "hibari": "/sˈOəs/"}})
    assert speech_text("Release the psoas.", lex, "en", "hibari") == "Release the [psoas](/sˈOəs/)."
    assert speech_text("Release the psoas.", lex, "en", "flite") == "Release the so-us."


def test_lexicon_matches_whole_words_ignoring_case_and_accents() -> None:
    lex = Lexicon.from_mapping({"Sirsasana": "sheer-shah-sah-nah", "Eka Pada": "ay-kah pah-dah"})
    assert speech_text("janu ŚĪRṢĀSANA", lex) == "janu sheer-shah-sah-nah"
    assert speech_text("Sirsasanas and xSirsasana", lex) == "Sirsasanas and xSirsasana"
    assert speech_text("Eka  Pada", lex) == "ay-kah pah-dah"


def test_backend_phonemes_win_for_that_backend() -> None:
    lex = Lexicon.from_mapping({"psoas": {"say": "so-us", "espeak-ng": "[[s'oU@s]]"}})
    assert speech_text("psoas", lex, "en", "espeak-ng") == "[[s'oU@s]]"
    assert speech_text("psoas", lex, "en", "flite") == "so-us"


def test_a_voice_that_runs_exhale_together_gets_it_spelled_out() -> None:
    lex = builtin_lexicon()
    assert speech_text("With each exhale, let go.", lex, backend="rhvoice") == "With each ex-hale, let go."
    assert speech_text("Inhale and reach up.", lex, backend="rhvoice") == "in-hale and reach up."
    assert speech_text("With each exhale, let go.", lex, backend="flite") == "With each exhale, let go."


def test_sanskrit_names_are_respelled_before_speech(fake_voice: FakeVoice) -> None:
    result = speak_all(["Pigeon, Eka Pada Rajakapotasana.", "Janu Śīrṣāsana."], VoiceSpec(backend="fake"))
    assert fake_voice.texts == ["Pigeon, ay-kah pah-dah rah-jah-kah-poh-tah-sah-nah.", "jah-noo sheer-shah-sah-nah."]
    assert list(result.clips) == ["Pigeon, Eka Pada Rajakapotasana.", "Janu Śīrṣāsana."]  # keyed by the original


def test_lexicon_change_resynthesizes_only_affected_phrases(fake_voice: FakeVoice) -> None:
    spec = VoiceSpec(backend="fake")
    texts = ["Inhale.", "Rest in Balasana.", "Hold 30s."]
    first = speak_all(texts, spec, lexicon=Lexicon())
    assert first.synthesized == 3 and fake_voice.texts[-1] == "Hold thirty seconds."
    again = speak_all(texts, spec, lexicon=Lexicon.from_mapping({"Balasana": "bah-lah-sah-nah"}))
    assert (again.synthesized, again.cached) == (1, 2)
    assert fake_voice.texts[-1] == "Rest in bah-lah-sah-nah."


def test_precedence_routine_over_project_over_builtin(tmp_path: Path) -> None:
    (tmp_path / "voice").mkdir()
    (tmp_path / "voice" / "lexicon.yaml").write_text("Janu: JAH-new\nAshtanga: project-ashtanga\n")
    routine = loads_routine("title: T\nlexicon:\n  Ashtanga: routine-ashtanga\nsteps:\n  - say: hi\n", "r.yaml")
    lex = routine_lexicon(routine, tmp_path)
    assert lex.lookup("Ashtanga") == "routine-ashtanga"  # routine > project
    assert lex.lookup("Janu") == "JAH-new"  # project > built-in
    assert lex.lookup("Sirsasana") == builtin_lexicon().lookup("Sirsasana")  # built-in
    assert default_lexicon(tmp_path / "nowhere").lookup("Janu") == builtin_lexicon().lookup("Janu")


def test_routine_lexicon_reaches_the_voice(fake_voice: FakeVoice, tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "title: T\nlexicon:\n  Maya: MY-ah\n  psoas: {say: so-az}\nsteps:\n  - say: Hello Maya, relax the psoas.\n"
    )
    build_timeline(path, voice=__import__("matcue.api", fromlist=["VoiceOverrides"]).VoiceOverrides("fake"))
    assert "Hello MY-ah, relax the so-az." in fake_voice.texts


def test_bad_lexicon_files_are_errors(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("Janu: ''\n")
    with pytest.raises(LexiconError, match=r"lexicon.yaml:1:1: 'Janu': expected a respelling, got an empty string"):
        load_lexicon(bad)
    bad.write_text("- a list\n")
    with pytest.raises(LexiconError, match="expected a mapping"):
        load_lexicon(bad)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # each of the first three was exit 3 (UnicodeDecodeError, RecursionError)
        (b"Hallo: \xff\xfe\n", ":1:8: the file is not UTF-8 text (save it as UTF-8)"),
        (b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n", ":1:1: not a lexicon: the YAML nests too deeply"),
        (b"ok: fine\na: [\n", ":3:1: not valid YAML: expected the node content, but found '<stream end>'"),
        # a YAML escape reaches the voice's command line and the terminal: refused
        (
            b'ok: fine\nHello: "He\\e[31mllo"\n',
            ":2:8: 'Hello': the character U+001B (a control character) cannot be in a lexicon entry",
        ),
        (
            b"Hello: He\x1b[31mllo\n",
            ":1:10: the character U+001B (a control character) cannot be in a lexicon"
            " (a lexicon is plain text: delete it)",
        ),
        (b"ok: fine\nJanu: ''\n", ":2:1: 'Janu': expected a respelling, got an empty string"),
    ],
)
def test_a_project_lexicon_is_read_like_a_routine_and_located(tmp_path: Path, content: bytes, message: str) -> None:
    """voice/lexicon.yaml and voice/lexicon.<code>.yaml (hostile round three): every problem
    at PATH:LINE:COLUMN, never an unexpected error."""
    bad = tmp_path / "lexicon.de.yaml"
    bad.write_bytes(content)
    with pytest.raises(LexiconError) as e:
        load_lexicon(bad)
    assert str(e.value) == f"{bad}{message}"


def test_a_project_lexicon_that_is_a_pipe_or_too_big_is_refused_unread(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(LexiconError, match="it is a named pipe, not a lexicon file"):
        load_lexicon(fifo)
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(6_000_000)  # sparse
    with pytest.raises(LexiconError, match="it is 6 MB; at most 5 MB is read"):
        load_lexicon(big)


def test_a_routine_lexicon_refuses_control_characters_written_as_yaml_escapes() -> None:
    """``Hello: "He\\e[31mllo"`` passed the file's control-character check (the file holds
    a backslash) and reached the voice: the key and a plain respelling are checked as the
    mapping form's ``say:`` was."""
    with pytest.raises(RoutineError) as e:
        loads_routine('title: T\nlexicon:\n  Hello: "He\\e[31mllo"\n  "Wo\\erld": x\nsteps:\n  - say: Hello.\n')
    got = [(p.mark.line, p.mark.column, p.where) for p in e.value.problems]
    assert got == [(3, 10, "lexicon.Hello"), (4, 3, "lexicon.Wo\x1brld")]
    what = "the character U+001B (a control character) cannot be in a lexicon entry"
    assert all(p.what == what for p in e.value.problems)


def test_builtin_lexicon_ships_as_package_data() -> None:
    assert len(builtin_lexicon()) > 40


def _every_entry_tried(lexicon, text: str, backend: str = "") -> str:
    """What apply did before it looked up the text's words: one alternation of every entry."""
    from matcue.voice import lexicon as lx

    table = lexicon._table(backend)
    return lx._pattern(tuple(table)).sub(lambda m: lx._spoken(m.group(0), table.get(lx._fold(m.group(0)))), text)


def _a_key(word: str) -> bool:
    """A word a lexicon takes as a key: a number ('3', '.3') is refused (it never matches)."""
    from matcue.voice.lexicon import number_key_problem

    return any(c.isalnum() for c in word) and number_key_problem(word) is None


WORDS = st.text(alphabet="abC -'.3", min_size=1, max_size=8).filter(_a_key)


@given(
    st.dictionaries(WORDS, st.text(alphabet="xyz", min_size=1, max_size=4), max_size=6),
    st.text(alphabet="abcC -'.3,", max_size=40),
)
def test_looking_up_the_texts_words_respells_as_trying_every_entry(entries, text):
    from matcue.voice.lexicon import Lexicon

    lexicon = Lexicon.from_mapping(entries)
    assert lexicon.apply(text) == _every_entry_tried(lexicon, text)


@pytest.mark.parametrize(
    "content, rest",
    [(b"ok: fine\nJanu: ''\n", ":2:1: 'Janu': expected a respelling, got an empty string"),
     (b"- a list\n", ":1:1: expected a mapping of words to respellings"),
     (b"a: [\n", ":2:1: not valid YAML: expected the node content, but found '<stream end>'")],
)  # fmt: skip
def test_a_lexicon_in_a_folder_with_a_line_break_is_named_on_one_line(tmp_path: Path, content: bytes, rest: str):
    folder = tmp_path / "a\nFORGED"
    folder.mkdir()
    (folder / "lexicon.yaml").write_bytes(content)
    with pytest.raises(LexiconError) as e:
        load_lexicon(folder / "lexicon.yaml")
    assert str(e.value) == f"{tmp_path}/a\\x0aFORGED/lexicon.yaml{rest}"


@pytest.mark.parametrize("make", ["fifo", "folder", "dangling"])
def test_a_project_lexicon_that_is_no_file_is_said_not_skipped(tmp_path: Path, make: str) -> None:
    """A pipe, a folder or a link to nothing at voice/lexicon.yaml was skipped without a word."""
    import os

    from matcue.voice.lexicon import default_lexicon

    (tmp_path / "voice").mkdir()
    target = tmp_path / "voice" / "lexicon.yaml"
    {"fifo": os.mkfifo, "folder": os.mkdir, "dangling": lambda p: os.symlink(tmp_path / "gone", p)}[make](target)
    what = {"fifo": "is a named pipe, not a lexicon file", "folder": "is a folder, not a lexicon file"}
    with pytest.raises(LexiconError) as e:
        default_lexicon(tmp_path)
    assert str(e.value) == f"{target}: cannot read the lexicon: it {what.get(make, 'does not exist')}"


@pytest.mark.parametrize("language", ["de", "es", "fr"])
def test_a_lexicon_word_with_accents_matches_in_a_language_that_keeps_them(language: str) -> None:
    """German, Spanish and French text keeps its accents: an entry written with one
    ("Übung", kept as "ubung") never matched, and its word reached the voice unrespelled."""
    lex = Lexicon.from_mapping({"Übung": "IB", "Mude": "MU", "señor": "SE", "Eka": {"say": "ay", "hibari": "/ˈAkə/"}})
    said = speech_text("Die Übung, ubung, ÜBUNG: müde señor. Noch eine Übungen.", lex, language)
    assert said == "Die IB, IB, IB: MU SE. Noch eine Übungen."
    assert speech_text("Ēka!", lex, language, "hibari") == "[Ēka](/ˈAkə/)!"  # the word as written


ACCENTED = st.text(alphabet="abüéC -'.", min_size=1, max_size=6).filter(lambda w: any(c.isalnum() for c in w))


@given(
    st.dictionaries(ACCENTED, st.text(alphabet="xyz", min_size=1, max_size=4), max_size=6),
    st.text(alphabet="abcüéÜC -'.,", max_size=40),
)
def test_accents_change_nothing_a_lexicon_matches(entries, text):
    from matcue.voice.normalize import strip_latin_accents

    lexicon = Lexicon.from_mapping(entries)
    assert strip_latin_accents(lexicon.apply(text)) == lexicon.apply(strip_latin_accents(text))


NUMBER_KEY = (
    "a lexicon key that is a number ({!r}) never matches: numbers are said in words before the lexicon "
    "applies (write the key as it is said, like 'seven')"
)


def test_a_number_as_a_project_lexicon_key_is_refused_where_it_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from matcue.voice.lexicon import LexiconError, load_lexicon

    p = tmp_path / "lexicon.yaml"
    p.write_text("Eka: ay-kah\n7: seven\n'1.5': one and a half\n-2: minus two\nB12: bee twelve\n")
    with pytest.raises(LexiconError) as e:
        load_lexicon(p)
    assert e.value.located == (
        f"{p}:2:1: '7': {NUMBER_KEY.format('7')}",
        f"{p}:3:1: '1.5': {NUMBER_KEY.format('1.5')}",
        f"{p}:4:1: '-2': {NUMBER_KEY.format('-2')}",
    )


def test_a_word_with_a_digit_is_still_a_lexicon_key() -> None:
    from matcue.voice.lexicon import Lexicon, number_key_problem

    assert number_key_problem("B12") is None and number_key_problem("7") == NUMBER_KEY.format("7")
    assert Lexicon.from_mapping({"B12": "bee twelve"}).apply("Take B12.") == "Take bee twelve."


def test_a_project_lexicon_that_is_a_device_is_said_as_its_located_line_not_as_error(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It printed click's "Error: " before the path, unlike every other located problem."""
    import os

    (tmp_path / "voice").mkdir()
    os.symlink("/dev/zero", tmp_path / "voice" / "lexicon.yaml")
    routine = tmp_path / "r.yaml"
    routine.write_text("title: R\nsteps:\n  - say: Hi.\n")
    monkeypatch.chdir(tmp_path)
    r = run("script", str(routine), "--backend", "fake")
    assert r.exit_code == 1
    lexicon = tmp_path / "voice" / "lexicon.yaml"
    assert r.stderr.splitlines()[0] == f"{lexicon}: cannot read the lexicon: it is a device, not a lexicon file"


FRACTIONS_READ = {
    "en": [
        ("Take a 1/2 breath.", "Take a half breath."),
        ("Hold 1/2 breath, then ½ breath.", "Hold half a breath, then half a breath."),
        ("Rest 1/2 min", "Rest half a minute"),
        ("Rest ¾ hour", "Rest three quarters of an hour"),
        ("Hold 1 1/2 minutes, 1½ breaths", "Hold one and a half minutes, one and a half breaths"),
        ("3 ¼ hours", "three and a quarter hours"),
        ("Half moon: 1/2 moon", "Half moon: half moon"),
        ("3/4 of the way, a 1/4 turn", "three quarters of the way, a quarter turn"),
        ("⅓ of the breath, ⅔ of it", "a third of the breath, two thirds of it"),
        ("Count 5 1/2.", "Count five and a half."),
        ("2/3 of the rounds, 2-3 rounds", "two thirds of the rounds, two to three rounds"),
        ("4/8 breathing, 4/7/8", "four, eight breathing, four, seven, eight"),
        ("12/24, 1/24, 11/2", "twelve, twenty-four, one, twenty-four, eleven, two"),
        ("2/3 min, 3/8 min", "two thirds of a minute, three, eight minutes"),
    ],
    "de": [
        ("Halte 1/2 Minute, ½ min", "Halte eine halbe Minute, eine halbe Minute"),
        ("Noch ½ Atemzug", "Noch ein halber Atemzug"),
        ("1 1/2 Minuten, 1½ min, 2 1/4 Stunden", "eineinhalb Minuten, eineinhalb Minuten, zweieinviertel Stunden"),
        ("¼ Stunde, 3/4 Drehung", "eine Viertelstunde, eine Dreivierteldrehung"),
        ("¾ von der Zeit, ⅔ der Zeit", "drei Viertel von der Zeit, zwei Drittel der Zeit"),
        ("2/3 Runden, 4/8 Atmung", "zwei Drittel Runden, vier, acht Atmung"),
    ],
    "fr": [
        ("Tiens 1/2 minute, ½ tour", "Tiens une demi-minute, un demi-tour"),
        ("1/4 h, ¾ tour", "un quart d'heure, trois quarts de tour"),
        ("1½ min, 2 1/4 heures", "une minute et demie, deux heures et quart"),
        ("2/3 séries, 4/8", "deux tiers de série, quatre, huit"),
    ],
    "es": [
        ("Mantén 1/2 minuto, ½ respiración", "Mantén medio minuto, media respiración"),
        ("1/4 vuelta, ¾ de la respiración", "un cuarto de vuelta, tres cuartos de la respiración"),
        ("1½ min, 2 3/4 horas", "un minuto y medio, dos horas y tres cuartos"),
        ("2/3 rondas, 4/8", "dos tercios de ronda, cuatro, ocho"),
    ],
}


@pytest.mark.parametrize(
    ("language", "text", "spoken"), [(lang, t, s) for lang, pairs in FRACTIONS_READ.items() for t, s in pairs]
)
def test_common_fractions_are_read_as_a_teacher_says_them(language: str, text: str, spoken: str) -> None:
    """1/2, 1/3, 2/3, 1/4, 3/4 (and every fraction sign, after a whole number too) are
    fractions, with the noun after them ("1/2 breath" was "one, two breath"; German, French and
    Spanish passed "eins/zwei" or "½" to the voice); any other numbers joined by slashes are
    each number, with commas, in every language (docs/voices.md, docs/languages.md). "2/3
    rounds" was "two, three rounds" (two or three: "2-3 rounds" says that); 2/3 is a fraction."""
    assert normalize_text(text, language) == spoken


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
@pytest.mark.parametrize("written", ["1/2", "1/4", "3/4", "½", "¼", "¾", "⅓", "⅔", "2 1/2", "3½", "7/8", "1/2/3"])
@pytest.mark.parametrize("after", ["", " min", " breath.", " of it", " Minute"])
def test_no_fraction_or_slash_reaches_the_voice_as_written(language: str, written: str, after: str) -> None:
    spoken = normalize_text(f"Hold {written}{after}", language)
    assert not any(c in spoken for c in "0123456789/½¼¾⅓⅔"), spoken


def test_a_lexicon_word_decomposed_matches_the_composed_text_and_back() -> None:
    """A lexicon key typed 'Cafe' + U+0301 (NFD) was never matched by the cue 'Café' (exit
    0, the respelling silently unused), nor a composed key by a decomposed cue."""
    decomposed = Lexicon.from_mapping({"Cafe\u0301": "kah fay"})
    assert decomposed.apply("Go to the Café.") == "Go to the kah fay."
    assert decomposed.lookup("café") == "kah fay"
    routine = loads_routine("title: T\nlexicon:\n  Café: kah fay\nsteps:\n  - say: Go to the Cafe\u0301.\n")
    assert routine_lexicon(routine).apply(routine.steps[0].text.value) == "Go to the kah fay."


def test_a_markdown_link_in_a_cue_is_said_as_words_never_as_hibari_phonemes() -> None:
    """hibari reads '[word](/phonemes/)' as phonemes: a cue "Watch [the video](/videos/)
    later." (a Markdown link pasted in) was said as the phonemes of '/videos/', 'the video'
    lost. Only the lexicon makes that markup; the cue's own is made inert."""
    lexicon = Lexicon.from_mapping({"Asana": {"hibari": "/ˈɑsənə/"}})
    said = speech_text("Watch [the video](/videos/) later, then Asana.", lexicon, "en", "hibari")
    assert said == "Watch [the video] (/videos/) later, then [Asana](/ˈɑsənə/)."


RANGES_WITH_UNITS = {
    "en": [
        ("Hold 30-60 sec.", "Hold thirty to sixty seconds."),
        ("10 - 15 seconds, 2-3 min", "ten to fifteen seconds, two to three minutes"),
        ("30-60s, 2-3x", "thirty to sixty seconds, two to three times"),
    ],
    "de": [
        ("Halte 30-60 Sek.", "Halte dreißig bis sechzig Sekunden."),
        ("2-3 min", "zwei bis drei Minuten"),
        ("30-60s", "dreißig bis sechzig Sekunden"),
    ],
    "fr": [("2-3 min", "deux à trois minutes"), ("30-60s", "trente à soixante secondes")],
    "es": [("2-3 min", "dos a tres minutos"), ("30-60s", "treinta a sesenta segundos")],
}


@pytest.mark.parametrize(
    ("language", "text", "spoken"), [(lang, t, s) for lang, pairs in RANGES_WITH_UNITS.items() for t, s in pairs]
)
def test_a_range_before_a_unit_is_read_as_a_range(language: str, text: str, spoken: str) -> None:
    """The unit rule took the range's second number first: "30-60 sec" was "thirty-sixty
    seconds", "2-3 min" "zwei-drei Minuten" (the voice said no "to", in every language)."""
    assert normalize_text(text, language) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Bend the knee to 90°.", "Bend the knee to ninety degrees."),
        ("1° more, then 45 °", "one degree more, then forty-five degrees"),
        ("A room at 40°C or 104 °F.", "A room at forty degrees Celsius or one hundred four degrees Fahrenheit."),
    ],
)
def test_english_reads_degrees_as_the_other_languages_do(text: str, spoken: str) -> None:
    """English gave "ninety°" to the voice, while German, French and Spanish read "Grad",
    "degrés", "grados"."""
    assert normalize_text(text) == spoken
