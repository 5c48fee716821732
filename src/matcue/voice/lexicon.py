"""The pronunciation lexicon: words the voices get wrong, and what to say instead.

Three layers, later ones winning: the built-in ``lexicon.yaml`` shipped in this package,
the project's ``voice/lexicon.yaml`` in the working folder, and a routine's ``lexicon:``.
Each is for one language: the built-in lexicon and ``voice/lexicon.yaml`` are English and
apply to English routines only; a project's words for another language are in
``voice/lexicon.<code>.yaml`` (``voice/lexicon.de.yaml``: by the primary subtag of the
routine's ``language:``); a routine's own ``lexicon:`` is in the routine's language.
An entry maps a word or phrase to a respelling for every backend, optionally with a
backend's own phonemes (``espeak-ng: "[[...]]"``, ``hibari: /.../``: misaki/Kokoro
phonemes between slashes, handed to hibari as ``[word](/.../)``). Matching is whole-word, ignoring case
and Latin accents in every language (a German "Übung" entry matches "übung" and "Ubung");
longer phrases first.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from matcue.core.errors import MAX_PROBLEMS, LinesError, Mark, Problem, is_control
from matcue.core.paths import path_text
from matcue.core.text import code, file_text, kind, mend_surrogates, place, refused_characters, scalars
from matcue.core.text import is_noncharacter as not_text
from matcue.voice.normalize import normalize_text, strip_latin_accents

PROJECT_LEXICON = Path("voice") / "lexicon.yaml"
LEXICON_LANGUAGE = "en"  # the language of the built-in lexicon and of voice/lexicon.yaml
ANY_BACKEND = ""  # the key of a respelling used by every backend

# One entry: (word or phrase, ((backend or "", spoken form), ...)).
RawEntry = tuple[str, tuple[tuple[str, str], ...]]


class LexiconError(LinesError):
    """A lexicon file that cannot be used: one message, or the located problems of a
    lexicon file, one line each (said as a routine's are)."""


def _fold(word: str) -> str:
    """The form a lexicon word is kept and looked up in: composed (NFC: "Cafe\u0301", as a
    Mac writes it, is "Café"), without Latin accents, lower case, spaces collapsed."""
    return " ".join(strip_latin_accents(unicodedata.normalize("NFC", word)).lower().split())


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Words and their spoken forms; immutable. ``extended_by`` gives a new lexicon."""

    entries: tuple[RawEntry, ...] = ()
    # per backend: the table and its index, made once (hashing 90 000 entries for a cache
    # lookup on every cue cost more than the lookup saved)
    _made: dict[str, tuple[dict[str, str], dict[str, tuple[str, ...]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], source: str = "lexicon") -> Lexicon:
        """``{word: "respelling"}`` or ``{word: {say: ..., espeak-ng: ...}}``."""
        return cls(tuple(parse_entries(data, source)))

    def extended_by(self, other: Lexicon | Iterable[RawEntry]) -> Lexicon:
        """A lexicon where ``other``'s entries win over this one's for the same word.

        An entry with a respelling for every backend (``say``) replaces the word's entry
        whole; an entry with only backend-specific forms (``espeak-ng: ...``) replaces
        those forms and keeps the rest of the earlier entry."""
        extra = other.entries if isinstance(other, Lexicon) else tuple(other)
        if not extra:
            return self  # the same lexicon, and the tables it has made
        merged: dict[str, RawEntry] = {_fold(w): (w, forms) for w, forms in self.entries}
        for w, forms in extra:
            key = _fold(w)
            if key in merged and all(b != ANY_BACKEND for b, _ in forms):
                forms = tuple({**dict(merged[key][1]), **dict(forms)}.items())
            merged[key] = (w, forms)
        return Lexicon(tuple(merged.values()))

    def lookup(self, word: str, backend: str = "") -> str | None:
        """The spoken form of ``word`` for ``backend``, or None."""
        return self._table(backend).get(_fold(word))

    def apply(self, text: str, backend: str = "") -> str:
        """``text`` with every lexicon word replaced by its spoken form for ``backend``."""
        table, index = self._made_for(backend)
        if not table:
            return text
        # only the entries whose first run of word characters is a whole word of the text can
        # match (a match starts after a non-word character and its first run ends at one), so
        # the pattern holds those, not every entry: a lexicon of 90 000 words costs a dictionary
        # lookup per word of the text, not a 90 000-way alternation tried at every character
        # matched without Latin accents, as the entries are kept ("Müde" is "mude"): English
        # text arrives accent-free from normalize_text, German, Spanish and French keep theirs
        bare, starts = _without_accents(text)
        words = sorted({w for run in _RUN.findall(bare) for w in index.get(run.casefold(), ())})
        if not words:
            return text
        out, last = [], 0
        for m in _pattern(tuple(words)).finditer(bare):
            start, end = starts[m.start()], starts[m.end()]
            out += [text[last:start], _spoken(text[start:end], table.get(_fold(m.group(0))))]
            last = end
        return "".join(out) + text[last:]

    def _table(self, backend: str) -> dict[str, str]:
        return self._made_for(backend)[0]

    def _made_for(self, backend: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        made = self._made.get(backend)
        if made is None:
            table = _table(self.entries, backend)
            made = self._made[backend] = (table, _index(tuple(table)))
        return made

    def __len__(self) -> int:
        return len(self.entries)


_SLASHED = re.compile(r"^/([^/\[\]()]+)/$")


def _without_accents(text: str) -> tuple[str, list[int]]:
    """``text`` without Latin accents (:func:`strip_latin_accents`, one character at a time),
    and for each of its characters (and its end) where it comes from in ``text``."""
    if text.isascii():
        return text, list(range(len(text) + 1))
    pieces = [strip_latin_accents(ch) for ch in text]
    starts = [i for i, piece in enumerate(pieces) for _ in piece] + [len(text)]
    return "".join(pieces), starts


def _spoken(word: str, form: str | None) -> str:
    """The replacement for ``word``: its respelling, or ``[word](/phonemes/)`` for a
    ``/phonemes/`` form (the inline markup hibari reads)."""
    if form is None:
        return word
    m = _SLASHED.match(form)
    return f"[{word}](/{m.group(1)}/)" if m else form


def _table(entries: tuple[RawEntry, ...], backend: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for word, forms in entries:
        by = dict(forms)
        spoken = by.get(backend, by.get(ANY_BACKEND))
        if spoken is not None:
            table[_fold(word)] = spoken
    return table


_RUN = re.compile(r"\w+")


def _index(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The lexicon's words by their first run of word characters, case-folded (every
    entry has one: :func:`entry_problem`)."""
    by: dict[str, list[str]] = {}
    for w in words:
        m = _RUN.search(w)
        by.setdefault(m.group(0).casefold() if m else "", []).append(w)
    return {k: tuple(v) for k, v in by.items()}


@lru_cache(maxsize=1024)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(words, key=len, reverse=True)
    alts = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in ordered)
    return re.compile(rf"(?<![\w'-])(?:{alts})(?![\w-])", re.IGNORECASE)


