"""A podcast feed for a class pack: ``feed.xml`` (RSS 2.0 with the iTunes and Podcasting 2.0
namespaces) and the manifest that keeps its items stable from one pack to the next.

``matcue pack ... --feed-url URL`` names the address the folder will be served from. Each
track becomes an item: the audio as the enclosure (absolute URL, exact byte length, MIME
type), ``itunes:duration``, ``podcast:chapters`` (the ``.chapters.json``),
``podcast:transcript`` (the ``.vtt`` and ``.srt``), Podlove Simple Chapters inline (for
apps that read no JSON), an item image (the cover) and the routine card as text.

The manifest (``feed.manifest.json``) remembers every item by its file stem: its GUID and
publication date are given once, when the track first appears, and kept on every later
pack; a track rendered again keeps its GUID and gets its new length. Items of earlier
packs whose files are still in the folder stay in the feed. Everything is checked before
anything is rendered: the URL (:func:`parse_feed_url`), the manifest (:func:`load_manifest`)
and the folder (:func:`check_folder`: only files a pack writes).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from matcue.audio.codec import FORMATS
from matcue.core.durations import vtt_time  # HH:MM:SS.mmm, Podlove Simple Chapters' normal play time too
from matcue.core.errors import LinesError, is_control
from matcue.core.hosts import HostError, ascii_host
from matcue.core.text import to_json as to_json_text
from matcue.core.text import without_silent
from matcue.share.escape import xml
from matcue.share.feedcheck import manifest_text, string_problems, title_problem

FEED_NAME = "feed.xml"
MANIFEST_NAME = "feed.manifest.json"
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 20_000_000
MAX_ITEM_BYTES = 2**40  # an episode's file: a terabyte is no track's size
MAX_ITEM_MS = 100 * 3_600_000 - 1  # an episode's length and its chapters' starts: under 100 hours (HH:MM:SS)
MAX_URL_CHARS = 2000  # a manifest of thousands of episodes is well under 10 MB
CATEGORY = "Health & Fitness"
# Podcasting 2.0: podcast:guid is a UUIDv5 of the feed URL (scheme and trailing slashes
# removed) in this namespace
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    # the namespace's first URI: every client that knows the newer
    # https://podcastindex.org/namespace/1.0 must also take this one (the spec says so), and
    # some (gPodder's podcastparser) know only this one
    "podcast": "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    "atom": "http://www.w3.org/2005/Atom",
    "psc": "http://podlove.org/simple-chapters",
}
# an app that keeps one transcript keeps the last: WebVTT
TRANSCRIPT_TYPES = (("srt", "application/x-subrip"), ("vtt", "text/vtt"))
CHAPTERS_TYPE = "application/json+chapters"
AUDIO_TYPES = tuple(dict.fromkeys(f.mime for f in FORMATS.values()))  # what a pack's tracks are
_STEM = re.compile(r"[a-z0-9][a-z0-9-]*")


class FeedError(LinesError):
    """A feed URL, manifest or pack folder the feed cannot be written from: one message, or
    the located lines of a manifest's bad characters (said as a routine's problems are)."""


# ----------------------------------------------------------------------------- the URL


# what an address may hold as written (RFC 3986: unreserved, reserved and '%' for escapes);
# anything else ('"', '<', '>', '\\', non-ASCII...) would make the feed's links invalid
_URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")


GOOD_URL = "https://studio.example/class/"  # what an error about --feed-url shows as a good value


def parse_feed_url(url: str) -> str:
    """The folder's address, checked, ending in ``/``: http(s), a host, no query or fragment."""
    text = url.strip()
    if len(text) > MAX_URL_CHARS:  # the share page draws each track's address as a QR code, which holds ~2300 bytes
        raise FeedError(f"--feed-url {url!r}: the address is {len(text)} characters; at most {MAX_URL_CHARS}")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise FeedError(f"--feed-url {url!r}: not a URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FeedError(
            f"--feed-url {url!r}: expected the http:// or https:// address of the folder as served, like {GOOD_URL}"
        )
    if not parts.hostname:
        raise FeedError(f"--feed-url {url!r}: the address has no host name: give one, like {GOOD_URL}")
    if parts.query or "?" in text:
        raise FeedError(f"--feed-url {url!r}: the address may not have a query ('?...'): give the folder's address")
    if parts.fragment or "#" in text:
        raise FeedError(f"--feed-url {url!r}: the address may not have a fragment ('#...'): give the folder's address")
    if parts.username or parts.password:
        raise FeedError(f"--feed-url {url!r}: the address may not hold a user name or password")
    try:  # an international host name in ASCII (IDNA), as a feed's links must write it
        host = ascii_host(re.sub(r":[0-9]*$", "", parts.netloc))
    except HostError as e:
        raise FeedError(f"--feed-url {url!r}: {e}") from None
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    text = text.replace(parts.netloc, netloc, 1)
    parts = urlsplit(text)
    if any(is_control(c) and not c.isspace() for c in text):
        raise FeedError(f"--feed-url {url!r}: the address may not contain control characters")
    if any(c.isspace() for c in text):
        raise FeedError(f"--feed-url {url!r}: the address may not contain spaces")
    bad = sorted({c for c in text if c not in _URL_CHARS})
    if bad:
        raise FeedError(
            f"--feed-url {url!r}: the address may not contain {''.join(bad)!r} "
            "(write it percent-encoded, e.g. %22 for a double quote)"
        )
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise FeedError(f"--feed-url {url!r}: a '%' starts an escape of two hex digits (write a '%' itself as %25)")
    if parts.port == 0:
        raise FeedError(f"--feed-url {url!r}: port 0 is no port a server listens on")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


