"""Settings: one value per concern, built once from defaults < routine < profile < flags.

- the session (:class:`matcue.plan.compile.Options`: level, first side, duration, pace,
  breath, verbosity, countdown, skip, vars, tones, the length limit),
- the voice (:class:`matcue.voice.base.VoiceOverrides`: backend, name, rate),
- the mix (:class:`matcue.audio.mixdown.MixSettings`),
- the output (:class:`Output`: folder, format, bitrate, captions, chapters JSON, cover,
  draft quality, encoder threads),

held together by :class:`Settings`, the one value a library entry point
(:func:`matcue.api.render_routine`) and a command take.

:func:`overlay` is the one precedence rule: a later layer's value wins where it is set
(not None); ``vars`` and ``skip`` add up (a later ``vars`` entry wins). The routine's own
values are the layer below the profile: a value left None here falls through to the
routine's (compile and :func:`matcue.api.voice_spec` read it), then to the default. To add a
tailoring field: add it to ``Options`` (and to ``Profile`` when a profile may set it); the
rule here and its test (tests/test_settings.py) take every field of ``Options`` as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from matcue.audio.codec import DEFAULT_FORMAT
from matcue.plan.compile import Options
from matcue.voice.base import VoiceOverrides

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from matcue.audio.mixdown import MixSettings
    from matcue.routine.model import Routine
    from matcue.routine.profile import Profile

T = TypeVar("T", bound="DataclassInstance")

ADDED = ("vars", "skip")  # fields whose layers add up instead of replacing each other


def overlay(base: T, top: Any) -> T:
    """``base`` with every field ``top`` sets (not None) taken from ``top``; the fields of
    :data:`ADDED` add up, ``top``'s after ``base``'s. ``top`` may be any object with some
    of ``base``'s field names (a Profile over Options)."""
    if top is None:
        return base
    changes: dict[str, Any] = {}
    for f in fields(base):
        if not hasattr(top, f.name):
            continue
        value = getattr(top, f.name)
        if f.name in ADDED:
            if value:
                changes[f.name] = (*getattr(base, f.name), *value)
        elif value is not None:
            changes[f.name] = value
    return replace(base, **changes)


def tailor(profile: Profile | None, given: Options) -> Options:
    """The session to compile with: the command line's where given, else the profile's
    (else the routine's, else the default: compile decides those)."""
    if profile is None:
        return given
    out = overlay(overlay(Options(max_total_ms=given.max_total_ms), profile), given)
    # where the profile set what the command line did not (a --set NAME replaces vars.NAME):
    # its problems are located there
    flags = {f"vars.{k}" for k, _ in given.vars}
    marks = tuple((k, m) for k, m in profile.marks if getattr(given, k, None) is None and k not in flags)
    return replace(out, marks=marks)


def tailor_voice(profile: Profile | None, given: VoiceOverrides) -> VoiceOverrides:
    """The voice: the command line's where given, else the profile's (else the routine's)."""
    if profile is None:
        return given
    voice = overlay(overlay(VoiceOverrides(), profile.voice), given)
    # where the profile writes what it gives, so a problem with it is located in the profile
    backend_mark = profile.voice.backend_mark if given.backend is None else None
    return replace(voice, backend_mark=backend_mark, name_mark=profile.voice.name_mark if given.name is None else None)


@dataclass(frozen=True, slots=True)
class Output:
    """Where and how a track is written."""

    folder: Path = Path("audio_out")
    fmt: str = DEFAULT_FORMAT  # --format (matcue.audio.codec)
    bitrate: str | None = None  # None: the format's default (matcue.audio.formats.FORMATS)
    captions: tuple[str, ...] = ()  # vtt, srt, lrc
    chapters_json: bool = False
    cover: bool = True
    draft: bool = False  # LAME's faster setting (previews)
    jobs: int | None = None  # parts to encode (one per core at a time); None: $MATCUE_JOBS, else one per core


@dataclass(frozen=True, slots=True)
class Loading:
    """How a command loads a routine, from its command line: ``allow_outside``
    (``--allow-outside``: the files it names may lie outside its folder), and the files
    given in place of the routine's own (flags win): ``--recordings`` for its
    ``recordings:``, ``--music`` for its ``music:``. The routine's value one of them
    replaces is not read, so a missing or broken one is no error, in every command that has
    the option. A new such option: a field named as the routine's key."""

    allow_outside: bool = False
    recordings: Path | None = None  # --recordings: the teacher's clips
    music: Path | None = None  # --music: the audio file looped under the session

    def given(self) -> tuple[str, ...]:
        """The routine's top-level keys the command line gives, for ``load_routine(given=...)``."""
        return tuple(f.name for f in fields(self) if f.name != "allow_outside" and getattr(self, f.name) is not None)