def parse_entries(data: Mapping[str, object], source: str) -> list[RawEntry]:
    """Validate a lexicon mapping; LexiconError names the source and the bad entry."""
    if not isinstance(data, Mapping):
        raise LexiconError([f"{path_text(source)}: expected a mapping of words to respellings"])
    out: list[RawEntry] = []
    for word, value in data.items():
        problem = entry_problem(word, value)
        if problem:
            raise LexiconError([f"{path_text(source)}: {word!r}: {problem}"])
        out.append((str(word), entry_forms(value)))
    return out


def odd_char(text: str) -> str | None:
    """The first character of ``text`` no lexicon entry may hold: a control or format
    character (a respelling reaches the voice's command line: no escape codes, no
    invisible characters), half of a character or a noncharacter; tab and line breaks
    (whitespace) aside."""
    return next((ch for ch in text if ch not in "\n\r\t" and (is_control(ch) or not_text(ch))), None)


def char_problem(text: str) -> str | None:
    """Why ``text`` cannot be a word or a respelling of a lexicon, a routine's
    ``lexicon:`` and a project's lexicon file alike: the character, named by kind."""
    odd = odd_char(text)  # "\e[31m" written as a YAML escape: it would reach the voice and the terminal
    return None if odd is None else f"the character {code(odd)} ({kind(odd)}) cannot be in a lexicon entry"


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def number_key_problem(word: str) -> str | None:
    """Why ``word`` (a lexicon key) is no key: a number (``7``, ``1.5``, YAML's ``7:``
    alike) never matches, as a text's numbers are said in words before the lexicon applies."""
    if not _NUMBER.fullmatch(word.strip()):
        return None
    return (
        f"a lexicon key that is a number ({word.strip()!r}) never matches: numbers are said in words "
        "before the lexicon applies (write the key as it is said, like 'seven')"
    )