def file_url(base: str, name: str) -> str:
    return base + quote(name)


def podcast_guid(base: str) -> str:
    """The channel's ``podcast:guid``: UUIDv5 of the URL without scheme and trailing slash."""
    bare = re.sub(r"^[a-z]+://", "", base).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


# ----------------------------------------------------------------------------- the manifest


@dataclass(frozen=True, slots=True)
class Item:
    """One episode as the manifest keeps it (all a feed item needs)."""

    stem: str  # the track's file stem: its identity from pack to pack
    guid: str
    pub_date: datetime
    title: str
    author: str | None
    file: str  # audio file name in the folder
    mime: str
    length: int  # bytes
    duration_ms: int
    description: str
    image: str | None
    chapters: str  # chapters JSON file name
    transcripts: tuple[tuple[str, str], ...]  # (file name, MIME type)
    chapter_list: tuple[tuple[int, str], ...] = ()  # (start ms, title)

    def to_dict(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "pub_date": self.pub_date.isoformat(),
            "title": self.title,
            "author": self.author,
            "file": self.file,
            "mime": self.mime,
            "length": self.length,
            "duration_ms": self.duration_ms,
            "description": self.description,
            "image": self.image,
            "chapters": self.chapters,
            "transcripts": [list(t) for t in self.transcripts],
            "chapter_list": [list(c) for c in self.chapter_list],
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    url: str | None
    items: tuple[Item, ...]  # oldest first
    files: tuple[str, ...]  # every file the packs wrote into the folder

    def to_json(self) -> str:
        d = {
            "version": MANIFEST_VERSION,
            "generator": "matcue",
            "feed_url": self.url,
            "items": {i.stem: i.to_dict() for i in self.items},
            "files": sorted(self.files),
        }
        return to_json_text(d) + "\n"


def load_manifest(folder: Path) -> Manifest:
    """The manifest in ``folder`` (an empty one when there is none); FeedError, with the
    place, when it is not one matcue wrote."""
    from matcue.core.paths import Unreadable, path_text, read_bounded

    path = folder / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        return Manifest(None, (), ())
    shown = path_text(path)  # the messages' file: a line break in the folder's name stays on the line
    fix = "restore it, or delete it to start the feed afresh (earlier episodes then get new GUIDs)"
    lines: list[str] = []
    try:  # a regular file of bounded size: a pipe or /dev/zero in its place never blocks or fills memory
        text, lines = manifest_text(read_bounded(path, MAX_MANIFEST_BYTES, "a feed manifest"), shown)
        if text is None:  # binary, or UTF-16 without its byte-order mark
            raise FeedError(lines)
        raw = json.loads(text)
    except Unreadable as e:
        raise FeedError(f"{shown}: cannot read the manifest: it {e} ({fix})") from None
    except json.JSONDecodeError as e:
        if lines:  # the bad characters first: one may be why it is not JSON
            raise FeedError([*lines, f"{shown}:{e.lineno}:{e.colno}: not JSON: {e.msg} ({fix})"]) from None
        raise FeedError(f"{shown}:{e.lineno}:{e.colno}: not JSON: {e.msg} ({fix})") from None
    except (ValueError, RecursionError) as e:  # a number of thousands of digits; arrays nested thousands deep
        why = "it nests too deeply" if isinstance(e, RecursionError) else "it holds a number too long to read"
        raise FeedError(f"{shown}: not a manifest matcue wrote: {why} ({fix})") from None

    lines += string_problems(text, raw, shown)  # "\ud800", "\u001b[31m", "\u202e" in any string
    if lines:
        raise FeedError(lines)

    def bad(where: str, what: str) -> FeedError:
        return FeedError(f"{shown}: {where}: {what} ({fix})")

    if not isinstance(raw, dict):
        raise bad("top level", f"expected an object, got {type(raw).__name__}")
    if raw.get("version") != MANIFEST_VERSION:
        raise bad("version", f"expected {MANIFEST_VERSION}, got {raw.get('version')!r}")
    url = raw.get("feed_url")
    if url is not None and not isinstance(url, str):
        raise bad("feed_url", "expected a string")
    items_raw = raw.get("items")
    if not isinstance(items_raw, dict):
        raise bad("items", "expected an object of items by file stem")
    files = raw.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) and _plain_name(f) for f in files):
        raise bad("files", "expected a list of file names in the folder")
    items = [_item(stem, v, bad) for stem, v in items_raw.items()]
    guids = [i.guid for i in items]
    if len(set(guids)) != len(guids):
        raise bad("items", "two items have the same guid")
    items.sort(key=lambda i: i.pub_date)
    return Manifest(url, tuple(items), tuple(files))


