"""``matcue cues``: the recording list of a routine, for a teacher recording her own cues.

:func:`cue_list` compiles the routine with the given settings and lists every distinct
phrase it speaks (:func:`matcue.plan.cuelist.phrase_list`: its id, text, uses and the
longest a recording may last), with the clip that already stands for it when the routine
(or ``--recordings``) names recordings. It is printed as a table (:func:`to_table`), CSV
(:func:`to_csv`) or JSON (:func:`to_json`), or written as the offline recording page
(:func:`write_page`, :mod:`matcue.share.recordpage`). No voice is needed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from matcue.api import build_script, recordings_for
from matcue.core.text import to_json as to_json_text
from matcue.plan.cuelist import Phrase, phrase_list
from matcue.settings import Settings


@dataclass(frozen=True, slots=True)
class CueList:
    title: str
    level: str
    phrases: tuple[Phrase, ...]
    recorded: dict[str, str]  # text -> the clip's file name, for phrases already recorded
    warnings: tuple[str, ...] = ()


def cue_list(path: str | Path, settings: Settings = Settings()) -> CueList:
    """The phrases ``path`` speaks with ``settings`` (its session and recordings)."""
    routine, script = build_script(path, settings.session, allow_outside=settings.allow_outside, given=settings.given())
    phrases = phrase_list(script)
    rec = recordings_for(routine, [p.text for p in phrases], settings.recordings, allow_outside=settings.allow_outside)
    return CueList(
        script.title,
        script.level,
        tuple(phrases),
        rec.names() if rec is not None else {},
        rec.warnings if rec is not None else (),
    )


def longest(ms: int | None) -> str:
    """``max_ms`` as the list shows it: ``7.5s``, or ``any`` between holds."""
    return "any" if ms is None else f"{ms / 1000:.1f}s"


def to_table(cl: CueList) -> str:
    """A readable list: a heading, then per phrase its id, longest length, recording and
    text, and under it where it is used."""
    done = sum(1 for p in cl.phrases if p.text in cl.recorded)
    lines = [
        f"{cl.title} ({cl.level}): {len(cl.phrases)} phrases, {done} recorded",
        "",
        f"{'id':<40} {'longest':>7}  {'recorded':<10} text",
    ]
    for p in cl.phrases:
        rec = cl.recorded.get(p.text, "")
        lines.append(f"{p.id:<40} {longest(p.max_ms):>7}  {'yes' if rec else '-':<10} {p.text}")
        lines.append(f"{'':<40} {'':>7}  {'':<10} used at " + "; ".join(u.short() for u in p.uses))
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-``, ``@``
    (or a tab or carriage return) would be read as a formula (``=HYPERLINK(...)`` in a
    routine from someone else), so it gets a leading ``'``, as spreadsheets write text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(cl: CueList) -> str:
    """One row per phrase: id, text, max_ms (empty: any), longest, uses, recording. A text
    that a spreadsheet would take for a formula starts with ``'`` (:func:`_cell`); the JSON
    has every text exactly."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "text", "max_ms", "longest", "uses", "recording"])
    for p in cl.phrases:
        w.writerow(
            [
                p.id,
                _cell(p.text),
                "" if p.max_ms is None else p.max_ms,
                longest(p.max_ms),
                _cell("; ".join(u.short() for u in p.uses)),
                _cell(cl.recorded.get(p.text, "")),
            ]
        )
    return out.getvalue()


def to_json(cl: CueList) -> str:
    """``{"title", "level", "phrases": [{"id", "text", "max_ms", "uses", "recording"}]}``."""
    data = {
        "title": cl.title,
        "level": cl.level,
        "phrases": [{**p.to_dict(), "recording": cl.recorded.get(p.text)} for p in cl.phrases],
    }
    return to_json_text(data) + "\n"


def page_name(cl: CueList) -> tuple[str, str]:
    """(the page's file name, the zip it saves): ``<slug>-recording.html``, ``<slug>-recordings.zip``."""
    from matcue.core.naming import slugify

    slug = slugify(cl.title)
    return f"{slug}-recording.html", f"{slug}-recordings.zip"


def write_page(cl: CueList, folder: Path) -> Path:
    """Write the offline recording page for ``cl`` into ``folder`` (atomically); its path."""
    from matcue.core.atomic import write_text_atomic
    from matcue.share.recordpage import recording_page

    html_name, zip_name = page_name(cl)
    phrases = [
        {"id": p.id, "text": p.text, "max_ms": p.max_ms, "uses": [u.short() for u in p.uses]} for p in cl.phrases
    ]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / html_name
    write_text_atomic(target, recording_page(f"{cl.title} ({cl.level})", phrases, zip_name))
    return target
