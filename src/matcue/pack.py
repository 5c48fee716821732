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
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from matcue.api import Rendered, render_routine, track_stems
from matcue.core.durations import format_length  # noqa: F401
from matcue.core.errors import Problem, RoutineError
from matcue.plan.timeline import Timeline
from matcue.routine.model import Routine
from matcue.routine.profile import Profile
from matcue.settings import Settings
from matcue.share import escape
from matcue.share.sidecars import CAPTION_FORMATS, sidecar_path, speech_cues, write_bytes_atomic, write_text_atomic

PLAYLIST_NAME = "playlist.m3u8"
INDEX_NAME = "index.html"
DEFAULT_PACK_TITLE = "Class pack"
# words that mark a cue as a safety cue on the routine card (matched as whole words)
SAFETY_WORDS = (
    "stop", "pain", "painful", "never", "force", "forcing", "hurt", "hurts", "injury", "injured",
    "sharp", "numb", "numbness", "tingling", "dizzy", "strain", "careful", "avoid",
)  # fmt: skip
_SAFETY_RE = re.compile(r"\b(" + "|".join(SAFETY_WORDS) + r")\b", re.IGNORECASE)


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


# ----------------------------------------------------------------------------- card


@dataclass(frozen=True, slots=True)
class CardRow:
    """One line of the routine card: a pose (or other hold), its sides, its hold per side."""

    name: str
    sides: tuple[str, ...]
    hold_ms: int


def card_rows(timeline: Timeline) -> tuple[CardRow, ...]:
    """The holds of the timeline, the sides of one step folded into one row, in order."""
    rows: list[CardRow] = []
    for h in timeline.holds:
        name, side, dur = h.step, h.side, h.end_ms - h.start_ms
        last = rows[-1] if rows else None
        if last and last.name == name and side and side not in last.sides and last.hold_ms == dur:
            rows[-1] = CardRow(name, (*last.sides, side), dur)
        else:
            rows.append(CardRow(name, (side,) if side else (), dur))
    return tuple(rows)


def safety_cues(timeline: Timeline) -> tuple[str, ...]:
    """Spoken texts that contain a safety word (stop, pain, never, force...), each once."""
    return tuple(dict.fromkeys(c.text for c in speech_cues(timeline) if _SAFETY_RE.search(c.text)))


def format_hold(ms: int) -> str:
    """``45 s``, ``1 min``, ``1 min 30 s``, ``7.5 s``."""
    m, rest = divmod(ms, 60_000)
    s = f"{rest / 1000:g} s" if rest else ""
    return " ".join(x for x in (f"{m} min" if m else "", s) if x) or "0 s"


def card_text(timeline: Timeline, description: str | None = None) -> str:
    """The routine card as plain text (a feed item's description): the description, one line
    per hold, the total and the safety cues."""
    lines = [description.strip(), ""] if description and description.strip() else []
    for r in card_rows(timeline):
        sides = f" ({', '.join(r.sides)})" if r.sides else ""
        each = " each side" if len(r.sides) > 1 else ""
        lines.append(f"- {r.name}{sides}: {format_hold(r.hold_ms)}{each}")
    lines.append(f"Total {format_length(timeline.total_ms)}")
    safety = safety_cues(timeline)
    if safety:
        lines += ["", "Safety: " + " ".join(safety)]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- playlist


def to_m3u8(tracks: Sequence[tuple[str, Timeline]]) -> str:
    """An extended M3U (UTF-8) playlist: ``#EXTINF:<seconds>,<artist> - <title>`` then the
    relative path, for each ``(relative path, timeline)``; seconds rounded to the nearest."""
    out = ["#EXTM3U"]
    for rel, tl in tracks:
        label = f"{tl.artist} - {tl.title}" if tl.artist else tl.title
        out.append(f"#EXTINF:{(tl.total_ms + 500) // 1000},{' '.join(label.split())}")
        out.append(rel)
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- page