def _plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") and "\x00" not in name


def _item(stem: str, v: Any, bad: Any) -> Item:
    where = f"items.{stem}"
    if not _STEM.fullmatch(stem):
        raise bad(where, "not a track's file stem")
    if not isinstance(v, dict):
        raise bad(where, "expected an object")

    def get(key: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        value = v.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise bad(f"{where}.{key}", f"expected {names}, got {value!r}"[:200])
        return value

    guid = get("guid", str)
    if not guid.strip():
        raise bad(f"{where}.guid", "empty")
    try:
        pub = datetime.fromisoformat(get("pub_date", str))
        if pub.tzinfo is None:
            raise bad(f"{where}.pub_date", "a date without a time zone")
        pub = pub.astimezone(UTC)  # 9999-12-31 in a zone west of UTC is past the last date
    except (ValueError, OverflowError):
        raise bad(f"{where}.pub_date", f"not a date: {v.get('pub_date')!r}"[:200]) from None
    length = get("length", int)
    duration = get("duration_ms", int)
    if length < 0 or duration < 0:
        raise bad(where, "negative length or duration")
    if length > MAX_ITEM_BYTES:
        raise bad(f"{where}.length", f"{length} bytes; no track is larger than {MAX_ITEM_BYTES}"[:200])
    if duration > MAX_ITEM_MS:
        raise bad(f"{where}.duration_ms", f"{duration} ms; no track lasts {MAX_ITEM_MS // 3_600_000 + 1} hours"[:200])
    if get("mime", str) not in AUDIO_TYPES:
        raise bad(f"{where}.mime", f"expected one of {', '.join(AUDIO_TYPES)}, got {v['mime']!r}"[:200])
    for key in ("file", "chapters"):
        if not _plain_name(get(key, str)):
            raise bad(f"{where}.{key}", "not a file name in the folder")
    image = get("image", str, optional=True)
    if image is not None and not _plain_name(image):
        raise bad(f"{where}.image", "not a file name in the folder")
    transcripts = get("transcripts", list)
    if not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t) and _plain_name(t[0])
        for t in transcripts
    ):
        raise bad(f"{where}.transcripts", "expected [file, type] pairs, each file a name in the folder")
    if any(t[1] not in (m for _, m in TRANSCRIPT_TYPES) for t in transcripts):
        raise bad(f"{where}.transcripts", f"a type that is not one of {', '.join(m for _, m in TRANSCRIPT_TYPES)}")
    chapter_list = v.get("chapter_list", [])
    if not isinstance(chapter_list, list) or not all(
        isinstance(c, list) and len(c) == 2 and isinstance(c[0], int) and c[0] >= 0 and isinstance(c[1], str)
        for c in chapter_list
    ):
        raise bad(f"{where}.chapter_list", "expected [start ms, title] pairs")
    if any(c[0] > duration for c in chapter_list):
        raise bad(f"{where}.chapter_list", f"a start outside the track (0 to {duration} ms)")
    title, author, description = get("title", str), get("author", str, optional=True), get("description", str)
    problems = (
        ("title", title_problem(title)),
        ("author", author is not None and title_problem(author)),
        *((f"chapter_list[{n}]", title_problem(c[1], limit=False)) for n, c in enumerate(chapter_list)),
    )
    for key, problem in problems:
        if problem:
            raise bad(f"{where}.{key}", problem)
    return Item(
        stem, guid, pub, without_silent(title), author and without_silent(author), v["file"],
        get("mime", str), length, duration, without_silent(description), image, v["chapters"],
        tuple((a, b) for a, b in transcripts), tuple((a, without_silent(b)) for a, b in chapter_list),
    )  # fmt: skip