def text_problem(text: str, backend: str | None) -> str | None:
    """Why ``text`` cannot be a lexicon key (``backend`` None) or a respelling for ``backend``:
    :func:`char_problem`, then :func:`number_key_problem` or :func:`wordless_problem`."""
    problem = char_problem(text)
    if problem is None and backend is None:
        problem = number_key_problem(text)
    if problem is None and backend is not None and text.strip():
        problem = wordless_problem(backend, text)
    return problem


def entry_problem(word: object, value: object) -> str | None:
    """Why ``word: value`` is not a lexicon entry, or None."""
    if isinstance(word, (int, float)) and not isinstance(word, bool):
        return number_key_problem(str(word)) or "a lexicon key must be a word or phrase"
    if not isinstance(word, str) or not word.strip() or not re.search(r"\w", word):
        return "a lexicon key must be a word or phrase"
    if number_key_problem(word):
        return number_key_problem(word)
    texts = [word, value] if isinstance(value, str) else [word, *value.values()] if isinstance(value, Mapping) else []
    problem = next((p for t in texts if isinstance(t, str) for p in [char_problem(t)] if p), None)
    if problem is not None:
        return problem
    if isinstance(value, str):
        return wordless_problem(ANY_BACKEND, value) if value.strip() else "expected a respelling, got an empty string"
    if isinstance(value, Mapping):
        if not value:
            return "expected a respelling or a mapping like {say: ..., espeak-ng: ...}"
        from matcue.voice.registry import backend_names

        known = ("say", *backend_names())
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str) or not v.strip():
                return f"expected a non-empty string for {k!r}"
            if k not in known:
                return f"unknown voice backend {k!r} (keys are 'say' or a backend: {', '.join(known[1:])})"
        return next((p for k, v in value.items() for p in [wordless_problem(k, v)] if p), None)
    return f"expected a respelling (a string), got {type(value).__name__}"


def wordless_problem(backend: str, form: str) -> str | None:
    """Why ``form`` cannot be a respelling, a routine's ``lexicon:`` and a project's
    lexicon file alike: a respelling with no letter or digit ("...", "-"): the word would be silent. A
    backend's own phonemes (``[[...]]``, ``/.../``) are that backend's, not looked into; a
    character mended from a bad byte was said already."""
    if _SLASHED.match(form.strip()) or re.fullmatch(r"\s*\[\[.*\]\]\s*", form, re.DOTALL):
        return None
    if any(unicodedata.category(ch)[0] in "LN" or ch == "\ufffd" for ch in form):
        return None  # U+FFFD: a byte that was not text, mended and said where it was
    said = "" if backend in ("say", ANY_BACKEND) else f" for {backend}"
    return f"the respelling {form!r}{said} has no letters or digits: the word would be silent (respell it in words)"