def _mix() -> MixSettings:
    from matcue.audio.mixdown import MixSettings

    return MixSettings()


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command's flags (and a person's profile) change, one value per concern."""

    session: Options = field(default_factory=Options)
    voice: VoiceOverrides = field(default_factory=VoiceOverrides)
    mix: MixSettings = field(default_factory=_mix)
    output: Output = field(default_factory=Output)
    allow_outside: bool = False  # --allow-outside: files outside the routine's folder may be read
    recordings: Path | None = None  # --recordings: the teacher's clips (else the routine's recordings:)
    profile_file: str | None = None  # the file the person's profile was read from (no output may replace it)
    # what the command reads besides the routine: a roster, every person's profile (no output may replace one)
    also_read: tuple[tuple[str, str], ...] = ()

    def loading(self) -> Loading:
        """How the routine is loaded (:class:`Loading`): ``--allow-outside``, and the files
        the command line gives in place of the routine's own (``--recordings``, ``--music``)."""
        return Loading(self.allow_outside, recordings=self.recordings, music=self.mix.music)

    def given(self) -> tuple[str, ...]:
        """The routine's file keys the command line gives (:meth:`Loading.given`): a routine's
        own value for one is not read (:func:`matcue.routine.loader.load_routine`), so a
        missing one is no error; flags win over profile, routine and defaults."""
        return self.loading().given()

    def for_person(self, profile: Profile | None) -> Settings:
        """These settings with ``profile`` under the flags: the flags win where given."""
        if profile is None:
            return self
        return replace(
            self,
            session=tailor(profile, self.session),
            voice=tailor_voice(profile, self.voice),
            profile_file=profile.path if profile.path != "<string>" else None,
        )


def mix_settings(routine: Routine, mix: MixSettings | None = None) -> MixSettings:
    """The mix for ``routine``: ``mix`` (the command line), with the routine's ``music:``
    when the command line gives none (:class:`Loading`: then the routine's was not read)."""
    from matcue.audio.mixdown import MixSettings

    mix = mix or MixSettings()
    music = getattr(routine, "music", None)
    if mix.music is None and music:
        mix = replace(mix, music=Path(music))
    return mix


def people_read(people: Iterable[object]) -> tuple[tuple[str, str], ...]:
    """The profile files ``people`` (profiles, or the errors of those that did not load)
    were read from, for :attr:`Settings.also_read`."""
    paths = (getattr(p, "path", None) for p in people)
    return tuple(("profile file", p) for p in paths if isinstance(p, str) and p and not p.startswith("<"))


def command_reads(
    routine: Routine | None, settings: Settings, routine_path: str | Path | None = None
) -> list[tuple[str, str]]:
    """Every file a command reads to render ``routine`` with ``settings``, as (what it is,
    path), once per real path: the routine file and what it includes, its cover, music and
    recordings (:meth:`matcue.routine.model.Routine.files_read`), the command line's
    ``--music`` and ``--recordings``, the project lexicon of the routine's language
    (``voice/lexicon.yaml``), the person's profile file and :attr:`Settings.also_read` (a
    roster and its profiles). ``routine`` None (it did not load): ``routine_path`` alone.

    No output may replace one (:func:`matcue.core.clash.check_outputs`, checked before
    anything is written), and ``render --watch`` watches exactly these."""
    import os

    from matcue.core.paths import real_path
    from matcue.voice.lexicon import project_lexicon_path

    named: list[tuple[str, str | Path | None]] = []
    if routine is not None:
        named += routine.files_read()
        lexicon = project_lexicon_path(None, routine.language)
        named.append(("project lexicon", lexicon if os.path.lexists(lexicon) else None))
    elif routine_path is not None:
        named.append(("routine file", routine_path))
    named += [("music file", settings.mix.music), ("recordings", settings.recordings)]
    named += [("profile file", settings.profile_file), *settings.also_read]
    out: dict[str, tuple[str, str]] = {}
    for what, p in named:
        if p is not None and str(p) and str(p) != "<string>":
            out.setdefault(real_path(p), (what, str(p)))
    return list(out.values())