def _template() -> str:
    return resources.files("matcue.share").joinpath("templates/share.html").read_text(encoding="utf-8")


_e = escape.text
_url = escape.url
# the template's own script and style, allowed by hash
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def content_security_policy(template: str) -> str:
    """The page's policy: nothing by default; its own inline script and style by hash;
    images and media from its folder only (``'self'``; ``file:`` pages are their own
    folder's origin in no browser, hence ``file:`` too). Inline event handlers, other
    scripts, plugins, frames, forms and every remote load are refused."""
    inline = _INLINE.findall(template)
    hashes = {kind: [escape.csp_hash(body) for k, body in inline if k == kind] for kind in ("script", "style")}
    return "; ".join((
        "default-src 'none'",
        "script-src " + " ".join(hashes["script"]),
        "style-src " + " ".join(hashes["style"]),
        "img-src 'self' file:",
        "media-src 'self' file:",
        "base-uri 'none'",
        "form-action 'none'",
    ))  # fmt: skip


def _track_html(i: int, t: PackTrack, feed_url: str | None = None) -> str:
    from matcue.audio.formats import format_of
    from matcue.share.svg import to_svg

    tl = t.timeline
    mp3 = t.rendered.path.name
    audio_label = format_of(t.rendered.path).label
    anchor = f"t{i + 1}"
    written = {Path(x).name for x in t.rendered.sidecars}
    files = [(mp3, audio_label)] + [
        (sidecar_path(t.rendered.path, f).name, label)
        for f, label in (("vtt", "WebVTT"), ("srt", "SRT"), ("lrc", "LRC"), ("chapters", "Chapters JSON"))
        if sidecar_path(t.rendered.path, f).name in written
    ]
    cover = (
        f'<img class="cover" src="{_url(t.cover_file)}" alt="Cover of {escape.attr(tl.title)}"'
        ' width="160" height="160">'
        if t.cover_file
        else ""
    )
    byline = " · ".join(x for x in (tl.artist, tl.album) if x)
    chapters = "\n".join(
        f'<li><button type="button" class="chapter" data-start="{c.start_ms / 1000:.3f}" data-index="{k}">'
        f'<span class="at">{format_length(c.start_ms)}</span> {_e(c.title)}</button></li>'
        for k, c in enumerate(tl.chapters)
    )
    rows = "\n".join(
        f"<tr><td>{_e(r.name)}</td><td>{_e(', '.join(r.sides) or '—')}</td><td>{_e(format_hold(r.hold_ms))}"
        f"{' each side' if len(r.sides) > 1 else ''}</td></tr>"
        for r in card_rows(tl)
    )
    safety = safety_cues(tl)
    safety_html = (
        '<h4>Safety</h4><ul class="safety">' + "".join(f"<li>{_e(s)}</li>" for s in safety) + "</ul>" if safety else ""
    )
    desc = f'<p class="desc">{_e(t.description)}</p>' if t.description else ""
    vtt = sidecar_path(t.rendered.path, "vtt").name
    track = (
        f'<track kind="captions" src="{_url(vtt)}" srclang="{escape.attr(t.language)}" label="Cues" default>'
        if vtt in written
        else ""
    )
    return f"""
<article class="track" id="{anchor}" data-index="{i}">
  <header class="track-head">
    {cover}
    <div>
      <h2>{_e(tl.title)}</h2>
      {f'<p class="byline">{_e(byline)}</p>' if byline else ""}
      <p class="length">Length <span class="len" data-ms="{tl.total_ms}">{format_length(tl.total_ms)}</span>
        · {len(tl.chapters)} chapters</p>
      {desc}
    </div>
  </header>
  <div class="player">
    <audio controls preload="metadata" src="{_url(mp3)}">
      {track}
      Your browser cannot play this file: <a href="{_url(mp3)}">download the {_e(audio_label)}</a>.
    </audio>
    <p class="cue" aria-live="polite" data-empty="Press play: the spoken cues show here.">Press play: the spoken
      cues show here.</p>
  </div>
  <div class="cols">
    <section class="chapters-box">
      <h3>Chapters</h3>
      <ol class="chapters">
{chapters}
      </ol>
    </section>
    <section class="card">
      <h3>Routine card: {_e(tl.title)}</h3>
      <table>
        <thead><tr><th>Pose</th><th>Sides</th><th>Hold</th></tr></thead>
        <tbody>
{rows}
        </tbody>
      </table>
      <p class="total">Total {format_length(tl.total_ms)}</p>
      {safety_html}
    </section>
  </div>
  <figure class="session">
    {to_svg(tl, standalone=False)}
  </figure>
  {_qr_html(feed_url, anchor) if feed_url else ""}
  <p class="files">Files: {" · ".join(f'<a href="{_url(href)}" download>{_e(label)}</a>' for href, label in files)}</p>
</article>"""


