"""The class pack's share page, playlist and routine card, as text: pure functions of the
tracks' timelines (:mod:`matcue.pack` renders the tracks and writes these files).

The page needs no server and fetches nothing from the internet: its CSS and JS are
inline, and it only refers to the files next to it by relative paths, so it works opened
from the file system (``file://``) or from any static host. Every value on it is escaped
for where it lands (:mod:`matcue.share.escape`), and its Content-Security-Policy lets only
its own script and style run (by hash): no inline event handler, nothing from another host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcue.core.durations import format_length
from matcue.languages.pagewords import Words, words_for
from matcue.plan.timeline import Timeline
from matcue.share import escape
from matcue.share.sidecars import CAPTION_FORMATS, SIDECAR_LABELS, sidecar_path, speech_cues

if TYPE_CHECKING:
    from matcue.pack import PackTrack


PLAYLIST_NAME = "playlist.m3u8"


INDEX_NAME = "index.html"


_e = escape.text


_url = escape.url


# words that mark a cue as a safety cue on the routine card (matched as whole words), per
# language: matcue.languages.pagewords
SAFETY_WORDS = words_for("en").safety


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
    found = words_for(timeline.language).safety_re
    return tuple(dict.fromkeys(c.text for c in speech_cues(timeline) if found.search(c.text)))


def format_hold(ms: int) -> str:
    """``45 s``, ``1 min``, ``1 min 30 s``, ``7.5 s``."""
    m, rest = divmod(ms, 60_000)
    s = f"{rest / 1000:g} s" if rest else ""
    return " ".join(x for x in (f"{m} min" if m else "", s) if x) or "0 s"


def card_text(timeline: Timeline, description: str | None = None) -> str:
    """The routine card as plain text (a feed item's description): the description, one line
    per hold, the total and the safety cues."""
    w = words_for(timeline.language)
    lines = [description.strip(), ""] if description and description.strip() else []
    for r in card_rows(timeline):
        sides = f" ({', '.join(map(w.side, r.sides))})" if r.sides else ""
        each = f" {w['each_side']}" if len(r.sides) > 1 else ""
        lines.append(f"- {r.name}{sides}: {format_hold(r.hold_ms)}{each}")
    lines.append(w.fill("total", length=format_length(timeline.total_ms)))
    safety = safety_cues(timeline)
    if safety:
        lines += ["", f"{w['safety']}: " + " ".join(safety)]
    return "\n".join(lines)


def to_m3u8(tracks: Sequence[tuple[str, Timeline]]) -> str:
    """An extended M3U (UTF-8) playlist: ``#EXTINF:<seconds>,<artist> - <title>`` then the
    relative path, for each ``(relative path, timeline)``; seconds rounded to the nearest."""
    out = ["#EXTM3U"]
    for rel, tl in tracks:
        label = f"{tl.artist} - {tl.title}" if tl.artist else tl.title
        out.append(f"#EXTINF:{(tl.total_ms + 500) // 1000},{' '.join(label.split())}")
        out.append(rel)
    return "\n".join(out) + "\n"


def _template() -> str:
    return resources.files("matcue.share").joinpath("templates/share.html").read_text(encoding="utf-8")


def content_security_policy(template: str) -> str:
    """The page's policy (:func:`matcue.share.escape.page_policy`): images and media from
    its folder only (``'self'``; ``file:`` pages are their own folder's origin in no
    browser, hence ``file:`` too); plugins and frames refused."""
    return escape.page_policy(template, "img-src 'self' file:", "media-src 'self' file:")


def _track_html(i: int, t: PackTrack, feed_url: str | None = None) -> str:
    from matcue.audio.codec import format_of
    from matcue.share.svg import to_svg

    tl = t.timeline
    w = words_for(tl.language)
    mp3 = t.rendered.path.name
    audio_label = format_of(t.rendered.path).label
    anchor = f"t{i + 1}"
    written = {Path(x).name for x in t.rendered.sidecars}
    files = [(mp3, audio_label)] + [
        (sidecar_path(t.rendered.path, f).name, SIDECAR_LABELS[f])
        for f in (*CAPTION_FORMATS, "chapters")
        if sidecar_path(t.rendered.path, f).name in written
    ]
    cover = (
        f'<img class="cover" src="{_url(t.cover_file)}" alt="{escape.attr(w.fill("cover_of", title=tl.title))}"'
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
        f"<tr><td>{_e(r.name)}</td><td>{_e(', '.join(map(w.side, r.sides)) or '—')}</td>"
        f"<td>{_e(format_hold(r.hold_ms))}{_e(' ' + w['each_side']) if len(r.sides) > 1 else ''}</td></tr>"
        for r in card_rows(tl)
    )
    safety = safety_cues(tl)
    safety_html = (
        f'<h4>{_e(w["safety"])}</h4><ul class="safety">' + "".join(f"<li>{_e(s)}</li>" for s in safety) + "</ul>"
        if safety
        else ""
    )
    desc = f'<p class="desc">{_e(t.description)}</p>' if t.description else ""
    vtt = sidecar_path(t.rendered.path, "vtt").name
    label = escape.attr(w["cues"])
    track = (
        f'<track kind="captions" src="{_url(vtt)}" srclang="{escape.attr(t.language)}" label="{label}" default>'
        if vtt in written
        else ""
    )
    links = " · ".join(f'<a href="{_url(href)}" download>{_e(name)}</a>' for href, name in files)
    return f"""
<article class="track" id="{anchor}" data-index="{i}" lang="{escape.attr(tl.language)}">
  <header class="track-head">
    {cover}
    <div>
      <h2>{_e(tl.title)}</h2>
      {f'<p class="byline">{_e(byline)}</p>' if byline else ""}
      <p class="length">{_e(w["length"])} <span class="len" data-ms="{tl.total_ms}">{format_length(tl.total_ms)}</span>
        · {_e(w.fill("chapters_count", n=len(tl.chapters)))}</p>
      {desc}
    </div>
  </header>
  <div class="player">
    <audio controls preload="metadata" src="{_url(mp3)}">
      {track}
      {_e(w["cannot_play"])} <a href="{_url(mp3)}">{_e(w.fill("download_the", label=audio_label))}</a>.
    </audio>
    <p class="cue" aria-live="polite" data-empty="{escape.attr(w["press_play"])}">{_e(w["press_play"])}</p>
  </div>
  <div class="cols">
    <section class="chapters-box">
      <h3>{_e(w["chapters"])}</h3>
      <ol class="chapters">
{chapters}
      </ol>
    </section>
    <section class="card">
      <h3>{_e(w.fill("card_title", title=tl.title))}</h3>
      <table>
        <thead><tr><th>{_e(w["pose"])}</th><th>{_e(w["sides"])}</th><th>{_e(w["hold"])}</th></tr></thead>
        <tbody>
{rows}
        </tbody>
      </table>
      <p class="total">{_e(w.fill("total", length=format_length(tl.total_ms)))}</p>
      {safety_html}
    </section>
  </div>
  <figure class="session">
    {to_svg(tl, standalone=False)}
  </figure>
  {_qr_html(feed_url, anchor, w) if feed_url else ""}
  <p class="files">{_e(w["files"])} {links}</p>
</article>"""


def _qr_html(feed_url: str, anchor: str, w: Words) -> str:
    """The card's QR code (the track on the page, at its address) and the addresses written out."""
    from matcue.share.svg import qr_svg

    page = f"{feed_url}{INDEX_NAME}#{anchor}"
    return (
        f'<div class="qr">{qr_svg(page)}<p>{_e(w.fill("scan", url=page))}<br>'
        f"{_e(w.fill('feed', url=feed_url + 'feed.xml'))}</p></div>"
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
    language = tracks[0].timeline.language if tracks else "en"  # the page's own words: the first track's
    w = words_for(language)
    return escape.fill(
        template,
        {
            "CSP": content_security_policy(template),
            "LANG": language,
            "TITLE": title,
            "SUMMARY": f"{w.count('tracks', len(tracks))} · {w.fill('in_all', length=format_length(total))}",
            "TOC": toc,
            "PLAYLIST": PLAYLIST_NAME,
            "PLAYLIST_LABEL": w["playlist"],
            "PRINT": w["print_cards"],
            "FOOTER": w["footer"],
            "TRACKS": body,
            "DATA": _page_data(tracks),
        },
    )
