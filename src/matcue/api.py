"""The library functions behind each command: routine file in, script, timeline or MP3 out.

    routine YAML --load--> Routine --compile--> Script --voice--> clips --layout--> Timeline
      --render--> MP3

The CLI calls exactly one of these per command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from matcue.core.errors import MatcueError, Problem, RenderError, RoutineError
from matcue.core.limits import OverBudget, Work, current
from matcue.core.naming import slugify  # noqa: F401  (public: matcue.api.slugify)
from matcue.plan.budget import check_script
from matcue.plan.compile import DEFAULT_MAX_LENGTH_MS, NothingToRender, Options, compile_routine
from matcue.plan.layout import check_length, layout
from matcue.plan.script import Script
from matcue.plan.timeline import Timeline
from matcue.routine.loader import load_routine
from matcue.routine.model import LEVELS, Routine
from matcue.settings import Loading, Settings, command_reads, mix_settings
from matcue.voice.base import VoiceOverrides  # noqa: F401  (public: matcue.api.VoiceOverrides)
from matcue.voice.choice import check_voice  # public: matcue.api.check_voice

if TYPE_CHECKING:
    from matcue.core.media import Cover
    from matcue.voice.base import AnyClip, VoiceSpec
    from matcue.voice.lexicon import Lexicon
    from matcue.voice.recordings import Recordings

DEFAULT_RATE_WPM = 150
Progress = Callable[[int, int], None] | None  # called with (done, total) as phrases are spoken


def voice_spec(routine: Routine, overrides: VoiceOverrides = VoiceOverrides()) -> VoiceSpec:
    """The voice to speak ``routine`` with: command line, else routine, else defaults; in
    the routine's language (``auto`` picks a backend that speaks it).

    With no rate given, the backend's own tuned ``default_rate_wpm`` (docs/voices.md).
    """
    from matcue.voice.base import VoiceSpec

    v = routine.voice
    backend = overrides.backend or v.backend or "auto"
    rate = overrides.rate or v.rate or backend_default_rate(backend, routine.language)
    return VoiceSpec(backend=backend, name=overrides.name or v.name, rate=rate, language=routine.language)


def backend_default_rate(backend: str, language: str = "en") -> int:
    """The speaking rate tuned for clarity for ``backend`` (``auto`` resolved for ``language``)."""
    from matcue.core.errors import MatcueError
    from matcue.voice.registry import get_backend

    try:
        engine = get_backend(backend, language)
    except MatcueError:
        return DEFAULT_RATE_WPM  # speak_all reports the missing or unknown backend
    code = language.lower().replace("_", "-").split("-")[0]
    by_language = getattr(engine, "default_rates", {})  # tuned per language where it differs
    return int(by_language.get(code, getattr(engine, "default_rate_wpm", DEFAULT_RATE_WPM)))


def routine_lexicon(routine: Routine, project_dir: Path | None = None) -> Lexicon:
    """The lexicon of the routine's language (English: the built-in one extended by the
    project's voice/lexicon.yaml; another: the project's voice/lexicon.<code>.yaml), then the
    routine's own ``lexicon:``."""
    from matcue.voice.lexicon import default_lexicon

    return default_lexicon(project_dir, routine.language).extended_by(routine.lexicon)


def estimate_speech_ms(text: str, rate_wpm: int = DEFAULT_RATE_WPM) -> int:
    """A voice-free guess of how long ``text`` takes to say (used by ``check``)."""
    words = max(1, len(re.findall(r"\w+", text)))
    pauses = len(re.findall(r"[.,;:!?]", text))
    return int(words * 60_000 / rate_wpm + pauses * 150 + 250)


# ----------------------------------------------------------------------------- check