def _qr_html(feed_url: str, anchor: str) -> str:
    """The card's QR code (the track on the page, at its address) and the addresses written out."""
    from matcue.share.svg import qr_svg

    page = f"{feed_url}{INDEX_NAME}#{anchor}"
    return (
        f'<div class="qr">{qr_svg(page)}<p>Scan to open this page: {_e(page)}<br>'
        f"Podcast feed: {_e(feed_url + 'feed.xml')}</p></div>"
    )


def _page_data(tracks: Sequence[PackTrack]) -> dict[str, Any]:
    return {
        "tracks": [
            {
                "title": t.timeline.title,
                "file": t.rendered.path.name,
                "total_ms": t.timeline.total_ms,
                "chapters": [[c.start_ms, c.end_ms, c.title] for c in t.timeline.chapters],
                "cues": [[c.start_ms, c.end_ms, c.text] for c in speech_cues(t.timeline)],
            }
            for t in tracks
        ]
    }


def to_index_html(title: str, tracks: Sequence[PackTrack], feed_url: str | None = None) -> str:
    """The share page: inline CSS and JS, relative links only, nothing fetched. Each track
    shows the session picture (:mod:`matcue.share.svg`); with ``feed_url`` (the folder's
    address), each printed card also carries a QR code of its track's address on the page.
    Filled in one pass, each value escaped for its context (:func:`matcue.share.escape.fill`)."""
    total = sum(t.timeline.total_ms for t in tracks)
    toc = "".join(
        f'<li><a href="#t{i + 1}">{_e(t.timeline.title)}</a> <span>{format_length(t.timeline.total_ms)}</span></li>'
        for i, t in enumerate(tracks)
    )
    body = "\n".join(_track_html(i, t, feed_url) for i, t in enumerate(tracks))
    template = _template()
    return escape.fill(
        template,
        {
            "CSP": content_security_policy(template),
            "TITLE": title,
            "SUMMARY": f"{len(tracks)} track{'s' if len(tracks) != 1 else ''} · {format_length(total)} in all",
            "TOC": toc,
            "PLAYLIST": PLAYLIST_NAME,
            "TRACKS": body,
            "DATA": _page_data(tracks),
        },
    )


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
    The URL, the manifest, the folder and the encoder are checked before anything is rendered."""
    from matcue.audio.formats import get_format, parse_bitrate, require_encoder
    from matcue.share import feed as podcast

    out = Path(settings.output.folder)
    audio = get_format(settings.output.fmt)
    settings = replace(settings, output=replace(settings.output, bitrate=parse_bitrate(audio, settings.output.bitrate)))
    if audio.name != "mp3":
        require_encoder(audio)
    feed_url, manifest = share.feed_url, None
    if feed_url is not None:
        feed_url = podcast.parse_feed_url(feed_url)
        manifest = podcast.load_manifest(out)
        podcast.check_folder(out, manifest, ignore_prefix=STAGE_PREFIX)
    out.mkdir(parents=True, exist_ok=True)
    feed = None if manifest is None or feed_url is None else (feed_url, manifest, out)
    with _staging(out) as stage:  # a failed pack leaves the folder as it was
        staged = replace(settings, output=replace(pack_settings(settings).output, folder=stage))
        if people is None:
            rendered, failures = _render_routines(paths, staged, cache_dir, progress), list[str]()
        else:
            rendered, failures = _render_people(paths, people, staged, workers, progress)
        pack = _pack_into(stage, rendered, failures, share.title, feed)
        moved = _move_into(stage, out, pack)
    zip_path = write_zip(out, moved.files) if share.make_zip else None
    return replace(moved, zip_path=zip_path)


def _render_routines(
    paths: Sequence[str | Path],
    settings: Settings,
    cache_dir: Path | None,
    progress: Callable[[str, str, int, int], None] | None,
) -> list[tuple[Rendered, Timeline, Routine]]:
    """Each routine rendered once, in order; a routine that fails stops the pack."""
    out: list[tuple[Rendered, Timeline, Routine]] = []
    for p, stem in zip(paths, track_stems(paths, allow_outside=settings.allow_outside)):
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
    routine = load_routine(paths[0], allow_outside=settings.allow_outside)
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
        raise RoutineError([Problem(None, "roster", "no track could be rendered: " + "; ".join(failures))])
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
STAGE_PREFIX = ".pack.partial-"


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A hidden folder inside ``out`` (``.pack.partial-XXXX``: the same filesystem, so its
    files move in atomically) to build the pack in, removed on the way out however the pack
    ends. It holds a locked ``.lock`` file, so a folder left by a killed pack (no live
    lock) is removed by the next pack."""
    from matcue.core.atomic import create_temp, discard, remove_folders, stale_folders

    remove_folders(stale_folders(out, STAGE_PREFIX))
    stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
    lock = create_temp(stage / STAGE_LOCK)
    try:
        yield stage
    finally:
        discard(lock)
        shutil.rmtree(stage, ignore_errors=True)