# ----------------------------------------------------------------------------- the folder

PACK_FILES = ("index.html", "playlist.m3u8", FEED_NAME, MANIFEST_NAME)
_TRACK_FILE = re.compile(
    r"[a-z0-9][a-z0-9-]*(\.mp3|\.m4a|\.opus|\.vtt|\.srt|\.lrc|\.chapters\.json|\.cover\.png|\.cover\.jpg)"
)


def check_folder(folder: Path, manifest: Manifest, ignore_prefix: str | None = None) -> None:
    """FeedError when ``folder`` holds anything a pack would not write: the feed publishes
    the folder as it is, so a stray file would be served to the class. Names starting with
    ``ignore_prefix`` (a pack's own staging folder, removed by the pack) are left out."""
    from matcue.core.atomic import check_replaceable
    from matcue.core.paths import path_text, quoted

    if not folder.exists():
        return
    if not folder.is_dir():
        raise FeedError(f"the pack folder {quoted(folder)} is not a folder")
    known = set(manifest.files)
    other = []
    for p in sorted(folder.iterdir()):
        if ignore_prefix and p.name.startswith(ignore_prefix):
            continue
        if p.name in known or p.name in PACK_FILES or _TRACK_FILE.fullmatch(p.name):
            check_replaceable(p)  # a pack writes this name: a pipe or a folder there is said as for any write
            if p.is_file():
                continue
        other.append(path_text(p.name) + ("/" if p.is_dir() else ""))
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        raise FeedError(
            f"the pack folder {quoted(folder)} holds files a pack does not write: {shown} "
            "(the feed publishes the whole folder: move them out, or pack into another folder)"
        )


# ----------------------------------------------------------------------------- the feed


@dataclass(frozen=True, slots=True)
class Channel:
    title: str
    description: str
    author: str | None
    language: str
    image: str | None  # file name of the channel's cover