def check_routine(
    path: str | Path,
    *,
    loading: Loading = Loading(),
    max_total_ms: int = DEFAULT_MAX_LENGTH_MS,
    warnings: list[str] | None = None,
) -> list[Problem]:
    """Every problem in a routine, for every level; [] when it is fine.

    ``loading`` (:class:`matcue.settings.Loading`): whether the files it names may leave the
    routine's folder, and the files the command line gives in place of the routine's (whose
    values for them are not read). ``max_total_ms``: the longest track allowed
    (``--max-length``). The teacher's recordings (``loading.recordings``, else
    the routine's ``recordings:``) are read and checked too, each clip at its real length;
    a clip that matches no phrase at any level is added to ``warnings``, and so is what a
    level asks for that its track cannot give (:meth:`matcue.plan.script.Script.warnings`).
    """
    from matcue.voice.recordings import RecordingError

    try:
        routine = load_routine(path, allow_outside=loading.allow_outside, given=loading.given())
    except RoutineError as e:
        return list(e.problems)
    problems: list[Problem] = []
    spec = voice_spec(routine)  # its rate guesses speech as render's check before synthesis does
    try:  # a voice name the backend does not list, as render would refuse it
        check_voice(routine, spec)
    except RoutineError as e:
        problems.extend(e.problems)
    except MatcueError:
        pass  # the engine is not installed here, so its voices cannot be listed: render says so
    levels = [routine.level] if routine.level else []
    levels += [lv for lv in LEVELS if lv not in levels]
    unmatched: list[set[str]] = []  # per level: the warnings about clips it does not use
    found: list[str] = []  # what a level asks for that its track cannot give (Script.warnings)
    for level in levels:
        try:
            script = compile_routine(routine, Options(level=level, max_total_ms=max_total_ms))
            check_script(script, routine_lexicon(routine), level, Work(current().limits))
            found.extend(script.warnings())
            lengths = {t: estimate_speech_ms(t, spec.rate) for t in script.texts()}
            names: dict[str, str] = {}
            try:
                rec = recordings_for(routine, script.texts(), loading.recordings, allow_outside=loading.allow_outside)
            except RecordingError as e:
                problems.extend(Problem(None, "", line) for line in e.located)
                rec = None
            if rec is not None:
                lengths.update({t: r.clip.length_ms for t, r in rec.clips.items()})
                names = rec.names()
                unmatched.append(set(rec.warnings))
            layout(script, lengths, recorded=names)
        except NothingToRender as e:
            if level == levels[0]:  # a routine may be written for higher levels only
                problems.extend(e.problems)
        except OverBudget as e:  # the command's budget: the other levels would say it again
            problems.extend(e.problems)
            break
        except RoutineError as e:
            problems.extend(e.problems)
    if warnings is not None:
        warnings.extend(dict.fromkeys(found))
    if warnings is not None and unmatched:
        every = set.intersection(*unmatched)
        warnings.extend(w for w in dict.fromkeys(w for ws in unmatched for w in sorted(ws)) if w in every)
    return list(dict.fromkeys(problems))


