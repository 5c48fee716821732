"""A class pack: everything a teacher hands a class, in one folder (and optionally one .zip).

For each routine: the MP3 (tags, chapters, cover), its captions (``.vtt``, ``.srt``,
``.lrc``), its Podcasting 2.0 chapters (``.chapters.json``) and its cover image; for the
pack: an M3U8 playlist and a static ``index.html`` share page. The page needs no server
and fetches nothing from the internet: its CSS and JS are inline, and it only refers to
the files next to it by relative paths, so it works opened from the file system
(``file://``) or from any static host. Every value on it is escaped for where it lands
(:mod:`matcue.share.escape`), and its Content-Security-Policy lets only its own script and style
run (by hash): no inline event handler, nothing from another host.

Everything on the page derives from each track's timeline (the one the MP3 was rendered
from): the length, the chapters, the caption cues (also embedded as JSON, because
browsers refuse ``<track>`` files from ``file://`` URLs) and the routine card (holds from
``timeline.holds``, safety cues from the spoken texts).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from matcue.api import Rendered, output_error, render_routine, track_stems
from matcue.core.atomic import STAGE_PREFIX, write_bytes_atomic, write_text_atomic
from matcue.core.errors import MatcueError, Problem, RenderError, RoutineError
from matcue.core.paths import quoted
from matcue.plan.timeline import Timeline
from matcue.routine.model import Routine
from matcue.routine.profile import Profile
from matcue.settings import Settings, people_read
from matcue.share.page import (
    INDEX_NAME,
    PLAYLIST_NAME,
    card_text,
    to_index_html,
    to_m3u8,
)
from matcue.share.sidecars import CAPTION_FORMATS, sidecar_path

DEFAULT_PACK_TITLE = "Class pack"


@dataclass(frozen=True, slots=True)
class PackTrack:
    rendered: Rendered
    timeline: Timeline
    description: str | None
    cover_file: str | None  # file name of the cover image in the pack
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Pack:
    folder: Path
    title: str
    tracks: tuple[PackTrack, ...]
    playlist: Path
    index: Path
    zip_path: Path | None = None
    files: tuple[Path, ...] = field(default=())
    failures: tuple[str, ...] = ()  # located problems of roster entries left out
    warnings: tuple[str, ...] = ()  # what the teacher should know about the pack's place


# ----------------------------------------------------------------------------- the pack


@dataclass(frozen=True, slots=True)
class PackOptions:
    """What only a pack has: the page's title, the feed's address, the zip."""

    title: str | None = None  # default: the collection's, else DEFAULT_PACK_TITLE
    feed_url: str | None = None  # the address the folder will be served from: also write feed.xml
    make_zip: bool = False  # also write <folder>.zip next to the folder


def pack_settings(settings: Settings) -> Settings:
    """A pack's output: every caption format unless the command line chose some, the
    chapters JSON (the feed links it) and the cover unless the command line leaves it out."""
    output = settings.output
    captions = output.captions or CAPTION_FORMATS
    return replace(settings, output=replace(output, captions=captions, chapters_json=True))


def pack_routines(
    paths: Sequence[str | Path],
    settings: Settings = Settings(),
    share: PackOptions = PackOptions(),
    *,
    people: Sequence[Profile | RoutineError] | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[str, str, int, int], None] | None = None,
) -> Pack:
    """Render each routine into ``settings.output.folder`` with its sidecars, then write the
    playlist, the share page and (``share.make_zip``) ``<folder>.zip`` next to the folder.
    Files are written atomically; two routines with the same title get ``-2``, ``-3``...
    file names. ``settings``: as for :func:`matcue.api.render_routine`, through
    :func:`pack_settings` (every caption format unless ``captions`` names some).

    ``people`` (a roster, see :func:`matcue.routine.profile.load_roster`): one track of the one
    routine per person, ``<routine-slug>--<person-slug>``, tailored by the profile and
    rendered by the roster runner (:mod:`matcue.batch`, ``workers`` at once), as
    ``render --roster`` does. A profile that does not load, or a track that fails, is left
    out of the pack and listed in ``Pack.failures``; the others are packed.

    ``cache_dir``: the speech cache of the routines rendered here (a roster's workers use
    the default cache, ``$MATCUE_CACHE_DIR``). ``share.feed_url``: the address the folder
    will be served from; also writes ``feed.xml`` and its manifest (:mod:`matcue.share.feed`).
    The URL, the manifest, the folder, the zip's place and the encoder are checked before
    anything is rendered."""
    from matcue.audio.codec import get_format, parse_bitrate
    from matcue.audio.formats import require_encoder
    from matcue.core.atomic import check_replaceable
    from matcue.core.clash import check_outputs
    from matcue.core.paths import folders_made, remove_empty, require_folder
    from matcue.share import feed as podcast

    out = Path(settings.output.folder)
    require_folder(out)  # before anything: a pipe, a file or a broken link where the folder goes
    audio = get_format(settings.output.fmt)
    settings = replace(settings, output=replace(settings.output, bitrate=parse_bitrate(audio, settings.output.bitrate)))
    if audio.name != "mp3":
        require_encoder(audio)
    feed_url, manifest = share.feed_url, None
    if feed_url is not None:
        feed_url = podcast.parse_feed_url(feed_url)
        manifest = podcast.load_manifest(out)
        podcast.check_folder(out, manifest, ignore_prefix=STAGE_PREFIX)
    zip_target = zip_path_for(out) if share.make_zip else None
    if people is not None:  # every person's profile: no file of the pack may replace one
        settings = replace(settings, also_read=(*settings.also_read, *people_read(people)))
    reads = _files_read(paths, settings)
    _check_in_the_way(
        out, track_stems(paths, allow_outside=settings.allow_outside, given=settings.given()), roster=people is not None
    )
    if zip_target is not None:  # a folder or a pipe named OUT.zip is found now, not after the pack has moved in
        check_replaceable(zip_target)
        check_outputs([("zip", zip_target)], reads)
    made = folders_made(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # something put in the way since the check
        raise output_error(exc, out) from exc
    feed = None if manifest is None or feed_url is None else (feed_url, manifest, out)
    try:
        with _staging(out) as stage:  # a failed pack leaves the folder as it was
            staged = replace(settings, output=replace(pack_settings(settings).output, folder=stage))
            if people is None:
                rendered, failures = _render_routines(paths, staged, cache_dir, progress), list[str]()
            else:
                rendered, failures = _render_people(paths, people, staged, workers, progress)
            pack = _pack_into(stage, rendered, failures, share.title, feed)
            if zip_target is not None:
                check_replaceable(zip_target)  # again, just before the pack moves in
            moved = _move_into(stage, out, pack, reads)
    except BaseException:
        remove_empty(made)  # ... and as it was means not there, when this pack made it
        raise
    if not share.make_zip:
        return replace(moved, warnings=_earlier_zip(out))
    return replace(moved, zip_path=write_zip(out, moved.files))


def _check_in_the_way(out: Path, stems: Sequence[str | None], *, roster: bool) -> None:
    """Before anything is rendered: a named pipe, a device, a socket or a folder (or a link
    to one) in the output folder where the pack may write is refused as every write refuses
    it (:func:`matcue.core.atomic.check_replaceable`): its page, playlist and feed files,
    and a file of a track, ``STEM.*`` (``STEM--*`` for a roster's people)."""
    from matcue.core.atomic import check_replaceable
    from matcue.share.feed import PACK_FILES

    starts = tuple(f"{stem}{sep}" for stem in stems if stem for sep in (".", "--")[: 2 if roster else 1])
    try:
        names = sorted(e.name for e in os.scandir(out))
    except OSError:  # not there yet (or not a folder: require_folder said so)
        return
    for name in names:
        if name in PACK_FILES or name.startswith(starts):
            check_replaceable(out / name)


def _render_routines(
    paths: Sequence[str | Path],
    settings: Settings,
    cache_dir: Path | None,
    progress: Callable[[str, str, int, int], None] | None,
) -> list[tuple[Rendered, Timeline, Routine]]:
    """Each routine rendered once, in order; a routine that fails stops the pack."""
    out: list[tuple[Rendered, Timeline, Routine]] = []
    for p, stem in zip(paths, track_stems(paths, allow_outside=settings.allow_outside, given=settings.given())):
        step = (lambda s, d, t, _p=str(p): progress(_p, s, d, t)) if progress else None
        r = render_routine(p, settings, cache_dir=cache_dir, progress=step, name=stem)
        assert r.built is not None
        out.append((replace(r, built=None), r.built.timeline, r.built.routine))
    return out


def _render_people(
    paths: Sequence[str | Path],
    people: Sequence[Profile | RoutineError],
    settings: Settings,
    workers: int | None,
    progress: Callable[[str, str, int, int], None] | None,
) -> tuple[list[tuple[Rendered, Timeline, Routine]], list[str]]:
    """A track of the one routine per person by the roster runner, and the failures;
    ``progress`` hears ``(routine, "tracks", tracks done, tracks)`` as each track ends."""
    from matcue.batch import plan_people, render_tracks
    from matcue.routine.loader import load_routine

    if len(paths) != 1:
        raise RoutineError([Problem(None, "roster", "a roster packs one routine: give exactly one ROUTINE")])
    routine = load_routine(paths[0], allow_outside=settings.allow_outside, given=settings.given())
    slots, jobs = plan_people(paths[0], people, settings)
    step = (lambda d, t, _r: progress(str(paths[0]), "tracks", d, t)) if progress else None
    results = render_tracks(jobs, workers=workers, progress=step)
    rendered: list[tuple[Rendered, Timeline, Routine]] = []
    failures: list[str] = []
    for slot in slots:
        res = results[slot] if isinstance(slot, int) else slot
        if not res.ok or res.path is None or res.timeline is None:
            failures.extend(res.errors)
            continue
        sidecars = tuple(Path(x) for x in res.sidecars)
        track = Rendered(Path(res.path), res.timeline.total_ms, 0, sidecars, cover=res.cover)
        rendered.append((track, res.timeline, routine))
    return rendered, failures


def _pack_into(
    out: Path,
    rendered: Sequence[tuple[Rendered, Timeline, Routine]],
    failures: Sequence[str],
    title: str | None,
    feed: tuple[str, Any, Path] | None,
) -> Pack:
    """Every file of the pack written into the folder ``out`` (the staging folder), from
    its rendered tracks. ``feed``: ``(url, manifest, folder)`` when the pack has a feed
    (``folder``: where it is published)."""
    tracks: list[PackTrack] = []
    files: list[Path] = []
    for r, timeline, routine in rendered:
        cover_file = None
        if r.cover is not None:
            cover_path = out / f"{r.path.stem}.cover{r.cover.extension}"
            write_bytes_atomic(cover_path, r.cover.data)
            cover_file = cover_path.name
            files.append(cover_path)
        files += [r.path, *r.sidecars]
        tracks.append(PackTrack(r, timeline, routine.description, cover_file, routine.language))
    if not tracks:
        n = len(failures)  # each said on its line, as when some tracks are packed, then what it means
        said = f"{n} problem{'s' if n != 1 else ''}: no track could be rendered, so there is no pack"
        raise RoutineError([*(Problem(None, "", f) for f in failures), Problem(None, "", said)])
    pack_title = title or next((t.timeline.album for t in tracks if t.timeline.album), None) or DEFAULT_PACK_TITLE
    playlist = out / PLAYLIST_NAME
    write_text_atomic(playlist, to_m3u8([(t.rendered.path.name, t.timeline) for t in tracks]))
    index = out / INDEX_NAME
    write_text_atomic(index, to_index_html(pack_title, tracks, None if feed is None else feed[0]))
    files += [playlist, index]
    if feed is not None:
        files += _write_feed(out, feed, pack_title, tracks, files)
    return Pack(out, pack_title, tuple(tracks), playlist, index, None, tuple(files), tuple(failures))


STAGE_LOCK = ".lock"


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A hidden folder inside ``out`` (``.pack.partial-XXXX``: the same filesystem, so its
    files move in atomically) to build the pack in, removed on the way out however the pack
    ends. It holds a locked ``.lock`` file, so a folder left by a killed pack (no live
    lock) is removed by the next pack."""
    from matcue.core.atomic import create_temp, discard, remove_folders, stale_folders

    remove_folders(stale_folders(out, STAGE_PREFIX))
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
        lock = create_temp(stage / STAGE_LOCK)
    except OSError as exc:  # a folder that takes no new file (/sys, a full disk)
        raise output_error(exc, out) from exc
    try:
        yield stage
    finally:
        discard(lock)
        shutil.rmtree(stage, ignore_errors=True)


def _files_read(paths: Sequence[str | Path], settings: Settings) -> list[tuple[str, str]]:
    """What packing ``paths`` reads (:func:`matcue.settings.command_reads` of each; a
    routine that does not load is only its own file: its render says what is wrong)."""
    from matcue.routine.loader import load_routine
    from matcue.settings import command_reads

    reads: list[tuple[str, str]] = []
    for p in paths:
        try:
            reads += command_reads(
                load_routine(p, allow_outside=settings.allow_outside, given=settings.given()), settings
            )
        except MatcueError:
            reads += command_reads(None, settings, p)
    return reads


def _move_into(stage: Path, out: Path, pack: Pack, reads: Sequence[tuple[str, str]] = ()) -> Pack:
    """Move every file of a pack built in ``stage`` into ``out``; the pack, with its paths
    in ``out``. The share page and the playlist move last, once the tracks they list are
    in place. No file moves in when one would replace a file the pack read (``reads``)."""
    from matcue.core.atomic import check_replaceable, fsync_dir
    from matcue.core.clash import check_outputs

    def moved(p: Path) -> Path:  # a roster's workers name their files by absolute path, the stage may be relative
        return out / Path(os.path.abspath(p)).relative_to(os.path.abspath(stage))

    for f in pack.files:  # every target checked before anything moves: a folder in the way moves nothing
        check_replaceable(moved(f))
    check_outputs([("pack file", moved(f)) for f in pack.files], reads)
    for f in pack.files:  # tracks, sidecars and covers first; playlist and index are last
        os.replace(f, moved(f))
    fsync_dir(out)
    tracks = tuple(
        replace(
            t,
            rendered=replace(
                t.rendered, path=moved(t.rendered.path), sidecars=tuple(moved(x) for x in t.rendered.sidecars)
            ),
        )
        for t in pack.tracks
    )
    return replace(
        pack,
        folder=out,
        tracks=tracks,
        playlist=moved(pack.playlist),
        index=moved(pack.index),
        files=tuple(moved(f) for f in pack.files),
    )


def _write_feed(
    out: Path, feed: tuple[str, Any, Path], title: str, tracks: Sequence[PackTrack], files: Sequence[Path]
) -> list[Path]:
    """``feed.xml`` and its manifest written into ``out``, from this pack's tracks and the
    manifest before it; ``feed``: the URL, that manifest and the folder the pack moves into."""
    url, manifest, folder = feed
    from datetime import UTC, datetime

    from matcue.audio.codec import format_of
    from matcue.share import feed as podcast

    items = []  # GUID and date are the manifest's to give (or keep): placeholders here
    for t in tracks:
        tl, path = t.timeline, t.rendered.path
        captions = {Path(x).name for x in t.rendered.sidecars}  # the transcripts this pack wrote
        items.append(
            podcast.Item(
                stem=path.stem, guid="", pub_date=datetime.now(UTC), title=tl.title,
                author=tl.artist, file=path.name, mime=format_of(path).mime, length=path.stat().st_size,
                duration_ms=tl.total_ms, description=card_text(tl, t.description), image=t.cover_file,
                chapters=sidecar_path(path, "chapters").name,
                transcripts=tuple(
                    (sidecar_path(path, f).name, mime)
                    for f, mime in podcast.TRANSCRIPT_TYPES
                    if sidecar_path(path, f).name in captions
                ),
                chapter_list=tuple((c.start_ms, c.title) for c in tl.chapters),
            )
        )  # fmt: skip
    written = [out / podcast.FEED_NAME, out / podcast.MANIFEST_NAME]
    new = podcast.updated_manifest(manifest, url, items, [f.name for f in [*files, *written]], folder)
    descriptions = [t.description for t in tracks if t.description]
    authors = list(dict.fromkeys(t.timeline.artist for t in tracks if t.timeline.artist))
    channel = podcast.Channel(
        title=title,
        description=descriptions[0] if len(tracks) == 1 and descriptions else f"{title}: guided sessions.",
        author=", ".join(authors) or None,
        language=tracks[0].language,
        image=next((t.cover_file for t in tracks if t.cover_file), None),
    )
    write_text_atomic(written[0], podcast.to_feed_xml(channel, new))
    write_text_atomic(written[1], new.to_json())
    return written


def zip_path_for(folder: Path) -> Path:
    """Where :func:`write_zip` writes the zip of ``folder``: ``<folder>.zip`` beside it,
    named from the working folder when it lies under it (``-o p``: ``p.zip``, as every other
    path is shown; it was '/home/me/class/p.zip' in every message and in the output)."""
    folder = Path(folder).resolve()  # '-o .' is the zip of the working folder, by its name
    target = folder.with_name(folder.name + ".zip")
    try:
        return target.relative_to(Path.cwd())
    except (ValueError, OSError):  # elsewhere, or no working folder any more
        return target


def write_zip(folder: Path, files: Sequence[Path]) -> Path:
    """``<folder>.zip`` next to the folder, the files under ``<folder name>/``, atomically.

    Written once the pack has moved into the folder, so a zip that fails part way (a full
    disk, an interrupt) leaves no zip at all: neither its temporary file nor the zip of an
    earlier pack, which would look like this one's."""
    from matcue.core.atomic import Unit

    folder = Path(folder).resolve()
    target = zip_path_for(folder)
    unit = Unit()  # a locked temporary file beside the zip, moved into place when complete
    try:
        with zipfile.ZipFile(unit.stage(target), "w") as zf:
            for f in files:
                # audio and images are compressed already
                stored = f.suffix in (".mp3", ".m4a", ".opus", ".jpg", ".png")
                kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                zf.write(f, f"{folder.name}/{f.name}", compress_type=kind)
        unit.commit()
    except BaseException as exc:
        unit.abort()
        removed = _remove_earlier_zip(target)
        if not isinstance(exc, OSError):
            raise
        # a full disk, a file size limit: no zip, and the pack folder says so
        hint = f"the pack folder {quoted(folder)} is complete; make room and pack again for the zip"
        error = output_error(exc, folder.parent, target, hint=hint)
        if removed:
            error = RenderError(f"{error}; the earlier {quoted(target.name)} was removed: it held the earlier pack")
        raise error from exc
    finally:
        unit.abort()
    return target


def _earlier_zip(folder: Path) -> tuple[str, ...]:
    """A warning when a zip an earlier ``pack --zip`` wrote lies beside ``folder``: this pack
    (without ``--zip``) did not replace it, so it holds other tracks than the folder does."""
    import stat

    target = zip_path_for(folder)
    try:
        if not stat.S_ISREG(os.lstat(target).st_mode):
            return ()
    except OSError:
        return ()
    return (
        f"{quoted(target)} beside the pack is not this pack: it was left by an earlier one "
        "(pack with --zip to write it again, or remove it)",
    )


def _remove_earlier_zip(target: Path) -> bool:
    """Remove the zip an earlier pack left at ``target`` (a file, or a link to one: never
    what it leads to); whether one was removed."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(target).st_mode):
            return False
        target.unlink()
    except OSError:
        return False
    return True
