"""A picture of the session: the timed script drawn on a time axis, as SVG. Pure.

Two lanes over one axis. The upper lane has a block per chapter (the intro, each pose,
side, timer, reps, breathing exercise and rest, as the MP3's chapters have them), labelled
with its title when it is wide enough (every block carries its full title as a tooltip).
The lower lane has a block per hold: its kind's colour, ``L`` or ``R`` for a side, and
its breath count (the inhales the breath tones pace) or its length. Rests are drawn in
the upper lane in their own colour. Under the axis, minute marks and the total length.

The horizontal scale is exact: a time ``t`` is at ``LEFT_PX + t * PLOT_PX / total_ms``;
every number written is rounded to 0.01 px. Nothing from the routine goes into the SVG but
numbers and escaped text (:func:`_esc`), so it can be written inline into an HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcue.core.durations import format_length as _clock  # m:ss, as the page and the card write lengths
from matcue.languages.pagewords import words_for
from matcue.plan.timeline import Timeline
from matcue.share import escape

WIDTH_PX = 960
LEFT_PX = 16.0
PLOT_PX = WIDTH_PX - 2 * LEFT_PX
TITLE_Y = 22
CHAPTER_Y, CHAPTER_H = 34, 40
HOLD_Y, HOLD_H = 80, 30
AXIS_Y = 118
HEIGHT_PX = 150
LABEL_CHAR_PX = 6.6  # about one character of the 11 px label font
KIND_FILL = {
    "talk": "#e7e1d4",
    "rest": "#cfe0ea",
    "pose": "#b9d2bf",
    "timer": "#e9d3a8",
    "reps": "#d8c3df",
    "breathe": "#bcd7d6",
}
SIDE_STROKE = {"left": "#3d6fa3", "right": "#b5553a"}


@dataclass(frozen=True, slots=True)
class Block:
    """One drawn block: where it starts and ends (ms), its lane, kind and label."""

    lane: str  # "chapter" or "hold"
    start_ms: int
    end_ms: int
    kind: str
    title: str
    label: str
    side: str | None = None


def x_of(ms: int, total_ms: int) -> float:
    """The x coordinate of time ``ms`` on the axis."""
    return LEFT_PX + ms * PLOT_PX / max(1, total_ms)


def blocks(timeline: Timeline) -> tuple[Block, ...]:
    """The chapter blocks, then the hold blocks, each in time order."""
    holds = timeline.holds
    w = words_for(timeline.language)
    rests = {(r.start_ms, r.end_ms) for r in timeline.rests}
    out: list[Block] = []
    for c in timeline.chapters:
        inside = [h for h in holds if c.start_ms <= h.start_ms < c.end_ms]
        kind = "rest" if (c.start_ms, c.end_ms) in rests else inside[0].kind if inside else "talk"
        out.append(Block("chapter", c.start_ms, c.end_ms, kind, c.title, c.title))
    inhales = [e.start_ms for e in timeline.events if e.kind == "inhale"]
    for h in holds:
        start, end, side = h.start_ms, h.end_ms, h.side
        breaths = sum(1 for t in inhales if start <= t < end)
        amount = w.count("breaths", breaths) if breaths else _secs(end - start)
        mark = f"{w[f'{side}_mark']} " if side in ("left", "right") else ""
        out.append(Block("hold", start, end, h.kind, h.title, mark + amount, side))
    return tuple(out)


def _secs(ms: int) -> str:
    m, rest = divmod(ms, 60_000)
    s = f"{rest / 1000:g}s" if rest else ""
    return f"{m}m{s}" if m else s or "0s"


def _esc(text: str) -> str:
    """Text for SVG content and quoted attributes: the feed's rule (:func:`matcue.share.escape.xml`),
    so a character XML cannot hold never makes the SVG not well-formed."""
    return escape.xml(text)


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _tick_ms(total_ms: int) -> int:
    """Minute marks, spaced so that at most about 12 show."""
    for step in (60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000):
        if total_ms / step <= 12:
            return step
    return 7_200_000


def to_svg(timeline: Timeline, *, standalone: bool = True) -> str:
    """The session picture. ``standalone``: with the XML declaration and namespace (a file
    of its own); without, for writing inline into an HTML page."""
    total = timeline.total_ms
    x = lambda ms: x_of(ms, total)  # noqa: E731
    title = f"{timeline.title} — {_clock(total)}"
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>')
    xmlns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""  # HTML knows <svg> without it
    out.append(
        f'<svg{xmlns} class="session-picture" viewBox="0 0 {WIDTH_PX} {HEIGHT_PX}" '
        f'width="{WIDTH_PX}" height="{HEIGHT_PX}" role="img" aria-label="{_esc("Session picture: " + title)}" '
        f'data-total-ms="{total}" font-family="system-ui, sans-serif" font-size="11">'
    )
    out.append(f"<title>{_esc(title)}</title>")
    out.append(
        f'<text x="{_n(LEFT_PX)}" y="{TITLE_Y}" font-size="14" font-weight="600" fill="#263a34">{_esc(title)}</text>'
    )
    for b in blocks(timeline):
        x0, x1 = x(b.start_ms), x(b.end_ms)
        y, h = (CHAPTER_Y, CHAPTER_H) if b.lane == "chapter" else (HOLD_Y, HOLD_H)
        stroke = SIDE_STROKE.get(b.side or "", "#ffffff")
        attrs = (
            f'class="block {b.lane} {b.kind}{" " + b.side if b.side else ""}" '
            f'data-start-ms="{b.start_ms}" data-end-ms="{b.end_ms}"'
        )
        out.append(f"<g {attrs}>")
        tip = b.title if b.lane == "chapter" else f"{b.title}: {b.label}"
        out.append(f"<title>{_esc(tip)} ({_clock(b.start_ms)}–{_clock(b.end_ms)})</title>")
        out.append(
            f'<rect x="{_n(x0)}" y="{y}" width="{_n(x1 - x0)}" height="{h}" rx="3" '
            f'fill="{KIND_FILL.get(b.kind, KIND_FILL["pose"])}" stroke="{stroke}" '
            f'stroke-width="{2 if b.side else 0.5}"/>'
        )
        room = int((x1 - x0 - 6) // LABEL_CHAR_PX)
        if room >= 3:
            label = b.label if len(b.label) <= room else b.label[: room - 1].rstrip() + "…"
            ty = y + h / 2 + 4
            out.append(f'<text x="{_n(x0 + 3)}" y="{_n(ty)}" fill="#263a34">{_esc(label)}</text>')
        out.append("</g>")
    out.append(f'<line x1="{_n(LEFT_PX)}" y1="{AXIS_Y}" x2="{_n(LEFT_PX + PLOT_PX)}" y2="{AXIS_Y}" stroke="#5b7068"/>')
    step = _tick_ms(total)
    for t in range(0, total + 1, step):
        xt = x(t)
        out.append(f'<line x1="{_n(xt)}" y1="{AXIS_Y}" x2="{_n(xt)}" y2="{AXIS_Y + 5}" stroke="#5b7068"/>')
        if total - t >= step / 2:  # the last mark leaves room for the total
            out.append(f'<text x="{_n(xt)}" y="{AXIS_Y + 18}" text-anchor="middle" fill="#5b7068">{_clock(t)}</text>')
    end = LEFT_PX + PLOT_PX
    out.append(f'<line x1="{_n(end)}" y1="{AXIS_Y - 4}" x2="{_n(end)}" y2="{AXIS_Y + 5}" stroke="#263a34"/>')
    out.append(
        f'<text class="total" x="{_n(end)}" y="{AXIS_Y + 18}" text-anchor="end" font-weight="600" '
        f'fill="#263a34">total {_clock(total)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def qr_svg(text: str, scale: int = 3) -> str:
    """A QR code of ``text`` as inline SVG (segno; error correction M, the usual 4-module
    quiet zone), black on white so that any phone camera reads it from paper."""
    import segno

    return str(segno.make(text, error="m").svg_inline(scale=scale, dark="#000000", light="#ffffff", border=4))