def _move_into(stage: Path, out: Path, pack: Pack) -> Pack:
    """Move every file of a pack built in ``stage`` into ``out``; the pack, with its paths
    in ``out``. The share page and the playlist move last, once the tracks they list are
    in place."""
    from matcue.core.atomic import check_replaceable, fsync_dir

    def moved(p: Path) -> Path:
        return out / Path(p).relative_to(stage)

    for f in pack.files:  # every target checked before anything moves: a folder in the way moves nothing
        check_replaceable(moved(f))
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

    from matcue.audio.formats import format_of
    from matcue.share import feed as podcast

    items = []  # GUID and date are the manifest's to give (or keep): placeholders here
    for t in tracks:
        tl, path = t.timeline, t.rendered.path
        items.append(
            podcast.Item(
                stem=path.stem, guid="", pub_date=datetime.now(UTC), title=tl.title,
                author=tl.artist, file=path.name, mime=format_of(path).mime, length=path.stat().st_size,
                duration_ms=tl.total_ms, description=card_text(tl, t.description), image=t.cover_file,
                chapters=sidecar_path(path, "chapters").name,
                transcripts=tuple((sidecar_path(path, f).name, mime) for f, mime in podcast.TRANSCRIPT_TYPES),
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


def write_zip(folder: Path, files: Sequence[Path]) -> Path:
    """``<folder>.zip`` next to the folder, the files under ``<folder name>/``, atomically."""
    from matcue.core.atomic import Unit

    folder = Path(folder).resolve()
    target = folder.with_name(folder.name + ".zip")
    unit = Unit()  # a locked temporary file beside the zip, moved into place when complete
    try:
        with zipfile.ZipFile(unit.stage(target), "w") as zf:
            for f in files:
                # audio and images are compressed already
                stored = f.suffix in (".mp3", ".m4a", ".opus", ".jpg", ".png")
                kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                zf.write(f, f"{folder.name}/{f.name}", compress_type=kind)
        unit.commit()
    finally:
        unit.abort()
    return target