def entry_forms(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        return ((ANY_BACKEND, " ".join(value.split())),)
    assert isinstance(value, Mapping)
    return tuple((ANY_BACKEND if k == "say" else str(k), " ".join(str(v).split())) for k, v in value.items())


MAX_LEXICON_BYTES = 5_000_000  # as a routine file


def load_lexicon(path: Path) -> Lexicon:
    """A lexicon YAML file (an empty file is an empty lexicon).

    Read as a routine is: a regular file of at most :data:`MAX_LEXICON_BYTES`, UTF-8, no
    control characters; every problem a LexiconError at ``PATH:LINE:COLUMN``. One command
    reads an unchanged file once (a project lexicon serves every routine of the command)."""
    return _parse_lexicon(str(path), _read_lexicon(path))


def _read_lexicon(path: Path) -> bytes:
    from matcue.core.paths import Unreadable, read_bounded

    try:
        return read_bounded(path, MAX_LEXICON_BYTES, "a lexicon file")
    except Unreadable as exc:
        raise LexiconError([f"{path_text(path)}: cannot read the lexicon: it {exc}"]) from None


@lru_cache(maxsize=8)
def _parse_lexicon(path: str, raw: bytes) -> Lexicon:
    """The lexicon in ``raw``, read by the routine reader's rules: every byte that is not
    UTF-8 and every character YAML refuses reported where it is and mended
    (:func:`matcue.core.text.refused_characters`), then the YAML, every lone surrogate an
    escape wrote and every entry's problem: all of them said, none hiding another."""
    decoded, unread = file_text(raw, "a lexicon")
    if decoded is None:
        raise LexiconError([Problem(Mark(path, 1, 1), "", *unread)] if unread else [])
    text, _, refused = refused_characters(decoded.removeprefix("\ufeff"), True, "a lexicon")
    problems = [Problem(Mark(path, *place(text, pos)), "", what, hint) for pos, what, hint in refused]
    node, data = _compose(path, text, problems)
    if node is not None:
        problems += _entry_problems(path, node, data)
    if problems:
        raise LexiconError(problems[:MAX_PROBLEMS])
    return Lexicon.from_mapping(data if isinstance(data, Mapping) else {}, str(path))


def _compose(path: str, text: str, problems: list[Problem]) -> tuple[yaml.Node | None, object]:
    """The node tree and the data of a lexicon's YAML, every lone surrogate an escape wrote
    reported and mended; (None, None) with the problem when it is not YAML."""
    fast = getattr(yaml, "CSafeLoader", None)  # libyaml when PyYAML has it: ten times faster
    for make in (fast, yaml.SafeLoader) if fast is not None else (yaml.SafeLoader,):
        loader = make(text)
        try:
            node = loader.get_single_node()
            halves = [] if node is None else mend_surrogates(node)
            data = loader.construct_document(node) if node is not None else None
            problems += [Problem(_at(path, bad), where, what, hint) for bad, where, what, hint in halves]
            return node, data
        except yaml.MarkedYAMLError as exc:
            if make is fast:
                continue  # a broken file: read again by the pure-Python loader, so every problem has one wording
            mark = exc.problem_mark or exc.context_mark
            at = Mark(path, mark.line + 1, mark.column + 1) if mark else Mark(path, 1, 1)
            what = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
            problems.append(Problem(at, "", f"not valid YAML: {what}"))
        except yaml.YAMLError as exc:
            if make is fast:
                continue
            problems.append(Problem(Mark(path, 1, 1), "", f"not valid YAML: {' '.join(str(exc).split())}"))
        except RecursionError:
            if make is fast:
                continue
            problems.append(Problem(Mark(path, 1, 1), "", "not a lexicon: the YAML nests too deeply"))
        finally:
            loader.dispose()
    return None, None


def _at(path: str, node: yaml.Node) -> Mark:
    return Mark(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _entry_problems(path: str, node: yaml.Node, data: object) -> list[Problem]:
    """Every entry's problem, each at the value that holds it: the key, or the respelling
    holding a character no entry may hold."""
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, Mapping):
        return [] if data is None else [Problem(Mark(path, 1, 1), "", "expected a mapping of words to respellings")]
    problems = []
    for key, value in node.value:  # each entry's problem at its word
        if isinstance(key, yaml.ScalarNode):  # 7: and 1.5: are YAML numbers, no text key of data
            typed = key.value not in data
            problem = number_key_problem(key.value) if typed else entry_problem(key.value, data[key.value])
            problem = problem or ("a lexicon key must be a word or phrase" if typed else None)
            if problem:
                odd = next((n for n, _ in scalars(value) if odd_char(str(n.value))), None)
                at = key if odd_char(str(key.value)) or odd is None or "cannot be in" not in problem else odd
                problems.append(Problem(_at(path, at), repr(key.value), problem))
    return problems


@lru_cache(maxsize=1)
def builtin_lexicon() -> Lexicon:
    """The lexicon shipped inside the package (``matcue/voice/lexicon.yaml``)."""
    text = resources.files("matcue.voice").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    return Lexicon.from_mapping(yaml.safe_load(text) or {}, "matcue/voice/lexicon.yaml")


def _code(language: str) -> str:
    """The primary subtag of a language tag, lower case (``en-GB`` -> ``en``)."""
    return re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower()


def project_lexicon_path(folder: Path | None = None, language: str = LEXICON_LANGUAGE) -> Path:
    """The project's lexicon file for ``language``: ``voice/lexicon.yaml`` for English,
    ``voice/lexicon.<code>.yaml`` for another language (``voice/lexicon.de.yaml``)."""
    code = _code(language)
    name = PROJECT_LEXICON if code == LEXICON_LANGUAGE else PROJECT_LEXICON.with_name(f"lexicon.{code}.yaml")
    return (Path.cwd() if folder is None else Path(folder)) / name


def default_lexicon(folder: Path | None = None, language: str = LEXICON_LANGUAGE) -> Lexicon:
    """The lexicon for a routine in ``language`` before its own ``lexicon:``: for English the
    built-in lexicon extended by the project's ``voice/lexicon.yaml`` (if any); for another
    language only the project's ``voice/lexicon.<code>.yaml`` (if any)."""
    english = _code(language) == LEXICON_LANGUAGE
    lex = builtin_lexicon() if english else Lexicon()
    path = project_lexicon_path(folder, language)
    if os.path.lexists(path):  # a pipe, a folder, a link to nothing there is said, not skipped
        # every routine of a command: one lexicon, its tables made once
        lex = _extended(lex, str(path), _read_lexicon(path))
    return lex


@lru_cache(maxsize=8)
def _extended(base: Lexicon, path: str, raw: bytes) -> Lexicon:
    return base.extended_by(_parse_lexicon(path, raw))


def speech_text(text: str, lexicon: Lexicon, language: str = "en", backend: str = "") -> str:
    """What the voice is asked to say for ``text``: normalized, then respelled. A
    ``[words](...)`` the text itself holds (a Markdown link pasted into a cue) is made
    inert first: hibari reads ``[word](/phonemes/)`` as phonemes, the form a lexicon
    entry's ``/phonemes/`` takes, so "Watch [the video](/videos/)" was said as the phonemes
    of "/videos/" instead of its words; only the lexicon makes that markup."""
    return lexicon.apply(normalize_text(text, language).replace("](", "] ("), backend)


__all__ = [
    "ANY_BACKEND",
    "LEXICON_LANGUAGE",
    "Lexicon",
    "LexiconError",
    "builtin_lexicon",
    "default_lexicon",
    "load_lexicon",
    "parse_entries",
    "project_lexicon_path",
    "speech_text",
]
