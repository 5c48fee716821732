"""``matcue voices``: every backend's voices and auto's pick."""

from __future__ import annotations

import click

from matcue.cli.boundary import EXIT_ERROR
from matcue.cli.common import echo, voice_backend


def _tag(value: str | None) -> str | None:
    """``value`` when it is a language tag; else a usage error ('', 'en-', 'en US')."""
    from matcue.core.errors import shown
    from matcue.languages import TAG_HINT, primary

    if value is not None and primary(value) is None:
        raise click.BadParameter(f"{shown(value)} is not a language tag ({TAG_HINT})")
    return value


@click.command()
@click.option(
    "--backend", metavar="NAME", callback=voice_backend,
    help="Show only this backend ('auto': the one auto picks). Default: every backend.",
)  # fmt: skip
@click.option(
    "--language",
    metavar="TAG",
    help="Show only the installed voices that speak this language (a BCP 47 tag: de, en-GB...) and auto's pick for it.",
    callback=lambda ctx, param, value: _tag(value),
)
def voices(backend: str | None, language: str | None) -> None:
    """List every backend's voices and auto's pick.

    Shows each voice backend, clearest first, whether it is installed here (with what to
    install when it is not), its voices, and which one 'auto' picks. With --language, only
    the installed backends and voices that speak that language, and auto's pick for it."""
    from matcue.core.errors import shown
    from matcue.voice.registry import setup_hint, survey_voices

    survey = survey_voices(backend, language)
    if language is not None and not survey:
        named = backend is not None and backend != "auto"
        who = f"backend {backend!r} has no installed voice for" if named else "no installed voice speaks"
        click.echo(f"{who} {shown(language)} ({setup_hint(language)})", err=True)
        raise click.exceptions.Exit(EXIT_ERROR)
    for i, entry in enumerate(survey):
        if i:
            click.echo("")
        state = "available" if entry.available else "not available"
        auto = "  <- auto" if entry.auto else ""
        echo(f"backend: {entry.name} ({state}){auto}")
        if entry.problem:
            echo(f"  {entry.problem}")
        for line in entry.details:
            echo(f"  {line}")
        for v in entry.voices:
            langs = ",".join(v.languages)
            echo(f"  {v.id}\t{v.name}\t{langs}")
    if backend and not any(e.available for e in survey):
        raise click.exceptions.Exit(EXIT_ERROR)