def unused_set_names(
    paths: Sequence[str | Path], names: Sequence[str], *, allow_outside: bool = False, given: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """The ``--set`` names that none of the routines uses or defines, each with a hint
    (a did-you-mean, or the names they do use). A routine that does not load is left out
    here: rendering it reports why. ``given``: as for :func:`track_stems`."""
    import difflib

    from matcue.plan.compile import placeholder_names

    used: set[str] = set()
    for path in paths:
        try:
            used |= placeholder_names(load_routine(path, allow_outside=allow_outside, given=given))
        except RoutineError:
            continue
    out = []
    sided = {n for n in used if n.removeprefix("other_") == "side" or n.removeprefix("other_").startswith("side_")}
    used -= sided | {"side", "other_side"}  # set by sided steps, never by --set
    for name in dict.fromkeys(names):
        if name in used:
            continue
        close = difflib.get_close_matches(name, sorted(used), n=1, cutoff=0.6)
        if name in ("side", "other_side") or name in sided:
            hint = "set by sided steps, never by --set"
        elif close:
            hint = f"did you mean {close[0]!r}?"
        else:
            hint = "it uses " + ", ".join(sorted(used)[:12]) if used else "it has no placeholders to set"
        out.append((name, hint))
    return out


def track_stems(
    paths: Sequence[str | Path], *, allow_outside: bool = False, given: tuple[str, ...] = ()
) -> list[str | None]:
    """The file stem of each routine's track in one command (:mod:`matcue.core.naming`): the
    slug of its title, ``-2``, ``-3``... for titles that slug alike. None for a routine
    that does not load (rendering it reports why)."""
    from matcue.core.naming import unique_stem

    used: set[str] = set()
    out: list[str | None] = []
    for path in paths:
        try:
            out.append(unique_stem(slugify(load_routine(path, allow_outside=allow_outside, given=given).title), used))
        except RoutineError:
            out.append(None)
    return out


# ----------------------------------------------------------------------------- script / timeline


def build_script(
    path: str | Path,
    options: Options = Options(),
    *,
    allow_outside: bool = False,
    select: Callable[[Routine], Routine] | None = None,
    given: tuple[str, ...] = (),
) -> tuple[Routine, Script]:
    """Load and compile; ``select`` cuts the loaded routine down first (``--only``, ``--from``);
    ``given``: the routine's file keys the command line gives (:meth:`Settings.given`)."""
    routine = load_routine(path, allow_outside=allow_outside, given=given)
    if select is not None:
        routine = select(routine)
    return routine, compile_routine(routine, options)


@dataclass(frozen=True, slots=True)
class Built:
    routine: Routine
    script: Script
    timeline: Timeline
    clips: dict[str, AnyClip]
    synthesized: int  # phrases synthesized (not found in the cache)
    recordings: Recordings | None = field(default=None, compare=False)  # the teacher's clips used


def recordings_for(
    routine: Routine,
    texts: Sequence[str],
    recordings: Path | None = None,
    *,
    allow_outside: bool = False,
    cache_dir: Path | None = None,
    elsewhere: Sequence[str] = (),
) -> Recordings | None:
    """The teacher's clips for ``texts``: from ``recordings`` (``--recordings``), else the
    routine's ``recordings:`` (whose clips stay inside the routine's folder); None when
    neither names any. RecordingError says what is wrong with them. ``elsewhere``: the
    texts of the routine a preview does not play (their clips are no strays)."""
    from matcue.voice.recordings import find_recordings

    if recordings is not None:  # its clips stay inside it (links resolved), unless --allow-outside
        folder, root = recordings, None
    elif routine.recordings is not None:
        folder, root = Path(routine.recordings), os.path.dirname(os.path.realpath(routine.path))
    else:
        return None
    return find_recordings(
        folder, texts, root=root, allow_outside=allow_outside, cache_dir=cache_dir, elsewhere=elsewhere
    )


def build_timeline(
    path: str | Path,
    options: Options = Options(),
    voice: VoiceOverrides = VoiceOverrides(),
    *,
    cache_dir: Path | None = None,
    progress: Progress = None,
    loading: Loading = Loading(),
    select: Callable[[Routine], Routine] | None = None,
    ready: Callable[[Routine], object] | None = None,
) -> Built:
    """Load, compile, speak (through the cache) and lay out one routine; ``loading``
    (:class:`matcue.settings.Loading`): ``--allow-outside``, and the files the command line
    gives in place of the routine's (its ``recordings:`` and ``music:`` are not read when
    ``--recordings``, ``--music`` give them). ``ready`` is called with the loaded routine
    once it is compiled and checked, before any phrase is spoken: a command checks its
    outputs there, so a routine's problems are said before an output's (inputs first).

    Each phrase is spoken under a timeout and retried once (:mod:`matcue.voice.guard`).
    A phrase the teacher recorded (``loading.recordings``, else the routine's ``recordings:``:
    :func:`recordings_for`) is taken from her clip instead, whose real length lays it out.
    """
    from matcue.voice.cache import speak_all
    from matcue.voice.guard import guarded_voice

    loaded = load_routine(path, allow_outside=loading.allow_outside, given=loading.given())
    routine = select(loaded) if select is not None else loaded
    script = compile_routine(routine, options)
    check_script(script, routine_lexicon(routine), (os.path.realpath(path), options))  # before any synthesis
    spec = voice_spec(routine, voice)
    check_voice(routine, spec, voice)
    whole = None  # a part (--only, --from) fitted to --duration takes its lengths from the whole, fitted
    if routine is not loaded and options.duration_ms is not None:
        whole = compile_routine(loaded, options)
        check_script(whole, routine_lexicon(routine), (os.path.realpath(path), options))
    if ready is not None:
        ready(loaded)
    every = _every_text(loaded, options, whole) if routine is not loaded else []  # a preview's whole routine
    with guarded_voice(spec) as guarded:

        def spoken(texts: list[str], show: Progress = None) -> tuple[Recordings | None, dict[str, AnyClip], int, str]:
            playing = set(texts)
            others = [t for t in every if t not in playing]  # a clip for one of them is no stray
            rec = recordings_for(
                routine, texts, loading.recordings, allow_outside=loading.allow_outside, cache_dir=cache_dir,
                elsewhere=others,
            )  # fmt: skip
            own = rec.clips if rec is not None else {}
            if options.duration_ms is None:  # over --max-length by the guess, as check says: before any synthesis
                guess = {t: estimate_speech_ms(t, spec.rate) for t in texts}
                check_length(script, {**guess, **{t: r.clip.length_ms for t, r in own.items()}})
            lexicon, texts = routine_lexicon(routine), [t for t in texts if t not in own]
            speech = speak_all(texts, guarded, cache_dir=cache_dir, progress=show, lexicon=lexicon)
            return rec, {**speech.clips, **{t: r.clip for t, r in own.items()}}, speech.synthesized, speech.backend

        rec, clips, synthesized, backend = spoken(
            list(dict.fromkeys(script.texts() + (whole.texts() if whole else []))), progress
        )
        if options.duration_ms is not None:  # --duration: fit with the real lengths, compile again
            from matcue.plan.fit import fitted_script

            script = fitted_script(routine, script, options, {t: c.length_ms for t, c in clips.items()}, whole)
            if not set(script.texts()) <= set(clips):  # a longer hold may count from higher
                rec, clips, more, backend = spoken(script.texts())
                synthesized += more
    if rec is not None:  # what the part plays: the whole's clips only measured it for --duration
        played = set(script.texts())
        rec = replace(rec, clips={t: r for t, r in rec.clips.items() if t in played})
    names = rec.names() if rec is not None else {}
    timeline = layout(script, {t: c.length_ms for t, c in clips.items()}, recorded=names)
    timeline = replace(timeline, voice=backend)
    return Built(routine, script, timeline, clips, synthesized, rec)


def _every_text(routine: Routine, options: Options, whole: Script | None) -> list[str]:
    """The texts the whole ``routine`` speaks (a preview plays part of it); none when it
    does not compile as a whole (the part is what is asked for: its problems are said)."""
    if whole is not None:
        return whole.texts()
    try:
        return compile_routine(routine, options).texts()
    except RoutineError:
        return []


# ----------------------------------------------------------------------------- render


@dataclass(frozen=True, slots=True)
class Rendered:
    path: Path
    total_ms: int
    synthesized: int
    sidecars: tuple[Path, ...] = ()  # captions / chapters JSON written next to the MP3
    built: Built | None = field(default=None, repr=False, compare=False)
    cover: Cover | None = field(default=None, repr=False, compare=False)  # the embedded cover


def output_error(
    exc: OSError, folder: Path, target: Path | None = None, hint: str = "choose another folder with -o"
) -> MatcueError:
    """A clear message for a failure to write ``target`` (or, unknown, anything) into the
    output ``folder``: what went wrong with which file, and what to do about it. A temporary
    name is never shown (``.NAME.XXXX.partial`` is reported as ``NAME``)."""
    import errno

    from matcue.core.atomic import public_path, why_not_written
    from matcue.core.paths import folder_problem, quoted

    folder = public_path(folder)
    where = f"the output folder {quoted(folder)}"
    what = quoted(public_path(target)) if target is not None else f"into {where}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return RenderError(f"the disk is full: could not write {what} (free some space in {where})")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return RenderError(f"cannot write into {where}: {exc.strerror} ({hint})")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = folder_problem(folder) or f"{quoted(folder)} is not a folder"
        return RenderError(f"cannot use the output folder: {why} ({hint})")
    if exc.errno == errno.ENOENT and not folder.is_dir():
        return RenderError(f"{where} does not exist (create it, or {hint})")
    return RenderError(f"could not write {what}: {why_not_written(exc)} ({hint})")


def render_routine(
    path: str | Path,
    settings: Settings = Settings(),
    *,
    cache_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    name: str | None = None,
    person: str | None = None,
    select: Callable[[Routine], Routine] | None = None,
) -> Rendered:
    """Render one routine to ``<settings.output.folder>/<slug-of-title>.mp3`` (written atomically).

    ``settings`` (:class:`matcue.settings.Settings`): the session, voice, mix and output.
    Its output's ``fmt``: ``mp3``, ``m4a`` or ``opus`` (:mod:`matcue.audio.formats`), the
    file's extension; ``bitrate`` None: the format's default; ``cover``: embed the
    routine's ``cover:`` image, else a generated one (``matcue.audio.cover``); ``captions``
    (``vtt``, ``srt``, ``lrc``) and ``chapters_json`` write those sidecars next to the track
    (``matcue.share.sidecars``), from the same timeline; ``jobs``: the parts the track is cut into
    for encoding, at most one per core at a time (default ``$MATCUE_JOBS``, else one per
    core; a roster renders with 1); ``draft``: encode with
    LAME's faster setting (previews). The mix's ``music`` None: the routine's ``music:``.
    ``name`` replaces the slug; ``person``, a profile's name, is added to the title tag
    ("Title — Anna"); ``select`` renders part of the routine (:func:`matcue.preview.select`)."""
    from matcue.audio.codec import get_format, parse_bitrate
    from matcue.audio.formats import TrackEncoding, render_track, require_encoder
    from matcue.audio.render import DRAFT_LAME_QUALITY, LAME_QUALITY, check_environment
    from matcue.core.atomic import Unit, check_replaceable, sweep
    from matcue.core.clash import check_outputs
    from matcue.core.paths import folders_made, remove_empty, require_folder
    from matcue.share.sidecars import sidecar_path, write_sidecars

    output = settings.output
    check_environment()
    audio = get_format(output.fmt)
    bitrate = parse_bitrate(audio, output.bitrate)
    if audio.name != "mp3":
        require_encoder(audio)  # before any speech is synthesized

    speech_progress = (lambda d, t: progress("speech", d, t)) if progress else None
    out = Path(output.folder)

    def track_of(routine: Routine) -> Path:
        return out / f"{name or slugify(routine.title)}{audio.extension}"

    def check_targets(routine: Routine) -> None:  # once the routine is known good (inputs first), before speech
        require_folder(output.folder)  # a pipe or a file where the folder goes
        sidecars = [(f"{kind} captions", sidecar_path(track_of(routine), kind)) for kind in output.captions]
        sidecars += [("chapters file", sidecar_path(track_of(routine), "chapters"))] if output.chapters_json else []
        for _, target in [("track", track_of(routine)), *sidecars]:
            check_replaceable(target)  # a named pipe or a device where an output goes
        check_outputs([("track", track_of(routine)), *sidecars], command_reads(routine, settings))  # nor what it reads

    built = build_timeline(
        path, settings.session, settings.voice, cache_dir=cache_dir, progress=speech_progress,
        loading=settings.loading(), select=select, ready=check_targets,
    )  # fmt: skip
    if person:
        built = replace(built, timeline=replace(built.timeline, title=f"{built.timeline.title} \u2014 {person}"))
    art = None
    if output.cover:
        from matcue.audio.cover import cover_for

        tl = built.timeline
        art = cover_for(built.routine.cover, tl.title, tl.chapters)
        built = replace(built, timeline=replace(tl, cover=art))
    target = track_of(built.routine)
    mix_progress = (lambda d, t: progress("audio", d, t)) if progress else None
    unit = Unit()  # the track and its sidecars appear together or not at all
    made, committed = folders_made(out), False
    try:
        out.mkdir(parents=True, exist_ok=True)
        sweep(out, target.name)  # what a killed render of this track left
        for kind in (*output.captions, "chapters"):
            sweep(out, sidecar_path(target, kind).name)
        render_track(
            built.timeline,
            built.clips,
            target,
            TrackEncoding(audio, bitrate, DRAFT_LAME_QUALITY if output.draft else LAME_QUALITY),
            progress=mix_progress,
            jobs=output.jobs,
            settings=mix_settings(built.routine, settings.mix),
            unit=unit,
        )
        sidecars = (
            write_sidecars(built.timeline, target, output.captions, output.chapters_json, unit=unit)
            if output.captions or output.chapters_json
            else ()
        )
        unit.commit()
        committed = True
    except OSError as exc:
        raise output_error(exc, out, Path(exc.filename) if exc.filename else target) from exc
    except RenderError as exc:  # render names the file; say what to do about the folder
        if isinstance(exc.__cause__, OSError) and exc.__cause__.errno is not None:
            raise output_error(exc.__cause__, out, target) from exc
        raise
    finally:
        unit.abort()  # nothing left once committed
        if not committed:
            remove_empty(made)  # a failed render leaves no folder it made
    return Rendered(target, built.timeline.total_ms, built.synthesized, sidecars, built, art)