def updated_manifest(
    old: Manifest, url: str, tracks: Sequence[Item], files: Iterable[str], folder: Path, now: datetime | None = None
) -> Manifest:
    """The manifest after a pack: earlier items keep their GUID and date (and stay while their
    audio is in the folder); a track seen before keeps its GUID and date, with its new file,
    length and card; a new track gets a new GUID and ``now`` (a second apart, in pack order)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    by_stem = {i.stem: i for i in old.items}
    fresh: dict[str, Item] = {}
    new_count = sum(1 for t in tracks if t.stem not in by_stem)
    k = 0
    for t in tracks:
        before = by_stem.get(t.stem)
        if before is not None:
            fresh[t.stem] = _with_identity(t, before.guid, before.pub_date)
        else:
            k += 1
            pub = now.timestamp() - (new_count - k)
            fresh[t.stem] = _with_identity(t, f"urn:uuid:{uuid.uuid4()}", datetime.fromtimestamp(pub, UTC))
    kept = [i for i in old.items if i.stem not in fresh and (folder / i.file).is_file()]
    items = sorted([*kept, *fresh.values()], key=lambda i: i.pub_date)
    return Manifest(url, tuple(items), tuple(sorted(set(old.files) | set(files))))


def _with_identity(t: Item, guid: str, pub: datetime) -> Item:
    from dataclasses import replace

    return replace(t, guid=guid, pub_date=pub)


def _x(text: object) -> str:
    """Text content of an element: :func:`matcue.share.escape.xml`, as the SVG writes text."""
    return xml(text)


def _a(text: object) -> str:
    """A double-quoted attribute value, the same way."""
    return f'"{xml(text)}"'


def to_feed_xml(channel: Channel, manifest: Manifest, now: datetime | None = None) -> str:
    """RSS 2.0 with iTunes and Podcasting 2.0 tags: one item per manifest item, newest first."""
    assert manifest.url is not None
    base = manifest.url
    now = now or datetime.now(UTC)
    ns = " ".join(f"xmlns:{k}={_a(v)}" for k, v in NAMESPACES.items())
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<rss version="2.0" {ns}>', "<channel>"]
    page = file_url(base, "index.html")
    out += [
        f"  <title>{_x(channel.title)}</title>",
        f"  <link>{_x(page)}</link>",
        f"  <description>{_x(channel.description)}</description>",
        f"  <language>{_x(channel.language)}</language>",
        "  <generator>matcue</generator>",
        f"  <lastBuildDate>{format_datetime(now.astimezone(UTC), usegmt=True)}</lastBuildDate>",
        f'  <atom:link href={_a(file_url(base, FEED_NAME))} rel="self" type="application/rss+xml"/>',
        f"  <itunes:summary>{_x(channel.description)}</itunes:summary>",
        f"  <itunes:category text={_a(CATEGORY)}/>",
        "  <itunes:explicit>false</itunes:explicit>",
        "  <itunes:type>episodic</itunes:type>",
        f"  <podcast:guid>{podcast_guid(base)}</podcast:guid>",
        "  <podcast:medium>podcast</podcast:medium>",
    ]
    if channel.author:
        out += [f"  <itunes:author>{_x(channel.author)}</itunes:author>"]
    if channel.image:
        img = file_url(base, channel.image)
        out += [
            f"  <itunes:image href={_a(img)}/>",
            f"  <image><url>{_x(img)}</url><title>{_x(channel.title)}</title><link>{_x(page)}</link></image>",
        ]
    for item in sorted(manifest.items, key=lambda i: i.pub_date, reverse=True):
        out += _item_xml(base, item)
    out += ["</channel>", "</rss>"]
    return "\n".join(out) + "\n"


def _item_xml(base: str, i: Item) -> list[str]:
    out = [
        "  <item>",
        f"    <title>{_x(i.title)}</title>",
        f'    <guid isPermaLink="false">{_x(i.guid)}</guid>',
        f"    <pubDate>{format_datetime(i.pub_date, usegmt=True)}</pubDate>",
        f"    <description>{_x(i.description)}</description>",
        f"    <itunes:summary>{_x(i.description)}</itunes:summary>",
        f'    <enclosure url={_a(file_url(base, i.file))} length="{i.length}" type={_a(i.mime)}/>',
        f"    <itunes:duration>{(i.duration_ms + 500) // 1000}</itunes:duration>",
        "    <itunes:episodeType>full</itunes:episodeType>",
        "    <itunes:explicit>false</itunes:explicit>",
        f'    <podcast:chapters url={_a(file_url(base, i.chapters))} type="{CHAPTERS_TYPE}"/>',
    ]
    if i.author:
        out.append(f"    <itunes:author>{_x(i.author)}</itunes:author>")
    for name, mime in i.transcripts:
        out.append(f"    <podcast:transcript url={_a(file_url(base, name))} type={_a(mime)}/>")
    if i.image:
        out.append(f"    <itunes:image href={_a(file_url(base, i.image))}/>")
    if i.chapter_list:
        out.append('    <psc:chapters version="1.2">')
        out += [f'      <psc:chapter start="{vtt_time(ms)}" title={_a(t)}/>' for ms, t in i.chapter_list]
        out.append("    </psc:chapters>")
    out.append("  </item>")
    return out
