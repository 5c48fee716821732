"""No silent nonsense: what a voice would say wrong, or not at all, is a located error or is
said right (docs/reliability.md). The located messages themselves are pinned in the error
corpus (tests/data/errors/text-*.yaml, hold-too-short, lexicon-unknown-backend,
include-settings, nothing-at-level, too-many-chapters)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.core.errors import RoutineError
from matcue.languages.en import English as Phrases
from matcue.plan.compile import Options, compile_routine
from matcue.routine.loader import loads_routine
from matcue.routine.yamlschema import unsafe_char
from matcue.voice.backends.command import split_sentences
from matcue.voice.lexicon import Lexicon

# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "n, words",
    [(0, "zero"), (19, "nineteen"), (60, "sixty"), (61, "sixty-one"), (75, "seventy-five"), (99, "ninety-nine"),
     (100, "one hundred"), (115, "one hundred fifteen"), (1205, "one thousand two hundred five")],
)  # fmt: skip
def test_counts_are_read_as_words(n, words):
    assert Phrases().number(n) == words


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUE = {w: i for i, w in enumerate(_ONES)} | {w: 10 * i for i, w in enumerate(_TENS) if i > 1}
_SCALE = {"hundred": 100, "thousand": 1000, "million": 10**6}


def _value(words: str) -> int:
    """Read English number words back (the inverse the property below checks)."""
    total, group = 0, 0
    for w in words.replace("-", " ").split():
        if w == "hundred":
            group *= 100
        elif w in _SCALE:
            total += group * _SCALE[w]
            group = 0
        else:
            group += _WORD_VALUE[w]
    return total + group


@given(st.integers(0, 10**9 - 1))
@settings(max_examples=300)
def test_any_count_reads_back_to_itself(n):
    words = Phrases().number(n)
    assert not re.search(r"\d", words)
    assert _value(words) == n


def test_a_long_phase_is_announced_in_words():
    """Phases are written at most 60s (core/limits.py MAX_BREATH_PHASE_MS); a pace makes them longer."""
    r = loads_routine("title: T\nsteps:\n  - breathe: Slow\n    pattern: {inhale: 50s, exhale: 54s}\n    rounds: 1\n")
    script = compile_routine(r, Options(pace=1.5))
    assert "Slow. Breathe in for seventy-five, out for eighty-one." in script.texts()


# ----------------------------------------------------------------------------- sentences


def test_spaced_dots_are_no_sentence_of_their_own():
    assert split_sentences("Inhale . . . and exhale.") == ["Inhale . . .", "and exhale."]
    assert split_sentences(". . Go. Now!") == [". . Go.", "Now!"]


@given(st.text(alphabet="ab .!?;", max_size=40))
def test_every_sentence_piece_has_a_letter_and_no_letter_is_lost(text):
    pieces = split_sentences(text)
    if any(c.isalpha() for c in text):
        assert all(any(c.isalpha() for c in p) for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


@pytest.mark.realvoice
def test_flite_kal_speaks_spaced_dots(tmp_path):
    from matcue.voice.backends.flite import FliteBackend

    flite = FliteBackend()
    if not flite.available() or "kal" not in [v.id for v in flite.voices()]:
        pytest.skip("needs flite with the kal voice")
    from matcue.voice.base import VoiceSpec

    clip = flite.synthesize("Inhale . . . and exhale.", VoiceSpec(backend="flite", name="kal", rate=150))
    assert len(clip.samples) > 44100 // 2  # two sentences of speech, not silence


# ----------------------------------------------------------------------------- texts


@given(st.text(max_size=30))
def test_a_text_loads_only_without_control_characters(text):
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    control = [c for c in text if c not in "\t\n\r" and (ord(c) < 32 or 127 <= ord(c) < 160 or c in bidi)]
    assert unsafe_char(text) == (control[0] if control else None)


def test_a_cue_made_of_placeholders_that_say_nothing_is_located():
    src = "title: T\nvars: {x: Hi}\nsteps:\n  - say: '{x}'\n"
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(src, "t.yaml"), Options(vars=(("x", "? ! ."),)))
    assert str(e.value) == (
        "t.yaml:4:10: steps[0].say: there is nothing to say in '? ! .': no letters or digits "
        "(write the words to speak, or use a 'pause:' step for silence)"
    )


def test_a_foreign_word_with_a_respelling_is_fine():
    src = "title: T\nlexicon: {Привет: pree-vyet}\nsteps:\n  - say: Say Привет to your neighbour.\n"
    assert compile_routine(loads_routine(src)).texts()[0] == "Say Привет to your neighbour."


def _lexicon_problems(language: str, lexicon: str, say: str) -> list[str]:
    from matcue.api import routine_lexicon
    from matcue.plan.budget import check_script

    src = f"title: T\nlanguage: {language}\nlexicon: {lexicon}\nsteps:\n  - say: {say}\n"
    try:
        routine = loads_routine(src, "t.yaml")
        check_script(compile_routine(routine), routine_lexicon(routine), "k")
    except RoutineError as e:
        return [str(p) for p in e.problems]
    return []


@pytest.mark.parametrize("respelling", ["'...'", "'-'", "'? !'", "{say: ok, flite: '…'}"])
def test_a_respelling_without_words_is_refused_where_it_is_written(respelling, tmp_path):
    """It made its word silent: "Mudra now." said "now." and no one was told."""
    (line,) = _lexicon_problems("en", f"{{Mudra: {respelling}}}", "Mudra now.")
    assert line.startswith("t.yaml:3:") and "has no letters or digits: the word would be silent" in line
    from matcue.voice.lexicon import LexiconError, load_lexicon

    (tmp_path / "lexicon.yaml").write_text(f"Mudra: {respelling}\n")
    with pytest.raises(LexiconError, match="has no letters or digits: the word would be silent"):
        load_lexicon(tmp_path / "lexicon.yaml")


@pytest.mark.parametrize("language", ["en", "de", "es", "fr"])
def test_a_respelling_in_a_script_the_voice_cannot_read_is_located_at_the_cue(language):
    """The rule for cue text holds for what the lexicon makes of it: a respelling in
    Cyrillic reached a voice that reads Latin letters."""
    assert _lexicon_problems(language, "{Asana: {say: ah-sah-nah, flite: асана}}", "Asana.") == [
        "t.yaml:5:10: steps[0].say: 'Asana.' is said as 'асана.' for flite once the lexicon respells it: letters "
        f"no voice for language {language!r} can read (cyrillic: 'асана') (respell its lexicon entry in Latin letters)"
    ]


def test_phonemes_and_respellings_in_words_are_fine():
    lexicon = "{Eka: {say: ay-kah, hibari: /ˈAkə/, espeak-ng: \"[[e:k'a:]]\"}, Om: '123'}"
    assert _lexicon_problems("en", lexicon, "Eka Om.") == []
    assert _lexicon_problems("de", "{Привет: pree-vyet}", "Sag Привет.") == []


def test_control_characters_in_set_values_and_pack_titles_are_refused(run, tmp_path):
    r = run("script", "tests/data/ok/all-kinds.yaml", "--set", "x=\x1b[2J")
    assert r.exit_code == 2
    assert "contains the control character U+001B" in r.stderr
    r = run("pack", "tests/data/ok/all-kinds.yaml", "-o", str(tmp_path / "p"), "--title", "Class\x9b31m")
    assert r.exit_code == 2
    assert "Invalid value for '--title': contains the control character U+009B (remove it)" in r.stderr
    assert not (tmp_path / "p").exists()


# ----------------------------------------------------------------------------- --set, filters, holds


def test_set_of_a_name_the_routine_never_uses_is_a_usage_error(run, fake_voice):
    r = run("script", "tests/data/ok/all-kinds.yaml", "--backend", "fake", "--set", "sidee=x")
    assert r.exit_code == 2
    assert "Invalid value for '--set': the routine never uses {sidee}" in r.stderr


def test_set_of_a_typo_gets_a_did_you_mean(run, tmp_path, fake_voice):
    (tmp_path / "r.yaml").write_text("title: T\nsteps:\n  - say: Take your {prop}.\n")
    (tmp_path / "s.yaml").write_text("title: S\nsteps:\n  - say: Hello.\n")
    r = run("script", str(tmp_path / "r.yaml"), "--backend", "fake", "--set", "porp=block")
    assert r.exit_code == 2
    assert "the routine never uses {porp} (did you mean 'prop'?)" in r.stderr
    ok = run("script", str(tmp_path / "r.yaml"), "--backend", "fake", "--set", "prop=block")
    assert ok.exit_code == 0 and "Take your block." in ok.stdout
    # several routines: a name one of them uses is fine for all
    both = run("render", str(tmp_path / "r.yaml"), str(tmp_path / "s.yaml"), "-o", str(tmp_path / "out"),
               "--backend", "fake", "--no-cover", "--set", "prop=block")  # fmt: skip
    assert both.exit_code == 0, both.output


def test_skipping_every_step_renders_nothing(run, tmp_path, fake_voice):
    (tmp_path / "r.yaml").write_text("title: T\nsteps:\n  - pose: Child pose\n    hold: 5s\n")
    r = run("render", str(tmp_path / "r.yaml"), "-o", str(tmp_path / "out"), "--backend", "fake",
            "--skip", "child pose")  # fmt: skip
    assert r.exit_code == 1
    assert "nothing to render: every step is left out at level 'beginner' or skipped" in r.stderr
    assert fake_voice.calls == 0
    assert not (tmp_path / "out").exists()


def test_a_routine_for_higher_levels_checks_fine_at_its_own_level(run, tmp_path):
    (tmp_path / "r.yaml").write_text("title: T\nlevel: advanced\nsteps:\n  - pose: X\n    hold: 5s\n"
                                     "    levels: [advanced]\n")  # fmt: skip
    assert run("check", str(tmp_path / "r.yaml")).exit_code == 0


def test_duration_never_shrinks_a_hold_below_the_minimum():
    from matcue.routine.model import MIN_HOLD_MS

    r = loads_routine("title: T\nsteps:\n  - pose: X\n    hold: 1s\n    fit: {min: 0.1s}\n")
    (stretch,) = compile_routine(r).stretches
    assert stretch.lo == MIN_HOLD_MS


# ----------------------------------------------------------------------------- lexicon


def test_a_backend_only_entry_keeps_the_earlier_entrys_other_forms():
    base = Lexicon((("Sirsasana", (("", "sheer-shah-sah-nah"),)),))
    lex = base.extended_by([("sirsasana", (("espeak-ng", "[[s'i:rs]]"),))])
    assert lex.lookup("Sirsasana", "flite") == "sheer-shah-sah-nah"
    assert lex.lookup("Sirsasana", "espeak-ng") == "[[s'i:rs]]"
    whole = base.extended_by([("sirsasana", (("", "seer-sasana"),))])
    assert whole.lookup("Sirsasana", "espeak-ng") == "seer-sasana"


def test_a_file_name_with_terminal_escape_codes_is_printed_escaped(run, tmp_path):
    bad = tmp_path / "\x1b]0;PWNED\x07\x1b[31mred.yaml"
    bad.write_text("title: T\nsteps:\n  - pose: Fold\n")
    r = run("check", str(bad))
    assert r.exit_code == 1
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert f"{tmp_path}/\\x1b]0;PWNED\\x07\\x1b[31mred.yaml:3:5: steps[0]: missing required key 'hold'" in r.stderr


def test_a_file_name_with_escape_codes_is_printed_escaped_in_every_line_a_command_prints(run, tmp_path):
    """Not only the error boundary: the lines of output that name a file (check's "no such
    file" and "ok", render's and pack's paths, the progress line, schema --write, new,
    doctor's output folder, cues' "used at") printed the name raw. OSC (``\\x1b]0;...\\x07``,
    which retitles the terminal) is not stripped by click, so it shows here."""
    evil = "\x1b]0;PWNED\x07"
    shown = "\\x1b]0;PWNED\\x07"
    routine = tmp_path / f"r{evil}.yaml"
    routine.write_text("title: T\nsteps:\n  - say: Hello.\n")
    out = tmp_path / f"o{evil}"
    runs = [
        run("check", str(routine), str(tmp_path / f"gone{evil}.yaml")),
        run("render", str(routine), "--backend", "fake", "-o", str(out)),
        run("pack", str(routine), "--backend", "fake", "-o", str(tmp_path / f"p{evil}")),
        run("schema", "--write", "-o", str(out)),
        run("new", "-o", str(tmp_path / f"n{evil}.yaml")),
        run("doctor", "-o", str(out)),
        run("cues", str(routine)),
        run("cues", str(routine), "--csv"),
    ]
    for r in runs:
        assert "\x1b" not in r.stdout + r.stderr and "\x07" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert f"gone{shown}.yaml: no such file" in runs[0].stderr
    assert f"r{shown}.yaml: ok" in runs[0].stdout
    assert f"o{shown}/t.mp3" in runs[1].stdout
    assert f"p{shown}/index.html" in runs[2].stdout
    assert f"o{shown}/matcue-routine.schema.json" in runs[3].stdout
    assert f"n{shown}.yaml" in runs[4].stdout
    assert f"output folder: {out}".replace(evil, shown) in runs[5].stdout
    assert f"r{shown}.yaml:3" in runs[6].stdout and f"r{shown}.yaml:3" in runs[7].stdout


def test_a_line_break_in_a_file_name_cannot_make_a_message_line_of_its_own(run, tmp_path):
    """``x\\nr.yaml:1:1: ...``: the name's line break was printed as one, so a file name could
    forge a second, located message line."""
    forged = tmp_path / "a\nr.yaml:1:1: all good\n"
    forged.mkdir()
    routine = forged / "r.yaml"
    routine.write_text("title: T\nsteps:\n  - pose: Fold\n")
    r = run("check", str(routine), str(tmp_path / "gone\n.yaml"))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"{tmp_path}/a\\x0ar.yaml:1:1: all good\\x0a/r.yaml:3:5: steps[0]: missing required key 'hold'",
        f"{tmp_path}/gone\\x0a.yaml: no such file",
        "2 problems found",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["script", "routines/hamstring-stretch.yaml", "--level", "y" * 5000],
        ["script", "routines/hamstring-stretch.yaml", "--breath", "y" * 5000],
        ["render", "routines/hamstring-stretch.yaml", "--format", "y" * 5000],
        ["new", "y" * 5000],
        ["--" + "y" * 5000],
        ["voices", "--language", "y" * 5000],
    ],
)
def test_a_usage_error_cuts_a_long_value_in_the_middle(run, args):
    """click quotes the value it refuses whole: 5000 characters of it were printed."""
    r = run(*args)
    assert r.exit_code == 2
    message = r.stderr.splitlines()[-1]
    assert message.startswith("Error: ") and " ... " in message, message
    assert len(message) < 500, len(message)  # the message, its option and its 400 characters of text


@pytest.mark.parametrize(
    "args",
    [
        ("render", "{ok}", "--backend", "fake", "--roster", "{long}.yaml", "-o", "{tmp}/out"),
        ("render", "{ok}", "--backend", "fake", "--music", "{long}.mp3", "-o", "{tmp}/out"),
        ("cues", "{ok}", "--recordings", "{long}"),
        ("pack", "{ok}", "--backend", "fake", "-o", "{tmp}/{long}"),
        ("new", "-o", "{tmp}/{long}.yaml"),
        ("schema", "--write", "-o", "{tmp}/{long}"),
        ("doctor", "-o", "{tmp}/{long}"),
    ],
)
def test_a_name_longer_than_the_system_takes_is_our_error_not_exit_3(run, tmp_path, args):
    """A 300-character name (the system takes 255): Path.is_file and mkdir raised
    ENAMETOOLONG, each one exit 3 "Unexpected error" (hostile round three). The boundary
    says it, shortened, in every command that meets one (an ELOOP alike)."""
    ok = tmp_path / "ok.yaml"
    ok.write_text("title: T\nsteps:\n  - say: Hi.\n")
    r = run(*(a.format(ok=ok, long="a" * 300, tmp=tmp_path) for a in args))
    assert r.exit_code in (1, 2), r.output
    assert "Unexpected" not in r.output and "File name too long" in r.output and " ... " in r.output


def test_the_progress_line_escapes_the_file_name(capsys):
    from matcue.cli.common import Progress

    Progress("r\x1b[2Jx.yaml")("speech", 1, 2)
    assert capsys.readouterr().err == "\rr\\x1b[2Jx.yaml: speaking cues  50%\x1b[K"


@pytest.mark.parametrize(
    "vars_yaml, args",
    [("vars: {a: '{b}{b}', b: hip}\n", ()), ("vars: {a: calm}\n", ("--set", "a={a}{a}"))],
)
def test_a_placeholder_inside_a_value_is_a_located_error_not_spoken_braces(run, tmp_path, vars_yaml, args):
    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\n" + vars_yaml + "steps:\n  - say: Open the {a}.\n")
    r = run("script", str(routine), "--backend", "fake", *args)
    assert r.exit_code == 1
    assert f"{routine}:4:10: steps[0].say: the value of {{a}} holds braces" in r.stderr
    assert "a value is not filled in again (write the words themselves in the value)" in r.stderr


def test_the_problem_limit_reached_by_an_unknown_skip_name_is_still_our_error():
    from matcue.core.errors import MAX_PROBLEMS
    from matcue.routine.model import Text

    src = "title: T\nsteps:\n" + "".join(f"  - say: hello {{nope{i}}}\n" for i in range(MAX_PROBLEMS))
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(src, "r.yaml"), Options(skip=(Text("zzz", None, "--skip"),)))
    assert str(e.value.problems[-1]).endswith(f"more than {MAX_PROBLEMS} problems; stopped looking")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hello {teacher", "the text has a '{' that starts no placeholder"),
        ("Hello }", "the text has a '}' that ends no placeholder"),
        ("Hello {a{b}}", "the text has a '{' that starts no placeholder"),
    ],
)
def test_a_lone_brace_in_spoken_text_is_a_located_error_not_spoken(text, problem):
    src = f"title: T\nvars: {{a: x, b: y, teacher: Maya}}\nsteps:\n  - say: '{text}'\n"
    with pytest.raises(RoutineError) as e:
        compile_routine(loads_routine(src, "r.yaml"), Options())
    assert f"r.yaml:4:10: steps[0].say: {problem} (write {{name}} for a placeholder, '{{{{' or '}}}}' for a brace)" in [
        str(p) for p in e.value.problems
    ]


def test_doubled_braces_are_one_spoken_brace():
    src = "title: T\nvars: {t: Maya}\nsteps:\n  - say: '{{t}} is {t}'\n"
    script = compile_routine(loads_routine(src, "r.yaml"), Options())
    assert "{t} is Maya" in repr(script)
